// SystemC testbench for the DMA engine: system memories + router + three scratchpads
// behind a local router + three DMA engines with different parameters (DMA-bound,
// memory-bound, scratchpad-bound). Checks that 1-D and 2-D transfers move exactly the
// right bytes in both directions, that every transfer takes exactly
// timing::dma_transfer_cycles() cycles, bus-error handling and recovery, read_system,
// and (through a ProtocolChecker on every socket, tests/sc/sc_harness.h) the TLM rules.
// One SC_THREAD runs every check; exits non-zero on failure, prints "N passed, M failed".
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore/models/bus/router.h"
#include "epochcore/models/dma/dma_engine.h"
#include "epochcore/maths/timing/dma_timing.h"
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
std::string g_case;  // the transfer being checked, for failure messages

void check(bool ok, const char* what, int line) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    std::printf("FAILED line %d%s%s: %s\n", line, g_case.empty() ? "" : " in ", g_case.c_str(),
                what);
  }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

constexpr double kClockNs = 1.25, kSysHopNs = 1.0, kSpadHopNs = 0.5;
constexpr double kFastLatNs = 23.3, kFastBpn = 12.0;  // fast memory
constexpr double kSlowLatNs = 97.1, kSlowBpn = 0.7;   // slow memory
constexpr uint64_t kSlowBase = 0x1000'0000;

// Fills `n` bytes with a sequence that differs per seed (so guards are recognisable).
void fill(uint8_t* p, size_t n, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    p[i] = uint8_t(x >> 24);
  }
}

struct Testbench : sc_module {
  Router sys_router;
  Router spad_bus;
  SystemMemory mem_fast, mem_slow;
  Scratchpad spad_in, spad_param, spad_out;
  DmaEngine dma_a, dma_b, dma_c;

  SC_HAS_PROCESS(Testbench);
  explicit Testbench(sc_module_name n)
      : sc_module(n), sys_router("sys_router", sc_time(kSysHopNs, SC_NS)),
        spad_bus("spad_bus", sc_time(kSpadHopNs, SC_NS)),
        mem_fast("mem_fast", 1 << 20, sc_time(kFastLatNs, SC_NS), kFastBpn),
        mem_slow("mem_slow", 64 * 1024, sc_time(kSlowLatNs, SC_NS), kSlowBpn),
        spad_in("spad_in", 64 * 1024, 4, 2, clock()),
        spad_param("spad_param", 16 * 1024, 2, 1, clock()),
        spad_out("spad_out", 32 * 1024, 1, 1, clock()),
        // DMA-bound: narrow datapath, short bursts, a quantum shorter than most jobs.
        dma_a("dma_a", DmaParams{4, 10, 64, 4}, clock(), sc_time(100, SC_NS)),
        // Memory-bound: wide datapath, one request in flight, sync after every burst.
        dma_b("dma_b", DmaParams{32, 3, 256, 1}, clock(), SC_ZERO_TIME),
        // Scratchpad-bound on a one-bank scratchpad: wide, deep, odd burst size.
        dma_c("dma_c", DmaParams{64, 0, 100, 16}, clock(), sc_time(1, SC_US)) {
    // A ProtocolChecker on every socket (the checkers add no delay).
    ec_test::link(sys_router.initiator_socket, mem_fast.socket, "chk_mem_fast");
    ec_test::link(sys_router.initiator_socket, mem_slow.socket, "chk_mem_slow");
    sys_router.map(0, 1 << 20, 0, "mem_fast");
    sys_router.map(kSlowBase, 64 * 1024, 1, "mem_slow");
    Scratchpad* spads[3] = {&spad_in, &spad_param, &spad_out};
    for (unsigned i = 0; i < 3; ++i) {
      ec_test::link(spad_bus.initiator_socket, spads[i]->socket, std::string("chk_") + spads[i]->basename());
      spad_bus.map(spad_local_base(cmd::SpadId(i)), spads[i]->size_bytes(), i, spads[i]->name());
    }
    DmaEngine* dmas[3] = {&dma_a, &dma_b, &dma_c};
    for (int i = 0; i < 3; ++i) {
      const std::string n = dmas[i]->basename();
      ec_test::link(dmas[i]->sys_socket, sys_router.target_socket, "chk_" + n + "_sys");
      ec_test::link(dmas[i]->spad_socket, spad_bus.target_socket, "chk_" + n + "_spad");
    }
    SC_THREAD(run);
  }

  static sc_time clock() { return sc_time(kClockNs, SC_NS); }

  Scratchpad& spad(cmd::SpadId id) {
    return id == cmd::SpadId::INPUT ? spad_in : id == cmd::SpadId::PARAM ? spad_param : spad_out;
  }
  SystemMemory& mem_at(uint64_t sys_addr) { return sys_addr >= kSlowBase ? mem_slow : mem_fast; }

  timing::DmaPath path_for(const DmaJob& j) {
    const bool slow = j.desc.sys_addr >= kSlowBase;
    timing::DmaPath p;
    p.clock_period_ns = kClockNs;
    p.mem_latency_ns = slow ? kSlowLatNs : kFastLatNs;
    p.mem_bytes_per_ns = slow ? kSlowBpn : kFastBpn;
    p.spad_banks = spad(j.desc.spad).banks();
    p.sys_hop_ns = kSysHopNs;
    p.spad_hop_ns = kSpadHopNs;
    return p;
  }

  void wait_idle(DmaEngine& dma) {
    while (!dma.idle()) wait(dma.idle_event());
  }

  // Runs one job from a fresh fill and checks the bytes, the time and the counters.
  void transfer_case(const char* name, DmaEngine& dma, const DmaJob& job) {
    g_case = name;
    const cmd::DmaDesc& d = job.desc;
    SystemMemory& mem = mem_at(d.sys_addr);
    const uint64_t mem_base = &mem == &mem_slow ? kSlowBase : 0;
    Scratchpad& sp = spad(d.spad);
    fill(mem.data(), mem.size(), 11);
    fill(sp.bytes(), sp.size_bytes(), 29);
    // The expected images, from an independent byte-by-byte model of the transfer.
    std::vector<uint8_t> mem_img(mem.data(), mem.data() + mem.size());
    std::vector<uint8_t> sp_img(sp.bytes(), sp.bytes() + sp.size_bytes());
    for (uint64_t r = 0; r < d.rows; ++r)
      for (uint64_t b = 0; b < d.row_bytes; ++b) {
        const uint64_t s = d.sys_addr - mem_base + r * d.sys_stride + b;
        const uint64_t p = d.spad_addr + r * d.spad_stride + b;
        if (job.to_spad)
          sp_img[p] = mem_img[s];
        else
          mem_img[s] = sp_img[p];
      }
    const uint64_t expected = timing::dma_transfer_cycles(d, dma.params(), path_for(job));
    const DmaStats before = dma.stats();
    const uint64_t done_before = dma.jobs_done();
    const sc_time t0 = sc_time_stamp();
    dma.enqueue(job);
    CHECK(!dma.idle());
    wait_idle(dma);
    const sc_time elapsed = sc_time_stamp() - t0;
    CHECK(elapsed.value() == expected * clock().value());
    if (elapsed.value() != expected * clock().value())
      std::printf("  %s: %s elapsed, expected %llu cycles\n", name, elapsed.to_string().c_str(),
                  (unsigned long long)expected);
    CHECK(std::memcmp(sp.bytes(), sp_img.data(), sp_img.size()) == 0);
    CHECK(std::memcmp(mem.data(), mem_img.data(), mem_img.size()) == 0);
    const DmaStats& after = dma.stats();
    const uint64_t bytes = uint64_t(d.rows) * d.row_bytes;
    const uint64_t bursts_per_row =
        (d.row_bytes + dma.params().burst_bytes - 1) / dma.params().burst_bytes;
    CHECK(after.busy_cycles - before.busy_cycles == expected);
    CHECK(after.transfers == before.transfers + 1 && dma.jobs_done() == done_before + 1);
    CHECK(dma.last_done_cmd_index() == job.cmd_index);
    CHECK(after.bursts - before.bursts == uint64_t(d.rows) * bursts_per_row);
    CHECK(after.bytes_to_spad - before.bytes_to_spad == (job.to_spad ? bytes : 0));
    CHECK(after.bytes_from_spad - before.bytes_from_spad == (job.to_spad ? 0 : bytes));
    CHECK(!dma.has_error());
    g_case.clear();
  }

  static DmaJob job(uint32_t index, bool to_spad, uint64_t sys, cmd::SpadId id, uint32_t spad_addr,
                    uint32_t row_bytes, uint32_t rows = 1, uint32_t sys_stride = 0,
                    uint32_t spad_stride = 0) {
    DmaJob j;
    j.cmd_index = index;
    j.to_spad = to_spad;
    j.desc.sys_addr = sys;
    j.desc.spad = id;
    j.desc.spad_addr = spad_addr;
    j.desc.row_bytes = row_bytes;
    j.desc.rows = rows;
    j.desc.sys_stride = sys_stride;
    j.desc.spad_stride = spad_stride;
    return j;
  }

  void test_closed_form();
  void test_transfers();
  void test_concurrent_and_queued();
  void test_errors();
  void test_read_system();

  void run() {
    test_closed_form();
    test_transfers();
    test_concurrent_and_queued();
    test_errors();
    test_read_system();
    for (const auto& c : ec_test::linked_checkers()) {
      check(c->violations() == 0, c->name(), __LINE__);
      check(c->transactions() > 0, c->name(), __LINE__);
    }
    g_finished = true;
    sc_stop();
  }
};

using cmd::SpadId;

void Testbench::test_closed_form() {
  // Hand-computed: 1 ns clock, memory 1 + 20 ns + len/16 ns, 4 banks, 2 outstanding.
  // Row of 100 bytes = bursts 64 + 36. Burst 64: datapath 8, memory 25 cycles -> 13,
  // spad 4 -> 13. Burst 36: datapath 5, memory 23.25 -> 24 -> 12, spad 3 -> 12.
  // Two rows: 2 * 25 + setup 5 = 55.
  timing::DmaPath p;
  p.clock_period_ns = 1.0;
  p.mem_latency_ns = 20.0;
  p.mem_bytes_per_ns = 16.0;
  p.spad_banks = 4;
  p.sys_hop_ns = 1.0;
  const DmaParams dp{8, 5, 64, 2};
  CHECK(timing::dma_burst_cycles(64, dp, p) == 13);
  CHECK(timing::dma_burst_cycles(36, dp, p) == 12);
  CHECK(timing::dma_transfer_cycles(job(0, true, 0, SpadId::INPUT, 0, 100, 2).desc, dp, p) == 55);
  CHECK(timing::dma_transfer_cycles(job(0, true, 0, SpadId::INPUT, 0, 0, 2).desc, dp, p) == 5);
  // Rounding to the picosecond: 1.25 ns clock, 1 + 23.3 + 100/12 ns = 32633 ps -> 27
  // cycles with one request in flight; spad 0.5 ns + 7 cycles = 9250 ps -> 8 cycles.
  timing::DmaPath q;
  q.clock_period_ns = 1.25;
  q.mem_latency_ns = 23.3;
  q.mem_bytes_per_ns = 12.0;
  q.spad_banks = 4;
  q.sys_hop_ns = 1.0;
  q.spad_hop_ns = 0.5;
  CHECK(timing::dma_burst_cycles(100, DmaParams{4, 0, 128, 1}, q) == 27);   // memory
  CHECK(timing::dma_burst_cycles(100, DmaParams{4, 0, 128, 4}, q) == 25);   // datapath
  CHECK(timing::dma_burst_cycles(100, DmaParams{64, 0, 128, 4}, q) == 8);   // scratchpad
  CHECK(timing::ns_to_ps(23.3) == 23300 && timing::ns_to_ps(100 / 12.0) == 8333);
  CHECK(timing::ns_to_ps(0.0005) == 1 && timing::ns_to_ps(0.0004) == 0);
  CHECK(timing::ns_to_ps(23.3) == sc_time(23.3, SC_NS).value());
  // Bad parameters are reported, not divided by.
  CHECK(dma_params_error(dp).empty());
  CHECK(dma_params_error(DmaParams{0, 1, 1, 1}).find("bytes_per_cycle") != std::string::npos);
  CHECK(dma_params_error(DmaParams{1, 1, 0, 1}).find("burst_bytes") != std::string::npos);
  CHECK(dma_params_error(DmaParams{1, 1, 1, 0}).find("max_outstanding") != std::string::npos);
  auto throws = [](const DmaParams& params, const timing::DmaPath& path) {
    try {
      timing::dma_transfer_cycles(cmd::DmaDesc{}, params, path);
    } catch (const std::invalid_argument&) {
      return true;
    }
    return false;
  };
  CHECK(throws(DmaParams{0, 1, 1, 1}, p));
  timing::DmaPath bad = p;
  bad.mem_bytes_per_ns = 0;
  CHECK(throws(dp, bad));
  bad = p;
  bad.clock_period_ns = 0;
  CHECK(throws(dp, bad));
  bad = p;
  bad.spad_banks = 0;
  CHECK(throws(dp, bad));
  CHECK(!throws(dp, p));
}

void Testbench::test_transfers() {
  // DMA-bound engine, 1-D and 2-D (rows split 64 + 64 + 4), both directions.
  transfer_case("a 1-D in", dma_a, job(1, true, 0x1234, SpadId::INPUT, 0x100, 256));
  transfer_case("a 2-D in", dma_a, job(2, true, 0x4000, SpadId::INPUT, 0x40, 132, 5, 300, 160));
  transfer_case("a 2-D out short rows", dma_a,
                job(3, false, 0x8000, SpadId::OUTPUT, 0x200, 40, 3, 48, 64));
  transfer_case("a broadcast row", dma_a, job(4, true, 0x10, SpadId::PARAM, 0, 24, 3, 0, 32));
  transfer_case("a empty", dma_a, job(5, true, 0x10, SpadId::PARAM, 0, 0, 1));
  // Memory-bound engine, slow and fast memory.
  transfer_case("b 1-D in slow", dma_b, job(6, true, kSlowBase + 0x20, SpadId::PARAM, 0x80, 1000));
  transfer_case("b 2-D out", dma_b, job(7, false, 0x2000, SpadId::INPUT, 0x10, 520, 4, 1024, 600));
  transfer_case("b 1-D out slow", dma_b, job(8, false, kSlowBase + 0x400, SpadId::OUTPUT, 0, 64));
  // Scratchpad-bound engine (one bank: one word per cycle).
  transfer_case("c 2-D in", dma_c, job(9, true, 0x100, SpadId::OUTPUT, 0x800, 400, 2, 4096, 400));
  transfer_case("c 2-D out tiny rows", dma_c,
                job(10, false, kSlowBase, SpadId::PARAM, 0x3000, 12, 7, 20, 16));
  transfer_case("c burst split", dma_c, job(11, true, 0xFFF00, SpadId::INPUT, 0, 256, 1));
  // A row ending exactly at the end of system memory and of the scratchpad.
  transfer_case("c at the ends", dma_c,
                job(12, false, (1 << 20) - 128, SpadId::PARAM, 16 * 1024 - 128, 128));

  // The parameter sets really are bound by what their names say.
  auto term = [&](DmaEngine& dma, const DmaJob& j, int which) {
    timing::DmaPath p = path_for(j);
    DmaParams q = dma.params();
    // Make the other two terms negligible to isolate one.
    if (which != 0) q.bytes_per_cycle = 1u << 30;
    if (which != 1) { q.max_outstanding = 1u << 30; }
    if (which != 2) p.spad_banks = 1u << 20;
    return timing::dma_burst_cycles(q.burst_bytes, q, p);
  };
  const DmaJob ja = job(0, true, 0, SpadId::INPUT, 0, 64), jb = job(0, true, kSlowBase, SpadId::PARAM, 0, 256);
  const DmaJob jc = job(0, true, 0, SpadId::OUTPUT, 0, 100);
  CHECK(term(dma_a, ja, 0) > term(dma_a, ja, 1) && term(dma_a, ja, 0) > term(dma_a, ja, 2));
  CHECK(term(dma_b, jb, 1) > term(dma_b, jb, 0) && term(dma_b, jb, 1) > term(dma_b, jb, 2));
  CHECK(term(dma_c, jc, 2) > term(dma_c, jc, 0) && term(dma_c, jc, 2) > term(dma_c, jc, 1));
}

void Testbench::test_concurrent_and_queued() {
  g_case = "concurrent";
  // Two engines at once on separate memories and scratchpads: each on its own time.
  const DmaJob ja = job(20, true, 0x3000, SpadId::INPUT, 0, 512, 2, 1024, 512);
  const DmaJob jb = job(21, true, kSlowBase + 0x100, SpadId::PARAM, 0x400, 300);
  const uint64_t ca = timing::dma_transfer_cycles(ja.desc, dma_a.params(), path_for(ja));
  const uint64_t cb = timing::dma_transfer_cycles(jb.desc, dma_b.params(), path_for(jb));
  const sc_time t0 = sc_time_stamp();
  dma_a.enqueue(ja);
  dma_b.enqueue(jb);
  sc_time ta, tb;
  bool da = false, db = false;
  while (!(da && db)) {
    wait(dma_a.idle_event() | dma_b.idle_event());
    if (!da && dma_a.idle()) { da = true; ta = sc_time_stamp() - t0; }
    if (!db && dma_b.idle()) { db = true; tb = sc_time_stamp() - t0; }
  }
  CHECK(ta.value() == ca * clock().value());
  CHECK(tb.value() == cb * clock().value());
  CHECK(std::memcmp(spad_param.bytes() + 0x400, mem_slow.data() + 0x100, 300) == 0);
  CHECK(std::memcmp(spad_in.bytes() + 512, mem_fast.data() + 0x3000 + 1024, 512) == 0);

  // Three queued jobs run back to back, in order.
  g_case = "queued";
  const DmaJob q[3] = {job(30, true, 0x100, SpadId::INPUT, 0, 96),
                       job(31, false, 0x200, SpadId::INPUT, 0, 96),  // copies job 30's data back
                       job(32, true, 0x200, SpadId::OUTPUT, 4, 200, 2, 256, 256)};
  uint64_t total = 0;
  for (const DmaJob& j : q) total += timing::dma_transfer_cycles(j.desc, dma_a.params(), path_for(j));
  const uint64_t done = dma_a.jobs_done();
  const sc_time t1 = sc_time_stamp();
  for (const DmaJob& j : q) dma_a.enqueue(j);
  CHECK(dma_a.queued() == 3);
  wait(dma_a.job_done_event());
  CHECK(dma_a.last_done_cmd_index() == 30 && dma_a.jobs_done() == done + 1);
  wait_idle(dma_a);
  CHECK((sc_time_stamp() - t1).value() == total * clock().value());
  CHECK(dma_a.jobs_done() == done + 3 && dma_a.last_done_cmd_index() == 32);
  CHECK(std::memcmp(mem_fast.data() + 0x200, mem_fast.data() + 0x100, 96) == 0);
  CHECK(std::memcmp(spad_out.bytes() + 4, mem_fast.data() + 0x100, 96) == 0);
  g_case.clear();
}

void Testbench::test_errors() {
  g_case = "bus error";
  fill(spad_param.bytes(), spad_param.size_bytes(), 5);
  fill(mem_fast.data(), mem_fast.size(), 6);
  const std::vector<uint8_t> param_before(spad_param.bytes(), spad_param.bytes() + 16 * 1024);
  // Job 40 runs off the end of mem_fast after one good 64-byte burst; 41 and 42 queue behind.
  const uint64_t done = dma_a.jobs_done(), transfers = dma_a.stats().transfers;
  dma_a.enqueue(job(40, true, (1 << 20) - 64, SpadId::PARAM, 0, 128));
  dma_a.enqueue(job(41, true, 0x0, SpadId::PARAM, 0x1000, 64));
  dma_a.enqueue(job(42, true, 0x0, SpadId::PARAM, 0x2000, 64));
  wait_idle(dma_a);
  CHECK(dma_a.has_error() && dma_a.error_cause() == regs::ErrorCause::DMA_BUS_ERROR);
  CHECK(dma_a.error_cmd_index() == 40);
  CHECK(dma_a.idle() && dma_a.queued() == 0);
  CHECK(dma_a.jobs_done() == done && dma_a.stats().transfers == transfers);
  // The first burst landed; nothing else in the scratchpad changed.
  CHECK(std::memcmp(spad_param.bytes(), mem_fast.data() + (1 << 20) - 64, 64) == 0);
  CHECK(std::memcmp(spad_param.bytes() + 64, param_before.data() + 64, 16 * 1024 - 64) == 0);
  // Stopped: a new job is dropped and the engine stays idle.
  dma_a.enqueue(job(43, true, 0x0, SpadId::PARAM, 0x3000, 64));
  CHECK(dma_a.idle() && dma_a.queued() == 0);
  wait(10, SC_NS);
  CHECK(std::memcmp(spad_param.bytes() + 0x3000, param_before.data() + 0x3000, 64) == 0);
  // clear_error() recovers.
  dma_a.clear_error();
  CHECK(!dma_a.has_error() && dma_a.error_cause() == regs::ErrorCause::NONE);
  transfer_case("after clear_error", dma_a, job(44, true, 0x40, SpadId::PARAM, 0x3000, 64));

  // Scratchpad-side errors: past the end of the scratchpad, and a slow-memory read
  // that straddles the end of mem_slow, on the other engines.
  g_case = "spad error";
  dma_b.enqueue(job(50, true, 0x0, SpadId::PARAM, 16 * 1024 - 4, 8));
  wait_idle(dma_b);
  CHECK(dma_b.has_error() && dma_b.error_cmd_index() == 50);
  dma_b.clear_error();
  g_case = "out error";
  dma_c.enqueue(job(51, false, kSlowBase + 64 * 1024 - 96, SpadId::INPUT, 0, 64, 2, 64, 64));
  wait_idle(dma_c);
  CHECK(dma_c.has_error() && dma_c.error_cmd_index() == 51 &&
        dma_c.error_cause() == regs::ErrorCause::DMA_BUS_ERROR);
  CHECK(std::memcmp(mem_slow.data() + 64 * 1024 - 96, spad_in.bytes(), 64) == 0);  // row 0 done
  dma_c.clear_error();
  CHECK(!dma_b.has_error() && !dma_c.has_error());
  g_case.clear();
}

void Testbench::test_read_system() {
  fill(mem_slow.data(), mem_slow.size(), 77);
  uint8_t buf[32] = {};
  sc_time delay(5, SC_NS);
  CHECK(dma_b.read_system(kSlowBase + 0x60, buf, 32, delay));
  CHECK(std::memcmp(buf, mem_slow.data() + 0x60, 32) == 0);
  CHECK(delay == sc_time(5, SC_NS) + sc_time(kSysHopNs, SC_NS) + sc_time(kSlowLatNs, SC_NS) +
                     sc_time(32 / kSlowBpn, SC_NS));
  CHECK(!dma_b.read_system(0x0800'0000, buf, 32, delay));    // unmapped
  CHECK(!dma_b.read_system(kSlowBase + 64 * 1024 - 16, buf, 32, delay));  // straddles the end
  CHECK(dma_a.read_system(0x10, buf, 4, delay) && std::memcmp(buf, mem_fast.data() + 0x10, 4) == 0);
  CHECK(!dma_b.has_error());  // read_system does not touch the job error state
}

}  // namespace

int sc_main(int, char*[]) {
  return ec_test::run_testbench("test_dma", [] {
    Testbench tb("tb");
    sc_start();
    if (!g_finished) {
      std::printf("FAILED: the test thread did not finish (a wait never returned)\n");
      ++g_failed;
    }
  }, true, 11);
}
