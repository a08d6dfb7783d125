// Scenario loading: defaults, full and partial files, every class of error (with the key
// named in the message), --set overrides, range validation, YAML round trip, shipped files.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "epochcore/platform/scenario/scenario.h"

using namespace epochcore;
using Catch::Contains;
using Catch::StartsWith;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("ec_scenario_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

Scenario parse(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return parse_scenario(text, "t.yaml", overrides);
}

Scenario with_override(const std::string& o) { return parse("", {o}); }

void check_spad(const SpadConfig& a, const SpadConfig& b) {
  CHECK(a.size_kib == b.size_kib);
  CHECK(a.banks == b.banks);
  CHECK(a.ports == b.ports);
}

// Field by field, independent of the key table in scenario.cpp.
void check_same(const Scenario& a, const Scenario& b) {
  CHECK(a.name == b.name);
  CHECK(a.description == b.description);
  CHECK(a.array.rows == b.array.rows);
  CHECK(a.array.cols == b.array.cols);
  CHECK(a.array.segments == b.array.segments);
  CHECK(a.array.real_only == b.array.real_only);
  CHECK(a.array.selective == b.array.selective);
  CHECK(a.array.clock_mhz == b.array.clock_mhz);
  check_spad(a.spad_input, b.spad_input);
  check_spad(a.spad_param, b.spad_param);
  check_spad(a.spad_output, b.spad_output);
  CHECK(a.dma.bytes_per_cycle == b.dma.bytes_per_cycle);
  CHECK(a.dma.setup_cycles == b.dma.setup_cycles);
  CHECK(a.dma.burst_bytes == b.dma.burst_bytes);
  CHECK(a.dma.max_outstanding == b.dma.max_outstanding);
  CHECK(a.memory.size_mib == b.memory.size_mib);
  CHECK(a.memory.latency_ns == b.memory.latency_ns);
  CHECK(a.memory.bytes_per_ns == b.memory.bytes_per_ns);
  CHECK(a.host.quantum_ns == b.host.quantum_ns);
  CHECK(a.workload.kind.value() == b.workload.kind.value());
  CHECK(a.workload.channels == b.workload.channels);
  CHECK(a.workload.modes == b.workload.modes);
  CHECK(a.workload.length == b.workload.length);
  CHECK(a.workload.batch == b.workload.batch);
  CHECK(a.workload.init == b.workload.init);
  CHECK(a.workload.dt_min == b.workload.dt_min);
  CHECK(a.workload.dt_max == b.workload.dt_max);
  CHECK(a.workload.seed == b.workload.seed);
  CHECK(a.run.timing.value() == b.run.timing.value());
  CHECK(a.energy.tech == b.energy.tech);
  CHECK(a.energy.pe_clock_gating == b.energy.pe_clock_gating);
  CHECK(a.workload.bidirectional == b.workload.bidirectional);
  CHECK(a.workload.gemm_m == b.workload.gemm_m);
  CHECK(a.workload.gemm_n == b.workload.gemm_n);
  CHECK(a.workload.gemm_k == b.workload.gemm_k);
  CHECK(a.workload.model == b.workload.model);
  CHECK(a.workload.weights == b.workload.weights);
  CHECK(a.workload.inputs == b.workload.inputs);
  CHECK(a.workload.lengths == b.workload.lengths);
  CHECK(a.workload.reference == b.workload.reference);
  CHECK(a.precision.format.value() == b.precision.format.value());
  CHECK(a.vector.lanes == b.vector.lanes);
}

// Every key at a value other than its default.
const char* const kFullFile = R"(
name: full
description: every key set
array: {rows: 16, cols: 8, segments: false, real_only: true, selective: true, clock_mhz: 750.5}
scratchpad:
  input:  {size_kib: 1024, banks: 16, ports: 2}
  param:  {size_kib: 128, banks: 8, ports: 3}
  output: {size_kib: 2048, banks: 4, ports: 4}
dma: {bytes_per_cycle: 128, setup_cycles: 0, burst_bytes: 4096, max_outstanding: 8}
memory: {size_mib: 1024, latency_ns: 0, bytes_per_ns: 12.5}
host: {quantum_ns: 250}
workload:
  kind: s4d_layer
  channels: 512
  modes: 32
  length: 1024
  batch: 3
  init: s4d_inv
  dt_min: 0.0001
  dt_max: 0.5
  seed: 18446744073709551615
  gemm_m: 7
  gemm_n: 9
  gemm_k: 11
  reference: false
precision: {format: int8}
vector: {lanes: 7}
run: {timing: cycle}
)";

}  // namespace

TEST_CASE("scenario: defaults", "[scenario]") {
  const Scenario s = parse("");
  CHECK(s.name == "default");
  CHECK(s.description.empty());
  CHECK(s.array.rows == 32);
  CHECK(s.array.cols == 32);
  CHECK(s.array.segments);
  CHECK_FALSE(s.array.real_only);
  CHECK_FALSE(s.array.selective);
  CHECK(s.array.clock_mhz == 1000.0);
  CHECK(s.spad_input.size_kib == 4096);
  CHECK(s.spad_param.size_kib == 512);
  CHECK(s.spad_output.size_kib == 4096);
  CHECK(s.spad_param.banks == 32);
  CHECK(s.spad_input.banks == 512);
  CHECK(s.spad_output.banks == 512);
  CHECK(s.spad_output.ports == 2);
  CHECK(s.dma.bytes_per_cycle == 64);
  CHECK(s.dma.setup_cycles == 32);
  CHECK(s.dma.burst_bytes == 1024);
  CHECK(s.dma.max_outstanding == 4);
  CHECK(s.memory.size_mib == 256);
  CHECK(s.memory.latency_ns == 40.0);
  CHECK(s.memory.bytes_per_ns == 32.0);
  CHECK(s.host.quantum_ns == 1000.0);
  CHECK(s.workload.kind == WorkloadKind::S4dLayer);
  CHECK(s.workload.channels == 256);
  CHECK(s.workload.modes == 2);
  CHECK(s.workload.length == 2048);
  CHECK(s.workload.batch == 1);
  CHECK(s.workload.init == "s4d_lin");
  CHECK(s.workload.dt_min == 1e-3);
  CHECK(s.workload.dt_max == 1e-1);
  CHECK(s.workload.seed == 1);
  CHECK(s.workload.gemm_m == 256);
  CHECK(s.workload.gemm_n == 128);
  CHECK(s.workload.gemm_k == 256);
  CHECK(s.run.timing == Timing::Cycle);
  CHECK_NOTHROW(validate_scenario(Scenario{}));
  // Comments only, or empty sections, also mean defaults.
  check_same(parse("# nothing here\n"), Scenario{});
  check_same(parse("array:\nworkload:\n"), Scenario{});
}

TEST_CASE("scenario: a full file sets every key", "[scenario]") {
  const Scenario s = parse(kFullFile);
  CHECK(s.name == "full");
  CHECK(s.description == "every key set");
  CHECK(s.array.rows == 16);
  CHECK(s.array.cols == 8);
  CHECK_FALSE(s.array.segments);
  CHECK(s.array.real_only);
  CHECK(s.array.selective);
  CHECK(s.array.clock_mhz == 750.5);
  check_spad(s.spad_input, SpadConfig{1024, 16, 2});
  check_spad(s.spad_param, SpadConfig{128, 8, 3});
  check_spad(s.spad_output, SpadConfig{2048, 4, 4});
  CHECK(s.dma.bytes_per_cycle == 128);
  CHECK(s.dma.setup_cycles == 0);
  CHECK(s.dma.burst_bytes == 4096);
  CHECK(s.dma.max_outstanding == 8);
  CHECK(s.memory.size_mib == 1024);
  CHECK(s.memory.latency_ns == 0.0);
  CHECK(s.memory.bytes_per_ns == 12.5);
  CHECK(s.host.quantum_ns == 250.0);
  CHECK(s.workload.channels == 512);
  CHECK(s.workload.modes == 32);
  CHECK(s.workload.length == 1024);
  CHECK(s.workload.batch == 3);
  CHECK(s.workload.init == "s4d_inv");
  CHECK(s.workload.dt_min == 0.0001);
  CHECK(s.workload.dt_max == 0.5);
  CHECK(s.workload.seed == std::numeric_limits<uint64_t>::max());
  CHECK(s.workload.gemm_m == 7);
  CHECK(s.workload.gemm_n == 9);
  CHECK(s.workload.gemm_k == 11);
  CHECK_FALSE(s.workload.reference);
  CHECK(s.precision.format == numfmt::Format::INT8);
  CHECK(s.vector.lanes == 7);
}

TEST_CASE("scenario: a partial file keeps the other defaults", "[scenario]") {
  const Scenario s = parse("array:\n  rows: 8\nscratchpad:\n  param:\n    banks: 2\n"
                           "workload:\n  seed: 7\n");
  Scenario expected;
  expected.array.rows = 8;
  expected.spad_param.banks = 2;
  expected.workload.seed = 7;
  check_same(s, expected);
}

TEST_CASE("scenario: unknown keys name the path and suggest the nearest key", "[scenario]") {
  CHECK_THROWS_WITH(parse("array:\n  rowz: 4\n"),
                    StartsWith("t.yaml:2:3: ") &&
                        Contains("array.rowz: unknown key (did you mean array.rows?)"));
  CHECK_THROWS_WITH(parse("arry:\n  rows: 4\n"), Contains("arry: unknown key (did you mean array?)"));
  CHECK_THROWS_WITH(parse("workload:\n  lenght: 4\n"), Contains("(did you mean workload.length?)"));
  CHECK_THROWS_WITH(parse("scratchpad:\n  input:\n    bank: 4\n"),
                    Contains("scratchpad.input.bank: unknown key (did you mean scratchpad.input.banks?)"));
  CHECK_THROWS_WITH(parse("scratchpad:\n  inptu:\n    banks: 4\n"),
                    Contains("(did you mean scratchpad.input?)"));
  // A key in the wrong section points to where it belongs.
  CHECK_THROWS_WITH(parse("rows: 4\n"), Contains("rows: unknown key (did you mean array.rows?)"));
  // Nothing close: no suggestion.
  CHECK_THROWS_WITH(parse("array:\n  zzzzzzzz: 4\n"),
                    Contains("array.zzzzzzzz: unknown key") && !Contains("did you mean"));
}

TEST_CASE("scenario: wrong node kinds name the key", "[scenario]") {
  CHECK_THROWS_WITH(parse("array: 5\n"), Contains("array: expected a map of keys (rows, cols") &&
                                             Contains("got '5'"));
  CHECK_THROWS_WITH(parse("workload: [1, 2]\n"), Contains("workload: expected a map") && Contains("got a list"));
  CHECK_THROWS_WITH(parse("array:\n  rows: [1, 2]\n"),
                    Contains("array.rows: expected a positive integer, got a list"));
  CHECK_THROWS_WITH(parse("array:\n  rows: {a: 1}\n"),
                    Contains("array.rows: expected a positive integer, got a map"));
  CHECK_THROWS_WITH(parse("array:\n  rows:\n"),
                    StartsWith("t.yaml:2:3: ") &&
                        Contains("array.rows: expected a positive integer, got an empty value"));
  CHECK_THROWS_WITH(parse("name: {a: 1}\n"), Contains("name: expected a string, got a map"));
  CHECK_THROWS_WITH(parse("- a\n- b\n"), Contains("t.yaml") && Contains("top level must be a map"));
  CHECK_THROWS_WITH(parse("just text\n"), Contains("top level must be a map"));
}

TEST_CASE("scenario: type errors name key, value and expected type", "[scenario]") {
  CHECK_THROWS_WITH(parse("workload:\n  length: 2k\n"),
                    Contains("workload.length: expected a positive integer, got '2k'"));
  CHECK_THROWS_WITH(parse("workload:\n  length: 2.5\n"), Contains("workload.length") && Contains("'2.5'"));
  CHECK_THROWS_WITH(parse("workload:\n  batch: -1\n"), Contains("workload.batch") && Contains("'-1'"));
  CHECK_THROWS_WITH(parse("dma:\n  setup_cycles: -1\n"),
                    Contains("dma.setup_cycles: expected a non-negative integer, got '-1'"));
  CHECK_THROWS_WITH(parse("array:\n  rows: 4294967296\n"),
                    Contains("array.rows: value '4294967296' is too large (at most 4294967295)"));
  CHECK_THROWS_WITH(parse("workload:\n  seed: 18446744073709551616\n"),
                    Contains("workload.seed: value '18446744073709551616' is too large"));
  CHECK_THROWS_WITH(parse("array:\n  segments: yes\n"),
                    Contains("array.segments: expected true or false, got 'yes'"));
  CHECK_THROWS_WITH(parse("array:\n  segments: 1\n"), Contains("array.segments"));
  CHECK_THROWS_WITH(parse("array:\n  clock_mhz: fast\n"),
                    Contains("array.clock_mhz: expected a finite number, got 'fast'"));
  CHECK_THROWS_WITH(parse("array:\n  clock_mhz: .inf\n"), Contains("array.clock_mhz"));
  CHECK_THROWS_WITH(parse("array:\n  clock_mhz: .nan\n"), Contains("array.clock_mhz"));
  CHECK_THROWS_WITH(parse("memory:\n  bytes_per_ns: 1e999\n"), Contains("memory.bytes_per_ns"));
  // Accepted forms.
  CHECK_THROWS_WITH(parse("array:\n  clock_mhz: 0x10\n"), Contains("array.clock_mhz") && Contains("'0x10'"));
  CHECK_THROWS_WITH(parse("array:\n  clock_mhz: 1,5\n"), Contains("array.clock_mhz") && Contains("'1,5'"));
  CHECK(parse("array:\n  clock_mhz: 1e3\n").array.clock_mhz == 1000.0);
  CHECK(parse("array:\n  clock_mhz: +2.5\n").array.clock_mhz == 2.5);
  CHECK(parse("array:\n  rows: +16\n").array.rows == 16);
  CHECK(parse("array:\n  cols: 4096\n").array.cols == 4096);
}

TEST_CASE("scenario: duplicate keys, several documents and YAML syntax errors", "[scenario]") {
  CHECK_THROWS_WITH(parse("array:\n  rows: 4\n  rows: 8\n"),
                    StartsWith("t.yaml:3:3: ") && Contains("array.rows: duplicate key"));
  CHECK_THROWS_WITH(parse("name: a\n---\nname: b\n"), Contains("expected one YAML document, found 2"));
  CHECK_THROWS_WITH(parse("name: a\narray: [1, 2\n"),
                    StartsWith("t.yaml:") && Contains("YAML syntax error"));
  CHECK_THROWS_WITH(parse("a: 1\n  b: 2\n"), StartsWith("t.yaml:2:") && Contains("YAML syntax error"));
}

TEST_CASE("scenario: files: missing, directory, errors prefixed with the path", "[scenario]") {
  CHECK_THROWS_WITH(load_scenario("/nonexistent/dir/s.yaml"),
                    Contains("/nonexistent/dir/s.yaml") && Contains("cannot open"));
  const std::string good = write_temp("good.yaml", "array:\n  rows: 8\n");
  CHECK_THROWS_WITH(load_scenario(std::filesystem::path(good).parent_path().string()),
                    Contains("is a directory"));
  CHECK(load_scenario(good).array.rows == 8);
  CHECK(load_scenario(write_temp("empty.yaml", "")).array.rows == 32);
  const std::string bad = write_temp("bad.yaml", "array:\n  rowz: 8\n");
  CHECK_THROWS_WITH(load_scenario(bad), StartsWith(bad + ":2:3: ") && Contains("array.rowz"));
  // Out-of-range values from a file point at the line that set them.
  const std::string range = write_temp("range.yaml", "array:\n  rows: 0\n");
  CHECK_THROWS_WITH(load_scenario(range),
                    StartsWith(range + ":2:9: ") && Contains("array.rows: must be in 1..4096, got 0"));
}

TEST_CASE("scenario: overrides", "[scenario]") {
  const Scenario s = parse("", {"array.rows=16", "name = my run", "workload.init=s4d_inv",
                                "array.segments=false", "workload.dt_min=1e-4",
                                "workload.seed=42", "description=\"a: b\""});
  CHECK(s.array.rows == 16);
  CHECK(s.name == "my run");
  CHECK(s.workload.init == "s4d_inv");
  CHECK_FALSE(s.array.segments);
  CHECK(s.workload.dt_min == 1e-4);
  CHECK(s.workload.seed == 42);
  CHECK(s.description == "a: b");

  // Precedence: the file, then the overrides in order.
  const Scenario p = parse("array:\n  rows: 8\n  cols: 4\n", {"array.rows=16", "array.rows=24"});
  CHECK(p.array.rows == 24);
  CHECK(p.array.cols == 4);
  CHECK(load_scenario(write_temp("ovr.yaml", "workload:\n  length: 100\n"), {"workload.length=200"})
            .workload.length == 200);

  CHECK_THROWS_WITH(with_override("array.rowz=4"),
                    Contains("override 'array.rowz=4'") &&
                        Contains("array.rowz: unknown key (did you mean array.rows?)"));
  CHECK_THROWS_WITH(with_override("workloads.length=4"), Contains("did you mean workload.length?"));
  CHECK_THROWS_WITH(with_override("array.rows"),
                    Contains("override 'array.rows'") && Contains("no '=' found"));
  CHECK_THROWS_WITH(with_override("array.rows="), Contains("override 'array.rows='") && Contains("empty value"));
  CHECK_THROWS_WITH(with_override("=4"), Contains("override '=4'") && Contains("missing key"));
  CHECK_THROWS_WITH(with_override("array=4"), Contains("array is a section") && Contains("array.rows"));
  CHECK_THROWS_WITH(with_override("workload.length=2k"),
                    Contains("override 'workload.length=2k'") &&
                        Contains("workload.length: expected a positive integer, got '2k'"));
  CHECK_THROWS_WITH(with_override("array.rows=[1, 2]"), Contains("array.rows") && Contains("got a list"));
  CHECK_THROWS_WITH(with_override("description=a: b"),
                    Contains("description: expected a string, got a map") && Contains("quote"));
  CHECK_THROWS_WITH(with_override("array.rows=[1, 2"), Contains("array.rows: value is not valid YAML"));
  // An out-of-range value set by an override is blamed on the override, not the file.
  CHECK_THROWS_WITH(parse("array:\n  rows: 8\n", {"array.rows=0"}),
                    StartsWith("override 'array.rows=0': array.rows: must be in 1..4096"));
  // A check on two keys is blamed on whichever of them was set last.
  CHECK_THROWS_WITH(parse("workload:\n  dt_min: 0.01\n", {"workload.dt_max=0.001"}),
                    StartsWith("override 'workload.dt_max=0.001': workload.dt_min: must be less than"));
  CHECK_THROWS_WITH(parse("workload:\n  dt_max: 0.0001\n"),
                    StartsWith("t.yaml:2:11: workload.dt_min: must be less than workload.dt_max"));
}

TEST_CASE("scenario: validation ranges name the key and the allowed range", "[scenario]") {
  struct Case {
    const char* override_text;
    const char* message;
  };
  const Case bad[] = {
      {"array.rows=0", "array.rows: must be in 1..4096, got 0"},
      {"array.rows=4097", "array.rows: must be in 1..4096, got 4097"},
      {"array.cols=0", "array.cols: must be in 1..4096"},
      {"array.clock_mhz=0", "array.clock_mhz: must be a finite number > 0 and <= 100000, got 0"},
      {"array.clock_mhz=100000.5", "array.clock_mhz: must be a finite number > 0 and <= 100000"},
      {"scratchpad.input.size_kib=0", "scratchpad.input.size_kib: must be in 1..1048576"},
      {"scratchpad.param.size_kib=1048577", "scratchpad.param.size_kib: must be in 1..1048576"},
      {"scratchpad.output.banks=0", "scratchpad.output.banks: must be in 1..65535"},
      {"scratchpad.output.banks=65536", "scratchpad.output.banks: must be in 1..65535"},
      {"scratchpad.input.ports=65", "scratchpad.input.ports: must be in 1..64"},
      {"scratchpad.param.ports=0", "scratchpad.param.ports: must be in 1..64"},
      {"dma.bytes_per_cycle=2", "dma.bytes_per_cycle: must be in 4..65536"},
      {"dma.bytes_per_cycle=65540", "dma.bytes_per_cycle: must be in 4..65536"},
      {"dma.bytes_per_cycle=6", "dma.bytes_per_cycle: must be a multiple of 4, got 6"},
      {"dma.burst_bytes=1048580", "dma.burst_bytes: must be in 4..1048576"},
      {"dma.burst_bytes=1022", "dma.burst_bytes: must be a multiple of 4, got 1022"},
      {"dma.max_outstanding=0", "dma.max_outstanding: must be in 1..1024"},
      {"dma.max_outstanding=1025", "dma.max_outstanding: must be in 1..1024"},
      {"dma.setup_cycles=1000001", "dma.setup_cycles: must be in 0..1000000"},
      {"memory.size_mib=0", "memory.size_mib: must be in 1..65536"},
      {"memory.size_mib=65537", "memory.size_mib: must be in 1..65536"},
      {"memory.latency_ns=-1", "memory.latency_ns: must be a finite number >= 0 and <= 1000000, got -1"},
      {"memory.latency_ns=1e300", "memory.latency_ns: must be a finite number >= 0 and <= 1000000, got 1e+300"},
      {"memory.bytes_per_ns=0", "memory.bytes_per_ns: must be a finite number >= 0.001, got 0"},
      {"memory.bytes_per_ns=1e-300", "memory.bytes_per_ns: must be a finite number >= 0.001"},
      {"host.quantum_ns=-5", "host.quantum_ns: must be a finite number > 0"},
      {"host.quantum_ns=1e300", "host.quantum_ns: must be a finite number > 0 and <= 1000000000"},
      {"workload.kind=s5", "workload.kind: must be one of s4d_layer, gemm, s4_model, got 's5'"},
      {"workload.channels=0", "workload.channels: must be in 1.."},
      {"workload.modes=0", "workload.modes: must be in 1.."},
      {"workload.length=0", "workload.length: must be in 1..16777216"},
      {"workload.length=16777217", "workload.length: must be in 1..16777216"},
      {"workload.batch=0", "workload.batch: must be in 1.."},
      {"workload.init=s4d_lni",
       "workload.init: must be one of s4d_lin, s4d_inv, s4d_real, got 's4d_lni' (did you mean s4d_lin?)"},
      {"workload.dt_min=0", "workload.dt_min: must be a finite number > 0"},
      {"workload.dt_min=0.2", "workload.dt_min: must be less than workload.dt_max (0.1), got 0.2"},
      {"workload.dt_max=0.001", "workload.dt_min: must be less than workload.dt_max (0.001)"},
      {"run.timing=approx", "run.timing: must be one of cycle, fast, got 'approx'"},
  };
  for (const Case& c : bad) {
    INFO(c.override_text);
    CHECK_THROWS_WITH(with_override(c.override_text), Contains(c.message));
  }
  // Products: the state count (channels*modes*batch) and the tensor size (channels*length*batch).
  CHECK_THROWS_WITH(parse("", {"workload.channels=65536", "workload.modes=8192"}),
                    Contains("channels * modes * batch must be at most 268435456"));
  CHECK_THROWS_WITH(parse("", {"workload.channels=1048576", "workload.length=8192"}),
                    Contains("channels * length * batch must be at most 4294967296"));
  // The edges of each range are allowed.
  CHECK_NOTHROW(parse("", {"array.rows=4096", "array.cols=1", "array.clock_mhz=100000",
                           "scratchpad.input.size_kib=1048576", "scratchpad.input.banks=65535",
                           "scratchpad.input.ports=64", "dma.bytes_per_cycle=65536",
                           "dma.burst_bytes=4", "dma.max_outstanding=1024",
                           "dma.setup_cycles=1000000", "memory.size_mib=65536",
                           "memory.latency_ns=0", "workload.length=16777216",
                           "workload.init=s4d_real"}));
  // validate_scenario on a scenario built in code: no location prefix, non-finite rejected.
  Scenario s;
  s.array.clock_mhz = std::nan("");
  CHECK_THROWS_WITH(validate_scenario(s), StartsWith("array.clock_mhz: must be a finite number"));
  s = Scenario{};
  s.host.quantum_ns = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(validate_scenario(s), StartsWith("host.quantum_ns:"));
  s = Scenario{};
  s.memory.latency_ns = std::nan("");
  CHECK_THROWS_WITH(validate_scenario(s), StartsWith("memory.latency_ns:"));
}

TEST_CASE("scenario: scenario_to_yaml round-trips every key", "[scenario]") {
  Scenario s = parse(kFullFile);
  s.name = "quote \" colon: hash # ~ and\nnewline";
  s.description = "true";
  s.array.clock_mhz = 1000.0 / 3.0;
  s.memory.bytes_per_ns = 6.02e23;
  s.workload.dt_min = 1e-300;
  s.workload.dt_max = 0.1 + 0.2;
  const std::string text = scenario_to_yaml(s);
  INFO(text);
  check_same(parse_scenario(text, "emitted"), s);

  const std::string defaults = scenario_to_yaml(Scenario{});
  check_same(parse_scenario(defaults, "emitted"), Scenario{});
  CHECK_THAT(defaults, Contains("scratchpad:\n  input:\n    size_kib: 4096\n    banks: 512\n    ports: 1\n"));
  CHECK_THAT(defaults, Contains("clock_mhz: 1000.0\n"));
  CHECK_THAT(defaults, Contains("dt_min: 0.001\n"));
  CHECK_THAT(defaults, Contains("description: \"\"\n"));
  CHECK_THAT(defaults, Contains("run:\n  timing: \"cycle\"\n"));
}

TEST_CASE("scenario: the shipped scenario files load and validate", "[scenario]") {
  const std::string dir = std::string(EC_SOURCE_DIR) + "/scenarios/";
  const Scenario d = load_scenario(dir + "default.yaml");
  CHECK_NOTHROW(validate_scenario(d));
  Scenario expected;  // the default run is the struct defaults, written out
  expected.description = d.description;
  check_same(d, expected);
  CHECK(d.array.rows == 32);
  CHECK(d.workload.channels == 256);
  CHECK(d.workload.modes == 2);
  CHECK(d.workload.length == 2048);

  Scenario off = load_scenario(dir + "examples/segments_off.yaml");
  CHECK_FALSE(off.array.segments);
  CHECK(off.name == "segments_off");
  off.array.segments = true;
  off.name = d.name;
  off.description = d.description;
  check_same(off, d);

  const Scenario image = load_scenario(dir + "examples/image_layer.yaml");
  CHECK(image.workload.channels == 512);
  CHECK(image.workload.modes == 32);
  CHECK(image.workload.length == 1024);
  CHECK(image.array.segments);
}

TEST_CASE("scenario: workload.kind gemm and its keys are validated by name", "[scenario][gemm]") {
  const Scenario g = parse("workload: {kind: gemm, gemm_m: 5, gemm_n: 6, gemm_k: 7}\n");
  CHECK(g.workload.kind == WorkloadKind::Gemm);
  CHECK(g.workload.gemm_m == 5);
  CHECK(g.workload.gemm_n == 6);
  CHECK(g.workload.gemm_k == 7);
  CHECK_THROWS_WITH(parse("workload: {kind: gemn}\n"),
                    Contains("workload.kind: must be one of s4d_layer, gemm, s4_model, got 'gemn' (did you mean gemm?)"));
  CHECK_THROWS_WITH(parse("workload: {gemm_m: 0}\n"), Contains("t.yaml:1:20: workload.gemm_m: must be in 1..1048576, got 0"));
  CHECK_THROWS_WITH(with_override("workload.gemm_n=65537"),
                    Contains("workload.gemm_n: must be in 1..65536, got 65537"));
  CHECK_THROWS_WITH(with_override("workload.gemm_k=70000"), Contains("workload.gemm_k: must be in 1..65536"));
  CHECK_THROWS_WITH(with_override("workload.gemm_m=2000000"), Contains("workload.gemm_m: must be in 1..1048576"));
  // 2^20 x 2^9 = 2^29 floats of A: too large, named by its dimension.
  CHECK_THROWS_WITH(parse("workload: {gemm_m: 1048576, gemm_k: 512}\n"),
                    Contains("workload.gemm_m: gemm_m * gemm_k (A) must be at most 268435456 (2^28) floats, got 536870912"));
  CHECK_THROWS_WITH(parse("workload: {gemm_m: 1, gemm_k: 65536, gemm_n: 8192}\n"),
                    Contains("workload.gemm_k: gemm_k * gemm_n (B) must be at most 268435456"));
  CHECK_NOTHROW(parse("workload: {gemm_m: 1048576, gemm_k: 256, gemm_n: 256}\n"));

  const Scenario shipped = load_scenario(std::string(EC_SOURCE_DIR) + "/scenarios/gemm/scalesim_256x128x256.yaml");
  CHECK(shipped.workload.kind == WorkloadKind::Gemm);
  CHECK(shipped.workload.gemm_m == 256);
  CHECK(shipped.workload.gemm_n == 128);
  CHECK(shipped.workload.gemm_k == 256);
  CHECK(shipped.array.rows == 32);
  CHECK(shipped.array.cols == 32);
  // Round trip through YAML keeps the gemm keys.
  check_same(parse(scenario_to_yaml(g)), g);
}

TEST_CASE("scenario: workload.kind s4_model, precision and vector keys", "[scenario][model]") {
  const Scenario m = parse("workload: {kind: s4_model, model: pathx, batch: 4}\nprecision: {format: bf16}\n");
  CHECK(m.workload.kind == WorkloadKind::S4Model);
  CHECK(m.workload.model == "pathx");
  CHECK(m.workload.weights.empty());
  CHECK(m.workload.reference);
  CHECK(m.precision.format == numfmt::Format::BF16);
  CHECK(m.vector.lanes == 32);
  check_same(parse(scenario_to_yaml(m)), m);
  // s4_model ignores channels, modes and length: their products with batch are not checked.
  CHECK_NOTHROW(parse("workload: {kind: s4_model, model: listops, batch: 65536}\n"));
  CHECK_NOTHROW(parse("workload: {kind: gemm, batch: 65536, length: 16777216}\n"));
  CHECK_THROWS_WITH(parse("workload: {batch: 65536}\n"), Contains("workload.length: channels * length * batch"));
  CHECK_THROWS_WITH(parse("workload: {kind: s4_model}\n"),
                    Contains("workload.model: must name an LRA task"));
  CHECK_THROWS_WITH(parse("workload: {model: pathx}\n"),
                    Contains("workload.model: applies only to workload.kind s4_model, got kind 's4d_layer'"));
  CHECK_THROWS_WITH(parse("workload: {kind: s4_model, model: m.yaml, lengths: l.npy}\n"),
                    Contains("workload.lengths: needs workload.inputs"));
  CHECK_THROWS_WITH(parse("precision: {format: fp8}\n"),
                    Contains("precision.format: must be one of fp32, bf16, fp16, int16, int8, got 'fp8'"));
  CHECK_THROWS_WITH(parse("precision: {format: bf61}\n"), Contains("(did you mean bf16?)"));
  CHECK_THROWS_WITH(parse("vector: {lanes: 0}\n"), Contains("vector.lanes: must be in 1..65535, got 0"));
  CHECK_THROWS_WITH(parse("vectr: {lanes: 4}\n"), Contains("vectr: unknown key (did you mean vector?)"));

  for (const char* task : {"listops", "text", "retrieval", "image", "pathfinder", "pathx"}) {
    const Scenario lra = load_scenario(std::string(EC_SOURCE_DIR) + "/scenarios/lra/" + task + ".yaml");
    CHECK(lra.workload.kind == WorkloadKind::S4Model);
    CHECK(lra.workload.model == task);
    CHECK(lra.run.timing == Timing::Fast);
    CHECK(lra.precision.format == numfmt::Format::FP32);
  }
}

TEST_CASE("scenario: enum-valued keys are parsed once, at load", "[scenario][enum]") {
  const Scenario s = parse("workload: {kind: gemm}\nprecision: {format: fp16}\nrun: {timing: fast}\n");
  CHECK(s.workload.kind == WorkloadKind::Gemm);
  CHECK(s.precision.format == numfmt::Format::FP16);
  CHECK(s.run.timing == Timing::Fast);
  CHECK(s.workload.kind.name() == "gemm");
  CHECK(s.precision.format.name() == "fp16");
  CHECK(s.run.timing.name() == "fast");
  // Every accepted name maps to its own value and prints back the same.
  for (const std::string n : {"fp32", "bf16", "fp16", "int16", "int8"}) {
    const Scenario f = parse("", {"precision.format=" + n});
    CHECK(f.precision.format.name() == n);
    CHECK(f.precision.format.value() == numfmt::parse_format(n, "test"));
  }
  // The message names the key and the accepted values, with the file's line and column.
  CHECK_THROWS_WITH(parse("run:\n  timing: fats\n"),
                    StartsWith("t.yaml:2:11: run.timing: must be one of cycle, fast, got 'fats' (did you mean fast?)"));
  CHECK_THROWS_WITH(parse("", {"precision.format=fp8"}),
                    StartsWith("override 'precision.format=fp8': precision.format: must be one of fp32, bf16, "
                               "fp16, int16, int8, got 'fp8'"));
  CHECK_THROWS_WITH(parse("workload: {kind: [gemm]}\n"), Contains("workload.kind: expected a string, got a list"));
  // Set in code (the transitional string spelling): unknown names are refused.
  Scenario c;
  c.run.timing = "fast";
  CHECK(c.run.timing == Timing::Fast);
  CHECK_THROWS_AS(c.run.timing = "slow", ScenarioError);
  CHECK(c.run.timing == Timing::Fast);
}

TEST_CASE("scenario: scenario_to_json mirrors the YAML keys", "[scenario]") {
  const Scenario s = parse(kFullFile);
  const nlohmann::json j = scenario_to_json(s);
  CHECK(j["name"] == "full");
  CHECK(j["array"]["rows"] == 16);
  CHECK(j["array"]["segments"] == false);
  CHECK(j["array"]["clock_mhz"] == 750.5);
  CHECK(j["scratchpad"]["param"]["banks"] == s.spad_param.banks);
  CHECK(j["workload"]["kind"] == s.workload.kind.name());
  CHECK(j["precision"]["format"] == "int8");
  CHECK(j["run"]["timing"] == "cycle");
  CHECK(j["workload"]["seed"] == s.workload.seed);
  // The same keys as the YAML, no more, no fewer: count the leaves of both.
  size_t leaves = 0;
  for (const auto& section : j.items())
    leaves += section.value().is_object()
                  ? [&] {
                      size_t n = 0;
                      for (const auto& k : section.value().items()) n += k.value().is_object() ? k.value().size() : 1;
                      return n;
                    }()
                  : 1;
  const std::string yaml = scenario_to_yaml(s);
  size_t yaml_leaves = 0;
  std::istringstream lines(yaml);
  for (std::string line; std::getline(lines, line);)
    if (line.find(": ") != std::string::npos) ++yaml_leaves;
  CHECK(leaves == yaml_leaves);
}
