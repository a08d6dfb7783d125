// Testbench: the cycle-accurate LIMA-PE array against the closed-form ProDF timing and a
// plain C++ replica of the PE arithmetic. Streams are built by hand (no firmware planning)
// so that odd shapes, strides, bank conflicts, accumulation and state carry-over are hit.
// usage: test_array_timing ROWS COLS SEGMENTS(0|1) IN_BANKS OUT_BANKS PARAM_BANKS PORTS [fast]
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/contract/commands.h"
#include "epochcore/maths/pe/lima_pe_math.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/platform/soc/soc.h"
#include "sc_harness.h"

using namespace epochcore;
using namespace epochcore::cmd;

namespace {

constexpr uint64_t kStream = 0x10000, kCoeffs = 0x20000, kInput = 0x100000, kOutput = 0x200000,
                   kResult = 0x300000;

struct Case {
  uint32_t n_seg, seg_len, length;
  uint32_t in_stride_words, out_stride_words;  // >= length
  uint32_t in_offset_words, out_offset_words;
  bool accumulate;
  uint32_t runs;  // consecutive RUN_SSM commands over successive chunks, state carried
  bool reverse = false;
  // Per-segment direction: the last n_rev segments reversed, rev_length steps (0: length),
  // inputs rev_in_offset_words further into their rows.
  uint32_t n_rev = 0, rev_length = 0, rev_in_offset_words = 0;
};

struct Config {
  uint32_t rows, cols, in_banks, out_banks, param_banks, ports;
  bool segments;
  bool fast;
};

void put_stream(fw::Hal& hal, const std::vector<Record>& s) {
  std::vector<uint8_t> b(s.size() * kRecordBytes);
  for (size_t i = 0; i < s.size(); ++i) pack(s[i], &b[i * kRecordBytes]);
  hal.mem_write(kStream, b.data(), b.size());
}

DmaDesc dma(SpadId spad, uint64_t sys, uint32_t spad_addr, uint32_t bytes) {
  DmaDesc d;
  d.sys_addr = sys;
  d.spad = spad;
  d.spad_addr = spad_addr;
  d.row_bytes = bytes;
  d.rows = 1;
  return d;
}

void run_case(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Config& cfg, const Case& c, Rng& rng) {
  const std::string name = "case n_seg=" + std::to_string(c.n_seg) + " seg_len=" + std::to_string(c.seg_len) +
                           " L=" + std::to_string(c.length) + " runs=" + std::to_string(c.runs) +
                           (c.accumulate ? " acc" : "") + (c.reverse ? " reverse" : "") +
                           (c.n_rev ? " n_rev=" + std::to_string(c.n_rev) + " R=" + std::to_string(c.rev_length) : "");
  // Coefficients with |a| < 1, inputs and initial outputs.
  std::vector<CoeffRecord> rec(size_t(c.n_seg) * c.seg_len);
  for (auto& r : rec) {
    const double mag = 0.5 + 0.49 * rng.uniform(), ph = 6.283 * rng.uniform();
    r = {float(mag * std::cos(ph)), float(mag * std::sin(ph)), float(rng.normal()), float(rng.normal()),
         float(rng.normal()), float(rng.normal()), float(rng.normal()), 0.0f};
  }
  const uint32_t total = c.length * c.runs;
  const uint32_t in_words = c.in_offset_words + c.n_seg * c.in_stride_words * c.runs + c.rev_in_offset_words;
  const uint32_t out_words = c.out_offset_words + c.n_seg * c.out_stride_words * c.runs;
  std::vector<float> in(in_words), out0(out_words);
  for (auto& v : in) v = float(rng.normal());
  for (auto& v : out0) v = float(rng.normal());
  hal.mem_write(kCoeffs, rec.data(), rec.size() * 32);
  hal.mem_write(kInput, in.data(), in.size() * 4);
  hal.mem_write(kOutput, out0.data(), out0.size() * 4);

  // Each run r uses its own region: segment s at offset + (r*n_seg + s)*stride.
  std::vector<Record> s = {encode_dma(true, dma(SpadId::PARAM, kCoeffs, 0, uint32_t(rec.size() * 32))),
                           encode_dma(true, dma(SpadId::INPUT, kInput, 0, in_words * 4)),
                           encode_dma(true, dma(SpadId::OUTPUT, kOutput, 0, out_words * 4)),
                           encode_barrier(), encode_load_coeffs({0, c.n_seg, c.seg_len, c.n_rev})};
  for (uint32_t r = 0; r < c.runs; ++r) {
    RunSsm run;
    run.flags = (c.accumulate ? FLAG_ACCUMULATE : 0) | (r == 0 ? FLAG_RESET_STATE : 0) |
                (c.reverse ? FLAG_REVERSE : 0);
    run.in_addr = 4 * (c.in_offset_words + r * c.n_seg * c.in_stride_words);
    run.in_stride = 4 * c.in_stride_words;
    run.out_addr = 4 * (c.out_offset_words + r * c.n_seg * c.out_stride_words);
    run.out_stride = 4 * c.out_stride_words;
    run.length = c.length;
    run.rev_length = c.rev_length;
    run.rev_in_offset = 4 * c.rev_in_offset_words;
    s.push_back(encode_run_ssm(run));
  }
  s.push_back(encode_barrier());
  s.push_back(encode_dma(false, dma(SpadId::OUTPUT, kResult, 0, out_words * 4)));
  s.push_back(encode_end());
  put_stream(hal, s);

  const ArrayStats before = soc.accel().array().stats();
  fw::JobResult jr;
  EC_CHECK_INFO(drv.run(kStream, uint32_t(s.size() * kRecordBytes), &jr) == fw::DriverStatus::OK && jr.ok,
                name + " cause " + regs::error_cause_name(jr.cause));
  const ArrayStats after = soc.accel().array().stats();

  // Closed form.
  timing::SsmPassShape shape;
  shape.rows = cfg.rows;
  shape.cols = cfg.cols;
  shape.segments = cfg.segments;
  shape.n_seg = c.n_seg;
  shape.seg_len = c.seg_len;
  shape.length = c.length;
  shape.in_stride = 4 * c.in_stride_words;
  shape.out_stride = 4 * c.out_stride_words;
  shape.accumulate = c.accumulate;
  shape.reverse = c.reverse;
  shape.n_rev = c.n_rev;
  shape.rev_length = c.rev_length;
  shape.rev_in_offset = 4 * c.rev_in_offset_words;
  const timing::FeedGeometry gin{cfg.in_banks, cfg.ports}, gout{cfg.out_banks, cfg.ports},
      gparam{cfg.param_banks, cfg.ports};
  uint64_t cycles = 0, stall_in = 0, stall_out = 0, beats = 0, active = 0;
  for (uint32_t r = 0; r < c.runs; ++r) {
    shape.in_addr = 4 * (c.in_offset_words + r * c.n_seg * c.in_stride_words);
    shape.out_addr = 4 * (c.out_offset_words + r * c.n_seg * c.out_stride_words);
    const timing::SsmPassTiming t = timing::ssm_pass(shape, gin, gout);
    cycles += t.cycles;
    stall_in += t.stall_input;
    stall_out += t.stall_output;
    beats += t.beats;
    active += t.active_pe_cycles;
  }
  EC_CHECK_INFO(after.pass_cycles - before.pass_cycles == cycles,
                name + ": model " + std::to_string(after.pass_cycles - before.pass_cycles) + " closed form " +
                    std::to_string(cycles));
  EC_CHECK_INFO(after.stall_input_cycles - before.stall_input_cycles == stall_in, name);
  EC_CHECK_INFO(after.stall_output_cycles - before.stall_output_cycles == stall_out, name);
  EC_CHECK_INFO(after.pass_beats - before.pass_beats == beats, name);
  EC_CHECK_INFO(after.active_pe_cycles - before.active_pe_cycles == active, name);
  EC_CHECK_INFO(after.load_cycles - before.load_cycles ==
                    timing::load_coeffs_cycles(c.n_seg, c.seg_len, cfg.cols, gparam),
                name);

  // Bit-exact replica: the psum runs through the segment's PEs in order.
  std::vector<float> got(out_words);
  hal.mem_read(kResult, got.data(), got.size() * 4);
  std::vector<float> want = out0;
  // Per run, step by step and segment by segment (the order outputs reach the scratchpad):
  // the first output of a run to a word writes it, later ones add (docs/commands.md).
  std::vector<std::vector<LimaPeCore>> pes(c.n_seg, std::vector<LimaPeCore>(c.seg_len));
  for (uint32_t sgi = 0; sgi < c.n_seg; ++sgi)
    for (uint32_t m = 0; m < c.seg_len; ++m) pes[sgi][m].load(rec[size_t(sgi) * c.seg_len + m]);
  const uint32_t n_fwd = c.n_seg - c.n_rev, R = c.rev_length ? c.rev_length : c.length;
  (void)total;
  for (uint32_t r = 0; r < c.runs; ++r) {
    std::vector<bool> touched(want.size(), false);
    for (uint32_t k = 0; k < c.length; ++k)
      for (uint32_t sgi = 0; sgi < c.n_seg; ++sgi) {
        const bool rev = sgi >= n_fwd;
        const uint32_t len = rev ? R : c.length, row = rev ? sgi - n_fwd : sgi;
        if (k >= len) continue;
        const uint32_t e = (c.reverse != rev) ? len - 1 - k : k;
        const float u = in[c.in_offset_words + (r * c.n_seg + row) * c.in_stride_words +
                           (rev ? c.rev_in_offset_words : 0) + e];
        float psum = 0.0f;
        for (auto& pe : pes[sgi]) psum = pe.lima(u, psum);
        const size_t w = c.out_offset_words + (r * c.n_seg + row) * c.out_stride_words + e;
        want[w] = c.accumulate || touched[w] ? want[w] + psum : psum;
        touched[w] = true;
      }
  }
  EC_CHECK_INFO(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, name + ": outputs differ");
}

}  // namespace

int sc_main(int argc, char** argv) {
  if (argc != 8 && !(argc == 9 && std::string(argv[8]) == "fast")) {
    std::printf("usage: %s ROWS COLS SEGMENTS IN_BANKS OUT_BANKS PARAM_BANKS PORTS [fast]\n", argv[0]);
    return 2;
  }
  Config cfg{uint32_t(std::atoi(argv[1])), uint32_t(std::atoi(argv[2])), uint32_t(std::atoi(argv[4])),
             uint32_t(std::atoi(argv[5])), uint32_t(std::atoi(argv[6])), uint32_t(std::atoi(argv[7])),
             std::atoi(argv[3]) != 0, argc == 9};
  Scenario sc;
  sc.array.rows = cfg.rows;
  sc.array.cols = cfg.cols;
  sc.array.segments = cfg.segments;
  sc.array.segment_direction = true;  // no effect on the cases without reversed segments
  sc.run.timing = cfg.fast ? "fast" : "cycle";
  sc.spad_input = {256, cfg.in_banks, cfg.ports};
  sc.spad_param = {64, cfg.param_banks, cfg.ports};
  sc.spad_output = {256, cfg.out_banks, cfg.ports};
  sc.memory.size_mib = 8;
  sc.run.check_protocol = true;
  return ec_test::run_testbench("test_array_timing", [&] {
    Soc soc("soc", sc);
    soc.host().program = [&](fw::Hal& hal) {
      fw::Driver drv(hal);
      fw::AccelInfo info;
      EC_CHECK(drv.probe(&info) == fw::DriverStatus::OK);
      Rng rng(42);
      const uint32_t R = cfg.rows, C = cfg.cols;
      auto max_segs = [&](uint32_t seg_len) { return R * (cfg.segments ? C / seg_len : 1); };
      std::vector<Case> cases = {
          {1, 1, 1, 1, 1, 0, 0, false, 1},                           // the smallest pass
          {max_segs(1), 1, 50, 50, 50, 0, 0, false, 1},              // every PE its own segment
          {max_segs(2), 2, 64, 65, 67, 0, 0, false, 1},              // odd strides
          {max_segs(3), 3, 37, 37, 40, 1, 3, true, 1},               // accumulate, offsets
          {std::min(3u, max_segs(C)), C, 40, 41, 41, 0, 0, false, 2},  // whole rows, state carried over 2 runs
          {max_segs(C), C, 5, 5, 5, 0, 0, true, 3},                  // L shorter than the pipeline
          {std::min(5u, max_segs(2)), 2, 33, 64, 64, 0, 0, false, 1},  // strides that conflict in banks
          {max_segs(C / 2 ? C / 2 : 1), C / 2 ? C / 2 : 1, 100, 100, 101, 0, 0, false, 1},
          {max_segs(2), 2, 30, 31, 33, 2, 1, true, 2, true},        // backwards, two chunks, accumulate
          {std::min(3u, max_segs(C)), C, 7, 7, 9, 0, 0, false, 1, true},
          // Per-segment direction: forward and reversed halves sharing rows, as the S4D
          // kernel runs them (R = L-1, inputs one word on) ...
          {2 * (max_segs(2) / 2), 2, 30, 31, 33, 0, 0, false, 1, false, max_segs(2) / 2, 29, 1},
          // ... accumulating over two chunks with carried state, offsets
          {2 * (max_segs(3) / 2), 3, 37, 38, 40, 1, 3, true, 2, false, max_segs(3) / 2, 36, 1},
          // more reversed than forward segments (rows without a partner), FLAG_REVERSE
          {std::min(5u, max_segs(2)), 2, 20, 21, 21, 0, 0, false, 1, true, std::min(5u, max_segs(2)) / 2 + 1, 0, 0},
          // bank conflicts (strides a multiple of the banks), equal lengths, odd L
          {std::min(6u, max_segs(2)), 2, 33, 64, 64, 0, 0, false, 1, false, std::min(6u, max_segs(2)) / 2, 0, 2},
          // L shorter than the pipeline, whole rows
          {std::min(4u, max_segs(C)), C, 5, 5, 6, 0, 0, true, 1, false, std::min(4u, max_segs(C)) / 2, 4, 1},
          // every segment reversed
          {std::min(4u, max_segs(1)), 1, 9, 9, 9, 0, 0, false, 1, false, std::min(4u, max_segs(1)), 7, 2},
      };
      for (const Case& c : cases) run_case(soc, hal, drv, cfg, c, rng);
    };
    soc.host().on_exit = [] { sc_core::sc_stop(); };
    sc_core::sc_start();
    ec_test::check_soc_protocol(soc);
  });
}
