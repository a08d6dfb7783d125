#include "epochcore/maths/reference/liquid_s4_reference.h"

#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

#include "epochcore/maths/reference/s4d_reference.h"

namespace epochcore {
namespace {

constexpr double kPi = 3.14159265358979323846;
using cdouble = std::complex<double>;

[[noreturn]] void fail(const std::string& m) { throw std::invalid_argument(m); }

void check_weights(const LiquidSpec& s, uint32_t H, uint32_t dirs, const std::vector<double>& K,
                   const LiquidWeights& w, uint32_t L) {
  if (s.degree < 2 || s.degree > kMaxLiquidDegree)
    fail("liquid: liquid_degree = " + std::to_string(s.degree) + ": expected [2, " +
         std::to_string(kMaxLiquidDegree) + "]");
  if (dirs != 1 && dirs != 2) fail("liquid: directions must be 1 or 2");
  const size_t orders = s.degree - 1;
  if (s.kernel == LiquidKernel::PolyB) {
    if (w.gamma.size() != dirs * orders * H)
      fail("liquid.gamma: expected [directions][P-1][H] = " + std::to_string(dirs * orders * H) +
           " values, got " + std::to_string(w.gamma.size()));
  } else {
    if (w.S.size() != size_t(dirs) * H)
      fail("liquid.S: expected [directions][H] = " + std::to_string(size_t(dirs) * H) +
           " values, got " + std::to_string(w.S.size()));
    if (K.size() != size_t(dirs) * H * L)
      fail("liquid: kernel K: expected [directions][H][L] = " + std::to_string(size_t(dirs) * H * L) +
           " values, got " + std::to_string(K.size()));
  }
  if (s.kernel == LiquidKernel::KB && s.allcombs)
    fail("liquid: allcombs = true with liquid_kernel kb (the causal form needs allcombs false)");
}

}  // namespace

LiquidSpec liquid_spec(const S4ModelDesc& d) {
  LiquidSpec s;
  s.kernel = d.liquid_kernel;
  s.degree = d.liquid_degree;
  s.allcombs = d.allcombs;
  s.lcontract = d.lcontract;
  return s;
}

double liquid_contract(LiquidContract g, double x) {
  switch (g) {
    case LiquidContract::Tanh: return std::tanh(x);
    case LiquidContract::Lecun: return 1.7159 * std::tanh(0.666 * x);
    default: return x;
  }
}

std::vector<std::vector<uint32_t>> liquid_allcombs_indices(uint32_t L, uint32_t p) {
  const uint32_t n = liquid_allcombs_window(L, p);
  if (n == 0 || p < 2)
    fail("liquid allcombs: L = " + std::to_string(L) + " is too short for order p = " +
         std::to_string(p) + ": no n in [2, L) with binom(n, p) >= L (the repository's "
         "get_combs_cache then builds an empty index list and crashes)");
  // All p-subsets of {L-n, .., L-1} in lexicographic order, keeping the last L: enumerate
  // them all (binom(n, p) < L * n / (n - p + 1) + ..., small since n is minimal).
  std::vector<std::vector<uint32_t>> all;
  std::vector<uint32_t> c(p);
  for (uint32_t i = 0; i < p; ++i) c[i] = i;
  while (true) {
    std::vector<uint32_t> subset(p);
    for (uint32_t i = 0; i < p; ++i) subset[i] = L - n + c[i];
    all.push_back(subset);
    int i = int(p) - 1;
    while (i >= 0 && c[i] == n - p + uint32_t(i)) --i;
    if (i < 0) break;
    ++c[i];
    for (uint32_t j = uint32_t(i) + 1; j < p; ++j) c[j] = c[j - 1] + 1;
  }
  // binom(n, p) >= L by the choice of n, so there are always at least L subsets.
  return std::vector<std::vector<uint32_t>>(all.end() - L, all.end());
}

std::vector<double> liquid_correlations(const LiquidSpec& s, const double* u, uint32_t L) {
  const size_t orders = s.degree - 1;
  std::vector<double> out(orders * L);
  std::vector<double> prev(u, u + L), cur(L);  // unsquashed c_{p-1}
  for (uint32_t p = 2; p <= s.degree; ++p) {
    if (s.allcombs) {
      const auto idx = liquid_allcombs_indices(L, p);
      for (size_t r = 0; r < L; ++r) {
        double v = 1.0;
        for (uint32_t i : idx[r]) v *= u[i];
        cur[r] = v;
      }
    } else {
      for (size_t t = 0; t < L; ++t) cur[t] = t == 0 ? 0.0 : prev[t] * prev[t - 1];
    }
    for (size_t t = 0; t < L; ++t) out[(p - 2) * L + t] = liquid_contract(s.lcontract, cur[t]);
    prev.swap(cur);
  }
  return out;
}

std::vector<double> liquid_terms(const LiquidSpec& s, uint32_t H, uint32_t dirs,
                                 const std::vector<double>& K, const LiquidWeights& w,
                                 const double* u, uint32_t B, uint32_t L) {
  check_weights(s, H, dirs, K, w, L);
  if (!u && B) fail("liquid_terms: input u is null");
  const size_t orders = s.degree - 1;
  std::vector<double> y(size_t(B) * H * L, 0.0);
  // kb_repo: the kernels' spectra on the (L+1)-point grid do not depend on the input.
  std::vector<cdouble> twiddle_2L(2 * size_t(L)), twiddle_L1(L + 1);
  for (size_t k = 0; k < 2 * size_t(L); ++k)
    twiddle_2L[k] = std::polar(1.0, -2.0 * kPi * double(k) / (2.0 * L));
  for (size_t k = 0; k <= L; ++k) twiddle_L1[k] = std::polar(1.0, -2.0 * kPi * double(k) / (L + 1.0));
  std::vector<double> kb(L + 1), v(L);
  std::vector<cdouble> Z(L + 1);
  for (size_t b = 0; b < B; ++b) {
    for (size_t h = 0; h < H; ++h) {
      const double* ub = u + (b * H + h) * L;
      double* yb = &y[(b * H + h) * L];
      const std::vector<double> c = liquid_correlations(s, ub, L);  // [P-1][L], unflipped
      for (size_t o = 0; o < orders; ++o) {
        const double* cp = &c[o * L];
        const double p1 = double(o + 1);  // p - 1
        if (s.kernel == LiquidKernel::PolyB) {
          const double g0 = w.gamma[(0 * orders + o) * H + h];
          for (size_t t = 0; t < L; ++t) yb[t] += g0 * cp[L - 1 - t];  // flipped
          if (dirs == 2) {
            const double g1 = w.gamma[(1 * orders + o) * H + h];
            for (size_t t = 0; t < L; ++t) yb[t] += g1 * cp[t];  // flip(2) undoes the flip
          }
        } else if (s.kernel == LiquidKernel::KB) {
          // K0 * (S0^(p-1) c_p) causal, K1 * (S1^(p-1) c_p) anti-causal (s > t).
          const double* k0 = &K[h * L];
          const double f0 = std::pow(w.S[h], p1);
          for (size_t t = 0; t < L; ++t) {
            double acc = 0.0;
            for (size_t j = 0; j <= t; ++j) acc += k0[t - j] * cp[j];
            yb[t] += f0 * acc;
          }
          if (dirs == 2) {
            const double* k1 = &K[(H + h) * L];
            const double f1 = std::pow(w.S[H + h], p1);
            for (size_t t = 0; t < L; ++t) {
              double acc = 0.0;
              for (size_t j = t + 1; j < L; ++j) acc += k1[j - t - 1] * cp[j];
              yb[t] += f1 * acc;
            }
          }
        } else {  // kb_repo
          // kb_p: the first L+1 taps of the merged kernel, each direction times S_d^(p-1).
          std::fill(kb.begin(), kb.end(), 0.0);
          const double f0 = std::pow(w.S[h], p1);
          for (size_t t = 0; t < L; ++t) kb[t] = K[h * L + t] * f0;
          if (dirs == 2)  // pad(flip(K1), (L, 0)): tap L is K1[L-1]
            kb[L] = K[(H + h) * L + L - 1] * std::pow(w.S[H + h], p1);
          for (size_t t = 0; t < L; ++t) v[t] = cp[L - 1 - t];  // ^c_p
          for (size_t m = 0; m <= L; ++m) {
            cdouble cf(0.0, 0.0), kf(0.0, 0.0);
            for (size_t t = 0; t < L; ++t) cf += v[t] * twiddle_2L[(m * t) % (2 * size_t(L))];
            for (size_t q = 0; q <= L; ++q) kf += kb[q] * twiddle_L1[(m * q) % (size_t(L) + 1)];
            Z[m] = cf * kf;
          }
          for (size_t n = 0; n < L; ++n) {
            double acc = Z[0].real() + ((n % 2) ? -Z[L].real() : Z[L].real());
            for (size_t m = 1; m < L; ++m)  // e^{+2 pi i m n / 2L} = conj(twiddle)
              acc += 2.0 * (Z[m] * std::conj(twiddle_2L[(m * n) % (2 * size_t(L))])).real();
            yb[n] += acc / (2.0 * L);
          }
        }
      }
    }
  }
  return y;
}

std::vector<double> liquid_s4_layer(const LiquidSpec& s, const S4dParams& p,
                                    const LiquidWeights& w, const double* u, uint32_t B,
                                    uint32_t L) {
  std::vector<double> y = s4d_recurrence(p, u, B, L);
  const std::vector<double> K =
      s.kernel == LiquidKernel::PolyB ? std::vector<double>() : s4d_kernel(p, L);
  const std::vector<double> extra = liquid_terms(s, p.H, p.directions, K, w, u, B, L);
  for (size_t i = 0; i < y.size(); ++i) y[i] += extra[i];
  return y;
}

LiquidWeights liquid_coefficients_repo(const LiquidSpec& s, const S4dParams& p) {
  check_s4d_params(p);
  const size_t H = p.H, M = p.M, dirs = p.directions, orders = s.degree - 1;
  LiquidWeights w;
  if (s.kernel == LiquidKernel::PolyB)
    w.gamma.assign(dirs * orders * H, 0.0);
  else
    w.S.assign(dirs * H, 0.0);
  std::vector<cdouble> dB(2 * M), C(2 * M);
  for (size_t h = 0; h < H; ++h) {
    const double dt = std::exp(p.log_dt[h]);
    // _conj: the M modes then their conjugates (2M entries).
    for (size_t n = 0; n < M; ++n) {
      const cdouble A(-std::exp(p.log_A_real[h * M + n]), p.A_imag[h * M + n]);
      dB[n] = dt / (1.0 - 0.5 * dt * A);
      dB[M + n] = std::conj(dB[n]);
    }
    cdouble S(0.0, 0.0);
    for (const cdouble& v : dB) S += v;
    if (s.kernel != LiquidKernel::PolyB) {
      for (size_t d = 0; d < dirs; ++d) w.S[d * H + h] = S.real();
      continue;
    }
    for (size_t o = 0; o < orders; ++o) {
      // dB = (dB1 * dB2).sum(2): every entry times the current sum.
      cdouble sum(0.0, 0.0);
      for (const cdouble& v : dB) sum += v;
      for (cdouble& v : dB) v *= sum;
      for (size_t d = 0; d < dirs; ++d) {
        for (size_t n = 0; n < M; ++n) {
          const size_t j = (d * H + h) * M + n;
          C[n] = cdouble(p.C[2 * j], p.C[2 * j + 1]);
          C[M + n] = std::conj(C[n]);
        }
        cdouble g(0.0, 0.0);
        for (size_t n = 0; n < 2 * M; ++n) g += C[n] * dB[n];
        w.gamma[(d * orders + o) * H + h] = g.real();
      }
    }
  }
  return w;
}

}  // namespace epochcore
