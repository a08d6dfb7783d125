#include "epochcore/models/memory/scratchpad.h"

#include <cstring>

#include "epochcore/models/memory/system_memory.h"

namespace epochcore {

using sc_core::sc_time;

Scratchpad::Scratchpad(sc_core::sc_module_name name, uint32_t size_bytes, uint32_t banks,
                       uint32_t ports, sc_time clock_period)
    : sc_module(name), socket("socket"), words_(size_bytes / 4, 0.0f),
      size_bytes_(size_bytes), banks_(banks), ports_(ports), clock_period_(clock_period) {
  if (size_bytes == 0 || size_bytes % 4 != 0)
    SC_REPORT_ERROR(this->name(), "scratchpad size_bytes must be a non-zero multiple of 4");
  if (banks == 0) SC_REPORT_ERROR(this->name(), "scratchpad banks must be >= 1");
  if (ports == 0) SC_REPORT_ERROR(this->name(), "scratchpad ports must be >= 1");
  if (clock_period == sc_core::SC_ZERO_TIME)
    SC_REPORT_ERROR(this->name(), "scratchpad clock_period must be > 0");
  socket.register_b_transport(this, &Scratchpad::b_transport);
  socket.register_transport_dbg(this, &Scratchpad::transport_dbg);
  socket.register_get_direct_mem_ptr(this, &Scratchpad::get_direct_mem_ptr);
}

void Scratchpad::b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) {
  if (trans.get_command() == tlm::TLM_IGNORE_COMMAND) {
    trans.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  // words_.size() * 4 rather than size_bytes_: a bad size never lets an access past the storage.
  const tlm::tlm_response_status status = memory_access_status(trans, words_.size() * 4);
  if (status != tlm::TLM_OK_RESPONSE) {
    trans.set_response_status(status);
    return;
  }
  const uint64_t addr = trans.get_address();
  const unsigned len = trans.get_data_length();
  if (trans.is_read()) {
    std::memcpy(trans.get_data_ptr(), bytes() + addr, len);
    stats_.dma_read_bytes += len;
  } else {
    std::memcpy(bytes() + addr, trans.get_data_ptr(), len);
    stats_.dma_write_bytes += len;
  }
  delay += clock_period_ * double(dma_cycles(len));
  trans.set_dmi_allowed(true);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned Scratchpad::transport_dbg(tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const unsigned len = debug_access_length(addr, trans.get_data_length(), words_.size() * 4);
  if (len == 0) return 0;
  if (trans.is_read())
    std::memcpy(trans.get_data_ptr(), bytes() + addr, len);
  else if (trans.is_write())
    std::memcpy(bytes() + addr, trans.get_data_ptr(), len);
  else
    return 0;
  return len;
}

bool Scratchpad::get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  return grant_whole_dmi(trans.get_address(), words_.size() * 4, bytes(), clock_period_, dmi);
}

}  // namespace epochcore
