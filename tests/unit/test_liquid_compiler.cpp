// Liquid-S4 blocks on the accelerator (docs/liquid-s4.md), on the functional fake
// accelerator: the model compiler's liquid stages (RUN_VEC LIQUID before / after the S4D
// stage) against the double-precision reference: a block's fp32 output s within 1e-5 of
// liquid_s4_layer on the same input, the logits within 1e-4 of s4_model_forward; and the
// refusals of what the accelerator does not map, by key and tensor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/maths/baseline/model_baseline_timing.h"
#include "epochcore/maths/reference/liquid_s4_reference.h"
#include "epochcore/maths/reference/s4_model_calibration.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/tests/unit/fake_accelerator.h"

using namespace epochcore;
using test::FakeAccelConfig;
using test::FakeAccelerator;

namespace {

struct LiquidCase {
  LiquidKernel kernel = LiquidKernel::PolyB;
  uint32_t P = 2;
  bool bidirectional = false;
  bool prenorm = false;
  uint32_t layers = 2;
};

struct Model {
  S4ModelDesc desc;
  S4ModelWeights weights;
  std::vector<double> inputs;
  std::vector<uint32_t> lengths;
};

Model make_model(const LiquidCase& c, uint32_t B, uint64_t seed) {
  Model m;
  S4ModelDesc& d = m.desc;
  d.task = "liquid_compiler";
  d.input = InputKind::Values;
  d.d_input = 3;
  d.H = 8;
  d.M = 2;
  d.L = 40;
  d.n_layers = c.layers;
  d.prenorm = c.prenorm;
  d.norm = c.prenorm ? NormKind::Layer : NormKind::Batch;
  d.bidirectional = c.bidirectional;
  d.classes = 3;
  d.block = BlockKind::LiquidS4;
  d.liquid_kernel = c.kernel;
  d.liquid_degree = c.P;
  m.weights = s4_model_init(d, seed);
  std::mt19937 rng(uint32_t(seed) * 13 + 5);
  std::normal_distribution<double> normal(0.0, 1.0);
  m.inputs.resize(size_t(B) * d.L * d.d_input);
  for (double& x : m.inputs) x = normal(rng);
  for (uint32_t q = 0; q < B; ++q) m.lengths.push_back(q % 2 ? d.L : 17 + q);
  return m;
}

FakeAccelConfig accel(uint32_t spad_kib = 128, regs::NumberFormat f = regs::NumberFormat::FP32) {
  FakeAccelConfig cfg;
  cfg.spad_kib[0] = cfg.spad_kib[1] = cfg.spad_kib[2] = spad_kib;
  cfg.mem_bytes = 16u << 20;
  cfg.number_format = uint8_t(f);
  return cfg;
}

fw::S4ModelJob make_job(const Model& m, uint32_t B, const FakeAccelConfig& cfg, bool allow_resident) {
  fw::S4ModelJob job;
  job.desc = &m.desc;
  job.weights = &m.weights;
  job.B = B;
  job.inputs = m.inputs.data();
  job.lengths = m.lengths.data();
  job.mem_base = cfg.mem_base;
  job.mem_bytes = cfg.mem_bytes;
  job.allow_resident = allow_resident;
  return job;
}

double relative_error(const std::vector<double>& got, const std::vector<double>& ref) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::abs(got[i] - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return err / scale;
}

void report(const char* what, double v) {
  if (std::getenv("EC_PRINT_ERRORS")) std::printf("measured %s: %.3g\n", what, v);
}

std::string name_of(const LiquidCase& c) {
  return std::string(c.kernel == LiquidKernel::KB ? "kb" : "polyb") + " P=" + std::to_string(c.P) +
         (c.bidirectional ? " bidirectional" : "") + (c.prenorm ? " prenorm" : "");
}

}  // namespace

TEST_CASE("liquid compiler: fp32 logits match the double reference (polyb, kb; P 2, 3; resident and streaming)",
          "[compiler][liquid]") {
  const uint32_t B = 3;
  double worst = 0;
  for (LiquidKernel k : {LiquidKernel::PolyB, LiquidKernel::KB})
    for (uint32_t P : {2u, 3u})
      for (bool bidir : {false, true})
        for (bool resident : {true, false}) {
          LiquidCase c;
          c.kernel = k;
          c.P = P;
          c.bidirectional = bidir;
          c.prenorm = P == 3;
          const Model m = make_model(c, B, 40 + P);
          INFO(name_of(c) << (resident ? " resident allowed" : " streaming"));
          const FakeAccelConfig cfg = accel();
          FakeAccelerator fake(cfg);
          fw::Driver driver(fake);
          fw::AccelInfo info;
          REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
          const fw::S4ModelJob job = make_job(m, B, cfg, resident);
          fw::S4ModelResult r;
          fw::s4_model_run(fake, driver, info, job, &r);
          INFO(r.message);
          REQUIRE(r.ok);
          // polyb runs resident when allowed; kb always streams (u~ has no resident place).
          CHECK(r.resident == (resident && k == LiquidKernel::PolyB));
          // Stages: encoder, per block [liquid_in,] ssm, liquid, tail, head.
          const size_t per_block = k == LiquidKernel::KB ? 4 : 3;
          REQUIRE(r.stages.size() == 2 + per_block * m.desc.n_layers);
          CHECK(r.stages[per_block - 1].name == "layers.0.liquid");
          if (k == LiquidKernel::KB) CHECK(r.stages[1].name == "layers.0.liquid_in");
          const std::vector<double> ref =
              s4_model_forward(m.desc, m.weights, m.inputs.data(), B, m.lengths.data());
          const double e = relative_error(r.logits, ref);
          worst = std::max(worst, e);
          CHECK(e <= 1e-4);
        }
  report("liquid logits max |err| / max |ref|", worst);
}

TEST_CASE("liquid compiler: a block's fp32 output is within 1e-5 of the double layer reference", "[compiler][liquid]") {
  // One streaming block: the last block's SSM input z and its output s (after the liquid
  // stage) stay in system memory; s is compared with liquid_s4_layer(z) in double.
  const uint32_t B = 2;
  double worst = 0;
  for (LiquidKernel k : {LiquidKernel::PolyB, LiquidKernel::KB})
    for (uint32_t P : {2u, 3u})
      for (bool bidir : {false, true}) {
        LiquidCase c;
        c.kernel = k;
        c.P = P;
        c.bidirectional = bidir;
        c.layers = 1;
        const Model m = make_model(c, B, 70 + P);
        INFO(name_of(c));
        // Tiles of 13 steps (L = 40: 13, 13, 13, 1): tile edges, a mirrored window whose
        // history is partly before step 0 (zeros by ZERO, the rest by DMA).
        const FakeAccelConfig cfg = accel();
        FakeAccelerator fake(cfg);
        fw::Driver driver(fake);
        fw::AccelInfo info;
        REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
        fw::S4ModelJob job = make_job(m, B, cfg, false);
        job.max_tile_steps = 13;
        fw::S4ModelResult r;
        fw::s4_model_run(fake, driver, info, job, &r);
        INFO(r.message);
        REQUIRE(r.ok);
        fw::S4ModelPlan plan;
        std::string why;
        REQUIRE(fw::plan_s4_model(info, job, &plan, &why));
        CHECK(plan.liquid.T == 13);  // tiled
        const size_t n = size_t(B) * m.desc.H * m.desc.L;
        std::vector<float> z(n), s(n);
        fake.mem_read(plan.mem.z, z.data(), n * 4);
        fake.mem_read(plan.mem.s, s.data(), n * 4);
        const std::vector<double> zd(z.begin(), z.end());
        const std::vector<double> want = liquid_s4_layer(liquid_spec(m.desc), m.weights.layers[0].ssm,
                                                         m.weights.layers[0].liquid, zd.data(), B, m.desc.L);
        const std::vector<double> got(s.begin(), s.end());
        const double e = relative_error(got, want);
        worst = std::max(worst, e);
        CHECK(e <= 1e-5);
      }
  report("liquid layer output max |err| / max |ref|", worst);
}

TEST_CASE("liquid compiler: what the accelerator does not map is refused by key and tensor", "[compiler][liquid]") {
  LiquidCase c;
  c.bidirectional = true;
  const FakeAccelConfig cfg = accel();
  FakeAccelerator fake(cfg);
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  auto refused = [&](Model m, const char* part, fw::AccelInfo hw) {
    const fw::S4ModelJob job = make_job(m, 2, cfg, true);
    fw::S4ModelPlan plan;
    std::string why;
    CHECK_FALSE(fw::plan_s4_model(hw, job, &plan, &why));
    INFO(why);
    CHECK(why.find(part) != std::string::npos);
  };
  {
    c.kernel = LiquidKernel::KBRepo;
    refused(make_model(c, 2, 1), "liquid_kernel: kb_repo is not supported on the accelerator", info);
  }
  {
    c.kernel = LiquidKernel::PolyB;
    Model m = make_model(c, 2, 1);
    m.desc.allcombs = true;
    m.weights = s4_model_init(m.desc, 1);
    refused(m, "allcombs: true is not supported on the accelerator", info);
  }
  {
    Model m = make_model(c, 2, 1);
    m.desc.lcontract = LiquidContract::Tanh;
    refused(m, "lcontract: tanh and lecun are not supported", info);
  }
  {
    Model m = make_model(c, 2, 1);
    fw::AccelInfo i8 = info;
    i8.number_format = uint8_t(regs::NumberFormat::INT8);
    const fw::S4ModelJob job = make_job(m, 2, cfg, true);
    fw::S4ModelPlan plan;
    std::string why;
    ActivationRanges ranges = s4_model_activation_ranges(m.desc, m.weights, m.inputs.data(), 2, m.lengths.data());
    fw::S4ModelJob j8 = job;
    j8.ranges = &ranges;
    CHECK_FALSE(fw::plan_s4_model(i8, j8, &plan, &why));
    CHECK(why.find("integer number formats are not supported") != std::string::npos);
  }
  {
    c.kernel = LiquidKernel::KB;
    Model m = make_model(c, 2, 1);
    m.weights.layers[1].liquid.S[m.desc.H + 2] *= 1.5;  // direction 1, channel 2
    refused(m, "tensor layers.1.layer.liquid.S: channel 2 has different S for the two directions", info);
  }
}

TEST_CASE("liquid baseline: the liquid stages' cost is vec_cost's Liquid pass", "[model_baseline][liquid]") {
  const baseline::BaselineConfig cfg;
  const vec::VecCostParams vp;
  for (LiquidKernel k : {LiquidKernel::PolyB, LiquidKernel::KB})
    for (bool bidir : {false, true}) {
      LiquidCase c;
      c.kernel = k;
      c.P = 3;
      c.bidirectional = bidir;
      const Model m = make_model(c, 2, 3);
      INFO(name_of(c));
      const baseline::BaselineModelCost cost = baseline::baseline_s4_model(cfg, vp, m.desc, 2);
      S4ModelDesc plain = m.desc;
      plain.block = BlockKind::S4D;
      const baseline::BaselineModelCost base = baseline::baseline_s4_model(cfg, vp, plain, 2);
      const size_t extra = k == LiquidKernel::KB ? 2 : 1;
      REQUIRE(cost.stages.size() == base.stages.size() + extra * m.desc.n_layers);
      vec::VecCost one;
      REQUIRE(vec::vec_cost(vec::VecOp::Liquid, m.desc.H, m.desc.L, vp, one, 2).ok());
      const uint64_t S = 2, dirs = bidir ? 2 : 1;
      uint64_t liquid_cycles = 0;
      for (const baseline::BaselineModelStage& st : cost.stages)
        if (st.name.find(".liquid") != std::string::npos) {
          CHECK(st.array_cycles == 0);
          const uint64_t passes = st.name.find("liquid_in") != std::string::npos || k == LiquidKernel::KB ? 1 : dirs;
          CHECK(st.vector_cycles == one.cycles * S * passes);
          CHECK(st.cycles == st.vector_cycles);
          liquid_cycles += st.cycles;
        }
      CHECK(cost.total.cycles == base.total.cycles + liquid_cycles);
    }
  LiquidCase r;
  r.kernel = LiquidKernel::KBRepo;
  const Model m = make_model(r, 2, 3);
  CHECK_THROWS_WITH(baseline::baseline_s4_model(cfg, vp, m.desc, 2), Catch::Contains("liquid_kernel: kb_repo is not costed"));
}
