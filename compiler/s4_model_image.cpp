// Model compiler, memory image: the weights in the accelerator's number format, the
// biases and norms as fp32 vector-unit parameter blocks, the SSM parameter blocks, the
// inputs and the pooling scales, written where plan_s4_model put them.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/contract/number_format.h"

namespace epochcore::fw {

namespace {

numfmt::Format to_numfmt(regs::NumberFormat f) {
  switch (f) {
    case regs::NumberFormat::FP32: return numfmt::Format::FP32;
    case regs::NumberFormat::BF16: return numfmt::Format::BF16;
    case regs::NumberFormat::FP16: return numfmt::Format::FP16;
    case regs::NumberFormat::INT16: return numfmt::Format::INT16;
    case regs::NumberFormat::INT8: return numfmt::Format::INT8;
  }
  return numfmt::Format::FP32;
}

class ImageWriter {
 public:
  ImageWriter(Hal& hal, std::string* why) : hal_(hal), why_(why) {}

  bool floats(uint64_t addr, const std::vector<float>& v, const char* what) {
    if (hal_.mem_write(addr, v.data(), v.size() * 4) == HalStatus::OK) return true;
    *why_ = std::string("model image: writing ") + what + " to system memory failed";
    return false;
  }
  // A weight tensor as the format stores it (its own per-tensor scale for int formats).
  bool weight(uint64_t addr, const std::vector<double>& w, numfmt::Format f, const char* what) {
    std::vector<float> v(w.begin(), w.end());
    numfmt::quantise_tensor(f, v.data(), v.data(), v.size());
    return floats(addr, v, what);
  }
  // AFFINE parameters that add a bias: scales 1, then the bias.
  bool bias(uint64_t addr, const std::vector<double>& b, const char* what) {
    std::vector<float> v(2 * b.size(), 1.0f);
    for (size_t i = 0; i < b.size(); ++i) v[b.size() + i] = float(b[i]);
    return floats(addr, v, what);
  }
  // BatchNorm folded into AFFINE (in double, rounded once); LayerNorm: gamma, beta, eps.
  bool norm(uint64_t addr, const S4ModelDesc& d, const NormWeights& n, const char* what) {
    const size_t H = d.H;
    std::vector<float> v;
    if (d.norm == NormKind::Batch) {
      v.resize(2 * H);
      for (size_t h = 0; h < H; ++h) {
        const double scale = n.weight[h] / std::sqrt(n.running_var[h] + d.norm_eps);
        v[h] = float(scale);
        v[H + h] = float(n.bias[h] - n.running_mean[h] * scale);
      }
    } else {
      v.resize(2 * H + 1);
      for (size_t h = 0; h < H; ++h) {
        v[h] = float(n.weight[h]);
        v[H + h] = float(n.bias[h]);
      }
      v[2 * H] = float(d.norm_eps);
    }
    return floats(addr, v, what);
  }
  bool bytes(uint64_t addr, const std::vector<uint8_t>& b, const char* what) {
    if (hal_.mem_write(addr, b.data(), b.size()) == HalStatus::OK) return true;
    *why_ = std::string("model image: writing ") + what + " to system memory failed";
    return false;
  }

 private:
  Hal& hal_;
  std::string* why_;
};

}  // namespace

bool write_s4_model_image(Hal& hal, const S4ModelJob& job, const S4ModelPlan& plan, std::string* why) {
  const S4ModelDesc& d = *job.desc;
  const S4ModelWeights& w = *job.weights;
  const S4ModelLayout& m = plan.mem;
  const numfmt::Format f = to_numfmt(plan.format);
  ImageWriter out(hal, why);
  if (d.input == InputKind::Tokens) {
    if (!out.weight(m.embedding, w.embedding, f, "encoder.weight (embedding)")) return false;
  } else if (!out.weight(m.enc_weight, w.encoder.weight, f, "encoder.weight") ||
             !out.bias(m.enc_affine, w.encoder.bias, "encoder.bias")) {
    return false;
  }
  // block mamba (fp32 only): the layers' tensors as float, RMSNorm blocks weight[H], eps,
  // and the LOAD_COEFFS records of A = -exp(A_log) (in double, rounded once) and D.
  for (uint32_t i = 0; d.block == BlockKind::Mamba && i < d.n_layers; ++i) {
    const MambaBlockWeights& b = w.mamba_layers[i];
    const S4ModelLayout::MambaBlock& mb = m.mamba[i];
    const size_t Din = mamba_inner_width(d), N = d.d_state;
    std::vector<float> norm(b.norm.begin(), b.norm.end());
    norm.push_back(float(d.norm_eps));
    std::vector<float> conv(b.conv_weight.begin(), b.conv_weight.end());
    conv.insert(conv.end(), b.conv_bias.begin(), b.conv_bias.end());
    std::vector<float> rec(Din * N * 8, 0.0f);
    for (size_t c = 0; c < Din; ++c)
      for (size_t n = 0; n < N; ++n) {
        rec[(c * N + n) * 8] = float(-std::exp(b.A_log[c * N + n]));
        if (n == 0) rec[(c * N + n) * 8 + 6] = float(b.D[c]);
      }
    if (!out.floats(mb.norm, norm, "mixer norm") || !out.weight(mb.w_in, b.in_proj, f, "in_proj.weight") ||
        !out.floats(mb.conv, conv, "conv1d") || !out.weight(mb.w_x, b.x_proj, f, "x_proj.weight") ||
        !out.weight(mb.w_dt, b.dt_proj, f, "dt_proj.weight") || !out.bias(mb.dt_affine, b.dt_bias, "dt_proj.bias") ||
        !out.floats(mb.records, rec, "A_log, D (records)") || !out.weight(mb.w_out, b.out_proj, f, "out_proj.weight"))
      return false;
  }
  if (d.block == BlockKind::Mamba) {
    std::vector<float> norm(w.final_norm.weight.begin(), w.final_norm.weight.end());
    norm.push_back(float(d.norm_eps));
    if (!out.floats(m.final_norm, norm, "norm_f")) return false;
  }
  for (uint32_t i = 0; d.block != BlockKind::Mamba && i < d.n_layers; ++i) {
    const S4BlockWeights& b = w.layers[i];
    if (!out.weight(m.layers[i].w_out, b.output_linear.weight, f, "output_linear.weight") ||
        !out.bias(m.layers[i].out_affine, b.output_linear.bias, "output_linear.bias") ||
        !out.norm(m.layers[i].norm, d, b.norm, "norm") ||
        !out.bytes(m.layers[i].ssm_params, encode_s4d_param_block(b.ssm), "SSM parameter block"))
      return false;
    if (plan.liquid.on && !out.floats(m.layers[i].liquid, s4_liquid_tables(d, b), "liquid coefficient tables"))
      return false;
  }
  if (d.prenorm && d.block != BlockKind::Mamba && !out.norm(m.final_norm, d, w.final_norm, "norm (final)")) return false;
  if (!d.retrieval) {
    if (!out.weight(m.head_w, w.decoder.weight, f, "decoder.weight") ||
        !out.bias(m.head_affine, w.decoder.bias, "decoder.bias"))
      return false;
  } else if (!out.weight(m.head_w, w.retrieval_hidden.weight, f, "classifier.0.weight") ||
             !out.bias(m.head_affine, w.retrieval_hidden.bias, "classifier.0.bias") ||
             !out.weight(m.head_w2, w.retrieval_out.weight, f, "classifier.2.weight") ||
             !out.bias(m.head_affine2, w.retrieval_out.bias, "classifier.2.bias")) {
    return false;
  }

  // Mean pooling: AFFINE of the pooled sums with scale 1/len and shift 0, per sequence.
  const size_t S = m.S, H = d.H, L = d.L, F = d.d_input;
  std::vector<float> pool(2 * H * S, 0.0f);
  for (size_t q = 0; q < S; ++q)
    for (size_t h = 0; h < H; ++h) pool[q * 2 * H + h] = float(1.0 / plan.lengths[q]);
  if (!out.floats(m.pool_scale, pool, "pooling scales")) return false;

  if (d.input == InputKind::Tokens) {
    // int32 ids, the bits the EMBED operation reads from its A operand.
    std::vector<uint8_t> ids(4 * S * L);
    for (size_t i = 0; i < S * L; ++i) {
      const int32_t id = int32_t(job.inputs[i]);
      std::memcpy(&ids[4 * i], &id, 4);
    }
    return out.bytes(m.inputs, ids, "token ids");
  }
  // Values [B][docs][L][F] -> per sequence, per n-block of N steps, [F][n] (n = N but for
  // a shorter last block): every encoder tile is then one contiguous run of stationary
  // [F][n] GEMM tiles, one DMA row.
  const size_t N = plan.enc.N;
  std::vector<float> v(S * F * L);
  for (size_t q = 0; q < S; ++q)
    for (size_t t = 0; t < L; ++t) {
      const size_t t0 = t / N * N, n = std::min(N, L - t0);
      for (size_t i = 0; i < F; ++i) v[q * F * L + F * t0 + i * n + (t - t0)] = float(job.inputs[(q * L + t) * F + i]);
    }
  numfmt::quantise_tensor(f, v.data(), v.data(), v.size());
  return out.floats(m.inputs, v, "inputs");
}

}  // namespace epochcore::fw
