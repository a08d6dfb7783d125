// The SoC's memory: a TLM target with a fixed latency plus a bandwidth term per access
// (the delay the accelerator's DMA turns into cycles), debug transport, and DMI over the
// whole memory for initiators that want it (the stand-in CPU uses it; EpochCore's DMA
// engine always uses b_transport so that every burst is timed).
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

class Memory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Memory> socket;

  Memory(sc_core::sc_module_name name, uint64_t bytes, sc_core::sc_time latency, double bytes_per_ns)
      : sc_core::sc_module(name), socket("socket"), data_(bytes, 0), latency_(latency),
        bytes_per_ns_(bytes_per_ns) {
    socket.register_b_transport(this, &Memory::b_transport);
    socket.register_transport_dbg(this, &Memory::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &Memory::get_direct_mem_ptr);
  }

  uint64_t accesses() const { return accesses_; }

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t addr = tx.get_address();
    const unsigned len = tx.get_data_length();
    if (addr >= data_.size() || len > data_.size() - addr) {
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    if (tx.get_byte_enable_ptr()) {
      tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
      return;
    }
    if (tx.get_streaming_width() < len) {
      tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
      return;
    }
    if (tx.is_read())
      std::memcpy(tx.get_data_ptr(), &data_[addr], len);
    else if (tx.is_write())
      std::memcpy(&data_[addr], tx.get_data_ptr(), len);
    delay += latency_ + sc_core::sc_time(double(len) / bytes_per_ns_, sc_core::SC_NS);
    ++accesses_;
    tx.set_dmi_allowed(true);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }

  unsigned transport_dbg(tlm::tlm_generic_payload& tx) {
    const uint64_t addr = tx.get_address();
    if (addr >= data_.size()) return 0;
    const unsigned len = unsigned(std::min<uint64_t>(tx.get_data_length(), data_.size() - addr));
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), &data_[addr], len);
    else if (tx.is_write()) std::memcpy(&data_[addr], tx.get_data_ptr(), len);
    else return 0;
    return len;
  }

  bool get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
    dmi.set_dmi_ptr(data_.data());
    dmi.set_start_address(0);
    dmi.set_end_address(data_.size() - 1);
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
    dmi.set_read_latency(latency_);
    dmi.set_write_latency(latency_);
    return true;
  }

  std::vector<unsigned char> data_;
  sc_core::sc_time latency_;
  double bytes_per_ns_;
  uint64_t accesses_ = 0;
};
