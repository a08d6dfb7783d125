// A banked on-chip scratchpad: word-interleaved banks of 4-byte words, `ports`
// accesses per bank per cycle for the array feeds, and a separate DMA port.
//
// The TLM socket is the DMA port: b_transport annotates delay += ceil(len / (4 * banks))
// clock cycles (one word per bank per cycle on that port), with the same error rules
// as SystemMemory (memory_access_status); errors and IGNORE cost no time.
// transport_dbg costs no time and clips to the buffer. DMI is granted over the whole
// buffer (for loaders and debuggers). The array reads and writes words() directly and
// adds its own feed counts to stats().
#pragma once
#include <cstdint>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

namespace epochcore {

class Scratchpad : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Scratchpad> socket;

  struct SpadStats {
    uint64_t dma_read_bytes = 0;
    uint64_t dma_write_bytes = 0;
    uint64_t array_read_words = 0;   // counted by the array and the vector unit
    uint64_t array_write_words = 0;  // counted by the array and the vector unit
  };

  // size_bytes must be a non-zero multiple of 4; banks, ports and clock_period non-zero.
  Scratchpad(sc_core::sc_module_name name, uint32_t size_bytes, uint32_t banks,
             uint32_t ports, sc_core::sc_time clock_period);

  float* words() { return words_.data(); }
  const float* words() const { return words_.data(); }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(words_.data()); }
  const uint8_t* bytes() const { return reinterpret_cast<const uint8_t*>(words_.data()); }
  uint32_t size_bytes() const { return size_bytes_; }
  uint32_t banks() const { return banks_; }
  uint32_t ports() const { return ports_; }
  sc_core::sc_time clock_period() const { return clock_period_; }

  SpadStats& stats() { return stats_; }
  const SpadStats& stats() const { return stats_; }

  // Cycles the DMA port needs for `len` bytes: ceil(len / (4 * banks)).
  uint64_t dma_cycles(uint64_t len) const { return (len + 4ull * banks_ - 1) / (4ull * banks_); }

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);

  std::vector<float> words_;
  uint32_t size_bytes_;
  uint32_t banks_;
  uint32_t ports_;
  sc_core::sc_time clock_period_;
  SpadStats stats_;
};

}  // namespace epochcore
