// The firmware's own runtime (firmware/runtime): fw_math's exp/sin/cos against the host's
// libm in ulps over wide ranges, and fw_format against vsnprintf for the conversions the
// firmware's messages use.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "epochcore/firmware/runtime/fw_format.h"
#include "epochcore/firmware/runtime/fw_math.h"
#include "epochcore/firmware/runtime/fw_selftest.h"

using namespace epochcore;

namespace {

// |a - ref| in units of ulp(ref) (the spacing of doubles at |ref|).
double ulps(double a, double ref) {
  if (a == ref) return 0.0;
  if (std::isnan(a) || std::isnan(ref)) return std::numeric_limits<double>::infinity();
  const double r = std::fabs(ref);
  const double ulp = std::nextafter(r, std::numeric_limits<double>::infinity()) - r;
  return std::fabs(a - ref) / ulp;
}

template <typename F, typename G>
double max_ulps(F f, G g, double lo, double hi, int n, uint32_t seed, bool log_spaced = false) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  double worst = 0.0;
  for (int i = 0; i < n; ++i) {
    double x = d(rng);
    if (log_spaced) x = (rng() & 1 ? 1.0 : -1.0) * std::exp(x);
    worst = std::max(worst, ulps(f(x), g(x)));
  }
  return worst;
}

}  // namespace

TEST_CASE("fw_math exp, sin and cos are within 1 ulp of libm", "[firmware][fw_math]") {
  auto e = [](double x) { return fw::fw_exp(x); };
  auto s = [](double x) { return fw::fw_sin(x); };
  auto c = [](double x) { return fw::fw_cos(x); };
  auto se = [](double x) { return std::exp(x); };
  auto ss = [](double x) { return std::sin(x); };
  auto sc = [](double x) { return std::cos(x); };
  const double exp_all = max_ulps(e, se, -745.0, 709.7, 400000, 1);
  const double exp_small = max_ulps(e, se, -40.0, 3.0, 400000, 2, true);  // |x| from 4e-18 to 20
  const double exp_subnormal = max_ulps(e, se, -745.0, -708.0, 100000, 3);
  const double sin_small = max_ulps(s, ss, -10.0, 10.0, 400000, 4);
  const double cos_small = max_ulps(c, sc, -10.0, 10.0, 400000, 5);
  const double sin_wide = max_ulps(s, ss, -1.6e6, 1.6e6, 400000, 6);
  const double cos_wide = max_ulps(c, sc, -1.6e6, 1.6e6, 400000, 7);
  const double sin_log = max_ulps(s, ss, -40.0, 14.0, 400000, 8, true);  // |x| from 4e-18 to 1.2e6
  const double cos_log = max_ulps(c, sc, -40.0, 14.0, 400000, 9, true);
  WARN("fw_math max error in ulps vs libm: exp " << exp_all << " (|x|<=20 log-spaced " << exp_small
       << ", subnormal results " << exp_subnormal << "), sin " << sin_small << " / " << sin_wide << " / "
       << sin_log << ", cos " << cos_small << " / " << cos_wide << " / " << cos_log
       << " ([-10,10] / [-1.6e6,1.6e6] / log-spaced)");
  CHECK(exp_all <= 1.0);
  CHECK(exp_small <= 1.0);
  CHECK(exp_subnormal <= 1.0);
  CHECK(sin_small <= 1.0);
  CHECK(cos_small <= 1.0);
  CHECK(sin_wide <= 1.0);
  CHECK(cos_wide <= 1.0);
  CHECK(sin_log <= 1.0);
  CHECK(cos_log <= 1.0);
}

TEST_CASE("fw_math special values and huge arguments", "[firmware][fw_math]") {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(fw::fw_exp(0.0) == 1.0);
  CHECK(ulps(fw::fw_exp(1.0), std::exp(1.0)) <= 1.0);
  CHECK(fw::fw_exp(-inf) == 0.0);
  CHECK(fw::fw_exp(inf) == inf);
  CHECK(fw::fw_exp(710.0) == inf);
  CHECK(fw::fw_exp(-746.0) == 0.0);
  CHECK(std::isnan(fw::fw_exp(nan)));
  CHECK(fw::fw_sin(0.0) == 0.0);
  CHECK(std::signbit(fw::fw_sin(-0.0)));
  CHECK(fw::fw_cos(0.0) == 1.0);
  CHECK(std::isnan(fw::fw_sin(inf)));
  CHECK(std::isnan(fw::fw_cos(-inf)));
  CHECK(std::isnan(fw::fw_sin(nan)));
  // Beyond 2^20*pi/2 the reduction is modulo the double nearest 2*pi: in range and
  // deterministic, not accurate (documented in fw_math.h).
  for (double x : {1e7, 1e10, 1e15, 1e20, 1e300, -3e8}) {
    CHECK(std::fabs(fw::fw_sin(x)) <= 1.0);
    CHECK(std::fabs(fw::fw_cos(x)) <= 1.0);
  }
}

TEST_CASE("fw_format matches vsnprintf for the messages' conversions", "[firmware][fw_format]") {
  char a[256], b[256];
  auto same = [&](const char* fmt, auto... args) {
    fw::fw_format(a, sizeof a, fmt, args...);
    std::snprintf(b, sizeof b, fmt, args...);
    CHECK(std::string(a) == std::string(b));
  };
  same("%u %d %d %x %X %c %s|%5s|%-5s|", 42u, -7, 0, 0xBEEFu, 0xBEEFu, 'z', "abc", "ab", "ab");
  same("%llu %lld %llx %zu", 18446744073709551615ull, -9223372036854775807ll, 0x123456789abcdefull, size_t(99));
  same("%08x %3u|%-4u|%%", 0x1234u, 7u, 7u);
  same("0x%llx (%zu bytes)", 0x80000000ull, size_t(4096));
  same("%.0f %.0f %.2f %f", 12345.0, 0.4, 3.14159, -2.5);
  for (double g : {0.0, 1.0, -1.5, 0.1, 123456.0, 1234567.0, 1e-5, 3.25e-7, 6.02e23, 1e100, 65520.0, 2.5e-310})
    same("%g", g);
  same("%g %g", std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity());
  // Truncation: NUL-terminated, returns the full length.
  char small[8];
  CHECK(fw::fw_format(small, sizeof small, "%s", "0123456789") == 10);
  CHECK(std::string(small) == "0123456");
}

TEST_CASE("fw_math and the discretisation give the pinned bits (the RV32 self-test's reference)",
          "[firmware][fw_math]") {
  // firmware/rv32/selftest.cpp computes the same fingerprints on the RV32 core: a change
  // here must be a deliberate change of the maths, and changes the constants both use.
  CHECK(fw::fw_math_fingerprint(100000) == fw::kFwMathFingerprint100k);
  CHECK(fw::fw_zoh_fingerprint(20000) == fw::kFwZohFingerprint20k);
}
