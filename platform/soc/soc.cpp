#include "epochcore/platform/soc/soc.h"

#include "epochcore/contract/number_format.h"

#include "epochcore/contract/registers.h"
#include "epochcore/models/memory/spad_map.h"

namespace epochcore {

using sc_core::sc_time;
using sc_core::SC_NS;

AccelParams accel_params_from(const Scenario& s) {
  AccelParams p;
  p.array.rows = s.array.rows;
  p.array.cols = s.array.cols;
  p.array.segments = s.array.segments;
  p.array.real_only = s.array.real_only;
  p.array.fast = s.run.timing == "fast";
  p.array.clock_period = sc_time(1000.0 / s.array.clock_mhz, SC_NS);
  const SpadConfig* spads[3] = {&s.spad_input, &s.spad_param, &s.spad_output};
  for (int i = 0; i < 3; ++i) p.spad[i] = {spads[i]->size_kib, spads[i]->banks, spads[i]->ports};
  p.dma = {s.dma.bytes_per_cycle, s.dma.setup_cycles, s.dma.burst_bytes, s.dma.max_outstanding};
  p.number_format = uint8_t(numfmt::parse_format(s.precision.format, "precision.format"));
  p.vector_lanes = s.vector.lanes;
  p.quantum = sc_time(s.host.quantum_ns, SC_NS);
  return p;
}

Soc::Soc(sc_core::sc_module_name name, const Scenario& s)
    : sc_core::sc_module(name), memory_bytes_(uint64_t(s.memory.size_mib) << 20),
      loader_("loader"), irq_("irq") {
  const AccelParams ap = accel_params_from(s);
  period_ = ap.array.clock_period;
  tlm::tlm_global_quantum::instance().set(ap.quantum);

  memory_.reset(new SystemMemory("memory", memory_bytes_, sc_time(s.memory.latency_ns, SC_NS),
                                 s.memory.bytes_per_ns));
  bus_.reset(new Router("bus"));
  accel_.reset(new EpochCoreAccel("epochcore", ap));
  host_.reset(new HostDriver("host", kCsrBase));

  // Targets, in map order.
  bus_->initiator_socket.bind(memory_->socket);
  bus_->initiator_socket.bind(accel_->csr_socket);
  bus_->initiator_socket.bind(accel_->spad_socket);
  bus_->map(kMemBase, memory_bytes_, 0, "memory");
  bus_->map(kCsrBase, regs::kCsrWindowBytes, 1, "epochcore.csr");
  bus_->map(kSpadWindowBase, 3 * kSpadWindowBytes, 2, "epochcore.spad");
  // Initiators.
  host_->socket.bind(bus_->target_socket);
  accel_->dma_socket.bind(bus_->target_socket);
  loader_.bind(bus_->target_socket);

  accel_->irq.bind(irq_);
  host_->irq.bind(irq_);
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
