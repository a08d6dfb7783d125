// A TLM-2.0 base-protocol checker for the blocking, debug and DMI interfaces: a
// pass-through module put between an initiator (or an interconnect) and whatever it
// calls. It forwards b_transport, transport_dbg and get_direct_mem_ptr unchanged, and
// invalidate_direct_mem_ptr on the backward path, adds no delay and touches no
// attribute, so a platform runs the same with or without it.
//
// Each broken rule of IEEE 1666-2011 (clauses 11.1 blocking transport and timing
// annotation, 11.2 DMI, 11.3 debug transport, 14 generic payload) is counted and reported
// with SC_REPORT_ERROR under the message type kProtocolMsgType ("/epochcore/tlm_protocol"),
// naming the rule ("[14.17 a]"), this checker's name and the transaction's attributes.
// The rule table is ProtocolRule / rule_section() below; docs/protocol-checker.md lists
// the rules and what each one checks. A test may set the message type's actions (e.g.
// SC_LOG) to let the simulation go on and count instead of throwing.
//
// Usage:  initiator.socket.bind(checker.target_socket);
//         checker.initiator_socket.bind(target.socket);
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

namespace epochcore {

constexpr const char* kProtocolMsgType = "/epochcore/tlm_protocol";

// The rules checked, each with its subclause of IEEE 1666-2011 and a letter for the rule
// within it (rule_section()).
enum class ProtocolRule : uint8_t {
  COMMAND_INVALID,           // 14.9 a   command not READ, WRITE or IGNORE
  COMMAND_MODIFIED,          // 14.9 b   target changed the command
  ADDRESS_MODIFIED,          // 14.10 a  target changed the address (an interconnect must restore it)
  DATA_PTR_NULL,             // 14.11 a  READ/WRITE with a null data pointer
  DATA_PTR_MODIFIED,         // 14.11 b  target changed the data pointer
  DATA_LENGTH_ZERO,          // 14.12 a  data length 0 (use TLM_IGNORE_COMMAND to move nothing)
  DATA_LENGTH_MODIFIED,      // 14.12 b  target changed the data length
  BYTE_ENABLE_VALUE,         // 14.13 a  a byte-enable byte other than 0x00 / 0xff
  BYTE_ENABLE_PTR_MODIFIED,  // 14.13 b  target changed the byte-enable pointer
  BYTE_ENABLE_LENGTH_ZERO,   // 14.14 a  byte-enable pointer set with a byte-enable length of 0
  BYTE_ENABLE_LENGTH_MODIFIED,  // 14.14 b  target changed the byte-enable length
  STREAMING_WIDTH_ZERO,      // 14.15 a  streaming width 0
  STREAMING_WIDTH_MULTIPLE,  // 14.15 b  data length not an integer multiple of the streaming width
  STREAMING_WIDTH_MODIFIED,  // 14.15 c  target changed the streaming width
  DMI_ALLOWED_ON_ENTRY,      // 14.16 a  DMI-allowed hint already true when the initiator sends
  RESPONSE_NOT_INCOMPLETE,   // 14.17 a  response status not TLM_INCOMPLETE_RESPONSE on entry
  RESPONSE_NOT_SET,          // 14.17 b  target returned with TLM_INCOMPLETE_RESPONSE
  DELAY_DECREASED,           // 11.1.3 a b_transport's delay came back smaller
  DEBUG_DATA_PTR_NULL,       // 11.3.4 b transport_dbg with a length but no data pointer
  DEBUG_MODIFIED,            // 11.3.4 c target changed command, address, data pointer or length
  DEBUG_RETURN_TOO_LARGE,    // 11.3.4 d transport_dbg returned more than the data length
  DMI_COMMAND,               // 11.2.4 a get_direct_mem_ptr with a command other than READ/WRITE
  DMI_PTR_NULL,              // 11.2.5 a DMI granted with a null pointer
  DMI_RANGE_INVERTED,        // 11.2.5 b DMI start address above its end address
  DMI_RANGE_EXCLUDES_ADDRESS,  // 11.2.5 c the (granted or denied) range does not hold the address
  DMI_ACCESS_MISMATCH,       // 11.2.5 d DMI granted without the access the command asked for
  DMI_INVALIDATE_RANGE,      // 11.2.6 a invalidate_direct_mem_ptr with start above end
  DMI_USE_AFTER_INVALIDATE,  // 11.2.6 b an initiator uses a region that was invalidated
  DMI_USE_NOT_GRANTED,       // 11.2.3 a an initiator uses DMI where none was granted
  kCount
};

const char* rule_section(ProtocolRule r);  // "14.17 a"
const char* rule_text(ProtocolRule r);      // one line: what the rule says

class ProtocolChecker : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<ProtocolChecker> target_socket;        // to the initiator
  tlm_utils::simple_initiator_socket<ProtocolChecker> initiator_socket;  // to the target

  explicit ProtocolChecker(sc_core::sc_module_name name);
  const char* kind() const override { return "epochcore::ProtocolChecker"; }

  uint64_t violations() const { return violations_; }
  uint64_t violations(ProtocolRule r) const { return by_rule_[size_t(r)]; }
  uint64_t transactions() const { return transactions_; }  // b_transport + transport_dbg + DMI calls
  const std::string& last_violation() const { return last_; }  // the last message, "" if none
  // Violations of every ProtocolChecker in the process (for harnesses).
  static uint64_t total_violations();
  static uint64_t total_violations(ProtocolRule r);

  // The checker's DMI record, for initiators that use DMI through it: call before a
  // direct access at `addr`. Counts and reports DMI_USE_AFTER_INVALIDATE when the address
  // lies in a region this checker saw granted and then invalidated (and not granted
  // again), DMI_USE_NOT_GRANTED when no grant through this checker holds it (or not for
  // that command). True when the access is allowed.
  bool check_dmi_use(uint64_t addr, tlm::tlm_command cmd);

  // Counts and reports one violation (also used by the checks above).
  void violation(ProtocolRule r, const std::string& what);

 private:
  struct Region {
    uint64_t start, end;
    tlm::tlm_dmi::dmi_access_e access;
    bool valid;
  };

  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end);

  std::vector<Region> regions_;
  uint64_t violations_ = 0;
  uint64_t by_rule_[size_t(ProtocolRule::kCount)] = {};
  uint64_t transactions_ = 0;
  std::string last_;
};

// A description of a payload's attributes for messages.
std::string describe(const tlm::tlm_generic_payload& tx);

}  // namespace epochcore
