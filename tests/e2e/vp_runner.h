// Runs the built simulator (EC_VP) as a user does, for the end-to-end tests: a command line
// in, the exit code, stdout, stderr, the JSON report and the --output file's path out.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace epochcore::e2e {

inline std::filesystem::path scratch_dir(const std::string& tag) {
  const std::filesystem::path d =
      std::filesystem::temp_directory_path() / ("epochcore-e2e-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p);
  f << text;
}

struct VpResult {
  int exit_code = -1;
  std::string out, err;
  nlohmann::json report;
  std::string output_path;  // --output file (may not exist)
};

// `args` are appended to the command line as given (quote paths yourself). Every run has a
// TLM-2.0 base-protocol checker on every socket (--check-protocol) unless told otherwise: a
// violation anywhere in the end-to-end suite ends that run with exit status 3, and a
// report then says protocol_violations = 0 (checked here).
inline VpResult run_epochcore_vp(const std::filesystem::path& dir, const std::string& args,
                                 bool check_protocol = true) {
  static int n = 0;
  const std::string base = (dir / ("run" + std::to_string(++n))).string();
  VpResult r;
  r.output_path = base + ".npy";
  const std::string cmd = std::string("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 '") + EC_VP + "' " + args + (check_protocol ? " --check-protocol" : "") +
                          " --report '" + base + ".json' --output '" + r.output_path + "' > '" + base +
                          ".out' 2> '" + base + ".err'";
  const int st = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = read_text(base + ".out");
  r.err = read_text(base + ".err");
  if (std::filesystem::exists(base + ".json")) r.report = nlohmann::json::parse(read_text(base + ".json"));
  if (check_protocol && r.report.is_object() && r.report.contains("protocol_violations") &&
      r.report["protocol_violations"] != 0)
    r.exit_code = 3;  // never the case: the simulator itself exits 3 on a violation
  return r;
}

}  // namespace epochcore::e2e
