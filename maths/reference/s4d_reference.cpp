#include "epochcore/maths/reference/s4d_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "epochcore/maths/reference/rng.h"

namespace epochcore {

namespace {

constexpr double kPi = 3.14159265358979323846;
using cdouble = std::complex<double>;


// exp(z) - 1 without the cancellation of exp(z) - 1 when |z| is small (dt*A is often ~1e-3):
// Re = expm1(x) cos y - 2 sin^2(y/2), Im = exp(x) sin y.
cdouble complex_expm1(cdouble z) {
  const double x = z.real(), y = z.imag();
  const double half_sin = std::sin(0.5 * y);
  return {std::expm1(x) * std::cos(y) - 2.0 * half_sin * half_sin, std::exp(x) * std::sin(y)};
}

void check_input(const char* function, const double* u, size_t count) {
  if (u == nullptr && count > 0) {
    throw std::invalid_argument(std::string(function) +
                                ": input u is null but B*H*L > 0 elements are expected");
  }
}

}  // namespace


S4dParams s4d_init(uint32_t H, uint32_t M, const std::string& init, double dt_min,
                   double dt_max, uint64_t seed, uint32_t directions) {
  if (init != "s4d_lin" && init != "s4d_inv" && init != "s4d_real") {
    throw std::invalid_argument("s4d_init: unknown init '" + init +
                                "': expected one of s4d_lin, s4d_inv, s4d_real");
  }
  if (H == 0) throw std::invalid_argument("s4d_init: H must be at least 1, got 0");
  if (M == 0) throw std::invalid_argument("s4d_init: M must be at least 1, got 0");
  if (directions != 1 && directions != 2)
    throw std::invalid_argument("s4d_init: directions must be 1 or 2 (bidirectional), got " +
                                std::to_string(directions));
  if (!std::isfinite(dt_min) || !std::isfinite(dt_max) || !(dt_min > 0.0) ||
      !(dt_min < dt_max)) {
    std::ostringstream msg;
    msg << "s4d_init: expected finite 0 < dt_min < dt_max, got dt_min = " << dt_min
        << ", dt_max = " << dt_max;
    throw std::invalid_argument(msg.str());
  }

  S4dParams p;
  p.H = H;
  p.M = M;
  const size_t hm = size_t(H) * M;
  p.log_dt.resize(H);
  p.log_A_real.resize(hm);
  p.A_imag.resize(hm);
  p.directions = directions;
  p.C.resize(2 * hm * directions);
  p.D.resize(H);

  const double N = 2.0 * M;
  for (uint32_t h = 0; h < H; ++h) {
    for (uint32_t n = 0; n < M; ++n) {
      double minus_re = 0.5, im = 0.0;
      if (init == "s4d_lin") {
        im = kPi * n;
      } else if (init == "s4d_inv") {
        im = (N / kPi) * (N / (2.0 * n + 1.0) - 1.0);
      } else {
        minus_re = n + 1.0;
      }
      p.log_A_real[size_t(h) * M + n] = std::log(minus_re);
      p.A_imag[size_t(h) * M + n] = im;
    }
  }

  Rng rng(seed);
  const double log_min = std::log(dt_min), log_max = std::log(dt_max);
  for (uint32_t h = 0; h < H; ++h) p.log_dt[h] = log_min + rng.uniform() * (log_max - log_min);
  const double half_variance = std::sqrt(0.5);  // complex standard normal: E|C|^2 = 1
  for (size_t i = 0; i < 2 * hm; ++i) p.C[i] = rng.normal() * half_variance;
  for (uint32_t h = 0; h < H; ++h) p.D[h] = rng.normal();
  // The backward C last, so the forward half and D do not depend on `directions`.
  for (size_t i = 2 * hm; i < p.C.size(); ++i) p.C[i] = rng.normal() * half_variance;
  return p;
}

std::vector<float> seeded_input(uint32_t B, uint32_t H, uint32_t L, uint64_t seed) {
  std::vector<float> u(size_t(B) * H * L);
  Rng rng(seed);
  for (float& v : u) v = float(rng.normal());
  return u;
}

S4dDiscrete s4d_discretise_zoh(const S4dParams& p) {
  check_s4d_params(p);
  const size_t M = p.M, hm = size_t(p.H) * M;
  S4dDiscrete d;
  d.Abar.resize(hm);
  d.Cprime.resize(p.directions * hm);
  for (size_t h = 0; h < p.H; ++h) {
    const double dt = std::exp(p.log_dt[h]);
    for (size_t n = 0; n < M; ++n) {
      const size_t i = h * M + n;
      const cdouble A(-std::exp(p.log_A_real[i]), p.A_imag[i]);
      const cdouble dtA = dt * A;
      d.Abar[i] = std::exp(dtA);
      bool finite = std::isfinite(d.Abar[i].real()) && std::isfinite(d.Abar[i].imag());
      for (size_t dir = 0; dir < p.directions; ++dir) {
        const size_t j = dir * hm + i;
        const cdouble C(p.C[2 * j], p.C[2 * j + 1]);
        // (exp(dt A) - 1) / A tends to dt as A -> 0 (only reachable by exp underflow).
        d.Cprime[j] = (A == cdouble(0.0, 0.0)) ? C * dt : C * (complex_expm1(dtA) / A);
        finite = finite && std::isfinite(d.Cprime[j].real()) && std::isfinite(d.Cprime[j].imag());
      }
      if (!finite) {
        std::ostringstream msg;
        msg << "S4dParams channel " << h << " mode " << n << ": dt = " << dt
            << " and A = " << A << " give a non-finite discretisation";
        throw std::invalid_argument(msg.str());
      }
    }
  }
  return d;
}

std::vector<double> s4d_recurrence(const S4dParams& p, const double* u, uint32_t B,
                                   uint32_t L) {
  const S4dDiscrete d = s4d_discretise_zoh(p);
  const size_t H = p.H, M = p.M, count = size_t(B) * H * L;
  check_input("s4d_recurrence", u, count);
  // Split real and imaginary parts so the mode loop is plain, vectorisable arithmetic.
  std::vector<double> a_re(H * M), a_im(H * M), c_re(d.Cprime.size()), c_im(d.Cprime.size());
  for (size_t i = 0; i < H * M; ++i) {
    a_re[i] = d.Abar[i].real();
    a_im[i] = d.Abar[i].imag();
  }
  for (size_t i = 0; i < d.Cprime.size(); ++i) {
    c_re[i] = d.Cprime[i].real();
    c_im[i] = d.Cprime[i].imag();
  }
  std::vector<double> x_re(M), x_im(M), y(count);
  for (size_t b = 0; b < B; ++b) {
    for (size_t h = 0; h < H; ++h) {
      const double* ar = &a_re[h * M];
      const double* ai = &a_im[h * M];
      const double* cr = &c_re[h * M];
      const double* ci = &c_im[h * M];
      const double* u_row = u + (b * H + h) * L;
      double* y_row = y.data() + (b * H + h) * L;
      const double D = p.D[h];
      std::fill(x_re.begin(), x_re.end(), 0.0);
      std::fill(x_im.begin(), x_im.end(), 0.0);
      for (size_t l = 0; l < L; ++l) {
        const double uk = u_row[l];
        double acc = 0.0;
        for (size_t n = 0; n < M; ++n) {
          const double xr = ar[n] * x_re[n] - ai[n] * x_im[n] + uk;
          const double xi = ar[n] * x_im[n] + ai[n] * x_re[n];
          x_re[n] = xr;
          x_im[n] = xi;
          acc += cr[n] * xr - ci[n] * xi;  // Re(C' x)
        }
        y_row[l] = 2.0 * acc + D * uk;
      }
      if (p.directions == 1) continue;
      // Backward half: z_t = Abar z_{t+1} + u_{t+1}, y_t += 2 Re(C1' z_t). The state that
      // has taken in u_l is added to y_{l-1}: the backward sum is over s > t only.
      const double* br = &c_re[(H + h) * M];
      const double* bi = &c_im[(H + h) * M];
      std::fill(x_re.begin(), x_re.end(), 0.0);
      std::fill(x_im.begin(), x_im.end(), 0.0);
      for (size_t l = L; l-- > 1;) {
        const double uk = u_row[l];
        double acc = 0.0;
        for (size_t n = 0; n < M; ++n) {
          const double xr = ar[n] * x_re[n] - ai[n] * x_im[n] + uk;
          const double xi = ar[n] * x_im[n] + ai[n] * x_re[n];
          x_re[n] = xr;
          x_im[n] = xi;
          acc += br[n] * xr - bi[n] * xi;
        }
        y_row[l - 1] += 2.0 * acc;
      }
    }
  }
  return y;
}

std::vector<double> s4d_kernel(const S4dParams& p, uint32_t L) {
  const S4dDiscrete d = s4d_discretise_zoh(p);
  const size_t H = p.H, M = p.M;
  std::vector<cdouble> dtA(M);
  std::vector<double> K(p.directions * H * L);
  for (size_t dir = 0; dir < p.directions; ++dir) {
    for (size_t h = 0; h < H; ++h) {
      const double dt = std::exp(p.log_dt[h]);
      for (size_t n = 0; n < M; ++n) {
        dtA[n] = cdouble(-dt * std::exp(p.log_A_real[h * M + n]), dt * p.A_imag[h * M + n]);
      }
      const cdouble* cprime = &d.Cprime[(dir * H + h) * M];
      for (size_t l = 0; l < L; ++l) {
        cdouble sum(0.0, 0.0);
        for (size_t n = 0; n < M; ++n) {
          const cdouble power = std::exp(double(l) * dtA[n]);  // Abar^l = exp(l dt A)
          sum += cprime[n] * power;
        }
        K[(dir * H + h) * L + l] = 2.0 * sum.real();
      }
    }
  }
  return K;
}

std::vector<double> s4d_convolution(const S4dParams& p, const double* u, uint32_t B,
                                    uint32_t L) {
  const std::vector<double> K = s4d_kernel(p, L);
  const size_t H = p.H, count = size_t(B) * H * L;
  check_input("s4d_convolution", u, count);
  std::vector<double> y(count);
  for (size_t b = 0; b < B; ++b) {
    for (size_t h = 0; h < H; ++h) {
      const double* k_row = &K[h * L];
      const double* u_row = u + (b * H + h) * L;
      double* y_row = y.data() + (b * H + h) * L;
      for (size_t l = 0; l < L; ++l) {
        double sum = 0.0;
        for (size_t j = 0; j <= l; ++j) sum += k_row[j] * u_row[l - j];
        if (p.directions == 2) {
          const double* k1_row = &K[(H + h) * L];
          for (size_t s = l + 1; s < L; ++s) sum += k1_row[s - l - 1] * u_row[s];  // s > t
        }
        y_row[l] = sum + p.D[h] * u_row[l];
      }
    }
  }
  return y;
}

namespace {

template <typename T>
ErrorStats compare_impl(const T* y, const double* ref, size_t n) {
  if (n > 0 && (y == nullptr || ref == nullptr)) {
    throw std::invalid_argument("compare_to_reference: null output or reference with n = " +
                                std::to_string(n) + " elements");
  }
  const double inf = std::numeric_limits<double>::infinity();
  ErrorStats s;
  for (size_t i = 0; i < n; ++i) {
    double err = std::fabs(double(y[i]) - ref[i]);
    if (std::isnan(err)) err = inf;  // a NaN must not hide behind a failed comparison
    if (err > s.max_abs) {
      s.max_abs = err;
      s.worst_index = i;
    }
    const double mag = std::isnan(ref[i]) ? inf : std::fabs(ref[i]);
    if (mag > s.ref_max_abs) s.ref_max_abs = mag;
  }
  if (s.max_abs == 0.0) {
    s.max_rel = 0.0;
  } else if (s.ref_max_abs == 0.0 || std::isinf(s.max_abs)) {
    s.max_rel = inf;
  } else {
    s.max_rel = s.max_abs / s.ref_max_abs;
  }
  return s;
}

}  // namespace

ErrorStats compare_to_reference(const float* y, const double* ref, size_t n) {
  return compare_impl(y, ref, n);
}

ErrorStats compare_to_reference(const double* y, const double* ref, size_t n) {
  return compare_impl(y, ref, n);
}

}  // namespace epochcore
