// A stand-in for the simulator under GDB (tests/gdb/gdb_session.sh): the GDB server over
// the fake CPU of fake_cpu.h running its scripted program. Takes the simulator's option:
//   fake_target [--gdb PORT] [--loops N] [--exit-code N] [--fault-at ADDR]
// --gdb: the port (0, the default: any free one; the "waiting for GDB" line names it);
// --loops: passes through the 16-instruction loop (t1); --exit-code: a0 at the start;
// --fault-at: the instruction there faults. Exit status: the program's exit code, 2 when
// GDB killed it, 3 on a fault, 1 on a bad command line or a bind error.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "epochcore/platform/debug/gdb_server.h"
#include "fake_cpu.h"

int main(int argc, char** argv) {
  unsigned long port = 0, loops = 1, code = 0, fault = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "fake_target: %s needs a value\n", a.c_str());
      return 1;
    }
    const unsigned long v = std::strtoul(argv[++i], nullptr, 0);
    if (a == "--gdb") port = v;
    else if (a == "--loops") loops = v;
    else if (a == "--exit-code") code = v;
    else if (a == "--fault-at") fault = v;
    else {
      std::fprintf(stderr, "usage: fake_target [--gdb PORT] [--loops N] [--exit-code N] [--fault-at ADDR]\n");
      return 1;
    }
  }
  try {
    epochcore::GdbServer server(static_cast<uint16_t>(port));
    ec_test::FakeCpu cpu;
    cpu.write_reg(6, static_cast<uint32_t>(loops));
    cpu.write_reg(10, static_cast<uint32_t>(code));
    cpu.fault_pc = static_cast<uint32_t>(fault);
    const auto end = cpu.run(&server);
    if (end == ec_test::FakeCpu::End::Killed) {
      std::fprintf(stderr, "fake_target: killed by GDB after %llu instructions\n",
                   static_cast<unsigned long long>(cpu.executed()));
      return 2;
    }
    if (end == ec_test::FakeCpu::End::Fault) {
      std::fprintf(stderr, "fake_target: fault at 0x%08x\n", cpu.pc());
      return 3;
    }
    std::fprintf(stderr, "fake_target: exit code %d after %llu instructions\n", cpu.exit_code(),
                 static_cast<unsigned long long>(cpu.executed()));
    return cpu.exit_code() & 0xFF;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake_target: %s\n", e.what());
    return 1;
  }
}
