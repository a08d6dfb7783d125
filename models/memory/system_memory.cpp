#include "epochcore/models/memory/system_memory.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace epochcore {

using sc_core::sc_time;

tlm::tlm_response_status memory_access_status(const tlm::tlm_generic_payload& trans,
                                              uint64_t size_bytes) {
  const tlm::tlm_command cmd = trans.get_command();
  if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND)
    return tlm::TLM_COMMAND_ERROR_RESPONSE;
  const uint64_t addr = trans.get_address();
  const uint64_t len = trans.get_data_length();
  const uint64_t width = trans.get_streaming_width();
  const uint64_t span = (width != 0 && width < len) ? width : len;  // bytes of address space touched
  if (addr > size_bytes || span > size_bytes - addr) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (trans.get_byte_enable_ptr() != nullptr) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  if (trans.get_streaming_width() < len) return tlm::TLM_BURST_ERROR_RESPONSE;
  return tlm::TLM_OK_RESPONSE;
}

unsigned debug_access_length(uint64_t addr, unsigned len, uint64_t size_bytes) {
  if (addr >= size_bytes) return 0;
  const uint64_t room = size_bytes - addr;
  return len < room ? len : unsigned(room);
}

SystemMemory::SystemMemory(sc_core::sc_module_name name, uint64_t size_bytes, sc_time latency,
                           double bytes_per_ns)
    : sc_module(name), socket("socket"), size_(size_bytes), latency_(latency),
      bytes_per_ns_(bytes_per_ns) {
  if (size_bytes == 0)
    SC_REPORT_ERROR(this->name(), "system memory size_bytes must be >= 1");
  if (!(bytes_per_ns > 0))
    SC_REPORT_ERROR(this->name(), "system memory bytes_per_ns must be > 0");
  data_ = static_cast<uint8_t*>(std::calloc(size_bytes, 1));
  if (data_ == nullptr)
    SC_REPORT_ERROR(this->name(), ("cannot allocate " + std::to_string(size_bytes) +
                                   " bytes of system memory").c_str());
  socket.register_b_transport(this, &SystemMemory::b_transport);
  socket.register_transport_dbg(this, &SystemMemory::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &SystemMemory::get_direct_mem_ptr);
}

SystemMemory::~SystemMemory() { std::free(data_); }

void SystemMemory::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  ++counters_.transactions;
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  const tlm::tlm_response_status status = memory_access_status(trans, size_);
  delay += latency_;
  if (status != tlm::TLM_OK_RESPONSE) {
    trans.set_response_status(status);
    return;
  }
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.is_read()) {
    std::memcpy(trans.get_data_ptr(), data_ + addr, len);
    counters_.bytes_read += len;
  } else {
    std::memcpy(data_ + addr, trans.get_data_ptr(), len);
    counters_.bytes_written += len;
  }
  // Kept as sc_time(ns) so it rounds like timing::ns_to_ps in the closed form.
  delay += sc_time(double(len) / bytes_per_ns_, sc_core::SC_NS);
  trans.set_dmi_allowed(true);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned SystemMemory::transport_dbg(tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const unsigned len = debug_access_length(addr, trans.get_data_length(), size_);
  if (len == 0) return 0;
  if (trans.is_read())
    std::memcpy(trans.get_data_ptr(), data_ + addr, len);
  else if (trans.is_write())
    std::memcpy(data_ + addr, trans.get_data_ptr(), len);
  else
    return 0;
  return len;
}

bool grant_whole_dmi(uint64_t addr, uint64_t size, unsigned char* ptr, sc_time latency,
                     tlm::tlm_dmi& dmi) {
  if (addr >= size) {
    // Nothing above the storage: deny from its end upwards.
    dmi.set_start_address(size);
    dmi.set_end_address(~sc_dt::uint64(0));
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    return false;
  }
  dmi.set_dmi_ptr(ptr);
  dmi.set_start_address(0);
  dmi.set_end_address(size - 1);
  dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
  dmi.set_read_latency(latency);
  dmi.set_write_latency(latency);
  return true;
}

bool SystemMemory::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  return grant_whole_dmi(trans.get_address(), size_, data_, latency_, dmi);
}

}  // namespace epochcore
