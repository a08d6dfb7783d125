#include "epochcore/maths/reference/mamba_reference.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "epochcore/maths/reference/model_parts.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4_model_reference.h"

namespace epochcore {
using namespace model_parts;

double softplus_torch(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }

double silu(double x) { return x / (1.0 + std::exp(-x)); }

std::vector<double> selective_scan(uint32_t Din, uint32_t N, uint32_t L, const double* u,
                                   const double* delta, const double* A, const double* B,
                                   const double* C, const double* D, const double* z,
                                   const double* delta_bias, bool delta_softplus,
                                   std::vector<double>* last_state) {
  if (!u || !delta || !A || !B || !C) fail("selective_scan: u, delta, A, B and C must be given");
  std::vector<double> out(size_t(Din) * L);
  if (last_state) last_state->assign(size_t(Din) * N, 0.0);
  std::vector<double> h(N);
  for (size_t d = 0; d < Din; ++d) {
    std::fill(h.begin(), h.end(), 0.0);
    const double* Ad = &A[d * N];
    for (size_t t = 0; t < L; ++t) {
      double dt = delta[d * L + t];
      if (delta_bias) dt += delta_bias[d];
      if (delta_softplus) dt = softplus_torch(dt);
      const double ut = u[d * L + t];
      const double dtu = dt * ut;
      double y = 0.0;
      for (size_t n = 0; n < N; ++n) {
        h[n] = std::exp(dt * Ad[n]) * h[n] + dtu * B[n * L + t];
        y += C[n * L + t] * h[n];
      }
      if (D) y += D[d] * ut;
      if (z) y *= silu(z[d * L + t]);
      out[d * L + t] = y;
    }
    if (last_state) std::copy(h.begin(), h.end(), last_state->begin() + d * N);
  }
  return out;
}

std::vector<double> mamba_mixer(const S4ModelDesc& d, const MambaBlockWeights& b, const double* x) {
  const size_t H = d.H, L = d.L, Din = mamba_inner_width(d), N = d.d_state, K = d.d_conv,
               R = mamba_dt_rank(d), J = R + 2 * N;
  // 1. in_proj: rows [0, Din) x, [Din, 2Din) z.
  std::vector<double> xz(2 * Din * L, 0.0);
  for (size_t o = 0; o < 2 * Din; ++o)
    for (size_t h = 0; h < H; ++h) {
      const double w = b.in_proj[o * H + h];
      for (size_t t = 0; t < L; ++t) xz[o * L + t] += w * x[h * L + t];
    }
  const double* xs = xz.data();
  const double* zs = xz.data() + Din * L;
  // 2. causal depthwise conv (tap K-1 on the current step), then SiLU.
  std::vector<double> u(Din * L);
  for (size_t c = 0; c < Din; ++c)
    for (size_t t = 0; t < L; ++t) {
      double acc = b.conv_bias[c];
      for (size_t k = 0; k < K; ++k) {
        const ptrdiff_t tau = ptrdiff_t(t) - ptrdiff_t(K - 1) + ptrdiff_t(k);
        if (tau >= 0) acc += b.conv_weight[c * K + k] * xs[c * L + size_t(tau)];
      }
      u[c * L + t] = silu(acc);
    }
  // 3. x_proj, split [dt_low (R), B (N), C (N)], each [.][L].
  std::vector<double> dbl(J * L, 0.0);
  for (size_t j = 0; j < J; ++j)
    for (size_t c = 0; c < Din; ++c) {
      const double w = b.x_proj[j * Din + c];
      for (size_t t = 0; t < L; ++t) dbl[j * L + t] += w * u[c * L + t];
    }
  // 4. delta = W_dt dt_low (the bias goes into the scan as delta_bias).
  std::vector<double> delta(Din * L, 0.0);
  for (size_t c = 0; c < Din; ++c)
    for (size_t r = 0; r < R; ++r) {
      const double w = b.dt_proj[c * R + r];
      for (size_t t = 0; t < L; ++t) delta[c * L + t] += w * dbl[r * L + t];
    }
  // 5. A = -exp(A_log); 6. the scan with D, the gate, delta_bias and softplus.
  std::vector<double> A(Din * N);
  for (size_t i = 0; i < A.size(); ++i) A[i] = -std::exp(b.A_log[i]);
  const std::vector<double> y =
      selective_scan(uint32_t(Din), uint32_t(N), uint32_t(L), u.data(), delta.data(), A.data(),
                     &dbl[R * L], &dbl[(R + N) * L], b.D.data(), zs, b.dt_bias.data(), true);
  // 7. out_proj.
  std::vector<double> out(H * L, 0.0);
  for (size_t h = 0; h < H; ++h)
    for (size_t c = 0; c < Din; ++c) {
      const double w = b.out_proj[h * Din + c];
      for (size_t t = 0; t < L; ++t) out[h * L + t] += w * y[c * L + t];
    }
  return out;
}

void rms_norm(const S4ModelDesc& d, const std::vector<double>& weight, std::vector<double>& x, uint32_t S) {
  const size_t H = d.H, L = d.L;
  for (size_t s = 0; s < S; ++s)
    for (size_t t = 0; t < L; ++t) {
      double* col = &x[s * H * L + t];  // channel h at col[h * L]
      double ms = 0.0;
      for (size_t h = 0; h < H; ++h) ms += col[h * L] * col[h * L];
      const double inv = 1.0 / std::sqrt(ms / double(H) + d.norm_eps);
      for (size_t h = 0; h < H; ++h) col[h * L] = col[h * L] * inv * weight[h];
    }
}

void mamba_model_block(const S4ModelDesc& d, const MambaBlockWeights& b, std::vector<double>& x,
                       uint32_t S) {
  check_s4_model_desc(d);
  if (d.block != BlockKind::Mamba) fail("mamba_model_block: the description's block is not mamba");
  check_mamba_block_weights(d, b, "block");
  const size_t HL = size_t(d.H) * d.L;
  if (x.size() != S * HL)
    fail("mamba_model_block: x has " + std::to_string(x.size()) + " values, expected S*H*L = " +
         std::to_string(S * HL));
  std::vector<double> z = x;
  rms_norm(d, b.norm, z, S);
  for (size_t s = 0; s < S; ++s) {
    const std::vector<double> m = mamba_mixer(d, b, &z[s * HL]);
    for (size_t i = 0; i < HL; ++i) x[s * HL + i] += m[i];
  }
}

std::vector<double> mamba_model_features(const S4ModelDesc& d, const S4ModelWeights& w,
                                         const double* inputs, uint32_t S, const uint32_t* lengths) {
  if (d.block != BlockKind::Mamba) fail("mamba_model_features: the description's block is not mamba");
  check_lengths(d, lengths, S);
  std::vector<double> x = s4_model_encode(d, w, inputs, S);  // checks d and w
  for (const MambaBlockWeights& b : w.mamba_layers) mamba_model_block(d, b, x, S);
  rms_norm(d, w.final_norm.weight, x, S);
  const std::vector<double> f = mean_pool(d, x, S, lengths);
  return f;
}

S4ModelWeights mamba_model_init(const S4ModelDesc& d, uint64_t seed) {
  check_s4_model_desc(d);
  if (d.block != BlockKind::Mamba) fail("mamba_model_init: the description's block is not mamba");
  const size_t H = d.H, Din = mamba_inner_width(d), N = d.d_state, K = d.d_conv, R = mamba_dt_rank(d);
  Rng rng(seed);
  S4ModelWeights w;
  if (d.input == InputKind::Tokens) {
    w.embedding.resize(size_t(d.d_input) * H);
    for (double& v : w.embedding) v = rng.normal();
  } else {
    w.encoder = init_linear(rng, d.d_input, d.H);
  }
  w.mamba_layers.resize(d.n_layers);
  for (MambaBlockWeights& b : w.mamba_layers) {
    init_uniform(rng, b.in_proj, 2 * Din * H, 1.0 / std::sqrt(double(H)));
    init_uniform(rng, b.conv_weight, Din * K, 1.0 / std::sqrt(double(K)));
    init_uniform(rng, b.conv_bias, Din, 1.0 / std::sqrt(double(K)));
    init_uniform(rng, b.x_proj, (R + 2 * N) * Din, 1.0 / std::sqrt(double(Din)));
    init_uniform(rng, b.dt_proj, Din * R, 1.0 / std::sqrt(double(R)));
    b.dt_bias.resize(Din);
    for (double& v : b.dt_bias) {
      const double lo = std::log(d.dt_min), hi = std::log(d.dt_max);
      const double dt = std::max(std::exp(rng.uniform() * (hi - lo) + lo), 1e-4);
      v = dt + std::log(-std::expm1(-dt));
    }
    b.A_log.resize(Din * N);
    for (size_t c = 0; c < Din; ++c)
      for (size_t n = 0; n < N; ++n) b.A_log[c * N + n] = std::log(double(n + 1));
    b.D.assign(Din, 1.0);
    init_uniform(rng, b.out_proj, H * Din, 1.0 / std::sqrt(double(Din)) / std::sqrt(double(d.n_layers)));
    for (size_t h = 0; h < H; ++h) b.norm.push_back(1.0 + 0.1 * rng.normal());
  }
  for (size_t h = 0; h < H; ++h) w.final_norm.weight.push_back(1.0 + 0.1 * rng.normal());
  if (d.retrieval) {
    w.retrieval_hidden = init_linear(rng, 4 * d.H, d.H);
    w.retrieval_out = init_linear(rng, d.H, d.classes);
  } else {
    w.decoder = init_linear(rng, d.H, d.classes);
  }
  return w;
}

}  // namespace epochcore
