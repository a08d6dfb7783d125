// An address-decoding TLM-2.0 interconnect: any number of initiators, any number of
// targets, each target reachable through one or more address ranges.
//
// - b_transport: adds hop_latency to the delay, decodes, subtracts the range base,
//   forwards, and restores the address. A transaction that is unmapped, or that runs
//   past the end of the range holding its first byte, gets TLM_ADDRESS_ERROR_RESPONSE
//   and is not forwarded.
// - transport_dbg: decodes the same way, returns 0 when unmapped; a debug access that
//   runs past the end of its range is clipped to that range (debuggers get the part
//   that exists, as the memories clip).
// - DMI is forwarded: the granted (or denied) range comes back translated to this
//   router's addresses and clipped to the mapped range; an unmapped address is denied
//   over the gap between ranges. A target's invalidate_direct_mem_ptr is translated
//   through every range of that target and sent to all initiators.
// - Overlapping or empty ranges are a platform-assembly bug: SC_REPORT_ERROR in map().
//   Target indices are checked against the bound targets at end of elaboration.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

namespace epochcore {

class Router : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Router> target_socket;        // any number of initiators
  tlm_utils::multi_passthrough_initiator_socket<Router> initiator_socket;  // any number of targets

  struct Range {
    uint64_t base = 0;
    uint64_t size = 0;
    unsigned target = 0;  // index into initiator_socket (binding order)
    std::string name;
    uint64_t last() const { return base + size - 1; }  // inclusive
  };

  struct Counters {
    uint64_t forwarded = 0;       // b_transport calls passed on to a target
    uint64_t address_errors = 0;  // b_transport calls answered with ADDRESS_ERROR
  };

  explicit Router(sc_core::sc_module_name name,
                  sc_core::sc_time hop_latency = sc_core::SC_ZERO_TIME);

  // Maps [base, base + size) to initiator_socket[target_index].
  void map(uint64_t base, uint64_t size, unsigned target_index, const std::string& name);

  // The range holding address `addr`, or nullptr.
  const Range* find(uint64_t addr) const;
  const std::vector<Range>& ranges() const { return ranges_; }  // sorted by base
  sc_core::sc_time hop_latency() const { return hop_latency_; }
  const Counters& counters() const { return counters_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(int initiator, tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(int initiator, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end);
  void end_of_elaboration() override;

  std::vector<Range> ranges_;
  sc_core::sc_time hop_latency_;
  Counters counters_;
};

}  // namespace epochcore
