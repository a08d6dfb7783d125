// YAML that cannot hang (issue 9, item 4): yaml-cpp 0.7's LoadAll loops forever on a
// document that starts with ','. load_yaml_documents and
// load_yaml_document return or throw on every input; the scenario, model-description
// and technology-table loaders go through them and name the file and the position.
// ctest runs these with a TIMEOUT (tests/CMakeLists.txt), so a hang is a failure.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "epochcore/platform/io/yaml_load.h"
#include "epochcore/platform/io/tech_table_file.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/scenario/scenario.h"

using namespace epochcore;
using Catch::Contains;
using Catch::StartsWith;

namespace {

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// The message of the YAML::Exception load_yaml_documents throws ("" if none), and its
// position (1-based line and column).
struct Failure {
  std::string msg;
  int line = 0, column = 0;
};
Failure documents_failure(const std::string& text, size_t max_documents = 64) {
  try {
    load_yaml_documents(text, max_documents);
  } catch (const YAML::Exception& e) {
    return {e.msg, e.mark.line + 1, e.mark.column + 1};
  }
  return {};
}
Failure document_failure(const std::string& text) {
  try {
    load_yaml_document(text);
  } catch (const YAML::Exception& e) {
    return {e.msg, e.mark.line + 1, e.mark.column + 1};
  }
  return {};
}

std::string scenario_error(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_scenario(text, "hostile.yaml", overrides);
  } catch (const ScenarioError& e) {
    return e.what();
  }
  return "";
}
std::string model_error(const std::string& text) {
  try {
    io::parse_model_description(text, "hostile_model.yaml");
  } catch (const io::FormatError& e) {
    return e.what();
  }
  return "";
}
std::string tech_error(const std::string& text) {
  try {
    energy::parse_tech_table(text, "hostile_tech.yaml");
  } catch (const energy::TechTableError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("yaml load: a document starting with ',' is an error at the comma", "[yaml_load]") {
  Failure f = documents_failure(",");
  CHECK_THAT(f.msg, Contains("unexpected ','"));
  CHECK(f.line == 1);
  CHECK(f.column == 1);
  f = documents_failure(",\nfoo: 1");
  CHECK_THAT(f.msg, Contains("unexpected ','"));
  CHECK(f.line == 1);
  f = documents_failure("---\n,");
  CHECK_THAT(f.msg, Contains("unexpected ','"));
  CHECK(f.line == 2);
  CHECK(f.column == 1);
  f = documents_failure("a: 1\n---\n  ,\n");
  CHECK_THAT(f.msg, Contains("unexpected ','"));
  CHECK(f.line == 3);
  CHECK(f.column == 3);
  // A ',' after a complete document starts the next one.
  f = documents_failure("[a],");
  CHECK_THAT(f.msg, Contains("unexpected ','"));
  CHECK(f.column == 4);
  // The same through the single-document form (YAML::Load returned an empty document here
  // and ignored the rest of the text).
  CHECK_THAT(document_failure(",").msg, Contains("unexpected ','"));
  CHECK_THAT(document_failure(",\nfoo: 1").msg, Contains("unexpected ','"));
  // A stray flow end is yaml-cpp's own error.
  CHECK_FALSE(documents_failure("]").msg.empty());
  CHECK_FALSE(documents_failure("---\n}").msg.empty());
}

TEST_CASE("yaml load: unclosed and deeply nested collections end in an error", "[yaml_load]") {
  CHECK_FALSE(documents_failure("[").msg.empty());
  CHECK_FALSE(documents_failure("{").msg.empty());
  CHECK_FALSE(document_failure("[").msg.empty());
  CHECK_FALSE(document_failure("{").msg.empty());
  CHECK_FALSE(documents_failure(repeat("[", 100000)).msg.empty());
  CHECK_FALSE(documents_failure(repeat("{", 100000)).msg.empty());
  CHECK_FALSE(documents_failure(repeat("- ", 100000)).msg.empty());
  CHECK_FALSE(document_failure(repeat("[", 100000)).msg.empty());
}

TEST_CASE("yaml load: the number of documents is bounded", "[yaml_load]") {
  const std::string stream = repeat("---\n", 100000);
  const Failure f = documents_failure(stream);
  CHECK_THAT(f.msg, Contains("more than 64 YAML documents"));
  CHECK(f.line == 65);
  CHECK_THAT(documents_failure("a: 1\n---\nb: 2\n", 1).msg, Contains("more than 1 YAML documents"));
  CHECK(load_yaml_documents("a: 1\n---\nb: 2\n", 2).size() == 2);
  const Failure one = document_failure(stream);
  CHECK_THAT(one.msg, Contains("expected one YAML document, found more than 64"));
  CHECK(one.line == 2);
  CHECK_THAT(document_failure("a: 1\n---\nb: 2\n").msg,
             Contains("expected one YAML document, found 2"));
}

TEST_CASE("yaml load: valid text loads as yaml-cpp loads it", "[yaml_load]") {
  CHECK(load_yaml_documents("").empty());
  CHECK(load_yaml_document("").IsNull());
  CHECK(load_yaml_document("# only a comment\n").IsNull());
  const YAML::Node n = load_yaml_document("a: [1, 2, {b: c}]\nd: &x 3\ne: *x\n");
  REQUIRE(n.IsMap());
  CHECK(n["a"][2]["b"].as<std::string>() == "c");
  CHECK(n["e"].as<int>() == 3);
  CHECK(n["a"].Mark().line == 0);
  CHECK(n["d"].Mark().line == 1);
  const std::vector<YAML::Node> docs = load_yaml_documents("a: 1\n---\n- x\n...\n---\n7\n");
  REQUIRE(docs.size() == 3);
  CHECK(docs[0]["a"].as<int>() == 1);
  CHECK(docs[1][0].as<std::string>() == "x");
  CHECK(docs[2].as<int>() == 7);
  CHECK(load_yaml_document("'a, b'").as<std::string>() == "a, b");
  CHECK(load_yaml_document("[a, b]").size() == 2);
  CHECK(load_yaml_documents("---\n---\n").size() == 2);
}

TEST_CASE("yaml load: scenario files and --set values name the file and the position",
          "[yaml_load]") {
  CHECK_THAT(scenario_error(","), StartsWith("hostile.yaml:1:1: ") && Contains("unexpected ','"));
  CHECK_THAT(scenario_error(",\nfoo: 1"), StartsWith("hostile.yaml:1:1: "));
  CHECK_THAT(scenario_error("---\n,"), StartsWith("hostile.yaml:2:1: "));
  CHECK_THAT(scenario_error("["), StartsWith("hostile.yaml:"));
  CHECK_THAT(scenario_error("{"), StartsWith("hostile.yaml:"));
  CHECK_THAT(scenario_error(repeat("[", 100000)), StartsWith("hostile.yaml:"));
  CHECK_THAT(scenario_error(repeat("---\n", 100000)),
             StartsWith("hostile.yaml:65:1: ") && Contains("more than 64 YAML documents"));
  CHECK_THAT(scenario_error("name: a\n---\nname: b\n"), Contains("expected one YAML document, found 2"));
  CHECK_THAT(scenario_error("", {"name=,"}),
             StartsWith("override 'name=,': ") && Contains("unexpected ','"));
  CHECK_THAT(scenario_error("", {"array.rows=["}), StartsWith("override 'array.rows=['"));
  CHECK_THAT(scenario_error("", {"name=a\n---\nb"}), Contains("expected one YAML document"));
}

TEST_CASE("yaml load: model descriptions and technology tables name the file and the position",
          "[yaml_load]") {
  CHECK_THAT(model_error(","), StartsWith("hostile_model.yaml:1:1: invalid YAML") &&
                                   Contains("unexpected ','"));
  CHECK_THAT(model_error("---\n,"), StartsWith("hostile_model.yaml:2:1: invalid YAML"));
  CHECK_THAT(model_error(repeat("[", 100000)), StartsWith("hostile_model.yaml:"));
  CHECK_THAT(model_error(repeat("---\n", 100000)),
             StartsWith("hostile_model.yaml:2:1: ") && Contains("expected one YAML document"));
  CHECK_THAT(tech_error(","), StartsWith("hostile_tech.yaml:1:1: YAML syntax error") &&
                                  Contains("unexpected ','"));
  CHECK_THAT(tech_error(",\nname: x"), StartsWith("hostile_tech.yaml:1:1: "));
  CHECK_THAT(tech_error("{"), StartsWith("hostile_tech.yaml:"));
  CHECK_THAT(tech_error(repeat("---\n", 100000)), StartsWith("hostile_tech.yaml:2:1: "));
}
