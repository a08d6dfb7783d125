// Energy and area model: the shipped 45 nm table, every class of table error (with the
// key named), the SRAM curve, PE and chip areas by hand, energies of hand-made counts,
// number-format scaling, leakage, and the PE-level counts derived from array counters.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "epochcore/maths/energy/energy_model.h"
#include "epochcore/maths/energy/tech_table.h"
#include "epochcore/platform/io/tech_table_file.h"

using namespace epochcore::energy;
using Catch::Contains;

namespace {

const std::string kTablePath = std::string(EC_SOURCE_DIR) + "/scenarios/tech/45nm.yaml";

std::string shipped_text() {
  std::ifstream in(kTablePath);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The shipped table with one exact piece of text replaced (which must occur once).
std::string edited(const std::string& from, const std::string& to) {
  std::string text = shipped_text();
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(text.find(from, at + 1) == std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string error_of(const std::string& yaml) {
  try {
    parse_tech_table(yaml, "t.yaml");
  } catch (const TechTableError& e) {
    return e.what();
  }
  return "(no error)";
}

const TechTable& table() {
  static const TechTable t = load_tech_table(kTablePath);
  return t;
}

Design lima_design(const std::string& format = "fp32", uint32_t bits = 32) {
  Design d;
  d.pe = Design::LIMA;
  d.rows = 4;
  d.cols = 8;
  d.number_format = format;
  d.word_bits = bits;
  d.spad_kib[0] = 16;
  d.spad_kib[1] = 8;
  d.spad_kib[2] = 128;
  d.clock_mhz = 500;
  return d;
}

constexpr double kFlop = 4.522;  // um^2 per register bit in the shipped table

}  // namespace

TEST_CASE("tech table: the shipped 45 nm table loads with its figures", "[energy]") {
  const TechTable& t = table();
  CHECK(t.name == "horowitz-45nm");
  CHECK(t.node_nm == 45);
  CHECK(t.path == kTablePath);
  CHECK(describe(t) == "horowitz-45nm (" + kTablePath + ")");
  CHECK_THAT(t.source, Contains("Horowitz"));
  CHECK(t.arithmetic.at("fp32").mul.energy_pj == 3.7);
  CHECK(t.arithmetic.at("fp32").add.area_um2 == 4184);
  CHECK(t.arithmetic.at("fp16").mul.area_um2 == 1640);
  CHECK(t.arithmetic.at("int8").add.energy_pj == 0.03);
  CHECK(t.arithmetic.at("int32").mul.area_um2 == 3495);
  // bf16 is not in the file: it takes the fp16 figures.
  CHECK(t.arithmetic.at("bf16").mul.energy_pj == t.arithmetic.at("fp16").mul.energy_pj);
  CHECK(t.arithmetic.at("bf16").add.area_um2 == t.arithmetic.at("fp16").add.area_um2);
  REQUIRE(t.sram.points.size() == 4);
  CHECK(t.sram.points[2].capacity_kib == 128);
  CHECK(t.sram.points[2].read_energy_pj == 32.4);
  CHECK(t.sram.points[2].write_energy_pj == 26.2);
  CHECK(t.pe_register.area_um2_per_bit == kFlop);
  CHECK(t.dram.energy_pj_per_byte == 64);
  CHECK(describe(parse_tech_table(shipped_text(), "x")) == "horowitz-45nm (built from text)");
}

TEST_CASE("tech table: bf16 figures of its own override fp16", "[energy]") {
  const TechTable t =
      parse_tech_table(edited("  # bf16: not listed, so it uses the fp16 figures.\n",
                              "  bf16:\n    add: {energy_pj: 0.5, area_um2: 1000}\n    mul: "
                              "{energy_pj: 0.9, area_um2: 1200}\n"),
                       "t.yaml");
  CHECK(t.arithmetic.at("bf16").add.energy_pj == 0.5);
  CHECK(t.arithmetic.at("bf16").mul.area_um2 == 1200);
  CHECK(t.arithmetic.at("fp16").mul.area_um2 == 1640);
}

TEST_CASE("tech table: every error names the file and the key", "[energy]") {
  const std::string fp32_mul = "mul: {energy_pj: 3.7, area_um2: 7700}";
  CHECK(error_of(edited(fp32_mul, "mul: {energy_pj: -1, area_um2: 7700}")) ==
        "t.yaml: arithmetic.fp32.mul.energy_pj: expected a non-negative number, got -1");
  for (const char* bad : {".inf", "-.inf", ".nan", "inf", "nan", "1e999", "abc", "1.5x", "''"})
    CHECK_THAT(
        error_of(edited(fp32_mul, std::string("mul: {energy_pj: ") + bad + ", area_um2: 7700}")),
        Contains("t.yaml: arithmetic.fp32.mul.energy_pj: expected a non-negative number, got"));
  CHECK(error_of(edited(fp32_mul, "mul: {energy_pj: [1], area_um2: 7700}")) ==
        "t.yaml: arithmetic.fp32.mul.energy_pj: expected a non-negative number, got a list");
  // Unknown keys, with the valid ones listed; a misspelling is reported as unknown first.
  CHECK(
      error_of(edited(fp32_mul, "mul: {energy_jp: 3.7, area_um2: 7700}")) ==
      "t.yaml: arithmetic.fp32.mul.energy_jp: unknown key (expected one of: energy_pj, area_um2)");
  CHECK_THAT(error_of(edited("node_nm: 45\n", "node_nm: 45\nvoltage: 1.0\n")),
             Contains("t.yaml: voltage: unknown key"));
  CHECK_THAT(error_of(edited("  fp16:\n", "  fp8:\n")),
             Contains("t.yaml: arithmetic.fp8: unknown key"));
  // Missing keys and sections.
  CHECK(error_of(edited("    mul: {energy_pj: 0.2, area_um2: 282}\n", "")) ==
        "t.yaml: arithmetic.int8.mul: missing key");
  CHECK(error_of(edited("  energy_pj_per_byte: 64 ", "  ")) ==
        "t.yaml: dram: expected a map of keys "
        "(energy_pj_per_byte), got nothing");
  CHECK(error_of(edited("leakage:\n  logic_uw_per_mm2: 1000", "")) ==
        "t.yaml: leakage: missing key");
  CHECK(error_of(edited("node_nm: 45\n", "")) == "t.yaml: node_nm: missing key");
  CHECK(error_of(edited("  area_mm2_per_kib: 0.0057", "")) ==
        "t.yaml: sram.area_mm2_per_kib: missing key");
  // Positive where zero is meaningless, and strings.
  CHECK(error_of(edited("node_nm: 45\n", "node_nm: 0\n")) ==
        "t.yaml: node_nm: expected a positive number, got 0");
  CHECK(error_of(edited("name: horowitz-45nm\n", "name:\n")) ==
        "t.yaml: name: expected a non-empty string, got nothing");
  CHECK(error_of(edited("name: horowitz-45nm\n", "name: {a: 1}\n")) ==
        "t.yaml: name: expected a non-empty string, got a map");
  // Duplicate keys.
  CHECK(error_of(edited("node_nm: 45\n", "node_nm: 45\nnode_nm: 46\n")) ==
        "t.yaml: node_nm: duplicate key");
  // SRAM points: a list of at least two, strictly increasing, positive energies.
  CHECK(error_of(edited("{capacity_kib: 128, read_energy_pj: 32.4",
                        "{capacity_kib: 128, read_energy_pj: 0")) ==
        "t.yaml: sram.points[2].read_energy_pj: expected a positive number, got 0");
  CHECK(error_of(edited("{capacity_kib: 128,", "{capacity_kib: 32,")) ==
        "t.yaml: sram.points[2].capacity_kib: capacities must increase strictly along the list");
  CHECK(error_of(edited("{capacity_kib: 8, read_energy_pj: 10, write_energy_pj: 10}",
                        "{capacity_kib: 8, read_energy_pj: 10, write_energy_pj: 10, banks: 1}")) ==
        "t.yaml: sram.points[0].banks: unknown key (expected one of: capacity_kib, read_energy_pj, "
        "write_energy_pj)");
  CHECK(error_of("name: x\nnode_nm: 45\nsource: s\narithmetic: {}\n") ==
        "t.yaml: arithmetic.fp32: missing key");
  const std::string two_points_cut = edited(
      "    - {capacity_kib: 32, read_energy_pj: 20, write_energy_pj: 20}      # Horowitz\n"
      "    - {capacity_kib: 128, read_energy_pj: 32.4, write_energy_pj: 26.2} # Accelergy, 32 "
      "banks\n"
      "    - {capacity_kib: 1024, read_energy_pj: 100, write_energy_pj: 100}  # Horowitz\n",
      "");
  CHECK(error_of(two_points_cut) ==
        "t.yaml: sram.points: expected a list of at least two capacity points, got 1");
  CHECK(error_of(edited("  points:\n", "  points: 3\n  old_points:\n")) ==
        "t.yaml: sram.old_points: unknown key (expected one of: points, area_mm2_per_kib, "
        "leakage_uw_per_kib)");
  // Whole-document problems.
  CHECK(error_of("") ==
        "t.yaml: expected a map of keys (name, node_nm, source, arithmetic, pe_register, "
        "operand_hop, segments, segment_direction, sram, dram, dma, control, vector_unit, leakage, pe_gating, selective, scoreboard), got nothing");
  CHECK_THAT(error_of("name: [unclosed\n"), Contains("t.yaml:") && Contains("YAML syntax error"));
  CHECK_THROWS_WITH(load_tech_table("/nonexistent/tech.yaml"),
                    "/nonexistent/tech.yaml: cannot open the technology table");
}

TEST_CASE("tech table: SRAM energy at the points, between them and beyond", "[energy]") {
  const TechTable& t = table();
  CHECK(sram_read_energy_pj(t, 8) == 10);
  CHECK(sram_read_energy_pj(t, 32) == 20);
  CHECK(sram_read_energy_pj(t, 128) == 32.4);
  CHECK(sram_write_energy_pj(t, 128) == 26.2);
  CHECK(sram_read_energy_pj(t, 1024) == 100);
  // Log-log: halfway (in log capacity) between two points is their geometric mean.
  CHECK(sram_read_energy_pj(t, 16) == Approx(std::sqrt(10.0 * 20.0)).epsilon(1e-12));
  CHECK(sram_write_energy_pj(t, 64) == Approx(std::sqrt(20.0 * 26.2)).epsilon(1e-12));
  // 512 KiB is two thirds of the way from 128 to 1024 in log capacity.
  CHECK(sram_read_energy_pj(t, 512) ==
        Approx(std::pow(32.4, 1.0 / 3) * std::pow(100.0, 2.0 / 3)).epsilon(1e-12));
  // Beyond the ends: along the end segments (slope 1/2 below 8 KiB).
  CHECK(sram_read_energy_pj(t, 2) == Approx(5.0).epsilon(1e-12));
  const double slope = std::log(100 / 32.4) / std::log(8.0);
  CHECK(sram_read_energy_pj(t, 4096) == Approx(100 * std::pow(4.0, slope)).epsilon(1e-12));
  // Monotonic over a sweep.
  double last = 0;
  for (double kib = 1; kib <= 16384; kib *= 1.5) {
    const double e = sram_read_energy_pj(t, kib);
    CHECK(e > last);
    last = e;
  }
  CHECK_THROWS_AS(sram_read_energy_pj(t, 0), std::invalid_argument);
  CHECK_THROWS_AS(sram_write_energy_pj(t, -3), std::invalid_argument);

  // A two-point table on the line E = capacity: the curve is exact everywhere.
  TechTable line = t;
  line.sram.points = {{1, 1, 2}, {100, 100, 200}};
  CHECK(sram_read_energy_pj(line, 10) == Approx(10).epsilon(1e-12));
  CHECK(sram_write_energy_pj(line, 1000) == Approx(2000).epsilon(1e-12));
}

TEST_CASE("area: PEs by hand from the table", "[energy]") {
  const TechTable& t = table();
  Design d = lima_design();
  const double lima = 9 * 7700.0 + 7 * 4184.0 + (12 * 32 + 1) * kFlop;
  const double lima_real = 4 * 7700.0 + 3 * 4184.0 + (8 * 32 + 1) * kFlop;
  const double mac = 7700.0 + 4184.0 + (3 * 32 + 1) * kFlop;
  const double seg = 2 * 32 * 1.862 + 2 * kFlop;

  CHECK(pe_area(t, d).total_um2 == Approx(lima).epsilon(1e-12));
  CHECK(pe_area(t, d).arithmetic_um2 == Approx(9 * 7700.0 + 7 * 4184.0).epsilon(1e-12));
  CHECK(pe_area(t, d).segments_um2 == 0);
  d.segments = true;
  CHECK(pe_area(t, d).total_um2 == Approx(lima + seg).epsilon(1e-12));
  CHECK(pe_area(t, d).segments_um2 == Approx(seg).epsilon(1e-12));
  d.segments = false;
  d.real_only = true;
  CHECK(pe_area(t, d).total_um2 == Approx(lima_real).epsilon(1e-12));
  d.pe = Design::MAC;
  d.real_only = false;
  CHECK(pe_area(t, d).total_um2 == Approx(mac).epsilon(1e-12));
  CHECK(pe_area(t, d).registers_um2 == Approx(97 * kFlop).epsilon(1e-12));

  CHECK(area(t, lima_design()).lima_mac_pe_area_ratio == Approx(lima / mac).epsilon(1e-12));
  CHECK(area(t, d).lima_mac_pe_area_ratio ==
        Approx(lima / mac).epsilon(1e-12));  // from a MAC design too
  Design real = lima_design();
  real.real_only = true;
  CHECK(area(t, real).lima_mac_pe_area_ratio == Approx(lima_real / mac).epsilon(1e-12));

  // fp16 uses the fp16 units and 16-bit registers.
  const double lima16 = 9 * 1640.0 + 7 * 1360.0 + (12 * 16 + 1) * kFlop;
  const double mac16 = 1640.0 + 1360.0 + (3 * 16 + 1) * kFlop;
  CHECK(area(t, lima_design("fp16", 16)).lima_mac_pe_area_ratio ==
        Approx(lima16 / mac16).epsilon(1e-12));

  const PeStructure s = pe_structure(Design::LIMA, false, 32);
  CHECK(s.multipliers == 9);
  CHECK(s.adders == 7);
  CHECK(s.register_bits == 385);
  CHECK(pe_structure(Design::LIMA, true, 16).register_bits == 8 * 16 + 1);
  CHECK(pe_structure(Design::MAC, false, 8).register_bits == 25);
}

TEST_CASE("area: chip breakdown sums its components", "[energy]") {
  const TechTable& t = table();
  Design d = lima_design();
  d.segments = true;
  const AreaBreakdown a = area(t, d);
  const double pes = 4 * 8;
  CHECK(a.mm2.at("pe_arithmetic") == Approx(pes * (9 * 7700.0 + 7 * 4184.0) / 1e6).epsilon(1e-12));
  CHECK(a.mm2.at("pe_registers") == Approx(pes * 385 * kFlop / 1e6).epsilon(1e-12));
  CHECK(a.mm2.at("pe_segments") == Approx(pes * (2 * 32 * 1.862 + 2 * kFlop) / 1e6).epsilon(1e-12));
  CHECK(a.mm2.at("spad_input") == Approx(16 * 0.0057).epsilon(1e-12));
  CHECK(a.mm2.at("spad_param") == Approx(8 * 0.0057).epsilon(1e-12));
  CHECK(a.mm2.at("spad_output") == Approx(128 * 0.0057).epsilon(1e-12));
  CHECK(a.mm2.at("dma") == 0.05);
  CHECK(a.mm2.at("control") == 0.03);
  // Lanes default to max(rows, cols) = 8.
  CHECK(a.mm2.at("vector_unit") == Approx(8 * (7700.0 + 4184.0 + 5000.0) / 1e6).epsilon(1e-12));
  d.vector_lanes = 3;
  CHECK(area(t, d).mm2.at("vector_unit") ==
        Approx(3 * (7700.0 + 4184.0 + 5000.0) / 1e6).epsilon(1e-12));
  CHECK(a.mm2.size() == 9);
  double sum = 0;
  for (const auto& [name, mm2] : a.mm2) sum += mm2;
  CHECK(a.total_mm2 == Approx(sum).epsilon(1e-12));
  CHECK(a.pe.total_um2 == Approx(pe_area(t, d).total_um2).epsilon(1e-12));
}

TEST_CASE("design validation names the field", "[energy]") {
  const TechTable& t = table();
  Design d = lima_design();
  d.word_bits = 16;
  CHECK_THROWS_WITH(area(t, d), "design.word_bits: fp32 values are 32 bits, got 16");
  d = lima_design("fp8", 8);
  CHECK_THROWS_WITH(area(t, d), Contains("design.number_format: unknown number format 'fp8'"));
  d = lima_design();
  d.rows = 0;
  CHECK_THROWS_WITH(energy(t, d, {}), "design.rows: expected a positive integer, got 0");
  d = lima_design();
  d.spad_kib[1] = 0;
  CHECK_THROWS_WITH(area(t, d), Contains("design.spad_param_kib: expected a positive number"));
  d = lima_design();
  d.spad_banks[2] = 0;
  CHECK_THROWS_WITH(validate_design(d),
                    "design.spad_output_banks: expected a positive integer, got 0");
  d = lima_design();
  d.clock_mhz = NAN;
  CHECK_THROWS_AS(validate_design(d), EnergyModelError);
  CHECK_NOTHROW(validate_design(lima_design("int8", 8)));
  CHECK_NOTHROW(validate_design(lima_design("bf16", 16)));
}

TEST_CASE("energy: hand-made counts, component by component", "[energy]") {
  const TechTable& t = table();
  const Design d = lima_design();  // spads 16, 8, 128 KiB; 500 MHz
  ActionCounts c;
  c.lima_ops = 100;
  c.mac_ops = 10;
  c.pe_register_reads = 7;
  c.pe_register_writes = 3;
  c.operand_hops = 20;
  c.idle_pe_cycles = 1000;
  c.spad_read_words[kSpadInput] = 4;
  c.spad_write_words[kSpadInput] = 2;
  c.spad_read_words[kSpadParam] = 6;
  c.spad_write_words[kSpadOutput] = 5;
  c.spad_read_words[kSpadOutput] = 1;
  c.dma_bytes = 64;
  c.dram_bytes = 128;
  c.vector_ops = 9;
  c.vector_adds = 4;
  const EnergyBreakdown e = energy(t, d, c);
  const double lima_op = 9 * 3.7 + 7 * 0.9;
  CHECK(e.pj.at("pe_arithmetic") == Approx(100 * lima_op + 10 * (3.7 + 0.9)).epsilon(1e-12));
  CHECK(e.pj.at("pe_registers") == Approx(10 * 0.288).epsilon(1e-12));
  CHECK(e.pj.at("operand_hops") == Approx(20 * 0.576).epsilon(1e-12));
  CHECK(e.pj.at("pe_idle") == 0);  // clock-gated in the shipped table
  // 32-bit words are half a 64-bit access.
  const double e16 = std::sqrt(10.0 * 20.0);
  CHECK(e.pj.at("spad_input") == Approx((4 * e16 + 2 * e16) / 2).epsilon(1e-12));
  CHECK(e.pj.at("spad_param") == Approx(6 * 10.0 / 2).epsilon(1e-12));
  CHECK(e.pj.at("spad_output") == Approx((1 * 32.4 + 5 * 26.2) / 2).epsilon(1e-12));
  CHECK(e.pj.at("dma") == Approx(64 * 2.0).epsilon(1e-12));
  CHECK(e.pj.at("dram") == Approx(128 * 64.0).epsilon(1e-12));
  CHECK(e.pj.at("vector_unit") == Approx(9 * (3.7 + 0.9 + 1.0) + 4 * (0.9 + 1.0)).epsilon(1e-12));
  CHECK(e.pj.at("leakage") == 0);  // no cycles
  CHECK(e.pj.size() == 11);
  double sum = 0;
  for (const auto& [name, pj] : e.pj) sum += pj;
  CHECK(e.total_pj == Approx(sum).epsilon(1e-12));

  // Idle PEs cost their register bits when the table charges ungated clocks.
  TechTable ungated = t;
  ungated.pe_register.idle_energy_pj_per_bit = 0.002;
  CHECK(energy(ungated, d, c).pj.at("pe_idle") == Approx(1000 * 385 * 0.002).epsilon(1e-12));

  // Real-only LIMA ops: 4 multiplies, 3 adds.
  ActionCounts r;
  r.lima_real_ops = 10;
  CHECK(energy(t, d, r).pj.at("pe_arithmetic") == Approx(10 * (4 * 3.7 + 3 * 0.9)).epsilon(1e-12));
}

TEST_CASE("energy: counts a design cannot have are errors", "[energy]") {
  const TechTable& t = table();
  Design mac = lima_design();
  mac.pe = Design::MAC;
  ActionCounts c;
  c.lima_ops = 5;
  CHECK_THROWS_WITH(energy(t, mac, c),
                    "counts.lima_ops: a MAC-only array performs no LIMA ops, got 5");
  c.lima_ops = 0;
  c.lima_real_ops = 2;
  CHECK_THROWS_WITH(energy(t, mac, c),
                    "counts.lima_real_ops: a MAC-only array performs no LIMA ops, got 2");
  Design real = lima_design();
  real.real_only = true;
  c = {};
  c.lima_ops = 1;
  CHECK_THROWS_WITH(energy(t, real, c),
                    "counts.lima_ops: a real-only LIMA-PE performs no complex LIMA ops, got 1");
  c = {};
  c.mac_ops = 3;
  CHECK_NOTHROW(energy(t, real, c));  // a LIMA-PE has a MAC mode
}

TEST_CASE("energy: the number format sets arithmetic figures and traffic width", "[energy]") {
  const TechTable& t = table();
  ActionCounts c;
  c.lima_ops = 1000;
  c.mac_ops = 100;
  c.pe_register_reads = 900;
  c.pe_register_writes = 400;
  c.operand_hops = 200;
  c.spad_read_words[kSpadInput] = 50;
  c.spad_write_words[kSpadOutput] = 50;
  c.dma_bytes = 400;
  c.dram_bytes = 400;
  c.vector_ops = 30;
  c.vector_adds = 10;
  const EnergyBreakdown e32 = energy(t, lima_design(), c);
  const EnergyBreakdown e16 = energy(t, lima_design("fp16", 16), c);
  CHECK(e16.pj.at("pe_arithmetic") ==
        Approx(1000 * (9 * 1.1 + 7 * 0.4) + 100 * 1.5).epsilon(1e-12));
  for (const char* halved :
       {"pe_registers", "operand_hops", "spad_input", "spad_output", "dma", "dram"})
    CHECK(e16.pj.at(halved) == Approx(e32.pj.at(halved) / 2).epsilon(1e-12));
  CHECK(e16.pj.at("vector_unit") ==
        Approx(30 * (1.1 + 0.4 + 0.5) + 10 * (0.4 + 0.5)).epsilon(1e-12));
  // bf16 costs what fp16 costs (no figures of its own); int8 moves a quarter of the bits.
  CHECK(energy(t, lima_design("bf16", 16), c).total_pj == Approx(e16.total_pj).epsilon(1e-12));
  const EnergyBreakdown e8 = energy(t, lima_design("int8", 8), c);
  CHECK(e8.pj.at("pe_arithmetic") ==
        Approx(1000 * (9 * 0.2 + 7 * 0.03) + 100 * 0.23).epsilon(1e-12));
  CHECK(e8.pj.at("spad_input") == Approx(e32.pj.at("spad_input") / 4).epsilon(1e-12));
}

TEST_CASE("energy: leakage is power times run time, proportional to cycles", "[energy]") {
  const TechTable& t = table();
  const Design d = lima_design();
  ActionCounts c;
  c.cycles = 5000;
  const AreaBreakdown a = area(t, d);
  const double logic_mm2 = a.total_mm2 - (16 + 8 + 128) * 0.0057;
  const double power_uw = logic_mm2 * 1000 + (16 + 8 + 128) * 1.0;
  const double once = energy(t, d, c).pj.at("leakage");
  CHECK(once == Approx(power_uw * 5000 / 500.0).epsilon(1e-12));  // uW * us = pJ
  c.cycles = 15000;
  CHECK(energy(t, d, c).pj.at("leakage") == Approx(3 * once).epsilon(1e-12));
  CHECK(energy(t, d, c).total_pj == Approx(3 * once).epsilon(1e-12));  // nothing else counted
  // The smaller MAC array leaks less over the same time.
  Design mac = d;
  mac.pe = Design::MAC;
  CHECK(energy(t, mac, c).pj.at("leakage") < energy(t, d, c).pj.at("leakage"));
}

TEST_CASE("derived counts: ProDF and weight-stationary PE traffic", "[energy]") {
  const ActionCounts p = prodf_pe_counts(10, false, 3);
  CHECK(p.lima_ops == 10);
  CHECK(p.lima_real_ops == 0);
  CHECK(p.pe_register_reads == 10 * (2 + 2 + 2 + 1 + 2));  // a, b, c, d, x
  CHECK(p.pe_register_writes == 10 * (2 + 2) + 3 * 2);     // x, u, psum; bypass u, psum
  CHECK(p.operand_hops == (10 + 3) * 2);
  const ActionCounts pr = prodf_pe_counts(10, true);
  CHECK(pr.lima_real_ops == 10);
  CHECK(pr.lima_ops == 0);
  CHECK(pr.pe_register_reads == 50);
  CHECK(pr.pe_register_writes == 30);
  CHECK(pr.operand_hops == 20);

  const ActionCounts m = ws_mac_pe_counts(7);
  CHECK(m.mac_ops == 7);
  CHECK(m.pe_register_reads == 7);
  CHECK(m.pe_register_writes == 14);
  CHECK(m.operand_hops == 14);

  // Shift-in chains, counted step by step: the k-th word in goes to the (n-1-k)-th PE.
  const auto chain = [](uint64_t n) {
    uint64_t writes = 0, hops = 0;
    for (uint64_t k = 0; k < n; ++k) {
      const uint64_t dest = n - 1 - k;
      writes += dest + 1;  // PEs 0..dest
      hops += dest;        // every move after the edge
    }
    return std::pair<uint64_t, uint64_t>(writes, hops);
  };
  const ActionCounts w = ws_weight_load_counts(96, 5);
  CHECK(w.pe_register_writes == 96);
  CHECK(w.operand_hops == 96 * 4);
  CHECK(w.pe_register_reads == 0);
  CHECK(ws_weight_load_counts(7, 1).operand_hops == 0);
  const ActionCounts l = prodf_coeff_load_counts(6, 8, false);
  CHECK(l.pe_register_writes ==
        6 * (7 * chain(8).first + 2 * 8));  // 7 coefficient words, x cleared
  CHECK(l.operand_hops == 6 * 7 * chain(8).second);
  const ActionCounts lr = prodf_coeff_load_counts(6, 8, true);
  CHECK(lr.pe_register_writes == 6 * (4 * chain(8).first + 8));
  CHECK(prodf_coeff_load_counts(2, 1, false).operand_hops == 0);

  ActionCounts sum = p;
  sum += m;
  sum.cycles = 4;
  sum.vector_adds = 1;
  sum += sum;
  CHECK(sum.lima_ops == 20);
  CHECK(sum.mac_ops == 14);
  CHECK(sum.operand_hops == 2 * (26 + 14));
  CHECK(sum.cycles == 8);
  CHECK(sum.vector_adds == 2);
}

TEST_CASE("derived counts: += adds every field", "[energy]") {
  ActionCounts a;
  uint64_t v = 1;
  for (uint64_t* f :
       {&a.lima_ops, &a.lima_real_ops, &a.scan_ops, &a.mac_ops, &a.vector_ops, &a.vector_adds,
        &a.pe_register_reads, &a.pe_register_writes, &a.operand_hops, &a.idle_pe_cycles,
        &a.preload_pe_cycles, &a.sleep_pe_cycles, &a.pe_wakes, &a.spad_read_words[0], &a.spad_read_words[1], &a.spad_read_words[2], &a.spad_write_words[0],
        &a.spad_write_words[1], &a.spad_write_words[2], &a.dma_bytes, &a.dram_bytes, &a.cycles,
        &a.reversed_address_steps, &a.scoreboard_checks})
    *f = v++;
  ActionCounts b = a;
  b += a;
  CHECK(sizeof(ActionCounts) == 24 * sizeof(uint64_t));  // a new field must join this list
  const uint64_t* pa = reinterpret_cast<const uint64_t*>(&a);
  const uint64_t* pb = reinterpret_cast<const uint64_t*>(&b);
  for (size_t i = 0; i < 24; ++i) CHECK(pb[i] == 2 * pa[i]);
}

TEST_CASE("tech table: pe_gating figures are optional, checked when given", "[energy][gating]") {
  const TechTable& t = table();
  CHECK(t.pe_gating.present);
  CHECK(t.pe_gating.clocked_energy_pj_per_bit == 0.005);
  CHECK(t.pe_gating.wake_energy_pj == 0.05);
  CHECK(t.pe_gating.cell_area_um2 == 4.522);
  CHECK(t.pe_gating.sleep_leakage_fraction == 1.0);
  const std::string section = shipped_text().substr(shipped_text().find("\npe_gating:") + 1);
  const TechTable without = parse_tech_table(edited(section, ""), "t.yaml");
  CHECK_FALSE(without.pe_gating.present);
  CHECK(error_of(edited("sleep_leakage_fraction: 1.0", "sleep_leakage_fraction: 1.5")) ==
        "t.yaml: pe_gating.sleep_leakage_fraction: expected a fraction in 0..1, got 1.500000");
  CHECK(error_of(edited("wake_energy_pj: 0.05", "wake_energy_pj: -1")) ==
        "t.yaml: pe_gating.wake_energy_pj: expected a non-negative number, got -1");
  CHECK_THAT(error_of(edited("  cell_area_um2: 4.522", "  cell_area_um2x: 4.522")),
             Contains("t.yaml: pe_gating.cell_area_um2x: unknown key"));
  // A design with the option needs the figures; without it the table is enough.
  Design d = lima_design();
  CHECK_NOTHROW(energy(without, d, ActionCounts{}));
  d.pe_clock_gating = true;
  CHECK_THROWS_WITH(area(without, d), Contains("energy.pe_clock_gating: the technology table"));
  CHECK_THROWS_WITH(energy(without, d, ActionCounts{}), Contains("has no pe_gating figures"));
}

TEST_CASE("PE states: compute, preload and sleep add up to every PE-cycle", "[energy][gating]") {
  const PeStateCounts p = pe_state_counts(4, 8, 1000, 5000, 12000, 96);
  CHECK(p.total == 32000);
  CHECK(p.compute == 5000);
  CHECK(p.preload == 7000);
  CHECK(p.sleep == 20000);
  CHECK(p.wakes == 96);
  CHECK(p.compute + p.preload + p.sleep == p.total);
  CHECK(pe_state_counts(4, 8, 1000, 0, 32000, 0).sleep == 0);
  CHECK_THROWS_WITH(pe_state_counts(4, 8, 1000, 5001, 5000, 0), Contains("counts.compute_pe_cycles"));
  CHECK_THROWS_WITH(pe_state_counts(4, 8, 1000, 0, 32001, 0), Contains("counts.awake_pe_cycles"));
}

TEST_CASE("PE clock gating: area and energy by hand; off changes nothing", "[energy][gating]") {
  const TechTable& t = table();
  const Design off = lima_design();
  Design on = off;
  on.pe_clock_gating = true;

  // Area: one gating cell per PE, only with the option.
  const AreaBreakdown a_off = area(t, off), a_on = area(t, on);
  CHECK(a_off.mm2.count("pe_clock_gating") == 0);
  CHECK(a_on.mm2.at("pe_clock_gating") == Approx(32 * 4.522 / 1e6).epsilon(1e-12));
  CHECK(a_on.total_mm2 == Approx(a_off.total_mm2 + 32 * 4.522 / 1e6).epsilon(1e-12));
  CHECK(a_on.pe.total_um2 == Approx(a_off.pe.total_um2 + 4.522).epsilon(1e-12));
  CHECK(a_on.lima_mac_pe_area_ratio == Approx(a_on.pe.total_um2 / area(t, [&] {
                                                 Design m = off;
                                                 m.pe = Design::MAC;
                                                 return m;
                                               }()).pe.total_um2));

  ActionCounts c = prodf_pe_counts(3000, false, 500);
  c.cycles = 1000;  // 32 PEs: 32000 PE-cycles
  c.idle_pe_cycles = 32000 - 3500;
  c.preload_pe_cycles = 9000;  // 3000 compute + 9000 preload + 20000 sleep
  c.sleep_pe_cycles = 20000;
  c.pe_wakes = 40;
  c.spad_read_words[0] = 100;
  c.dram_bytes = 64;

  const EnergyBreakdown e_off = energy(t, off, c), e_on = energy(t, on, c);
  // Off: the state counts are ignored, the breakdown is today's.
  ActionCounts plain = c;
  plain.preload_pe_cycles = plain.sleep_pe_cycles = plain.pe_wakes = 0;
  CHECK(e_off.pj == energy(t, off, plain).pj);
  CHECK(e_off.total_pj == energy(t, off, plain).total_pj);
  CHECK(e_off.pj.count("pe_idle") == 1);
  CHECK(e_off.pj.count("pe_clock") == 0);

  // On: pe_idle gives way to pe_clock, pe_wake and pe_sleep.
  CHECK(e_on.pj.count("pe_idle") == 0);
  const double bits = 12 * 32 + 1;
  CHECK(e_on.pj.at("pe_clock") == Approx(9000 * bits * 0.005).epsilon(1e-12));
  CHECK(e_on.pj.at("pe_wake") == Approx(40 * 0.05).epsilon(1e-12));
  const double pe_leak_pj = a_on.pe.total_um2 / 1e6 * 1000 / 500.0;  // uW x us per PE-cycle
  CHECK(e_on.pj.at("pe_sleep") == Approx(20000 * pe_leak_pj * 1.0).epsilon(1e-12));
  const double chip_leak_on = (a_on.total_mm2 - (16 + 8 + 128) * 0.0057) * 1000 + (16 + 8 + 128) * 1.0;
  CHECK(e_on.pj.at("leakage") == Approx(chip_leak_on * 1000 / 500.0 - 20000 * pe_leak_pj).epsilon(1e-12));
  // At a retention fraction of 1 the sleeping PEs leak as before: leakage moves, no saving.
  CHECK(e_on.pj.at("leakage") + e_on.pj.at("pe_sleep") == Approx(chip_leak_on * 1000 / 500.0).epsilon(1e-12));
  // Everything else is the same figure as with the option off.
  for (const char* k : {"pe_arithmetic", "pe_registers", "operand_hops", "spad_input", "spad_param", "spad_output",
                        "dma", "dram", "vector_unit"})
    CHECK(e_on.pj.at(k) == e_off.pj.at(k));
  double sum = 0;
  for (const auto& [k, v] : e_on.pj) sum += v;
  CHECK(e_on.total_pj == Approx(sum).epsilon(1e-12));

  // Power gating: a retention fraction scales the sleeping PEs' leakage.
  TechTable pg = t;
  pg.pe_gating.sleep_leakage_fraction = 0.1;
  const EnergyBreakdown e_pg = energy(pg, on, c);
  CHECK(e_pg.pj.at("pe_sleep") == Approx(0.1 * e_on.pj.at("pe_sleep")).epsilon(1e-12));
  CHECK(e_pg.pj.at("leakage") == e_on.pj.at("leakage"));
  const PeGatingFigures g = pe_gating_figures(pg, on);
  CHECK(g.clocked_pj == Approx(bits * 0.005).epsilon(1e-12));
  CHECK(g.sleep_leak_pj == Approx(0.1 * g.leak_pj).epsilon(1e-12));
  pg.pe_gating.sleep_leakage_fraction = 2;
  CHECK_THROWS_WITH(pe_gating_figures(pg, on), Contains("pe_gating.sleep_leakage_fraction"));

  // A MAC array's PE has 97 register bits.
  Design mac = on;
  mac.pe = Design::MAC;
  ActionCounts m;
  m.preload_pe_cycles = 10;
  CHECK(energy(t, mac, m).pj.at("pe_clock") == Approx(10 * 97 * 0.005).epsilon(1e-12));
}

TEST_CASE("per-segment direction: area and energy charged only with the option", "[energy][segdir]") {
  const TechTable t = load_tech_table(EC_SOURCE_DIR "/scenarios/tech/45nm.yaml");
  Design d;
  d.segments = true;
  const double base = pe_area(t, d).total_um2;
  d.segment_direction = true;
  const PeArea on = pe_area(t, d);
  const auto& sd = t.segment_direction;
  const double want = sd.config_bits_per_pe * t.pe_register.area_um2_per_bit +
                      sd.address_generators_per_pe * sd.address_bits *
                          (sd.mux_area_um2_per_bit + sd.decrement_area_um2_per_bit);
  CHECK(want > 0);
  CHECK(on.segment_direction_um2 == Approx(want).epsilon(1e-12));
  CHECK(on.total_um2 == Approx(base + want).epsilon(1e-12));
  ActionCounts c;
  c.lima_ops = 1000;
  c.reversed_address_steps = 400;
  const double e_on = energy(t, d, c).pj.at("pe_arithmetic");
  d.segment_direction = false;
  const double e_off = energy(t, d, c).pj.at("pe_arithmetic");
  CHECK(e_on - e_off == Approx(400 * sd.step_energy_pj).epsilon(1e-9));
}

TEST_CASE("two compute queues: the scoreboard's area and energy by hand, only with the option", "[energy][twoq]") {
  const TechTable& t = table();
  REQUIRE(t.scoreboard.present);
  const auto& sb = t.scoreboard;
  CHECK(sb.in_flight_commands == 2);
  CHECK(sb.ranges_per_command == 3);
  CHECK(sb.address_bits == 23);
  // 2 x 3 ranges of (2 x 23 + 2 + 1) bits; 3 x 3 pairs x 2 comparators x 23 bits.
  const ScoreboardFigures f = scoreboard_figures(t);
  CHECK(f.register_bits == 294);
  CHECK(f.comparator_bits == 414);
  CHECK(f.area_mm2 == Approx((294 * 4.522 + 414 * 2.66) / 1e6).epsilon(1e-12));
  CHECK(f.check_pj == Approx(414 * 0.003125 + 3 * 49 * 0.288 / 32).epsilon(1e-12));
  Design d = lima_design();
  ActionCounts c;
  c.lima_ops = 1000;
  c.cycles = 5000;
  c.scoreboard_checks = 77;
  const EnergyBreakdown off = energy(t, d, c);
  const AreaBreakdown a_off = area(t, d);
  CHECK(off.pj.count("scoreboard") == 0);
  CHECK(a_off.mm2.count("scoreboard") == 0);
  d.scoreboard = true;
  const EnergyBreakdown on = energy(t, d, c);
  const AreaBreakdown a_on = area(t, d);
  CHECK(on.pj.at("scoreboard") == Approx(77 * f.check_pj).epsilon(1e-12));
  CHECK(a_on.mm2.at("scoreboard") == Approx(f.area_mm2).epsilon(1e-12));
  CHECK(a_on.total_mm2 == Approx(a_off.total_mm2 + f.area_mm2).epsilon(1e-12));
  // The leakage of the added logic, over the run.
  CHECK(on.pj.at("leakage") - off.pj.at("leakage") ==
        Approx(f.area_mm2 * t.leakage.logic_uw_per_mm2 * (5000 / d.clock_mhz)).epsilon(1e-9));
  // Optional in a table; a design with the option needs it.
  const std::string section = shipped_text().substr(shipped_text().find("\nscoreboard:") + 1);
  const TechTable without = parse_tech_table(edited(section, ""), "t.yaml");
  CHECK_FALSE(without.scoreboard.present);
  CHECK_THROWS_WITH(area(without, d), Contains("has no scoreboard figures"));
  CHECK_THROWS_WITH(energy(without, d, c), Contains("design.scoreboard"));
  CHECK(error_of(edited("  address_bits: 23", "  address_bitz: 23")).find("t.yaml: scoreboard.address_bitz: unknown key") !=
        std::string::npos);
  CHECK(error_of(edited("  in_flight_commands: 2", "  in_flight_commands: -2")) ==
        "t.yaml: scoreboard.in_flight_commands: expected a non-negative number, got -2");
}
