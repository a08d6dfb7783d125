// The selective (Mamba S6) scan on the LIMA-PE: the PE op's float order and cost, the
// RUN_SCAN record (encode/decode, C encoder, validate), the closed-form pass timing, the
// coefficient bandwidth figures, and the float32 PE chain against the double-precision
// selective scan (maths/reference/mamba_reference.h). docs/selective-scan.md.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "epochcore/contract/commands.h"
#include "epochcore/maths/pe/lima_pe_math.h"
#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/timing/prodf_timing.h"

using namespace epochcore;
using namespace epochcore::cmd;

TEST_CASE("selective op rounds in the documented order", "[pe][scan]") {
  LimaPeCore pe;
  pe.load({-1.75f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.625f, 0.0f});
  const float us[] = {1.0f, -2.0f, 0.3f}, dts[] = {0.01f, 0.2f, 0.05f}, bs[] = {0.7f, -1.1f, 2.0f},
              cs[] = {-0.4f, 0.9f, 1.3f};
  float x = 0.0f;
  for (int k = 0; k < 3; ++k) {
    const float abar = std::exp(dts[k] * -1.75f);
    const float dtb = dts[k] * bs[k];
    x = abar * x + dtb * us[k];
    const float psum_in = 0.125f;
    const float want = (psum_in + cs[k] * x) + 0.625f * us[k];
    const float got = pe.scan(us[k], dts[k], bs[k], cs[k], psum_in);
    CHECK(got == want);  // bit for bit
    CHECK(pe.x_re == x);
  }
  CHECK(pe_exp(-0.5f) == std::exp(-0.5f));
  CHECK(PeOpCost::kScanMultiplies == 6);
  CHECK(PeOpCost::kScanAdds == 3);
  CHECK(PeOpCost::kScanExps == 1);
}

TEST_CASE("RUN_SCAN records round-trip, the C encoder agrees, validate names every bad field",
          "[commands][scan]") {
  RunScan c;
  c.flags = FLAG_ACCUMULATE | FLAG_RESET_STATE;
  c.coef_spad = SpadId::INPUT;
  c.u_addr = 0x100;
  c.dt_addr = 0x2000;
  c.in_stride = 300;
  c.out_stride = 301;
  c.out_addr = 0x40;
  c.coef_addr = 0x8000;
  c.coef_stride = 136;
  c.length = 256;
  const Record r = encode_run_scan(c);
  CHECK(opcode_of(r) == Opcode::RUN_SCAN);
  const RunScan d = decode_run_scan(r);
  CHECK(d.flags == c.flags);
  CHECK(d.coef_spad == c.coef_spad);
  CHECK(d.u_addr == c.u_addr);
  CHECK(d.dt_addr == c.dt_addr);
  CHECK(d.in_stride == c.in_stride);
  CHECK(d.out_stride == c.out_stride);
  CHECK(d.out_addr == c.out_addr);
  CHECK(d.coef_addr == c.coef_addr);
  CHECK(d.coef_stride == c.coef_stride);
  CHECK(d.length == c.length);
  ec_record cr;
  ec_encode_run_scan(&cr, c.flags, EC_SPAD_INPUT, c.u_addr, c.dt_addr, c.in_stride, c.out_stride, c.out_addr,
                     c.coef_addr, c.coef_stride, c.length);
  CHECK(std::equal(cr.w, cr.w + 8, r.w));

  HwLimits hw;
  hw.rows = 4;
  hw.cols = 8;
  hw.spad_bytes[0] = hw.spad_bytes[1] = hw.spad_bytes[2] = 64 * 1024;
  hw.selective = true;
  std::string why;
  // 4 segments of seg_len 8 loaded; coefficient blocks of 16 words (64 bytes).
  RunScan g;
  g.flags = FLAG_RESET_STATE;
  g.u_addr = 0;
  g.dt_addr = 8192;
  g.in_stride = 512;
  g.out_stride = 512;
  g.coef_addr = 0;
  g.coef_stride = 64;
  g.length = 500;
  CHECK(validate(encode_run_scan(g), hw, 4, 0, 8, &why) == regs::ErrorCause::NONE);
  auto bad = [&](RunScan x, regs::ErrorCause want, uint32_t loaded = 4, uint32_t reversed = 0) {
    CHECK(validate(encode_run_scan(x), hw, loaded, reversed, 8, &why) == want);
    CHECK(!why.empty());
    why.clear();
  };
  RunScan x = g;
  x.length = 0;
  bad(x, regs::ErrorCause::BAD_FIELD);
  bad(g, regs::ErrorCause::BAD_FIELD, 0);  // no LOAD_COEFFS
  x = g;
  x.flags = FLAG_REVERSE;
  bad(x, regs::ErrorCause::BAD_FIELD);
  x = g;
  x.u_addr = 2;
  bad(x, regs::ErrorCause::BAD_SPAD_ADDRESS);
  x = g;
  x.dt_addr = 64 * 1024 - 4;
  bad(x, regs::ErrorCause::BAD_SPAD_ADDRESS);
  x = g;
  x.coef_stride = 60;
  bad(x, regs::ErrorCause::BAD_FIELD);
  x = g;
  x.coef_stride = 66;
  x.coef_addr = 0;
  bad(x, regs::ErrorCause::BAD_SPAD_ADDRESS);  // stride not a multiple of 4
  x = g;
  x.coef_spad = SpadId::OUTPUT;
  bad(x, regs::ErrorCause::BAD_SPAD_ID);
  x = g;
  x.in_stride = 499;
  bad(x, regs::ErrorCause::BAD_FIELD);
  x = g;
  x.out_addr = 64 * 1024;
  bad(x, regs::ErrorCause::BAD_SPAD_ADDRESS);
  // Reversed segments (per-segment direction, LOAD_COEFFS rev_segs) are RUN_SSM's only.
  hw.segment_direction = true;
  bad(g, regs::ErrorCause::BAD_FIELD, 4, 2);
  CHECK(validate(encode_run_scan(g), hw, 4, 0, 8, &why) == regs::ErrorCause::NONE);
  hw.selective = false;
  bad(g, regs::ErrorCause::BAD_FIELD);
}

TEST_CASE("RUN_SCAN closed form: no stalls on wide feeds, stalls from the coefficient feed on few banks",
          "[timing][scan]") {
  timing::ScanPassShape s;
  s.rows = 32;
  s.cols = 32;
  s.segments = true;
  s.n_seg = 64;
  s.seg_len = 16;
  s.length = 256;
  s.u_addr = 0;
  s.dt_addr = 4 * 64 * 257;
  s.in_stride_words = 257;
  s.out_stride_words = 257;
  s.coef_addr = 0;
  s.coef_stride = 4 * 32;
  // 512 input banks take the 128 u/Delta words in one cycle; 64 param banks the 32 B/C words.
  timing::ScanPassTiming t = timing::scan_pass(s, {512, 1}, {64, 1}, {512, 1});
  CHECK(t.beats == 256 + 15);
  CHECK(t.cycles == t.beats);
  CHECK(t.coeff_words == 2 * 16 * 256);
  CHECK(t.active_pe_cycles == 64ull * 16 * 256);
  // A 4-bank parameter scratchpad: 32 words a beat in the steady state = 8 cycles; the
  // fill and drain beats read fewer words.
  t = timing::scan_pass(s, {512, 1}, {4, 1}, {512, 1});
  CHECK(t.stall_input == 0);
  CHECK(t.stall_coeff > 0);
  uint64_t want = 0;
  for (uint64_t b = 0; b < 256 + 15; ++b) {
    const uint64_t lo = b + 1 > 256 ? b + 1 - 256 : 0, hi = std::min<uint64_t>(15, b);
    // Block stride 32 words = 0 mod 4 banks: column j's B and C words both sit in bank
    // j % 4, so the busiest bank holds 2 * ceil(w / 4) of the beat's words (w columns).
    const uint64_t w = hi - lo + 1;
    want += std::max<uint64_t>(1, 2 * ((w + 3) / 4));
  }
  CHECK(t.cycles == want);
  CHECK(t.cycles == t.beats + t.stall_coeff);
  // The same stream in the input scratchpad adds to the u/Delta accesses of the beat.
  s.coef_in_input = true;
  s.coef_addr = 4 * 64 * 257 * 2;
  const timing::ScanPassTiming ti = timing::scan_pass(s, {512, 1}, {4, 1}, {512, 1});
  CHECK(ti.stall_coeff == 0);  // the parameter scratchpad is not read
  CHECK(ti.cycles == ti.beats + ti.stall_input + ti.stall_output);
}

TEST_CASE("coefficient bandwidth: north feed vs per-PE streaming", "[timing][scan]") {
  // d_state = 16 on a 32 x 32 array with segments: 2 segments per row, 64 channels.
  const timing::ScanFeedBandwidth b = timing::scan_feed_bandwidth(32, 32, true, 16);
  CHECK(b.north_feed_words == 32);
  CHECK(b.per_pe_words == 2048);
  const timing::ScanFeedBandwidth nb = timing::scan_feed_bandwidth(32, 32, false, 16);
  CHECK(nb.north_feed_words == 32);
  CHECK(nb.per_pe_words == 1024);
}

// The float32 PE chain (LimaPeCore::scan, the segment order) against the double-precision
// selective scan, Mamba-like values: d_state 16, A = -(n+1) (S4D-real init), Delta in
// [1e-3, 0.1] (Mamba's dt_min..dt_max), D = 1, u, B, C standard normal.
TEST_CASE("float32 selective scan on the PEs agrees with the double reference", "[scan][reference]") {
  const uint32_t Din = 8, N = 16;
  Rng rng(2026);
  double worst_all = 0.0;
  for (uint32_t L : {64u, 128u, 256u}) {
    std::vector<double> u(Din * L), dt(Din * L), A(Din * N), B(N * L), C(N * L), D(Din, 1.0);
    for (auto& v : u) v = float(rng.normal());
    for (auto& v : dt) v = float(std::exp(std::log(1e-3) + rng.uniform() * std::log(100.0)));
    for (uint32_t d = 0; d < Din; ++d)
      for (uint32_t n = 0; n < N; ++n) A[d * N + n] = -double(n + 1);
    for (auto& v : B) v = float(rng.normal());
    for (auto& v : C) v = float(rng.normal());
    const std::vector<double> ref =
        selective_scan(Din, N, L, u.data(), dt.data(), A.data(), B.data(), C.data(), D.data(), nullptr, nullptr, false);
    double worst = 0.0;
    for (uint32_t d = 0; d < Din; ++d) {
      std::vector<LimaPeCore> pes(N);
      for (uint32_t n = 0; n < N; ++n)
        pes[n].load({float(A[d * N + n]), 0, 0, 0, 0, 0, n == 0 ? 1.0f : 0.0f, 0});
      double scale = 0.0;
      for (uint32_t t = 0; t < L; ++t) scale = std::max(scale, std::abs(ref[d * L + t]));
      for (uint32_t t = 0; t < L; ++t) {
        float psum = 0.0f;
        for (uint32_t n = 0; n < N; ++n)
          psum = pes[n].scan(float(u[d * L + t]), float(dt[d * L + t]), float(B[n * L + t]), float(C[n * L + t]), psum);
        worst = std::max(worst, std::abs(double(psum) - ref[d * L + t]) / scale);
      }
    }
    INFO("L = " << L << ": max |y - y_ref| / max_t |y_ref| = " << worst);
    CHECK(worst < 1e-5);
    worst_all = std::max(worst_all, worst);
  }
  WARN("float32 PE chain vs double selective scan, worst relative error (L 64..256): " << worst_all);
}

#include "epochcore/maths/energy/energy_model.h"
#include "epochcore/platform/io/tech_table_file.h"

// The selective option's energy and area: charged only to designs built with it.
TEST_CASE("selective option: exp unit and feed in area and energy, only when built", "[energy][scan]") {
  const energy::TechTable t = energy::load_tech_table(EC_SOURCE_DIR "/scenarios/tech/45nm.yaml");
  energy::Design plain, sel;
  plain.segments = sel.segments = true;
  sel.selective = true;
  const energy::AreaBreakdown ap = energy::area(t, plain), as = energy::area(t, sel);
  const energy::SelectiveExtra x = energy::selective_extra(t, "fp32");
  CHECK(x.exp_area_um2 == Approx(4 * 7700.0 + 4 * 4184.0));
  CHECK(x.exp_energy_pj == Approx(4 * 3.7 + 4 * 0.9));
  CHECK(as.pe.arithmetic_um2 - ap.pe.arithmetic_um2 == Approx(x.exp_area_um2));
  CHECK(as.pe.registers_um2 - ap.pe.registers_um2 == Approx(32 * 4.522));
  // Array: 1024 PEs' extras plus the north feed's 2 staging words per column.
  CHECK(as.total_mm2 - ap.total_mm2 ==
        Approx(1024 * (x.exp_area_um2 + 32 * 4.522) / 1e6 + 32 * 2 * 32 * 4.522 / 1e6));
  // Energy: a selective op is 6 multiplies, 3 adds and one exp; refused on a plain design.
  energy::ActionCounts c = energy::prodf_scan_pe_counts(1000);
  CHECK(c.scan_ops == 1000);
  CHECK(c.operand_hops == 5000);
  const energy::EnergyBreakdown e = energy::energy(t, sel, c);
  CHECK(e.pj.at("pe_arithmetic") == Approx(1000 * (6 * 3.7 + 3 * 0.9 + x.exp_energy_pj)));
  CHECK_THROWS_AS(energy::energy(t, plain, c), energy::EnergyModelError);
  // A table without the section cannot cost a selective design.
  energy::TechTable no_sel = t;
  no_sel.selective.given = false;
  CHECK_THROWS_AS(energy::area(no_sel, sel), energy::EnergyModelError);
  CHECK_NOTHROW(energy::area(no_sel, plain));
  WARN("fp32 32x32 array with segments, area: plain " << ap.total_mm2 << " mm^2, selective " << as.total_mm2
                                                      << " mm^2; PE " << ap.pe.total_um2 << " -> " << as.pe.total_um2
                                                      << " um^2");
}
