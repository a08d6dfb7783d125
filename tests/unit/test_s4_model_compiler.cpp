// Model compiler (firmware/kernels/s4_model.h) on the functional fake accelerator: whole
// S4 models against the double-precision reference s4_model_forward, the stream pattern
// (double buffering, folds), the memory plan and the error messages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <set>
#include <vector>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/firmware/runner/model_runner.h"
#include "epochcore/compiler/s4_model.h"
#include "epochcore/maths/reference/s4_model_calibration.h"
#include "epochcore/tests/unit/fake_accelerator.h"

using namespace epochcore;
using test::FakeAccelConfig;
using test::FakeAccelerator;

namespace {

struct ModelCase {
  InputKind input = InputKind::Tokens;
  uint32_t d_input = 5, H = 8, M = 2, L = 20, layers = 2, classes = 3, B = 2;
  bool prenorm = false, bidirectional = false, retrieval = false, short_lengths = false;
  NormKind norm = NormKind::Batch;
};

S4ModelDesc describe(const ModelCase& c) {
  S4ModelDesc d;
  d.task = "compiler_test";
  d.input = c.input;
  d.d_input = c.d_input;
  d.H = c.H;
  d.M = c.M;
  d.L = c.L;
  d.n_layers = c.layers;
  d.prenorm = c.prenorm;
  d.norm = c.norm;
  d.bidirectional = c.bidirectional;
  d.classes = c.classes;
  d.retrieval = c.retrieval;
  return d;
}

struct ModelData {
  S4ModelDesc desc;
  S4ModelWeights weights;
  std::vector<double> inputs;
  std::vector<uint32_t> lengths;  // empty: all L
};

ModelData make_model(const ModelCase& c, uint64_t seed) {
  ModelData m;
  m.desc = describe(c);
  m.weights = s4_model_init(m.desc, seed);
  const uint32_t S = c.B * documents_per_input(m.desc);
  std::mt19937 rng(uint32_t(seed) * 7 + 1);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (uint64_t i = 0; i < uint64_t(S) * c.L * (c.input == InputKind::Values ? c.d_input : 1); ++i)
    m.inputs.push_back(c.input == InputKind::Tokens ? double(rng() % c.d_input) : normal(rng));
  if (c.short_lengths)
    for (uint32_t q = 0; q < S; ++q) m.lengths.push_back(q % 2 ? c.L : 1 + rng() % c.L);
  return m;
}

FakeAccelConfig small_accel(regs::NumberFormat format = regs::NumberFormat::FP32) {
  FakeAccelConfig cfg;  // 4x8 array: H, L and 2H fold
  cfg.spad_kib[0] = cfg.spad_kib[1] = cfg.spad_kib[2] = 128;
  cfg.mem_bytes = 16u << 20;
  cfg.number_format = uint8_t(format);
  return cfg;
}

fw::S4ModelJob make_job(const ModelData& m, uint32_t B, const FakeAccelConfig& cfg,
                        const ActivationRanges* ranges = nullptr, uint32_t max_tile_steps = 0,
                        bool allow_resident = true) {
  fw::S4ModelJob job;
  job.allow_resident = allow_resident;
  job.desc = &m.desc;
  job.weights = &m.weights;
  job.ranges = ranges;
  job.B = B;
  job.inputs = m.inputs.data();
  job.lengths = m.lengths.empty() ? nullptr : m.lengths.data();
  job.mem_base = cfg.mem_base;
  job.mem_bytes = cfg.mem_bytes;
  job.max_tile_steps = max_tile_steps;
  return job;
}

struct Run {
  fw::S4ModelResult result;
  fw::AccelInfo info;
  std::vector<float> features;  // [H][S] as the accelerator left them
  fw::S4ModelPlan plan;
  uint64_t dma_commands = 0;
};

Run run_on_fake(const ModelData& m, uint32_t B, const FakeAccelConfig& cfg, const ActivationRanges* ranges = nullptr,
                uint32_t max_tile_steps = 0, bool allow_resident = true) {
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  Run r;
  REQUIRE(driver.probe(&r.info) == fw::DriverStatus::OK);
  const fw::S4ModelJob job = make_job(m, B, cfg, ranges, max_tile_steps, allow_resident);
  fw::s4_model_run(fake, driver, r.info, job, &r.result);
  r.dma_commands = fake.commands_executed[uint8_t(cmd::Opcode::DMA_IN)] +
                   fake.commands_executed[uint8_t(cmd::Opcode::DMA_OUT)];
  fw::S4ModelPlan& plan = r.plan;
  std::string why;
  if (r.result.ok && fw::plan_s4_model(r.info, job, &plan, &why)) {
    r.features.resize(size_t(m.desc.H) * plan.mem.S);
    fake.mem_read(plan.mem.features, r.features.data(), r.features.size() * 4);
  }
  return r;
}

// max |got - ref| / max |ref|
double relative_error(const std::vector<double>& got, const std::vector<double>& ref) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::abs(got[i] - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return err / scale;
}

std::vector<double> reference(const ModelData& m, uint32_t B) {
  return s4_model_forward(m.desc, m.weights, m.inputs.data(), B, m.lengths.empty() ? nullptr : m.lengths.data());
}

}  // namespace

TEST_CASE("compiler: fp32 logits match the double reference for every block option", "[compiler]") {
  std::vector<ModelCase> cases;
  ModelCase c;  // tokens, post BatchNorm, unidirectional, B = 2
  cases.push_back(c);
  c.bidirectional = true;
  c.short_lengths = true;
  cases.push_back(c);  // + bidirectional, lengths < L
  c = ModelCase{};
  c.input = InputKind::Values;
  c.d_input = 3;
  c.H = 12;
  c.L = 37;
  c.B = 3;
  c.prenorm = true;
  c.norm = NormKind::Layer;
  c.short_lengths = true;
  cases.push_back(c);  // values (F folds with rows = 4 only when F > 4), prenorm LayerNorm, partial tiles
  c.bidirectional = true;
  c.prenorm = false;
  c.d_input = 6;  // two encoder folds
  cases.push_back(c);  // values, post LayerNorm, bidirectional
  c = ModelCase{};
  c.input = InputKind::Values;
  c.d_input = 1;
  c.H = 40;
  c.M = 4;
  c.L = 70;
  c.B = 1;
  c.prenorm = true;
  c.bidirectional = true;
  cases.push_back(c);  // wide model, prenorm BatchNorm, B = 1
  c = ModelCase{};
  c.retrieval = true;
  c.H = 10;
  c.L = 25;
  c.B = 3;
  c.prenorm = true;
  c.bidirectional = true;
  c.short_lengths = true;
  cases.push_back(c);  // retrieval head, 2H = 20 folds 4,4,..
  c = ModelCase{};
  c.B = 10;
  c.M = 3;
  c.short_lengths = true;
  cases.push_back(c);  // S = 10 > cols: the head folds over the columns
  c.retrieval = true;
  c.B = 9;
  c.L = 9;
  cases.push_back(c);  // retrieval with B = 9 > cols

  for (size_t i = 0; i < cases.size(); ++i) {
    const ModelCase& mc = cases[i];
    CAPTURE(i, mc.H, mc.L, mc.B, mc.prenorm, mc.bidirectional, mc.retrieval);
    const ModelData m = make_model(mc, 100 + i);
    const Run r = run_on_fake(m, mc.B, small_accel());
    INFO(r.result.message);
    REQUIRE(r.result.ok);
    const std::vector<double> ref = reference(m, mc.B);
    REQUIRE(r.result.logits.size() == ref.size());
    CHECK(relative_error(r.result.logits, ref) <= 1e-4);

    // Pooled features in their columns doc*B + b, against the reference's stage function.
    const uint32_t S = mc.B * documents_per_input(m.desc);
    const std::vector<double> f = s4_model_features(m.desc, m.weights, m.inputs.data(), S,
                                                    m.lengths.empty() ? nullptr : m.lengths.data());
    std::vector<double> got(f.size());
    for (uint32_t q = 0; q < S; ++q)
      for (uint32_t h = 0; h < mc.H; ++h) {
        const uint32_t col = m.desc.retrieval ? (q % 2) * mc.B + q / 2 : q;  // doc*B + b
        got[size_t(q) * mc.H + h] = r.features[size_t(h) * S + col];
      }
    CHECK(relative_error(got, f) <= 1e-5);

    // Stages in order, each with its own job.
    std::vector<std::string> names;
    for (const auto& s : r.result.stages) names.push_back(s.name);
    std::vector<std::string> want = {"encoder"};
    for (uint32_t l = 0; l < mc.layers; ++l) {
      want.push_back("layers." + std::to_string(l) + ".ssm");
      want.push_back("layers." + std::to_string(l) + ".tail");
    }
    want.push_back("head");
    CHECK(names == want);
    uint64_t cycles = 0;
    for (const auto& s : r.result.stages) cycles += s.job.cycles;
    CHECK(cycles == r.result.cycles);
  }
}

TEST_CASE("compiler: padding does not reach the logits", "[compiler]") {
  ModelCase c;
  c.bidirectional = true;
  c.short_lengths = true;
  c.B = 3;
  ModelData m = make_model(c, 7);
  const Run a = run_on_fake(m, c.B, small_accel());
  REQUIRE(a.result.ok);
  for (uint32_t q = 0; q < 3; ++q)
    for (uint32_t t = m.lengths[q]; t < c.L; ++t) m.inputs[size_t(q) * c.L + t] = double((t * 3 + q) % c.d_input);
  const Run b = run_on_fake(m, c.B, small_accel());
  REQUIRE(b.result.ok);
  CHECK(a.result.logits == b.result.logits);
}

TEST_CASE("compiler: lower precisions run within their documented bounds", "[compiler]") {
  ModelCase c;
  c.input = InputKind::Values;
  c.d_input = 2;
  c.H = 16;
  c.L = 30;
  c.B = 4;
  c.bidirectional = true;
  c.short_lengths = true;
  for (int prenorm = 0; prenorm < 2; ++prenorm) {
    c.prenorm = prenorm == 1;
    const ModelData m = make_model(c, 31 + prenorm);
    const std::vector<double> ref = reference(m, c.B);
    const ActivationRanges ranges = s4_model_activation_ranges(m.desc, m.weights, m.inputs.data(), c.B,
                                                               m.lengths.data());
    // Bounds (relative to max |logit|), docs/model-compiler.md.
    struct Bound { regs::NumberFormat f; double bound; };
    // Measured (seeds 31, 32): bf16 5.0e-3 / 3.3e-3, fp16 3.9e-4 / 4.3e-4, int16 1.1e-4 /
    // 3.9e-5, int8 3.7e-2 / 1.4e-2; the bounds leave a factor of about 4-10.
    const Bound bounds[] = {{regs::NumberFormat::BF16, 3e-2},
                            {regs::NumberFormat::FP16, 3e-3},
                            {regs::NumberFormat::INT16, 1e-3},
                            {regs::NumberFormat::INT8, 0.15}};
    for (const Bound& b : bounds) {
      CAPTURE(prenorm, int(b.f));
      const Run r = run_on_fake(m, c.B, small_accel(b.f), &ranges);
      INFO(r.result.message);
      REQUIRE(r.result.ok);
      const double err = relative_error(r.result.logits, ref);
      CAPTURE(err);
      CHECK(err <= b.bound);
      CHECK(err > 0.0);  // the format did change something
    }
  }
}

TEST_CASE("compiler: static scales from the ranges", "[compiler]") {
  ModelCase c;
  const S4ModelDesc d = describe(c);
  ActivationRanges r;
  r.encoder_out = 12.7;
  r.layers.resize(d.n_layers);
  r.layers[1].glu = 254.0;
  r.logits = 0.0;
  fw::S4ModelScales s;
  std::string why;
  REQUIRE(fw::s4_model_scales(d, regs::NumberFormat::INT8, &r, &s, &why));
  CHECK(s.encoder_out == float(12.7 / 127));
  CHECK(s.layers[1].glu == 2.0f);
  CHECK(s.logits == 1.0f);  // range 0
  REQUIRE(fw::s4_model_scales(d, regs::NumberFormat::INT16, &r, &s, &why));
  CHECK(s.encoder_out == float(12.7 / 32767));
  REQUIRE(fw::s4_model_scales(d, regs::NumberFormat::BF16, nullptr, &s, &why));
  CHECK(s.encoder_out == 0.0f);
  CHECK(s.layers.size() == d.n_layers);
  r.layers.resize(1);
  CHECK_FALSE(fw::s4_model_scales(d, regs::NumberFormat::INT8, &r, &s, &why));
  CHECK(why.find("1 layers") != std::string::npos);
}

TEST_CASE("compiler: streaming tail stream pattern (double buffering, n-blocks, folds, one barrier per tile)",
          "[compiler]") {
  ModelCase c;
  c.H = 8;
  c.L = 36;  // tiles of 16, 16 and 4 steps: n-blocks 8+8, 8+8, 4
  c.B = 2;
  const ModelData m = make_model(c, 3);
  const FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  fw::S4ModelPlan plan;
  std::string why;
  REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg, nullptr, 16, /*allow_resident=*/false), &plan, &why));
  REQUIRE_FALSE(plan.resident);
  REQUIRE(plan.tail.T == 16);
  REQUIRE(plan.tail.N == 8);
  const std::vector<cmd::Record> s = fw::build_s4_tail_stream(info, m.desc, plan, 0);
  // The stream's first tile is split into two n-blocks (ramp); the last one has one.
  const uint32_t tiles = 7, folds = c.H / info.rows;
  const uint32_t blocks[tiles] = {1, 1, 2, 1, 2, 2, 1};
  // Segments between barriers: prologue, one per tile (fetch next + compute), the last
  // stores, then END.
  std::vector<std::vector<cmd::Opcode>> seg(1);
  std::vector<std::vector<cmd::RunVec>> vecs(1);
  std::vector<cmd::DmaDesc> fetches;
  std::vector<cmd::RunGemm> gemms;
  for (const cmd::Record& r : s) {
    const cmd::Opcode op = cmd::opcode_of(r);
    if (op == cmd::Opcode::BARRIER) {
      seg.emplace_back();
      vecs.emplace_back();
      continue;
    }
    seg.back().push_back(op);
    if (op == cmd::Opcode::RUN_VEC) vecs.back().push_back(cmd::decode_run_vec(r));
    if (op == cmd::Opcode::DMA_IN) fetches.push_back(cmd::decode_dma(r));
    if (op == cmd::Opcode::RUN_GEMM) gemms.push_back(cmd::decode_run_gemm(r));
  }
  REQUIRE(seg.size() == tiles + 3);
  auto count = [](const std::vector<cmd::Opcode>& v, cmd::Opcode op) { return std::count(v.begin(), v.end(), op); };
  // Prologue: W_out, bias, norm and tile 0's s and x.
  CHECK(count(seg[0], cmd::Opcode::DMA_IN) == 5);
  for (uint32_t j = 0; j < tiles; ++j) {
    CAPTURE(j);
    const auto& v = seg[j + 1];
    // Stores of tile j-1 (x, z) and the fetch of tile j+1 (s, x) around tile j's compute.
    CHECK(count(v, cmd::Opcode::DMA_OUT) == (j ? 2 : 0));
    CHECK(count(v, cmd::Opcode::DMA_IN) == (j + 1 < tiles ? 2 : 0));
    CHECK(count(v, cmd::Opcode::RUN_GEMM) == blocks[j] * folds);
    const auto& vv = vecs[j + 1];
    CHECK(std::count_if(vv.begin(), vv.end(), [](const cmd::RunVec& r) { return r.op == cmd::VecOp::GELU; }) ==
          blocks[j]);
    CHECK(vv.size() >= blocks[j] + 4);  // GELU per n-block, AFFINE, GLU, ADD, norm (+ z)
  }
  CHECK(seg[tiles + 1] == std::vector<cmd::Opcode>{cmd::Opcode::DMA_OUT, cmd::Opcode::DMA_OUT});
  CHECK(seg[tiles + 2] == std::vector<cmd::Opcode>{cmd::Opcode::END});
  // Fetches: [H] rows of the tile's steps from [S][H][L]; tile 2 (steps 16..31) in 64-byte rows.
  REQUIRE(fetches.size() == 5 + 2 * (tiles - 1));
  CHECK(fetches[3].row_bytes == 4 * 8);  // tile 0: one n-block
  CHECK(fetches[7].row_bytes == 4 * 16);
  CHECK(fetches[7].rows == c.H);
  CHECK(fetches[7].sys_stride == 4 * c.L);
  CHECK(cmd::decode_dma(s[s.size() - 4]).row_bytes == 4 * 4);  // the last store: 4 steps
  // Tile 2: the GELU of n-block 1 reads s columns 8..15 (rows of 16) and writes its own
  // stationary [H][8] block.
  const std::vector<cmd::RunVec>& t2 = vecs[3];
  REQUIRE(t2.size() >= 3);
  CHECK(t2[0].op == cmd::VecOp::GELU);
  CHECK(t2[1].op == cmd::VecOp::GELU);
  CHECK(t2[1].a_addr == t2[0].a_addr + 4 * 8);
  CHECK(t2[1].a_stride == 16);
  CHECK(t2[1].d_addr == t2[0].d_addr + 4 * c.H * 8);
  CHECK(t2[1].d_stride == 8);
  CHECK(t2[1].length == 8);
  CHECK(t2[2].length == 16);  // the bias AFFINE covers the whole tile
  // Its GEMMs: per n-block, g [H][8] stationary, the 2H W_out rows streaming; the second
  // fold accumulates; n-block 1 writes u columns 8.. of rows of 16.
  REQUIRE(gemms.size() == 10 * folds);
  const cmd::RunGemm* g = &gemms[2 * folds];
  CHECK(g[0].k == 4);
  CHECK(g[0].n == 8);
  CHECK(g[0].m == 16);
  CHECK(g[0].flags == 0);
  CHECK(g[0].param_addr == t2[0].d_addr);
  CHECK(g[0].out_stride == 4 * 16);
  CHECK(g[1].flags == cmd::FLAG_ACCUMULATE);
  CHECK(g[1].param_addr == g[0].param_addr + 4 * 4 * 8);
  CHECK(g[1].in_addr == g[0].in_addr + 16);
  CHECK(g[2].flags == 0);
  CHECK(g[2].param_addr == t2[1].d_addr);
  CHECK(g[2].in_addr == g[0].in_addr);
  CHECK(g[2].out_addr == g[0].out_addr + 4 * 8);
  CHECK(gemms[9 * folds].n == 4);  // the last tile: the 4 remaining steps
  CHECK(gemms[9 * folds].out_stride == 4 * 4);
}

TEST_CASE("compiler: the time tile is the widest multiple of cols that fits, up to the cap", "[compiler]") {
  ModelCase c;
  c.H = 16;
  c.L = 100;
  const ModelData m = make_model(c, 4);
  struct Want { uint32_t input_kib2, cap, T, N; };  // input scratchpad in half KiB
  // Tail input scratchpad: W_out 2048 bytes + four [16][T] tiles of 64*T bytes.
  const Want wants[] = {
      {256, 0, 100, 8},   // the whole sequence (cap 256, L = 100)
      {256, 40, 40, 8},   // the cap, a multiple of cols
      {256, 44, 40, 8},   // the cap rounded down to cols
      {256, 6, 6, 6},     // a cap below cols
      {16, 0, 24, 8},     // 2048 + 256*24 = 8192 exactly
      {14, 0, 16, 8},     // 7 KiB
      {5, 0, 2, 2},       // below cols: one n-block of 2
  };
  for (const Want& w : wants) {
    CAPTURE(w.input_kib2, w.cap);
    FakeAccelConfig cfg = small_accel();
    cfg.spad_kib[0] = w.input_kib2 / 2;
    FakeAccelerator fake(cfg);
    fw::Driver driver(fake);
    fw::AccelInfo info;
    REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
    info.spad_bytes[0] = w.input_kib2 * 512;  // half KiB steps
    fw::S4ModelPlan plan;
    std::string why;
    REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg, nullptr, w.cap), &plan, &why));
    CHECK(plan.tail.T == w.T);
    CHECK(plan.tail.N == w.N);
  }
}

TEST_CASE("compiler: wide and cols-wide time tiles give the same logits bytes", "[compiler]") {
  std::vector<ModelCase> cases;
  ModelCase c;  // tokens, post BatchNorm, bidirectional, lengths < L (last-block tiles trimmed)
  c.L = 45;
  c.B = 3;
  c.bidirectional = true;
  c.short_lengths = true;
  cases.push_back(c);
  c = ModelCase{};
  c.input = InputKind::Values;
  c.d_input = 6;  // two encoder folds, [F][n] input blocks
  c.H = 12;
  c.L = 61;
  c.B = 2;
  c.prenorm = true;
  c.norm = NormKind::Layer;
  c.short_lengths = true;
  cases.push_back(c);
  c.retrieval = true;
  c.d_input = 3;
  c.prenorm = false;
  cases.push_back(c);
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    const ModelData m = make_model(cases[i], 200 + i);
    const Run narrow = run_on_fake(m, cases[i].B, small_accel(), nullptr, 8);
    const Run wide = run_on_fake(m, cases[i].B, small_accel(), nullptr, 32);
    INFO(narrow.result.message << wide.result.message);
    REQUIRE(narrow.result.ok);
    REQUIRE(wide.result.ok);
    CHECK(narrow.plan.tail.T == 8);
    CHECK(narrow.plan.enc.T == 8);
    CHECK(wide.plan.tail.T == 32);
    CHECK(wide.plan.enc.T == 32);
    CHECK(wide.plan.tail.N == 8);
    CHECK(wide.dma_commands < narrow.dma_commands);
    REQUIRE(wide.result.logits.size() == narrow.result.logits.size());
    CHECK(std::memcmp(wide.result.logits.data(), narrow.result.logits.data(),
                      wide.result.logits.size() * sizeof(double)) == 0);
    CHECK(std::memcmp(wide.features.data(), narrow.features.data(), wide.features.size() * 4) == 0);
    CHECK(relative_error(wide.result.logits, reference(m, cases[i].B)) <= 1e-4);
  }
  // A lower precision rounds every vector output: still the same bytes.
  const ModelData m = make_model(cases[1], 201);
  const Run narrow = run_on_fake(m, cases[1].B, small_accel(regs::NumberFormat::BF16), nullptr, 8);
  const Run wide = run_on_fake(m, cases[1].B, small_accel(regs::NumberFormat::BF16), nullptr, 0);
  REQUIRE(narrow.result.ok);
  REQUIRE(wide.result.ok);
  CHECK(wide.plan.tail.T == cases[1].L);
  CHECK(wide.result.logits == narrow.result.logits);
}

TEST_CASE("compiler: memory plan is what the run needs", "[compiler]") {
  ModelCase c;
  c.retrieval = true;
  const ModelData m = make_model(c, 5);
  FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  fw::S4ModelJob job = make_job(m, c.B, cfg);
  uint64_t need = 0;
  std::string why;
  REQUIRE(fw::s4_model_memory_bytes(info, job, &need, &why));
  CHECK(need > 4ull * 2 * c.B * c.H * c.L);  // at least x (resident: z and s stay on chip)
  fw::S4ModelJob streaming = job;
  streaming.allow_resident = false;
  uint64_t need_streaming = 0;
  REQUIRE(fw::s4_model_memory_bytes(info, streaming, &need_streaming, &why));
  CHECK(need_streaming >= need + 2 * 4ull * 2 * c.B * c.H * c.L);  // plus z and s
  job.mem_bytes = need;
  std::vector<std::string> seen;  // on_stage sees every stage once, in order
  job.on_stage = [](void* ctx, const fw::S4ModelStage& st) {
    static_cast<std::vector<std::string>*>(ctx)->push_back(st.name);
  };
  job.on_stage_ctx = &seen;
  fw::S4ModelResult r;
  CHECK(fw::s4_model_run(fake, driver, info, job, &r));
  CHECK(relative_error(r.logits, reference(m, c.B)) <= 1e-4);
  REQUIRE(seen.size() == r.stages.size());
  for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == r.stages[i].name);
  job.mem_bytes = need - 1;
  CHECK_FALSE(fw::s4_model_run(fake, driver, info, job, &r));
  CHECK(r.message.find("bytes of system memory") != std::string::npos);
}

TEST_CASE("compiler: errors name the stage, tensor or input", "[compiler]") {
  ModelCase c;
  c.H = 16;
  ModelData m = make_model(c, 9);
  auto message = [&](const FakeAccelConfig& cfg, const ModelData& md, const ActivationRanges* ranges = nullptr) {
    const Run r = run_on_fake(md, c.B, cfg, ranges);
    CHECK_FALSE(r.result.ok);
    return r.result.message;
  };
  SECTION("W_out does not fit the input scratchpad") {
    FakeAccelConfig cfg = small_accel();
    cfg.spad_kib[0] = 2;  // W_out [32][16] alone is 2048 bytes
    const std::string msg = message(cfg, m);
    CHECK(msg.find("layers.0.tail: input scratchpad needs") != std::string::npos);
    CHECK(msg.find("W_out [32][16] 2048") != std::string::npos);
    CHECK(msg.find("have 2048") != std::string::npos);
  }
  SECTION("embedding table does not fit the parameter scratchpad") {
    ModelCase big = c;
    big.d_input = 300;  // 300 x 16 floats = 19200 bytes
    const ModelData mb = make_model(big, 9);
    FakeAccelConfig cfg = small_accel();
    cfg.spad_kib[1] = 16;
    const std::string msg = message(cfg, mb);
    CHECK(msg.find("encoder: parameter scratchpad needs") != std::string::npos);
    CHECK(msg.find("embedding [300][16]") != std::string::npos);
  }
  SECTION("a smaller scratchpad only narrows the time tile") {
    FakeAccelConfig cfg = small_accel();
    cfg.spad_kib[0] = 3;  // W_out 2048 + four [16][T] tiles: T = 4
    const Run r = run_on_fake(m, c.B, cfg);
    INFO(r.result.message);
    REQUIRE(r.result.ok);
    CHECK(relative_error(r.result.logits, reference(m, c.B)) <= 1e-4);
  }
  SECTION("bad token id") {
    m.inputs[c.L + 4] = c.d_input;
    const std::string msg = message(small_accel(), m);
    CHECK(msg.find("inputs[24] (input 1, step 4) = 5") != std::string::npos);
    CHECK(msg.find("[0, d_input = 5)") != std::string::npos);
  }
  SECTION("length out of range") {
    m.lengths = {3, 0};
    const std::string msg = message(small_accel(), m);
    CHECK(msg.find("lengths[1] (input 1) = 0") != std::string::npos);
  }
  SECTION("integer format without ranges") {
    const std::string msg = message(small_accel(regs::NumberFormat::INT8), m);
    CHECK(msg.find("int8") != std::string::npos);
    CHECK(msg.find("job.ranges") != std::string::npos);
  }
  SECTION("a size beyond a 16-bit command field") {
    ModelCase wide = c;
    wide.classes = 70000;
    const ModelData mw = make_model(wide, 9);
    const std::string msg = message(small_accel(), mw);
    CHECK(msg.find("classes (RUN_VEC channels of the logits) = 70000 exceeds 65535") != std::string::npos);
  }
  SECTION("weights that do not fit the description") {
    m.weights.layers[1].output_linear.bias.pop_back();
    const std::string msg = message(small_accel(), m);
    CHECK(msg.find("layers[1].output_linear.bias") != std::string::npos);
  }
}

TEST_CASE("compiler: the fake's RUN_GEMM computes the documented sums", "[compiler]") {
  // Small integers: every float sum is exact.
  const uint32_t M = 7, N = 11, K = 9;
  FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  std::vector<float> a(M * K), b(K * N);
  for (size_t i = 0; i < a.size(); ++i) a[i] = float(int(i * 5 % 7) - 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = float(int(i * 3 % 5) - 2);
  fw::GemmJob job;
  job.M = M;
  job.N = N;
  job.K = K;
  job.a_addr = cfg.mem_base;
  job.b_addr = job.a_addr + 4096;
  job.c_addr = job.b_addr + 4096;
  job.workspace_addr = job.c_addr + 4096;
  job.workspace_bytes = 1 << 16;
  fake.mem_write(job.a_addr, a.data(), a.size() * 4);
  fake.mem_write(job.b_addr, b.data(), b.size() * 4);
  fw::GemmResult r;
  REQUIRE(fw::gemm_run(fake, driver, info, job, &r));
  std::vector<float> got(M * N);
  fake.mem_read(job.c_addr, got.data(), got.size() * 4);
  for (uint32_t i = 0; i < M; ++i)
    for (uint32_t j = 0; j < N; ++j) {
      double want = 0;
      for (uint32_t k = 0; k < K; ++k) want += double(a[i * K + k]) * b[k * N + j];
      CHECK(got[i * N + j] == want);
    }
}

// ---------------------------------------------------------------------------------------
// Resident activations: z in the input scratchpad, s in the output scratchpad.

TEST_CASE("compiler: resident and streaming activations give the same logits bytes", "[compiler][resident]") {
  std::vector<ModelCase> cases;
  ModelCase c;  // tokens, post BatchNorm, unidirectional, B = 2
  cases.push_back(c);
  c.bidirectional = true;
  c.short_lengths = true;
  c.B = 3;
  cases.push_back(c);  // bidirectional, lengths < L (masked z)
  c = ModelCase{};
  c.input = InputKind::Values;
  c.d_input = 3;
  c.H = 12;
  c.L = 37;
  c.B = 3;
  c.prenorm = true;
  c.norm = NormKind::Layer;
  c.short_lengths = true;
  cases.push_back(c);  // values, prenorm LayerNorm
  c.prenorm = false;
  c.bidirectional = true;
  c.d_input = 6;
  cases.push_back(c);  // values, post LayerNorm, bidirectional
  c = ModelCase{};
  c.retrieval = true;
  c.H = 10;
  c.L = 25;
  c.B = 3;
  c.prenorm = true;
  c.bidirectional = true;
  c.short_lengths = true;
  cases.push_back(c);  // retrieval, prenorm BatchNorm
  c = ModelCase{};
  c.M = 12;  // two mode passes on 8 columns, accumulated in place
  c.bidirectional = true;
  cases.push_back(c);
  c = ModelCase{};
  c.B = 10;  // S = 10 sequences, 80 items over several folds
  c.M = 3;
  c.short_lengths = true;
  cases.push_back(c);

  auto same = [](const Run& resident, const Run& streaming) {
    INFO(resident.result.message << " / " << streaming.result.message);
    REQUIRE(resident.result.ok);
    REQUIRE(streaming.result.ok);
    CHECK(resident.plan.resident);
    CHECK(resident.result.resident);
    CHECK(resident.result.streaming_reason.empty());
    CHECK_FALSE(streaming.plan.resident);
    CHECK_FALSE(streaming.result.resident);
    CHECK(streaming.result.streaming_reason.find("allow_resident") != std::string::npos);
    CHECK(resident.dma_commands < streaming.dma_commands);
    CHECK(resident.result.stages.size() == streaming.result.stages.size());
    REQUIRE(resident.result.logits.size() == streaming.result.logits.size());
    CHECK(std::memcmp(resident.result.logits.data(), streaming.result.logits.data(),
                      resident.result.logits.size() * sizeof(double)) == 0);
    CHECK(std::memcmp(resident.features.data(), streaming.features.data(), resident.features.size() * 4) == 0);
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const ModelCase& mc = cases[i];
    CAPTURE(i, mc.H, mc.M, mc.L, mc.B, mc.prenorm, mc.bidirectional, mc.retrieval);
    const ModelData m = make_model(mc, 300 + i);
    const Run resident = run_on_fake(m, mc.B, small_accel());
    const Run streaming = run_on_fake(m, mc.B, small_accel(), nullptr, 0, false);
    same(resident, streaming);
    CHECK(relative_error(resident.result.logits, reference(m, mc.B)) <= 1e-4);
  }
  // Lower precisions round every vector output (int8 at static scales): still the same bytes.
  for (size_t i : {size_t(2), size_t(3)}) {
    const ModelCase& mc = cases[i];
    const ModelData m = make_model(mc, 300 + i);
    const ActivationRanges ranges = s4_model_activation_ranges(m.desc, m.weights, m.inputs.data(), mc.B,
                                                               m.lengths.data());
    for (regs::NumberFormat f : {regs::NumberFormat::BF16, regs::NumberFormat::INT8}) {
      CAPTURE(i, int(f));
      same(run_on_fake(m, mc.B, small_accel(f), &ranges), run_on_fake(m, mc.B, small_accel(f), &ranges, 0, false));
    }
  }
}

TEST_CASE("compiler: resident streams move no activations but x", "[compiler][resident]") {
  ModelCase c;
  c.H = 8;
  c.L = 36;  // tiles as in the streaming pattern test: 8 (ramp), 8, 16, 4 | 16, 16, 4 steps
  c.B = 2;
  const ModelData m = make_model(c, 3);
  const FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  fw::S4ModelPlan plan;
  std::string why;
  REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg, nullptr, 16), &plan, &why));
  REQUIRE(plan.resident);
  REQUIRE(plan.tail.T == 16);
  const uint32_t Wz = plan.res.z_row_words, Ws = plan.res.s_row_words;
  CHECK(Wz == fw::conflict_free_stride_words(c.L, info.spad_banks[0]));
  CHECK(Ws == fw::conflict_free_stride_words(c.L, info.spad_banks[2]));
  CHECK((plan.res.z == 0 && plan.res.s == 0));
  CHECK((plan.mem.z == 0 && plan.mem.s == 0));  // no z or s in system memory
  CHECK(plan.tail.w_out >= 4 * c.B * c.H * Wz);  // W_out beside the z rows

  // The SSM stage: only coefficient records are fetched, nothing is stored.
  fw::S4dPlan sp;
  char msg[256];
  const fw::S4dLayerJob sj = fw::s4_model_ssm_job(m.desc, plan, 0, 64 << 20);
  REQUIRE(fw::plan_s4d_layer(info, sj, &sp, msg, sizeof msg));
  CHECK((sp.resident && sp.chunks == 1 && sp.in_stride == 4 * Wz && sp.out_stride == 4 * Ws));
  for (const cmd::Record& r : fw::build_s4d_stream(sp, sj)) {
    CHECK(cmd::opcode_of(r) != cmd::Opcode::DMA_OUT);
    if (cmd::opcode_of(r) == cmd::Opcode::DMA_IN) CHECK(cmd::decode_dma(r).spad == cmd::SpadId::PARAM);
  }

  // The tail: per tile one fetch (x) and one store (x'); GELU reads the s rows, z is
  // written into the z rows: post-norm without padding, z is x', which the norm writes
  // there and the store reads from there.
  struct At { uint32_t q, t0; };
  const At tiles[] = {{0, 0}, {0, 8}, {0, 16}, {0, 32}, {1, 0}, {1, 16}, {1, 32}};
  const uint32_t n_tiles = 7;
  std::vector<std::vector<cmd::Record>> seg(1);
  for (const cmd::Record& r : fw::build_s4_tail_stream(info, m.desc, plan, 0)) {
    if (cmd::opcode_of(r) == cmd::Opcode::BARRIER) seg.emplace_back();
    else seg.back().push_back(r);
  }
  REQUIRE(seg.size() == n_tiles + 3);
  auto count = [](const std::vector<cmd::Record>& v, cmd::Opcode op) {
    return std::count_if(v.begin(), v.end(), [op](const cmd::Record& r) { return cmd::opcode_of(r) == op; });
  };
  CHECK(count(seg[0], cmd::Opcode::DMA_IN) == 4);  // W_out, bias, norm, tile 0's x
  for (uint32_t j = 0; j < n_tiles; ++j) {
    CAPTURE(j);
    const std::vector<cmd::Record>& v = seg[j + 1];
    CHECK(count(v, cmd::Opcode::DMA_OUT) == (j ? 1 : 0));
    for (const cmd::Record& r : v)
      if (cmd::opcode_of(r) == cmd::Opcode::DMA_OUT) {
        const cmd::DmaDesc d = cmd::decode_dma(r);  // x' of tile j-1, from its z rows
        CHECK(d.spad == cmd::SpadId::INPUT);
        CHECK(d.spad_addr == 4 * (tiles[j - 1].q * c.H * Wz + tiles[j - 1].t0));
        CHECK(d.spad_stride == 4 * Wz);
        CHECK(d.sys_addr == plan.mem.x + 4 * (tiles[j - 1].q * c.H * c.L + tiles[j - 1].t0));
      }
    CHECK(count(v, cmd::Opcode::DMA_IN) == (j + 1 < n_tiles ? 1 : 0));
    std::vector<cmd::RunVec> vecs;
    for (const cmd::Record& r : v)
      if (cmd::opcode_of(r) == cmd::Opcode::RUN_VEC) vecs.push_back(cmd::decode_run_vec(r));
    REQUIRE(vecs.size() >= 5);
    const cmd::RunVec& gelu = vecs[0];
    CHECK(gelu.op == cmd::VecOp::GELU);
    CHECK(gelu.a_spad == cmd::SpadId::OUTPUT);
    CHECK(gelu.a_stride == Ws);
    CHECK(gelu.a_addr == 4 * (tiles[j].q * c.H * Ws + tiles[j].t0));
    const cmd::RunVec& z = vecs.back();  // the folded BatchNorm writes x' = z
    CHECK(z.op == cmd::VecOp::AFFINE);
    CHECK(z.d_spad == cmd::SpadId::INPUT);
    CHECK(z.d_stride == Wz);
    CHECK(z.d_addr == 4 * (tiles[j].q * c.H * Wz + tiles[j].t0));
    CHECK(z.channels == c.H);
  }
  for (const cmd::Record& r : seg[n_tiles + 1]) CHECK(cmd::decode_dma(r).sys_addr >= plan.mem.x);

  // The encoder stores x only.
  uint64_t stores = 0;
  for (const cmd::Record& r : fw::build_s4_encoder_stream(info, m.desc, plan))
    if (cmd::opcode_of(r) == cmd::Opcode::DMA_OUT) {
      ++stores;
      const cmd::DmaDesc d = cmd::decode_dma(r);
      CHECK((d.sys_addr >= plan.mem.x && d.sys_addr < plan.mem.x + 4ull * c.B * c.H * c.L));
    }
  CHECK(stores > 0);
}

TEST_CASE("compiler: resident exactly when z, s, W_out and the tail's slots fit", "[compiler][resident]") {
  ModelCase c;
  c.H = 16;
  c.L = 100;  // S*H = 32 rows of 105 words (105 % 8 == 1): 13440 bytes of z
  const ModelData m = make_model(c, 4);
  const FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  fw::S4ModelPlan plan;
  std::string why;
  // Tail input scratchpad at the narrowest resident tile (cols = 8 steps): z 13440 +
  // W_out 2048 + two x tiles [16][8] = 16512 bytes.
  info.spad_bytes[0] = 16512;
  REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg), &plan, &why));
  CHECK(plan.resident);
  CHECK(plan.res.z_row_words == 105);
  CHECK(plan.tail.T == 8);
  CHECK(plan.tail.x_slot[1] + 4 * 16 * 8 == 16512);
  info.spad_bytes[0] = 16508;
  REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg), &plan, &why));
  CHECK_FALSE(plan.resident);
  CHECK(plan.streaming_reason.find("resident: layers.0.tail: input scratchpad needs 16512 bytes (resident z [32][105] "
                                   "13440, W_out [32][16] 2048") != std::string::npos);
  CHECK(plan.tail.T == 56);  // streaming: W_out + four [16][T] tiles
  // The output scratchpad: s 13440 + the tail's [2H][T] + 3 [H][T] + 2 x' [H][T] + pools.
  info.spad_bytes[0] = 128 * 1024;
  info.spad_bytes[2] = 13440 + 7 * 512 + 2 * 64;
  REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg), &plan, &why));
  CHECK((plan.resident && plan.tail.T == 8));
  info.spad_bytes[2] -= 4;
  REQUIRE(fw::plan_s4_model(info, make_job(m, c.B, cfg), &plan, &why));
  CHECK_FALSE(plan.resident);
  CHECK(plan.streaming_reason.find("output scratchpad needs") != std::string::npos);
  // Rows longer than a 16-bit RUN_VEC stride.
  ModelCase lc = c;
  lc.L = 65536;
  lc.B = 1;
  lc.layers = 1;
  const ModelData ml = make_model(lc, 4);
  info = fw::AccelInfo{};
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  REQUIRE(fw::plan_s4_model(info, make_job(ml, lc.B, cfg), &plan, &why));
  CHECK_FALSE(plan.resident);
  CHECK(plan.streaming_reason == "resident: a row stride of 65537 words (L = 65536) exceeds the 16-bit RUN_VEC stride");
}

// ---------------------------------------------------------------- the compiled image

namespace {

// System memory only, as the platform's debug back door (platform/soc/loader_hal.h):
// register accesses fail, so the compiler may only write memory through it.
class MemoryOnlyHal : public fw::Hal {
 public:
  MemoryOnlyHal(uint64_t base, size_t bytes) : base_(base), mem_(bytes, 0) {}
  fw::HalStatus reg_read(uint32_t, uint32_t*) override { return fw::HalStatus::BUS_ERROR; }
  fw::HalStatus reg_write(uint32_t, uint32_t) override { return fw::HalStatus::BUS_ERROR; }
  fw::HalStatus mem_read(uint64_t addr, void* dst, size_t n) override {
    if (addr < base_ || addr - base_ > mem_.size() || n > mem_.size() - (addr - base_))
      return fw::HalStatus::BUS_ERROR;
    std::memcpy(dst, mem_.data() + (addr - base_), n);
    return fw::HalStatus::OK;
  }
  fw::HalStatus mem_write(uint64_t addr, const void* src, size_t n) override {
    if (addr < base_ || addr - base_ > mem_.size() || n > mem_.size() - (addr - base_))
      return fw::HalStatus::BUS_ERROR;
    std::memcpy(mem_.data() + (addr - base_), src, n);
    return fw::HalStatus::OK;
  }
  void wait_for_interrupt() override {}
  void log(const char*) override {}
  const std::vector<uint8_t>& bytes() const { return mem_; }

 private:
  uint64_t base_;
  std::vector<uint8_t> mem_;
};

std::vector<uint8_t> read_mem(fw::Hal& hal, uint64_t addr, size_t n) {
  std::vector<uint8_t> v(n);
  REQUIRE(hal.mem_read(addr, v.data(), n) == fw::HalStatus::OK);
  return v;
}

}  // namespace

TEST_CASE("compiler image: the stage table is well formed, streams inside memory and disjoint",
          "[compiler][image]") {
  ModelCase c;
  bool allow_resident = true;
  SECTION("tokens, resident") {}
  SECTION("bidirectional retrieval, streaming") {
    c.bidirectional = true;
    c.retrieval = true;
    allow_resident = false;
  }
  SECTION("values, prenorm, layer norm, three blocks") {
    c.input = InputKind::Values;
    c.d_input = 3;
    c.prenorm = true;
    c.norm = NormKind::Layer;
    c.layers = 3;
  }
  const ModelData m = make_model(c, 21);
  const FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  const fw::S4ModelJob job = make_job(m, c.B, cfg, nullptr, 0, allow_resident);
  fw::S4ModelImage image;
  std::string why;
  REQUIRE(fw::s4_model_compile(fake, info, job, &image, &why));
  INFO(why);

  uint64_t need = 0;
  REQUIRE(fw::s4_model_memory_bytes(info, job, &need, &why));
  CHECK(need == image.memory_bytes);
  CHECK(image.streams_end - job.mem_base == image.memory_bytes);
  CHECK(image.streams_begin == image.plan.mem.workspace);  // after every weight and activation
  CHECK(image.streams_end <= job.mem_base + job.mem_bytes);

  // The table as the runner reads it.
  ec_model_image_header h;
  REQUIRE(fake.mem_read(image.table_addr, &h, sizeof h) == fw::HalStatus::OK);
  CHECK(h.magic == EC_MODEL_IMAGE_MAGIC);
  CHECK(h.version == EC_MODEL_IMAGE_VERSION);
  CHECK(h.reserved == 0);
  REQUIRE(h.stages == 2 + 2 * c.layers);
  REQUIRE(image.stages.size() == h.stages);
  CHECK(image.table_addr % 32 == 0);
  CHECK(image.table_bytes == sizeof h + h.stages * sizeof(ec_model_stage));

  std::vector<std::string> names = {"encoder"};
  for (uint32_t i = 0; i < c.layers; ++i) {
    names.push_back("layers." + std::to_string(i) + ".ssm");
    names.push_back("layers." + std::to_string(i) + ".tail");
  }
  names.push_back("head");
  struct Range { uint64_t lo, hi; std::string what; };
  std::vector<Range> ranges = {{image.table_addr, image.table_addr + image.table_bytes, "table"}};
  for (uint32_t i = 0; i < h.stages; ++i) {
    ec_model_stage e;
    REQUIRE(fake.mem_read(image.table_addr + sizeof h + i * sizeof e, &e, sizeof e) == fw::HalStatus::OK);
    const fw::S4ModelImageStage& st = image.stages[i];
    INFO("stage " << i << " " << st.name);
    CHECK(std::string(e.name, strnlen(e.name, sizeof e.name)) == names[i]);
    CHECK(e.name[sizeof e.name - 1] == '\0');
    CHECK(st.name == names[i]);
    const int32_t layer = i == 0 || i + 1 == h.stages ? -1 : int32_t((i - 1) / 2);
    CHECK(e.layer == layer);
    CHECK(st.layer == layer);
    CHECK(e.stream_addr == st.stream_addr);
    CHECK(e.stream_bytes == st.stream_bytes);
    CHECK(e.stream_addr % 32 == 0);
    CHECK(e.stream_bytes > 0);
    CHECK(e.stream_bytes == uint64_t(st.commands) * cmd::kRecordBytes);
    CHECK(e.stream_addr >= image.streams_begin);
    CHECK(e.stream_addr + e.stream_bytes <= image.streams_end);
    ranges.push_back({e.stream_addr, e.stream_addr + e.stream_bytes, st.name + " stream"});
    const bool ssm = st.name.find(".ssm") != std::string::npos;
    CHECK((st.records_bytes > 0) == ssm);
    if (ssm) {
      CHECK(st.records_addr % 32 == 0);
      CHECK(st.records_addr + st.records_bytes == st.stream_addr);  // the kernel's workspace layout
      CHECK(st.records_addr >= image.streams_begin);
      ranges.push_back({st.records_addr, st.records_addr + st.records_bytes, st.name + " records"});
    }
    // The stream ends with BARRIER, END.
    const std::vector<uint8_t> last = read_mem(fake, e.stream_addr + e.stream_bytes - cmd::kRecordBytes,
                                               cmd::kRecordBytes);
    CHECK(cmd::opcode_of(cmd::unpack(last.data())) == cmd::Opcode::END);
  }
  for (size_t i = 0; i < ranges.size(); ++i)
    for (size_t j = i + 1; j < ranges.size(); ++j) {
      INFO(ranges[i].what << " / " << ranges[j].what);
      CHECK((ranges[i].hi <= ranges[j].lo || ranges[j].hi <= ranges[i].lo));
    }

  // The image runs: the same logits as s4_model_run, every stage completes every record.
  std::unique_ptr<ec_fw_result> run(new ec_fw_result());
  REQUIRE(fw::run_model_image(fake, driver, image.table_addr, run.get()));
  CHECK(run->ok == 1);
  CHECK(run->magic == EC_FW_RESULT_MAGIC);
  CHECK(std::string(run->message).empty());
  REQUIRE(run->stages == h.stages);
  uint64_t cycles = 0, commands = 0;
  for (uint32_t i = 0; i < h.stages; ++i) {
    CHECK(run->stage[i].ok == 1);
    CHECK(run->stage[i].commands_done == image.stages[i].commands);
    cycles += run->stage[i].cycles;
    commands += image.stages[i].commands;
  }
  CHECK(run->job.cycles == cycles);
  CHECK(run->commands == commands);
  fw::S4ModelResult collected;
  REQUIRE(fw::s4_model_collect(fake, image, *run, &collected));
  CHECK(collected.stages.size() == h.stages);
  const Run direct = run_on_fake(m, c.B, cfg, nullptr, 0, allow_resident);
  REQUIRE(direct.result.ok);
  REQUIRE(collected.logits.size() == direct.result.logits.size());
  CHECK(std::memcmp(collected.logits.data(), direct.result.logits.data(), collected.logits.size() * 8) == 0);
  CHECK(relative_error(collected.logits, reference(m, c.B)) <= 1e-4);
}

TEST_CASE("compiler image: compiling twice gives the same bytes, through any Hal", "[compiler][image]") {
  ModelCase c;
  c.bidirectional = true;
  const ModelData m = make_model(c, 22);
  const FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  const fw::S4ModelJob job = make_job(m, c.B, cfg);
  std::string why;
  MemoryOnlyHal first(cfg.mem_base, cfg.mem_bytes), second(cfg.mem_base, cfg.mem_bytes);
  fw::S4ModelImage a, b;
  REQUIRE(fw::s4_model_compile(first, info, job, &a, &why));
  REQUIRE(fw::s4_model_compile(second, info, job, &b, &why));
  CHECK(first.bytes() == second.bytes());
  CHECK(a.table_addr == b.table_addr);
  CHECK(a.memory_bytes == b.memory_bytes);
  REQUIRE(a.stages.size() == b.stages.size());
  for (size_t i = 0; i < a.stages.size(); ++i) {
    CHECK(a.stages[i].stream_addr == b.stages[i].stream_addr);
    CHECK(a.stages[i].stream_bytes == b.stages[i].stream_bytes);
  }
  // The accelerator's own memory after a compile through it holds the same image.
  fw::S4ModelImage c3;
  REQUIRE(fw::s4_model_compile(fake, info, job, &c3, &why));
  CHECK(read_mem(fake, cfg.mem_base, size_t(a.memory_bytes)) ==
        std::vector<uint8_t>(first.bytes().begin(), first.bytes().begin() + size_t(a.memory_bytes)));
  // Too little memory: refused before anything is written.
  fw::S4ModelJob small = job;
  small.mem_bytes = a.memory_bytes - 1;
  MemoryOnlyHal third(cfg.mem_base, cfg.mem_bytes);
  fw::S4ModelImage d;
  CHECK_FALSE(fw::s4_model_compile(third, info, small, &d, &why));
  CHECK(why.find("bytes of system memory") != std::string::npos);
  CHECK(std::all_of(third.bytes().begin(), third.bytes().end(), [](uint8_t v) { return v == 0; }));
}

TEST_CASE("compiler image: the runner checks the table and names the failing stage", "[compiler][image]") {
  ModelCase c;
  const ModelData m = make_model(c, 23);
  const FakeAccelConfig cfg = small_accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  const fw::S4ModelJob job = make_job(m, c.B, cfg);
  std::string why;
  fw::S4ModelImage image;
  REQUIRE(fw::s4_model_compile(fake, info, job, &image, &why));
  std::unique_ptr<ec_fw_result> run(new ec_fw_result());
  const uint64_t entry = image.table_addr + sizeof(ec_model_image_header);

  SECTION("bad magic") {
    const uint32_t bad = 0x12345678;
    REQUIRE(fake.mem_write(image.table_addr, &bad, 4) == fw::HalStatus::OK);
    CHECK_FALSE(fw::run_model_image(fake, driver, image.table_addr, run.get()));
    CHECK(std::string(run->message).find("bad magic") != std::string::npos);
    CHECK(run->stages == 0);
  }
  SECTION("too many stages") {
    const uint32_t many = EC_FW_MAX_STAGES + 1;
    REQUIRE(fake.mem_write(image.table_addr + 8, &many, 4) == fw::HalStatus::OK);
    CHECK_FALSE(fw::run_model_image(fake, driver, image.table_addr, run.get()));
    CHECK(std::string(run->message).find("257 stages") != std::string::npos);
  }
  SECTION("unaligned stream of a later stage: nothing runs") {
    const uint64_t addr = image.stages[3].stream_addr + 4;
    REQUIRE(fake.mem_write(entry + 3 * sizeof(ec_model_stage), &addr, 8) == fw::HalStatus::OK);
    CHECK_FALSE(fw::run_model_image(fake, driver, image.table_addr, run.get()));
    CHECK(std::string(run->message).find("stage 3 (layers.1.ssm): stream at") != std::string::npos);
    CHECK(run->stages == 0);
  }
  SECTION("an accelerator error names the stage and the command") {
    // Stage 2 (layers.0.tail): its first record becomes an unknown opcode.
    std::vector<uint8_t> rec(cmd::kRecordBytes, 0);
    rec[0] = 0xEE;
    REQUIRE(fake.mem_write(image.stages[2].stream_addr, rec.data(), rec.size()) == fw::HalStatus::OK);
    std::vector<uint32_t> seen;
    auto hook = [](void* ctx, uint32_t index, const ec_model_stage&, const fw::JobResult&) {
      static_cast<std::vector<uint32_t>*>(ctx)->push_back(index);
    };
    CHECK_FALSE(fw::run_model_image(fake, driver, image.table_addr, run.get(), hook, &seen));
    const std::string msg = run->message;
    INFO(msg);
    CHECK(msg.rfind("stage 2 (layers.0.tail): accelerator error UNKNOWN_OPCODE", 0) == 0);
    CHECK(msg.find("at command 0 (opcode 0xee") != std::string::npos);
    CHECK(run->ok == 0);
    CHECK(run->stages == 3);
    CHECK(run->stage[0].ok == 1);
    CHECK(run->stage[1].ok == 1);
    CHECK(run->stage[2].ok == 0);
    CHECK(seen == std::vector<uint32_t>{0, 1});  // the hook sees the stages that completed
    fw::S4ModelResult r;
    CHECK_FALSE(fw::s4_model_collect(fake, image, *run, &r));
    CHECK(r.message == msg);
    CHECK(r.stages.size() == 2);
  }
}

// Partial residency (job.partial_resident, docs/model-compiler.md): over a sweep of input
// and output scratchpad sizes, every plan that runs (streaming, partial with several row
// counts, resident) gives the all-streaming plan's logits and features bytes; partial
// plans keep rows resident exactly when the resident form does not fit.
// [sanitize_skip]: ~500 whole-model runs; under ASan (minutes) the e2e [residency] test
// and the other [partial] cases cover the same code.
TEST_CASE("compiler: partial residency gives the streaming logits bytes at every row count",
          "[compiler][partial][sanitize_skip]") {
  std::vector<ModelCase> cases;
  ModelCase c;
  c.L = 200;  // rows of about 800 bytes: the sweep's KiB steps cross row counts
  cases.push_back(c);  // tokens, post BatchNorm, unidirectional, B = 2
  c.bidirectional = true;
  c.short_lengths = true;
  c.B = 3;
  cases.push_back(c);  // bidirectional, masked z
  c = ModelCase{};
  c.input = InputKind::Values;
  c.d_input = 3;
  c.H = 12;
  c.L = 150;
  c.B = 3;
  c.prenorm = true;
  c.norm = NormKind::Layer;
  c.short_lengths = true;
  cases.push_back(c);  // values, prenorm LayerNorm
  c = ModelCase{};
  c.retrieval = true;
  c.H = 10;
  c.L = 120;
  c.B = 2;
  c.prenorm = true;
  c.bidirectional = true;
  cases.push_back(c);  // retrieval
  c = ModelCase{};
  c.M = 12;  // two mode passes: partial sums through memory for the streamed rows
  c.L = 160;
  c.bidirectional = true;
  cases.push_back(c);
  std::set<uint32_t> all_rows;
  bool split = false;
  for (size_t i = 0; i < cases.size(); ++i) {
    const ModelCase& mc = cases[i];
    CAPTURE(i, mc.H, mc.M, mc.L, mc.B, mc.prenorm, mc.bidirectional, mc.retrieval);
    const ModelData m = make_model(mc, 500 + i);
    const ActivationRanges ranges = s4_model_activation_ranges(m.desc, m.weights, m.inputs.data(), mc.B,
                                                               m.lengths.empty() ? nullptr : m.lengths.data());
    std::set<uint32_t> partial_rows;
    bool resident_seen = false;
    for (regs::NumberFormat f : {regs::NumberFormat::FP32, regs::NumberFormat::INT8}) {
      const ActivationRanges* r = f == regs::NumberFormat::INT8 ? &ranges : nullptr;
      for (uint32_t kib = 8; kib <= 96; ++kib) {
        CAPTURE(int(f), kib);
        FakeAccelConfig cfg = small_accel(f);
        cfg.spad_kib[0] = cfg.spad_kib[2] = kib;
        const Run streaming = run_on_fake(m, mc.B, cfg, r, 0, false);
        if (!streaming.result.ok) continue;  // too small for any plan
        FakeAccelerator fake(cfg);
        fw::Driver driver(fake);
        fw::AccelInfo info;
        REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
        fw::S4ModelJob job = make_job(m, mc.B, cfg, r);
        job.partial_resident = true;
        fw::S4ModelResult res;
        fw::s4_model_run(fake, driver, info, job, &res);
        INFO(res.message);
        REQUIRE(res.ok);
        fw::S4ModelPlan plan;
        std::string why;
        REQUIRE(fw::plan_s4_model(info, job, &plan, &why));
        std::vector<float> features(size_t(m.desc.H) * plan.mem.S);
        fake.mem_read(plan.mem.features, features.data(), features.size() * 4);
        CHECK(std::memcmp(res.logits.data(), streaming.result.logits.data(), res.logits.size() * sizeof(double)) == 0);
        CHECK(std::memcmp(features.data(), streaming.features.data(), features.size() * 4) == 0);
        CHECK_FALSE((plan.resident && plan.partial));
        CHECK(res.partial == plan.partial);
        if (plan.resident) resident_seen = true;
        if (plan.partial) {
          CHECK(plan.resident_rows >= 1);
          CHECK(plan.resident_rows <= plan.rows);
          CHECK(res.residency_reason.find("rows resident") != std::string::npos);
          partial_rows.insert(plan.resident_rows);
          // Without the option the same sizes stream: the resident form does not fit.
          const Run all_or_nothing = run_on_fake(m, mc.B, cfg, r);
          REQUIRE(all_or_nothing.result.ok);
          CHECK_FALSE(all_or_nothing.plan.resident);
        }
      }
    }
    std::string seen;
    for (uint32_t R : partial_rows) seen += " " + std::to_string(R);
    INFO("partial row counts:" << seen);
    CHECK(resident_seen);
    CHECK(!partial_rows.empty());
    all_rows.insert(partial_rows.begin(), partial_rows.end());
    for (uint32_t R : partial_rows) split = split || R % mc.H != 0;
  }
  // Several row counts, some splitting a sequence's channels between rows and memory.
  CHECK(all_rows.size() >= 4);
  CHECK(split);
}
