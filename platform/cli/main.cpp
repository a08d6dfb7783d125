// epochcore-vp: runs one scenario on the EpochCore virtual platform.
// Exit status: 0 success, 1 accelerator or firmware error, 2 bad input, 3 internal error.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <systemc>

#include "epochcore/contract/registers.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/report/flat_metrics.h"
#include "epochcore/platform/report/program.h"
#include "epochcore/platform/report/report.h"
#include "epochcore/platform/workloads/workload.h"

namespace {

namespace po = boost::program_options;

const char* kUsage =
    "usage: epochcore-vp [SCENARIO.yaml] [options]\n"
    "  --params FILE.safetensors  S4D layer parameters (log_dt, log_A_real, A_imag, C, D)\n"
    "  --input FILE.npy           input sequence, shape (H, L) or (B, H, L), float32/float64\n"
    "  --output FILE.npy          write the accelerator's output (float32, shape of the input)\n"
    "  --report FILE.json         write the report as JSON\n"
    "  --trace FILE.json          write a Chrome/Perfetto trace of commands, DMA transfers and passes\n"
    "  --csv FILE.csv             write the report as one flat CSV row with a header (docs/report.md,\n"
    "                             \"Flat CSV row\"); also written when the run fails\n"
    "  --progress                 show the progress line on stderr even when it is not a terminal\n"
    "                             (by default only on a terminal, for runs longer than ~2 s)\n"
    "  --vcd FILE.vcd             write a waveform of the array and the interrupt (run.timing: cycle)\n"
    "  --set key.path=value       override a scenario key (repeatable)\n"
    "  --compare                  also cost the TPU-like baseline and print the comparison\n"
    "  --check-protocol           check every TLM-2.0 socket against the base protocol\n"
    "                             (sets run.check_protocol: true)\n"
    "  --firmware FILE.elf        run this RV32 ELF on the RV32 core (sets host.cpu: rv32 and\n"
    "                             host.firmware; docs/firmware.md)\n"
    "  --gdb PORT                 host.cpu rv32: halt at start and serve GDB on 127.0.0.1:PORT\n"
    "                             (docs/gdb.md)\n"
    "  --inject-bad-command N     corrupt record N of the command stream (unknown opcode) before the\n"
    "                             doorbell, to exercise the error path end to end\n"
    "  --print-scenario           print the effective scenario as YAML and exit\n"
    "  --print-registers          print the register map and error causes (Markdown) and exit\n"
    "  --quiet                    no text report on stdout, no progress line\n"
    "  --version                  print the version and the source revision and exit\n"
    "  --help                     this text\n"
    "Without a scenario file the built-in defaults are used (docs/scenarios.md).\n";

struct Args {
  epochcore::RunOptions run;
  std::vector<std::string> overrides;
  bool print_scenario = false;
  bool print_registers = false;
  bool help = false;
  bool version = false;
  bool progress = false;
};

// Returns false (after printing why) on a usage error. The help text is kUsage: the
// descriptions below stay empty so the two cannot disagree.
bool parse_args(int argc, char** argv, Args* a) {
  std::string bad_command;
  std::string gdb_port;
  std::vector<std::string> scenarios;
  po::options_description opts;
  opts.add_options()
      ("params", po::value(&a->run.params_path))
      ("input", po::value(&a->run.input_path))
      ("output", po::value(&a->run.output_path))
      ("report", po::value(&a->run.report_path))
      ("trace", po::value(&a->run.trace_path))
      ("vcd", po::value(&a->run.vcd_path))
      ("csv", po::value(&a->run.csv_path))
      ("progress", po::bool_switch(&a->progress))
      ("set", po::value(&a->overrides)->composing())
      ("compare", po::bool_switch(&a->run.compare))
      ("check-protocol", po::bool_switch())
      ("inject-bad-command", po::value(&bad_command))
      ("firmware", po::value<std::string>())
      ("gdb", po::value<std::string>(&gdb_port))
      ("print-scenario", po::bool_switch(&a->print_scenario))
      ("print-registers", po::bool_switch(&a->print_registers))
      ("quiet", po::bool_switch(&a->run.quiet))
      ("version", po::bool_switch(&a->version))
      ("help,h", po::bool_switch(&a->help))
      ("scenario", po::value(&scenarios));
  po::positional_options_description positional;
  positional.add("scenario", -1);
  // No abbreviations: --rep is not --report, as with the hand-written parser before.
  const int style = po::command_line_style::unix_style & ~po::command_line_style::allow_guessing;
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).style(style).run(), vm);
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::cerr << "epochcore-vp: unknown option " << e.get_option_name() << "\n" << kUsage;
    return false;
  } catch (const po::error& e) {
    std::cerr << "epochcore-vp: " << e.what() << "\n" << kUsage;
    return false;
  }
  if (scenarios.size() > 1) {
    std::cerr << "epochcore-vp: more than one scenario given (" << scenarios[0] << ", " << scenarios[1] << ")\n";
    return false;
  }
  if (a->progress) a->run.progress = 1;
  if (!scenarios.empty()) a->run.scenario_path = scenarios[0];
  if (vm["check-protocol"].as<bool>()) a->overrides.push_back("run.check_protocol=true");
  if (vm.count("firmware")) {
    const std::string elf = vm["firmware"].as<std::string>();
    if (elf.empty()) {
      std::cerr << "epochcore-vp: --firmware needs an ELF file\n";
      return false;
    }
    a->overrides.push_back("host.cpu=rv32");
    a->overrides.push_back("host.firmware=" + elf);
  }
  if (vm.count("gdb")) {
    char* end = nullptr;
    const long port = std::strtol(gdb_port.c_str(), &end, 10);
    if (gdb_port.empty() || *end || port < 0 || port > 65535) {
      std::cerr << "epochcore-vp: --gdb needs a TCP port 0..65535 (0: any free port), got '" << gdb_port << "'\n";
      return false;
    }
    a->run.gdb_port = int(port);
  }
  if (vm.count("inject-bad-command")) {
    char* end = nullptr;
    const long long n = std::strtoll(bad_command.c_str(), &end, 10);
    if (bad_command.empty() || *end || n < 0) {
      std::cerr << "epochcore-vp: --inject-bad-command needs a record index >= 0, got '" << bad_command << "'\n";
      return false;
    }
    a->run.bad_command = n;
  }
  return true;
}

// --csv: the report as one flat row. Returns false (after saying why) when it cannot be written.
bool write_csv(const std::string& path, const nlohmann::json& report) {
  if (path.empty()) return true;
  std::ofstream f(path, std::ios::binary);
  f << epochcore::flat_metrics_csv(epochcore::flat_metrics(report));
  f.close();
  if (!f) {
    std::cerr << "epochcore-vp: cannot write " << path << "\n";
    return false;
  }
  return true;
}

// The row of a run that stopped with an exception (bad input found while simulating, an
// internal error): status error, the message, no metrics.
nlohmann::json failed_report(const epochcore::Scenario& s, const std::string& error) {
  return {{"scenario", {{"name", s.name}, {"effective", {{"workload", {{"kind", s.workload.kind.name()}}}}}}},
          {"status", "error"},
          {"error", error}};
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
  if (args.help) {
    std::cout << kUsage;
    return 0;
  }
  if (args.version) {
    std::cout << "epochcore-vp " << program_version() << " (revision " << program_revision() << ")\n";
    return 0;
  }
  if (args.print_registers) {
    std::cout << "## Registers\n\n" << regs::registers_markdown_table() << "\n## Error causes\n\n"
              << regs::error_causes_markdown_table();
    return 0;
  }
  Scenario scenario;
  std::unique_ptr<Workload> workload;
  try {
    scenario = args.run.scenario_path.empty() ? parse_scenario("", "(defaults)", args.overrides)
                                              : load_scenario(args.run.scenario_path, args.overrides);
    if (args.print_scenario) {
      std::cout << scenario_to_yaml(scenario);
      return 0;
    }
    load_scenario_tech(scenario);  // a bad technology table is bad input: refuse it before simulating
    check_output_paths(args.run);
    workload = make_workload(scenario, args.run);
    workload->prepare();
  } catch (const std::exception& e) {
    std::cerr << "epochcore-vp: " << e.what() << "\n";
    return 2;
  }
  try {
    RunResult r = run_workload(scenario, args.run, *workload);
    if (!args.run.quiet) {
      std::cout << format_report(scenario, r.report);
      if (r.report.contains("energy_pj")) std::cout << format_energy_area(scenario, r.report);
      if (r.report.contains("comparison")) std::cout << format_comparison(scenario, r.report);
    }
    if (!args.run.report_path.empty()) {
      std::ofstream f(args.run.report_path);
      f << r.report.dump(2) << "\n";
      if (!f) {
        std::cerr << "epochcore-vp: cannot write report " << args.run.report_path << "\n";
        return 2;
      }
    }
    if (!write_csv(args.run.csv_path, r.report)) return 2;
    if (r.exit_code != 0) std::cerr << "epochcore-vp: " << r.report["error"].get<std::string>() << "\n";
    return r.exit_code;
  } catch (const InputError& e) {
    std::cerr << "epochcore-vp: " << e.what() << "\n";
    write_csv(args.run.csv_path, failed_report(scenario, e.what()));
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "epochcore-vp: internal error: " << e.what() << "\n";
    write_csv(args.run.csv_path, failed_report(scenario, std::string("internal error: ") + e.what()));
    return 3;
  }
}

// Our own main, so the SystemC banner can be switched off before the kernel prints it.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
