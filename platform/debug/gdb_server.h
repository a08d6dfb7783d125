// A GDB remote serial protocol (RSP) server for a CPU model (docs/gdb.md): the debugger
// of models/cpu/cpu_debug.h. Listens on the loopback interface only; single-threaded and
// synchronous: the first on_stop() (StopReason::Start) accepts the one client and every
// on_stop() serves it until it continues, steps, kills or detaches; interrupt_requested()
// looks for a Ctrl-C (0x03) without blocking. A client that goes away is a detach: the
// run goes on without the debugger (breakpoints removed).
//
//   GdbServer server(port);          // binds 127.0.0.1:port (0: any free port), listens,
//                                    // prints "epochcore: waiting for GDB on 127.0.0.1:PORT"
//   cpu.set_debugger(&server);       // the CPU calls on_stop(cpu, Start, 0) first
#pragma once
#include <stdint.h>

#include <iostream>
#include <memory>
#include <string>

#include "epochcore/models/cpu/cpu_debug.h"

namespace epochcore {

class GdbServer : public CpuDebugger {
 public:
  // Binds and listens on 127.0.0.1:port (0 picks a free port); std::runtime_error naming
  // the port when it cannot. `log` (null: silent) gets the "waiting for GDB" line and the
  // connection/disconnection notes.
  explicit GdbServer(uint16_t port, std::ostream* log = &std::cerr);
  ~GdbServer() override;
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  uint16_t port() const;  // the bound port
  bool connected() const;  // a client is being served (false before, and after it left)

  // Start: accepts the client (blocks), then serves it. Breakpoint/Step/Interrupt: sends
  // the stop reply (S05, S05, S02) and serves. Exit/Fault: sends W<code> / X0B, waits
  // briefly for the client to close and returns Detach (the run ends as it would without
  // a debugger). Once the client detached or left: returns Detach at once.
  ResumeAction on_stop(DebuggableCpu& cpu, StopReason why, int exit_code) override;
  // One non-blocking poll of the socket: true when a 0x03 arrived (or the client left, so
  // that the next on_stop() detaches cleanly). False without a client.
  bool interrupt_requested() override;

  // The target description served through qXfer:features:read (riscv:rv32, the 33
  // registers of org.gnu.gdb.riscv.cpu).
  static const std::string& target_xml();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace epochcore
