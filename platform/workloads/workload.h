// One simulation run of a scenario, whatever its workload. A Workload describes the phases
// every kind goes through; run_workload() drives them around the SoC (platform/soc):
//
//   prepare   before elaboration: parameters and inputs from files or seeded, the checks
//             of options and sizes, the layout in system memory (bad input: InputError)
//   attach    the SoC is elaborated: hooks the run needs on it (fault injection, snapshots)
//   load      first thing in simulation, on the host: the loader puts the tensors into
//             system memory through the debug back door
//   make_job  the job block the firmware runs (firmware/runner/job_block.h), written by the
//             host side once the tensors are loaded (s4_model: the model compiler writes
//             the image first, through the loader's back door)
//   (run)     the firmware runs the job: fw::run_job on the host-driver model
//             (host.cpu: model) or the firmware ELF on the RV32 core (host.cpu: rv32)
//   take_result  the firmware's result block (ec_fw_result)
//   report    after the run: the workload's part of the JSON report
//   check     after a successful run: the result against the double-precision reference
//   compare   --compare: the TPU-like baseline on the same work
//
// One implementation per workload.kind (platform/workloads/*.cpp), made by make_workload.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/hal/hal.h"
#include "epochcore/firmware/runner/job_block.h"
#include "epochcore/maths/energy/tech_table.h"
#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

class Soc;

// A stage of the progress line (platform/workloads/progress.h).
struct ProgressStage {
  std::string name;
  uint64_t commands = 0;
};

struct RunOptions {
  std::string scenario_path;  // for the report, and to resolve the paths a scenario names
  std::string params_path;    // --params FILE.safetensors
  std::string input_path;     // --input FILE.npy
  std::string output_path;    // --output FILE.npy
  std::string report_path;    // --report FILE.json
  std::string trace_path;     // --trace FILE.json (Chrome/Perfetto trace events)
  std::string vcd_path;       // --vcd FILE.vcd (cycle mode only)
  std::string csv_path;       // --csv FILE.csv: the report as one flat row (docs/report.md)
  int progress = -1;          // --progress: 1 forces the stderr progress line; -1: when stderr is a TTY
  bool quiet = false;         // no text report on stdout
  bool compare = false;       // --compare: add the TPU-like baseline and the comparison
  int64_t bad_command = -1;   // --inject-bad-command N: record N gets an unknown opcode
  int gdb_port = -1;          // --gdb PORT (host.cpu rv32): serve GDB on 127.0.0.1:PORT; -1: none
};

// Bad user input detected before simulation (files, shapes, sizes): exit code 2.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What the firmware's run came to: "" or the error; `bad_input` when the error is the
// scenario's (e.g. a model that does not fit in memory.size_mib): exit 2 rather than 1.
struct ProgramOutcome {
  std::string error;
  bool bad_input = false;
};

class Workload {
 public:
  Workload(const Scenario& s, const RunOptions& o) : s_(s), o_(o) {}
  virtual ~Workload() = default;
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Before elaboration; throws InputError (or ScenarioError) for bad input.
  virtual void prepare() = 0;
  // The SoC is elaborated and not yet running. Default: nothing.
  virtual void attach(Soc&) {}
  // From the host thread as simulation starts (the bus bindings are complete only then).
  // False when a back-door write failed.
  virtual bool load(Soc& soc) = 0;
  // The job the firmware runs, on either CPU. `loader` writes through the debug back door
  // (no simulated time); `info` is the accelerator as the driver probes it. An error
  // (with bad_input for the scenario's mistakes) stops the run before the firmware starts.
  virtual ProgramOutcome make_job(Soc& soc, fw::Hal& loader, const fw::AccelInfo& info, ec_fw_job* job) = 0;
  // The firmware's result block, after it ran the job (also when it failed).
  virtual void take_result(Soc& soc, const ec_fw_result& result) = 0;

  // The accelerator's cycles for the whole job (the report's "cycles").
  virtual uint64_t job_cycles() const = 0;
  // hardware_report's per-command records: false for whole models (hundreds of thousands
  // of commands; --trace has them).
  virtual bool per_command_records() const { return true; }
  // The workload's part of the report: "workload", "plan" and its own sections. Called
  // whether or not the firmware succeeded.
  virtual void report(const energy::TechTable& t, nlohmann::json& r) = 0;
  // The progress line's stages (a whole model's, in execution order, once make_job
  // compiled them); empty for one command stream (layer, GEMM).
  virtual std::vector<ProgressStage> progress_stages() const { return {}; }
  // The report key check() fills; null in the report of a failed run.
  virtual const char* check_key() const { return "error_vs_reference"; }
  // After a successful run: reads the result from system memory and compares it with the
  // double-precision reference.
  virtual void check(Soc& soc, nlohmann::json& r) = 0;
  // --compare, after a successful run whose report has its energy and area.
  virtual void compare(const energy::TechTable& t, nlohmann::json& r) const = 0;
  // --output, after check().
  virtual void write_output(const std::string& path) const = 0;

 protected:
  const Scenario& s_;
  const RunOptions& o_;
};

// The workload of the scenario's workload.kind; `s` and `o` must outlive it.
std::unique_ptr<Workload> make_workload(const Scenario& s, const RunOptions& o);

struct RunResult {
  int exit_code = 0;  // 0 ok, 1 accelerator or firmware error
  nlohmann::json report;
};

// Elaborates the SoC, runs the prepared workload's firmware on it to the end and collects
// the report. Once per process: SystemC elaborates one hierarchy.
RunResult run_workload(const Scenario& s, const RunOptions& o, Workload& w);

// --report, --output, --trace and --vcd: each named file's directory exists and the file
// can be created or written. Throws InputError naming the option and the path. Leaves no
// file behind that was not there before.
void check_output_paths(const RunOptions& o);

}  // namespace epochcore
