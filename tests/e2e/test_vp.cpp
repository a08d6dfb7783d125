// End-to-end tests: run the built simulator (epochcore-vp) as a user does and check its
// report and output files against the double-precision reference, the closed-form ProDF
// timing, and files written by an independent tool (numpy).
#include <algorithm>
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/maths/energy/energy_model.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/io/tech_table_file.h"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace epochcore;

// Flip once the firmware and the simulation handle workload.bidirectional.
constexpr bool kBidirectionalSupported = true;

namespace {

fs::path temp_dir() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("epochcore-e2e-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

struct VpRun {
  int exit_code = -1;
  std::string out, err;
  json report;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs epochcore-vp with `args` (already shell-quoted where needed).
VpRun run_vp(const std::string& args) {
  static int n = 0;
  const fs::path base = temp_dir() / ("run" + std::to_string(++n));
  const std::string report = base.string() + ".json";
  const std::string cmd = std::string("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 '") + EC_VP + "' " + args +
                          " --report '" + report + "' > '" + base.string() + ".out' 2> '" + base.string() +
                          ".err'";
  VpRun r;
  const int st = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(base.string() + ".out");
  r.err = slurp(base.string() + ".err");
  if (fs::exists(report)) r.report = json::parse(slurp(report));
  return r;
}

struct Shape {
  uint32_t H, M, L, B, rows, cols;
  bool segments;
  uint32_t spad_kib, banks;
  uint32_t out_ports = 1;  // the output scratchpad's ports (the others have 1)
  bool bidirectional = false;
  bool segment_direction = false;  // the per-segment direction option (array.segment_direction)
};

std::string shape_args(const Shape& s) {
  std::ostringstream a;
  a << " --set workload.channels=" << s.H << " --set workload.modes=" << s.M << " --set workload.length=" << s.L
    << " --set workload.batch=" << s.B << " --set array.rows=" << s.rows << " --set array.cols=" << s.cols
    << " --set array.segments=" << (s.segments ? "true" : "false")
    << " --set workload.bidirectional=" << (s.bidirectional ? "true" : "false")
    << " --set array.segment_direction=" << (s.segment_direction ? "true" : "false");
  for (const char* buf : {"input", "param", "output"})
    a << " --set scratchpad." << buf << ".size_kib=" << s.spad_kib << " --set scratchpad." << buf
      << ".banks=" << s.banks << " --set scratchpad." << buf << ".ports="
      << (std::string(buf) == "output" ? s.out_ports : 1);
  return a.str();
}

// The closed-form array cycles of the firmware's stream for this shape.
struct Expected {
  uint64_t load_cycles = 0, pass_cycles = 0, stall_in = 0, stall_out = 0, active = 0;
};

fw::S4dPlan plan_of(const Shape& s);

Expected closed_form(const Shape& s) {
  fw::AccelInfo hw;
  hw.rows = s.rows;
  hw.cols = s.cols;
  hw.segments = s.segments;
  hw.segment_direction = s.segment_direction;
  for (int i = 0; i < 3; ++i) {
    hw.spad_bytes[i] = s.spad_kib * 1024;
    hw.spad_banks[i] = s.banks;
    hw.spad_ports[i] = i == 2 ? s.out_ports : 1;
  }
  fw::S4dLayerJob job;
  job.H = s.H;
  job.M = s.M;
  job.L = s.L;
  job.B = s.B;
  job.directions = s.bidirectional ? 2 : 1;
  job.workspace_addr = 1 << 20;
  job.workspace_bytes = 64u << 20;
  fw::S4dPlan plan;
  char why[256];
  why[0] = 0;
  const bool planned = fw::plan_s4d_layer(hw, job, &plan, why, sizeof why);
  INFO(why);
  REQUIRE(planned);
  const timing::FeedGeometry g{s.banks, 1}, g_out{s.banks, s.out_ports};
  Expected e;
  uint32_t n_seg = 0, seg_len = 0, n_rev = 0;
  for (const cmd::Record& r : fw::build_s4d_stream(plan, job)) {
    if (cmd::opcode_of(r) == cmd::Opcode::LOAD_COEFFS) {
      const cmd::LoadCoeffs c = cmd::decode_load_coeffs(r);
      n_seg = c.n_seg;
      seg_len = c.seg_len;
      n_rev = c.rev_segs;
      e.load_cycles += timing::load_coeffs_cycles(n_seg, seg_len, s.cols, g);
    } else if (cmd::opcode_of(r) == cmd::Opcode::RUN_SSM) {
      const cmd::RunSsm c = cmd::decode_run_ssm(r);
      const timing::SsmPassShape p = timing::ssm_pass_shape(c, s.rows, s.cols, s.segments, n_seg, seg_len, n_rev);
      const timing::SsmPassTiming t = timing::ssm_pass(p, g, g_out);
      e.pass_cycles += t.cycles;
      e.stall_in += t.stall_input;
      e.stall_out += t.stall_output;
      e.active += t.active_pe_cycles;
    }
  }
  return e;
}

fw::S4dPlan plan_of(const Shape& s) {
  fw::AccelInfo hw;
  hw.rows = s.rows;
  hw.cols = s.cols;
  hw.segments = s.segments;
  hw.segment_direction = s.segment_direction;
  for (int i = 0; i < 3; ++i) {
    hw.spad_bytes[i] = s.spad_kib * 1024;
    hw.spad_banks[i] = s.banks;
    hw.spad_ports[i] = i == 2 ? s.out_ports : 1;
  }
  fw::S4dLayerJob job;
  job.H = s.H;
  job.M = s.M;
  job.L = s.L;
  job.B = s.B;
  job.directions = s.bidirectional ? 2 : 1;
  job.workspace_addr = 1 << 20;
  job.workspace_bytes = 64u << 20;
  fw::S4dPlan plan;
  char why[256] = {};
  INFO(why);
  REQUIRE(fw::plan_s4d_layer(hw, job, &plan, why, sizeof why));
  return plan;
}

void check_run(const Shape& s, const VpRun& r) {
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json& rep = r.report;
  CHECK(rep["status"] == "ok");
  CHECK(rep["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
  const Expected e = closed_form(s);
  const json& ac = rep["array_counters"];
  CHECK(ac["load_cycles"].get<uint64_t>() == e.load_cycles);
  CHECK(ac["pass_cycles"].get<uint64_t>() == e.pass_cycles);
  CHECK(ac["stall_input_cycles"].get<uint64_t>() == e.stall_in);
  CHECK(ac["stall_output_cycles"].get<uint64_t>() == e.stall_out);
  CHECK(ac["active_pe_cycles"].get<uint64_t>() == e.active);
  const double util = double(e.active) / (double(s.rows) * s.cols * double(e.load_cycles + e.pass_cycles));
  CHECK(rep["pe_utilization"].get<double>() == Approx(util).epsilon(1e-12));
}

std::string python_with_numpy() {
  for (const char* p : {"/usr/bin/python3", "python3"})
    if (std::system((std::string(p) + " -c 'import numpy' > /dev/null 2>&1").c_str()) == 0) return p;
  return "";
}

const Shape kGrid[] = {
    // H  M   L   B rows cols seg  KiB banks
    {8, 2, 64, 1, 4, 8, true, 64, 8},     // segments: 4 per row
    {8, 2, 64, 1, 4, 8, false, 64, 8},    // one channel per row, output at the east edge
    {20, 3, 50, 1, 4, 8, true, 64, 8},    // M does not divide C; H*M > R*C: folds
    {5, 8, 40, 1, 2, 8, true, 64, 4},     // M == C
    {3, 12, 30, 1, 2, 8, true, 64, 4},    // M > C: two passes with accumulation
    {3, 17, 30, 1, 2, 8, false, 64, 4},   // three passes with padding modes
    {6, 2, 300, 2, 2, 4, true, 1, 2},     // batch 2, 1 KiB scratchpads: time chunks
    {16, 4, 128, 1, 4, 4, true, 64, 1},   // one bank: input stalls every beat
    {1, 1, 1, 1, 1, 1, true, 64, 1},      // the smallest layer
    {3, 12, 30, 1, 2, 8, true, 64, 4, 2}, // passes accumulating into a dual-ported output
};

}  // namespace

TEST_CASE("S4D layers match the reference and the closed-form timing over a grid", "[e2e][grid]") {
  for (Shape s : kGrid) {
    for (bool bidir : {false, true}) {
      s.bidirectional = bidir;
      DYNAMIC_SECTION("H=" << s.H << " M=" << s.M << " L=" << s.L << " B=" << s.B << " array " << s.rows << "x"
                           << s.cols << (s.segments ? " seg" : " noseg") << " " << s.spad_kib << "KiB/"
                           << s.banks << "banks" << (bidir ? " bidirectional" : "")) {
        check_run(s, run_vp(shape_args(s)));
      }
    }
  }
}

TEST_CASE("ProDF utilisation on a 32x32 array: segments on, off, and a narrow feed", "[e2e][utilisation]") {
  // H=512, M=2: 1024 channel-mode slots on 1024 PEs.
  Shape wide{512, 2, 2048, 1, 32, 32, true, 8192, 512};
  const VpRun on = run_vp(shape_args(wide));
  check_run(wide, on);
  CHECK(on.report["pe_utilization"].get<double>() >= 0.9);
  CHECK(on.report["array_counters"]["stall_input_cycles"].get<uint64_t>() == 0);

  Shape off = wide;
  off.segments = false;
  const VpRun r_off = run_vp(shape_args(off));
  check_run(off, r_off);  // equals the closed form exactly
  const double u_off = r_off.report["pe_utilization"].get<double>();
  CHECK(u_off == Approx(2.0 / 32).epsilon(0.05));  // about M/C

  Shape narrow = wide;
  narrow.banks = 32;
  const VpRun r_narrow = run_vp(shape_args(narrow));
  check_run(narrow, r_narrow);
  CHECK(r_narrow.report["array_counters"]["stall_input_cycles"].get<uint64_t>() > 0);
  CHECK(r_narrow.report["pe_utilization"].get<double>() < 0.2);
}

TEST_CASE("parameters and inputs written by numpy give numpy's answer", "[e2e][python]") {
  const std::string py = python_with_numpy();
  INFO("python3 with numpy is a dependency (./epochcore deps installs python3-numpy)");
  REQUIRE(!py.empty());
  const fs::path dir = temp_dir() / "numpy";
  fs::create_directories(dir);
  REQUIRE(std::system((py + " '" EC_SOURCE_DIR "/tests/python/make_test_files.py' '" + dir.string() + "'").c_str()) ==
          0);
  const std::string params = " --params '" + (dir / "params.safetensors").string() + "'";
  struct Case {
    const char* input;
    const char* expected;
    const char* array;
  } cases[] = {
      {"input.npy", "expected.npy", ""},
      {"input_batch.npy", "expected_batch.npy", ""},
      {"input.npy", "expected.npy", " --set array.rows=1 --set array.cols=1"},  // 6 folds of 1 PE
      {"input_batch.npy", "expected_batch.npy", " --set array.segments=false --set array.rows=2"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.input << c.array) {
      const fs::path out = dir / (std::string("out_") + std::to_string(std::hash<std::string>()(c.array)) + c.input);
      const VpRun r = run_vp(params + " --input '" + (dir / c.input).string() + "' --output '" + out.string() + "'" +
                             c.array);
      INFO(r.err);
      REQUIRE(r.exit_code == 0);
      const io::NpyArray y = io::read_npy(out.string());
      const io::NpyArray want = io::read_npy((dir / c.expected).string());
      CHECK(y.dtype == "f4");
      REQUIRE(y.shape == want.shape);
      double max_abs = 0, ref_max = 0;
      for (size_t i = 0; i < y.data.size(); ++i) {
        max_abs = std::max(max_abs, std::abs(y.data[i] - want.data[i]));
        ref_max = std::max(ref_max, std::abs(want.data[i]));
      }
      CHECK(max_abs / ref_max <= 1e-5);
      // The simulator's own reference agrees with numpy's too.
      CHECK(r.report["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
    }
  }
}

TEST_CASE("bad input is refused with a message naming the problem", "[e2e][errors]") {
  const fs::path dir = temp_dir() / "bad";
  fs::create_directories(dir);
  {
    std::ofstream(dir / "garbage.npy") << "this is not an npy file";
    std::ofstream(dir / "bad.yaml") << "array:\n  rowz: 4\n";
    std::vector<float> x(2 * 10, 1.0f);
    io::write_npy_f32((dir / "wrong_h.npy").string(), {2, 10}, x.data());
  }
  struct Case {
    std::string args;
    int exit_code;
    std::vector<std::string> says;
  } cases[] = {
      {"--params '" + (dir / "missing.safetensors").string() + "'", 2, {"missing.safetensors"}},
      {"--input '" + (dir / "garbage.npy").string() + "'", 2, {"garbage.npy"}},
      {"--input '" + (dir / "wrong_h.npy").string() + "' --set workload.channels=4", 2, {"wrong_h.npy", "H = 4"}},
      {"'" + (dir / "bad.yaml").string() + "'", 2, {"array.rowz", "did you mean array.rows"}},
      {"--set array.rows=0", 2, {"array.rows"}},
      {"--set nosuch.key=1", 2, {"nosuch.key"}},
      {"--frobnicate", 2, {"unknown option"}},
      {"--set memory.size_mib=1 --set workload.channels=256 --set workload.length=4096", 2, {"memory.size_mib"}},
      // The firmware refuses complex parameters on real-only PEs: exit 1 with its message.
      {"--set array.real_only=true --set workload.channels=4 --set workload.length=8", 1, {"real-only", "A_imag"}},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.args) {
      const VpRun r = run_vp(c.args);
      INFO(r.err);
      CHECK(r.exit_code == c.exit_code);
      for (const std::string& s : c.says) CHECK(r.err.find(s) != std::string::npos);
    }
  }
}

TEST_CASE("S4D-Real parameters run on real-only PEs", "[e2e]") {
  const VpRun r = run_vp("--set array.real_only=true --set workload.init=s4d_real --set workload.channels=16 "
                         "--set workload.modes=4 --set workload.length=256");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.report["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
}

TEST_CASE("fast and cycle timing agree bit for bit and cycle for cycle", "[e2e][parity]") {
  const fs::path dir = temp_dir() / "parity";
  fs::create_directories(dir);
  int n = 0;
  for (const Shape& s : kGrid) {
    for (const char* extra : {"", " --set workload.bidirectional=true"}) {
      if (std::string(extra).size() && !kBidirectionalSupported) continue;
      DYNAMIC_SECTION("H=" << s.H << " M=" << s.M << " L=" << s.L << " B=" << s.B << " array " << s.rows << "x"
                           << s.cols << (s.segments ? " seg" : " noseg") << extra) {
        const std::string base = (dir / std::to_string(++n)).string();
        const VpRun cyc = run_vp(shape_args(s) + extra + " --set run.timing=cycle --output '" + base + "c.npy'");
        const VpRun fst = run_vp(shape_args(s) + extra + " --set run.timing=fast --output '" + base + "f.npy'");
        INFO(cyc.err << fst.err);
        REQUIRE(cyc.exit_code == 0);
        REQUIRE(fst.exit_code == 0);
        CHECK(slurp(base + "c.npy") == slurp(base + "f.npy"));
        CHECK(cyc.report["cycles"] == fst.report["cycles"]);
        CHECK(cyc.report["simulated_seconds"] == fst.report["simulated_seconds"]);
        CHECK(cyc.report["array_counters"] == fst.report["array_counters"]);
        CHECK(cyc.report["pe_states"] == fst.report["pe_states"]);
        CHECK(cyc.report["dma"] == fst.report["dma"]);
        CHECK(cyc.report["scratchpads"] == fst.report["scratchpads"]);
      }
    }
  }
}

TEST_CASE("per-command records and stall causes add up; slower DMA shows as DMA wait", "[e2e][counters]") {
  const std::string base = " --set workload.channels=32 --set workload.length=512";
  const VpRun fast_dma = run_vp(base);
  const VpRun slow_dma = run_vp(base + " --set dma.bytes_per_cycle=8");
  const VpRun slow_mem = run_vp(base + " --set memory.latency_ns=400");
  for (const VpRun* r : {&fast_dma, &slow_dma, &slow_mem}) {
    INFO(r->err);
    REQUIRE(r->exit_code == 0);
    const json& rep = r->report;
    uint64_t array_cycles = 0, stall_in = 0, dma_bytes = 0, dma_cycles = 0, wait_dma = 0;
    for (const json& c : rep["commands"]) {
      CHECK(c["end_cycle"].get<uint64_t>() >= c["start_cycle"].get<uint64_t>());
      if (c["unit"] == "array") {
        array_cycles += c["cycles"].get<uint64_t>();
        stall_in += c["stall_input_cycles"].get<uint64_t>();
      } else if (c["unit"] == "dma") {
        dma_bytes += c["bytes"].get<uint64_t>();
        dma_cycles += c["cycles"].get<uint64_t>();
      } else {
        wait_dma += c["wait_dma_cycles"].get<uint64_t>();
      }
    }
    CHECK(array_cycles == rep["array_counters"]["busy_cycles"].get<uint64_t>());
    CHECK(stall_in == rep["stalls"]["input_feed_cycles"].get<uint64_t>());
    CHECK(dma_bytes == rep["dma"]["bytes_to_spad"].get<uint64_t>() + rep["dma"]["bytes_from_spad"].get<uint64_t>());
    CHECK(dma_cycles == rep["dma"]["busy_cycles"].get<uint64_t>());
    CHECK(wait_dma == rep["stalls"]["dma_wait_cycles"].get<uint64_t>());
    CHECK(rep["memory"]["bytes_read"].get<uint64_t>() >= rep["dma"]["bytes_to_spad"].get<uint64_t>());
  }
  const uint64_t w0 = fast_dma.report["stalls"]["dma_wait_cycles"];
  CHECK(slow_dma.report["stalls"]["dma_wait_cycles"].get<uint64_t>() > 4 * w0);
  CHECK(slow_mem.report["stalls"]["dma_wait_cycles"].get<uint64_t>() > w0);
  // The array's own work does not change with the DMA.
  CHECK(slow_dma.report["array_counters"] == fast_dma.report["array_counters"]);
}

TEST_CASE("trace option writes a trace-event timeline, vcd option a waveform", "[e2e][trace]") {
  const fs::path dir = temp_dir() / "trace";
  fs::create_directories(dir);
  const std::string trace = (dir / "t.json").string(), vcd = (dir / "t.vcd").string();
  const VpRun r = run_vp("--set workload.channels=8 --set workload.length=64 --set workload.bidirectional=true"
                         " --trace '" + trace + "' --vcd '" + vcd + "'");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json t = json::parse(slurp(trace));
  size_t complete = 0, passes = 0;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X") {
      ++complete;
      CHECK(e["dur"].get<double>() >= 0);
      if (e["name"] == "RUN_SSM") ++passes;
    }
  }
  CHECK(complete == r.report["commands"].size());  // one slice per executed operation
  CHECK(passes == r.report["array_counters"]["passes"].get<uint64_t>());
  // Counter tracks: array utilisation in [0, 1], back to 0 at the end; DMA bytes in flight
  // never negative, back to 0 at the end, and at some point at least one transfer's bytes.
  std::vector<double> util, in_flight;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] != "C") continue;
    if (e["name"] == "array utilization") util.push_back(e["args"]["value"].get<double>());
    if (e["name"] == "dma bytes in flight") in_flight.push_back(e["args"]["value"].get<double>());
  }
  REQUIRE_FALSE(util.empty());
  REQUIRE_FALSE(in_flight.empty());
  for (double u : util) CHECK((u >= 0 && u <= 1));
  for (double b : in_flight) CHECK(b >= 0);
  CHECK(util.back() == 0);
  CHECK(in_flight.back() == 0);
  CHECK(*std::max_element(util.begin(), util.end()) > 0);
  CHECK(*std::max_element(in_flight.begin(), in_flight.end()) > 0);
  const std::string v = slurp(vcd);
  for (const char* var : {"busy", "beat", "beat_cycles", "active_pes", "row_valid", "irq", "state", "status_busy",
                          "status_done", "status_error"})
    CHECK(v.find(std::string(" ") + var + " $end") != std::string::npos);
  for (const char* scope : {"dma", "command_processor", "csr"})
    CHECK(v.find(std::string("$scope module ") + scope + " $end") != std::string::npos);
  CHECK(v.find("$enddefinitions $end") != std::string::npos);

  const VpRun fast = run_vp("--set run.timing=fast --vcd '" + vcd + "'");
  CHECK(fast.exit_code == 2);
  CHECK(fast.err.find("run.timing: cycle") != std::string::npos);
  const VpRun bad = run_vp("--set workload.channels=8 --set workload.length=8 --trace /nonexistent/dir/t.json");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("/nonexistent/dir/t.json") != std::string::npos);
}

TEST_CASE("energy, area and the baseline comparison are consistent", "[e2e][compare]") {
  const VpRun r = run_vp("--set workload.channels=64 --set workload.length=256 --set workload.bidirectional=true"
                         " --set run.timing=fast --compare");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json& rep = r.report;
  for (const char* part : {"energy_pj", "area_mm2"}) {
    double sum = 0;
    for (const auto& kv : rep[part]["by_component"].items()) {
      CHECK(kv.value().get<double>() >= 0);
      sum += kv.value().get<double>();
    }
    CHECK(sum == Approx(rep[part]["total"].get<double>()).epsilon(1e-9));
  }
  CHECK(rep["energy_pj"]["by_component"]["pe_arithmetic"].get<double>() > 0);
  CHECK(rep["technology"]["name"].get<std::string>().size() > 0);
  const json& c = rep["comparison"];
  const json& v = rep["baseline"]["variants"][c["baseline_variant"].get<std::string>()];
  CHECK(c["baseline_cycles"] == v["cycles"]);
  CHECK(v["cycles"] == v[v["best"].get<std::string>()]["cycles"]);
  CHECK(v["cycles"].get<uint64_t>() <= v["convolution"]["cycles"].get<uint64_t>());
  CHECK(v["cycles"].get<uint64_t>() <= v["recurrence"]["cycles"].get<uint64_t>());
  // The stronger variant is the headline: never slower than the one as described.
  CHECK(c["baseline_cycles"].get<uint64_t>() <= rep["baseline"]["variants"]["as_described"]["cycles"].get<uint64_t>());
  CHECK(c["epochcore_compute_cycles"] == rep["array_counters"]["busy_cycles"]);
  CHECK(c["speedup_compute"].get<double>() ==
        Approx(double(c["baseline_cycles"].get<uint64_t>()) / c["epochcore_compute_cycles"].get<uint64_t>()));
  CHECK(c["energy_ratio"].get<double>() ==
        Approx(c["baseline_energy_pj"].get<double>() / rep["energy_pj"]["total"].get<double>()));
  CHECK(c["area_ratio"].get<double>() ==
        Approx(rep["area_mm2"]["total"].get<double>() / rep["baseline"]["area_mm2"]["total"].get<double>()));
  CHECK(c["pe_area_ratio"].get<double>() > 1.0);  // a LIMA-PE is bigger than a MAC-PE

  // A bad technology table is refused naming the key.
  const VpRun bad = run_vp("--set workload.channels=4 --set workload.length=8 --set energy.tech=nosuch");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("energy.tech") != std::string::npos);
}

TEST_CASE("PE clock gating: states counted in both modes, off unchanged, on costed from the counts",
          "[e2e][gating]") {
  const energy::TechTable t = energy::load_tech_table(std::string(EC_SOURCE_DIR) + "/scenarios/tech/45nm.yaml");
  REQUIRE(t.pe_gating.present);
  const std::string gemm = "--set workload.kind=gemm --set workload.gemm_m=40 --set workload.gemm_n=20"
                           " --set workload.gemm_k=12 --set array.rows=8 --set array.cols=8";
  for (const std::string base :
       {std::string("--set workload.channels=16 --set workload.length=64 --set workload.batch=2"),
        std::string("--set workload.channels=8 --set workload.modes=12 --set workload.length=48"
                    " --set array.segments=false --set workload.bidirectional=true"),
        gemm}) {
    DYNAMIC_SECTION(base) {
      const VpRun cyc = run_vp(base + " --set run.timing=cycle");
      const VpRun fst = run_vp(base + " --set run.timing=fast");
      const VpRun off = run_vp(base + " --set run.timing=fast --set energy.pe_clock_gating=false");
      const VpRun on = run_vp(base + " --set run.timing=fast --set energy.pe_clock_gating=true");
      INFO(cyc.err << fst.err << off.err << on.err);
      REQUIRE(cyc.exit_code == 0);
      REQUIRE(fst.exit_code == 0);
      REQUIRE(off.exit_code == 0);
      REQUIRE(on.exit_code == 0);

      // Counts: bit-identical in both timing modes, the three states add up to every PE-cycle.
      const json& ps = cyc.report["pe_states"];
      CHECK(ps == fst.report["pe_states"]);
      const uint64_t compute = ps["compute_pe_cycles"], preload = ps["preload_pe_cycles"],
                     sleep = ps["sleep_pe_cycles"], wakes = ps["wakes"];
      const uint64_t pes = uint64_t(cyc.report["array"]["rows"].get<uint32_t>()) *
                           cyc.report["array"]["cols"].get<uint32_t>();
      CHECK(compute + preload + sleep == pes * cyc.report["cycles"].get<uint64_t>());
      CHECK(ps["total_pe_cycles"].get<uint64_t>() == pes * cyc.report["cycles"].get<uint64_t>());
      const json& ac = cyc.report["array_counters"];
      CHECK(compute == ac["active_pe_cycles"].get<uint64_t>() + ac["mac_ops"].get<uint64_t>());
      CHECK(preload >= ac["bypass_pe_cycles"].get<uint64_t>());  // bypass is a preload state
      CHECK(preload > 0);  // loads, fill and drain at least
      CHECK(sleep > 0);    // DMA at least
      CHECK(wakes > 0);

      // Off: the key absent and false give the same energy and area, bit for bit.
      CHECK(off.report["energy_pj"] == fst.report["energy_pj"]);
      CHECK(off.report["area_mm2"] == fst.report["area_mm2"]);
      CHECK(off.report["energy_pj"]["by_component"].contains("pe_idle"));
      CHECK_FALSE(off.report["energy_pj"]["by_component"].contains("pe_clock"));

      // On: the new components are the counted states times the table's figures.
      const json& eon = on.report["energy_pj"]["by_component"];
      const json& eoff = off.report["energy_pj"]["by_component"];
      CHECK(on.report["pe_states"] == ps);
      CHECK_FALSE(eon.contains("pe_idle"));
      const double bits = 12 * 32 + 1;  // complex LIMA-PE, fp32
      const double clock_mhz = on.report["array"]["clock_mhz"].get<double>();
      const double pe_um2 = on.report["area_mm2"]["pe_um2"].get<double>();
      const double leak_pj = pe_um2 / 1e6 * t.leakage.logic_uw_per_mm2 / clock_mhz;
      CHECK(eon["pe_clock"].get<double>() ==
            Approx(double(preload) * bits * t.pe_gating.clocked_energy_pj_per_bit).epsilon(1e-12));
      CHECK(eon["pe_wake"].get<double>() == Approx(double(wakes) * t.pe_gating.wake_energy_pj).epsilon(1e-12));
      CHECK(eon["pe_sleep"].get<double>() ==
            Approx(double(sleep) * leak_pj * t.pe_gating.sleep_leakage_fraction).epsilon(1e-12));
      // Leakage: today's plus the gating cells', less what pe_sleep now holds.
      const double cells_mm2 = double(pes) * t.pe_gating.cell_area_um2 / 1e6;
      const double cycles_us = double(on.report["cycles"].get<uint64_t>()) / clock_mhz;
      CHECK(eon["leakage"].get<double>() ==
            Approx(eoff["leakage"].get<double>() + cells_mm2 * t.leakage.logic_uw_per_mm2 * cycles_us -
                   double(sleep) * leak_pj)
                .epsilon(1e-9));
      for (const char* k : {"pe_arithmetic", "pe_registers", "operand_hops", "spad_input", "spad_param",
                            "spad_output", "dma", "dram", "vector_unit"})
        CHECK(eon[k] == eoff[k]);
      CHECK(on.report["area_mm2"]["by_component"]["pe_clock_gating"].get<double>() ==
            Approx(cells_mm2).epsilon(1e-12));
      CHECK(on.report["area_mm2"]["total"].get<double>() ==
            Approx(off.report["area_mm2"]["total"].get<double>() + cells_mm2).epsilon(1e-12));
      CHECK(on.report["cycles"] == off.report["cycles"]);  // no timing change
    }
  }
}

TEST_CASE("a bad command in the stream stops the run with the cause and the command", "[e2e][errors]") {
  const std::string base = "--set workload.channels=8 --set workload.length=32";
  const VpRun r = run_vp(base + " --inject-bad-command 4");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("UNKNOWN_OPCODE") != std::string::npos);
  CHECK(r.err.find("command 4") != std::string::npos);
  CHECK(r.report["status"] == "error");
  const VpRun past = run_vp(base + " --inject-bad-command 100000");
  CHECK(past.exit_code == 0);
  CHECK(past.report["fault_injection"].get<std::string>().find("not injected") != std::string::npos);
  CHECK(run_vp(base + " --inject-bad-command x").exit_code == 2);
}

// The per-segment direction option (array.segment_direction): a bidirectional layer's
// forward and backward halves share one pass. Each grid shape, bidirectional, with the
// option off and on: the outputs are the same bytes where the accumulation into the
// output keeps its order (one mode pass: fwd + bwd is commutative), within the reference
// tolerance where it does not (several mode passes interleave forward and backward
// partial sums); cycles equal the closed form; cycle and fast mode agree.
TEST_CASE("per-segment direction: bidirectional layers in one pass, on against off", "[e2e][segdir]") {
  const fs::path dir = temp_dir() / "segdir";
  fs::create_directories(dir);
  int n = 0;
  for (Shape s : kGrid) {
    s.bidirectional = true;
    DYNAMIC_SECTION("H=" << s.H << " M=" << s.M << " L=" << s.L << " B=" << s.B << " array " << s.rows << "x"
                         << s.cols << (s.segments ? " seg" : " noseg")) {
      const std::string base = (dir / std::to_string(++n)).string();
      Shape on = s;
      on.segment_direction = true;
      const VpRun off_c = run_vp(shape_args(s) + " --set run.timing=cycle --output '" + base + "off.npy'");
      const VpRun on_c = run_vp(shape_args(on) + " --set run.timing=cycle --output '" + base + "onc.npy'");
      const VpRun on_f = run_vp(shape_args(on) + " --set run.timing=fast --output '" + base + "onf.npy'");
      INFO(off_c.err << on_c.err << on_f.err);
      REQUIRE(off_c.exit_code == 0);
      REQUIRE(on_c.exit_code == 0);
      REQUIRE(on_f.exit_code == 0);
      check_run(on, on_c);  // reference tolerance and the closed form, option on
      // fast == cycle with the option on
      CHECK(slurp(base + "onc.npy") == slurp(base + "onf.npy"));
      CHECK(on_c.report["cycles"] == on_f.report["cycles"]);
      CHECK(on_c.report["array_counters"] == on_f.report["array_counters"]);
      CHECK(on_c.report["scratchpads"] == on_f.report["scratchpads"]);
      const uint32_t passes = (s.M + s.cols - 1) / s.cols;
      if (passes == 1 && s.L > 1)
        CHECK(slurp(base + "off.npy") == slurp(base + "onc.npy"));
      const uint64_t rev = on_c.report["array_counters"]["reversed_segment_steps"].get<uint64_t>();
      // The kernel used the option where the plan pairs the halves (L > 1 and, streaming,
      // the whole sequence of a fold fits the scratchpads): L-1 backward steps per item
      // and mode pass; else the separate backward runs, and the same bytes as off.
      const bool mixed = plan_of(on).mixed;
      CHECK(mixed == (s.L > 1 && s.spad_kib > 1));  // only the 1 KiB shape needs time chunks
      CHECK(rev == (mixed ? uint64_t(s.L - 1) * s.H * s.B * passes : 0));
      if (!mixed) CHECK(slurp(base + "off.npy") == slurp(base + "onc.npy"));
      CHECK(off_c.report["array_counters"]["reversed_segment_steps"].get<uint64_t>() == 0);
    }
  }
}

// An N=4 layer (M=2) whose channels fill half the array: the option halves the passes.
TEST_CASE("per-segment direction: an N=4 layer takes fewer array cycles", "[e2e][segdir]") {
  // 8 channels of 2 PEs: half of the 16 segments the 4x8 array holds; 64 banks so that
  // the feed keeps up with twice the segments (read-modify-write outputs included).
  Shape s{8, 2, 256, 1, 4, 8, true, 64, 64};
  s.bidirectional = true;
  Shape on = s;
  on.segment_direction = true;
  const VpRun off = run_vp(shape_args(s) + " --set run.timing=fast");
  const VpRun onr = run_vp(shape_args(on) + " --set run.timing=fast");
  INFO(off.err << onr.err);
  REQUIRE(off.exit_code == 0);
  REQUIRE(onr.exit_code == 0);
  const uint64_t a_off = off.report["array_counters"]["busy_cycles"].get<uint64_t>();
  const uint64_t a_on = onr.report["array_counters"]["busy_cycles"].get<uint64_t>();
  CHECK(a_on < a_off);
  CHECK(onr.report["array_counters"]["passes"].get<uint64_t>() < off.report["array_counters"]["passes"].get<uint64_t>());
  CHECK(onr.report["cycles"].get<uint64_t>() < off.report["cycles"].get<uint64_t>());
  CHECK(onr.report["error_vs_reference"]["max_rel"].get<double>() <= 1e-5);
  // The option's area is charged only when it is on.
  CHECK(onr.report["area_mm2"]["by_component"]["pe_segments"].get<double>() >
        off.report["area_mm2"]["by_component"]["pe_segments"].get<double>());
}
