#include "epochcore/platform/host/host_driver.h"

#include <algorithm>

namespace epochcore {

HostDriver::HostDriver(sc_core::sc_module_name name, uint64_t csr_base)
    : sc_core::sc_module(name), socket("socket"), irq("irq"), csr_base_(csr_base) {
  qk_.reset();
  SC_HAS_PROCESS(HostDriver);
  SC_THREAD(thread);
}

void HostDriver::thread() {
  if (program) program(*this);
  qk_.sync();
  if (on_exit) on_exit();
}

fw::HalStatus HostDriver::transport(tlm::tlm_command cmd, uint64_t addr, void* data,
                                    size_t bytes) {
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
    sc_core::sc_time delay = qk_.get_local_time();
    socket->b_transport(tx, delay);
    qk_.set(delay);
    if (qk_.need_sync()) qk_.sync();
    ++transactions_;
    if (tx.is_response_error()) return fw::HalStatus::BUS_ERROR;
    addr += n;
    p += n;
    bytes -= n;
  }
  return fw::HalStatus::OK;
}

fw::HalStatus HostDriver::reg_read(uint32_t offset, uint32_t* value) {
  qk_.sync();
  unsigned char b[4] = {0, 0, 0, 0};
  const fw::HalStatus st = transport(tlm::TLM_READ_COMMAND, csr_base_ + offset, b, 4);
  *value = uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
  return st;
}

fw::HalStatus HostDriver::reg_write(uint32_t offset, uint32_t value) {
  qk_.sync();
  if (before_reg_write) before_reg_write(offset, value);
  unsigned char b[4] = {uint8_t(value), uint8_t(value >> 8), uint8_t(value >> 16), uint8_t(value >> 24)};
  return transport(tlm::TLM_WRITE_COMMAND, csr_base_ + offset, b, 4);
}

fw::HalStatus HostDriver::mem_read(uint64_t addr, void* dst, size_t bytes) {
  return transport(tlm::TLM_READ_COMMAND, addr, dst, bytes);
}

fw::HalStatus HostDriver::mem_write(uint64_t addr, const void* src, size_t bytes) {
  return transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(src), bytes);
}

void HostDriver::wait_for_interrupt() {
  qk_.sync();
  while (!irq.read()) wait(irq.value_changed_event());
}

void HostDriver::log(const char* line) {
  if (log_sink)
    log_sink(line);
  else
    log_.emplace_back(line);
}

}  // namespace epochcore
