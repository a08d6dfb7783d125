#include "cpu.h"

#include <algorithm>
#include <cstring>
#include <iostream>

#include "epochcore/contract/registers.h"

namespace fw = epochcore::fw;
namespace regs = epochcore::regs;
using sc_core::sc_time;

// The HAL of one accelerator: its registers at csr_base, memory and the interrupt shared.
class Cpu::DeviceHal : public fw::Hal {
 public:
  DeviceHal(Cpu& cpu, uint64_t csr_base) : cpu_(cpu), csr_base_(csr_base) {}

  fw::HalStatus reg_read(uint32_t offset, uint32_t* value) override {
    return cpu_.reg_access(tlm::TLM_READ_COMMAND, csr_base_ + offset, value);
  }
  fw::HalStatus reg_write(uint32_t offset, uint32_t value) override {
    return cpu_.reg_access(tlm::TLM_WRITE_COMMAND, csr_base_ + offset, &value);
  }
  fw::HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) override {
    return cpu_.mem_read(addr, dst, bytes);
  }
  fw::HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) override {
    return cpu_.mem_write(addr, src, bytes);
  }
  void wait_for_interrupt() override { cpu_.wait_for_device(*this); }
  void log(const char* line) override { std::cout << cpu_.name() << ": " << line << "\n"; }

  // The device's pending interrupts (IRQ_STATUS), 0 on a bus error.
  uint32_t pending() {
    uint32_t v = 0;
    return reg_read(regs::IRQ_STATUS, &v) == fw::HalStatus::OK ? v : 0;
  }

 private:
  Cpu& cpu_;
  uint64_t csr_base_;
};

Cpu::Cpu(sc_core::sc_module_name name) : sc_core::sc_module(name), socket("socket"), irq("irq") {
  socket.register_invalidate_direct_mem_ptr(this, &Cpu::invalidate_direct_mem_ptr);
  qk_.reset();
  SC_HAS_PROCESS(Cpu);
  SC_THREAD(thread);
}

Cpu::~Cpu() = default;

fw::Hal& Cpu::add_device(uint64_t csr_base) {
  devices_.emplace_back(new DeviceHal(*this, csr_base));
  return *devices_.back();
}

void Cpu::thread() {
  if (program) program(*this);
  qk_.sync();
}

// One shared interrupt line: returns once `dev` has a pending interrupt. While another
// device's interrupt holds the line, that device is masked (IRQ_ENABLE = 0; its
// IRQ_STATUS stays pending for its own driver's wait, and the driver's next submit
// enables it again), so the line then rises for `dev` alone.
void Cpu::wait_for_device(const DeviceHal& dev) {
  auto& self = const_cast<DeviceHal&>(dev);
  for (;;) {
    if (self.pending()) return;  // a register read: synchronises first
    if (irq.read()) {
      for (auto& other : devices_)
        if (other.get() != &dev && other->pending()) {
          other->reg_write(regs::IRQ_ENABLE, 0);
          ++deferred_;
        }
      continue;  // the register accesses took time: the line has settled
    }
    wait(irq.posedge_event());
  }
}

// Device registers: synchronise first, as a CPU's uncached device access would.
fw::HalStatus Cpu::reg_access(tlm::tlm_command cmd, uint64_t addr, uint32_t* value) {
  qk_.sync();
  unsigned char b[4] = {0, 0, 0, 0};
  if (cmd == tlm::TLM_WRITE_COMMAND)
    for (int i = 0; i < 4; ++i) b[i] = uint8_t(*value >> (8 * i));
  const fw::HalStatus st = transport(cmd, addr, b, 4);
  if (cmd == tlm::TLM_READ_COMMAND)
    *value = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
  return st;
}

fw::HalStatus Cpu::mem_read(uint64_t addr, void* dst, size_t bytes) {
  if (dmi_access(tlm::TLM_READ_COMMAND, addr, dst, bytes)) return fw::HalStatus::OK;
  return transport(tlm::TLM_READ_COMMAND, addr, dst, bytes);
}

fw::HalStatus Cpu::mem_write(uint64_t addr, const void* src, size_t bytes) {
  if (dmi_access(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), bytes)) return fw::HalStatus::OK;
  return transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), bytes);
}

// Through the DMI pointer when the whole access lies in the granted region: the
// region's latency per 64-byte line, annotated on the quantum keeper.
bool Cpu::dmi_access(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes) {
  if (!dmi_valid_ || addr < dmi_.get_start_address() || bytes == 0 ||
      bytes - 1 > dmi_.get_end_address() - addr)
    return false;
  const bool read = cmd == tlm::TLM_READ_COMMAND;
  if (read ? !dmi_.is_read_allowed() : !dmi_.is_write_allowed()) return false;
  unsigned char* p = dmi_.get_dmi_ptr() + (addr - dmi_.get_start_address());
  if (read)
    std::memcpy(data, p, bytes);
  else
    std::memcpy(p, data, bytes);
  const uint64_t lines = (bytes + 63) / 64;
  qk_.inc((read ? dmi_.get_read_latency() : dmi_.get_write_latency()) * double(lines));
  if (qk_.need_sync()) qk_.sync();
  ++dmi_accesses_;
  return true;
}

fw::HalStatus Cpu::transport(tlm::tlm_command cmd, uint64_t addr, void* data, size_t bytes) {
  auto* p = static_cast<unsigned char*>(data);
  while (bytes > 0) {
    const size_t n = std::min(bytes, kMaxBurst);
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(p);
    tx.set_data_length(unsigned(n));
    tx.set_streaming_width(unsigned(n));
    tx.set_byte_enable_ptr(nullptr);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    sc_time delay = qk_.get_local_time();
    socket->b_transport(tx, delay);
    qk_.set(delay);
    if (qk_.need_sync()) qk_.sync();
    ++bus_accesses_;
    if (tx.is_response_error()) return fw::HalStatus::BUS_ERROR;
    if (tx.is_dmi_allowed() && !dmi_valid_) {
      tx.set_address(addr);
      dmi_valid_ = socket->get_direct_mem_ptr(tx, dmi_);
    }
    addr += n;
    p += n;
    bytes -= n;
  }
  return fw::HalStatus::OK;
}

void Cpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (dmi_valid_ && start <= dmi_.get_end_address() && end >= dmi_.get_start_address()) dmi_valid_ = false;
}
