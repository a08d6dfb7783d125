// YAML that cannot hang, end to end (issue 9, item 4): scenario files on which yaml-cpp's
// LoadAll looped forever make the simulator exit 2 at once, naming the file and the
// position. Each run is under `timeout`, so a hang fails the test instead of stalling it.
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

struct Run {
  int exit_code = -1;
  std::string err;
};

Run run_vp_on(const fs::path& scenario, const std::string& extra = "") {
  const fs::path err = scenario.string() + ".err";
  const std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 timeout 60 '" + std::string(EC_VP) +
                          "' '" + scenario.string() + "' " + extra + " > /dev/null 2> '" +
                          err.string() + "'";
  const int st = std::system(cmd.c_str());
  Run r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream f(err);
  std::stringstream ss;
  ss << f.rdbuf();
  r.err = ss.str();
  return r;
}

}  // namespace

TEST_CASE("hostile YAML ends in exit 2 naming the file, never a hang", "[e2e][errors][yaml_load]") {
  const fs::path dir = fs::temp_directory_path() / ("epochcore-e2e-yaml-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Case {
    std::string name, text, where;
  } cases[] = {
      {"comma.yaml", ",", ":1:1: "},
      {"comma_then_key.yaml", ",\nfoo: 1\n", ":1:1: "},
      {"second_doc_comma.yaml", "---\n,", ":2:1: "},
      {"flow_then_comma.yaml", "[a],", ":1:4: "},
      {"documents.yaml", std::string(), ":65:1: "},
  };
  for (int i = 0; i < 100000; ++i) cases[4].text += "---\n";
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const fs::path path = dir / c.name;
      std::ofstream(path) << c.text;
      const Run r = run_vp_on(path);
      INFO(r.err);
      CHECK(r.exit_code == 2);  // 124 from timeout: the loader hung
      CHECK(r.err.find(path.string() + c.where) != std::string::npos);
    }
  }
  SECTION("a --set value that is just a comma") {
    const fs::path path = dir / "empty.yaml";
    std::ofstream(path) << "";
    const Run r = run_vp_on(path, "--set name=,");
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("override 'name=,'") != std::string::npos);
  }
  fs::remove_all(dir);
}
