// The SoC's interconnect: an address decoder. Any number of initiators bind to
// target_socket; targets bind to initiator_socket in the order of map() calls' `port`.
// Targets see addresses relative to their region. Unmapped addresses get
// TLM_ADDRESS_ERROR_RESPONSE; DMI grants and invalidations are translated both ways.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

class Decoder : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Decoder> target_socket;
  tlm_utils::multi_passthrough_initiator_socket<Decoder> initiator_socket;

  explicit Decoder(sc_core::sc_module_name name)
      : sc_core::sc_module(name), target_socket("target_socket"), initiator_socket("initiator_socket") {
    target_socket.register_b_transport(this, &Decoder::b_transport);
    target_socket.register_transport_dbg(this, &Decoder::transport_dbg);
    target_socket.register_get_direct_mem_ptr(this, &Decoder::get_direct_mem_ptr);
    initiator_socket.register_invalidate_direct_mem_ptr(this, &Decoder::invalidate_direct_mem_ptr);
  }

  void map(uint64_t base, uint64_t size, unsigned port, const std::string& name) {
    for (const Region& r : regions_)
      if (base < r.base + r.size && r.base < base + size)
        SC_REPORT_ERROR(this->name(), ("region " + name + " overlaps " + r.name).c_str());
    regions_.push_back({base, size, port, name});
  }

 private:
  struct Region {
    uint64_t base, size;
    unsigned port;
    std::string name;
  };

  // The region holding the whole access [addr, addr + len), or nullptr.
  const Region* decode(uint64_t addr, uint64_t len) const {
    for (const Region& r : regions_)
      if (addr >= r.base && addr - r.base < r.size && len <= r.size - (addr - r.base)) return &r;
    return nullptr;
  }

  void b_transport(int, tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    const uint64_t addr = tx.get_address();
    const Region* r = decode(addr, tx.get_data_length());
    if (!r) {
      tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    tx.set_address(addr - r->base);
    initiator_socket[r->port]->b_transport(tx, delay);
    tx.set_address(addr);
  }

  unsigned transport_dbg(int, tlm::tlm_generic_payload& tx) {
    const uint64_t addr = tx.get_address();
    const Region* r = decode(addr, 1);
    if (!r) return 0;
    // Clip to the region; the target clips further.
    const uint64_t room = r->size - (addr - r->base);
    if (tx.get_data_length() > room) tx.set_data_length(unsigned(room));
    tx.set_address(addr - r->base);
    const unsigned n = initiator_socket[r->port]->transport_dbg(tx);
    tx.set_address(addr);
    return n;
  }

  bool get_direct_mem_ptr(int, tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
    const uint64_t addr = tx.get_address();
    const Region* r = decode(addr, 1);
    if (!r) {
      dmi.set_start_address(0);
      dmi.set_end_address(~sc_dt::uint64(0));
      dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
      return false;
    }
    tx.set_address(addr - r->base);
    const bool granted = initiator_socket[r->port]->get_direct_mem_ptr(tx, dmi);
    tx.set_address(addr);
    // Back to system addresses, clipped to the region.
    const uint64_t last = r->size - 1;
    uint64_t start = dmi.get_start_address(), end = std::min<uint64_t>(dmi.get_end_address(), last);
    if (granted && start <= end) {
      dmi.set_start_address(r->base + start);
      dmi.set_end_address(r->base + end);
    } else {
      dmi.set_start_address(r->base);
      dmi.set_end_address(r->base + last);
    }
    return granted;
  }

  void invalidate_direct_mem_ptr(int port, sc_dt::uint64 start, sc_dt::uint64 end) {
    for (const Region& r : regions_) {
      if (r.port != unsigned(port) || start >= r.size) continue;
      const uint64_t lo = r.base + start, hi = r.base + std::min<uint64_t>(end, r.size - 1);
      for (unsigned i = 0; i < target_socket.size(); ++i) target_socket[i]->invalidate_direct_mem_ptr(lo, hi);
    }
  }

  std::vector<Region> regions_;
};
