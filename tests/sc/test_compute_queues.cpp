// Testbench: two compute queues with a scratchpad scoreboard (array.compute_queues: 2,
// HW_FEATURES.COMPUTE_QUEUES). A tail-like stream of T tiles, RUN_GEMM into one of two
// buffers then a RUN_VEC reading it, runs on four SoCs (one or two queues, cycle or fast
// array timing): every compute command starts and ends where the closed form
// (maths/timing/compute_queue_timing.h) puts it, the two-stage pipeline formula gives the
// compute span, the output bytes are the same in all four, and the accelerator advertises
// the option. With two queues a BAD_TOKEN of an earlier RUN_VEC still wins over a later bad
// record while the array runs on.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/footprint.h"
#include "epochcore/contract/registers.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/timing/compute_queue_timing.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/maths/vector/vector_op_math.h"
#include "epochcore/platform/soc/soc.h"
#include "sc_harness.h"

using namespace epochcore;
using namespace epochcore::cmd;
using regs::ErrorCause;

namespace {

constexpr uint64_t kStreamAddr = 0x10000;
constexpr uint64_t kDataAddr = 0x20000;
constexpr uint64_t kResultAddr = 0x100000;
constexpr uint32_t kTiles = 7, kM = 24, kK = 4, kN = 8;  // per tile: [kM][kK] x [kK][kN]
constexpr double kLatencyNs = 40, kBytesPerNs = 32;       // system memory (record fetches)

struct Case {
  const char* name;
  uint32_t queues;
  const char* timing;
};

struct Outcome {
  bool finished = false;
  std::vector<float> result;
  uint64_t span_cycles = 0;  // from the BARRIER before the first GEMM to the last RUN_VEC's end
};

Scenario scenario(const Case& c) {
  Scenario s;
  s.array.rows = 4;
  s.array.cols = 8;
  s.array.compute_queues = c.queues;
  s.spad_input = {16, 8, 1};
  s.spad_param = {8, 8, 1};
  s.spad_output = {16, 8, 1};
  s.memory.size_mib = 4;
  s.memory.latency_ns = kLatencyNs;
  s.memory.bytes_per_ns = kBytesPerNs;
  s.run.timing = c.timing;
  s.run.check_protocol = true;
  return s;
}

std::vector<uint8_t> pack_stream(const std::vector<Record>& stream) {
  std::vector<uint8_t> bytes(stream.size() * kRecordBytes);
  for (size_t i = 0; i < stream.size(); ++i) pack(stream[i], &bytes[i * kRecordBytes]);
  return bytes;
}

// Record fetch: one burst of up to 8 records from system memory (latency + bytes / bandwidth).
uint64_t fetch_cycles(uint32_t records, uint64_t period_ps) {
  const double ns = kLatencyNs + records * double(kRecordBytes) / kBytesPerNs;
  return uint64_t(ns * 1000.0 + 0.5) / period_ps;
}

void pipeline_stream(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Case& cs, Outcome& out) {
  EpochCoreAccel& accel = soc.accel();
  const uint64_t period = accel.params().array.clock_period.value();
  Rng rng(7);
  std::vector<float> w(kK * kN), x(kTiles * kM * kK);
  for (float& v : w) v = float(rng.normal());
  for (float& v : x) v = float(rng.normal());
  hal.mem_write(kDataAddr, w.data(), w.size() * 4);
  hal.mem_write(kDataAddr + 0x1000, x.data(), x.size() * 4);
  std::vector<Record> st;
  DmaDesc d;
  d.sys_addr = kDataAddr;
  d.spad = SpadId::PARAM;
  d.row_bytes = kK * kN * 4;
  d.sys_stride = d.spad_stride = d.row_bytes;
  st.push_back(encode_dma(true, d));
  d.sys_addr = kDataAddr + 0x1000;
  d.spad = SpadId::INPUT;
  d.row_bytes = uint32_t(x.size() * 4);
  d.sys_stride = d.spad_stride = d.row_bytes;
  st.push_back(encode_dma(true, d));
  st.push_back(encode_barrier());
  const uint32_t first_compute = uint32_t(st.size());
  const uint32_t u_bytes = kM * kN * 4;
  std::vector<RunGemm> gemms;
  std::vector<RunVec> vecs;
  for (uint32_t k = 0; k < kTiles; ++k) {
    RunGemm g;  // into buffer k % 2 of the output scratchpad
    g.in_addr = k * kM * kK * 4;
    g.in_stride = kK * 4;
    g.out_addr = (k % 2) * u_bytes;
    g.out_stride = kN * 4;
    g.k = kK;
    g.n = kN;
    g.m = kM - 2 * (k % 3);  // tiles of different sizes
    RunVec v;  // GELU of the buffer into tile k's own result rows
    v.op = k % 2 ? VecOp::GELU : VecOp::SILU;
    v.a_spad = SpadId::OUTPUT;
    v.a_addr = g.out_addr;
    v.a_stride = kN;
    v.d_spad = SpadId::OUTPUT;
    v.d_addr = 2 * u_bytes + k * u_bytes;
    v.d_stride = kN;
    v.channels = uint16_t(g.m);
    v.length = kN;
    st.push_back(encode_run_gemm(g));
    st.push_back(encode_run_vec(v));
    gemms.push_back(g);
    vecs.push_back(v);
  }
  st.push_back(encode_barrier());
  DmaDesc o;
  o.sys_addr = kResultAddr;
  o.spad = SpadId::OUTPUT;
  o.spad_addr = 2 * u_bytes;
  o.row_bytes = kTiles * u_bytes;
  o.sys_stride = o.spad_stride = o.row_bytes;
  st.push_back(encode_dma(false, o));
  st.push_back(encode_end());

  const size_t log_first = accel.activity().entries.size();
  const std::vector<uint8_t> bytes = pack_stream(st);
  hal.mem_write(kStreamAddr, bytes.data(), bytes.size());
  fw::JobResult r;
  EC_CHECK_INFO(drv.run(kStreamAddr, uint32_t(bytes.size()), &r) == fw::DriverStatus::OK, cs.name);
  EC_CHECK(r.ok);
  out.result.resize(kTiles * u_bytes / 4);
  hal.mem_read(kResultAddr, out.result.data(), out.result.size() * 4);

  // The closed form: command i of the compute list (G_0 V_0 G_1 V_1 ...), ready one decode
  // cycle after the previous issue, plus a fetch when its record opens a burst of 8.
  const uint32_t count = uint32_t(st.size());
  std::vector<timing::QueuedCommand> q;
  const uint32_t spad_bytes[kNumSpads] = {16 * 1024, 8 * 1024, 16 * 1024};
  for (uint32_t k = 0; k < kTiles; ++k)
    for (int unit = 0; unit < 2; ++unit) {
      const uint32_t idx = first_compute + 2 * k + unit;
      timing::QueuedCommand c;
      c.array = unit == 0;
      c.cycles = c.array ? timing::gemm_fold_cycles(gemms[k].m, 4, 8)
                         : vec::vec_command_cost(vecs[k], accel.vector_unit().costs()).cycles;
      c.overhead = 1 + (idx % 8 == 0 ? fetch_cycles(std::min(8u, count - idx), period) : 0);
      // The hazard the scoreboard sees: against the other unit's latest command.
      const Footprint mine = footprint(st[idx], 0, 0, spad_bytes);
      if (idx > first_compute) c.hazard = footprints_conflict(mine, footprint(st[idx - 1], 0, 0, spad_bytes));
      q.push_back(c);
    }
  const timing::QueueSchedule want = timing::compute_queue_schedule(q, cs.queues == 2);
  // Each V_k reads G_k's buffer; G_{k+1} writes the other one: hazards as designed.
  for (uint32_t k = 0; k < kTiles; ++k) {
    EC_CHECK(q[2 * k + 1].hazard);
    if (k > 0) EC_CHECK(!q[2 * k].hazard);
  }

  const auto& e = accel.activity().entries;
  uint64_t t0 = 0;
  bool have_t0 = false;
  std::vector<Activity> compute;
  for (size_t i = log_first; i < e.size(); ++i) {
    if (e[i].unit == Activity::COMMAND_PROCESSOR && e[i].cmd_index == first_compute - 1) {
      t0 = e[i].end_ps;
      have_t0 = true;
    }
    if (e[i].unit == Activity::ARRAY || e[i].unit == Activity::VECTOR) compute.push_back(e[i]);
  }
  EC_CHECK(have_t0);
  EC_CHECK(compute.size() == q.size());
  std::sort(compute.begin(), compute.end(), [](const Activity& a, const Activity& b) { return a.cmd_index < b.cmd_index; });
  for (size_t i = 0; i < compute.size() && i < q.size(); ++i) {
    const std::string where = std::string(cs.name) + " command " + std::to_string(compute[i].cmd_index);
    EC_CHECK_INFO(compute[i].cmd_index == first_compute + i, where);
    EC_CHECK_INFO(compute[i].end_ps - compute[i].start_ps == q[i].cycles * period,
                  where + ": " + std::to_string((compute[i].end_ps - compute[i].start_ps) / period) + " cycles, want " +
                      std::to_string(q[i].cycles));
    EC_CHECK_INFO(compute[i].start_ps == t0 + want.start[i] * period,
                  where + ": starts at " + std::to_string((compute[i].start_ps - t0) / period) + ", want " +
                      std::to_string(want.start[i]));
  }
  // The BARRIER after the compute ends when the last command does.
  for (size_t i = log_first; i < e.size(); ++i)
    if (e[i].unit == Activity::COMMAND_PROCESSOR && e[i].cmd_index == first_compute + 2 * kTiles)
      EC_CHECK_INFO(e[i].end_ps == t0 + want.last_end * period, cs.name);
  out.span_cycles = want.last_end - want.start[0];
  // The two-stage pipeline formula with each command's overhead (decode, and the fetches
  // of records 8 and 16): the simulated span exactly.
  std::vector<uint64_t> g, v, og, ov;
  for (uint32_t k = 0; k < kTiles; ++k) {
    g.push_back(q[2 * k].cycles);
    v.push_back(q[2 * k + 1].cycles);
    og.push_back(q[2 * k].overhead);
    ov.push_back(q[2 * k + 1].overhead);
  }
  const uint64_t formula = timing::two_stage_pipeline_cycles(g, v, og, ov, cs.queues == 2);
  uint64_t sim_span = 0;
  if (!compute.empty()) sim_span = (compute.back().end_ps - compute.front().start_ps) / period;
  EC_CHECK_INFO(sim_span == formula, std::string(cs.name) + ": simulated " + std::to_string(sim_span) +
                                         " cycles, formula " + std::to_string(formula));
  const CommandProcessorStats& cp = accel.command_processor().stats();
  if (cs.queues == 2) EC_CHECK(cp.scoreboard_checks >= 2 * kTiles);
  else EC_CHECK(cp.scoreboard_checks == 0);
}

// Two queues: a BAD_TOKEN of an EMBED issued while a long GEMM runs stops the stream at the
// EMBED's index, ahead of a later invalid record; the GEMM still finishes before the status.
void error_stream(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Case& cs) {
  (void)soc;
  std::vector<float> ids(4, vec::word_of_token_id(99));  // outside a vocabulary of 5
  hal.mem_write(kDataAddr + 0x8000, ids.data(), 16);
  DmaDesc d;
  d.sys_addr = kDataAddr + 0x8000;
  d.spad = SpadId::INPUT;
  d.spad_addr = 0x3000;
  d.row_bytes = 16;
  d.sys_stride = d.spad_stride = 16;
  RunGemm g;
  g.in_addr = 0;
  g.in_stride = kK * 4;
  g.out_addr = 0;
  g.out_stride = kN * 4;
  g.k = kK;
  g.n = kN;
  g.m = 200;
  RunVec embed;
  embed.op = VecOp::EMBED;
  embed.a_spad = SpadId::INPUT;
  embed.a_addr = 0x3000;
  embed.b_spad = SpadId::PARAM;
  embed.b_addr = 0x1000;
  embed.b_stride = 5;
  embed.d_spad = SpadId::OUTPUT;
  embed.d_addr = 0x3000;
  embed.d_stride = 4;
  embed.channels = 2;
  embed.length = 4;
  Record bad = encode_nop();
  bad.w[0] = 0xEE;  // no such opcode
  const std::vector<Record> st = {encode_dma(true, d), encode_barrier(), encode_run_gemm(g),
                                  encode_run_vec(embed), encode_nop(), bad, encode_end()};
  const std::vector<uint8_t> bytes = pack_stream(st);
  hal.mem_write(kStreamAddr, bytes.data(), bytes.size());
  fw::JobResult r;
  EC_CHECK(drv.run(kStreamAddr, uint32_t(bytes.size()), &r) == fw::DriverStatus::JOB_ERROR);
  EC_CHECK_INFO(r.cause == ErrorCause::BAD_TOKEN, std::string(cs.name) + ": " + regs::error_cause_name(r.cause));
  EC_CHECK_INFO(r.cmd_index == 3, std::string(cs.name) + ": index " + std::to_string(r.cmd_index));
  EC_CHECK(soc.accel().array().idle() && soc.accel().vector_unit().idle());
}

void program(Soc& soc, fw::Hal& hal, const Case& cs, Outcome& out) {
  fw::Driver drv(hal);
  fw::AccelInfo info;
  EC_CHECK(drv.probe(&info) == fw::DriverStatus::OK);
  EC_CHECK_INFO(info.compute_queues == (cs.queues == 2), cs.name);
  pipeline_stream(soc, hal, drv, cs, out);
  error_stream(soc, hal, drv, cs);
  out.finished = true;
}

}  // namespace

int sc_main(int, char**) {
  return ec_test::run_testbench("test_compute_queues", [] {
    const Case cases[] = {{"one queue, cycle", 1, "cycle"},
                          {"one queue, fast", 1, "fast"},
                          {"two queues, cycle", 2, "cycle"},
                          {"two queues, fast", 2, "fast"}};
    // A bad queue count is refused at construction, naming the field.
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);
    {
      AccelParams p;
      p.compute_queues = 3;
      std::string msg;
      try {
        EpochCoreAccel accel("bad_accel", p);
      } catch (const std::exception& e) {
        msg = e.what();
      }
      EC_CHECK_INFO(msg.find("compute_queues") != std::string::npos, msg);
    }
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
    constexpr int kCases = 4;
    std::unique_ptr<Soc> socs[kCases];
    Outcome outcomes[kCases];
    int running = kCases;
    for (int i = 0; i < kCases; ++i) {
      socs[i].reset(new Soc(("soc" + std::to_string(i)).c_str(), scenario(cases[i])));
      Soc& soc = *socs[i];
      soc.host().program = [&, i](fw::Hal& hal) { program(soc, hal, cases[i], outcomes[i]); };
      soc.host().on_exit = [&running] {
        if (--running == 0) sc_core::sc_stop();
      };
    }
    try {
      sc_core::sc_start();
    } catch (const std::exception& e) {
      std::printf("exception: %s\n", e.what());
      ec_test::g_failed++;
    }
    for (int i = 0; i < kCases; ++i) EC_CHECK_INFO(outcomes[i].finished, cases[i].name);
    for (int i = 0; i < kCases; ++i) ec_test::check_soc_protocol(*socs[i]);
    // The same output bytes in all four; cycle and fast timing the same compute span.
    for (int i = 1; i < kCases; ++i)
      EC_CHECK_INFO(!outcomes[0].result.empty() && outcomes[i].result.size() == outcomes[0].result.size() &&
                        std::memcmp(outcomes[i].result.data(), outcomes[0].result.data(),
                                    outcomes[0].result.size() * 4) == 0,
                    cases[i].name);
    EC_CHECK(outcomes[0].span_cycles == outcomes[1].span_cycles);
    EC_CHECK(outcomes[2].span_cycles == outcomes[3].span_cycles);
    EC_CHECK_INFO(outcomes[2].span_cycles < outcomes[0].span_cycles,
                  std::to_string(outcomes[2].span_cycles) + " vs " + std::to_string(outcomes[0].span_cycles));
  });
}
