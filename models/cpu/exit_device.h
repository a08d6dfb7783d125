// The exit device: a TLM-2.0 target where a 32-bit write at offset 0 ends the run with
// that code (0: pass); the SoC connects on_exit to Rv32Cpu::request_exit. Reads of
// offset 0 return the last code written (0 before). Other offsets answer
// TLM_ADDRESS_ERROR_RESPONSE, other lengths TLM_BURST_ERROR_RESPONSE, byte enables
// TLM_BYTE_ENABLE_ERROR_RESPONSE, other commands TLM_COMMAND_ERROR_RESPONSE; nothing
// asserts.
#pragma once
#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace epochcore {

class ExitDevice : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ExitDevice> socket;
  std::function<void(uint32_t code)> on_exit;

  ExitDevice(sc_core::sc_module_name name, uint64_t size = 0x1000);
  const char* kind() const override { return "epochcore::ExitDevice"; }

  bool exited() const { return writes_ > 0; }
  uint32_t code() const { return code_; }  // the last code written
  uint64_t writes() const { return writes_; }

 private:
  void b_transport(tlm::tlm_generic_payload& t, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& t);
  void write_code(uint32_t code);

  uint64_t size_;
  uint32_t code_ = 0;
  uint64_t writes_ = 0;
};

}  // namespace epochcore
