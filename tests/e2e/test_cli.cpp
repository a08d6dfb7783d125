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
  for (const char* option : {"--report", "--output", "--trace", "--vcd"}) {
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
