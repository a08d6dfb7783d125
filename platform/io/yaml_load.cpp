#include "epochcore/platform/io/yaml_load.h"

#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

namespace epochcore {
namespace {

// Records where each document starts; ignores everything else.
class DocumentStarts : public YAML::EventHandler {
 public:
  YAML::Mark start;
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string token_at(const std::string& text, const YAML::Mark& mark) {
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text.size()) return "token";
  const char c = text[static_cast<size_t>(mark.pos)];
  if (c >= 0x21 && c <= 0x7e) return std::string("'") + c + "'";
  return "token";
}

// yaml-cpp says only "bad file" when collections nest too deeply.
bool next_document(YAML::Parser& parser, DocumentStarts& events) {
  try {
    return parser.HandleNextDocument(events);
  } catch (const YAML::DeepRecursion& e) {
    throw YAML::ParserException(e.mark, "collections nested too deeply (" +
                                            std::to_string(e.depth()) + " levels)");
  }
}

// Walks the documents without building nodes, stopping after limit + 1 of them. Returns
// how many there are (at most limit + 1) and, in `extra`, where document limit + 1
// starts. Throws YAML::ParserException for a document that consumes nothing.
size_t count_documents(const std::string& text, size_t limit, YAML::Mark& extra) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts events;
  size_t count = 0;
  YAML::Mark previous;
  while (count <= limit && next_document(parser, events)) {
    if (count > 0 && events.start.pos == previous.pos)
      throw YAML::ParserException(events.start, "unexpected " + token_at(text, events.start) +
                                                    ": no YAML node can start with it");
    previous = events.start;
    if (count == limit) extra = events.start;
    ++count;
  }
  return count;
}

}  // namespace

std::vector<YAML::Node> load_yaml_documents(const std::string& text, size_t max_documents) {
  YAML::Mark extra;
  if (count_documents(text, max_documents, extra) > max_documents)
    throw YAML::ParserException(extra, "more than " + std::to_string(max_documents) +
                                           " YAML documents");
  return YAML::LoadAll(text);
}

YAML::Node load_yaml_document(const std::string& text) {
  constexpr size_t kCounted = 64;
  YAML::Mark second, extra;
  const size_t count = count_documents(text, kCounted, extra);
  if (count > 1) {
    count_documents(text, 1, second);
    throw YAML::ParserException(second, "expected one YAML document, found " +
                                            (count > kCounted ? "more than " + std::to_string(kCounted)
                                                              : std::to_string(count)));
  }
  return count == 0 ? YAML::Node() : YAML::Load(text);
}

}  // namespace epochcore
