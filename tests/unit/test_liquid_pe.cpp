// The Liquid LIMA-PE variant (maths/pe/liquid_pe_math.h, option array.liquid_pe,
// docs/liquid-s4.md): its float arithmetic against the paper's recurrence in double,
// x_k = (a + b u_k) x_{k-1} + b u_k, y_k = Re(c x_k) + d u_k, per diagonal mode; and its
// area in the energy model (docs/energy-area.md): off changes nothing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "epochcore/maths/energy/energy_model.h"
#include "epochcore/maths/pe/liquid_pe_math.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/platform/io/tech_table_file.h"

using namespace epochcore;
using cd = std::complex<double>;

TEST_CASE("liquid PE: the float step follows the paper's recurrence in double", "[liquid][pe]") {
  // A stable mode (|a| + |b| max|u| < 1) over 200 steps of N(0, 1) inputs, several modes.
  Rng rng(5);
  double worst = 0;
  for (int mode = 0; mode < 8; ++mode) {
    LimaPeCore p;
    const double r = 0.5 + 0.05 * mode, th = 0.3 * mode;
    p.a_re = float(r * std::cos(th));
    p.a_im = float(r * std::sin(th));
    p.b_re = float(0.05 + 0.01 * mode);
    p.b_im = float(-0.03 + 0.005 * mode);
    p.c_re = float(0.7 - 0.1 * mode);
    p.c_im = float(0.2 + 0.05 * mode);
    p.d = float(0.3);
    const cd a(p.a_re, p.a_im), b(p.b_re, p.b_im), c(p.c_re, p.c_im);
    cd x(0, 0);
    for (int k = 0; k < 200; ++k) {
      const float u = float(rng.normal());
      const float psum_in = float(0.25 * rng.normal());
      const float got = liquid_pe_step(p, u, psum_in);
      x = (a + b * double(u)) * x + b * double(u);
      const double want = double(psum_in) + (c * x).real() + double(p.d) * u;
      const double scale = std::abs(double(psum_in)) + std::abs(c) * std::abs(x) + std::abs(double(p.d) * u) + 1e-30;
      worst = std::max(worst, std::abs(double(got) - want) / scale);
      // The state itself, too.
      worst = std::max(worst, std::abs(cd(p.x_re, p.x_im) - x) / (std::abs(x) + 1e-30));
    }
  }
  if (std::getenv("EC_PRINT_ERRORS")) std::printf("measured liquid PE step vs double: %.3g\n", worst);
  CHECK(worst < 1e-5);  // float over 200 steps of a contracting recurrence
}

TEST_CASE("liquid PE: with b*u zero the step is the LIMA step, bit for bit", "[liquid][pe]") {
  LimaPeCore a, b;
  const cmd::CoeffRecord r{0.9f, 0.1f, 0.0f, 0.0f, 0.5f, -0.25f, 0.125f, 0.0f};
  a.load(r);
  b.load(r);
  a.x_re = b.x_re = 0.75f;
  a.x_im = b.x_im = -0.5f;
  for (float u : {1.0f, -2.0f, 0.5f}) CHECK(liquid_pe_step(a, u, 0.5f) == b.lima(u, 0.5f));
}

TEST_CASE("liquid PE: area from the table's adder, multiplexer and register figures; off unchanged", "[liquid][pe][energy]") {
  const energy::TechTable t = energy::load_tech_table(std::string(EC_SOURCE_DIR) + "/scenarios/tech/45nm.yaml");
  energy::Design off;
  energy::Design on = off;
  on.liquid_pe = true;
  const energy::AreaBreakdown a0 = energy::area(t, off), a1 = energy::area(t, on);
  CHECK(a0.mm2.count("pe_liquid") == 0);
  CHECK(a0.pe.liquid_um2 == 0);
  const double want = 2 * 4184 + 2 * 32 * 1.862 + 4.522;  // 45 nm fp32 figures
  CHECK(a1.pe.liquid_um2 == Approx(want).epsilon(1e-12));
  CHECK(a1.pe.total_um2 == Approx(a0.pe.total_um2 + want).epsilon(1e-12));
  CHECK(a1.mm2.at("pe_liquid") == Approx(32.0 * 32 * want / 1e6).epsilon(1e-12));
  CHECK(a1.total_mm2 == Approx(a0.total_mm2 + 32.0 * 32 * want / 1e6).epsilon(1e-12));
  if (std::getenv("EC_PRINT_ERRORS"))
    std::printf("liquid PE: %.0f um^2 per PE, %.2f%% of the LIMA-PE (%.0f um^2)\n", want,
                100.0 * want / a0.pe.total_um2, a0.pe.total_um2);
  // Real-only: one adder and one multiplexer word.
  on.real_only = off.real_only = true;
  CHECK(energy::pe_area(t, on).liquid_um2 == Approx(4184 + 32 * 1.862 + 4.522).epsilon(1e-12));
  // The baseline's MAC-PE never has it.
  on.pe = energy::Design::MAC;
  CHECK(energy::pe_area(t, on).liquid_um2 == 0);
}
