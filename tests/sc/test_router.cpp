// SystemC testbench for the Router, SystemMemory and Scratchpad targets: address
// decoding, error responses, debug transport, DMI forwarding and invalidation, and
// the annotated delays. One SC_THREAD runs every check; the process exits non-zero
// when any check fails and prints "N passed, M failed".
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore/models/bus/router.h"
#include "epochcore/models/memory/scratchpad.h"
#include "epochcore/models/memory/spad_map.h"
#include "epochcore/models/memory/system_memory.h"
#include "epochcore/models/tlm/protocol_checker.h"
#include "sc_harness.h"

using namespace sc_core;
using namespace epochcore;

namespace {

using ec_test::g_failed;
using ec_test::g_passed;
bool g_finished = false;  // the test thread ran to its end (no hang, no early stop)

void check(bool ok, const char* what, int line) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAILED line %d: %s\n", line, what);
  }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

// Functions rather than globals: an sc_time must not be built before sc_main.
sc_time kClock() { return sc_time(1.25, SC_NS); }
sc_time kSysHop() { return sc_time(1, SC_NS); }
sc_time kSpadHop() { return sc_time(0.5, SC_NS); }

// Resident set size in bytes (Linux), to see that a large memory is not touched.
uint64_t resident_bytes() {
  unsigned long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%lu %lu", &pages, &resident) != 2) resident = 0;
  std::fclose(f);
  return uint64_t(resident) * 4096;
}

// A target that only answers OK and can invalidate DMI on request.
struct InvalidatingTarget : sc_module {
  tlm_utils::simple_target_socket<InvalidatingTarget> socket;
  explicit InvalidatingTarget(sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &InvalidatingTarget::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& t, sc_time&) {
    t.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  void invalidate(uint64_t start, uint64_t end) { socket->invalidate_direct_mem_ptr(start, end); }
};

struct Testbench : sc_module {
  tlm_utils::simple_initiator_socket<Testbench> cpu, cpu2, local, direct;
  Router sys_router{"sys_router", kSysHop()};
  Router spad_bus{"spad_bus", kSpadHop()};
  SystemMemory mem_a{"mem_a", 64 * 1024, sc_time(10, SC_NS), 2.0};
  SystemMemory mem_b{"mem_b", 64 * 1024, sc_time(7.3, SC_NS), 3.0};
  SystemMemory mem_direct{"mem_direct", 4096, sc_time(10, SC_NS), 2.0};
  uint64_t rss_before_big = resident_bytes();
  SystemMemory big{"big", 256ull << 20, sc_time(50, SC_NS), 16.0};
  uint64_t rss_after_big = resident_bytes();
  InvalidatingTarget inval{"inval"};
  Scratchpad spad_in{"spad_in", 4096, 4, 2, kClock()};
  Scratchpad spad_out{"spad_out", 4096, 1, 1, kClock()};
  std::vector<std::pair<uint64_t, uint64_t>> invalidated, invalidated2;
  // A ProtocolChecker on every socket (sc_harness.h); these two see deliberate violations.
  ProtocolChecker* chk_direct = nullptr;
  ProtocolChecker* chk_local = nullptr;

  SC_HAS_PROCESS(Testbench);
  explicit Testbench(sc_module_name n)
      : sc_module(n), cpu("cpu"), cpu2("cpu2"), local("local"), direct("direct") {
    ec_test::link(cpu, sys_router.target_socket, "chk_cpu");
    ec_test::link(cpu2, sys_router.target_socket, "chk_cpu2");
    ec_test::link(sys_router.initiator_socket, mem_a.socket, "chk_mem_a");  // target 0
    ec_test::link(sys_router.initiator_socket, mem_b.socket, "chk_mem_b");  // target 1
    ec_test::link(sys_router.initiator_socket, inval.socket, "chk_inval");  // target 2
    ec_test::link(sys_router.initiator_socket, big.socket, "chk_big");      // target 3
    sys_router.map(0x1000'0000, 64 * 1024, 1, "mem_b");  // out of order on purpose
    sys_router.map(0x0, 64 * 1024, 0, "mem_a");
    sys_router.map(0x2000'0000, 4096, 2, "inval_lo");
    sys_router.map(0x3000'0000, 4096, 2, "inval_hi");
    sys_router.map(0x4000'0000, 256ull << 20, 3, "big");
    sys_router.map(0x5000'0000, 4096, 0, "mem_a_alias");  // a window smaller than its target
    chk_local = &ec_test::link(local, spad_bus.target_socket, "chk_local");
    ec_test::link(spad_bus.initiator_socket, spad_in.socket, "chk_spad_in");
    ec_test::link(spad_bus.initiator_socket, spad_out.socket, "chk_spad_out");
    spad_bus.map(spad_local_base(cmd::SpadId::INPUT), 4096, 0, "spad_in");
    // A full window: the scratchpad itself answers accesses past its end.
    spad_bus.map(spad_local_base(cmd::SpadId::OUTPUT), kSpadWindowBytes, 1, "spad_out");
    chk_direct = &ec_test::link(direct, mem_direct.socket, "chk_direct");
    cpu.register_invalidate_direct_mem_ptr(this, &Testbench::on_invalidate);
    cpu2.register_invalidate_direct_mem_ptr(this, &Testbench::on_invalidate2);
    SC_THREAD(run);
  }

  void on_invalidate(sc_dt::uint64 s, sc_dt::uint64 e) { invalidated.push_back({s, e}); }
  void on_invalidate2(sc_dt::uint64 s, sc_dt::uint64 e) { invalidated2.push_back({s, e}); }

  tlm::tlm_generic_payload p;
  // One b_transport from a zero delay; the payload is left in `p` for inspection.
  tlm::tlm_response_status access(tlm_utils::simple_initiator_socket<Testbench>& s,
                                  tlm::tlm_command c, uint64_t addr, uint8_t* data,
                                  unsigned len, sc_time& delay, unsigned width = 0,
                                  uint8_t* be = nullptr) {
    p.set_command(c);
    p.set_address(addr);
    p.set_data_ptr(data);
    p.set_data_length(len);
    p.set_streaming_width(width ? width : len);
    p.set_byte_enable_ptr(be);
    p.set_byte_enable_length(be ? 4 : 0);
    p.set_dmi_allowed(false);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    delay = SC_ZERO_TIME;
    s->b_transport(p, delay);
    return p.get_response_status();
  }
  unsigned debug(tlm_utils::simple_initiator_socket<Testbench>& s, tlm::tlm_command c,
                 uint64_t addr, uint8_t* data, unsigned len) {
    tlm::tlm_generic_payload d;
    d.set_command(c);
    d.set_address(addr);
    d.set_data_ptr(data);
    d.set_data_length(len);
    const unsigned n = s->transport_dbg(d);
    CHECK(d.get_address() == addr && d.get_data_length() == len);  // restored
    return n;
  }

  void test_memory_direct();
  void test_router_decode();
  void test_router_debug_and_dmi();
  void test_scratchpad();
  void test_map_errors();

  void run() {
    test_memory_direct();
    test_router_decode();
    test_router_debug_and_dmi();
    test_scratchpad();
    test_map_errors();
    g_finished = true;
    sc_stop();
  }
};

void Testbench::test_memory_direct() {
  uint8_t buf[16], back[16];
  for (int i = 0; i < 16; ++i) buf[i] = uint8_t(0xA0 + i);
  sc_time d;
  CHECK(access(direct, tlm::TLM_WRITE_COMMAND, 100, buf, 8, d) == tlm::TLM_OK_RESPONSE);
  CHECK(d == sc_time(10, SC_NS) + sc_time(4, SC_NS));  // latency + 8 B / 2 B/ns
  CHECK(p.is_dmi_allowed());
  CHECK(std::memcmp(mem_direct.data() + 100, buf, 8) == 0);
  CHECK(access(direct, tlm::TLM_READ_COMMAND, 100, back, 8, d) == tlm::TLM_OK_RESPONSE);
  CHECK(std::memcmp(back, buf, 8) == 0);
  CHECK(mem_direct.bytes_written() == 8 && mem_direct.bytes_read() == 8);
  CHECK(mem_direct.transactions() == 2);
  // Errors: nothing moves, only the latency is charged.
  CHECK(access(direct, tlm::TLM_READ_COMMAND, 4092, back, 8, d) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(d == sc_time(10, SC_NS));
  CHECK(access(direct, tlm::TLM_WRITE_COMMAND, 5000, buf, 4, d) == tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(access(direct, tlm::TLM_READ_COMMAND, 4088, back, 8, d) == tlm::TLM_OK_RESPONSE);
  uint8_t be[4] = {0xFF, 0, 0xFF, 0};
  CHECK(access(direct, tlm::TLM_WRITE_COMMAND, 0, buf, 8, d, 0, be) ==
        tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  CHECK(access(direct, tlm::TLM_WRITE_COMMAND, 0, buf, 8, d, 4) == tlm::TLM_BURST_ERROR_RESPONSE);
  CHECK(access(direct, tlm::TLM_IGNORE_COMMAND, 0, buf, 8, d) == tlm::TLM_OK_RESPONSE);
  CHECK(d == SC_ZERO_TIME);
  EC_EXPECT_VIOLATION(*chk_direct, COMMAND_INVALID, 1) {  // an invalid command breaks 14.9 a
    // tlm_command(3): no command, yet within the enum's range 0..3 (more is UB under UBSan)
    CHECK(access(direct, tlm::tlm_command(3), 0, buf, 8, d) == tlm::TLM_COMMAND_ERROR_RESPONSE);
  }
  CHECK(mem_direct.data()[0] == 0 && mem_direct.data()[4] == 0);  // no error wrote
  CHECK(mem_direct.bytes_written() == 8 && mem_direct.bytes_read() == 16);
  // A fractional transfer time rounds to the picosecond like sc_time(ns).
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 0x1000'0000, back, 10, d) == tlm::TLM_OK_RESPONSE);
  CHECK(d.value() == 1000 + 7300 + 3333);  // hop + latency + 10 B / 3 B/ns, in ps
  // Debug transport: clipped, no time, no counters.
  const uint64_t tx = mem_direct.transactions();
  CHECK(debug(direct, tlm::TLM_WRITE_COMMAND, 4090, buf, 16) == 6);
  CHECK(std::memcmp(mem_direct.data() + 4090, buf, 6) == 0);
  CHECK(debug(direct, tlm::TLM_READ_COMMAND, 5000, back, 4) == 0);
  CHECK(debug(direct, tlm::TLM_READ_COMMAND, 100, back, 8) == 8);
  CHECK(std::memcmp(back, buf, 8) == 0);
  CHECK(mem_direct.transactions() == tx && mem_direct.bytes_written() == 8);
  // 256 MiB allocated lazily: zero-filled and (nearly) not resident.
  CHECK(rss_after_big - rss_before_big < (16u << 20));
  CHECK(big.size() == (256ull << 20) && big.data()[123456789] == 0);
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 0x4000'0000 + (256ull << 20) - 4, back, 4, d) ==
        tlm::TLM_OK_RESPONSE);
}

void Testbench::test_router_decode() {
  uint8_t buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, back[16] = {};
  sc_time d;
  // Forwarded with the base subtracted and the address restored afterwards.
  CHECK(access(cpu, tlm::TLM_WRITE_COMMAND, 0x1000'0010, buf, 16, d) == tlm::TLM_OK_RESPONSE);
  CHECK(p.get_address() == 0x1000'0010);
  CHECK(std::memcmp(mem_b.data() + 0x10, buf, 16) == 0);
  CHECK(d == kSysHop() + sc_time(7.3, SC_NS) + sc_time(16 / 3.0, SC_NS));
  CHECK(access(cpu2, tlm::TLM_READ_COMMAND, 0x1000'0010, back, 16, d) == tlm::TLM_OK_RESPONSE);
  CHECK(std::memcmp(back, buf, 16) == 0);
  CHECK(access(cpu, tlm::TLM_WRITE_COMMAND, 0x20, buf, 4, d) == tlm::TLM_OK_RESPONSE);
  CHECK(std::memcmp(mem_a.data() + 0x20, buf, 4) == 0);
  // Unmapped or straddling: ADDRESS_ERROR, not forwarded, only the hop charged.
  const uint64_t ta = mem_a.transactions(), tb = mem_b.transactions();
  const uint64_t errors = sys_router.counters().address_errors;
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 0x0800'0000, back, 4, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(d == kSysHop());
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 0xFFFF'FFFF'FFFF'FFF0ull, back, 4, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 64 * 1024 - 4, back, 8, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(access(cpu, tlm::TLM_WRITE_COMMAND, 0x1000'0000 + 64 * 1024 - 8, buf, 16, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 64 * 1024 - 4, back, 4, d) == tlm::TLM_OK_RESPONSE);
  CHECK(mem_a.transactions() == ta + 1 && mem_b.transactions() == tb);
  CHECK(sys_router.counters().address_errors == errors + 4);
  // A streaming transfer spans only its streaming width.
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 64 * 1024 - 4, back, 8, d, 4) ==
        tlm::TLM_BURST_ERROR_RESPONSE);  // decoded, forwarded, refused by the memory
  CHECK(sys_router.find(0x1000'0000) != nullptr && sys_router.find(0x1000'0000)->name == "mem_b");
  CHECK(sys_router.find(0x1001'0000) == nullptr && sys_router.find(0x1000'FFFF) != nullptr);
  CHECK(sys_router.ranges().size() == 6 && sys_router.ranges()[0].name == "mem_a");
  CHECK(access(cpu, tlm::TLM_READ_COMMAND, 0x5000'0FFC, back, 8, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);  // inside mem_a, but past the alias window
}

void Testbench::test_router_debug_and_dmi() {
  uint8_t buf[16], back[16] = {};
  for (int i = 0; i < 16; ++i) buf[i] = uint8_t(0x30 + i);
  const uint64_t tx = mem_b.transactions();
  CHECK(debug(cpu, tlm::TLM_WRITE_COMMAND, 0x1000'0100, buf, 16) == 16);
  CHECK(std::memcmp(mem_b.data() + 0x100, buf, 16) == 0);
  CHECK(debug(cpu, tlm::TLM_READ_COMMAND, 0x1000'0100, back, 16) == 16);
  CHECK(std::memcmp(back, buf, 16) == 0);
  CHECK(debug(cpu, tlm::TLM_READ_COMMAND, 0x0800'0000, back, 16) == 0);
  CHECK(debug(cpu, tlm::TLM_READ_COMMAND, 0x1000'0000 + 64 * 1024 - 4, back, 16) == 4);
  CHECK(mem_b.transactions() == tx);
  // Clipped by the router to a window smaller than the memory behind it.
  CHECK(debug(cpu, tlm::TLM_READ_COMMAND, 0x5000'0FFC, back, 16) == 4);
  CHECK(std::memcmp(back, mem_a.data() + 0xFFC, 4) == 0);

  tlm::tlm_generic_payload q;
  tlm::tlm_dmi dmi;
  q.set_command(tlm::TLM_READ_COMMAND);
  q.set_address(0x1000'0100);
  CHECK(cpu->get_direct_mem_ptr(q, dmi));
  CHECK(q.get_address() == 0x1000'0100);
  CHECK(dmi.get_start_address() == 0x1000'0000 && dmi.get_end_address() == 0x1000'FFFF);
  CHECK(dmi.get_dmi_ptr() == mem_b.data() && dmi.is_read_write_allowed());
  CHECK(dmi.get_read_latency() == sc_time(7.3, SC_NS));
  dmi.init();
  q.set_address(0x5000'0010);  // the alias: granted, but only over its own window
  CHECK(cpu->get_direct_mem_ptr(q, dmi));
  CHECK(dmi.get_start_address() == 0x5000'0000 && dmi.get_end_address() == 0x5000'0FFF);
  CHECK(dmi.get_dmi_ptr() == mem_a.data());
  dmi.init();
  q.set_address(0x0800'0000);
  CHECK(!cpu->get_direct_mem_ptr(q, dmi));
  CHECK(dmi.get_start_address() == 0x1'0000 && dmi.get_end_address() == 0x0FFF'FFFF);
  CHECK(dmi.is_none_allowed());
  dmi.init();
  q.set_address(0x2000'0000);  // a target without DMI: denied over its whole range
  CHECK(!cpu->get_direct_mem_ptr(q, dmi));
  CHECK(dmi.get_start_address() == 0x2000'0000 && dmi.get_end_address() == 0x2000'0FFF);

  // Invalidation reaches every initiator, translated through both ranges of the target.
  invalidated.clear();
  invalidated2.clear();
  inval.invalidate(0x10, 0x1F);
  CHECK(invalidated.size() == 2 && invalidated2.size() == 2);
  CHECK(invalidated.size() == 2 && invalidated[0].first == 0x2000'0010 &&
        invalidated[0].second == 0x2000'001F && invalidated[1].first == 0x3000'0010 &&
        invalidated[1].second == 0x3000'001F);
  invalidated.clear();
  inval.invalidate(0, ~uint64_t(0));
  CHECK(invalidated.size() == 2 && invalidated[0].first == 0x2000'0000 &&
        invalidated[0].second == 0x2000'0FFF && invalidated[1].second == 0x3000'0FFF);
  invalidated.clear();
  inval.invalidate(0x2000, 0x3000);  // beyond the mapped 4 KiB: nobody can hold it
  CHECK(invalidated.empty());
}

void Testbench::test_scratchpad() {
  uint8_t buf[64], back[64];
  for (int i = 0; i < 64; ++i) buf[i] = uint8_t(i * 3);
  const uint64_t in = spad_local_base(cmd::SpadId::INPUT);
  const uint64_t out = spad_local_base(cmd::SpadId::OUTPUT);
  sc_time d;
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, in + 8, buf, 20, d) == tlm::TLM_OK_RESPONSE);
  CHECK(d == kSpadHop() + 2 * kClock());  // ceil(20 / (4 * 4 banks)) = 2 cycles
  CHECK(std::memcmp(spad_in.bytes() + 8, buf, 20) == 0);
  float f;
  std::memcpy(&f, buf + 4, 4);
  CHECK(std::memcmp(&spad_in.words()[3], &f, 4) == 0);
  CHECK(spad_in.stats().dma_write_bytes == 20 && spad_in.stats().dma_read_bytes == 0);
  CHECK(access(local, tlm::TLM_READ_COMMAND, in + 8, back, 20, d) == tlm::TLM_OK_RESPONSE);
  CHECK(std::memcmp(back, buf, 20) == 0 && spad_in.stats().dma_read_bytes == 20);
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, out, buf, 64, d) == tlm::TLM_OK_RESPONSE);
  CHECK(d == kSpadHop() + 16 * kClock());  // one bank: one word per cycle
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, out, buf, 1, d) == tlm::TLM_OK_RESPONSE);
  CHECK(d == kSpadHop() + kClock());
  // The scratchpad's own error responses (spad_out sits in a full 16 MiB window).
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, out + 4092, buf, 8, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);
  CHECK(access(local, tlm::TLM_READ_COMMAND, out + 8192, back, 4, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);
  uint8_t be[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, out, buf, 8, d, 0, be) ==
        tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, out, buf, 8, d, 4) == tlm::TLM_BURST_ERROR_RESPONSE);
  EC_EXPECT_VIOLATION(*chk_local, COMMAND_INVALID, 1) {
    CHECK(access(local, tlm::tlm_command(3), out, buf, 8, d) == tlm::TLM_COMMAND_ERROR_RESPONSE);
  }
  CHECK(spad_out.stats().dma_write_bytes == 65);
  CHECK(access(local, tlm::TLM_WRITE_COMMAND, in + 4092, buf, 8, d) ==
        tlm::TLM_ADDRESS_ERROR_RESPONSE);  // the router's: spad_in is mapped exactly
  CHECK(debug(local, tlm::TLM_READ_COMMAND, out + 4090, back, 16) == 6);
  CHECK(debug(local, tlm::TLM_READ_COMMAND, in + 8, back, 4) == 4 && back[0] == buf[0]);
  tlm::tlm_generic_payload q;
  tlm::tlm_dmi dmi;
  q.set_command(tlm::TLM_READ_COMMAND);  // a DMI request asks for read or write access (11.2.4)
  q.set_address(out + 16);
  CHECK(local->get_direct_mem_ptr(q, dmi));
  CHECK(dmi.get_start_address() == out && dmi.get_end_address() == out + 4095);
  CHECK(dmi.get_dmi_ptr() == spad_out.bytes());
  CHECK(spad_in.size_bytes() == 4096 && spad_in.banks() == 4 && spad_in.ports() == 2);
}

void Testbench::test_map_errors() {
  const size_t n = sys_router.ranges().size();
  auto expect_error = [&](uint64_t base, uint64_t size, const char* what) {
    bool thrown = false;
    try {
      sys_router.map(base, size, 0, what);
    } catch (const sc_report& r) {
      thrown = std::string(r.get_msg()).find(what) != std::string::npos;
    }
    check(thrown, what, __LINE__);
  };
  expect_error(0x1000'8000, 0x100, "overlap_inside");
  expect_error(0x0FFF'FF00, 0x200, "overlap_start");
  expect_error(0x0, 0x1'0000'0000ull, "overlap_cover");
  expect_error(0x5000'0000, 0, "empty");
  expect_error(0xFFFF'FFFF'FFFF'F000ull, 0x2000, "wraps");
  CHECK(sys_router.ranges().size() == n);
  sys_router.map(0x1001'0000, 0x100, 0, "adjacent_ok");  // touching is not overlapping
  CHECK(sys_router.ranges().size() == n + 1);
}

}  // namespace

int sc_main(int, char*[]) {
  return ec_test::run_testbench("test_router", [] {
    Testbench tb("tb");
    sc_start();
    if (!g_finished) {
      std::printf("FAILED: the test thread did not finish (a wait never returned)\n");
      ++g_failed;
    }
  }, false, 10);
}
