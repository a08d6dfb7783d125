// The shared harness of the SystemC testbenches (tests/sc/test_*.cpp):
//  - check counters and EC_CHECK / EC_CHECK_INFO for checks run inside simulation
//    processes, ending with "N passed, M failed" (summary());
//  - setup_reports(): SC_REPORT_ERROR throws (so a model's error or a protocol violation
//    stops the testbench unless the test expects it);
//  - init_payload(): a blocking initiator's transaction as the base protocol wants it
//    (TLM_INCOMPLETE_RESPONSE, streaming width = length, no byte enables, DMI hint clear);
//  - link(): binds initiator -> ProtocolChecker -> target; every checker a testbench makes
//    this way, and every ProtocolChecker anywhere (the SoC's with run.check_protocol), is
//    counted by check_no_violations(), which the sc_main skeletons call at the end;
//  - ExpectViolation: a scope in which a test deliberately breaks one rule: the report is
//    silenced, and at the end of the scope exactly `n` violations of that rule must have
//    been counted (they are then not "unexpected");
//  - run_testbench(): the sc_main skeleton (reports, elaboration and simulation inside a
//    try, exceptions as failures, protocol check, summary); run_catch(): the same for
//    Catch2 tests (define CATCH_CONFIG_RUNNER and include <catch2/catch.hpp> first).
#pragma once
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "epochcore/models/tlm/protocol_checker.h"

namespace ec_test {

inline int g_passed = 0, g_failed = 0;

inline void check(bool ok, const char* expr, const char* file, int line, const std::string& info = "") {
  if (ok) {
    ++g_passed;
    return;
  }
  ++g_failed;
  std::printf("FAILED %s:%d: %s %s\n", file, line, expr, info.c_str());
}

inline int summary(const char* name = nullptr) {
  std::printf("%s%s%d passed, %d failed\n", name ? name : "", name ? ": " : "", g_passed, g_failed);
  return g_failed == 0 && g_passed > 0 ? 0 : 1;
}

inline void setup_reports(bool display_errors = true) {
  using namespace sc_core;
  sc_report_handler::set_actions(SC_ERROR, display_errors ? SC_DISPLAY | SC_THROW : SC_THROW);
  sc_report_handler::set_actions(epochcore::kProtocolMsgType, SC_ERROR, SC_DISPLAY | SC_THROW);
  sc_report_handler::set_actions("/IEEE_Std_1666/deprecated", SC_DO_NOTHING);
}

inline void init_payload(tlm::tlm_generic_payload& p, tlm::tlm_command cmd, uint64_t addr,
                         unsigned char* data, unsigned len) {
  p.set_command(cmd);
  p.set_address(addr);
  p.set_data_ptr(data);
  p.set_data_length(len);
  p.set_streaming_width(len);
  p.set_byte_enable_ptr(nullptr);
  p.set_byte_enable_length(0);
  p.set_dmi_allowed(false);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// Checkers made by link(), kept alive until the end of the process.
inline std::vector<std::unique_ptr<epochcore::ProtocolChecker>>& linked_checkers() {
  static std::vector<std::unique_ptr<epochcore::ProtocolChecker>> v;
  return v;
}

// initiator -> checker -> target. The checker is named `name` in the current module.
template <class Initiator, class Target>
epochcore::ProtocolChecker& link(Initiator& initiator, Target& target, const std::string& name) {
  linked_checkers().emplace_back(new epochcore::ProtocolChecker(name.c_str()));
  epochcore::ProtocolChecker& c = *linked_checkers().back();
  initiator.bind(c.target_socket);
  c.initiator_socket.bind(target);
  return c;
}

// Violations that tests caused on purpose (inside ExpectViolation scopes).
inline uint64_t& expected_violations() {
  static uint64_t n = 0;
  return n;
}

// Within the scope, `c` counts exactly n violations, all of `rule`, and every other
// checker of the process counts only violations of `rule` (a transaction that breaks a
// rule on its way in breaks it again at each checker further down).
class ExpectViolation {
 public:
  ExpectViolation(epochcore::ProtocolChecker& c, epochcore::ProtocolRule rule, uint64_t n, const char* file,
                  int line)
      : c_(c), rule_(rule), n_(n), file_(file), line_(line), before_rule_(c.violations(rule)),
        before_all_(c.violations()),
        before_global_(epochcore::ProtocolChecker::total_violations()),
        before_global_rule_(epochcore::ProtocolChecker::total_violations(rule)) {
    sc_core::sc_report_handler::set_actions(epochcore::kProtocolMsgType, sc_core::SC_ERROR,
                                            sc_core::SC_DO_NOTHING);
  }
  ~ExpectViolation() {
    sc_core::sc_report_handler::set_actions(epochcore::kProtocolMsgType, sc_core::SC_ERROR,
                                            sc_core::SC_DISPLAY | sc_core::SC_THROW);
    using epochcore::ProtocolChecker;
    const uint64_t got_rule = c_.violations(rule_) - before_rule_;
    const uint64_t got_all = c_.violations() - before_all_;
    const uint64_t global = ProtocolChecker::total_violations() - before_global_;
    const uint64_t global_rule = ProtocolChecker::total_violations(rule_) - before_global_rule_;
    check(got_rule == n_ && got_all == n_ && global == global_rule, "expected protocol violation",
          file_, line_,
          std::string("[") + epochcore::rule_section(rule_) + "] x" + std::to_string(n_) + " at " +
              c_.name() + ": got " + std::to_string(got_rule) + " of that rule, " +
              std::to_string(got_all) + " in all, " + std::to_string(global - global_rule) +
              " of other rules elsewhere; last: " + c_.last_violation());
    expected_violations() += global_rule;
  }

 private:
  epochcore::ProtocolChecker& c_;
  epochcore::ProtocolRule rule_;
  uint64_t n_;
  const char* file_;
  int line_;
  uint64_t before_rule_, before_all_, before_global_, before_global_rule_;
};

// Every ProtocolChecker of the process saw no violation but the expected ones; with
// `min_checkers`, at least that many checkers were linked through link().
inline void check_no_violations(size_t min_linked = 0) {
  const uint64_t total = epochcore::ProtocolChecker::total_violations();
  check(total == expected_violations(), "no unexpected TLM protocol violations", __FILE__, __LINE__,
        std::to_string(total - expected_violations()) + " unexpected");
  check(linked_checkers().size() >= min_linked, "every socket has a protocol checker", __FILE__,
        __LINE__, std::to_string(linked_checkers().size()) + " linked");
  if (total != expected_violations())
    for (const auto& c : linked_checkers())
      if (c->violations() != 0)
      std::printf("  %s: %llu violation(s), last: %s\n", c->name(),
                  static_cast<unsigned long long>(c->violations()), c->last_violation().c_str());
}

// The sc_main skeleton: `body` elaborates and simulates (it may add checks of its own
// after sc_start); exceptions count as failures.
inline int run_testbench(const char* name, const std::function<void()>& body,
                         bool display_errors = true, size_t min_linked = 0) {
  setup_reports(display_errors);
  try {
    body();
  } catch (const std::exception& e) {
    std::printf("FAILED: exception: %s\n", e.what());
    ++g_failed;
  }
  check_no_violations(min_linked);
  return summary(name);
}

}  // namespace ec_test

#define EC_CHECK(cond) ec_test::check((cond), #cond, __FILE__, __LINE__)
#define EC_CHECK_INFO(cond, info) ec_test::check((cond), #cond, __FILE__, __LINE__, (info))
// EC_EXPECT_VIOLATION(checker, RULE, n) { ... } : the block breaks RULE exactly n times.
#define EC_EXPECT_VIOLATION(checker, rule, n) \
  if (ec_test::ExpectViolation ec_expect_{(checker), epochcore::ProtocolRule::rule, (n), __FILE__, __LINE__}; true)

#ifdef CATCH_VERSION_MAJOR
namespace ec_test {
// sc_main for Catch2 tests: reports set up, the session run, then no protocol violation
// may remain unexpected.
inline int run_catch(int argc, char** argv) {
  setup_reports();
  const int failed = Catch::Session().run(argc, argv);
  const uint64_t unexpected = epochcore::ProtocolChecker::total_violations() - expected_violations();
  if (unexpected != 0)
    std::printf("FAILED: %llu unexpected TLM protocol violation(s)\n",
                static_cast<unsigned long long>(unexpected));
  return failed != 0 || unexpected != 0 ? 1 : 0;
}
}  // namespace ec_test
#endif

namespace ec_test {
// For testbenches built on epochcore::Soc with run.check_protocol: the SoC has its six
// bus checkers and the accelerator its five internal ones, the host's and the DMA's saw
// traffic, and none saw a violation but the expected ones (one SoC per testbench that
// expects any).
template <class SocT>
void check_soc_protocol(const SocT& soc) {
  check(soc.protocol_checkers().size() == 6 && soc.accel().protocol_checkers() == 5,
        "the SoC has a protocol checker on every socket", __FILE__, __LINE__, soc.name());
  uint64_t host = 0, dma = 0;
  for (const auto& c : soc.protocol_checkers()) {
    const std::string n = c->basename();
    if (n == "check_host") host = c->transactions();
    if (n == "check_dma") dma = c->transactions();
  }
  check(host > 0 && dma > 0, "the host's and the DMA's checkers saw traffic", __FILE__, __LINE__,
        std::string(soc.name()) + ": host " + std::to_string(host) + ", dma " + std::to_string(dma));
  check(soc.protocol_violations() == expected_violations(), "no unexpected protocol violation in the SoC",
        __FILE__, __LINE__, soc.name());
}
}  // namespace ec_test
