#include "epochcore/models/cpu/exit_device.h"

#include <cstring>

namespace epochcore {

ExitDevice::ExitDevice(sc_core::sc_module_name name, uint64_t size)
    : sc_core::sc_module(name), socket("socket"), size_(size) {
  socket.register_b_transport(this, &ExitDevice::b_transport);
  socket.register_transport_dbg(this, &ExitDevice::transport_dbg);
}

void ExitDevice::write_code(uint32_t code) {
  code_ = code;
  ++writes_;
  if (on_exit) on_exit(code);
}

void ExitDevice::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time&) {
  const uint64_t addr = t.get_address();
  const unsigned len = t.get_data_length();
  if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  if (addr >= size_ || addr != 0 || t.get_data_ptr() == nullptr) {
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (t.get_command() != tlm::TLM_READ_COMMAND && t.get_command() != tlm::TLM_WRITE_COMMAND) {
    t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    return;
  }
  if (t.get_byte_enable_ptr() != nullptr) {
    t.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (len != 4 || t.get_streaming_width() != 4) {
    t.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  if (t.is_write()) {
    uint32_t v;
    std::memcpy(&v, t.get_data_ptr(), 4);
    write_code(v);
  } else {
    std::memcpy(t.get_data_ptr(), &code_, 4);
  }
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned ExitDevice::transport_dbg(tlm::tlm_generic_payload& t) {
  // Debug reads see the last code; debug writes never end the run.
  if (t.get_address() != 0 || t.get_data_ptr() == nullptr || t.get_data_length() == 0) return 0;
  if (t.get_command() != tlm::TLM_READ_COMMAND) return 0;
  const unsigned n = t.get_data_length() < 4 ? t.get_data_length() : 4;
  std::memcpy(t.get_data_ptr(), &code_, n);
  return n;
}

}  // namespace epochcore
