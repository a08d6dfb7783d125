#include "epochcore/maths/baseline/model_baseline_timing.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace epochcore::baseline {
namespace {

using vec::VecOp;

// Keeps every 64-bit counter (MACs, elements, bytes) far from overflow.
constexpr double kMaxCount = 1e18;

void add_scaled(vec::VecOpCounts& into, const vec::VecOpCounts& c, uint64_t times) {
  into.mul += c.mul * times;
  into.add += c.add * times;
  into.special += c.special * times;
  into.move += c.move * times;
}

void add_traffic(SramTraffic& into, const SramTraffic& t) {
  into.input_reads += t.input_reads;
  into.input_writes += t.input_writes;
  into.weight_reads += t.weight_reads;
  into.weight_writes += t.weight_writes;
  into.output_reads += t.output_reads;
  into.output_writes += t.output_writes;
}

// Collects one stage's array, vector-unit and memory costs (rules: docs/baseline.md,
// "Whole models").
class StageBuilder {
 public:
  StageBuilder(std::string name, int32_t layer, const BaselineConfig& cfg,
               const vec::VecCostParams& vp)
      : cfg_(cfg), vp_(vp) {
    s_.name = std::move(name);
    s_.layer = layer;
  }

  // Dense GEMM out[M x N] = in[M x K] * w[K x N]; its K*N weights come in by DMA.
  void gemm(uint64_t M, uint64_t N, uint64_t K) {
    const GemmTiming g = ws_gemm(M, N, K, cfg_.rows, cfg_.cols, cfg_.overlap_weight_load);
    s_.array_cycles += g.cycles;
    s_.folds += g.folds;
    s_.mac_ops += g.mac_ops;
    s_.useful_macs += g.mac_ops;
    s_.weight_loads += g.weight_loads;
    s_.sram.weight_reads += g.weight_loads;
    s_.sram.input_reads += g.input_reads;
    s_.sram.output_writes += g.output_writes;
    s_.sram.output_reads += g.psum_reads;
    weights_in(K * N);
  }

  // `calls` vec_cost calls of one operation. Operands are read from the output buffer and
  // results written there, except GELU's, which feed the array from the input buffer.
  void vector(VecOp op, uint64_t channels, uint64_t steps, uint64_t calls, uint32_t taps = 0) {
    const vec::VecCost c = cost(op, channels, steps, taps);
    add_vector_cost(c, calls);
    const uint64_t n = c.elements * calls;
    switch (op) {
      case VecOp::Gelu:
        s_.sram.output_reads += n;
        s_.sram.input_writes += n;
        return;
      case VecOp::Glu:
      case VecOp::ResidualAdd:
      case VecOp::Sub:
      case VecOp::Mul:
      case VecOp::Gate:
        s_.sram.output_reads += 2 * n;
        break;
      case VecOp::Copy:
      // The Mamba operations (Conv1d with its K taps): their A-operand reads.
      case VecOp::Silu:
      case VecOp::Softplus:
      case VecOp::Conv1d:
      case VecOp::RmsNorm:
      case VecOp::Liquid:
        s_.sram.output_reads += n;
        break;
      case VecOp::Zero:
        break;
      case VecOp::BatchNorm:  // also the bias add: an affine with unit scale
        s_.sram.output_reads += n;
        s_.sram.weight_reads += 2 * channels * calls;
        break;
      case VecOp::LayerNorm:  // mean, variance and normalise passes
        s_.sram.output_reads += 3 * n;
        s_.sram.weight_reads += 2 * channels * calls;
        break;
      case VecOp::MeanPool:
      case VecOp::PoolSum:
        s_.sram.output_reads += n;
        s_.sram.output_writes += channels * calls;
        return;
      case VecOp::Embedding:
        s_.sram.input_reads += steps * calls;  // the token ids
        s_.sram.weight_reads += n;             // the table rows
        break;
    }
    s_.sram.output_writes += n;
  }

  // Compulsory DRAM traffic: activations land in / leave from the output buffer, the
  // array's streamed operands and token ids land in the input buffer, weights and
  // per-channel parameters in the weight buffer.
  void activations_in(uint64_t words) {
    s_.dram_read_bytes += words * cfg_.word_bytes;
    s_.sram.output_writes += words;
  }
  void operand_in(uint64_t words) {
    s_.dram_read_bytes += words * cfg_.word_bytes;
    s_.sram.input_writes += words;
  }
  void weights_in(uint64_t words) {
    s_.dram_read_bytes += words * cfg_.word_bytes;
    s_.sram.weight_writes += words;
  }
  void activations_out(uint64_t words) {
    s_.dram_write_bytes += words * cfg_.word_bytes;
    s_.sram.output_reads += words;
  }

  // `calls` Liquid-S4 liquid-term passes of Q orders (vec_cost Liquid, taps = Q): the input
  // u and (accumulating passes) the output are read from the output buffer.
  void liquid(uint64_t channels, uint64_t steps, uint64_t calls, uint32_t Q, bool accumulate) {
    vec::VecCost c;
    const vec::VecStatus st = vec::vec_cost(VecOp::Liquid, channels, steps, vp_, c, Q);
    if (!st.ok())
      throw std::invalid_argument("baseline_s4_model: stage " + s_.name + ": VecCostParams: " + st.error);
    add_vector_cost(c, calls);
    const uint64_t n = c.elements * calls;
    s_.sram.output_reads += accumulate ? 2 * n : n;
    s_.sram.output_writes += n;
  }

  // A part with its own overlap of array and vector work (the selective scan): its
  // counts, and its cycles in place of its array + vector cycles.
  void overlapped(const BaselineModelStage& p) {
    add_stage(s_, p);
    s_.cycles = 0;
    saved_ += p.array_cycles + p.vector_cycles - p.cycles;
  }

  // The array and the vector unit serialized, as on the EpochCore compute queue (but for
  // the overlap inside an overlapped() part).
  BaselineModelStage finish() {
    s_.cycles = s_.array_cycles + s_.vector_cycles - saved_;
    finish_totals(s_, cfg_.rows, cfg_.cols);
    return s_;
  }

 private:
  vec::VecCost cost(VecOp op, uint64_t channels, uint64_t steps, uint32_t taps) const {
    vec::VecCost c;
    const vec::VecStatus st = vec::vec_cost(op, channels, steps, vp_, c, taps);
    if (!st.ok())
      throw std::invalid_argument("baseline_s4_model: stage " + s_.name +
                                  ": VecCostParams: " + st.error);
    return c;
  }
  void add_vector_cost(const vec::VecCost& c, uint64_t calls) {
    s_.vector_cycles += c.cycles * calls;
    s_.vector_elements += c.elements * calls;
    add_scaled(s_.vector_ops, c.ops, calls);
  }

  const BaselineConfig& cfg_;
  const vec::VecCostParams& vp_;
  BaselineModelStage s_;
  uint64_t saved_ = 0;  // cycles the overlapped parts save on array + vector
};

BaselineModelStage ssm_stage(const BaselineSsmCost& c, int32_t layer) {
  BaselineModelStage s;
  s.name = "layers." + std::to_string(layer) + ".ssm";
  s.layer = layer;
  s.ssm_method = method_name(c.method);
  s.cycles = c.cycles;
  s.array_cycles = c.array_cycles;
  s.vector_cycles = c.vector_cycles;
  s.folds = c.folds;
  s.mac_ops = c.mac_ops;
  s.useful_macs = c.useful_macs;
  s.weight_loads = c.weight_loads;
  s.ssm_vector_complex_ops = c.vector_complex_ops;
  s.ssm_vector_real_ops = c.vector_real_ops;
  s.sram = c.sram;
  s.dram_read_bytes = c.dram_read_bytes;
  s.dram_write_bytes = c.dram_write_bytes;
  s.utilization = c.utilization;
  s.useful_utilization = c.useful_utilization;
  return s;
}

void check_inputs(const BaselineConfig& cfg, const S4ModelDesc& d, uint32_t B) {
  check_s4_model_desc(d);
  if (d.block == BlockKind::LiquidS4 && (d.liquid_kernel == LiquidKernel::KBRepo || d.allcombs))
    throw std::invalid_argument(std::string("baseline_s4_model: block liquid_s4 with ") +
                                (d.allcombs ? "allcombs: true" : "liquid_kernel: kb_repo") +
                                " is not costed (only the streaming forms polyb and kb, as on EpochCore)");
  if (B == 0) throw std::invalid_argument("baseline_s4_model: B: expected at least 1 input, got 0");
  if (cfg.rows == 0 || cfg.cols == 0 || cfg.word_bytes == 0)
    throw std::invalid_argument(std::string("BaselineConfig.") +
                                (cfg.rows == 0 ? "rows" : cfg.cols == 0 ? "cols" : "word_bytes") +
                                ": expected at least 1, got 0");
  const double S = double(B) * documents_per_input(d), H = d.H, L = d.L;
  if (S > double(1u << 20))
    throw std::invalid_argument("baseline_s4_model: B = " + std::to_string(B) + " inputs are " +
                                std::to_string(uint64_t(S)) +
                                " sequences: expected at most 1048576 (the SSM batch limit)");
  double worst = S * L * H * (2.0 * H + d.d_input + 16.0) +
                       double(B) * H * (4.0 * H + d.classes) + double(d.d_input) * H;
  if (d.block == BlockKind::Mamba) {  // per step: the four projections, conv and the scan's states
    const double Din = mamba_inner_width(d), R = mamba_dt_rank(d), N = d.d_state;
    worst += S * L * (Din * (3.0 * H + 3.0 * R + 2.0 * N + d.d_conv + 16.0) + Din * N * 8.0);
  }
  if (worst > kMaxCount)
    throw std::invalid_argument("baseline_s4_model: B = " + std::to_string(B) +
                                " inputs of this model need about " + std::to_string(worst) +
                                " operations, more than the 1e18 the counters are sized for");
}

}  // namespace

void add_stage(BaselineModelStage& into, const BaselineModelStage& p) {
  into.cycles += p.cycles;
  into.array_cycles += p.array_cycles;
  into.vector_cycles += p.vector_cycles;
  into.folds += p.folds;
  into.mac_ops += p.mac_ops;
  into.useful_macs += p.useful_macs;
  into.weight_loads += p.weight_loads;
  into.vector_elements += p.vector_elements;
  into.vector_ops += p.vector_ops;
  into.ssm_vector_complex_ops += p.ssm_vector_complex_ops;
  into.ssm_vector_real_ops += p.ssm_vector_real_ops;
  add_traffic(into.sram, p.sram);
  into.dram_read_bytes += p.dram_read_bytes;
  into.dram_write_bytes += p.dram_write_bytes;
  if (into.ssm_method.empty()) into.ssm_method = p.ssm_method;
}

void finish_totals(BaselineModelStage& s, uint32_t R, uint32_t C) {
  const double pe_cycles = double(R) * C * double(s.cycles);
  s.utilization = pe_cycles > 0 ? double(s.mac_ops) / pe_cycles : 0.0;
  s.useful_utilization = pe_cycles > 0 ? double(s.useful_macs) / pe_cycles : 0.0;
}

BaselineModelStage baseline_selective_scan(const BaselineConfig& cfg, const vec::VecCostParams& vp,
                                           uint64_t S, uint64_t Din, uint64_t N, uint64_t L) {
  const char* zero = S == 0 ? "S" : Din == 0 ? "Din" : N == 0 ? "N" : L == 0 ? "L" : cfg.rows == 0 ? "rows"
                     : cfg.cols == 0 ? "cols" : nullptr;
  if (zero) throw std::invalid_argument(std::string("baseline_selective_scan: ") + zero + ": expected at least 1, got 0");
  if (N > UINT32_MAX) throw std::invalid_argument("baseline_selective_scan: N: expected at most 2^32-1");
  {
    const vec::VecStatus st = vec::check_cost_params(vp);
    if (!st.ok()) throw std::invalid_argument("baseline_selective_scan: VecCostParams: " + st.error);
  }
  const uint32_t R = cfg.rows, C = cfg.cols;
  const uint64_t T = std::min<uint64_t>(C, L), nb = L / T, rest = L % T;
  const uint64_t lanes = vp.lanes;
  const uint64_t factor = kScanExpFactor + vp.mul_factor + vp.batchnorm_factor;
  auto v_block = [&](uint64_t t) { return (Din * N * t + lanes - 1) / lanes * factor; };
  const FoldTally full = block_diagonal_tally(std::vector<uint32_t>(T, uint32_t(N)), Din, R, C);
  FoldTally last;
  if (rest) last = block_diagonal_tally(std::vector<uint32_t>(rest, uint32_t(N)), Din, R, C);
  const uint64_t a_full = finish(full, R, C, cfg.overlap_weight_load).cycles;
  const uint64_t a_last = rest ? finish(last, R, C, cfg.overlap_weight_load).cycles : 0;
  const uint64_t v_full = v_block(T), v_last = rest ? v_block(rest) : 0;
  uint64_t done = v_full + (nb - 1) * std::max(v_full, a_full) + a_full;
  if (rest) done = std::max(done, nb * v_full + v_last) + a_last;

  // Before and after the scan, per sequence: du = Delta*u; D*u, then y + D*u.
  vec::VecCost mul, add;
  vec::vec_cost(VecOp::Mul, Din, L, vp, mul);
  vec::vec_cost(VecOp::ResidualAdd, Din, L, vp, add);

  BaselineModelStage s;
  s.name = "selective_scan";
  s.array_cycles = S * (nb * a_full + a_last);
  s.vector_cycles = S * (nb * v_full + v_last + 2 * mul.cycles + add.cycles);
  s.cycles = S * (done + 2 * mul.cycles + add.cycles);
  FoldTally all;
  all.add(full, nb);
  all.add(last);
  const GemmTiming g = finish(all, R, C, cfg.overlap_weight_load);
  s.folds = S * g.folds;
  s.mac_ops = S * g.mac_ops;
  s.useful_macs = S * L * Din * N;
  s.weight_loads = S * g.weight_loads;  // the C_t coefficients, on chip from x_proj
  const uint64_t states = S * L * Din * N;
  s.vector_elements = states + S * (2 * mul.elements + add.elements);
  s.vector_ops.mul = 3 * states;  // Delta*A, du*B, exp(Delta*A)*h
  s.vector_ops.add = states;
  s.vector_ops.special = states;  // exp
  add_scaled(s.vector_ops, mul.ops, 2 * S);
  add_scaled(s.vector_ops, add.ops, S);
  // The array's operands (states streamed from the input buffer, C_t as weights, y);
  // the updates read h, A, Delta, du and B and write h; du, D*u and y on the output buffer.
  s.sram.weight_reads += S * g.weight_loads;
  s.sram.input_reads += S * g.input_reads;
  s.sram.output_writes += S * g.output_writes;
  s.sram.output_reads += S * g.psum_reads;
  s.sram.input_reads += 2 * states;  // h, and B (broadcast per step)
  s.sram.input_writes += states;     // h
  s.sram.weight_reads += states;     // A
  s.sram.output_reads += S * Din * L * 6;   // Delta and u (du), D*u's u, y and D*u, Delta (update)
  s.sram.output_writes += S * Din * L * 3;  // du, D*u, y
  finish_totals(s, R, C);
  return s;
}

namespace {

// Block mamba (docs/baseline.md, "Mamba blocks").
BaselineModelCost baseline_mamba_model(const BaselineConfig& cfg, const vec::VecCostParams& vp,
                                       const S4ModelDesc& d, uint32_t B) {
  BaselineModelCost out;
  out.B = B;
  out.sequences = B * documents_per_input(d);
  const uint64_t S = out.sequences, H = d.H, L = d.L, F = d.d_input, C = d.classes;
  const uint64_t Din = mamba_inner_width(d), R = mamba_dt_rank(d), N = d.d_state, K = d.d_conv;
  const uint64_t act = S * H * L;

  StageBuilder enc("encoder", -1, cfg, vp);
  if (d.input == InputKind::Tokens) {
    enc.operand_in(S * L);
    enc.weights_in(F * H);
    enc.vector(VecOp::Embedding, H, L, S);
  } else {
    enc.operand_in(S * L * F);
    enc.gemm(S * L, H, F);
    enc.weights_in(H);
    enc.vector(VecOp::BatchNorm, H, L, S);
  }
  enc.activations_out(act);
  out.stages.push_back(enc.finish());

  const BaselineModelStage scan = baseline_selective_scan(cfg, vp, S, Din, N, L);
  for (uint32_t i = 0; i < d.n_layers; ++i) {
    StageBuilder m("layers." + std::to_string(i) + ".mamba", int32_t(i), cfg, vp);
    m.activations_in(act);  // x
    m.weights_in(H);        // norm weight
    m.vector(VecOp::RmsNorm, H, L, S);
    m.gemm(S * L, 2 * Din, H);  // in_proj -> x | z
    m.weights_in(Din * K + Din);  // conv weight and bias
    m.vector(VecOp::Conv1d, Din, L, S, uint32_t(K));
    m.vector(VecOp::Silu, Din, L, S);
    m.gemm(S * L, R + 2 * N, Din);  // x_proj -> dt | B | C
    m.gemm(S * L, Din, R);          // dt_proj
    m.weights_in(Din);              // dt_proj bias
    m.vector(VecOp::BatchNorm, Din, L, S);
    m.vector(VecOp::Softplus, Din, L, S);
    m.vector(VecOp::Copy, 1, L, 2 * N * S);  // B_t, C_t: one COPY of L words per state and sequence
    m.weights_in(Din * N + Din);              // A (-exp(A_log)) and D
    m.overlapped(scan);
    m.vector(VecOp::Gate, Din, L, S);  // y * silu(z)
    m.gemm(S * L, H, Din);             // out_proj
    m.vector(VecOp::ResidualAdd, H, L, S);
    if (i + 1 == d.n_layers) {  // the final norm (norm_f), as EpochCore's last block stage
      m.weights_in(H);
      m.vector(VecOp::RmsNorm, H, L, S);
    }
    m.activations_out(act);
    out.stages.push_back(m.finish());
  }

  StageBuilder head("head", -1, cfg, vp);
  head.activations_in(act);
  head.vector(VecOp::MeanPool, H, L, S);
  if (!d.retrieval) {
    head.gemm(B, C, H);
    head.weights_in(C);
    head.vector(VecOp::BatchNorm, C, B, 1);
  } else {
    head.vector(VecOp::Sub, H, B, 1);
    head.vector(VecOp::Mul, H, B, 1);
    head.gemm(B, H, 4 * H);
    head.weights_in(H);
    head.vector(VecOp::BatchNorm, H, B, 1);
    head.vector(VecOp::Gelu, H, B, 1);
    head.gemm(B, C, H);
    head.weights_in(C);
    head.vector(VecOp::BatchNorm, C, B, 1);
  }
  head.activations_out(uint64_t(B) * C);
  out.stages.push_back(head.finish());
  return out;
}

void sum_stages(BaselineModelCost& out, const BaselineConfig& cfg) {
  out.total.name = "model";
  for (const BaselineModelStage& s : out.stages) {
    add_stage(out.total, s);
    if (s.layer < 0) continue;
    if (out.blocks.size() <= size_t(s.layer)) {
      out.blocks.emplace_back();
      out.blocks.back().name = "layers." + std::to_string(s.layer);
      out.blocks.back().layer = s.layer;
    }
    add_stage(out.blocks[size_t(s.layer)], s);
  }
  for (BaselineModelStage& b : out.blocks) finish_totals(b, cfg.rows, cfg.cols);
  finish_totals(out.total, cfg.rows, cfg.cols);
}

}  // namespace

BaselineModelCost baseline_s4_model(const BaselineConfig& cfg, const vec::VecCostParams& vp,
                                    const S4ModelDesc& d, uint32_t B) {
  check_inputs(cfg, d, B);
  if (d.block == BlockKind::Mamba) {
    BaselineModelCost m = baseline_mamba_model(cfg, vp, d, B);
    sum_stages(m, cfg);
    return m;
  }
  BaselineModelCost out;
  out.B = B;
  out.sequences = B * documents_per_input(d);
  const uint64_t S = out.sequences, H = d.H, L = d.L, F = d.d_input, C = d.classes;
  const uint64_t act = S * H * L;  // words of one [S][H][L] activation tensor
  const VecOp norm = d.norm == NormKind::Batch ? VecOp::BatchNorm : VecOp::LayerNorm;

  StageBuilder enc("encoder", -1, cfg, vp);
  if (d.input == InputKind::Tokens) {
    enc.operand_in(S * L);  // token ids
    enc.weights_in(F * H);  // the table
    enc.vector(VecOp::Embedding, H, L, S);
  } else {
    enc.operand_in(S * L * F);
    enc.gemm(S * L, H, F);
    enc.weights_in(H);  // bias
    enc.vector(VecOp::BatchNorm, H, L, S);
  }
  if (d.prenorm) {
    enc.weights_in(2 * H);
    enc.vector(norm, H, L, S);
  }
  enc.activations_out(d.prenorm ? 2 * act : act);  // x (and layer 0's SSM input)
  out.stages.push_back(enc.finish());

  // Every block has the same SSM shape.
  const SsmShape shape{out.sequences, d.H, d.M, d.L, d.bidirectional};
  const BaselineSsmCost ssm = baseline_s4d_layer(cfg, shape).best_cost();
  // Liquid-S4 (docs/liquid-s4.md): the liquid terms on the same vector unit, as stages
  // of their own. polyb: one accumulating pass per direction after the SSM; kb: u~ before
  // the SSM (one pass), the D correction after it (one accumulating pass).
  const bool liquid = d.block == BlockKind::LiquidS4;
  const bool kb = liquid && d.liquid_kernel != LiquidKernel::PolyB;
  const uint32_t Q = d.liquid_degree - 1;
  const uint64_t dirs = d.bidirectional ? 2 : 1;
  for (uint32_t i = 0; i < d.n_layers; ++i) {
    const int32_t layer = int32_t(i);
    if (kb) {
      StageBuilder in("layers." + std::to_string(i) + ".liquid_in", layer, cfg, vp);
      in.activations_in(act);  // z
      in.weights_in(H * Q);
      in.liquid(H, L, S, Q, false);
      in.activations_out(act);  // u~
      out.stages.push_back(in.finish());
    }
    out.stages.push_back(ssm_stage(ssm, layer));
    if (liquid) {
      StageBuilder lq("layers." + std::to_string(i) + ".liquid", layer, cfg, vp);
      lq.activations_in(2 * act);  // z and s
      lq.weights_in((kb ? 1 : dirs) * H * Q);
      lq.liquid(H, L, S * (kb ? 1 : dirs), Q, true);
      lq.activations_out(act);  // s
      out.stages.push_back(lq.finish());
    }
    StageBuilder tail("layers." + std::to_string(i) + ".tail", layer, cfg, vp);
    tail.activations_in(2 * act);  // the SSM output and the residual stream x
    tail.vector(VecOp::Gelu, H, L, S);
    tail.gemm(S * L, 2 * H, H);
    tail.weights_in(2 * H);  // b_out
    tail.vector(VecOp::BatchNorm, 2 * H, L, S);
    tail.vector(VecOp::Glu, 2 * H, L, S);
    tail.vector(VecOp::ResidualAdd, H, L, S);
    tail.weights_in(2 * H);
    tail.vector(norm, H, L, S);
    const bool next_ssm_input = d.prenorm && i + 1 < d.n_layers;
    tail.activations_out(next_ssm_input ? 2 * act : act);
    out.stages.push_back(tail.finish());
  }

  StageBuilder head("head", -1, cfg, vp);
  head.activations_in(act);
  head.vector(VecOp::MeanPool, H, L, S);
  if (!d.retrieval) {  // features laid out [H][B]: one call over B inputs
    head.gemm(B, C, H);
    head.weights_in(C);
    head.vector(VecOp::BatchNorm, C, B, 1);
  } else {  // [f_a, f_b] come from the pooling; f_a - f_b and f_a * f_b are computed
    head.vector(VecOp::Sub, H, B, 1);
    head.vector(VecOp::Mul, H, B, 1);
    head.gemm(B, H, 4 * H);
    head.weights_in(H);
    head.vector(VecOp::BatchNorm, H, B, 1);
    head.vector(VecOp::Gelu, H, B, 1);
    head.gemm(B, C, H);
    head.weights_in(C);
    head.vector(VecOp::BatchNorm, C, B, 1);
  }
  head.activations_out(uint64_t(B) * C);
  out.stages.push_back(head.finish());
  sum_stages(out, cfg);
  return out;
}

}  // namespace epochcore::baseline
