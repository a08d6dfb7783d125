// Tests of the trace-event JSON writer and the VCD writer (plain C++, no simulation):
// the JSON is read back with nlohmann, the VCD with a small parser written here, and
// both are checked against values computed independently in the test.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "epochcore/platform/trace/trace_events.h"
#include "epochcore/platform/trace/vcd_writer.h"
#include "sc_harness.h"

using namespace epochcore;
using nlohmann::json;

namespace {

std::string temp_path(const std::string& name) { return "/tmp/ec_test_trace_" + name; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

json read_json(const std::string& path) { return json::parse(read_text(path)); }

// The events of a trace whose "ph" is `phase`.
std::vector<json> events_of(const json& trace, const std::string& phase) {
  std::vector<json> found;
  for (const json& e : trace.at("traceEvents"))
    if (e.at("ph") == phase) found.push_back(e);
  return found;
}

// ---- a small VCD reader --------------------------------------------------------------

struct VcdVar {
  std::string type, full_name;
  unsigned width = 0;
};
struct VcdChange {
  uint64_t time;
  std::string code;
  std::string value;  // as written: "0", "1", "x", "b101", "r0.5"
};
struct VcdFile {
  std::string timescale;
  std::map<std::string, VcdVar> vars;    // by identifier code
  std::vector<std::string> var_order;    // codes in declaration order
  std::vector<std::string> scopes;       // full dotted path of each $scope, in order
  std::vector<VcdChange> dumpvars;       // initial values
  std::vector<VcdChange> changes;        // everything after $dumpvars ... $end
  std::vector<uint64_t> time_stamps;
  std::string error;                     // non-empty if the file is malformed
};

VcdFile parse_vcd(const std::string& text) {
  VcdFile vcd;
  std::istringstream in(text);
  std::vector<std::string> scope;
  auto joined = [&]() {
    std::string path;
    for (const std::string& part : scope) path += (path.empty() ? "" : ".") + part;
    return path;
  };
  std::string token;
  bool in_definitions = true, in_dumpvars = false, have_time = false;
  uint64_t time = 0;
  while (in >> token) {
    if (in_definitions) {
      if (token == "$timescale") {
        in >> vcd.timescale >> token;
        if (token != "$end") vcd.error = "timescale not closed";
      } else if (token == "$version") {
        while (in >> token && token != "$end") {}
      } else if (token == "$scope") {
        std::string kind, name;
        in >> kind >> name >> token;
        scope.push_back(name);
        vcd.scopes.push_back(joined());
      } else if (token == "$upscope") {
        in >> token;
        if (scope.empty()) vcd.error = "unbalanced $upscope";
        else scope.pop_back();
      } else if (token == "$var") {
        VcdVar var;
        std::string code, name;
        in >> var.type >> var.width >> code >> name >> token;
        var.full_name = joined() + "." + name;
        if (token != "$end") vcd.error = "bad $var";
        if (vcd.vars.count(code)) vcd.error = "duplicate code " + code;
        vcd.vars[code] = var;
        vcd.var_order.push_back(code);
      } else if (token == "$enddefinitions") {
        in >> token;
        in_definitions = false;
        if (!scope.empty()) vcd.error = "scope left open";
      } else {
        vcd.error = "unexpected header token " + token;
      }
      continue;
    }
    if (token[0] == '#') {
      time = std::stoull(token.substr(1));
      if (have_time && time <= vcd.time_stamps.back()) vcd.error = "time stamps not increasing";
      vcd.time_stamps.push_back(time);
      have_time = true;
    } else if (token == "$dumpvars") {
      in_dumpvars = true;
    } else if (token == "$end") {
      in_dumpvars = false;
    } else {
      VcdChange change{time, "", ""};
      if (token[0] == 'b' || token[0] == 'r') {
        change.value = token;
        in >> change.code;
      } else {
        change.value = token.substr(0, 1);
        change.code = token.substr(1);
      }
      if (!vcd.vars.count(change.code)) vcd.error = "change of undeclared code " + change.code;
      if (!have_time) vcd.error = "change before any time stamp";
      (in_dumpvars ? vcd.dumpvars : vcd.changes).push_back(change);
    }
  }
  if (in_definitions) vcd.error = "no $enddefinitions";
  return vcd;
}

// The value of a wire change: "1" or "b101" (zero-extended) -> number.
uint64_t wire_value(const std::string& value) {
  std::string bits = value[0] == 'b' ? value.substr(1) : value;
  uint64_t v = 0;
  for (char c : bits) v = v * 2 + static_cast<uint64_t>(c - '0');
  return v;
}

// The code of the var called `full_name`.
std::string code_of(const VcdFile& vcd, const std::string& full_name) {
  for (const auto& entry : vcd.vars)
    if (entry.second.full_name == full_name) return entry.first;
  return "";
}

}  // namespace

// ---- trace-event JSON ---------------------------------------------------------------

TEST_CASE("microsecond text keeps every picosecond", "[trace]") {
  CHECK(TraceEventWriter::format_microseconds(0) == "0.000000");
  CHECK(TraceEventWriter::format_microseconds(1) == "0.000001");
  CHECK(TraceEventWriter::format_microseconds(999999) == "0.999999");
  CHECK(TraceEventWriter::format_microseconds(1000000) == "1.000000");
  CHECK(TraceEventWriter::format_microseconds(1234567890) == "1234.567890");
  CHECK(TraceEventWriter::format_microseconds(std::numeric_limits<uint64_t>::max()) ==
        "18446744073709.551615");
}

TEST_CASE("trace file has the documented structure and values", "[trace]") {
  const std::string path = temp_path("structure.json");
  TraceEventWriter w(path);
  REQUIRE(w.ok());
  w.set_process_name(1, "epochcore");
  w.set_thread_name(1, 2, "dma");
  w.set_thread_sort_index(1, 2, 5);
  w.complete(1, 2, "copy", "dma", 1234567890, 2500, {{"bytes", 4096}, {"dir", "in"}});
  w.complete(1, 3, "pass", nullptr, 7, 0);
  w.instant(1, 2, "irq", "control", 1000001, {{"ok", true}});
  w.counter(1, "stalls", 42000000, 3.5);
  std::string error;
  REQUIRE(w.close(&error));
  CHECK(error.empty());

  const std::string text = read_text(path);
  // The file's own text: microseconds with six decimals.
  CHECK(text.find("\"ts\":1234.567890") != std::string::npos);
  CHECK(text.find("\"dur\":0.002500") != std::string::npos);
  CHECK(text.find("\"ts\":0.000007") != std::string::npos);

  json trace = json::parse(text);
  CHECK(trace.at("displayTimeUnit") == "ns");
  REQUIRE(trace.at("traceEvents").size() == 7);

  auto meta = events_of(trace, "M");
  REQUIRE(meta.size() == 3);
  CHECK(meta[0] == json::parse(R"({"ph":"M","name":"process_name","pid":1,"args":{"name":"epochcore"}})"));
  CHECK(meta[1] == json::parse(R"({"ph":"M","name":"thread_name","pid":1,"tid":2,"args":{"name":"dma"}})"));
  CHECK(meta[2].at("args").at("sort_index") == 5);

  auto slices = events_of(trace, "X");
  REQUIRE(slices.size() == 2);
  CHECK(slices[0].at("name") == "copy");
  CHECK(slices[0].at("cat") == "dma");
  CHECK(slices[0].at("pid") == 1);
  CHECK(slices[0].at("tid") == 2);
  CHECK(std::llround(slices[0].at("ts").get<double>() * 1e6) == 1234567890);
  CHECK(std::llround(slices[0].at("dur").get<double>() * 1e6) == 2500);
  CHECK(slices[0].at("args") == json::parse(R"({"bytes":4096,"dir":"in"})"));
  CHECK_FALSE(slices[1].contains("cat"));  // a null category is left out
  CHECK_FALSE(slices[1].contains("args"));  // so are empty args

  auto instants = events_of(trace, "i");
  REQUIRE(instants.size() == 1);
  CHECK(instants[0].at("s") == "t");
  CHECK(std::llround(instants[0].at("ts").get<double>() * 1e6) == 1000001);
  CHECK(instants[0].at("args").at("ok") == true);

  auto counters = events_of(trace, "C");
  REQUIRE(counters.size() == 1);
  CHECK(counters[0].at("name") == "stalls");
  CHECK(std::llround(counters[0].at("ts").get<double>() * 1e6) == 42000000);
  CHECK(counters[0].at("args").at("value") == 3.5);
  CHECK_FALSE(counters[0].contains("tid"));
}

TEST_CASE("trace arguments keep their type and exact value", "[trace]") {
  const std::string path = temp_path("args.json");
  TraceEventWriter w(path);
  const std::string owned = "owned text";
  const uint64_t big = (uint64_t{1} << 63) + 5;  // beyond a double's exact range
  w.complete(0, 0, "e", "c", 0, 1,
             {{"neg", -17}, {"big", big}, {"tenth", 0.1}, {"tiny", 1e-300}, {"no", false},
              {"s", owned}, {"nan", std::nan("")}, {"inf", HUGE_VAL}});
  w.counter(0, "bad counter", 5, std::numeric_limits<double>::infinity());
  REQUIRE(w.close(nullptr));
  json trace = read_json(path);
  const json& args = trace.at("traceEvents")[0].at("args");
  CHECK(args.at("neg").get<int64_t>() == -17);
  CHECK(args.at("big").get<uint64_t>() == big);
  CHECK(args.at("tenth").get<double>() == 0.1);
  CHECK(args.at("tiny").get<double>() == 1e-300);
  CHECK(args.at("no") == false);
  CHECK(args.at("s") == "owned text");
  CHECK(args.at("nan").is_null());  // JSON has no NaN or infinity
  CHECK(args.at("inf").is_null());
  CHECK(trace.at("traceEvents")[1].at("args").at("value").is_null());
}

TEST_CASE("trace names are JSON-escaped", "[trace]") {
  const std::string path = temp_path("escape.json");
  TraceEventWriter w(path);
  const std::string nasty = "q\"b\\n\nt\tr\rc\x01" "d\x7f";
  const std::string utf8 = "\xc2\xb5s \xe2\x86\x92 \xf0\x9f\x98\x80";  // "µs → 😀"
  const std::string invalid = "a\xff" "b\xc3";  // a stray byte and a truncated sequence
  w.set_process_name(1, nasty);
  w.complete(1, 1, utf8.c_str(), nasty.c_str(), 0, 1, {{nasty, invalid}});
  REQUIRE(w.close(nullptr));
  json trace = read_json(path);  // throws if the escaping broke the document
  const json& events = trace.at("traceEvents");
  CHECK(events[0].at("args").at("name") == nasty);
  CHECK(events[1].at("name") == utf8);
  CHECK(events[1].at("cat") == nasty);
  CHECK(events[1].at("args").at(nasty) == "a\xef\xbf\xbd" "b\xef\xbf\xbd");  // U+FFFD
}

TEST_CASE("a trace is valid JSON however it ends", "[trace]") {
  SECTION("no event at all") {
    const std::string path = temp_path("empty.json");
    TraceEventWriter w(path);
    REQUIRE(w.close(nullptr));
    json trace = read_json(path);
    CHECK(trace.at("traceEvents").empty());
  }
  SECTION("destroyed without close()") {
    const std::string path = temp_path("destructor.json");
    {
      TraceEventWriter w(path);
      w.complete(1, 1, "a", "b", 1, 2);
    }
    CHECK(read_json(path).at("traceEvents").size() == 1);
  }
  SECTION("events after close() are ignored and close() repeats its answer") {
    const std::string path = temp_path("after_close.json");
    TraceEventWriter w(path);
    w.complete(1, 1, "a", "b", 1, 2);
    REQUIRE(w.close(nullptr));
    const std::string before = read_text(path);
    w.complete(1, 1, "late", "b", 3, 4);
    w.counter(1, "late", 5, 1);
    CHECK(w.close(nullptr));
    CHECK(read_text(path) == before);
  }
  SECTION("many events stream through the buffer") {
    const std::string path = temp_path("many.json");
    TraceEventWriter w(path);
    const int count = 50000;
    for (int i = 0; i < count; ++i)
      w.complete(1, i % 3, "pass", "array", uint64_t(i) * 1000003, 999, {{"index", i}});
    REQUIRE(w.close(nullptr));
    const std::string text = read_text(path);
    CHECK(text.size() > BufferedTextFile::kBufferBytes * 4);
    json trace = json::parse(text);
    REQUIRE(trace.at("traceEvents").size() == size_t(count));
    for (int i = 0; i < count; i += 997) {
      const json& e = trace.at("traceEvents")[size_t(i)];
      CHECK(std::llround(e.at("ts").get<double>() * 1e6) == int64_t(i) * 1000003);
      CHECK(e.at("args").at("index") == i);
    }
  }
}

TEST_CASE("trace file errors name the path", "[trace]") {
  SECTION("cannot open") {
    const std::string path = "/nonexistent_dir_ec/trace.json";
    TraceEventWriter w(path);
    CHECK_FALSE(w.ok());
    CHECK(w.error().find(path) != std::string::npos);
    w.complete(1, 1, "a", "b", 1, 2);  // ignored, no crash
    std::string error;
    CHECK_FALSE(w.close(&error));
    CHECK(error.find("cannot open trace file '" + path + "'") != std::string::npos);
  }
  SECTION("cannot write (device full)") {
    TraceEventWriter w("/dev/full");
    REQUIRE(w.ok());
    for (int i = 0; i < 20000; ++i) w.complete(1, 1, "a", "b", uint64_t(i), 2);
    std::string error;
    CHECK_FALSE(w.close(&error));
    CHECK(error.find("cannot write trace file '/dev/full'") != std::string::npos);
  }
}

// ---- VCD ------------------------------------------------------------------------------

TEST_CASE("VCD identifier codes are short, printable and distinct", "[vcd]") {
  CHECK(VcdWriter::identifier_code(0) == "!");
  CHECK(VcdWriter::identifier_code(93) == "~");
  CHECK(VcdWriter::identifier_code(94) == "!\"");
  CHECK(VcdWriter::identifier_code(94 * 94) == "!!\"");
  std::set<std::string> seen;
  for (size_t i = 0; i < 20000; ++i) {
    std::string code = VcdWriter::identifier_code(i);
    for (char c : code) REQUIRE((c >= '!' && c <= '~'));
    REQUIRE(seen.insert(code).second);
  }
}

TEST_CASE("VCD header has nested scopes, ids and the timescale", "[vcd]") {
  const std::string path = temp_path("header.vcd");
  VcdWriter w(path, "10 ns");
  int valid = w.add_wire("epochcore.array", "row_valid", 32);
  int busy = w.add_wire("epochcore.control", "busy", 1);
  int state = w.add_wire("epochcore.array.pe0", "state", 3);
  int top = w.add_wire("epochcore", "clk", 1);
  int power = w.add_real("epochcore.array", "power_mw");
  REQUIRE(w.ok());
  CHECK((valid == 0 && busy == 1 && state == 2 && top == 3 && power == 4));
  std::string error;
  REQUIRE(w.close(&error));

  VcdFile vcd = parse_vcd(read_text(path));
  REQUIRE(vcd.error == "");
  CHECK(vcd.timescale == "10ns");
  CHECK(vcd.scopes == std::vector<std::string>{"epochcore", "epochcore.array",
                                               "epochcore.array.pe0", "epochcore.control"});
  REQUIRE(vcd.vars.size() == 5);
  const VcdVar& v = vcd.vars.at(VcdWriter::identifier_code(0));
  CHECK(v.full_name == "epochcore.array.row_valid");
  CHECK(v.type == "wire");
  CHECK(v.width == 32);
  CHECK(vcd.vars.at(VcdWriter::identifier_code(2)).full_name == "epochcore.array.pe0.state");
  CHECK(vcd.vars.at(VcdWriter::identifier_code(3)).full_name == "epochcore.clk");
  CHECK(vcd.vars.at(VcdWriter::identifier_code(4)).type == "real");
  // With no change at all, the dump still starts every wire at x.
  REQUIRE(vcd.dumpvars.size() == 4);
  CHECK(vcd.dumpvars[0].value == "b" "x");
  CHECK(vcd.dumpvars[1].value == "x");
  CHECK(vcd.changes.empty());

  VcdWriter default_scale(temp_path("default.vcd"));
  REQUIRE(default_scale.close(nullptr));
  CHECK(parse_vcd(read_text(temp_path("default.vcd"))).timescale == "1ps");
}

TEST_CASE("VCD values: scalar, binary, real, deduplicated, ordered in time", "[vcd]") {
  const std::string path = temp_path("values.vcd");
  VcdWriter w(path);
  int bit = w.add_wire("top", "bit", 1);
  int byte = w.add_wire("top", "byte", 8);
  int wide = w.add_wire("top", "wide", 64);
  int real = w.add_real("top", "r");
  w.change(bit, 0, 1);
  w.change(byte, 0, 5);
  w.change(bit, 10, 1);   // same value: nothing written
  w.change(byte, 10, 5);  // same value
  w.change_real(real, 10, 0.1);
  w.change(wide, 20, ~uint64_t{0});
  w.change(byte, 20, 0);
  w.change(bit, 20, 0);
  w.change_real(real, 30, 0.1);  // same value
  w.change_real(real, 30, -2.5e-7);
  w.change(byte, 40, 200);
  w.advance_to(100);
  std::string error;
  REQUIRE(w.close(&error));

  VcdFile vcd = parse_vcd(read_text(path));
  REQUIRE(vcd.error == "");
  const std::string b = code_of(vcd, "top.bit"), y = code_of(vcd, "top.byte"),
                    x = code_of(vcd, "top.wide"), r = code_of(vcd, "top.r");
  // Independent expectation: (time, code, text) after deduplication.
  std::vector<std::tuple<uint64_t, std::string, std::string>> expected = {
      {0, b, "1"},  {0, y, "b101"}, {10, r, "r0.1"}, {20, x, "b" + std::string(64, '1')},
      {20, y, "b0"}, {20, b, "0"},  {30, r, "r-2.5e-07"}, {40, y, "b11001000"}};
  REQUIRE(vcd.changes.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    CHECK(vcd.changes[i].time == std::get<0>(expected[i]));
    CHECK(vcd.changes[i].code == std::get<1>(expected[i]));
    CHECK(vcd.changes[i].value == std::get<2>(expected[i]));
  }
  CHECK(std::stod(vcd.changes[6].value.substr(1)) == -2.5e-7);
  CHECK(vcd.time_stamps == std::vector<uint64_t>{0, 10, 20, 30, 40, 100});
}

TEST_CASE("VCD of a 32-row valid pattern reads back exactly", "[vcd]") {
  const std::string path = temp_path("array.vcd");
  VcdWriter w(path);
  const int rows = 32;
  std::vector<int> ids;
  for (int r = 0; r < rows; ++r) ids.push_back(w.add_wire("epochcore.array", "valid_" + std::to_string(r), 1));
  int beat = w.add_wire("epochcore.array", "beat", 32);
  // A pseudo-random pattern (xorshift), and an independent record of what must appear.
  uint64_t state = 88172645463325252ull;
  std::vector<int> last(rows, -1);
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> expected;
  const uint64_t beats = 200000;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t t = 0; t < beats; ++t) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    for (int r = 0; r < rows; ++r) {
      int v = int((state >> (r % 64)) & 1);
      w.change(ids[size_t(r)], t * 1250, uint64_t(v));
      if (v != last[size_t(r)]) expected[VcdWriter::identifier_code(size_t(r))].push_back({t * 1250, uint64_t(v)});
      last[size_t(r)] = v;
    }
    w.change(beat, t * 1250, t & 0xffffffffu);
    expected[VcdWriter::identifier_code(rows)].push_back({t * 1250, t & 0xffffffffu});
  }
  REQUIRE(w.close(nullptr));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("VCD writer: %.1f M change calls per second (33 signals x %llu beats)\n",
              double(beats) * (rows + 1) / seconds / 1e6, (unsigned long long)beats);

  VcdFile vcd = parse_vcd(read_text(path));
  REQUIRE(vcd.error == "");
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> got;
  for (const VcdChange& c : vcd.changes) got[c.code].push_back({c.time, wire_value(c.value)});
  CHECK(got == expected);
}

TEST_CASE("VCD errors are kept and reported by close()", "[vcd]") {
  auto close_error = [](VcdWriter& w) {
    std::string error;
    CHECK_FALSE(w.close(&error));
    return error;
  };
  const std::string path = temp_path("errors.vcd");
  SECTION("time going backwards") {
    VcdWriter w(path);
    int a = w.add_wire("top", "a", 1);
    w.change(a, 100, 1);
    w.change(a, 50, 0);
    w.change(a, 200, 0);  // dropped: output stops at the first error
    std::string error = close_error(w);
    CHECK(error.find("'top.a' at time 50 is earlier than the previous time stamp 100") != std::string::npos);
    CHECK(error.find(path) != std::string::npos);
  }
  SECTION("value wider than the wire") {
    VcdWriter w(path);
    int a = w.add_wire("top", "a", 4);
    w.change(a, 0, 16);
    CHECK(close_error(w).find("value 16 does not fit the 4-bit signal 'top.a'") != std::string::npos);
  }
  SECTION("unknown id, including a failed declaration's -1") {
    VcdWriter w(path);
    w.add_wire("top", "a", 1);
    w.change(-1, 0, 1);
    CHECK(close_error(w).find("unknown signal id -1") != std::string::npos);
  }
  SECTION("wire and real mixed up") {
    VcdWriter w(path);
    int a = w.add_wire("top", "a", 1);
    w.change_real(a, 0, 1.0);
    CHECK(close_error(w).find("'top.a' is a wire: use change()") != std::string::npos);
  }
  SECTION("declaration after the first change") {
    VcdWriter w(path);
    int a = w.add_wire("top", "a", 1);
    w.change(a, 0, 1);
    CHECK(w.add_wire("top", "b", 1) == -1);
    CHECK(close_error(w).find("'top.b' is declared after the first value change") != std::string::npos);
  }
  SECTION("bad declarations") {
    struct Case { std::string scope, name; unsigned width; std::string message; };
    std::vector<Case> cases = {
        {"top", "a", 0, "width 0 is not in 1..64"},
        {"top", "a", 65, "width 65 is not in 1..64"},
        {"top", "two words", 1, "the name must be a non-empty word"},
        {"top", "", 1, "the name must be a non-empty word"},
        {"", "a", 1, "the scope path must be"},
        {"top..x", "a", 1, "the scope path must be"},
        {"top.", "a", 1, "the scope path must be"}};
    for (const Case& c : cases) {
      VcdWriter w(path);
      CHECK(w.add_wire(c.scope, c.name, c.width) == -1);
      CHECK(close_error(w).find(c.message) != std::string::npos);
    }
    VcdWriter twice(path);
    CHECK(twice.add_wire("top", "a", 1) == 0);
    CHECK(twice.add_wire("top", "a", 2) == -1);
    CHECK(close_error(twice).find("'top.a' is declared twice") != std::string::npos);
  }
  SECTION("bad timescale") {
    for (const char* scale : {"2ps", "1 xs", "ps", "1ps ", ""}) {
      VcdWriter w(path, scale);
      CHECK_FALSE(w.ok());
      CHECK(close_error(w).find("timescale '" + std::string(scale) + "' is not") != std::string::npos);
    }
  }
  SECTION("cannot open, cannot write") {
    VcdWriter missing("/nonexistent_dir_ec/w.vcd");
    CHECK(missing.add_wire("top", "a", 1) == -1);
    missing.change(0, 0, 1);
    CHECK(close_error(missing).find("cannot open VCD file '/nonexistent_dir_ec/w.vcd'") != std::string::npos);

    VcdWriter full("/dev/full");
    int a = full.add_wire("top", "a", 8);
    for (uint64_t t = 0; t < 100000; ++t) full.change(a, t, t & 0xff);
    CHECK(close_error(full).find("cannot write VCD file '/dev/full'") != std::string::npos);
  }
}

// The shared harness's Catch runner (no sockets here: the writers are plain C++).
int sc_main(int argc, char** argv) { return ec_test::run_catch(argc, argv); }
