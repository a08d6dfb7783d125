#include "epochcore/platform/soc/rv32_system.h"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <vector>

#include "epochcore/firmware/rv32/rv32_soc.h"
#include "epochcore/platform/io/elf_file.h"
#include "epochcore/platform/soc/soc.h"

namespace epochcore {

using sc_core::sc_time;
using sc_core::SC_NS;

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

Rv32System::Rv32System(sc_core::sc_module_name name, const Scenario& s, Soc& soc)
    : sc_core::sc_module(name), s_(s), soc_(soc) {
  const sc_time cycle(1000.0 / s.host.clock_mhz, SC_NS);
  const double bytes_per_ns = 4.0 * s.host.clock_mhz / 1000.0;  // one word per core cycle
  ram_.reset(new SystemMemory("ram", uint64_t(s.host.ram_kib) * 1024, cycle, bytes_per_ns));
  mailbox_.reset(new SystemMemory("mailbox", EC_RV32_MAILBOX_BYTES, cycle, bytes_per_ns));
  console_.reset(new Console("console"));
  exit_.reset(new ExitDevice("exit"));

  Rv32CpuConfig c;
  c.clock_period = cycle;
  c.quantum = sc_time(s.host.quantum_ns, SC_NS);
  c.max_instructions = s.host.max_instructions;
  c.max_time = sc_time(s.host.max_sim_ms * 1e6, SC_NS);
  c.clint_base = EC_RV32_CLINT_BASE;
  c.mtime_hz = EC_RV32_MTIME_HZ;
  c.start_held = true;  // released by boot_thread once the ELF and the job are in memory
  c.reset_pc = EC_RV32_RAM_BASE;
  cpu_.reset(new Rv32Cpu("cpu", c));
  cpu_->on_stop = [this](const Rv32Stop& stop) {
    stop_ = stop;
    stopped_ = true;
    sc_core::sc_stop();
  };
  exit_->on_exit = [this](uint32_t code) { cpu_->request_exit(code); };
  console_->on_line = [this](const std::string& line) {
    if (echo_console) std::cout << "rv32 console: " << line << "\n";
  };

  SC_HAS_PROCESS(Rv32System);
  SC_THREAD(boot_thread);
}

Rv32System::~Rv32System() = default;

void Rv32System::set_debugger(CpuDebugger* debugger) { cpu_->set_debugger(debugger); }

void Rv32System::boot_thread() {
  if (!boot || !boot()) {
    sc_core::sc_stop();
    return;
  }
  cpu_->release();
}

bool Rv32System::write_job(const ec_fw_job& job, std::string* why) {
  // Segments may go into the firmware RAM or system memory, nowhere else.
  const std::vector<io::ElfRegion> regions = {{EC_RV32_RAM_BASE, ram_->size()}, {0, soc_.memory_bytes()}};
  io::ElfFile elf;
  try {
    elf = io::read_elf32(firmware_path, regions);
  } catch (const io::ElfError& e) {
    *why = std::string("host.firmware: ") + e.what() + " (the firmware RAM is " + hex(EC_RV32_RAM_BASE) + ".." +
           hex(EC_RV32_RAM_BASE + ram_->size()) + ", host.ram_kib; system memory 0x0.." +
           hex(soc_.memory_bytes()) + ")";
    bad_firmware = true;
    return false;
  }
  for (const io::ElfSegment& seg : elf.segments) {
    const std::vector<uint8_t> bytes = seg.image();  // .bss and the like: zero-filled
    if (!bytes.empty() && !soc_.debug_write(seg.paddr, bytes.data(), bytes.size())) {
      *why = "host.firmware: " + firmware_path + ": loading a segment at " + hex(seg.paddr) + " failed";
      return false;
    }
  }
  cpu_->write_reg(32, elf.entry);
  if (!soc_.debug_write(EC_RV32_MAILBOX_BASE, &job, sizeof job)) {
    *why = "rv32: writing the job block into the mailbox failed";
    return false;
  }
  return true;
}

bool Rv32System::read_result(ec_fw_result* result, std::string* why) {
  why->clear();
  if (!stopped_) {
    *why = "rv32: the simulation ended before the firmware stopped (nothing left to wake the core)";
    return false;
  }
  if (stop_.kind != Rv32Stop::Kind::Exit) {
    *why = std::string(stop_.kind == Rv32Stop::Kind::Limit ? "firmware stopped: " : "firmware fault: ") +
           stop_.cause;
    if (stop_.cause.find("pc=") == std::string::npos) *why += " at pc=" + hex(stop_.pc) + ", tval=" + hex(stop_.tval);
    return false;
  }
  std::memset(result, 0, sizeof *result);
  if (!soc_.debug_read(EC_RV32_MAILBOX_BASE + EC_FW_RESULT_OFFSET, result, sizeof *result)) {
    *why = "rv32: reading the result block from the mailbox failed";
    return false;
  }
  if (result->magic == EC_FW_RESULT_MAGIC) {
    result->message[EC_FW_MESSAGE_BYTES - 1] = '\0';
    return true;
  }
  if (stop_.exit_code != 0)
    *why = "firmware exited with code " + std::to_string(stop_.exit_code) + " without a result block";
  return false;
}

nlohmann::json Rv32System::report() const {
  const Rv32Cpu& c = *cpu_;
  nlohmann::json r = {{"kind", "rv32"},
                      {"firmware", firmware_path},
                      {"clock_mhz", s_.host.clock_mhz},
                      {"instructions", c.instructions()},
                      {"cycles", c.cycles()},
                      {"wfi_seconds", c.wfi_time().to_seconds()},
                      {"console", console_->text()}};
  if (stopped_) {
    r["exit_code"] = stop_.kind == Rv32Stop::Kind::Exit ? nlohmann::json(stop_.exit_code) : nlohmann::json(nullptr);
    r["stop"] = stop_.kind == Rv32Stop::Kind::Exit ? "exit" : stop_.cause;
  }
  return r;
}

}  // namespace epochcore
