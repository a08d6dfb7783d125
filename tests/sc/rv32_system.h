// A small RV32 system for the testbenches and the benchmark: Rv32Cpu -> protocol checker
// -> Router -> RAM (SystemMemory), console, exit device and an interrupt trigger, at the
// addresses of firmware/rv32/rv32_soc.h.
//
// The interrupt trigger (testbench only, at EC_RV32_MAILBOX_BASE): a 32-bit write of N
// at offset 0 raises irq_external N ns later; a write at offset 4 lowers it; a read of
// offset 0 returns the line's level (an interrupt handler polls it until the line is low).
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore/firmware/rv32/rv32_soc.h"
#include "epochcore/models/bus/router.h"
#include "epochcore/models/cpu/console.h"
#include "epochcore/models/cpu/exit_device.h"
#include "epochcore/models/cpu/rv32_cpu.h"
#include "epochcore/models/memory/system_memory.h"
#include "epochcore/platform/io/elf_file.h"
#include "sc_harness.h"

namespace ec_test {

struct IrqTrigger : sc_core::sc_module {
  tlm_utils::simple_target_socket<IrqTrigger> socket{"socket"};
  sc_core::sc_out<bool> irq{"irq"};
  sc_core::sc_event raise_, lower_;
  uint64_t raises = 0;

  explicit IrqTrigger(sc_core::sc_module_name n) : sc_core::sc_module(n) {
    socket.register_b_transport(this, &IrqTrigger::b_transport);
    SC_HAS_PROCESS(IrqTrigger);
    SC_METHOD(drive);
    sensitive << raise_ << lower_;
    dont_initialize();
  }
  void drive() { irq.write(raise_.triggered()); }
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
    if (t.get_data_length() != 4 || t.get_address() > 4 || (t.is_read() && t.get_address() != 0)) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (t.is_read()) {
      const uint32_t level = irq.read() ? 1 : 0;
      std::memcpy(t.get_data_ptr(), &level, 4);
      t.set_response_status(tlm::TLM_OK_RESPONSE);
      return;
    }
    uint32_t v;
    std::memcpy(&v, t.get_data_ptr(), 4);
    if (t.get_address() == 0) {
      ++raises;
      raise_.notify(delay + sc_core::sc_time(v, sc_core::SC_NS));
    } else {
      lower_.notify(delay);
    }
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct Rv32System : sc_core::sc_module {
  epochcore::Rv32Cpu cpu;
  epochcore::Router bus;
  epochcore::SystemMemory ram;
  epochcore::Console console;
  epochcore::ExitDevice exit_dev;
  IrqTrigger trigger;
  sc_core::sc_signal<bool> irq{"irq"};
  epochcore::ProtocolChecker* checker = nullptr;
  bool stopped = false;
  epochcore::Rv32Stop stop;

  Rv32System(sc_core::sc_module_name n, const epochcore::Rv32CpuConfig& cfg,
             uint64_t ram_bytes = EC_RV32_RAM_DEFAULT_BYTES,
             sc_core::sc_time ram_latency = sc_core::SC_ZERO_TIME)
      : sc_core::sc_module(n), cpu("cpu", cfg), bus("bus"), ram("ram", ram_bytes, ram_latency, 4.0),
        console("console", EC_RV32_CONSOLE_BYTES), exit_dev("exit", EC_RV32_EXIT_BYTES), trigger("trigger") {
    checker = &ec_test::link(cpu.socket, bus.target_socket, "check_cpu");
    bus.initiator_socket.bind(ram.socket);
    bus.initiator_socket.bind(console.socket);
    bus.initiator_socket.bind(exit_dev.socket);
    bus.initiator_socket.bind(trigger.socket);
    bus.map(EC_RV32_RAM_BASE, ram_bytes, 0, "ram");
    bus.map(EC_RV32_CONSOLE_BASE, EC_RV32_CONSOLE_BYTES, 1, "console");
    bus.map(EC_RV32_EXIT_BASE, EC_RV32_EXIT_BYTES, 2, "exit");
    bus.map(EC_RV32_MAILBOX_BASE, 0x1000, 3, "irq_trigger");
    trigger.irq.bind(irq);
    cpu.irq_external.bind(irq);
    exit_dev.on_exit = [this](uint32_t code) { cpu.request_exit(code); };
    cpu.on_stop = [this](const epochcore::Rv32Stop& s) {
      stopped = true;
      stop = s;
    };
  }

  // Words at RAM offset 0 onwards (hand-encoded programs).
  void load_words(const uint32_t* w, size_t n, uint32_t offset = 0) {
    std::memcpy(ram.data() + offset, w, n * 4);
  }
  // The ELF's segments into RAM; returns the entry point.
  uint32_t load_elf(const std::string& path) {
    const auto elf = epochcore::io::read_elf32(path, {{EC_RV32_RAM_BASE, ram.size()}});
    for (const auto& s : elf.segments) {
      const auto img = s.image();
      std::memcpy(ram.data() + (s.paddr - EC_RV32_RAM_BASE), img.data(), img.size());
    }
    return elf.entry;
  }
  std::string describe() const {
    if (!stopped) return "did not stop";
    char b[64];
    std::snprintf(b, sizeof b, " code=%u pc=0x%08x tval=0x%08x", stop.exit_code, stop.pc, stop.tval);
    return std::string(epochcore::to_string(stop.kind)) + b + " cause='" + stop.cause + "'";
  }
};

}  // namespace ec_test
