// Technology tables: the SRAM energy curve and the number formats' figures. Loading a
// table from YAML is the platform's business (platform/io/tech_table_file.h).
#include "epochcore/maths/energy/tech_table.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>


namespace epochcore::energy {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// Interpolates `field` of the SRAM points log-log at `capacity_kib`.
double sram_curve(const TechTable& t, double capacity_kib, double SramPoint::*field) {
  if (!(capacity_kib > 0) || !std::isfinite(capacity_kib))
    throw std::invalid_argument("SRAM capacity must be a positive number of KiB, got " +
                                std::to_string(capacity_kib));
  const std::vector<SramPoint>& p = t.sram.points;
  if (p.size() < 2) throw std::invalid_argument("technology table has fewer than two SRAM points");
  for (const SramPoint& q : p)
    if (q.capacity_kib == capacity_kib) return q.*field;
  size_t hi = 1;  // segment [hi-1, hi]: the first whose upper end covers the capacity
  while (hi + 1 < p.size() && capacity_kib > p[hi].capacity_kib) ++hi;
  const double x0 = std::log(p[hi - 1].capacity_kib), x1 = std::log(p[hi].capacity_kib);
  const double y0 = std::log(p[hi - 1].*field), y1 = std::log(p[hi].*field);
  const double f = (std::log(capacity_kib) - x0) / (x1 - x0);
  return std::exp(y0 + f * (y1 - y0));
}

}  // namespace

std::string describe(const TechTable& t) {
  return t.name + " (" + (t.path.empty() ? std::string("built from text") : t.path) + ")";
}

const std::vector<std::string>& number_formats() {
  static const std::vector<std::string> formats = {"fp32",  "fp16",  "bf16",
                                                   "int32", "int16", "int8"};
  return formats;
}

unsigned format_bits(const std::string& format) {
  if (format == "fp32" || format == "int32") return 32;
  if (format == "fp16" || format == "bf16" || format == "int16") return 16;
  if (format == "int8") return 8;
  throw std::invalid_argument("unknown number format '" + format +
                              "' (expected one of: " + join(number_formats()) + ")");
}

const ArithmeticFigures& arithmetic_for(const TechTable& t, const std::string& format) {
  format_bits(format);  // rejects unknown names with the list of known ones
  const auto it = t.arithmetic.find(format);
  if (it == t.arithmetic.end())
    throw std::invalid_argument("technology table '" + t.name + "' has no figures for " + format);
  return it->second;
}

double sram_read_energy_pj(const TechTable& t, double capacity_kib) {
  return sram_curve(t, capacity_kib, &SramPoint::read_energy_pj);
}

double sram_write_energy_pj(const TechTable& t, double capacity_kib) {
  return sram_curve(t, capacity_kib, &SramPoint::write_energy_pj);
}

}  // namespace epochcore::energy
