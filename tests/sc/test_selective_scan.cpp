// Testbench: RUN_SCAN (the selective / Mamba S6 scan, docs/selective-scan.md) on the
// LIMA-PE array, against
//  - a plain C++ replica of the PE arithmetic (LimaPeCore::scan, the partial sum through
//    the segment's PEs in order): bit for bit, in cycle and in fast mode, so the two modes
//    give the same bytes;
//  - the closed-form timing (timing::scan_pass): cycles, stalls by cause, beats, active
//    PE-cycles and the coefficient words of the north feed, counted by the cycle-stepped
//    array from the actual addresses (fast mode annotates the closed form: equal cycles);
//  - the double-precision selective scan (maths/reference/mamba_reference.h) within a
//    float tolerance;
//  - bad records: the error cause and the command index.
// usage: test_selective_scan ROWS COLS SEGMENTS IN_BANKS OUT_BANKS PARAM_BANKS PORTS MODE
//   MODE: cycle, fast, or plain (an accelerator without the SELECTIVE option: RUN_SCAN must
//   be refused with BAD_FIELD and the command index).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/contract/commands.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/maths/pe/lima_pe_math.h"
#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/timing/prodf_timing.h"
#include "epochcore/platform/soc/soc.h"
#include "sc_harness.h"

using namespace epochcore;
using namespace epochcore::cmd;

namespace {

constexpr uint64_t kStream = 0x10000, kCoeffs = 0x20000, kCoefStream = 0x40000, kInput = 0x100000,
                   kOutput = 0x200000, kResult = 0x300000;

struct Case {
  uint32_t n_seg, seg_len, length;
  uint32_t in_stride_words, out_stride_words;  // >= length
  uint32_t dt_offset_words;                    // Delta rows after the u rows
  uint32_t coef_stride_words;                  // >= 2*seg_len
  bool coef_in_input;
  bool accumulate;
  uint32_t runs;  // consecutive RUN_SCANs over successive chunks, state carried
};

struct Config {
  uint32_t rows, cols, in_banks, out_banks, param_banks, ports;
  bool segments;
  std::string mode;
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

double g_worst_rel = 0.0;  // worst error against the double reference, over the cases

void run_case(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Config& cfg, const Case& c, Rng& rng) {
  const std::string name = "case n_seg=" + std::to_string(c.n_seg) + " seg_len=" + std::to_string(c.seg_len) +
                           " L=" + std::to_string(c.length) + " runs=" + std::to_string(c.runs) +
                           (c.accumulate ? " acc" : "") + (c.coef_in_input ? " coef:input" : " coef:param");
  const uint32_t S = c.seg_len, total = c.length * c.runs;
  // A[d][n] < 0 (S4D-real init -(n+1), jittered), D, u, Delta in [1e-3, 0.1] (dt_min..dt_max
  // of Mamba's init, after softplus), B and C per step.
  std::vector<CoeffRecord> rec(size_t(c.n_seg) * S);
  std::vector<double> A(rec.size()), Dd(c.n_seg);
  for (uint32_t s = 0; s < c.n_seg; ++s) {
    Dd[s] = float(rng.normal());
    for (uint32_t n = 0; n < S; ++n) {
      const float a = -float((n + 1) * (0.5 + rng.uniform()));
      A[size_t(s) * S + n] = a;
      rec[size_t(s) * S + n] = {a, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, n == 0 ? float(Dd[s]) : 0.0f, 0.0f};
    }
  }
  // Input scratchpad: u rows of all runs, then Delta rows at dt_offset, then (coef_in_input)
  // the coefficient blocks. Run r, segment s: row r*n_seg + s.
  const uint32_t rows_total = c.n_seg * c.runs;
  const uint32_t u_words = rows_total * c.in_stride_words;
  const uint32_t dt_base = u_words + c.dt_offset_words;
  const uint32_t coef_words = total * c.coef_stride_words;
  const uint32_t coef_base_in = dt_base + u_words + 3;  // odd offset: another bank pattern
  const uint32_t in_words = coef_base_in + (c.coef_in_input ? coef_words : 0);
  const uint32_t coef_base_param = uint32_t(rec.size()) * 8 + 5;
  const uint32_t out_words = rows_total * c.out_stride_words;
  std::vector<float> in(in_words), coefs(coef_words), out0(out_words);
  for (auto& v : in) v = float(rng.normal());
  for (uint32_t i = 0; i < rows_total; ++i)
    for (uint32_t k = 0; k < c.length; ++k)
      in[dt_base + i * c.in_stride_words + k] = float(std::exp(std::log(1e-3) + rng.uniform() * std::log(100.0)));
  for (auto& v : coefs) v = float(rng.normal());
  for (auto& v : out0) v = float(rng.normal());
  if (c.coef_in_input) std::copy(coefs.begin(), coefs.end(), in.begin() + coef_base_in);
  hal.mem_write(kCoeffs, rec.data(), rec.size() * 32);
  hal.mem_write(kCoefStream, coefs.data(), coefs.size() * 4);
  hal.mem_write(kInput, in.data(), in.size() * 4);
  hal.mem_write(kOutput, out0.data(), out0.size() * 4);

  std::vector<Record> s = {encode_dma(true, dma(SpadId::PARAM, kCoeffs, 0, uint32_t(rec.size() * 32))),
                           encode_dma(true, dma(SpadId::INPUT, kInput, 0, in_words * 4)),
                           encode_dma(true, dma(SpadId::OUTPUT, kOutput, 0, out_words * 4))};
  if (!c.coef_in_input) s.push_back(encode_dma(true, dma(SpadId::PARAM, kCoefStream, 4 * coef_base_param, coef_words * 4)));
  s.push_back(encode_barrier());
  s.push_back(encode_load_coeffs({0, c.n_seg, S}));
  std::vector<RunScan> runs;
  for (uint32_t r = 0; r < c.runs; ++r) {
    RunScan run;
    run.flags = (c.accumulate ? FLAG_ACCUMULATE : 0) | (r == 0 ? FLAG_RESET_STATE : 0);
    run.coef_spad = c.coef_in_input ? SpadId::INPUT : SpadId::PARAM;
    run.u_addr = 4 * (r * c.n_seg * c.in_stride_words);
    run.dt_addr = 4 * (dt_base + r * c.n_seg * c.in_stride_words);
    run.in_stride = uint16_t(c.in_stride_words);
    run.out_addr = 4 * (r * c.n_seg * c.out_stride_words);
    run.out_stride = uint16_t(c.out_stride_words);
    run.coef_addr = 4 * ((c.coef_in_input ? coef_base_in : coef_base_param) + r * c.length * c.coef_stride_words);
    run.coef_stride = 4 * c.coef_stride_words;
    run.length = c.length;
    runs.push_back(run);
    s.push_back(encode_run_scan(run));
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

  // Closed form, run by run.
  const timing::FeedGeometry gin{cfg.in_banks, cfg.ports}, gout{cfg.out_banks, cfg.ports},
      gparam{cfg.param_banks, cfg.ports};
  uint64_t cycles = 0, stall_in = 0, stall_coef = 0, stall_out = 0, beats = 0, active = 0, words = 0;
  for (const RunScan& run : runs) {
    const timing::ScanPassTiming t = timing::scan_pass(
        timing::scan_pass_shape(run, cfg.rows, cfg.cols, cfg.segments, c.n_seg, S), gin, gparam, gout);
    cycles += t.cycles;
    stall_in += t.stall_input;
    stall_coef += t.stall_coeff;
    stall_out += t.stall_output;
    beats += t.beats;
    active += t.active_pe_cycles;
    words += t.coeff_words;
  }
  const uint64_t model_cycles = after.scan_cycles - before.scan_cycles;
  EC_CHECK_INFO(model_cycles == cycles,
                name + ": model " + std::to_string(model_cycles) + " closed form " + std::to_string(cycles));
  EC_CHECK_INFO(after.stall_input_cycles - before.stall_input_cycles == stall_in, name);
  EC_CHECK_INFO(after.stall_coeff_cycles - before.stall_coeff_cycles == stall_coef, name);
  EC_CHECK_INFO(after.stall_output_cycles - before.stall_output_cycles == stall_out, name);
  EC_CHECK_INFO(after.pass_beats - before.pass_beats == beats, name);
  EC_CHECK_INFO(after.active_pe_cycles - before.active_pe_cycles == active, name);
  EC_CHECK_INFO(after.scan_pe_cycles - before.scan_pe_cycles == uint64_t(c.n_seg) * S * total, name);
  // The north feed: B and C of every column position once per step, not per segment.
  EC_CHECK_INFO(after.coeff_words - before.coeff_words == 2ull * S * total, name);
  EC_CHECK_INFO(words == 2ull * S * total, name);
  EC_CHECK_INFO(after.scan_passes - before.scan_passes == c.runs, name);
  // PE power states: a RUN_SCAN clocks every segment's PEs (and, without segments, the PEs
  // to the row's east edge) for all its cycles, as RUN_SSM; the load clocks its records' PEs.
  const uint64_t span = cfg.segments ? S : cfg.cols;
  const uint64_t loads = after.loads - before.loads;
  EC_CHECK_INFO(after.awake_pe_cycles - before.awake_pe_cycles ==
                    uint64_t(c.n_seg) * S * (after.load_cycles - before.load_cycles) + uint64_t(c.n_seg) * span * cycles,
                name);
  EC_CHECK_INFO(after.pe_wakes - before.pe_wakes == loads * c.n_seg * S + uint64_t(c.runs) * c.n_seg * span, name);
  EC_CHECK_INFO(after.awake_pe_cycles - before.awake_pe_cycles >= after.active_pe_cycles - before.active_pe_cycles, name);
  std::printf("%s: %llu cycles (%llu beats; stalls input %llu, coefficient feed %llu, output %llu)\n",
              name.c_str(), (unsigned long long)model_cycles, (unsigned long long)beats,
              (unsigned long long)stall_in, (unsigned long long)stall_coef, (unsigned long long)stall_out);

  // Bit-exact replica.
  std::vector<float> got(out_words);
  hal.mem_read(kResult, got.data(), got.size() * 4);
  std::vector<float> want = out0;
  for (uint32_t sg = 0; sg < c.n_seg; ++sg) {
    std::vector<LimaPeCore> pes(S);
    for (uint32_t m = 0; m < S; ++m) pes[m].load(rec[size_t(sg) * S + m]);
    for (uint32_t k = 0; k < total; ++k) {
      const uint32_t r = k / c.length, kk = k % c.length, row = r * c.n_seg + sg;
      const float u = in[row * c.in_stride_words + kk], dt = in[dt_base + row * c.in_stride_words + kk];
      const float* blk = &coefs[size_t(k) * c.coef_stride_words];
      float psum = 0.0f;
      for (uint32_t m = 0; m < S; ++m) psum = pes[m].scan(u, dt, blk[m], blk[S + m], psum);
      float& y = want[row * c.out_stride_words + kk];
      y = c.accumulate ? y + psum : psum;
    }
  }
  EC_CHECK_INFO(std::memcmp(got.data(), want.data(), got.size() * 4) == 0, name + ": outputs differ");

  // Double-precision selective scan over the whole sequence (all runs), channel = segment.
  if (!c.accumulate) {
    std::vector<double> u(size_t(c.n_seg) * total), dt(u.size()), B(size_t(S) * total), C(B.size());
    for (uint32_t sg = 0; sg < c.n_seg; ++sg)
      for (uint32_t k = 0; k < total; ++k) {
        const uint32_t row = (k / c.length) * c.n_seg + sg;
        u[size_t(sg) * total + k] = in[row * c.in_stride_words + k % c.length];
        dt[size_t(sg) * total + k] = in[dt_base + row * c.in_stride_words + k % c.length];
      }
    for (uint32_t k = 0; k < total; ++k)
      for (uint32_t n = 0; n < S; ++n) {
        B[size_t(n) * total + k] = coefs[size_t(k) * c.coef_stride_words + n];
        C[size_t(n) * total + k] = coefs[size_t(k) * c.coef_stride_words + S + n];
      }
    const std::vector<double> ref = selective_scan(c.n_seg, S, total, u.data(), dt.data(), A.data(), B.data(),
                                                   C.data(), Dd.data(), nullptr, nullptr, false);
    double worst = 0.0;
    for (uint32_t sg = 0; sg < c.n_seg; ++sg) {
      double scale = 0.0;
      for (uint32_t k = 0; k < total; ++k) scale = std::max(scale, std::abs(ref[size_t(sg) * total + k]));
      for (uint32_t k = 0; k < total; ++k) {
        const uint32_t row = (k / c.length) * c.n_seg + sg;
        const double e = std::abs(double(got[row * c.out_stride_words + k % c.length]) - ref[size_t(sg) * total + k]);
        worst = std::max(worst, e / scale);
      }
    }
    g_worst_rel = std::max(g_worst_rel, worst);
    EC_CHECK_INFO(worst < 1e-5, name + ": error vs double reference " + std::to_string(worst));
  }
}

// A bad RUN_SCAN as record 3 of a stream: the error cause and the command index.
void bad_record(fw::Hal& hal, fw::Driver& drv, const RunScan& run, regs::ErrorCause want, const std::string& what) {
  std::vector<CoeffRecord> rec(4, CoeffRecord{-1.0f, 0, 0, 0, 0, 0, 0, 0});
  hal.mem_write(kCoeffs, rec.data(), rec.size() * 32);
  const std::vector<Record> s = {encode_dma(true, dma(SpadId::PARAM, kCoeffs, 0, 128)), encode_barrier(),
                                 encode_load_coeffs({0, 2, 2}), encode_run_scan(run), encode_end()};
  put_stream(hal, s);
  fw::JobResult jr;
  drv.run(kStream, uint32_t(s.size() * kRecordBytes), &jr);
  EC_CHECK_INFO(!jr.ok && jr.cause == want && jr.cmd_index == 3,
                what + ": cause " + regs::error_cause_name(jr.cause) + " index " + std::to_string(jr.cmd_index));
}

RunScan good_run() {
  RunScan r;
  r.flags = FLAG_RESET_STATE;
  r.coef_spad = SpadId::PARAM;
  r.u_addr = 0;
  r.dt_addr = 4096;
  r.in_stride = 64;
  r.out_stride = 64;
  r.coef_addr = 1024;
  r.coef_stride = 16;
  r.length = 64;
  return r;
}

}  // namespace

int sc_main(int argc, char** argv) {
  if (argc != 9) {
    std::printf("usage: %s ROWS COLS SEGMENTS IN_BANKS OUT_BANKS PARAM_BANKS PORTS cycle|fast|plain\n", argv[0]);
    return 2;
  }
  Config cfg{uint32_t(std::atoi(argv[1])), uint32_t(std::atoi(argv[2])), uint32_t(std::atoi(argv[4])),
             uint32_t(std::atoi(argv[5])), uint32_t(std::atoi(argv[6])), uint32_t(std::atoi(argv[7])),
             std::atoi(argv[3]) != 0, argv[8]};
  Scenario sc;
  sc.array.rows = cfg.rows;
  sc.array.cols = cfg.cols;
  sc.array.segments = cfg.segments;
  sc.array.selective = cfg.mode != "plain";
  sc.run.timing = cfg.mode == "fast" ? "fast" : "cycle";
  sc.spad_input = {256, cfg.in_banks, cfg.ports};
  sc.spad_param = {256, cfg.param_banks, cfg.ports};
  sc.spad_output = {256, cfg.out_banks, cfg.ports};
  sc.memory.size_mib = 8;
  sc.run.check_protocol = true;
  return ec_test::run_testbench("test_selective_scan", [&] {
    Soc soc("soc", sc);
    soc.host().program = [&](fw::Hal& hal) {
      fw::Driver drv(hal);
      fw::AccelInfo info;
      EC_CHECK(drv.probe(&info) == fw::DriverStatus::OK);
      if (cfg.mode == "plain") {
        EC_CHECK(!info.selective);
        bad_record(hal, drv, good_run(), regs::ErrorCause::BAD_FIELD, "RUN_SCAN without SELECTIVE");
        return;
      }
      EC_CHECK(info.selective);
      Rng rng(7);
      const uint32_t R = cfg.rows, C = cfg.cols;
      auto max_segs = [&](uint32_t seg_len) { return R * (cfg.segments ? C / seg_len : 1); };
      const uint32_t half = C / 2 ? C / 2 : 1;
      std::vector<Case> cases = {
          {1, 1, 1, 1, 1, 0, 2, false, false, 1},                                // the smallest pass
          {max_segs(half), half, 64, 64, 65, 1, 2 * half, false, false, 1},       // coefficient blocks packed
          {max_segs(half), half, 64, 65, 64, 0, 2 * half + 3, true, false, 1},    // coefficients in the input spad
          {std::min(3u, max_segs(C)), C, 40, 41, 41, 2, 2 * C + 1, false, false, 2},  // whole rows, 2 chunks
          {max_segs(C), C, 5, 5, 5, 0, 2 * C, false, true, 3},                   // L shorter than the pipeline
          {max_segs(C), C, 3, 3, 3, 0, 2 * C + 2, true, false, 1},               // L < S, coefficients in input
          {std::min(5u, max_segs(2)), 2, 33, 64, 64, 0, 7, false, true, 1},      // bank conflicts, accumulate
          {max_segs(half), half, 256, 256, 257, 3, 4 * half, false, false, 1},   // L = 256, conflicting coef stride
          // The layout without conflicts: strides % banks == 1, Delta rows after the u rows
          // by one extra word, coefficient blocks on a stride that is a multiple of the banks.
          {max_segs(half), half, 256, 257, 257, 1, 64, false, false, 1},
      };
      for (const Case& c : cases) run_case(soc, hal, drv, cfg, c, rng);
      std::printf("worst error vs the double reference (max |y - y_ref| / max |y_ref| per channel): %.3g\n",
                  g_worst_rel);

      RunScan r = good_run();
      r.length = 0;
      bad_record(hal, drv, r, regs::ErrorCause::BAD_FIELD, "length 0");
      r = good_run();
      r.u_addr = 2;
      bad_record(hal, drv, r, regs::ErrorCause::BAD_SPAD_ADDRESS, "misaligned u_addr");
      r = good_run();
      r.coef_addr = 1026;
      bad_record(hal, drv, r, regs::ErrorCause::BAD_SPAD_ADDRESS, "misaligned coef_addr");
      r = good_run();
      r.coef_spad = SpadId::OUTPUT;
      bad_record(hal, drv, r, regs::ErrorCause::BAD_SPAD_ID, "coefficients in the output scratchpad");
      r = good_run();
      r.coef_stride = 12;  // < 8 * seg_len = 16
      bad_record(hal, drv, r, regs::ErrorCause::BAD_FIELD, "coef_stride below one block");
      r = good_run();
      r.flags |= FLAG_REVERSE;
      bad_record(hal, drv, r, regs::ErrorCause::BAD_FIELD, "REVERSE flag");
      r = good_run();
      r.in_stride = 63;
      bad_record(hal, drv, r, regs::ErrorCause::BAD_FIELD, "in_stride below length");
    };
    soc.host().on_exit = [] { sc_core::sc_stop(); };
    sc_core::sc_start();
    ec_test::check_soc_protocol(soc);
  });
}
