// The command line as a user meets it: options parsed by Boost.Program_options with the
// exit codes of docs (2 for bad input), --version, the output paths checked before any
// simulation, --check-protocol, and the report describing itself (effective scenario,
// version, revision).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "epochcore/platform/scenario/scenario.h"
#include "epochcore/tests/e2e/vp_runner.h"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace epochcore;

namespace {

// A small, fast layer.
const std::string kSmall = "--set workload.channels=8 --set workload.length=32 --set array.rows=4 --set array.cols=4";

struct Cli {
  int exit_code = -1;
  std::string out, err;
};

// The simulator with exactly `args` (no --report/--output added).
Cli run_cli(const fs::path& dir, const std::string& args) {
  static int n = 0;
  const std::string base = (dir / ("cli" + std::to_string(++n))).string();
  const std::string cmd = std::string("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 '") + EC_VP + "' " + args + " > '" + base +
                          ".out' 2> '" + base + ".err'";
  const int st = std::system(cmd.c_str());
  Cli r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = e2e::read_text(base + ".out");
  r.err = e2e::read_text(base + ".err");
  return r;
}

bool says(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("cli: bad options are refused with exit 2 and a message naming them", "[e2e][cli]") {
  const fs::path dir = e2e::scratch_dir("cli-bad");
  struct Case {
    std::string args;
    std::string message;
  } cases[] = {
      {"--frobnicate", "unknown option --frobnicate"},
      {"--rep r.json", "unknown option --rep"},  // no abbreviations
      {"--report", "--report"},                  // a value is missing
      {"--set", "--set"},
      {"a.yaml b.yaml", "more than one scenario given (a.yaml, b.yaml)"},
      {"--inject-bad-command -3", "inject-bad-command"},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.args) {
      const Cli r = run_cli(dir, c.args);
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK(says(r.err, c.message));
      CHECK(r.out.empty());
    }
  }
  // --help: the usage on stdout, exit 0, every option listed.
  const Cli help = run_cli(dir, "--help");
  CHECK(help.exit_code == 0);
  for (const char* o : {"--params", "--input", "--output", "--report", "--trace", "--vcd", "--set", "--compare",
                        "--check-protocol", "--inject-bad-command", "--print-scenario", "--print-registers", "--quiet",
                        "--version", "--help"})
    CHECK(says(help.out, o));
  // --set is repeatable and applied in order.
  const Cli sc = run_cli(dir, "--set array.rows=8 --set array.cols=2 --set array.rows=6 --print-scenario");
  CHECK(sc.exit_code == 0);
  CHECK(says(sc.out, "rows: 6\n"));
  CHECK(says(sc.out, "cols: 2\n"));
}

TEST_CASE("cli: --version prints the version and the source revision", "[e2e][cli]") {
  const fs::path dir = e2e::scratch_dir("cli-version");
  const Cli r = run_cli(dir, "--version");
  CHECK(r.exit_code == 0);
  INFO(r.out);
  CHECK(r.out.rfind("epochcore-vp ", 0) == 0);
  CHECK(says(r.out, "(revision "));
  CHECK_FALSE(says(r.out, "unknown (revision"));  // the CMake project version is set
}

TEST_CASE("cli: output paths are checked before simulating", "[e2e][cli][paths]") {
  const fs::path dir = e2e::scratch_dir("cli-paths");
  const std::string missing_dir = (dir / "no" / "such" / "dir").string();
  for (const char* option : {"--report", "--output", "--trace", "--vcd", "--csv"}) {
    DYNAMIC_SECTION(option << " in a missing directory") {
      const std::string path = missing_dir + "/f.out";
      const Cli r = run_cli(dir, kSmall + " " + option + " '" + path + "'");
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK(says(r.err, std::string(option) + " " + path));
      CHECK(says(r.err, "does not exist"));
      CHECK(r.out.empty());  // nothing simulated, no report printed
    }
    DYNAMIC_SECTION(option << " naming a directory") {
      const Cli r = run_cli(dir, kSmall + " " + option + " '" + dir.string() + "'");
      INFO(r.err);
      CHECK(r.exit_code == 2);
      CHECK(says(r.err, std::string(option) + " " + dir.string() + ": is a directory"));
      CHECK(r.out.empty());
    }
  }
  // A file in the current directory (no directory part) is fine; so is an existing file,
  // which is overwritten by the run.
  const fs::path existing = dir / "existing.json";
  e2e::write_text(existing, "old");
  const Cli ok = run_cli(dir, kSmall + " --quiet --report '" + existing.string() + "'");
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(json::parse(e2e::read_text(existing))["status"] == "ok");
  // The check leaves nothing behind when the run is then refused for another reason.
  const fs::path fresh = dir / "fresh.npy";
  const Cli bad = run_cli(dir, kSmall + " --params '" + (dir / "missing.safetensors").string() + "' --output '" +
                                   fresh.string() + "'");
  CHECK(bad.exit_code == 2);
  CHECK_FALSE(fs::exists(fresh));
}

TEST_CASE("cli: the report carries the effective scenario, the version and the revision", "[e2e][cli][report]") {
  const fs::path dir = e2e::scratch_dir("cli-report");
  const std::string args = kSmall + " --set workload.seed=7 --set run.timing=fast --quiet";
  const e2e::VpResult r = e2e::run_epochcore_vp(dir, args, false);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const json& eff = r.report["scenario"]["effective"];
  CHECK(eff["array"]["rows"] == 4);
  CHECK(eff["workload"]["channels"] == 8);
  CHECK(eff["workload"]["seed"] == 7);
  CHECK(eff["workload"]["kind"] == "s4d_layer");
  CHECK(eff["run"]["timing"] == "fast");
  CHECK(eff["precision"]["format"] == "fp32");
  // Every key: the same as --print-scenario's YAML, read back.
  const Cli yaml = run_cli(dir, args + " --print-scenario");
  REQUIRE(yaml.exit_code == 0);
  CHECK(eff == scenario_to_json(parse_scenario(yaml.out, "printed")));
  // Version and revision: the same as --version says.
  const Cli version = run_cli(dir, "--version");
  const json& program = r.report["program"];
  CHECK(program["name"] == "epochcore-vp");
  CHECK(version.out == "epochcore-vp " + program["version"].get<std::string>() + " (revision " +
                           program["revision"].get<std::string>() + ")\n");
  CHECK_FALSE(program["revision"].get<std::string>().empty());
}

TEST_CASE("cli: --check-protocol is accepted and sets run.check_protocol", "[e2e][cli]") {
  const fs::path dir = e2e::scratch_dir("cli-protocol");
  const Cli printed = run_cli(dir, "--check-protocol --print-scenario");
  CHECK(printed.exit_code == 0);
  CHECK(says(printed.out, "check_protocol: true"));
  CHECK(says(run_cli(dir, "--print-scenario").out, "check_protocol: false"));
  const e2e::VpResult r = e2e::run_epochcore_vp(dir, kSmall + " --check-protocol --quiet", false);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.report["status"] == "ok");
  CHECK(r.report["scenario"]["effective"]["run"]["check_protocol"] == true);
  CHECK(r.report["protocol_violations"] == 0);
  // Without the option the report has no count (no checker was built).
  const e2e::VpResult plain = e2e::run_epochcore_vp(dir, kSmall + " --quiet", false);
  CHECK(plain.exit_code == 0);
  CHECK(!plain.report.contains("protocol_violations"));
}

namespace {

// One RFC 4180 record (no line breaks inside fields in these tests): its fields.
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> f(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') f.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else f.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      f.emplace_back();
    } else {
      f.back() += c;
    }
  }
  return f;
}

// The header and the row of a --csv file, as column -> value.
std::vector<std::pair<std::string, std::string>> read_csv_row(const fs::path& p, std::string* header) {
  std::istringstream in(e2e::read_text(p));
  std::string h, v, extra;
  std::getline(in, h);
  std::getline(in, v);
  REQUIRE_FALSE(std::getline(in, extra));  // exactly two lines
  *header = h;
  const auto hs = csv_fields(h), vs = csv_fields(v);
  REQUIRE(hs.size() == vs.size());
  std::vector<std::pair<std::string, std::string>> row;
  for (size_t i = 0; i < hs.size(); ++i) row.emplace_back(hs[i], vs[i]);
  return row;
}

std::string col(const std::vector<std::pair<std::string, std::string>>& row, const std::string& k) {
  for (const auto& [c, v] : row)
    if (c == k) return v;
  FAIL("no column " << k);
  return "";
}

}  // namespace

TEST_CASE("cli: --csv writes the report as one flat row, the same columns for every kind", "[e2e][cli][csv][report]") {
  const fs::path dir = e2e::scratch_dir("cli-csv");
  const fs::path layer = dir / "layer.csv", gemm = dir / "gemm.csv", failed = dir / "failed.csv";
  const fs::path layer_json = dir / "layer.json";
  const Cli a = run_cli(dir, kSmall + " --quiet --csv '" + layer.string() + "' --report '" + layer_json.string() + "'");
  INFO(a.err);
  REQUIRE(a.exit_code == 0);
  std::string h1, h2, h3;
  const auto r1 = read_csv_row(layer, &h1);
  const json rep = json::parse(e2e::read_text(layer_json));
  CHECK(r1.front().first == "scenario");
  CHECK(r1.back().first == "wall_seconds");
  CHECK(col(r1, "status") == "ok");
  CHECK(col(r1, "error").empty());
  CHECK(col(r1, "workload") == "s4d_layer");
  CHECK(col(r1, "cycles") == std::to_string(rep["cycles"].get<uint64_t>()));
  // Full precision: the doubles read back exactly.
  CHECK(std::strtod(col(r1, "pe_utilization").c_str(), nullptr) == rep["pe_utilization"].get<double>());
  CHECK(std::strtod(col(r1, "energy_pj_total").c_str(), nullptr) == rep["energy_pj"]["total"].get<double>());
  CHECK(col(r1, "stall_dma_wait_cycles") == std::to_string(rep["stalls"]["dma_wait_cycles"].get<uint64_t>()));
  CHECK_FALSE(col(r1, "error_max_abs").empty());
  CHECK(col(r1, "class_agreement").empty());
  CHECK(col(r1, "cpu_instructions").empty());  // host.cpu model
  CHECK(col(r1, "baseline_cycles").empty());   // no --compare
  for (const auto& [k, v] : rep["energy_pj"]["by_component"].items()) CHECK_FALSE(col(r1, "energy_pj_" + k).empty());
  for (const auto& [k, v] : rep["area_mm2"]["by_component"].items()) CHECK_FALSE(col(r1, "area_mm2_" + k).empty());

  const Cli g = run_cli(dir, "--set workload.kind=gemm --set workload.gemm_m=8 --set workload.gemm_n=8 "
                             "--set workload.gemm_k=8 --set array.rows=4 --set array.cols=4 --quiet --csv '" +
                                 gemm.string() + "'");
  INFO(g.err);
  REQUIRE(g.exit_code == 0);
  const auto r2 = read_csv_row(gemm, &h2);
  CHECK(h2 == h1);
  CHECK(col(r2, "workload") == "gemm");

  // --compare fills the baseline columns from the report's "comparison".
  const fs::path cmp_csv = dir / "compare.csv", cmp_json = dir / "compare.json";
  const Cli c = run_cli(dir, kSmall + " --quiet --compare --csv '" + cmp_csv.string() + "' --report '" +
                                 cmp_json.string() + "'");
  INFO(c.err);
  REQUIRE(c.exit_code == 0);
  std::string hc;
  const auto rc = read_csv_row(cmp_csv, &hc);
  CHECK(hc == h1);
  const json cj = json::parse(e2e::read_text(cmp_json));
  CHECK(col(rc, "baseline_cycles") == std::to_string(cj["comparison"]["baseline_cycles"].get<uint64_t>()));
  CHECK(std::strtod(col(rc, "speedup_end_to_end").c_str(), nullptr) ==
        cj["comparison"]["speedup_end_to_end"].get<double>());
  CHECK(std::strtod(col(rc, "area_ratio").c_str(), nullptr) == cj["comparison"]["area_ratio"].get<double>());

  // A failed job (exit 1) still writes its row: status error, the message quoted as needed.
  const Cli f = run_cli(dir, kSmall + " --quiet --inject-bad-command 2 --csv '" + failed.string() + "'");
  CHECK(f.exit_code == 1);
  const auto r3 = read_csv_row(failed, &h3);
  CHECK(h3 == h1);
  CHECK(col(r3, "status") == "error");
  CHECK_FALSE(col(r3, "error").empty());
  CHECK(says(f.err, col(r3, "error")));
}

TEST_CASE("cli: --progress shows the progress line on stderr; without it, none off a terminal", "[e2e][cli][progress]") {
  const fs::path dir = e2e::scratch_dir("cli-progress");
  const Cli p = run_cli(dir, kSmall + " --progress");
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  CHECK(says(p.err, "\repochcore-vp: commands "));
  CHECK(says(p.err, "100.0%"));
  CHECK(says(p.err, ", simulated "));
  CHECK(p.err.back() == '\n');
  const Cli n = run_cli(dir, kSmall);  // stderr is a file here, not a terminal
  REQUIRE(n.exit_code == 0);
  CHECK_FALSE(says(n.err, "\r"));
  const Cli q = run_cli(dir, kSmall + " --progress --quiet");
  REQUIRE(q.exit_code == 0);
  CHECK_FALSE(says(q.err, "\r"));
}
