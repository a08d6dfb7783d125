// Testbench: a small Mamba mixer's non-matrix chain on the vector unit inside the
// accelerator, through RUN_VEC records: RMSNORM of the block input; CONV1D (cut into two
// chunks, the second with FLAG_HISTORY after a COPY of the first chunk's last K-1 inputs,
// and once unchunked) -> SILU; AFFINE (+ dt_bias) -> SOFTPLUS; GATE of the scan output by
// z. The matrix products and the selective scan are not the vector unit's: the test takes
// their values from the double reference (maths/reference/mamba_reference.h), rounds them
// to float and DMAs them in, so each stage is compared with the reference's intermediate
// value of that stage. The test's stage-by-stage double decomposition is itself checked
// against mamba_mixer. fp32 in cycle and fast timing: the same bits and the same time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/maths/reference/mamba_reference.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/vector/vector_op_math.h"
#include "epochcore/platform/soc/soc.h"
#include "soc_bench.h"

using namespace epochcore;
using namespace epochcore::cmd;

namespace {

constexpr uint64_t kStreamAddr = 0x10000;
constexpr uint64_t kDataAddr = 0x20000;
constexpr uint64_t kResultAddr = 0x100000;
constexpr uint32_t kResultBytes = 0x1200;

// The mixer: H = 8, Din = 16, N = 4, K = 4, R = 1, L = 12.
constexpr uint32_t H = 8, L = 12;

struct Case {
  const char* name;
  const char* timing;
};

struct Outcome {
  bool finished = false;
  std::vector<float> result;
  uint64_t busy_cycles = 0, job_cycles = 0;
};

Scenario scenario(const Case& c) {
  Scenario s;
  s.array.rows = 4;
  s.array.cols = 8;
  s.spad_input = {16, 8, 1};
  s.spad_param = {8, 8, 1};
  s.spad_output = {16, 8, 1};
  s.memory.size_mib = 4;
  s.precision.format = "fp32";
  s.run.timing = c.timing;
  s.run.check_protocol = true;
  return s;
}

// The double reference, stage by stage (the steps of mamba_mixer, docs/models.md).
struct Reference {
  S4ModelDesc d;
  MambaBlockWeights w;
  uint32_t Din = 0, N = 0, K = 0, R = 0;
  std::vector<double> x, normed, xs, zs, conv, u, delta, dt, scan, gated, out, mixer;

  Reference() {
    d.H = H;
    d.L = L;
    d.expand = 2;
    d.d_state = 4;
    d.d_conv = 4;
    d.dt_rank = 0;  // ceil(8/16) = 1
    d.norm_eps = 1e-5;
    Din = mamba_inner_width(d);
    N = d.d_state;
    K = d.d_conv;
    R = mamba_dt_rank(d);
    Rng rng(2024);
    auto uni = [&](std::vector<double>& v, size_t n, double bound) {
      v.resize(n);
      for (double& e : v) e = (2.0 * rng.uniform() - 1.0) * bound;
    };
    uni(w.in_proj, 2 * Din * H, 1.0 / std::sqrt(double(H)));
    uni(w.conv_weight, Din * K, 1.0 / std::sqrt(double(K)));
    uni(w.conv_bias, Din, 1.0 / std::sqrt(double(K)));
    uni(w.x_proj, (R + 2 * N) * Din, 1.0 / std::sqrt(double(Din)));
    uni(w.dt_proj, Din * R, 1.0 / std::sqrt(double(R)));
    // dt_bias spread wide, so softplus sees both sides of its threshold and its curve.
    uni(w.dt_bias, Din, 4.0);
    w.dt_bias[3] = 21.0;
    w.dt_bias[5] = 19.5;
    w.A_log.resize(Din * N);
    for (uint32_t c = 0; c < Din; ++c)
      for (uint32_t n = 0; n < N; ++n) w.A_log[c * N + n] = std::log(double(n + 1));
    w.D.assign(Din, 1.0);
    uni(w.out_proj, H * Din, 1.0 / std::sqrt(double(Din)));
    for (uint32_t h = 0; h < H; ++h) w.norm.push_back(1.0 + 0.1 * rng.normal());
    // The block input: float values, so the unit and the reference start from the same x.
    x.resize(H * L);
    for (double& e : x) e = double(float(1.5 * rng.normal()));

    normed = x;
    rms_norm(d, w.norm, normed, 1);
    // The stages below use the float-rounded value of the previous matrix stage as their
    // input, as the unit receives it.
    std::vector<double> xz(2 * Din * L, 0.0);
    for (uint32_t o = 0; o < 2 * Din; ++o)
      for (uint32_t h = 0; h < H; ++h)
        for (uint32_t t = 0; t < L; ++t) xz[o * L + t] += w.in_proj[o * H + h] * normed[h * L + t];
    xs.assign(xz.begin(), xz.begin() + Din * L);
    zs.assign(xz.begin() + Din * L, xz.end());
    conv.resize(Din * L);
    u.resize(Din * L);
    for (uint32_t c = 0; c < Din; ++c)
      for (uint32_t t = 0; t < L; ++t) {
        double acc = w.conv_bias[c];
        for (uint32_t k = 0; k < K; ++k) {
          const int64_t tau = int64_t(t) - int64_t(K - 1) + int64_t(k);
          if (tau >= 0) acc += w.conv_weight[c * K + k] * xs[c * L + size_t(tau)];
        }
        conv[c * L + t] = acc;
        u[c * L + t] = silu(acc);
      }
    std::vector<double> dbl((R + 2 * N) * L, 0.0);
    for (uint32_t j = 0; j < R + 2 * N; ++j)
      for (uint32_t c = 0; c < Din; ++c)
        for (uint32_t t = 0; t < L; ++t) dbl[j * L + t] += w.x_proj[j * Din + c] * u[c * L + t];
    delta.assign(Din * L, 0.0);
    for (uint32_t c = 0; c < Din; ++c)
      for (uint32_t r = 0; r < R; ++r)
        for (uint32_t t = 0; t < L; ++t) delta[c * L + t] += w.dt_proj[c * R + r] * dbl[r * L + t];
    dt.resize(Din * L);
    for (uint32_t c = 0; c < Din; ++c)
      for (uint32_t t = 0; t < L; ++t) dt[c * L + t] = softplus_torch(delta[c * L + t] + w.dt_bias[c]);
    std::vector<double> A(Din * N);
    for (size_t i = 0; i < A.size(); ++i) A[i] = -std::exp(w.A_log[i]);
    // The scan without the gate (the array's work), then with it (the reference's).
    scan = selective_scan(Din, N, L, u.data(), delta.data(), A.data(), &dbl[R * L], &dbl[(R + N) * L],
                          w.D.data(), nullptr, w.dt_bias.data(), true);
    gated = selective_scan(Din, N, L, u.data(), delta.data(), A.data(), &dbl[R * L], &dbl[(R + N) * L],
                           w.D.data(), zs.data(), w.dt_bias.data(), true);
    out.assign(H * L, 0.0);
    for (uint32_t h = 0; h < H; ++h)
      for (uint32_t c = 0; c < Din; ++c)
        for (uint32_t t = 0; t < L; ++t) out[h * L + t] += w.out_proj[h * Din + c] * gated[c * L + t];
    mixer = mamba_mixer(d, w, normed.data());
  }
};

std::vector<float> to_float(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

struct Stream {
  fw::Hal& hal;
  std::vector<Record> records;
  std::vector<RunVec> vec_ops;
  uint64_t next_sys = kDataAddr;
  void dma_in(SpadId spad, uint32_t spad_addr, uint32_t rows, uint32_t row_words, uint32_t spad_step,
              const std::vector<float>& data) {
    hal.mem_write(next_sys, data.data(), data.size() * 4);
    DmaDesc d;
    d.sys_addr = next_sys;
    d.spad = spad;
    d.spad_addr = spad_addr;
    d.row_bytes = row_words * 4;
    d.rows = rows;
    d.sys_stride = row_words * 4;
    d.spad_stride = spad_step * 4;
    records.push_back(encode_dma(true, d));
    next_sys += (data.size() * 4 + 255) / 256 * 256;
  }
  void vec(const RunVec& c) {
    records.push_back(encode_run_vec(c));
    vec_ops.push_back(c);
  }
};

RunVec make(VecOp op, uint16_t C, uint32_t T, SpadId a, uint32_t a_addr, uint16_t a_stride, SpadId d,
            uint32_t d_addr, uint16_t d_stride) {
  RunVec c;
  c.op = op;
  c.channels = C;
  c.length = T;
  c.a_spad = a;
  c.a_addr = a_addr;
  c.a_stride = a_stride;
  c.d_spad = d;
  c.d_addr = d_addr;
  c.d_stride = d_stride;
  return c;
}

// Largest |got - want| / (|want| + floor) over a [rows][L] tile of the result.
double max_err(const std::vector<float>& result, uint32_t byte_addr, uint32_t rows,
               const std::vector<double>& want, double floor) {
  double m = 0.0;
  for (uint32_t r = 0; r < rows; ++r)
    for (uint32_t t = 0; t < L; ++t) {
      const double g = result[byte_addr / 4 + r * L + t], w = want[r * L + t];
      m = std::max(m, std::fabs(g - w) / (std::fabs(w) + floor));
    }
  return m;
}

void report(const char* what, double v) {
  if (std::getenv("EC_PRINT_ERRORS")) std::printf("measured %s: %.3g\n", what, v);
}

// Scratchpad map (bytes). INPUT: hidden x 0x000; conv chunk tiles 0x400 (8 steps) and
// 0x800 (4 steps), each row with K-1 = 3 history words in front; the unchunked x half
// 0xC00; raw delta 0x1000; scan output 0x1400; z 0x1800. PARAM: RMSNorm weight + eps
// 0x000; conv weights + biases 0x100; AFFINE scales + shifts (dt_bias) 0x400. OUTPUT
// (the DMA_OUT): RMSNorm 0x000, u (chunked) 0x200, u (unchunked) 0x600, softplus 0xA00,
// gate 0xE00.
void program(Soc& soc, fw::Hal& hal, const Case& cs, const Reference& ref, Outcome& out) {
  fw::Driver drv(hal);
  fw::AccelInfo info;
  EC_CHECK(drv.probe(&info) == fw::DriverStatus::OK);
  EpochCoreAccel& accel = soc.accel();
  const uint32_t Din = ref.Din, K = ref.K;
  const uint32_t T0 = 8, T1 = L - T0;              // the two chunks
  const uint16_t s0 = uint16_t(T0 + K - 1), s1 = uint16_t(T1 + K - 1);  // tile strides
  const uint32_t tile0 = 0x400 + 4 * (K - 1), tile1 = 0x800 + 4 * (K - 1);
  Stream st{hal, {}, {}};

  st.dma_in(SpadId::INPUT, 0x000, H, L, L, to_float(ref.x));
  const std::vector<float> xs = to_float(ref.xs);
  std::vector<float> chunk0(Din * T0), chunk1(Din * T1);
  for (uint32_t c = 0; c < Din; ++c) {
    for (uint32_t t = 0; t < T0; ++t) chunk0[c * T0 + t] = xs[c * L + t];
    for (uint32_t t = 0; t < T1; ++t) chunk1[c * T1 + t] = xs[c * L + T0 + t];
  }
  st.dma_in(SpadId::INPUT, tile0, Din, T0, s0, chunk0);
  st.dma_in(SpadId::INPUT, tile1, Din, T1, s1, chunk1);
  st.dma_in(SpadId::INPUT, 0xC00, Din, L, L, xs);
  st.dma_in(SpadId::INPUT, 0x1000, Din, L, L, to_float(ref.delta));
  st.dma_in(SpadId::INPUT, 0x1400, Din, L, L, to_float(ref.scan));
  st.dma_in(SpadId::INPUT, 0x1800, Din, L, L, to_float(ref.zs));
  std::vector<float> norm = to_float(ref.w.norm);
  norm.push_back(float(ref.d.norm_eps));
  st.dma_in(SpadId::PARAM, 0x000, 1, H + 1, 0, norm);
  std::vector<float> conv = to_float(ref.w.conv_weight);
  for (double b : ref.w.conv_bias) conv.push_back(float(b));
  st.dma_in(SpadId::PARAM, 0x100, 1, Din * (K + 1), 0, conv);
  std::vector<float> affine(Din, 1.0f);
  for (double b : ref.w.dt_bias) affine.push_back(float(b));
  st.dma_in(SpadId::PARAM, 0x400, 1, 2 * Din, 0, affine);
  st.records.push_back(encode_barrier());

  RunVec c = make(VecOp::RMSNORM, H, L, SpadId::INPUT, 0x000, L, SpadId::OUTPUT, 0x000, L);
  c.b_spad = SpadId::PARAM;
  c.b_addr = 0x000;
  st.vec(c);
  // conv1d, chunk 0 (the sequence start: zero history) into u's columns 0..7.
  c = make(VecOp::CONV1D, Din, T0, SpadId::INPUT, tile0, s0, SpadId::OUTPUT, 0x200, L);
  c.b_spad = SpadId::PARAM;
  c.b_addr = 0x100;
  c.b_stride = uint16_t(K);
  st.vec(c);
  // Chunk 1's history: chunk 0's last K-1 inputs, copied in front of chunk 1's rows.
  st.vec(make(VecOp::COPY, Din, K - 1, SpadId::INPUT, tile0 + 4 * (T0 - (K - 1)), s0, SpadId::INPUT,
              tile1 - 4 * (K - 1), s1));
  c = make(VecOp::CONV1D, Din, T1, SpadId::INPUT, tile1, s1, SpadId::OUTPUT, 0x200 + 4 * T0, L);
  c.b_spad = SpadId::PARAM;
  c.b_addr = 0x100;
  c.b_stride = uint16_t(K);
  c.flags = FLAG_HISTORY;
  st.vec(c);
  // Unchunked, for the bit-for-bit comparison.
  c = make(VecOp::CONV1D, Din, L, SpadId::INPUT, 0xC00, L, SpadId::OUTPUT, 0x600, L);
  c.b_spad = SpadId::PARAM;
  c.b_addr = 0x100;
  c.b_stride = uint16_t(K);
  st.vec(c);
  st.vec(make(VecOp::SILU, Din, L, SpadId::OUTPUT, 0x200, L, SpadId::OUTPUT, 0x200, L));  // in place
  st.vec(make(VecOp::SILU, Din, L, SpadId::OUTPUT, 0x600, L, SpadId::OUTPUT, 0x600, L));
  // dt = softplus(delta + dt_bias): AFFINE with unit scales adds the bias (exact multiply).
  c = make(VecOp::AFFINE, Din, L, SpadId::INPUT, 0x1000, L, SpadId::OUTPUT, 0xA00, L);
  c.b_spad = SpadId::PARAM;
  c.b_addr = 0x400;
  st.vec(c);
  st.vec(make(VecOp::SOFTPLUS, Din, L, SpadId::OUTPUT, 0xA00, L, SpadId::OUTPUT, 0xA00, L));
  // The gate: scan output * silu(z).
  c = make(VecOp::GATE, Din, L, SpadId::INPUT, 0x1400, L, SpadId::OUTPUT, 0xE00, L);
  c.b_spad = SpadId::INPUT;
  c.b_addr = 0x1800;
  c.b_stride = L;
  st.vec(c);
  st.records.push_back(encode_barrier());
  DmaDesc o;
  o.sys_addr = kResultAddr;
  o.spad = SpadId::OUTPUT;
  o.row_bytes = kResultBytes;
  st.records.push_back(encode_dma(false, o));
  st.records.push_back(encode_end());

  const VectorStats before = accel.vector_unit().stats();
  const size_t log_first = accel.activity().entries.size();
  fw::DriverStatus ds;
  const fw::JobResult r = ec_test::run_stream(hal, drv, st.records, kStreamAddr, &ds);
  EC_CHECK_INFO(ds == fw::DriverStatus::OK && r.ok,
                std::string(cs.name) + ": " + regs::error_cause_name(r.cause) + " at " + std::to_string(r.cmd_index) +
                    " " + accel.command_processor().last_error_detail());
  out.job_cycles = r.cycles;
  out.result.resize(kResultBytes / 4);
  hal.mem_read(kResultAddr, out.result.data(), kResultBytes);
  const std::vector<float>& res = out.result;

  // Each stage against the reference's intermediate value. The inputs are the reference's
  // float-rounded values, so the error is the stage's own.
  const double e_norm = max_err(res, 0x000, H, ref.normed, 1e-30);
  const double e_u = max_err(res, 0x200, Din, ref.u, 1.0);
  const double e_dt = max_err(res, 0xA00, Din, ref.dt, 1e-30);
  const double e_gate = max_err(res, 0xE00, Din, ref.gated, 1e-30);
  report("chain rmsnorm relative", e_norm);
  report("chain conv1d+silu |err|/(|u|+1)", e_u);
  report("chain softplus(delta+bias) relative", e_dt);
  report("chain gate relative", e_gate);
  EC_CHECK_INFO(e_norm <= 5e-7, std::to_string(e_norm));
  EC_CHECK_INFO(e_u <= 2e-7, std::to_string(e_u));
  EC_CHECK_INFO(e_dt <= 3e-7, std::to_string(e_dt));
  EC_CHECK_INFO(e_gate <= 3e-7, std::to_string(e_gate));
  // The threshold channel: delta + 21 > 20 at every step, so dt is the input itself.
  for (uint32_t t = 0; t < L; ++t) {
    const float in = float(ref.delta[3 * L + t]) + float(ref.w.dt_bias[3]);
    if (in > 20.0f) EC_CHECK(res[0xA00 / 4 + 3 * L + t] == in);
  }
  // conv1d across the chunk boundary: the unchunked bits exactly.
  EC_CHECK(std::memcmp(&res[0x200 / 4], &res[0x600 / 4], size_t(Din) * L * 4) == 0);
  // And every RUN_VEC result is vec_execute's (the unit is that function).
  {
    std::vector<float> spad[kNumSpads];
    float* ptr[kNumSpads];
    for (uint8_t i = 0; i < kNumSpads; ++i) {
      spad[i].assign(accel.spad(SpadId(i)).size_bytes() / 4, 0.0f);
      ptr[i] = spad[i].data();
    }
    // Rebuild the inputs as the DMAs left them, then run the commands in plain C++.
    auto put = [&](SpadId s, uint32_t addr, uint32_t rows, uint32_t words, uint32_t step, const std::vector<float>& v) {
      for (uint32_t rr = 0; rr < rows; ++rr)
        for (uint32_t t = 0; t < words; ++t) ptr[uint8_t(s)][addr / 4 + rr * step + t] = v[rr * words + t];
    };
    put(SpadId::INPUT, 0x000, H, L, L, to_float(ref.x));
    put(SpadId::INPUT, tile0, Din, T0, s0, chunk0);
    put(SpadId::INPUT, tile1, Din, T1, s1, chunk1);
    put(SpadId::INPUT, 0xC00, Din, L, L, xs);
    put(SpadId::INPUT, 0x1000, Din, L, L, to_float(ref.delta));
    put(SpadId::INPUT, 0x1400, Din, L, L, to_float(ref.scan));
    put(SpadId::INPUT, 0x1800, Din, L, L, to_float(ref.zs));
    put(SpadId::PARAM, 0x000, 1, H + 1, 0, norm);
    put(SpadId::PARAM, 0x100, 1, Din * (K + 1), 0, conv);
    put(SpadId::PARAM, 0x400, 1, 2 * Din, 0, affine);
    for (const RunVec& v : st.vec_ops) vec::vec_execute(v, ptr, regs::NumberFormat::FP32, accel.vector_unit().costs());
    EC_CHECK(std::memcmp(res.data(), ptr[2], kResultBytes) == 0);
  }

  // Time and stats: the closed forms of the commands.
  const VectorStats& vs = accel.vector_unit().stats();
  uint64_t cycles = 0;
  for (const RunVec& v : st.vec_ops) cycles += vec::vec_command_cost(v, accel.vector_unit().costs()).cycles;
  EC_CHECK(vs.ops - before.ops == st.vec_ops.size());
  EC_CHECK(vs.busy_cycles - before.busy_cycles == cycles);
  EC_CHECK(vs.by_op[uint8_t(VecOp::CONV1D)] - before.by_op[uint8_t(VecOp::CONV1D)] == 3);
  // CONV1D of 16 x 12 = 192 elements on 32 lanes: 6 groups x K = 4 taps.
  EC_CHECK(vec::vec_command_cost(st.vec_ops[4], accel.vector_unit().costs()).cycles == 6 * 4);
  const uint64_t period = accel.params().array.clock_period.value();
  size_t k = 0;
  for (size_t i = log_first; i < accel.activity().entries.size(); ++i) {
    const Activity& a = accel.activity().entries[i];
    if (a.unit != Activity::VECTOR) continue;
    if (k < st.vec_ops.size())
      EC_CHECK(a.end_ps - a.start_ps == vec::vec_command_cost(st.vec_ops[k], accel.vector_unit().costs()).cycles * period);
    ++k;
  }
  EC_CHECK(k == st.vec_ops.size());
  out.busy_cycles = vs.busy_cycles - before.busy_cycles;

  // The test's decomposition is the reference mixer's (out_proj of the gated scan).
  double dm = 0.0;
  for (size_t i = 0; i < ref.out.size(); ++i) dm = std::max(dm, std::fabs(ref.out[i] - ref.mixer[i]));
  EC_CHECK_INFO(dm <= 1e-12, std::to_string(dm));
  out.finished = true;
}

}  // namespace

int sc_main(int, char**) {
  return ec_test::run_testbench("test_vector_mamba", [] {
    const Reference ref;
    const Case cases[] = {{"fp32 cycle", "cycle"}, {"fp32 fast", "fast"}};
    constexpr int kCases = 2;
    Outcome outcomes[kCases];
    const auto socs = ec_test::run_socs({scenario(cases[0]), scenario(cases[1])},
                                        [&](size_t i, Soc& soc, fw::Hal& hal) {
                                          program(soc, hal, cases[i], ref, outcomes[i]);
                                        });
    for (int i = 0; i < kCases; ++i) EC_CHECK_INFO(outcomes[i].finished, cases[i].name);
    const Outcome& cyc = outcomes[0];
    const Outcome& fast = outcomes[1];
    EC_CHECK(!cyc.result.empty() && cyc.result.size() == fast.result.size() &&
             std::memcmp(cyc.result.data(), fast.result.data(), cyc.result.size() * 4) == 0);
    EC_CHECK(cyc.busy_cycles == fast.busy_cycles);
    EC_CHECK(cyc.job_cycles == fast.job_cycles);
  });
}
