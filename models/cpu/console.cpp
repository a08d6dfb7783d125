#include "epochcore/models/cpu/console.h"

#include <cstring>

namespace epochcore {

Console::Console(sc_core::sc_module_name name, uint64_t size, sc_core::sc_time latency)
    : sc_core::sc_module(name), socket("socket"), size_(size), latency_(latency) {
  socket.register_b_transport(this, &Console::b_transport);
  socket.register_transport_dbg(this, &Console::transport_dbg);
}

void Console::put(char c) {
  text_ += c;
  ++bytes_;
  if (c == '\n') {
    if (on_line) on_line(line_);
    line_.clear();
  } else {
    line_ += c;
  }
}

void Console::b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay) {
  const uint64_t addr = t.get_address();
  const unsigned len = t.get_data_length();
  if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {
    t.set_response_status(tlm::TLM_OK_RESPONSE);
    return;
  }
  delay += latency_;
  if (addr >= size_ || len == 0 || len > size_ - addr) {
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
  if (addr != 0 || len > 4 || t.get_data_ptr() == nullptr) {  // only the TX register exists
    t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (t.is_write())
    put(char(t.get_data_ptr()[0]));
  else
    std::memset(t.get_data_ptr(), 0, len);
  t.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned Console::transport_dbg(tlm::tlm_generic_payload& t) {
  // A debugger writing the TX register prints; reads see zeros; nothing outside.
  const uint64_t addr = t.get_address();
  const unsigned len = t.get_data_length();
  if (addr != 0 || len == 0 || t.get_data_ptr() == nullptr) return 0;
  const unsigned n = len < 4 ? len : 4;
  if (t.get_command() == tlm::TLM_WRITE_COMMAND) {
    put(char(t.get_data_ptr()[0]));
  } else if (t.get_command() == tlm::TLM_READ_COMMAND) {
    std::memset(t.get_data_ptr(), 0, n);
  } else {
    return 0;
  }
  return n;
}

}  // namespace epochcore
