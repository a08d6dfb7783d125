#include "epochcore/platform/soc/soc.h"

#include <algorithm>

#include "epochcore/contract/number_format.h"

#include "epochcore/contract/registers.h"
#include "epochcore/firmware/rv32/rv32_soc.h"
#include "epochcore/models/memory/spad_map.h"

namespace epochcore {

using sc_core::sc_time;
using sc_core::SC_NS;

SocAddressMap SocAddressMap::compute(uint64_t memory_bytes, const SpadMap& spad) {
  SocAddressMap m;
  m.mem_bytes = memory_bytes;
  m.csr_bytes = regs::kCsrWindowBytes;
  // Up to 1 GiB of memory: the historical map. Beyond: the CSRs at the first 1 GiB
  // boundary at or above the end of memory, the scratchpad window 256 MiB after them.
  m.csr_base = std::max(kCsrBase, (m.mem_base + memory_bytes + kCsrAlign - 1) / kCsrAlign * kCsrAlign);
  m.spad_base = m.csr_base + kCsrToSpadWindow;
  m.spad = spad;
  return m;
}

SocAddressMap soc_address_map(const Scenario& s) {
  return SocAddressMap::compute(uint64_t(s.memory.size_mib) << 20,
                                SpadMap::from_sizes(uint64_t(s.spad_input.size_kib) * 1024,
                                                    uint64_t(s.spad_param.size_kib) * 1024,
                                                    uint64_t(s.spad_output.size_kib) * 1024));
}

AccelParams accel_params_from(const Scenario& s) {
  AccelParams p;
  p.array.rows = s.array.rows;
  p.array.cols = s.array.cols;
  p.array.segments = s.array.segments;
  p.array.segment_direction = s.array.segment_direction;
  p.array.real_only = s.array.real_only;
  p.array.selective = s.array.selective;
  p.array.fast = s.run.timing == "fast";
  p.array.clock_period = sc_time(1000.0 / s.array.clock_mhz, SC_NS);
  const SpadConfig* spads[3] = {&s.spad_input, &s.spad_param, &s.spad_output};
  for (int i = 0; i < 3; ++i) p.spad[i] = {spads[i]->size_kib, spads[i]->banks, spads[i]->ports};
  p.dma = {s.dma.bytes_per_cycle, s.dma.setup_cycles, s.dma.burst_bytes, s.dma.max_outstanding};
  p.number_format = uint8_t(numfmt::parse_format(s.precision.format, "precision.format"));
  p.vector_lanes = s.vector.lanes;
  p.compute_queues = s.array.compute_queues;
  p.quantum = sc_time(s.host.quantum_ns, SC_NS);
  p.check_protocol = s.run.check_protocol;
  return p;
}

Soc::Soc(sc_core::sc_module_name name, const Scenario& s)
    : sc_core::sc_module(name), memory_bytes_(uint64_t(s.memory.size_mib) << 20),
      map_(soc_address_map(s)), loader_("loader"), irq_("irq") {
  const AccelParams ap = accel_params_from(s);
  period_ = ap.array.clock_period;
  tlm::tlm_global_quantum::instance().set(ap.quantum);

  memory_.reset(new SystemMemory("memory", memory_bytes_, sc_time(s.memory.latency_ns, SC_NS),
                                 s.memory.bytes_per_ns));
  bus_.reset(new Router("bus"));
  accel_.reset(new EpochCoreAccel("epochcore", ap));
  if (accel_->spad_map().stride != map_.spad.stride)
    SC_REPORT_ERROR(this->name(), "SocAddressMap and the accelerator disagree on the scratchpad stride");
  if (s.host.cpu == CpuKind::Model)
    host_.reset(new HostDriver("host", map_.csr_base));
  else
    rv32_.reset(new Rv32System("rv32", s, *this));

  // Targets, in map order; with run.check_protocol a ProtocolChecker sits on every
  // socket between an initiator and the bus and between the bus and a target.
  const bool check = s.run.check_protocol;
  auto bind_target = [&](auto& target_socket, const char* checker) {
    if (!check) {
      bus_->initiator_socket.bind(target_socket);
      return;
    }
    ProtocolChecker* c = new_checker(checker);
    bus_->initiator_socket.bind(c->target_socket);
    c->initiator_socket.bind(target_socket);
  };
  auto bind_initiator = [&](auto& initiator_socket, const char* checker) {
    if (!check) {
      initiator_socket.bind(bus_->target_socket);
      return;
    }
    ProtocolChecker* c = new_checker(checker);
    initiator_socket.bind(c->target_socket);
    c->initiator_socket.bind(bus_->target_socket);
  };
  bind_target(memory_->socket, "check_memory");
  bind_target(accel_->csr_socket, "check_csr");
  bind_target(accel_->spad_socket, "check_spad");
  bus_->map(map_.mem_base, map_.mem_bytes, 0, "memory");
  bus_->map(map_.csr_base, map_.csr_bytes, 1, "epochcore.csr");
  bus_->map(map_.spad_base, map_.spad_bytes(), 2, "epochcore.spad");
  if (rv32_) {  // firmware RAM, mailbox, console, exit device (firmware/rv32/rv32_soc.h)
    bind_target(rv32_->ram().socket, "check_ram");
    bind_target(rv32_->mailbox().socket, "check_mailbox");
    bind_target(rv32_->console().socket, "check_console");
    bind_target(rv32_->exit_device().socket, "check_exit");
    bus_->map(EC_RV32_RAM_BASE, rv32_->ram().size(), 3, "rv32.ram");
    bus_->map(EC_RV32_MAILBOX_BASE, EC_RV32_MAILBOX_BYTES, 4, "rv32.mailbox");
    bus_->map(EC_RV32_CONSOLE_BASE, EC_RV32_CONSOLE_BYTES, 5, "rv32.console");
    bus_->map(EC_RV32_EXIT_BASE, EC_RV32_EXIT_BYTES, 6, "rv32.exit");
  }
  // Initiators.
  if (host_) bind_initiator(host_->socket, "check_host");
  if (rv32_) bind_initiator(rv32_->cpu().socket, "check_cpu");
  bind_initiator(accel_->dma_socket, "check_dma");
  bind_initiator(loader_, "check_loader");

  accel_->irq.bind(irq_);
  if (host_) host_->irq.bind(irq_);
  if (rv32_) rv32_->cpu().irq_external.bind(irq_);
  SC_HAS_PROCESS(Soc);
  SC_METHOD(irq_rise);
  sensitive << irq_.posedge_event();
  dont_initialize();
}

void Soc::irq_rise() {
  if (on_irq_rise) on_irq_rise();
}

ProtocolChecker* Soc::new_checker(const char* name) {
  checkers_.emplace_back(new ProtocolChecker(name));
  return checkers_.back().get();
}

uint64_t Soc::protocol_violations() const {
  uint64_t n = accel_->protocol_violations();
  for (const auto& c : checkers_) n += c->violations();
  return n;
}

bool Soc::debug(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes) {
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(static_cast<unsigned char*>(data));
  tx.set_data_length(unsigned(bytes));
  return loader_->transport_dbg(tx) == bytes;
}

bool Soc::debug_write(uint64_t addr, const void* src, size_t bytes) {
  return debug(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), bytes);
}

bool Soc::debug_read(uint64_t addr, void* dst, size_t bytes) {
  return debug(tlm::TLM_READ_COMMAND, addr, dst, bytes);
}

}  // namespace epochcore
