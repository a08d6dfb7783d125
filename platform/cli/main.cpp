// epochcore-vp: runs one scenario on the EpochCore virtual platform.
// Exit status: 0 success, 1 accelerator or firmware error, 2 bad input, 3 internal error.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/contract/registers.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/report/report.h"
#include "epochcore/platform/soc/simulation.h"

namespace {

const char* kUsage =
    "usage: epochcore-vp [SCENARIO.yaml] [options]\n"
    "  --params FILE.safetensors  S4D layer parameters (log_dt, log_A_real, A_imag, C, D)\n"
    "  --input FILE.npy           input sequence, shape (H, L) or (B, H, L), float32/float64\n"
    "  --output FILE.npy          write the accelerator's output (float32, shape of the input)\n"
    "  --report FILE.json         write the report as JSON\n"
    "  --trace FILE.json          write a Chrome/Perfetto trace of commands, DMA transfers and passes\n"
    "  --vcd FILE.vcd             write a waveform of the array and the interrupt (run.timing: cycle)\n"
    "  --set key.path=value       override a scenario key (repeatable)\n"
    "  --compare                  also cost the TPU-like baseline and print the comparison\n"
    "  --inject-bad-command N     corrupt record N of the command stream (unknown opcode) before the\n"
    "                             doorbell, to exercise the error path end to end\n"
    "  --print-scenario           print the effective scenario as YAML and exit\n"
    "  --print-registers          print the register map and error causes (Markdown) and exit\n"
    "  --quiet                    no text report on stdout\n"
    "  --help                     this text\n"
    "Without a scenario file the built-in defaults are used (docs/scenarios.md).\n";

struct Args {
  epochcore::RunOptions run;
  std::vector<std::string> overrides;
  bool print_scenario = false;
};

// Returns false (after printing why) on a usage error.
bool parse_args(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= argc) {
        std::cerr << "epochcore-vp: option " << arg << " needs a value\n" << kUsage;
        return false;
      }
      *dst = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (arg == "--params") {
      if (!value(&a->run.params_path)) return false;
    } else if (arg == "--input") {
      if (!value(&a->run.input_path)) return false;
    } else if (arg == "--output") {
      if (!value(&a->run.output_path)) return false;
    } else if (arg == "--report") {
      if (!value(&a->run.report_path)) return false;
    } else if (arg == "--trace") {
      if (!value(&a->run.trace_path)) return false;
    } else if (arg == "--vcd") {
      if (!value(&a->run.vcd_path)) return false;
    } else if (arg == "--set") {
      if (!value(&v)) return false;
      a->overrides.push_back(v);
    } else if (arg == "--print-registers") {
      std::cout << "## Registers\n\n" << epochcore::regs::registers_markdown_table()
                << "\n## Error causes\n\n" << epochcore::regs::error_causes_markdown_table();
      std::exit(0);
    } else if (arg == "--inject-bad-command") {
      if (!value(&v)) return false;
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0) {
        std::cerr << "epochcore-vp: --inject-bad-command needs a record index >= 0, got '" << v << "'\n";
        return false;
      }
      a->run.bad_command = n;
    } else if (arg == "--compare") {
      a->run.compare = true;
    } else if (arg == "--print-scenario") {
      a->print_scenario = true;
    } else if (arg == "--quiet") {
      a->run.quiet = true;
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "epochcore-vp: unknown option " << arg << "\n" << kUsage;
      return false;
    } else if (a->run.scenario_path.empty()) {
      a->run.scenario_path = arg;
    } else {
      std::cerr << "epochcore-vp: more than one scenario given (" << a->run.scenario_path << ", " << arg
                << ")\n";
      return false;
    }
  }
  return true;
}

}  // namespace

int sc_main(int argc, char** argv) {
  using namespace epochcore;
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  // Model bugs reported through SC_REPORT_ERROR become exceptions, caught below.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
  sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
  Args args;
  if (!parse_args(argc, argv, &args)) return 2;
  Scenario scenario;
  Workload workload;
  try {
    scenario = args.run.scenario_path.empty() ? parse_scenario("", "(defaults)", args.overrides)
                                              : load_scenario(args.run.scenario_path, args.overrides);
    if (args.print_scenario) {
      std::cout << scenario_to_yaml(scenario);
      return 0;
    }
    load_scenario_tech(scenario);  // a bad technology table is bad input: refuse it before simulating
    workload = prepare_workload(scenario, args.run);
  } catch (const std::exception& e) {
    std::cerr << "epochcore-vp: " << e.what() << "\n";
    return 2;
  }
  try {
    RunResult r = run_simulation(scenario, args.run, workload);
    if (!args.run.quiet) {
      std::cout << format_report(r.report);
      if (r.report.contains("energy_pj")) std::cout << format_energy_area(r.report);
      if (r.report.contains("comparison")) std::cout << format_comparison(r.report);
    }
    if (!args.run.report_path.empty()) {
      std::ofstream f(args.run.report_path);
      f << r.report.dump(2) << "\n";
      if (!f) {
        std::cerr << "epochcore-vp: cannot write report " << args.run.report_path << "\n";
        return 2;
      }
    }
    if (r.exit_code != 0) std::cerr << "epochcore-vp: " << r.report["error"].get<std::string>() << "\n";
    return r.exit_code;
  } catch (const InputError& e) {
    std::cerr << "epochcore-vp: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "epochcore-vp: internal error: " << e.what() << "\n";
    return 3;
  }
}

// Our own main, so the SystemC banner can be switched off before the kernel prints it.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
