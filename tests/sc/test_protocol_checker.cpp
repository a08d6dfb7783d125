// Testbench of the ProtocolChecker (models/tlm/protocol_checker.h): a deliberately bad
// initiator and a deliberately bad target around one checker. Every rule category is
// broken on purpose and must be counted exactly once, under exactly its IEEE 1666-2011
// section, with the checker's name in the message; a good initiator/target pair runs
// with no violation; with the default actions a violation throws an sc_report of type
// /epochcore/tlm_protocol. Transactions are called from sc_main after elaboration (no
// process waits), so each Catch test case drives the sockets directly.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore/models/tlm/protocol_checker.h"
#include "sc_harness.h"

using namespace sc_core;
using epochcore::ProtocolChecker;
using epochcore::ProtocolRule;

namespace {

// What the target does wrong (NONE: a correct 256-byte memory).
enum class Fault {
  NONE,
  NO_RESPONSE,
  CHANGE_COMMAND,
  CHANGE_ADDRESS,
  CHANGE_DATA_PTR,
  CHANGE_LENGTH,
  CHANGE_BE_PTR,
  CHANGE_BE_LENGTH,
  CHANGE_WIDTH,
  DECREASE_DELAY,
  DEBUG_TOO_MUCH,
  DEBUG_CHANGE_ADDRESS,
  DMI_EXCLUDES_ADDRESS,
  DMI_INVERTED,
  DMI_NULL_PTR,
  DMI_READ_ONLY,
};

constexpr unsigned kMemBytes = 256;

struct Target : sc_module {
  tlm_utils::simple_target_socket<Target> socket;
  Fault fault = Fault::NONE;
  unsigned char mem[kMemBytes] = {};
  unsigned char other[8] = {};
  unsigned char be_other[4] = {0xff, 0xff, 0xff, 0xff};

  explicit Target(sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &Target::b_transport);
    socket.register_transport_dbg(this, &Target::transport_dbg);
    socket.register_get_direct_mem_ptr(this, &Target::get_direct_mem_ptr);
  }

  void b_transport(tlm::tlm_generic_payload& t, sc_time& delay) {
    const uint64_t a = t.get_address();
    const unsigned len = t.get_data_length();
    if (t.get_data_ptr() == nullptr || len == 0 || a >= kMemBytes || len > kMemBytes - a) {
      t.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    } else if (t.is_read()) {
      std::memcpy(t.get_data_ptr(), mem + a, len);
      t.set_response_status(tlm::TLM_OK_RESPONSE);
    } else if (t.is_write()) {
      std::memcpy(mem + a, t.get_data_ptr(), len);
      t.set_response_status(tlm::TLM_OK_RESPONSE);
    } else if (t.get_command() == tlm::TLM_IGNORE_COMMAND) {
      t.set_response_status(tlm::TLM_OK_RESPONSE);
    } else {
      t.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
    }
    delay += sc_time(10, SC_NS);
    switch (fault) {
      case Fault::NO_RESPONSE: t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE); break;
      case Fault::CHANGE_COMMAND: t.set_command(t.is_read() ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND); break;
      case Fault::CHANGE_ADDRESS: t.set_address(a + 4); break;
      case Fault::CHANGE_DATA_PTR: t.set_data_ptr(other); break;
      case Fault::CHANGE_LENGTH: t.set_data_length(len - 1); break;
      case Fault::CHANGE_BE_PTR: t.set_byte_enable_ptr(be_other); break;
      case Fault::CHANGE_BE_LENGTH: t.set_byte_enable_length(t.get_byte_enable_length() + 1); break;
      case Fault::CHANGE_WIDTH: t.set_streaming_width(t.get_streaming_width() / 2); break;
      case Fault::DECREASE_DELAY: delay = SC_ZERO_TIME; break;
      default: break;
    }
  }

  unsigned transport_dbg(tlm::tlm_generic_payload& t) {
    const uint64_t a = t.get_address();
    if (a >= kMemBytes || t.get_data_ptr() == nullptr) return 0;
    const unsigned n = std::min<unsigned>(t.get_data_length(), unsigned(kMemBytes - a));
    if (t.is_read()) std::memcpy(t.get_data_ptr(), mem + a, n);
    if (t.is_write()) std::memcpy(mem + a, t.get_data_ptr(), n);
    if (fault == Fault::DEBUG_CHANGE_ADDRESS) t.set_address(a + 1);
    return fault == Fault::DEBUG_TOO_MUCH ? t.get_data_length() + 1 : n;
  }

  bool get_direct_mem_ptr(tlm::tlm_generic_payload& t, tlm::tlm_dmi& dmi) {
    if (t.get_address() >= kMemBytes) {
      dmi.set_start_address(kMemBytes);
      dmi.set_end_address(~sc_dt::uint64(0));
      dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_NONE);
      return false;
    }
    dmi.set_dmi_ptr(mem);
    dmi.set_start_address(0);
    dmi.set_end_address(kMemBytes - 1);
    dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ_WRITE);
    switch (fault) {
      case Fault::DMI_EXCLUDES_ADDRESS:
        dmi.set_start_address(t.get_address() + 1);  // the grant starts past what was asked
        break;
      case Fault::DMI_INVERTED:
        dmi.set_start_address(200);
        dmi.set_end_address(100);
        break;
      case Fault::DMI_NULL_PTR: dmi.set_dmi_ptr(nullptr); break;
      case Fault::DMI_READ_ONLY: dmi.set_granted_access(tlm::tlm_dmi::DMI_ACCESS_READ); break;
      default: break;
    }
    return true;
  }

  void invalidate(uint64_t start, uint64_t end) { socket->invalidate_direct_mem_ptr(start, end); }
};

struct Initiator : sc_module {
  tlm_utils::simple_initiator_socket<Initiator> socket;
  std::vector<std::pair<uint64_t, uint64_t>> invalidations;
  explicit Initiator(sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_invalidate_direct_mem_ptr(this, &Initiator::invalidate);
  }
  void invalidate(sc_dt::uint64 s, sc_dt::uint64 e) { invalidations.push_back({s, e}); }
};

struct Bench : sc_module {
  Initiator init{"init"};
  Target target{"target"};
  ProtocolChecker* checker;
  explicit Bench(sc_module_name n) : sc_module(n) {
    checker = &ec_test::link(init.socket, target.socket, "checker");
  }
};

Bench* g_bench = nullptr;

// A transaction as a correct blocking initiator sends it.
struct Tx {
  tlm::tlm_generic_payload p;
  unsigned char data[16] = {};
  unsigned char be[4] = {TLM_BYTE_ENABLED, TLM_BYTE_DISABLED, TLM_BYTE_ENABLED, TLM_BYTE_ENABLED};
  sc_time delay = sc_time(5, SC_NS);
  Tx(tlm::tlm_command cmd = tlm::TLM_WRITE_COMMAND, uint64_t addr = 0x10, unsigned len = 8) {
    ec_test::init_payload(p, cmd, addr, data, len);
  }
  void send() { g_bench->init.socket->b_transport(p, delay); }
  unsigned debug() { return g_bench->init.socket->transport_dbg(p); }
};

// Runs `f` with the reports silenced and requires exactly one violation, of `rule`, named
// in the message with its section and the checker.
template <class F>
void expect_one(ProtocolRule rule, F&& f) {
  ProtocolChecker& c = *g_bench->checker;
  const uint64_t before = c.violations(), before_rule = c.violations(rule);
  sc_report_handler::set_actions(epochcore::kProtocolMsgType, SC_ERROR, SC_DO_NOTHING);
  f();
  sc_report_handler::set_actions(epochcore::kProtocolMsgType, SC_ERROR, SC_DISPLAY | SC_THROW);
  g_bench->target.fault = Fault::NONE;
  ec_test::expected_violations() += c.violations() - before;
  INFO(c.last_violation());
  REQUIRE(c.violations(rule) - before_rule == 1);
  REQUIRE(c.violations() - before == 1);
  const std::string tag = std::string("[") + epochcore::rule_section(rule) + "]";
  REQUIRE(c.last_violation().rfind(tag, 0) == 0);
  REQUIRE(c.last_violation().find(c.name()) != std::string::npos);
}

void with_fault(Fault f) { g_bench->target.fault = f; }

}  // namespace

TEST_CASE("every rule has a section of IEEE 1666-2011 and a text", "[checker]") {
  for (size_t r = 0; r < size_t(ProtocolRule::kCount); ++r) {
    const std::string s = epochcore::rule_section(ProtocolRule(r));
    INFO(r);
    REQUIRE((s.rfind("14.", 0) == 0 || s.rfind("11.", 0) == 0));
    REQUIRE(std::string(epochcore::rule_text(ProtocolRule(r))).size() > 10);
    for (size_t q = 0; q < r; ++q) REQUIRE(s != epochcore::rule_section(ProtocolRule(q)));
  }
}

TEST_CASE("a good initiator and a good target: no violation, data and delay pass through", "[checker]") {
  ProtocolChecker& c = *g_bench->checker;
  const uint64_t before = c.violations(), tx_before = c.transactions();
  Tx w(tlm::TLM_WRITE_COMMAND, 0x20, 16);
  for (int i = 0; i < 16; ++i) w.data[i] = uint8_t(3 * i + 1);
  w.send();
  REQUIRE(w.p.is_response_ok());
  REQUIRE(w.delay == sc_time(15, SC_NS));
  Tx r(tlm::TLM_READ_COMMAND, 0x20, 16);
  r.send();
  REQUIRE(std::memcmp(r.data, w.data, 16) == 0);
  Tx be(tlm::TLM_WRITE_COMMAND, 0x40, 8);  // byte enables applied twice, streaming width 4
  be.p.set_byte_enable_ptr(be.be);
  be.p.set_byte_enable_length(4);
  be.p.set_streaming_width(4);
  be.send();
  Tx ign(tlm::TLM_IGNORE_COMMAND, 0x0, 4);
  ign.send();
  REQUIRE(ign.p.is_response_ok());
  Tx bad_addr(tlm::TLM_READ_COMMAND, 0x1000, 4);  // an error response is a response
  bad_addr.send();
  REQUIRE(bad_addr.p.get_response_status() == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  Tx dbg(tlm::TLM_READ_COMMAND, 0xF8, 16);
  REQUIRE(dbg.debug() == 8);  // clipped by the target: fewer bytes are fine
  Tx dmi_q(tlm::TLM_WRITE_COMMAND, 0x30, 4);
  tlm::tlm_dmi dmi;
  REQUIRE(g_bench->init.socket->get_direct_mem_ptr(dmi_q.p, dmi));
  REQUIRE(c.check_dmi_use(0x30, tlm::TLM_WRITE_COMMAND));
  REQUIRE(c.check_dmi_use(0xFF, tlm::TLM_READ_COMMAND));
  Tx above(tlm::TLM_READ_COMMAND, 0x400, 4);
  REQUIRE(!g_bench->init.socket->get_direct_mem_ptr(above.p, dmi));  // denied over [256, top]
  g_bench->init.invalidations.clear();
  g_bench->target.invalidate(0x200, 0x2FF);  // outside the grant: it stays usable
  REQUIRE(g_bench->init.invalidations.size() == 1);  // forwarded on the backward path
  REQUIRE(c.check_dmi_use(0x30, tlm::TLM_READ_COMMAND));
  REQUIRE(c.violations() == before);
  REQUIRE(c.transactions() - tx_before == 8);
}

TEST_CASE("response status: INCOMPLETE on entry (14.17 a), set by the target (14.17 b)", "[checker]") {
  expect_one(ProtocolRule::RESPONSE_NOT_INCOMPLETE, [] {
    Tx t;
    t.p.set_response_status(tlm::TLM_OK_RESPONSE);
    t.send();
  });
  expect_one(ProtocolRule::RESPONSE_NOT_SET, [] {
    with_fault(Fault::NO_RESPONSE);
    Tx t;
    t.send();
  });
}

TEST_CASE("the target changes an attribute it must keep", "[checker]") {
  const std::pair<Fault, ProtocolRule> cases[] = {
      {Fault::CHANGE_COMMAND, ProtocolRule::COMMAND_MODIFIED},
      {Fault::CHANGE_ADDRESS, ProtocolRule::ADDRESS_MODIFIED},
      {Fault::CHANGE_DATA_PTR, ProtocolRule::DATA_PTR_MODIFIED},
      {Fault::CHANGE_LENGTH, ProtocolRule::DATA_LENGTH_MODIFIED},
      {Fault::CHANGE_BE_PTR, ProtocolRule::BYTE_ENABLE_PTR_MODIFIED},
      {Fault::CHANGE_BE_LENGTH, ProtocolRule::BYTE_ENABLE_LENGTH_MODIFIED},
      {Fault::CHANGE_WIDTH, ProtocolRule::STREAMING_WIDTH_MODIFIED},
  };
  for (const auto& fc : cases) {
    INFO(epochcore::rule_section(fc.second));
    expect_one(fc.second, [&] {
      with_fault(fc.first);
      Tx t;
      t.p.set_byte_enable_ptr(t.be);  // valid byte enables, so the BE faults have something to change
      t.p.set_byte_enable_length(4);
      t.send();
    });
  }
}

TEST_CASE("the initiator sends a bad command, byte enables or streaming width", "[checker]") {
  expect_one(ProtocolRule::COMMAND_INVALID, [] {
    Tx t;
    // 3: no command, yet a value of tlm_command (its range is 0..3); 4 and up would be UB (UBSan)
    t.p.set_command(tlm::tlm_command(3));
    t.send();
    REQUIRE(t.p.get_response_status() == tlm::TLM_COMMAND_ERROR_RESPONSE);
  });
  expect_one(ProtocolRule::BYTE_ENABLE_VALUE, [] {
    Tx t;
    t.be[2] = 0x0F;
    t.p.set_byte_enable_ptr(t.be);
    t.p.set_byte_enable_length(4);
    t.send();
  });
  expect_one(ProtocolRule::BYTE_ENABLE_LENGTH_ZERO, [] {
    Tx t;
    t.p.set_byte_enable_ptr(t.be);
    t.p.set_byte_enable_length(0);
    t.send();
  });
  expect_one(ProtocolRule::STREAMING_WIDTH_ZERO, [] {
    Tx t;
    t.p.set_streaming_width(0);
    t.send();
  });
  expect_one(ProtocolRule::STREAMING_WIDTH_MULTIPLE, [] {
    Tx t;
    t.p.set_streaming_width(3);  // 8 bytes are not a multiple of 3
    t.send();
  });
  expect_one(ProtocolRule::DMI_ALLOWED_ON_ENTRY, [] {
    Tx t;
    t.p.set_dmi_allowed(true);
    t.send();
  });
}

TEST_CASE("zero length (14.12 a) and a null data pointer (14.11 a)", "[checker]") {
  expect_one(ProtocolRule::DATA_LENGTH_ZERO, [] {
    Tx t(tlm::TLM_READ_COMMAND, 0x10, 0);
    t.p.set_streaming_width(1);
    t.send();
  });
  expect_one(ProtocolRule::DATA_PTR_NULL, [] {
    Tx t;
    t.p.set_data_ptr(nullptr);
    t.send();
  });
}

TEST_CASE("the delay of b_transport decreased (11.1.3 a)", "[checker]") {
  expect_one(ProtocolRule::DELAY_DECREASED, [] {
    with_fault(Fault::DECREASE_DELAY);
    Tx t;
    t.send();
  });
}

TEST_CASE("transport_dbg: more than the length, no data pointer, attributes changed", "[checker]") {
  expect_one(ProtocolRule::DEBUG_RETURN_TOO_LARGE, [] {
    with_fault(Fault::DEBUG_TOO_MUCH);
    Tx t(tlm::TLM_READ_COMMAND, 0x10, 8);
    REQUIRE(t.debug() == 9);
  });
  expect_one(ProtocolRule::DEBUG_DATA_PTR_NULL, [] {
    Tx t(tlm::TLM_READ_COMMAND, 0x10, 8);
    t.p.set_data_ptr(nullptr);
    t.debug();
  });
  expect_one(ProtocolRule::DEBUG_MODIFIED, [] {
    with_fault(Fault::DEBUG_CHANGE_ADDRESS);
    Tx t(tlm::TLM_READ_COMMAND, 0x10, 8);
    t.debug();
  });
}

TEST_CASE("DMI: bad requests and bad grants", "[checker]") {
  auto request = [](tlm::tlm_command cmd, uint64_t addr) {
    Tx t(cmd, addr, 4);
    tlm::tlm_dmi dmi;
    g_bench->init.socket->get_direct_mem_ptr(t.p, dmi);
  };
  expect_one(ProtocolRule::DMI_COMMAND, [&] { request(tlm::TLM_IGNORE_COMMAND, 0x10); });
  expect_one(ProtocolRule::DMI_RANGE_EXCLUDES_ADDRESS, [&] {
    with_fault(Fault::DMI_EXCLUDES_ADDRESS);
    request(tlm::TLM_READ_COMMAND, 0x10);
  });
  expect_one(ProtocolRule::DMI_RANGE_INVERTED, [&] {
    with_fault(Fault::DMI_INVERTED);
    request(tlm::TLM_READ_COMMAND, 0x10);
  });
  expect_one(ProtocolRule::DMI_PTR_NULL, [&] {
    with_fault(Fault::DMI_NULL_PTR);
    request(tlm::TLM_READ_COMMAND, 0x10);
  });
  expect_one(ProtocolRule::DMI_ACCESS_MISMATCH, [&] {
    with_fault(Fault::DMI_READ_ONLY);
    request(tlm::TLM_WRITE_COMMAND, 0x10);
  });
  expect_one(ProtocolRule::DMI_INVALIDATE_RANGE, [] { g_bench->target.invalidate(0x80, 0x7F); });
}

TEST_CASE("DMI: a region used after its invalidation, or never granted", "[checker]") {
  ProtocolChecker& c = *g_bench->checker;
  // A fresh grant over [0, 255].
  Tx q(tlm::TLM_READ_COMMAND, 0x10, 4);
  tlm::tlm_dmi dmi;
  REQUIRE(g_bench->init.socket->get_direct_mem_ptr(q.p, dmi));
  REQUIRE(c.check_dmi_use(0x80, tlm::TLM_WRITE_COMMAND));
  g_bench->target.invalidate(0x40, 0x4F);  // part of it: the whole region goes
  expect_one(ProtocolRule::DMI_USE_AFTER_INVALIDATE,
             [&] { REQUIRE(!c.check_dmi_use(0x80, tlm::TLM_WRITE_COMMAND)); });
  REQUIRE(g_bench->init.socket->get_direct_mem_ptr(q.p, dmi));  // granted again: usable again
  REQUIRE(c.check_dmi_use(0x80, tlm::TLM_WRITE_COMMAND));
  expect_one(ProtocolRule::DMI_USE_NOT_GRANTED,
             [&] { REQUIRE(!c.check_dmi_use(0x1000, tlm::TLM_READ_COMMAND)); });
}

TEST_CASE("with the default actions a violation throws an sc_report of /epochcore/tlm_protocol", "[checker]") {
  ProtocolChecker& c = *g_bench->checker;
  const uint64_t before = c.violations();
  Tx t;
  t.p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
  bool thrown = false;
  sc_report_handler::set_actions(epochcore::kProtocolMsgType, SC_ERROR, SC_THROW);  // quiet
  try {
    t.send();
  } catch (const sc_report& r) {
    thrown = true;
    REQUIRE(std::string(r.get_msg_type()) == epochcore::kProtocolMsgType);
    REQUIRE(std::string(r.get_msg()).find("[14.17 a]") != std::string::npos);
    REQUIRE(std::string(r.get_msg()).find("bench.checker") != std::string::npos);
    REQUIRE(std::string(r.get_msg()).find("addr=0x10") != std::string::npos);
  }
  sc_report_handler::set_actions(epochcore::kProtocolMsgType, SC_ERROR, SC_DISPLAY | SC_THROW);
  ec_test::expected_violations() += c.violations() - before;
  REQUIRE(thrown);
  REQUIRE(c.violations() - before == 1);
}

int sc_main(int argc, char** argv) {
  ec_test::setup_reports();
  Bench bench("bench");
  g_bench = &bench;
  sc_start(SC_ZERO_TIME);  // ends elaboration: the sockets are bound from here on
  return ec_test::run_catch(argc, argv);
}
