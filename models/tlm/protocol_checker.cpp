#include "epochcore/models/tlm/protocol_checker.h"

#include <sstream>

namespace epochcore {

namespace {

struct RuleInfo {
  const char* section;
  const char* text;
};

// Indexed by ProtocolRule.
constexpr RuleInfo kRules[] = {
    {"14.9 a", "the command shall be TLM_READ_COMMAND, TLM_WRITE_COMMAND or TLM_IGNORE_COMMAND"},
    {"14.9 b", "the command shall not be modified by an interconnect or a target"},
    {"14.10 a", "the address shall not be modified by a target (an interconnect that changes it restores it)"},
    {"14.11 a", "a read or write shall carry a non-null data pointer"},
    {"14.11 b", "the data pointer shall not be modified by an interconnect or a target"},
    {"14.12 a", "the data length shall not be 0 (TLM_IGNORE_COMMAND transfers nothing)"},
    {"14.12 b", "the data length shall not be modified by an interconnect or a target"},
    {"14.13 a", "each byte-enable byte shall be TLM_BYTE_DISABLED (0x00) or TLM_BYTE_ENABLED (0xff)"},
    {"14.13 b", "the byte-enable pointer shall not be modified by an interconnect or a target"},
    {"14.14 a", "with a non-null byte-enable pointer the byte-enable length shall be greater than 0"},
    {"14.14 b", "the byte-enable length shall not be modified by an interconnect or a target"},
    {"14.15 a", "the streaming width shall be greater than 0"},
    {"14.15 b", "the data length shall be an integer multiple of the streaming width"},
    {"14.15 c", "the streaming width shall not be modified by an interconnect or a target"},
    {"14.16 a", "the initiator shall clear the DMI-allowed hint before sending the transaction"},
    {"14.17 a", "the initiator shall set the response status to TLM_INCOMPLETE_RESPONSE"},
    {"14.17 b", "the target shall set the response status before returning from b_transport"},
    {"11.1.3 a", "b_transport's delay may be increased by the callee, never decreased"},
    {"11.3.4 b", "transport_dbg with a non-zero data length shall carry a non-null data pointer"},
    {"11.3.4 c", "transport_dbg's command, address, data pointer and data length shall not be modified"},
    {"11.3.4 d", "transport_dbg shall return at most the data length"},
    {"11.2.4 a", "get_direct_mem_ptr shall be called with TLM_READ_COMMAND or TLM_WRITE_COMMAND"},
    {"11.2.5 a", "a granted DMI region shall have a non-null pointer"},
    {"11.2.5 b", "a DMI region's start address shall not exceed its end address"},
    {"11.2.5 c", "the DMI region (granted or denied) shall contain the requested address"},
    {"11.2.5 d", "granted DMI access shall include the access the command asked for"},
    {"11.2.6 a", "invalidate_direct_mem_ptr's start address shall not exceed its end address"},
    {"11.2.6 b", "an initiator shall not use a DMI region after it was invalidated"},
    {"11.2.3 a", "an initiator shall use DMI only within a region granted to it"},
};
static_assert(sizeof(kRules) / sizeof(kRules[0]) == size_t(ProtocolRule::kCount),
              "one entry per ProtocolRule");

uint64_t g_total_violations = 0;
uint64_t g_total_by_rule[size_t(ProtocolRule::kCount)] = {};

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

const char* command_name(tlm::tlm_command c) {
  switch (c) {
    case tlm::TLM_READ_COMMAND: return "READ";
    case tlm::TLM_WRITE_COMMAND: return "WRITE";
    case tlm::TLM_IGNORE_COMMAND: return "IGNORE";
  }
  return "INVALID";
}

bool valid_command(tlm::tlm_command c) {
  return c == tlm::TLM_READ_COMMAND || c == tlm::TLM_WRITE_COMMAND || c == tlm::TLM_IGNORE_COMMAND;
}

bool access_covers(tlm::tlm_dmi::dmi_access_e granted, tlm::tlm_command cmd) {
  const unsigned g = unsigned(granted);
  if (cmd == tlm::TLM_READ_COMMAND) return (g & unsigned(tlm::tlm_dmi::DMI_ACCESS_READ)) != 0;
  if (cmd == tlm::TLM_WRITE_COMMAND) return (g & unsigned(tlm::tlm_dmi::DMI_ACCESS_WRITE)) != 0;
  return false;
}

std::string describe_dmi(const tlm::tlm_dmi& d) {
  std::ostringstream s;
  s << "dmi{start=" << hex(d.get_start_address()) << " end=" << hex(d.get_end_address())
    << " ptr=" << static_cast<const void*>(d.get_dmi_ptr())
    << " access=" << unsigned(d.get_granted_access()) << "}";
  return s.str();
}

}  // namespace

const char* rule_section(ProtocolRule r) { return kRules[size_t(r)].section; }
const char* rule_text(ProtocolRule r) { return kRules[size_t(r)].text; }

std::string describe(const tlm::tlm_generic_payload& tx) {
  std::ostringstream s;
  s << "cmd=" << command_name(tx.get_command()) << " addr=" << hex(tx.get_address())
    << " data_ptr=" << static_cast<const void*>(tx.get_data_ptr())
    << " len=" << tx.get_data_length()
    << " be_ptr=" << static_cast<const void*>(tx.get_byte_enable_ptr())
    << " be_len=" << tx.get_byte_enable_length() << " width=" << tx.get_streaming_width()
    << " dmi_allowed=" << (tx.is_dmi_allowed() ? 1 : 0)
    << " status=" << tx.get_response_string();
  return s.str();
}

ProtocolChecker::ProtocolChecker(sc_core::sc_module_name name)
    : sc_core::sc_module(name), target_socket("target_socket"),
      initiator_socket("initiator_socket") {
  target_socket.register_b_transport(this, &ProtocolChecker::b_transport);
  target_socket.register_transport_dbg(this, &ProtocolChecker::transport_dbg);
  target_socket.register_get_direct_mem_ptr(this, &ProtocolChecker::get_direct_mem_ptr);
  initiator_socket.register_invalidate_direct_mem_ptr(
      this, &ProtocolChecker::invalidate_direct_mem_ptr);
}

uint64_t ProtocolChecker::total_violations() { return g_total_violations; }
uint64_t ProtocolChecker::total_violations(ProtocolRule r) { return g_total_by_rule[size_t(r)]; }

void ProtocolChecker::violation(ProtocolRule r, const std::string& what) {
  ++violations_;
  ++by_rule_[size_t(r)];
  ++g_total_violations;
  ++g_total_by_rule[size_t(r)];
  last_ = std::string("[") + rule_section(r) + "] IEEE 1666-2011 " + rule_section(r) + ": " +
          rule_text(r) + "; at " + name() + ": " + what;
  SC_REPORT_ERROR(kProtocolMsgType, last_.c_str());
}

void ProtocolChecker::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  ++transactions_;
  const tlm::tlm_command cmd = tx.get_command();
  const uint64_t addr = tx.get_address();
  unsigned char* const data = tx.get_data_ptr();
  const unsigned len = tx.get_data_length();
  unsigned char* const be = tx.get_byte_enable_ptr();
  const unsigned be_len = tx.get_byte_enable_length();
  const unsigned width = tx.get_streaming_width();
  const sc_core::sc_time before = delay;

  // What the initiator must have set.
  if (!valid_command(cmd))
    violation(ProtocolRule::COMMAND_INVALID, "b_transport " + describe(tx));
  if (cmd != tlm::TLM_IGNORE_COMMAND && data == nullptr)
    violation(ProtocolRule::DATA_PTR_NULL, "b_transport " + describe(tx));
  if (len == 0) violation(ProtocolRule::DATA_LENGTH_ZERO, "b_transport " + describe(tx));
  if (be != nullptr) {
    if (be_len == 0) {
      violation(ProtocolRule::BYTE_ENABLE_LENGTH_ZERO, "b_transport " + describe(tx));
    } else {
      for (unsigned i = 0; i < be_len; ++i) {
        if (be[i] != TLM_BYTE_DISABLED && be[i] != TLM_BYTE_ENABLED) {
          violation(ProtocolRule::BYTE_ENABLE_VALUE, "b_transport byte_enable[" + std::to_string(i) +
                                                         "]=" + hex(be[i]) + " " + describe(tx));
          break;
        }
      }
    }
  }
  if (width == 0)
    violation(ProtocolRule::STREAMING_WIDTH_ZERO, "b_transport " + describe(tx));
  else if (len % width != 0)
    violation(ProtocolRule::STREAMING_WIDTH_MULTIPLE, "b_transport " + describe(tx));
  if (tx.is_dmi_allowed())
    violation(ProtocolRule::DMI_ALLOWED_ON_ENTRY, "b_transport " + describe(tx));
  if (tx.get_response_status() != tlm::TLM_INCOMPLETE_RESPONSE)
    violation(ProtocolRule::RESPONSE_NOT_INCOMPLETE, "b_transport " + describe(tx));

  initiator_socket->b_transport(tx, delay);

  // What the target (and everything behind it) must have kept or set.
  const std::string after = "after b_transport " + describe(tx);
  if (tx.get_response_status() == tlm::TLM_INCOMPLETE_RESPONSE)
    violation(ProtocolRule::RESPONSE_NOT_SET, after);
  if (tx.get_command() != cmd)
    violation(ProtocolRule::COMMAND_MODIFIED, after + " (was " + command_name(cmd) + ")");
  if (tx.get_address() != addr)
    violation(ProtocolRule::ADDRESS_MODIFIED, after + " (was " + hex(addr) + ")");
  if (tx.get_data_ptr() != data)
    violation(ProtocolRule::DATA_PTR_MODIFIED, after);
  if (tx.get_data_length() != len)
    violation(ProtocolRule::DATA_LENGTH_MODIFIED, after + " (was " + std::to_string(len) + ")");
  if (tx.get_byte_enable_ptr() != be)
    violation(ProtocolRule::BYTE_ENABLE_PTR_MODIFIED, after);
  if (tx.get_byte_enable_length() != be_len)
    violation(ProtocolRule::BYTE_ENABLE_LENGTH_MODIFIED,
              after + " (was " + std::to_string(be_len) + ")");
  if (tx.get_streaming_width() != width)
    violation(ProtocolRule::STREAMING_WIDTH_MODIFIED,
              after + " (was " + std::to_string(width) + ")");
  if (delay < before)
    violation(ProtocolRule::DELAY_DECREASED,
              after + " delay " + before.to_string() + " -> " + delay.to_string());
}

unsigned ProtocolChecker::transport_dbg(tlm::tlm_generic_payload& tx) {
  ++transactions_;
  const tlm::tlm_command cmd = tx.get_command();
  const uint64_t addr = tx.get_address();
  unsigned char* const data = tx.get_data_ptr();
  const unsigned len = tx.get_data_length();
  if (!valid_command(cmd))
    violation(ProtocolRule::COMMAND_INVALID, "transport_dbg " + describe(tx));
  if (len != 0 && data == nullptr)
    violation(ProtocolRule::DEBUG_DATA_PTR_NULL, "transport_dbg " + describe(tx));

  const unsigned done = initiator_socket->transport_dbg(tx);

  if (tx.get_command() != cmd || tx.get_address() != addr || tx.get_data_ptr() != data ||
      tx.get_data_length() != len)
    violation(ProtocolRule::DEBUG_MODIFIED, "after transport_dbg " + describe(tx) + " (was cmd=" +
                                                command_name(cmd) + " addr=" + hex(addr) +
                                                " len=" + std::to_string(len) + ")");
  if (done > len)
    violation(ProtocolRule::DEBUG_RETURN_TOO_LARGE,
              "transport_dbg returned " + std::to_string(done) + " for " + describe(tx));
  return done;
}

bool ProtocolChecker::get_direct_mem_ptr(tlm::tlm_generic_payload& tx, tlm::tlm_dmi& dmi) {
  ++transactions_;
  const tlm::tlm_command cmd = tx.get_command();
  const uint64_t addr = tx.get_address();
  if (cmd != tlm::TLM_READ_COMMAND && cmd != tlm::TLM_WRITE_COMMAND)
    violation(ProtocolRule::DMI_COMMAND, "get_direct_mem_ptr " + describe(tx));

  const bool granted = initiator_socket->get_direct_mem_ptr(tx, dmi);

  const std::string what = std::string("get_direct_mem_ptr ") + (granted ? "granted " : "denied ") +
                           describe_dmi(dmi) + " for " + describe(tx);
  const uint64_t start = dmi.get_start_address(), end = dmi.get_end_address();
  bool ok = true;
  if (start > end) {
    violation(ProtocolRule::DMI_RANGE_INVERTED, what);
    ok = false;
  } else if (addr < start || addr > end) {
    violation(ProtocolRule::DMI_RANGE_EXCLUDES_ADDRESS, what);
    ok = false;
  }
  if (granted) {
    if (dmi.get_dmi_ptr() == nullptr) {
      violation(ProtocolRule::DMI_PTR_NULL, what);
      ok = false;
    }
    const bool asked = cmd == tlm::TLM_READ_COMMAND || cmd == tlm::TLM_WRITE_COMMAND;
    if (asked && !access_covers(dmi.get_granted_access(), cmd)) {
      violation(ProtocolRule::DMI_ACCESS_MISMATCH, what);
      ok = false;
    }
    if (ok && asked) regions_.push_back({start, end, dmi.get_granted_access(), true});
  }
  return granted;
}

void ProtocolChecker::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  if (start > end) {
    violation(ProtocolRule::DMI_INVALIDATE_RANGE,
              "invalidate_direct_mem_ptr(" + hex(start) + ", " + hex(end) + ")");
  } else {
    for (Region& r : regions_)
      if (r.start <= end && start <= r.end) r.valid = false;  // the whole region goes
  }
  target_socket->invalidate_direct_mem_ptr(start, end);
}

bool ProtocolChecker::check_dmi_use(uint64_t addr, tlm::tlm_command cmd) {
  bool invalidated = false;
  for (const Region& r : regions_) {
    if (addr < r.start || addr > r.end || !access_covers(r.access, cmd)) continue;
    if (r.valid) return true;
    invalidated = true;
  }
  const std::string what = std::string("DMI ") + command_name(cmd) + " at " + hex(addr);
  violation(invalidated ? ProtocolRule::DMI_USE_AFTER_INVALIDATE : ProtocolRule::DMI_USE_NOT_GRANTED,
            what);
  return false;
}

}  // namespace epochcore
