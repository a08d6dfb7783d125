// Energy and area of a design from a technology table: PE structure, per-component
// areas, counts times per-action energies, and the PE-level counts ProDF and the
// weight-stationary baseline imply.
#include "epochcore/maths/energy/energy_model.h"

#include <algorithm>
#include <cmath>

#include "epochcore/maths/pe/liquid_pe_math.h"
#include "epochcore/maths/pe/lima_pe_math.h"

namespace epochcore::energy {
namespace {

const char* const kSpadNames[3] = {"input", "param", "output"};

// LIMA-PE words of state and coefficients: w, a, b, c, d, x (a, b, c, x complex).
constexpr uint32_t kLimaCoeffWords = 7, kLimaRealCoeffWords = 4;  // a, b, c, d
constexpr uint32_t kLimaStateWords = 2, kLimaRealStateWords = 1;  // x

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw EnergyModelError(field + ": " + what);
}

void require_gating_figures(const TechTable& t) {
  if (!t.pe_gating.present)
    bad("energy.pe_clock_gating",
        "the technology table " + describe(t) + " has no pe_gating figures (docs/energy-area.md)");
}

constexpr double kUm2PerMm2 = 1e6;

double lanes_of(const Design& d) {
  return d.vector_lanes ? d.vector_lanes : std::max(d.rows, d.cols);
}

}  // namespace

void validate_design(const Design& d) {
  if (d.pe != Design::LIMA && d.pe != Design::MAC) bad("design.pe", "expected LIMA or MAC");
  if (d.rows == 0) bad("design.rows", "expected a positive integer, got 0");
  if (d.cols == 0) bad("design.cols", "expected a positive integer, got 0");
  unsigned bits = 0;
  try {
    bits = format_bits(d.number_format);
  } catch (const std::invalid_argument& e) {
    bad("design.number_format", e.what());
  }
  if (d.word_bits != bits)
    bad("design.word_bits", d.number_format + " values are " + std::to_string(bits) +
                                " bits, got " + std::to_string(d.word_bits));
  for (int i = 0; i < 3; ++i) {
    const std::string name = std::string("design.spad_") + kSpadNames[i];
    if (!(d.spad_kib[i] > 0) || !std::isfinite(d.spad_kib[i]))
      bad(name + "_kib", "expected a positive number, got " + std::to_string(d.spad_kib[i]));
    if (d.spad_banks[i] == 0) bad(name + "_banks", "expected a positive integer, got 0");
  }
  if (!(d.clock_mhz > 0) || !std::isfinite(d.clock_mhz))
    bad("design.clock_mhz", "expected a positive number, got " + std::to_string(d.clock_mhz));
}

PeStructure pe_structure(Design::PeKind kind, bool real_only, uint32_t word_bits) {
  PeStructure s;
  if (kind == Design::MAC) {
    s.multipliers = PeOpCost::kMacMultiplies;
    s.adders = PeOpCost::kMacAdds;
    s.register_words = 3;  // w, input pipeline, psum pipeline
  } else if (real_only) {
    s.multipliers = 4;  // a*x, b*u, c*x, d*u
    s.adders = 3;       // + b*u, psum + c*x, + d*u
    s.register_words = 1 + kLimaRealCoeffWords + kLimaRealStateWords + 2;  // w, coeffs, x, u/psum
  } else {
    s.multipliers = PeOpCost::kLimaMultiplies;
    s.adders = PeOpCost::kLimaAdds;
    s.register_words = 1 + kLimaCoeffWords + kLimaStateWords + 2;
  }
  s.register_bits = s.register_words * word_bits + 1;  // + the valid bit
  return s;
}

SelectiveExtra selective_extra(const TechTable& t, const std::string& number_format) {
  if (!t.selective.given)
    bad("design.selective", "technology table '" + t.name + "' has no 'selective' section (exp unit, coefficient feed)");
  const ArithmeticFigures& f = arithmetic_for(t, number_format);
  SelectiveExtra x;
  x.exp_area_um2 = t.selective.exp_mul_equivalents * f.mul.area_um2 + t.selective.exp_add_equivalents * f.add.area_um2;
  x.exp_energy_pj =
      t.selective.exp_mul_equivalents * f.mul.energy_pj + t.selective.exp_add_equivalents * f.add.energy_pj;
  return x;
}

PeArea pe_area(const TechTable& t, const Design& d) {
  validate_design(d);
  const ArithmeticFigures& f = arithmetic_for(t, d.number_format);
  const PeStructure s = pe_structure(d.pe, d.real_only, d.word_bits);
  PeArea a;
  a.arithmetic_um2 = s.multipliers * f.mul.area_um2 + s.adders * f.add.area_um2;
  a.registers_um2 = s.register_bits * t.pe_register.area_um2_per_bit;
  if (d.selective && d.pe == Design::LIMA) {
    const SelectiveExtra x = selective_extra(t, d.number_format);
    a.arithmetic_um2 += x.exp_units * x.exp_area_um2;
    a.registers_um2 += x.register_words * d.word_bits * t.pe_register.area_um2_per_bit;
  }
  if (d.segments)
    a.segments_um2 = t.segments.muxes_per_pe * d.word_bits * t.segments.mux_area_um2_per_bit +
                     t.segments.config_bits_per_pe * t.pe_register.area_um2_per_bit;
  if (d.segment_direction) {
    const auto& sd = t.segment_direction;
    a.segment_direction_um2 =
        sd.config_bits_per_pe * t.pe_register.area_um2_per_bit +
        sd.address_generators_per_pe * sd.address_bits * (sd.mux_area_um2_per_bit + sd.decrement_area_um2_per_bit);
    a.segments_um2 += a.segment_direction_um2;
  }
  if (d.pe_clock_gating) {
    require_gating_figures(t);
    a.clock_gating_um2 = t.pe_gating.cell_area_um2;
  }
  if (d.liquid_pe && d.pe == Design::LIMA) {
    // liquid_pe_math.h: (a + b*u) adders, the a-or-(a+b*u) multiplexers, the mode bit.
    const double adders = d.real_only ? LiquidPeExtra::kRealAdders : LiquidPeExtra::kAdders;
    const double mux_words = d.real_only ? LiquidPeExtra::kRealMuxWords : LiquidPeExtra::kMuxWords;
    a.liquid_um2 = adders * f.add.area_um2 + mux_words * d.word_bits * t.segments.mux_area_um2_per_bit +
                   LiquidPeExtra::kConfigBits * t.pe_register.area_um2_per_bit;
  }
  a.total_um2 = a.arithmetic_um2 + a.registers_um2 + a.segments_um2 + a.clock_gating_um2 + a.liquid_um2;
  return a;
}

AreaBreakdown area(const TechTable& t, const Design& d) {
  AreaBreakdown b;
  b.pe = pe_area(t, d);
  const double pes = double(d.rows) * d.cols;
  b.mm2["pe_arithmetic"] = pes * b.pe.arithmetic_um2 / kUm2PerMm2;
  b.mm2["pe_registers"] = pes * b.pe.registers_um2 / kUm2PerMm2;
  b.mm2["pe_segments"] = pes * b.pe.segments_um2 / kUm2PerMm2;
  if (d.pe_clock_gating) b.mm2["pe_clock_gating"] = pes * b.pe.clock_gating_um2 / kUm2PerMm2;
  if (d.selective && d.pe == Design::LIMA)  // the north feed's staging registers (array edge)
    b.mm2["pe_registers"] += d.cols * t.selective.feed_register_words_per_column * d.word_bits *
                             t.pe_register.area_um2_per_bit / kUm2PerMm2;
  if (b.pe.liquid_um2 > 0) b.mm2["pe_liquid"] = pes * b.pe.liquid_um2 / kUm2PerMm2;
  for (int i = 0; i < 3; ++i)
    b.mm2[std::string("spad_") + kSpadNames[i]] = d.spad_kib[i] * t.sram.area_mm2_per_kib;
  b.mm2["dma"] = t.dma.area_mm2;
  b.mm2["control"] = t.control.area_mm2;
  const ArithmeticFigures& f = arithmetic_for(t, d.number_format);
  b.mm2["vector_unit"] = lanes_of(d) *
                         (f.mul.area_um2 + f.add.area_um2 + t.vector_unit.lane_overhead_area_um2) /
                         kUm2PerMm2;
  if (d.scoreboard) b.mm2["scoreboard"] = scoreboard_figures(t).area_mm2;
  for (const auto& [name, mm2] : b.mm2) b.total_mm2 += mm2;

  Design lima = d, mac = d;
  lima.pe = Design::LIMA;
  mac.pe = Design::MAC;
  mac.real_only = false;
  mac.segments = false;
  mac.pe_clock_gating = false;
  mac.segment_direction = false;
  mac.selective = false;
  mac.liquid_pe = false;
  b.lima_mac_pe_area_ratio = pe_area(t, lima).total_um2 / pe_area(t, mac).total_um2;
  return b;
}

ActionCounts& ActionCounts::operator+=(const ActionCounts& o) {
  lima_ops += o.lima_ops;
  lima_real_ops += o.lima_real_ops;
  scan_ops += o.scan_ops;
  mac_ops += o.mac_ops;
  vector_ops += o.vector_ops;
  vector_adds += o.vector_adds;
  pe_register_reads += o.pe_register_reads;
  pe_register_writes += o.pe_register_writes;
  operand_hops += o.operand_hops;
  idle_pe_cycles += o.idle_pe_cycles;
  preload_pe_cycles += o.preload_pe_cycles;
  sleep_pe_cycles += o.sleep_pe_cycles;
  pe_wakes += o.pe_wakes;
  reversed_address_steps += o.reversed_address_steps;
  scoreboard_checks += o.scoreboard_checks;
  for (int i = 0; i < 3; ++i) {
    spad_read_words[i] += o.spad_read_words[i];
    spad_write_words[i] += o.spad_write_words[i];
  }
  dma_bytes += o.dma_bytes;
  dram_bytes += o.dram_bytes;
  cycles += o.cycles;
  return *this;
}

EnergyBreakdown energy(const TechTable& t, const Design& d, const ActionCounts& c) {
  validate_design(d);
  if (d.pe == Design::MAC && (c.lima_ops || c.lima_real_ops))
    bad(c.lima_ops ? "counts.lima_ops" : "counts.lima_real_ops",
        "a MAC-only array performs no LIMA ops, got " +
            std::to_string(c.lima_ops ? c.lima_ops : c.lima_real_ops));
  if (d.pe == Design::LIMA && d.real_only && c.lima_ops)
    bad("counts.lima_ops",
        "a real-only LIMA-PE performs no complex LIMA ops, got " + std::to_string(c.lima_ops));

  if (c.scan_ops && !(d.pe == Design::LIMA && d.selective))
    bad("counts.scan_ops", "only a LIMA array built with the selective option performs selective ops, got " +
                               std::to_string(c.scan_ops));
  const ArithmeticFigures& f = arithmetic_for(t, d.number_format);
  const PeStructure complex_pe = pe_structure(Design::LIMA, false, d.word_bits);
  const PeStructure real_pe = pe_structure(Design::LIMA, true, d.word_bits);
  const auto op_energy = [&f](const PeStructure& s) {
    return s.multipliers * f.mul.energy_pj + s.adders * f.add.energy_pj;
  };
  // Traffic is counted in the simulator's 32-bit words; a narrower format moves fewer bits.
  const double scale = d.word_bits / 32.0;

  EnergyBreakdown e;
  e.pj["pe_arithmetic"] = double(c.lima_ops) * op_energy(complex_pe) +
                          double(c.lima_real_ops) * op_energy(real_pe) +
                          double(c.mac_ops) * (f.mul.energy_pj + f.add.energy_pj);
  if (d.segment_direction)  // the option's address decrements: arithmetic of the address generators
    e.pj["pe_arithmetic"] += double(c.reversed_address_steps) * t.segment_direction.step_energy_pj;
  if (c.scan_ops)
    e.pj["pe_arithmetic"] += double(c.scan_ops) * (PeOpCost::kScanMultiplies * f.mul.energy_pj +
                                                   PeOpCost::kScanAdds * f.add.energy_pj +
                                                   PeOpCost::kScanExps * selective_extra(t, d.number_format).exp_energy_pj);
  e.pj["pe_registers"] =
      double(c.pe_register_reads + c.pe_register_writes) * t.pe_register.access_energy_pj * scale;
  e.pj["operand_hops"] = double(c.operand_hops) * t.operand_hop.energy_pj * scale;
  PeGatingFigures g;
  if (d.pe_clock_gating) {
    // Clocked PE-cycles without an op pay their clock, sleeping ones only (retained) leakage.
    g = pe_gating_figures(t, d);
    e.pj["pe_clock"] = double(c.preload_pe_cycles) * g.clocked_pj;
    e.pj["pe_wake"] = double(c.pe_wakes) * g.wake_pj;
    e.pj["pe_sleep"] = double(c.sleep_pe_cycles) * g.sleep_leak_pj;
  } else {
    e.pj["pe_idle"] = double(c.idle_pe_cycles) *
                      pe_structure(d.pe, d.real_only, d.word_bits).register_bits *
                      t.pe_register.idle_energy_pj_per_bit;
  }
  const double sram_width = d.word_bits / 64.0;  // table energies are per 64-bit access
  double spad_kib_total = 0;
  for (int i = 0; i < 3; ++i) {
    e.pj[std::string("spad_") + kSpadNames[i]] =
        (double(c.spad_read_words[i]) * sram_read_energy_pj(t, d.spad_kib[i]) +
         double(c.spad_write_words[i]) * sram_write_energy_pj(t, d.spad_kib[i])) *
        sram_width;
    spad_kib_total += d.spad_kib[i];
  }
  e.pj["dma"] = double(c.dma_bytes) * scale * t.dma.energy_pj_per_byte;
  e.pj["dram"] = double(c.dram_bytes) * scale * t.dram.energy_pj_per_byte;
  if (d.scoreboard) e.pj["scoreboard"] = double(c.scoreboard_checks) * scoreboard_figures(t).check_pj;
  const double vector_overhead = t.vector_unit.op_overhead_energy_pj * scale;
  e.pj["vector_unit"] =
      double(c.vector_ops) * (f.mul.energy_pj + f.add.energy_pj + vector_overhead) +
      double(c.vector_adds) * (f.add.energy_pj + vector_overhead);

  // Leakage: power (uW) times run time (us) gives pJ.
  const AreaBreakdown a = area(t, d);
  const double logic_mm2 =
      a.total_mm2 - a.mm2.at("spad_input") - a.mm2.at("spad_param") - a.mm2.at("spad_output");
  const double leakage_uw =
      logic_mm2 * t.leakage.logic_uw_per_mm2 + spad_kib_total * t.sram.leakage_uw_per_kib;
  e.pj["leakage"] = leakage_uw * (double(c.cycles) / d.clock_mhz);
  // With clock gating, sleeping PEs' leakage is pe_sleep's (at the retention fraction).
  if (d.pe_clock_gating) e.pj["leakage"] -= double(c.sleep_pe_cycles) * g.leak_pj;

  for (const auto& [name, pj] : e.pj) e.total_pj += pj;
  return e;
}

ScoreboardFigures scoreboard_figures(const TechTable& t) {
  const auto& s = t.scoreboard;
  if (!s.present)
    throw EnergyModelError("design.scoreboard: the technology table " + describe(t) +
                           " has no scoreboard figures (docs/energy-area.md)");
  ScoreboardFigures f;
  f.register_bits = s.in_flight_commands * s.ranges_per_command * (2 * s.address_bits + s.spad_id_bits + 1);
  f.comparator_bits = s.ranges_per_command * s.ranges_per_command * s.comparators_per_pair * s.address_bits;
  f.area_mm2 = (f.register_bits * t.pe_register.area_um2_per_bit + f.comparator_bits * s.comparator_area_um2_per_bit) /
               kUm2PerMm2;
  // A look-up: every comparator bit once, and the issued command's ranges written into its
  // unit's registers (a register write per bit at the table's 32-bit access energy / 32).
  const double written_bits = s.ranges_per_command * (2 * s.address_bits + s.spad_id_bits + 1);
  f.check_pj = f.comparator_bits * s.compare_energy_pj_per_bit +
               written_bits * t.pe_register.access_energy_pj / 32.0;
  return f;
}

PeGatingFigures pe_gating_figures(const TechTable& t, const Design& d) {
  validate_design(d);
  require_gating_figures(t);
  const double f = t.pe_gating.sleep_leakage_fraction;
  if (!(f >= 0 && f <= 1))
    bad("pe_gating.sleep_leakage_fraction", "expected a number in 0..1, got " + std::to_string(f));
  Design gated = d;
  gated.pe_clock_gating = true;
  PeGatingFigures g;
  g.clocked_pj = double(pe_structure(d.pe, d.real_only, d.word_bits).register_bits) *
                 t.pe_gating.clocked_energy_pj_per_bit;
  g.wake_pj = t.pe_gating.wake_energy_pj;
  // uW x us = pJ: one PE's leakage power over one clock period.
  g.leak_pj = pe_area(t, gated).total_um2 / kUm2PerMm2 * t.leakage.logic_uw_per_mm2 / d.clock_mhz;
  g.sleep_leak_pj = g.leak_pj * f;
  return g;
}

PeStateCounts pe_state_counts(uint32_t rows, uint32_t cols, uint64_t cycles, uint64_t compute_pe_cycles,
                              uint64_t awake_pe_cycles, uint64_t wakes) {
  PeStateCounts p;
  p.total = uint64_t(rows) * cols * cycles;
  if (compute_pe_cycles > awake_pe_cycles)
    bad("counts.compute_pe_cycles", std::to_string(compute_pe_cycles) + " exceeds the awake PE-cycles " +
                                        std::to_string(awake_pe_cycles));
  if (awake_pe_cycles > p.total)
    bad("counts.awake_pe_cycles", std::to_string(awake_pe_cycles) + " exceeds rows x cols x cycles " +
                                      std::to_string(p.total));
  p.compute = compute_pe_cycles;
  p.preload = awake_pe_cycles - compute_pe_cycles;
  p.sleep = p.total - awake_pe_cycles;
  p.wakes = wakes;
  return p;
}

ActionCounts prodf_pe_counts(uint64_t active_pe_cycles, bool real_only, uint64_t bypass_pe_cycles) {
  const uint64_t coeff_words = real_only ? kLimaRealCoeffWords : kLimaCoeffWords;
  const uint64_t state_words = real_only ? kLimaRealStateWords : kLimaStateWords;
  ActionCounts c;
  (real_only ? c.lima_real_ops : c.lima_ops) = active_pe_cycles;
  c.pe_register_reads = active_pe_cycles * (coeff_words + state_words);  // a, b, c, d, x
  c.pe_register_writes = active_pe_cycles * (state_words + 2) + bypass_pe_cycles * 2;  // x, u, psum
  c.operand_hops = (active_pe_cycles + bypass_pe_cycles) * 2;                          // u, psum
  return c;
}

ActionCounts prodf_scan_pe_counts(uint64_t scan_pe_cycles, uint64_t bypass_pe_cycles) {
  ActionCounts c;
  c.scan_ops = scan_pe_cycles;
  c.pe_register_reads = scan_pe_cycles * 3;                                 // a, d, x
  c.pe_register_writes = scan_pe_cycles * 4 + bypass_pe_cycles * 2;         // x, u, Delta, psum
  c.operand_hops = scan_pe_cycles * 5 + bypass_pe_cycles * 2;               // u, Delta, psum; B, C
  return c;
}

ActionCounts prodf_coeff_load_counts(uint64_t loaded_rows, uint32_t cols, bool real_only) {
  const uint64_t coeff_words = real_only ? kLimaRealCoeffWords : kLimaCoeffWords;
  const uint64_t state_words = real_only ? kLimaRealStateWords : kLimaStateWords;
  const uint64_t n = cols;
  ActionCounts c;
  // The record for column j is written j+1 times on its way and hops j times.
  c.pe_register_writes = loaded_rows * (coeff_words * n * (n + 1) / 2 + state_words * n);
  c.operand_hops = loaded_rows * coeff_words * n * (n - 1) / 2;
  return c;
}

ActionCounts ws_mac_pe_counts(uint64_t mac_ops) {
  ActionCounts c;
  c.mac_ops = mac_ops;
  c.pe_register_reads = mac_ops;       // w
  c.pe_register_writes = mac_ops * 2;  // input and psum pipeline registers
  c.operand_hops = mac_ops * 2;        // input east, psum south
  return c;
}

ActionCounts ws_weight_load_counts(uint64_t weight_words, uint32_t rows) {
  ActionCounts c;
  c.pe_register_writes = weight_words;
  c.operand_hops = weight_words * (rows ? rows - 1 : 0);  // the column bus's wire length
  return c;
}

}  // namespace epochcore::energy
