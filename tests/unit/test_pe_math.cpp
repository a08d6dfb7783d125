#include <catch2/catch.hpp>

#include <complex>

#include "epochcore/maths/pe/lima_pe_math.h"

using namespace epochcore;

TEST_CASE("LIMA op is a complex leaky integrator with a real output tap", "[pe]") {
  LimaPeCore pe;
  const cmd::CoeffRecord r{0.9f, 0.3f, 1.0f, -0.5f, 0.25f, -0.75f, 0.5f, 0.0f};
  pe.load(r);
  std::complex<double> a(r.a_re, r.a_im), b(r.b_re, r.b_im), c(r.c_re, r.c_im), x(0, 0);
  const double us[] = {1.0, -2.0, 0.5, 3.0, 0.0, -1.25};
  for (double u : us) {
    const double psum_in = 0.125;
    const float got = pe.lima(float(u), float(psum_in));
    x = a * x + b * u;
    const double want = psum_in + (c * x).real() + double(r.d) * u;
    CHECK(got == Approx(want).epsilon(1e-6));
    CHECK(pe.x_re == Approx(x.real()).epsilon(1e-6));
    CHECK(pe.x_im == Approx(x.imag()).epsilon(1e-6));
  }
  pe.reset_state();
  CHECK(pe.x_re == 0.0f);
  CHECK(pe.x_im == 0.0f);
}

TEST_CASE("LIMA op rounds in the documented order", "[pe]") {
  // Every model of the PE must produce these bits: compute the same sequence by hand.
  LimaPeCore pe;
  pe.load({0.99f, 0.01f, 1.0f, 0.0f, 0.3f, 0.7f, 0.0f, 0.0f});
  float xr = 0, xi = 0;
  for (int k = 0; k < 100; ++k) {
    const float u = float(k % 7) - 3.0f;
    const float nr = (0.99f * xr - 0.01f * xi) + 1.0f * u;
    const float ni = (0.99f * xi + 0.01f * xr) + 0.0f * u;
    xr = nr;
    xi = ni;
    const float want = (1.5f + (0.3f * nr - 0.7f * ni)) + 0.0f * u;
    REQUIRE(pe.lima(u, 1.5f) == want);
  }
}

TEST_CASE("MAC op and loading clear the state", "[pe]") {
  LimaPeCore pe;
  pe.w = 2.5f;
  CHECK(pe.mac(4.0f, 1.0f) == 11.0f);
  pe.load({0.5f, 0, 1, 0, 1, 0, 0, 0});
  pe.lima(1.0f, 0.0f);
  CHECK(pe.x_re == 1.0f);
  pe.load({0.5f, 0, 1, 0, 1, 0, 0, 0});
  CHECK(pe.x_re == 0.0f);
  pe.clear();
  CHECK(pe.w == 0.0f);
  CHECK(pe.lima(3.0f, 0.0f) == 0.0f);
}
