// fdlibm's e_exp.c, k_sin.c, k_cos.c and the medium-size path of e_rem_pio2.c (Sun
// Microsystems, freely redistributable), rewritten over 64-bit words. See fw_math.h.
#include "epochcore/firmware/runtime/fw_math.h"

namespace epochcore::fw {

namespace {

inline uint32_t hi_word(double x) { return uint32_t(fw_bits(x) >> 32); }
inline double with_hi_lo(uint32_t hi, uint32_t lo) { return fw_double((uint64_t(hi) << 32) | lo); }

// ------------------------------------------------------------------ exp
constexpr double kHalf[2] = {0.5, -0.5};
constexpr double kHuge = 1.0e+300;
constexpr double kTwoM1000 = 9.33263618503218878990e-302;  // 2^-1000
constexpr double kOverflow = 7.09782712893383973096e+02;
constexpr double kUnderflow = -7.45133219101941108420e+02;
constexpr double kLn2Hi[2] = {6.93147180369123816490e-01, -6.93147180369123816490e-01};
constexpr double kLn2Lo[2] = {1.90821492927058770002e-10, -1.90821492927058770002e-10};
constexpr double kInvLn2 = 1.44269504088896338700e+00;
constexpr double P1 = 1.66666666666666019037e-01;
constexpr double P2 = -2.77777777770155933842e-03;
constexpr double P3 = 6.61375632143793436117e-05;
constexpr double P4 = -1.65339022054652515390e-06;
constexpr double P5 = 4.13813679705723846039e-08;

// ------------------------------------------------------------------ sin / cos kernels
constexpr double S1 = -1.66666666666666324348e-01;
constexpr double S2 = 8.33333333332248946124e-03;
constexpr double S3 = -1.98412698298579493134e-04;
constexpr double S4 = 2.75573137070700676789e-06;
constexpr double S5 = -2.50507602534068634195e-08;
constexpr double S6 = 1.58969099521155010221e-10;

constexpr double C1 = 4.16666666666666019037e-02;
constexpr double C2 = -1.38888888888741095749e-03;
constexpr double C3 = 2.48015872894767294178e-05;
constexpr double C4 = -2.75573143513906633035e-07;
constexpr double C5 = 2.08757232129817482790e-09;
constexpr double C6 = -1.13596475577881948265e-11;

// sin(x + y) for |x| <= pi/4, y the tail of x (iy = 0: y is 0).
double k_sin(double x, double y, int iy) {
  const uint32_t ix = hi_word(x) & 0x7fffffffu;
  if (ix < 0x3e400000u && int(x) == 0) return x;  // |x| < 2^-27
  const double z = x * x;
  const double v = z * x;
  const double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  if (iy == 0) return x + v * (S1 + z * r);
  return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

// cos(x + y) for |x| <= pi/4.
double k_cos(double x, double y) {
  const uint32_t ix = hi_word(x) & 0x7fffffffu;
  if (ix < 0x3e400000u && int(x) == 0) return 1.0;
  const double z = x * x;
  const double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  if (ix < 0x3FD33333u) return 1.0 - (0.5 * z - (z * r - x * y));  // |x| < 0.3
  const double qx = ix > 0x3fe90000u ? 0.28125 : with_hi_lo(ix - 0x00200000u, 0);  // x/4
  const double hz = 0.5 * z - qx;
  const double a = 1.0 - qx;
  return a - (hz - (z * r - x * y));
}

// ------------------------------------------------------------------ x mod pi/2
constexpr double kInvPio2 = 6.36619772367581382433e-01;
constexpr double kPio2_1 = 1.57079632673412561417e+00;   // first 33 bits of pi/2
constexpr double kPio2_1t = 6.07710050650619224932e-11;  // pi/2 - kPio2_1
constexpr double kPio2_2 = 6.07710050630396597660e-11;   // second 33 bits
constexpr double kPio2_2t = 2.02226624879595063154e-21;
constexpr double kPio2_3 = 2.02226624871116645580e-21;   // third 33 bits
constexpr double kPio2_3t = 8.47842766036889956997e-32;

// |x| mod m for finite x and m > 0 (both positive, normal), exactly (IEEE fmod):
// integer long division of the significands, one bit per step.
double fmod_exact(double x, double m) {
  uint64_t ux = fw_bits(x), um = fw_bits(m);
  int ex = int(ux >> 52), em = int(um >> 52);
  if (ux < um) return x;
  uint64_t mx = (ux & 0xFFFFFFFFFFFFFull) | (1ull << 52);
  const uint64_t mm = (um & 0xFFFFFFFFFFFFFull) | (1ull << 52);
  for (; ex > em; --ex) {
    if (mx >= mm) mx -= mm;
    mx <<= 1;
  }
  if (mx >= mm) mx -= mm;
  if (mx == 0) return 0.0;
  while (mx < (1ull << 52)) {  // normalise (em >= 1: the result stays normal or exact)
    mx <<= 1;
    --ex;
  }
  if (ex <= 0) return fw_double(mx >> (1 - ex));  // subnormal (not reached for m = 2pi)
  return fw_double((uint64_t(ex) << 52) | (mx & 0xFFFFFFFFFFFFFull));
}

constexpr double kTwoPi = 6.28318530717958623200e+00;  // 2*pi rounded to double

// x = n*pi/2 + y[0] + y[1]; returns n. Exact (118 to 151 bits of pi/2) for
// |x| <= 2^20*pi/2. Larger |x| are first reduced exactly modulo kTwoPi (the double
// nearest 2*pi), which is off from the true reduction by about |x| * 2.4e-16 radians:
// deterministic and in range, not accurate (the firmware never needs such arguments).
int32_t rem_pio2(double x, double* y) {
  const bool negative = (fw_bits(x) >> 63) != 0;
  double t0 = fw_fabs(x);
  if ((hi_word(t0) >> 0) > 0x413921fbu) t0 = fmod_exact(t0, kTwoPi);
  const uint32_t ix = hi_word(t0);
  const int32_t nn = int32_t(t0 * kInvPio2 + 0.5);
  const double fn = double(nn);
  double r = t0 - fn * kPio2_1;
  double w = fn * kPio2_1t;  // first round good to 85 bits
  const int j = int(ix >> 20);
  y[0] = r - w;
  int i = j - int((hi_word(y[0]) >> 20) & 0x7ff);
  if (i > 16) {  // second iteration, good to 118 bits
    double t = r;
    w = fn * kPio2_2;
    r = t - w;
    w = fn * kPio2_2t - ((t - r) - w);
    y[0] = r - w;
    i = j - int((hi_word(y[0]) >> 20) & 0x7ff);
    if (i > 49) {  // third iteration, 151 bits
      t = r;
      w = fn * kPio2_3;
      r = t - w;
      w = fn * kPio2_3t - ((t - r) - w);
      y[0] = r - w;
    }
  }
  y[1] = (r - y[0]) - w;
  if (negative) {
    y[0] = -y[0];
    y[1] = -y[1];
    return -nn;
  }
  return nn;
}

}  // namespace

double fw_exp(double x) {
  uint32_t hx = hi_word(x);
  const int xsb = int(hx >> 31);
  hx &= 0x7fffffffu;
  if (hx >= 0x40862E42u) {  // |x| >= 709.78...
    if (hx >= 0x7ff00000u) {
      if (((hx & 0xfffffu) | uint32_t(fw_bits(x))) != 0) return x + x;  // NaN
      return xsb == 0 ? x : 0.0;                                           // exp(+-inf)
    }
    if (x > kOverflow) return kHuge * kHuge;          // overflow: +inf
    if (x < kUnderflow) return kTwoM1000 * kTwoM1000;  // underflow: 0
  }
  double hi = 0.0, lo = 0.0;
  int k = 0;
  if (hx > 0x3fd62e42u) {  // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2u) {  // and |x| < 1.5 ln2
      hi = x - kLn2Hi[xsb];
      lo = kLn2Lo[xsb];
      k = 1 - xsb - xsb;
    } else {
      k = int(kInvLn2 * x + kHalf[xsb]);
      const double t = k;
      hi = x - t * kLn2Hi[0];  // t*ln2HI is exact here
      lo = t * kLn2Lo[0];
    }
    x = hi - lo;
  } else if (hx < 0x3e300000u) {  // |x| < 2^-28
    return 1.0 + x;
  }
  const double t = x * x;
  const double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) return fw_double(fw_bits(y) + (uint64_t(int64_t(k)) << 52));
  y = fw_double(fw_bits(y) + (uint64_t(int64_t(k + 1000)) << 52));
  return y * kTwoM1000;
}

double fw_sin(double x) {
  const uint32_t ix = hi_word(x) & 0x7fffffffu;
  if (ix <= 0x3fe921fbu) return k_sin(x, 0.0, 0);  // |x| <= pi/4
  if (ix >= 0x7ff00000u) return x - x;             // NaN for inf or NaN
  double y[2];
  const int32_t n = rem_pio2(x, y);
  switch (n & 3) {
    case 0: return k_sin(y[0], y[1], 1);
    case 1: return k_cos(y[0], y[1]);
    case 2: return -k_sin(y[0], y[1], 1);
    default: return -k_cos(y[0], y[1]);
  }
}

double fw_cos(double x) {
  const uint32_t ix = hi_word(x) & 0x7fffffffu;
  if (ix <= 0x3fe921fbu) return k_cos(x, 0.0);
  if (ix >= 0x7ff00000u) return x - x;
  double y[2];
  const int32_t n = rem_pio2(x, y);
  switch (n & 3) {
    case 0: return k_cos(y[0], y[1]);
    case 1: return -k_sin(y[0], y[1], 1);
    case 2: return -k_cos(y[0], y[1]);
    default: return k_sin(y[0], y[1], 1);
  }
}

}  // namespace epochcore::fw
