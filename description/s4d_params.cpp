#include "epochcore/description/s4d_params.h"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace epochcore {
namespace {

void check_size(const char* field, size_t got, size_t want, const char* want_text) {
  if (got != want) {
    std::ostringstream msg;
    msg << "S4dParams." << field << ": expected " << want_text << " = " << want
        << " entries, got " << got;
    throw std::invalid_argument(msg.str());
  }
}

void check_finite(const char* field, const std::vector<double>& v) {
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) {
      std::ostringstream msg;
      msg << "S4dParams." << field << "[" << i << "] is " << v[i]
          << ": expected a finite number";
      throw std::invalid_argument(msg.str());
    }
  }
}

}  // namespace

void check_s4d_params(const S4dParams& p) {
  if (p.H == 0) throw std::invalid_argument("S4dParams.H: expected at least 1 channel, got 0");
  if (p.M == 0) throw std::invalid_argument("S4dParams.M: expected at least 1 mode, got 0");
  if (p.directions != 1 && p.directions != 2)
    throw std::invalid_argument("S4dParams.directions: expected 1 or 2 (bidirectional), got " +
                                std::to_string(p.directions));
  const size_t hm = size_t(p.H) * p.M;
  check_size("log_dt", p.log_dt.size(), p.H, "H");
  check_size("log_A_real", p.log_A_real.size(), hm, "H*M");
  check_size("A_imag", p.A_imag.size(), hm, "H*M");
  check_size("C", p.C.size(), 2 * p.directions * hm,
             p.directions == 1 ? "H*M*2 (re, im interleaved)"
                               : "directions*H*M*2 (bidirectional: [dir][h][m][re, im])");
  check_size("D", p.D.size(), p.H, "H");
  check_finite("log_dt", p.log_dt);
  check_finite("log_A_real", p.log_A_real);
  check_finite("A_imag", p.A_imag);
  check_finite("C", p.C);
  check_finite("D", p.D);
  for (size_t h = 0; h < p.H; ++h) {
    const double dt = std::exp(p.log_dt[h]);
    if (!(dt > 0.0) || !std::isfinite(dt)) {
      std::ostringstream msg;
      msg << "S4dParams.log_dt[" << h << "] = " << p.log_dt[h]
          << ": dt = exp(log_dt) must be a positive finite number";
      throw std::invalid_argument(msg.str());
    }
  }
  for (size_t i = 0; i < hm; ++i) {
    if (!std::isfinite(std::exp(p.log_A_real[i]))) {
      std::ostringstream msg;
      msg << "S4dParams.log_A_real[" << i << "] = " << p.log_A_real[i]
          << ": exp(log_A_real) overflows";
      throw std::invalid_argument(msg.str());
    }
  }
}

}  // namespace epochcore
