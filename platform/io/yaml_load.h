// Loading YAML text into documents with a guarantee that it returns: the one entry point
// for scenario, model-description and technology-table files.
//
// yaml-cpp 0.7's YAML::LoadAll never returns when a document starts with a token no
// node can begin with (a ',' where a document starts, as in a file that is just "," or
// "[a],"): the parser hands out an empty document without
// consuming the token, over and over, and memory grows without bound. YAML::Load
// stops after that first empty document and silently ignores the rest of the text.
//
// These functions first walk the text's parse events (no nodes built): a document that
// starts where the previous one started has consumed nothing, which is reported as a
// syntax error at that token. The number of documents is bounded, and yaml-cpp bounds
// the nesting depth (500 levels; reported as "collections nested too deeply"). Only
// then are the nodes built (YAML::LoadAll, which the walk has shown to terminate on
// this text).
//
// Errors are thrown as YAML::ParserException (a YAML::Exception with `mark`: line and
// column, 0-based, and `msg`), like yaml-cpp's own syntax errors, so a caller reports
// them as it reports any YAML error: with its file name (origin) and the position.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace epochcore {

// Every document of `text`, at most `max_documents` of them (more is an error at the
// start of the first one beyond). Empty text gives no document.
std::vector<YAML::Node> load_yaml_documents(const std::string& text, size_t max_documents = 64);

// The single document of `text` (a Null node for empty text); more than one document
// is an error "expected one YAML document, found N" (N counted up to 64) at the start
// of the second.
YAML::Node load_yaml_document(const std::string& text);

}  // namespace epochcore
