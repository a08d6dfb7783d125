// The ISS benchmark: Rv32Cpu running a compute loop (bench/rv32/compute_loop.S) from DMI
// RAM for a fixed instruction count; prints instructions, wall seconds and MIPS, the
// median of 5 runs (each in a child process: SystemC elaborates once per process).
//
//   bench_iss [ELF [INSTRUCTIONS [QUANTUM_NS]]]   (default: the built compute_loop.elf, 200 M,
//                                                  the CPU's default quantum)
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "../tests/sc/rv32_system.h"

namespace {

double g_quantum_ns = 0;  // 0: Rv32CpuConfig's default

double run_once(const std::string& elf, uint64_t n, uint64_t& retired) {
  epochcore::Rv32CpuConfig cfg;
  if (g_quantum_ns > 0) cfg.quantum = sc_core::sc_time(g_quantum_ns, sc_core::SC_NS);
  cfg.reset_pc = epochcore::io::read_elf32(elf).entry;
  cfg.max_instructions = n;
  ec_test::Rv32System sys("sys", cfg);
  sys.load_elf(elf);
  const auto t0 = std::chrono::steady_clock::now();
  sc_core::sc_start();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  retired = sys.cpu.instructions();
  if (!sys.stopped || sys.stop.kind != epochcore::Rv32Stop::Kind::Limit)
    std::fprintf(stderr, "unexpected stop: %s\n", sys.describe().c_str());
  return s;
}

}  // namespace

int sc_main(int argc, char** argv) {
  const std::string elf = argc > 1 ? argv[1] : EC_BENCH_ISS_ELF;
  const uint64_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 200000000ull;
  if (argc > 3) g_quantum_ns = std::strtod(argv[3], nullptr);
  if (!std::ifstream(elf)) {
    std::printf("SKIPPED: %s not built (no RISC-V cross compiler?)\n", elf.c_str());
    return 77;
  }
  std::vector<double> secs;
  uint64_t retired = 0;
  for (int i = 0; i < 5; ++i) {
    int fd[2];
    if (pipe(fd) != 0) return 1;
    const pid_t pid = fork();
    if (pid == 0) {
      close(fd[0]);
      sc_core::sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", sc_core::SC_DO_NOTHING);
      uint64_t r = 0;
      const double s = run_once(elf, n, r);
      const double out[2] = {s, double(r)};
      if (write(fd[1], out, sizeof out) != sizeof out) _exit(1);
      _exit(0);
    }
    close(fd[1]);
    double in[2] = {0, 0};
    const bool ok = read(fd[0], in, sizeof in) == sizeof in;
    close(fd[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!ok) {
      std::printf("run %d failed\n", i);
      return 1;
    }
    retired = uint64_t(in[1]);
    secs.push_back(in[0]);
    std::printf("run %d: %llu instructions in %.3f s: %.1f MIPS\n", i, (unsigned long long)retired, in[0],
                double(retired) / in[0] / 1e6);
  }
  std::sort(secs.begin(), secs.end());
  const double med = secs[2];
  std::printf("bench_iss: %llu instructions, median %.3f s, %.1f MIPS (median of 5)\n",
              (unsigned long long)retired, med, double(retired) / med / 1e6);
  return 0;
}
