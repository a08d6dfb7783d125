// One simulation run of a scenario: prepares the workload (parameters and input, from
// files or seeded), builds the SoC, runs the firmware, checks the output against the
// double-precision reference and produces the report.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "epochcore/description/s4d_params.h"
#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

struct RunOptions {
  std::string scenario_path;  // for the report only
  std::string params_path;    // --params FILE.safetensors
  std::string input_path;     // --input FILE.npy
  std::string output_path;    // --output FILE.npy
  std::string report_path;    // --report FILE.json
  std::string trace_path;     // --trace FILE.json (Chrome/Perfetto trace events)
  std::string vcd_path;       // --vcd FILE.vcd (cycle mode only)
  bool quiet = false;         // no text report on stdout
  bool compare = false;       // --compare: add the TPU-like baseline and the comparison
  int64_t bad_command = -1;   // --inject-bad-command N: record N gets an unknown opcode
};

// Bad user input detected before simulation (files, shapes, sizes): exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Workload {
  S4dParams params;
  uint32_t B = 1, H = 0, M = 0, L = 0;
  std::vector<float> input;      // [B][H][L]
  std::vector<size_t> input_shape;  // as given: (H, L) or (B, H, L)
  std::string params_source, input_source;
};

Workload prepare_workload(const Scenario& s, const RunOptions& o);

struct RunResult {
  int exit_code = 0;  // 0 ok, 1 accelerator or firmware error
  nlohmann::json report;
  std::vector<float> output;  // [B][H][L]
};

// Elaborates the SoC and runs it: call once per process (SystemC elaborates one hierarchy).
RunResult run_simulation(const Scenario& s, const RunOptions& o, const Workload& w);

// ---- shared by the workload runners (platform/soc/*simulation.cpp) ----
class Soc;
// Runs the elaborated SoC to the end with the --vcd / --trace outputs the options ask for;
// returns the simulated seconds.
double simulate(Soc& soc, const Scenario& s, const RunOptions& o);
// workload.kind s4_model: a whole model through the model compiler (model_simulation.cpp).
RunResult run_model_simulation(const Scenario& s, const RunOptions& o);

}  // namespace epochcore
