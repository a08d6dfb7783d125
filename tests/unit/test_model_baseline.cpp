// Tests of the whole-model baseline cost (models/baseline/model_baseline_timing.h): totals
// are sums of the stages, each stage equals direct calls of the closed forms it is made
// of (ws_gemm, baseline_s4d_layer, vec_cost), a small case worked by hand, scaling with B
// and L, and errors.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "epochcore/maths/baseline/model_baseline_timing.h"

using namespace epochcore;
using namespace epochcore::baseline;
using Catch::Matchers::Contains;
using vec::VecOp;

namespace {

S4ModelDesc small_model(InputKind input, bool prenorm, NormKind norm, bool bidir, bool retrieval) {
  S4ModelDesc d;
  d.task = "small";
  d.input = input;
  d.d_input = input == InputKind::Tokens ? 11 : 3;
  d.H = 16;
  d.M = 2;
  d.L = 64;
  d.n_layers = 3;
  d.prenorm = prenorm;
  d.norm = norm;
  d.bidirectional = bidir;
  d.retrieval = retrieval;
  d.classes = 5;
  return d;
}

std::vector<S4ModelDesc> all_options() {
  std::vector<S4ModelDesc> v;
  for (InputKind in : {InputKind::Tokens, InputKind::Values})
    for (bool prenorm : {false, true})
      for (NormKind norm : {NormKind::Batch, NormKind::Layer})
        for (bool bidir : {false, true})
          for (bool retrieval : {false, true})
            v.push_back(small_model(in, prenorm, norm, bidir, retrieval));
  return v;
}

// vec_cost's cycles of `calls` calls.
uint64_t vcyc(VecOp op, uint64_t channels, uint64_t steps, const vec::VecCostParams& p,
              uint64_t calls = 1) {
  vec::VecCost c;
  REQUIRE(vec::vec_cost(op, channels, steps, p, c).ok());
  return c.cycles * calls;
}

void check_sum(const BaselineModelStage& got, const std::vector<const BaselineModelStage*>& parts) {
  BaselineModelStage want;
  for (const BaselineModelStage* p : parts) {
    want.cycles += p->cycles;
    want.array_cycles += p->array_cycles;
    want.vector_cycles += p->vector_cycles;
    want.folds += p->folds;
    want.mac_ops += p->mac_ops;
    want.useful_macs += p->useful_macs;
    want.weight_loads += p->weight_loads;
    want.vector_elements += p->vector_elements;
    want.vector_ops.mul += p->vector_ops.mul;
    want.vector_ops.add += p->vector_ops.add;
    want.vector_ops.special += p->vector_ops.special;
    want.vector_ops.move += p->vector_ops.move;
    want.ssm_vector_complex_ops += p->ssm_vector_complex_ops;
    want.ssm_vector_real_ops += p->ssm_vector_real_ops;
    want.sram.input_reads += p->sram.input_reads;
    want.sram.input_writes += p->sram.input_writes;
    want.sram.weight_reads += p->sram.weight_reads;
    want.sram.weight_writes += p->sram.weight_writes;
    want.sram.output_reads += p->sram.output_reads;
    want.sram.output_writes += p->sram.output_writes;
    want.dram_read_bytes += p->dram_read_bytes;
    want.dram_write_bytes += p->dram_write_bytes;
  }
  CHECK(got.cycles == want.cycles);
  CHECK(got.array_cycles == want.array_cycles);
  CHECK(got.vector_cycles == want.vector_cycles);
  CHECK(got.folds == want.folds);
  CHECK(got.mac_ops == want.mac_ops);
  CHECK(got.useful_macs == want.useful_macs);
  CHECK(got.weight_loads == want.weight_loads);
  CHECK(got.vector_elements == want.vector_elements);
  CHECK(got.vector_ops.mul == want.vector_ops.mul);
  CHECK(got.vector_ops.add == want.vector_ops.add);
  CHECK(got.vector_ops.special == want.vector_ops.special);
  CHECK(got.vector_ops.move == want.vector_ops.move);
  CHECK(got.ssm_vector_complex_ops == want.ssm_vector_complex_ops);
  CHECK(got.ssm_vector_real_ops == want.ssm_vector_real_ops);
  CHECK(got.sram.input_reads == want.sram.input_reads);
  CHECK(got.sram.input_writes == want.sram.input_writes);
  CHECK(got.sram.weight_reads == want.sram.weight_reads);
  CHECK(got.sram.weight_writes == want.sram.weight_writes);
  CHECK(got.sram.output_reads == want.sram.output_reads);
  CHECK(got.sram.output_writes == want.sram.output_writes);
  CHECK(got.dram_read_bytes == want.dram_read_bytes);
  CHECK(got.dram_write_bytes == want.dram_write_bytes);
}

void check_utilization(const BaselineModelStage& s, const BaselineConfig& cfg) {
  const double pe_cycles = double(cfg.rows) * cfg.cols * double(s.cycles);
  CHECK(s.utilization == Approx(double(s.mac_ops) / pe_cycles));
  CHECK(s.useful_utilization == Approx(double(s.useful_macs) / pe_cycles));
  CHECK(s.utilization <= 1.0);
  CHECK(s.useful_utilization <= s.utilization);
}

}  // namespace

TEST_CASE("model_baseline: totals and blocks are the sums of the stages", "[model_baseline]") {
  BaselineConfig cfg;
  cfg.rows = cfg.cols = 8;
  const vec::VecCostParams vp;
  for (const S4ModelDesc& d : all_options()) {
    const BaselineModelCost c = baseline_s4_model(cfg, vp, d, 3);
    REQUIRE(c.stages.size() == 2 + 2 * d.n_layers);
    REQUIRE(c.blocks.size() == d.n_layers);
    CHECK(c.B == 3);
    CHECK(c.sequences == (d.retrieval ? 6u : 3u));
    std::vector<const BaselineModelStage*> all;
    for (const BaselineModelStage& s : c.stages) all.push_back(&s);
    check_sum(c.total, all);
    check_utilization(c.total, cfg);
    CHECK(c.stages.front().name == "encoder");
    CHECK(c.stages.back().name == "head");
    for (uint32_t i = 0; i < d.n_layers; ++i) {
      const BaselineModelStage& ssm = c.stages[1 + 2 * i];
      const BaselineModelStage& tail = c.stages[2 + 2 * i];
      CHECK(ssm.name == "layers." + std::to_string(i) + ".ssm");
      CHECK(tail.name == "layers." + std::to_string(i) + ".tail");
      CHECK(ssm.layer == int32_t(i));
      CHECK(tail.layer == int32_t(i));
      CHECK(c.blocks[i].name == "layers." + std::to_string(i));
      CHECK(c.blocks[i].ssm_method == ssm.ssm_method);
      check_sum(c.blocks[i], {&ssm, &tail});
      check_utilization(c.blocks[i], cfg);
    }
    for (const BaselineModelStage& s : c.stages) {
      check_utilization(s, cfg);
      if (s.name.find(".ssm") == std::string::npos) {
        CHECK(s.cycles == s.array_cycles + s.vector_cycles);  // serialized
        CHECK(s.useful_macs == s.mac_ops);                     // dense GEMMs
        CHECK(s.ssm_method.empty());
      }
    }
  }
}

TEST_CASE("model_baseline: every stage equals the closed forms it is made of",
          "[model_baseline]") {
  BaselineConfig cfg;
  cfg.rows = 8, cfg.cols = 16, cfg.vector_lanes = 8, cfg.recurrence_time_block = 4;
  vec::VecCostParams vp;
  vp.lanes = 16, vp.gelu_factor = 5, vp.layernorm_factor = 7, vp.glu_factor = 3, vp.sub_factor = 2;
  for (const S4ModelDesc& d : all_options()) {
    const uint32_t B = 2;
    const uint64_t S = B * documents_per_input(d), H = d.H, L = d.L, C = d.classes;
    const BaselineModelCost c = baseline_s4_model(cfg, vp, d, B);
    const VecOp norm = d.norm == NormKind::Batch ? VecOp::BatchNorm : VecOp::LayerNorm;
    auto gemm = [&](uint64_t M, uint64_t N, uint64_t K) {
      return ws_gemm(M, N, K, cfg.rows, cfg.cols, cfg.overlap_weight_load);
    };

    const BaselineModelStage& enc = c.stages.front();
    const uint64_t enc_norm = d.prenorm ? vcyc(norm, H, L, vp, S) : 0;
    if (d.input == InputKind::Tokens) {
      CHECK(enc.array_cycles == 0);
      CHECK(enc.vector_cycles == vcyc(VecOp::Embedding, H, L, vp, S) + enc_norm);
      CHECK(enc.vector_ops.move == S * H * L);
    } else {
      const GemmTiming g = gemm(S * L, H, d.d_input);
      CHECK(enc.array_cycles == g.cycles);
      CHECK(enc.mac_ops == S * L * H * d.d_input);
      CHECK(enc.vector_cycles == vcyc(VecOp::BatchNorm, H, L, vp, S) + enc_norm);
    }

    const BaselineSsmCost ssm =
        baseline_s4d_layer(cfg, SsmShape{uint32_t(S), d.H, d.M, d.L, d.bidirectional}).best_cost();
    const GemmTiming w_out = gemm(S * L, 2 * H, H);
    const uint64_t tail_vec = vcyc(VecOp::Gelu, H, L, vp, S) + vcyc(VecOp::BatchNorm, 2 * H, L, vp, S) +
                              vcyc(VecOp::Glu, 2 * H, L, vp, S) + vcyc(VecOp::ResidualAdd, H, L, vp, S) +
                              vcyc(norm, H, L, vp, S);
    for (uint32_t i = 0; i < d.n_layers; ++i) {
      const BaselineModelStage& s = c.stages[1 + 2 * i];
      CHECK(s.cycles == ssm.cycles);
      CHECK(s.array_cycles == ssm.array_cycles);
      CHECK(s.vector_cycles == ssm.vector_cycles);
      CHECK(s.mac_ops == ssm.mac_ops);
      CHECK(s.useful_macs == ssm.useful_macs);
      CHECK(s.folds == ssm.folds);
      CHECK(s.ssm_vector_complex_ops == ssm.vector_complex_ops);
      CHECK(s.dram_read_bytes == ssm.dram_read_bytes);
      CHECK(s.sram.input_reads == ssm.sram.input_reads);
      CHECK(s.ssm_method == method_name(ssm.method));
      const BaselineModelStage& t = c.stages[2 + 2 * i];
      CHECK(t.array_cycles == w_out.cycles);
      CHECK(t.folds == w_out.folds);
      CHECK(t.mac_ops == S * L * 2 * H * H);
      CHECK(t.weight_loads == 2 * H * H);
      CHECK(t.vector_cycles == tail_vec);
      // DRAM: s and x in, W_out, b_out and the norm's two vectors; x out (and the next
      // SSM input with prenorm, but not after the last block).
      const uint64_t act = S * H * L;
      CHECK(t.dram_read_bytes == 4 * (2 * act + 2 * H * H + 2 * H + 2 * H));
      const bool two_out = d.prenorm && i + 1 < d.n_layers;
      CHECK(t.dram_write_bytes == 4 * (two_out ? 2 * act : act));
    }

    const BaselineModelStage& head = c.stages.back();
    const uint64_t pool = vcyc(VecOp::MeanPool, H, L, vp, S);
    if (!d.retrieval) {
      CHECK(head.array_cycles == gemm(B, C, H).cycles);
      CHECK(head.vector_cycles == pool + vcyc(VecOp::BatchNorm, C, B, vp));
      CHECK(head.mac_ops == B * C * H);
    } else {
      CHECK(head.array_cycles == gemm(B, H, 4 * H).cycles + gemm(B, C, H).cycles);
      CHECK(head.vector_cycles == pool + vcyc(VecOp::Sub, H, B, vp) + vcyc(VecOp::Mul, H, B, vp) +
                                      vcyc(VecOp::BatchNorm, H, B, vp) + vcyc(VecOp::Gelu, H, B, vp) +
                                      vcyc(VecOp::BatchNorm, C, B, vp));
      CHECK(head.mac_ops == B * (4 * H * H + H * C));
    }
    CHECK(head.dram_write_bytes == 4 * B * C);
  }
}

TEST_CASE("model_baseline: a small model worked by hand", "[model_baseline]") {
  // 4x4 array, 4 vector lanes, default factors; tokens (vocabulary 5), H = 4, L = 8, one
  // unidirectional postnorm BatchNorm block, 3 classes, B = 1.
  BaselineConfig cfg;
  cfg.rows = cfg.cols = 4, cfg.vector_lanes = 4;
  vec::VecCostParams vp;
  vp.lanes = 4;
  S4ModelDesc d;
  d.task = "hand";
  d.input = InputKind::Tokens;
  d.d_input = 5, d.H = 4, d.M = 1, d.L = 8, d.n_layers = 1, d.classes = 3;
  const BaselineModelCost c = baseline_s4_model(cfg, vp, d, 1);
  REQUIRE(c.stages.size() == 4);
  // Encoder: embedding of 32 elements on 4 lanes = 8 cycles; ids (8) and table (20) in,
  // x (32 words) out.
  CHECK(c.stages[0].cycles == 8);
  CHECK(c.stages[0].dram_read_bytes == 4 * 28);
  CHECK(c.stages[0].dram_write_bytes == 4 * 32);
  CHECK(c.stages[0].sram.weight_reads == 32);
  // Tail: W_out GEMM M=8, N=8, K=4: 2 folds of 2*4 + 4 + 8 - 2 = 18 cycles = 36, 256 MACs.
  // Vector: GELU 32/4*4 = 32, bias 64/4 = 16, GLU 32/4*4 = 32, residual 8, BatchNorm 8.
  const BaselineModelStage& tail = c.stages[2];
  CHECK(tail.array_cycles == 36);
  CHECK(tail.mac_ops == 256);
  CHECK(tail.folds == 2);
  CHECK(tail.vector_cycles == 96);
  CHECK(tail.cycles == 132);
  CHECK(tail.vector_elements == 32 + 64 + 32 + 32 + 32);
  CHECK(tail.utilization == Approx(256.0 / (16.0 * 132.0)));
  CHECK(tail.dram_read_bytes == 4 * (64 + 32 + 8 + 8));
  CHECK(tail.dram_write_bytes == 4 * 32);
  // Head: pooling 32/4 = 8; decoder M=1, N=3, K=4: one fold of 8 + 4 + 1 - 2 = 11 cycles,
  // 12 MACs; bias over 3 elements: 1 cycle.
  const BaselineModelStage& head = c.stages[3];
  CHECK(head.array_cycles == 11);
  CHECK(head.vector_cycles == 9);
  CHECK(head.cycles == 20);
  CHECK(head.mac_ops == 12);
  CHECK(head.dram_read_bytes == 4 * (32 + 12 + 3));
  CHECK(head.dram_write_bytes == 4 * 3);
  CHECK(c.total.cycles == 8 + c.stages[1].cycles + 132 + 20);
  CHECK(c.total.mac_ops == c.stages[1].mac_ops + 256 + 12);
}

TEST_CASE("model_baseline: scaling with B and L", "[model_baseline]") {
  BaselineConfig cfg;
  cfg.rows = cfg.cols = 16;
  const vec::VecCostParams vp;  // 32 lanes: H*L = 16*64 is a multiple
  for (bool retrieval : {false, true}) {
    const S4ModelDesc d = small_model(InputKind::Values, true, NormKind::Layer, true, retrieval);
    const BaselineModelCost one = baseline_s4_model(cfg, vp, d, 1);
    const BaselineModelCost two = baseline_s4_model(cfg, vp, d, 2);
    const uint64_t docs = documents_per_input(d);
    // All but the head (its GEMMs stream B rows) and the SSMs (kernel generation does
    // not depend on B; baseline_s4d_layer's own tests cover them).
    for (size_t i = 0; i + 1 < one.stages.size(); ++i) {
      const BaselineModelStage &a = one.stages[i], &b = two.stages[i];
      INFO(a.name);
      if (a.name.find(".ssm") != std::string::npos) continue;
      CHECK(b.mac_ops == 2 * a.mac_ops);
      CHECK(b.useful_macs == 2 * a.useful_macs);
      CHECK(b.vector_elements == 2 * a.vector_elements);
      CHECK(b.vector_cycles == 2 * a.vector_cycles);
      CHECK(b.dram_write_bytes >= a.dram_write_bytes);
      if (a.name.find(".tail") != std::string::npos) {
        // Same folds, each streaming L more rows per extra sequence.
        CHECK(b.folds == a.folds);
        CHECK(b.array_cycles - a.array_cycles == a.folds * docs * d.L);
      }
    }
    S4ModelDesc d2 = d;
    d2.L = 2 * d.L;
    const BaselineModelCost longer = baseline_s4_model(cfg, vp, d2, 1);
    const BaselineModelStage &t1 = one.stages[2], &t2 = longer.stages[2];
    CHECK(t2.vector_cycles == 2 * t1.vector_cycles);
    CHECK(t2.mac_ops == 2 * t1.mac_ops);
    CHECK(t2.array_cycles - t1.array_cycles == t1.folds * docs * d.L);
    CHECK(longer.total.cycles > one.total.cycles);
  }
}

TEST_CASE("model_baseline: the six LRA models at full size", "[model_baseline][lra]") {
  const BaselineConfig cfg;
  const vec::VecCostParams vp;
  for (const std::string& task : lra_task_names()) {
    const S4ModelDesc d = lra_model_description(task);
    const BaselineModelCost c = baseline_s4_model(cfg, vp, d, 1);
    INFO(task);
    CHECK(c.stages.size() == 14);
    CHECK(c.total.cycles > 0);
    CHECK(c.total.utilization > 0);
    CHECK(c.total.utilization <= 1.0);
    // The W_out GEMMs stream L*S rows through 2H*H/(32*32) folds at full utilization but
    // for the fill: above 0.9 at these lengths.
    CHECK(c.stages[2].mac_ops / double(1024 * c.stages[2].array_cycles) > 0.9);
  }
}

TEST_CASE("model_baseline: bad input is an error naming it", "[model_baseline]") {
  const BaselineConfig cfg;
  const vec::VecCostParams vp;
  const S4ModelDesc d = small_model(InputKind::Tokens, false, NormKind::Batch, false, false);
  CHECK_THROWS_WITH(baseline_s4_model(cfg, vp, d, 0), Contains("B: expected at least 1"));
  S4ModelDesc bad = d;
  bad.H = 0;
  CHECK_THROWS_WITH(baseline_s4_model(cfg, vp, bad, 1), Contains("S4ModelDesc.H = 0"));
  bad = d;
  bad.pooling = "max";
  CHECK_THROWS_WITH(baseline_s4_model(cfg, vp, bad, 1), Contains("pooling"));
  BaselineConfig c0 = cfg;
  c0.cols = 0;
  CHECK_THROWS_WITH(baseline_s4_model(c0, vp, d, 1), Contains("BaselineConfig.cols"));
  c0 = cfg;
  c0.vector_lanes = 0;
  CHECK_THROWS_WITH(baseline_s4_model(c0, vp, d, 1), Contains("BaselineConfig.vector_lanes"));
  vec::VecCostParams v0 = vp;
  v0.lanes = 0;
  CHECK_THROWS_WITH(baseline_s4_model(cfg, v0, d, 1),
                    Contains("encoder") && Contains("VecCostParams") && Contains("lanes"));
  v0 = vp;
  v0.glu_factor = 0;
  CHECK_THROWS_WITH(baseline_s4_model(cfg, v0, d, 1), Contains("layers.0.tail"));
  CHECK_THROWS_WITH(baseline_s4_model(cfg, vp, d, 1u << 21), Contains("at most 1048576"));
  bad = d;
  bad.H = 65536, bad.L = 1u << 24;  // the description itself bounds the weights (2H*H per layer)
  CHECK_THROWS_WITH(baseline_s4_model(cfg, vp, bad, 1), Contains("H = 65536") && Contains("weights"));
  bad.H = 8192, bad.M = 1024;  // within the weights' bound, beyond the counters at 2^20 inputs
  CHECK_THROWS_WITH(baseline_s4_model(cfg, vp, bad, 1u << 20), Contains("1e18"));
}

// Mamba blocks (docs/baseline.md, "Mamba blocks").
namespace {

// Worked by hand on a 4x4 array, 4 lanes, default factors (mul 1, batchnorm 1, residual 1,
// kScanExpFactor 2), S 1, Din 2, N 2: T = 4 steps per time block.
//   per fold 2R + C + m - 2 = 12 cycles (m = Din = 2 state rows);
//   full block: 4 blocks of 2 rows = 8 rows, 2 row tiles: 24 cycles, 64 mapped MACs,
//     32 weights; last block of 2 steps: 4 rows, 1 tile: 12 cycles, 16 MACs, 8 weights;
//   updates: ceil(Din*N*t / 4) * (2 + 1 + 1) = 4t cycles: 16 (t = 4), 8 (t = 2);
//   Mul and ResidualAdd of Din x L: ceil(2L / 4) cycles each, three calls.
TEST_CASE("baseline selective scan: tiny shapes worked by hand", "[baseline][model][mamba]") {
  BaselineConfig cfg;
  cfg.rows = 4;
  cfg.cols = 4;
  vec::VecCostParams vp;
  vp.lanes = 4;
  SECTION("L 6: one full time block and a block of 2 steps") {
    const BaselineModelStage s = baseline_selective_scan(cfg, vp, 1, 2, 2, 6);
    // pipeline: 16 + 24 = 40; max(40, 16 + 8) + 12 = 52; + 3 * ceil(12/4) = 61
    CHECK(s.cycles == 61);
    CHECK(s.array_cycles == 36);
    CHECK(s.vector_cycles == 16 + 8 + 9);
    CHECK(s.folds == 3);
    CHECK(s.mac_ops == 80);
    CHECK(s.useful_macs == 24);  // L * Din * N
    CHECK(s.weight_loads == 40);
    CHECK(s.vector_ops.special == 24);  // one exp per state and step
    CHECK(s.vector_ops.mul == 3 * 24 + 2 * 12);
    CHECK(s.vector_ops.add == 24 + 12);
    CHECK(s.utilization == Approx(80.0 / (16.0 * 61)));
  }
  SECTION("L 10: the array bounds the pipeline") {
    // 16 + max(16, 24) + 24 = 64; max(64, 2 * 16 + 8) + 12 = 76; + 3 * ceil(20/4) = 91
    const BaselineModelStage s = baseline_selective_scan(cfg, vp, 1, 2, 2, 10);
    CHECK(s.cycles == 91);
    CHECK(s.array_cycles == 2 * 24 + 12);
    CHECK(s.vector_cycles == 2 * 16 + 8 + 15);
    // S sequences one after another
    const BaselineModelStage s3 = baseline_selective_scan(cfg, vp, 3, 2, 2, 10);
    CHECK(s3.cycles == 3 * 91);
    CHECK(s3.mac_ops == 3 * s.mac_ops);
  }
  SECTION("weight-load overlap hides R cycles per fold after a block's first") {
    cfg.overlap_weight_load = true;
    // full block 24 - 4 = 20: 16 + 20 = 36; max(36, 24) + 12 = 48; + 9 = 57
    CHECK(baseline_selective_scan(cfg, vp, 1, 2, 2, 6).cycles == 57);
  }
  SECTION("errors") {
    CHECK_THROWS_WITH(baseline_selective_scan(cfg, vp, 1, 0, 2, 6), Contains("Din"));
    vp.mul_factor = 0;
    CHECK_THROWS_WITH(baseline_selective_scan(cfg, vp, 1, 2, 2, 6), Contains("mul_factor"));
  }
}

S4ModelDesc small_mamba(uint32_t n_layers) {
  S4ModelDesc d;
  d.task = "small_mamba";
  d.block = BlockKind::Mamba;
  d.input = InputKind::Tokens;
  d.d_input = 7;
  d.H = 8;
  d.L = 20;
  d.n_layers = n_layers;
  d.norm = NormKind::RMS;
  d.prenorm = true;
  d.d_state = 4;
  d.d_conv = 3;
  d.expand = 2;
  d.dt_rank = 0;  // auto: ceil(8 / 16) = 1
  d.classes = 5;
  return d;
}

}  // namespace

TEST_CASE("baseline mamba model: each block stage is the sum of its closed forms", "[baseline][model][mamba]") {
  BaselineConfig cfg;
  cfg.rows = 8;
  cfg.cols = 8;
  vec::VecCostParams vp;
  vp.lanes = 8;
  const S4ModelDesc d = small_mamba(2);
  const uint32_t B = 2;
  const BaselineModelCost c = baseline_s4_model(cfg, vp, d, B);
  REQUIRE(c.stages.size() == 4);
  CHECK(c.stages[0].name == "encoder");
  CHECK(c.stages[1].name == "layers.0.mamba");
  CHECK(c.stages[2].name == "layers.1.mamba");
  CHECK(c.stages[3].name == "head");
  REQUIRE(c.blocks.size() == 2);
  const uint64_t S = B, H = 8, L = 20, Din = 16, R = 1, N = 4, K = 3;
  auto g = [&](uint64_t M, uint64_t Nn, uint64_t Kk) { return ws_gemm(M, Nn, Kk, 8, 8).cycles; };
  auto v = [&](VecOp op, uint64_t ch, uint64_t steps, uint32_t taps = 0) {
    vec::VecCost vc;
    REQUIRE(vec::vec_cost(op, ch, steps, vp, vc, taps).ok());
    return vc.cycles;
  };
  const BaselineModelStage scan = baseline_selective_scan(cfg, vp, S, Din, N, L);
  const uint64_t arr = g(S * L, 2 * Din, H) + g(S * L, R + 2 * N, Din) + g(S * L, Din, R) + g(S * L, H, Din);
  const uint64_t vecc = S * (v(VecOp::RmsNorm, H, L) + v(VecOp::Conv1d, Din, L, K) + v(VecOp::Silu, Din, L) +
                             v(VecOp::BatchNorm, Din, L) + v(VecOp::Softplus, Din, L) + 2 * N * v(VecOp::Copy, 1, L) +
                             v(VecOp::Gate, Din, L) + v(VecOp::ResidualAdd, H, L));
  const BaselineModelStage& b0 = c.stages[1];
  CHECK(b0.array_cycles == arr + scan.array_cycles);
  CHECK(b0.vector_cycles == vecc + scan.vector_cycles);
  CHECK(b0.cycles == arr + vecc + scan.cycles);
  CHECK(b0.useful_macs == S * L * (2 * Din * H + (R + 2 * N) * Din + Din * R + H * Din) + scan.useful_macs);
  // The last block adds the final RMSNorm (norm_f).
  CHECK(c.stages[2].cycles == b0.cycles + S * v(VecOp::RmsNorm, H, L));
  // The encoder: the embedding only (no norm before the first block's own).
  CHECK(c.stages[0].cycles == S * v(VecOp::Embedding, H, L));
  uint64_t sum = 0;
  for (const BaselineModelStage& s : c.stages) sum += s.cycles;
  CHECK(c.total.cycles == sum);
  CHECK(c.blocks[1].cycles == c.stages[2].cycles);
}
