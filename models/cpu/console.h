// A console: a TLM-2.0 target where a byte written at offset 0 (the low byte of any write
// of 1..4 bytes there) is appended to the output text. Completed lines can be forwarded
// to a callback. Reads of offset 0 return 0. Anything else gets an error response
// (TLM_ADDRESS_ERROR_RESPONSE outside [0, size), TLM_COMMAND_ERROR_RESPONSE for other
// commands, TLM_BYTE_ENABLE_ERROR_RESPONSE with byte enables); nothing asserts.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace epochcore {

class Console : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Console> socket;
  std::function<void(const std::string&)> on_line;  // each completed line, without '\n'

  // size: the decoded window (offset 0 is TX, the rest answers ADDRESS_ERROR);
  // latency: added to every b_transport.
  Console(sc_core::sc_module_name name, uint64_t size = 0x1000,
          sc_core::sc_time latency = sc_core::SC_ZERO_TIME);
  const char* kind() const override { return "epochcore::Console"; }

  const std::string& text() const { return text_; }  // everything written
  uint64_t bytes_written() const { return bytes_; }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& t);
  void put(char c);

  uint64_t size_;
  sc_core::sc_time latency_;
  std::string text_, line_;
  uint64_t bytes_ = 0;
};

}  // namespace epochcore
