// System memory: a flat, byte-addressed TLM-2.0 target (loosely timed).
//
// b_transport annotates delay += latency + len / bytes_per_ns (rounded to the time
// resolution as sc_time(ns, SC_NS) rounds; see models/dma/dma_timing.h). Error
// responses cost the latency only; IGNORE costs nothing. transport_dbg costs no time,
// touches no counter and clips to the memory. DMI is granted over the whole memory
// for reads and writes (DMI accesses bypass the counters).
#pragma once
#include <cstdint>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace epochcore {

// The error rules shared by the memory-like targets, checked in this order:
// command other than READ/WRITE -> COMMAND_ERROR (the caller handles IGNORE first),
// [addr, addr + span) outside [0, size) -> ADDRESS_ERROR (span = the streaming width
// when it is shorter than the length), a byte-enable pointer ->
// BYTE_ENABLE_ERROR, streaming width < length -> BURST_ERROR. OK otherwise.
tlm::tlm_response_status memory_access_status(const tlm::tlm_generic_payload& trans,
                                              uint64_t size_bytes);

// Bytes a debug access at `addr` of `len` bytes may touch in a target of `size_bytes`.
unsigned debug_access_length(uint64_t addr, unsigned len, uint64_t size_bytes);

// The DMI answer of the memory-like targets (SystemMemory, Scratchpad): read/write
// access over the whole storage [0, size) at `ptr` with `latency` both ways when `addr`
// lies inside it; otherwise denied from `size` to the top of the address space.
bool grant_whole_dmi(uint64_t addr, uint64_t size, unsigned char* ptr, sc_core::sc_time latency,
                     tlm::tlm_dmi& dmi);

class SystemMemory : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<SystemMemory> socket;

  struct Counters {
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    uint64_t transactions = 0;  // every b_transport call, errors included
  };

  // Storage comes from calloc: the OS hands out zero pages lazily, so a large memory
  // costs nothing until it is touched. bytes_per_ns must be > 0.
  SystemMemory(sc_core::sc_module_name name, uint64_t size_bytes, sc_core::sc_time latency,
               double bytes_per_ns);
  ~SystemMemory() override;
  SystemMemory(const SystemMemory&) = delete;
  SystemMemory& operator=(const SystemMemory&) = delete;

  uint8_t* data() { return data_; }  // for loaders and test back doors
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  sc_core::sc_time latency() const { return latency_; }
  double bytes_per_ns() const { return bytes_per_ns_; }

  const Counters& counters() const { return counters_; }
  uint64_t bytes_read() const { return counters_.bytes_read; }
  uint64_t bytes_written() const { return counters_.bytes_written; }
  uint64_t transactions() const { return counters_.transactions; }
  void reset_counters() { counters_ = Counters{}; }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);

  uint8_t* data_ = nullptr;
  uint64_t size_;
  sc_core::sc_time latency_;
  double bytes_per_ns_;
  Counters counters_;
};

}  // namespace epochcore
