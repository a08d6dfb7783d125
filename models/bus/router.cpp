#include "epochcore/models/bus/router.h"

#include <algorithm>
#include <sstream>

namespace epochcore {

using sc_core::sc_time;

namespace {

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

// Bytes a transaction spans: a streaming transfer touches only its streaming width.
uint64_t span_of(const tlm::tlm_generic_payload& trans) {
  const uint64_t len = trans.get_data_length();
  const uint64_t width = trans.get_streaming_width();
  return (width != 0 && width < len) ? width : len;
}

// True when [addr, addr + span) lies within the range (a zero span needs addr inside).
bool fits(const Router::Range& r, uint64_t addr, uint64_t span) {
  return span == 0 || span - 1 <= r.last() - addr;
}

}  // namespace

Router::Router(sc_core::sc_module_name name, sc_time hop_latency)
    : sc_module(name), target_socket("target_socket"), initiator_socket("initiator_socket"),
      hop_latency_(hop_latency) {
  target_socket.register_b_transport(this, &Router::b_transport);
  target_socket.register_transport_dbg(this, &Router::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &Router::get_direct_mem_ptr);
  initiator_socket.register_invalidate_direct_mem_ptr(this, &Router::invalidate_direct_mem_ptr);
}

void Router::map(uint64_t base, uint64_t size, unsigned target_index, const std::string& name) {
  const std::string what = "range '" + name + "' [" + hex(base) + ", +" + hex(size) + ")";
  if (size == 0) {
    SC_REPORT_ERROR(this->name(), (what + " is empty").c_str());
    return;
  }
  if (size - 1 > ~uint64_t(0) - base) {
    SC_REPORT_ERROR(this->name(), (what + " runs past the end of the address space").c_str());
    return;
  }
  const uint64_t last = base + size - 1;
  for (const Range& r : ranges_) {
    if (base <= r.last() && r.base <= last) {
      SC_REPORT_ERROR(this->name(), (what + " overlaps range '" + r.name + "' [" + hex(r.base) +
                                     ", +" + hex(r.size) + ")").c_str());
      return;
    }
  }
  Range range{base, size, target_index, name};
  const auto pos = std::upper_bound(ranges_.begin(), ranges_.end(), base,
                                    [](uint64_t a, const Range& r) { return a < r.base; });
  ranges_.insert(pos, range);
}

const Router::Range* Router::find(uint64_t addr) const {
  // The last range starting at or below addr is the only candidate.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr,
                             [](uint64_t a, const Range& r) { return a < r.base; });
  if (it == ranges_.begin()) return nullptr;
  --it;
  return addr <= it->last() ? &*it : nullptr;
}

void Router::end_of_elaboration() {
  const unsigned bound = unsigned(initiator_socket.size());
  for (const Range& r : ranges_)
    if (r.target >= bound)
      SC_REPORT_ERROR(name(), ("range '" + r.name + "' maps to target " +
                               std::to_string(r.target) + " but only " +
                               std::to_string(bound) + " targets are bound").c_str());
}

void Router::b_transport(int, tlm::tlm_generic_payload& trans, sc_time& delay) {
  delay += hop_latency_;
  const uint64_t addr = trans.get_address();
  const Range* r = find(addr);
  if (r == nullptr || !fits(*r, addr, span_of(trans))) {
    ++counters_.address_errors;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  ++counters_.forwarded;
  trans.set_address(addr - r->base);
  initiator_socket[r->target]->b_transport(trans, delay);
  trans.set_address(addr);
}

unsigned Router::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const Range* r = find(addr);
  if (r == nullptr) return 0;
  const unsigned len = trans.get_data_length();
  const uint64_t room_less_one = r->last() - addr;  // room - 1 cannot overflow
  const unsigned clipped = (len == 0 || len - 1 <= room_less_one) ? len : unsigned(room_less_one + 1);
  trans.set_address(addr - r->base);
  trans.set_data_length(clipped);
  const unsigned done = initiator_socket[r->target]->transport_dbg(trans);
  trans.set_address(addr);
  trans.set_data_length(len);
  return done;
}

bool Router::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  const uint64_t addr = trans.get_address();
  const Range* r = find(addr);
  if (r == nullptr) {
    // Deny over the gap between the neighbouring ranges.
    uint64_t lo = 0, hi = ~uint64_t(0);
    for (const Range& g : ranges_) {
      if (g.last() < addr) lo = g.last() + 1;
      if (g.base > addr) {
        hi = g.base - 1;
        break;
      }
    }
    dmi.set_start_address(lo);
    dmi.set_end_address(hi);
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
    return false;
  }
  trans.set_address(addr - r->base);
  const bool granted = initiator_socket[r->target]->get_direct_mem_ptr(trans, dmi);
  trans.set_address(addr);
  // The target answered in its own addresses (the pointer belongs to the start, which
  // only moves by the base); clip the end to the range.
  const uint64_t end = std::min<uint64_t>(dmi.get_end_address(), r->size - 1);
  dmi.set_start_address(r->base + dmi.get_start_address());
  dmi.set_end_address(r->base + end);
  return granted;
}

void Router::invalidate_direct_mem_ptr(int target, sc_dt::uint64 start, sc_dt::uint64 end) {
  for (const Range& r : ranges_) {
    if (int(r.target) != target || start > r.size - 1) continue;
    const uint64_t lo = r.base + start;
    const uint64_t hi = r.base + std::min<uint64_t>(end, r.size - 1);
    for (unsigned i = 0; i < target_socket.size(); ++i)
      target_socket[i]->invalidate_direct_mem_ptr(lo, hi);
  }
}

}  // namespace epochcore
