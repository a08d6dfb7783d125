// Technology table: per-action energies and per-component areas of one process node.
// Plain C++: the simulator's report, the compare command and the unit tests all use it.
// Loading one from YAML (scenarios/tech/*.yaml, every key checked) is in
// platform/io/tech_table_file.h, so that the maths needs no YAML parser.
// The format, every default and its source are in docs/energy-area.md.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace epochcore::energy {

// Bad table: the message names the file, the dotted key and what was expected.
class TechTableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OpFigures {
  double energy_pj = 0;  // per operation
  double area_um2 = 0;   // one functional unit
};

struct ArithmeticFigures {
  OpFigures add, mul;
};

// One capacity point of the SRAM curve; energies per 64-bit access.
struct SramPoint {
  double capacity_kib = 0;
  double read_energy_pj = 0;
  double write_energy_pj = 0;
};

struct TechTable {
  std::string name;
  double node_nm = 0;
  std::string source;  // free text: where the figures come from
  std::string path;    // file it was loaded from ("" when parsed from text)

  // Keyed by number format: fp32, fp16, bf16, int32, int16, int8 (bf16 = fp16 unless given).
  std::map<std::string, ArithmeticFigures> arithmetic;

  struct {
    double access_energy_pj = 0;        // one read or write of a 32-bit word
    double area_um2_per_bit = 0;        // one flip-flop
    double idle_energy_pj_per_bit = 0;  // per idle PE-cycle per bit (ungated clock)
  } pe_register;

  struct {
    double energy_pj = 0;  // one 32-bit word to the neighbouring PE (wire only)
  } operand_hop;

  struct {
    double mux_area_um2_per_bit = 0;  // one 2:1 multiplexer per bit of a word
    double muxes_per_pe = 0;          // word-wide multiplexers the option adds per PE
    double config_bits_per_pe = 0;    // flip-flops holding the segment start/end flags
  } segments;

  struct {  // the per-segment direction option (array.segment_direction), per PE
    double config_bits_per_pe = 0;          // flip-flops holding the direction bit
    double address_generators_per_pe = 0;   // input and output address of a segment starting here
    double address_bits = 0;                // width of a scratchpad word address
    double mux_area_um2_per_bit = 0;        // forward/backward address select
    double decrement_area_um2_per_bit = 0;  // the down-counting half of the address generator
    double step_energy_pj = 0;              // one reversed address update (decrement + mux)
  } segment_direction;

  struct {
    std::vector<SramPoint> points;  // strictly increasing capacity, at least two
    double area_mm2_per_kib = 0;
    double leakage_uw_per_kib = 0;
  } sram;

  struct {
    double energy_pj_per_byte = 0;
  } dram;

  struct {
    double area_mm2 = 0;
    double energy_pj_per_byte = 0;
  } dma;

  struct {
    double area_mm2 = 0;
  } control;

  struct {
    double op_overhead_energy_pj = 0;   // per element op on a 32-bit word, beyond mul + add
    double lane_overhead_area_um2 = 0;  // per lane, beyond one multiplier and one adder
  } vector_unit;

  struct {
    double logic_uw_per_mm2 = 0;  // PEs, DMA, control and vector unit
  } leakage;

  // PE clock-gating states (the scenario option energy.pe_clock_gating; docs/energy-area.md
  // section 10). Optional in a table file: `present` says whether it was given, and a
  // design with the option on needs it.
  struct {
    bool present = false;
    double clocked_energy_pj_per_bit = 0;  // per clocked PE-cycle per register bit (preload)
    double wake_energy_pj = 0;             // per PE wake-up (sleep -> clocked)
    double cell_area_um2 = 0;              // one clock-gating cell per PE
    double sleep_leakage_fraction = 1;     // leakage of a sleeping PE / an awake one, 0..1
  } pe_gating;
  // The selective (Mamba S6) option (array.selective), charged only to designs built with
  // it: an exp unit per PE costed as this many multipliers and adders of the design's
  // number format (energy per exp and area), and the north coefficient feed.
  struct {
    bool given = false;  // the table has the section (optional in the YAML)
    double exp_mul_equivalents = 0;
    double exp_add_equivalents = 0;
    double feed_register_words_per_column = 0;  // north-edge staging registers of B and C
  } selective;

  // The scoreboard of two compute queues (the scenario option array.compute_queues: 2;
  // docs/energy-area.md section 12). Optional like pe_gating.
  struct {
    bool present = false;
    double in_flight_commands = 0;           // commands tracked: one per compute unit
    double ranges_per_command = 0;           // scratchpad ranges per command (contract/footprint.h)
    double address_bits = 0;                 // bits of a range bound (a byte offset)
    double spad_id_bits = 0;                 // which scratchpad
    double comparators_per_pair = 0;         // magnitude comparators per pair of ranges
    double comparator_area_um2_per_bit = 0;  // one comparator bit
    double compare_energy_pj_per_bit = 0;    // one comparator bit switching once
  } scoreboard;
};

// "name (path)", for reports: which table a result used.
std::string describe(const TechTable& t);

// Number formats the model knows, with their word widths.
const std::vector<std::string>& number_formats();
// Bits of one value of `format`; throws std::invalid_argument for an unknown format.
unsigned format_bits(const std::string& format);
// Arithmetic figures of `format`; throws std::invalid_argument for an unknown format.
const ArithmeticFigures& arithmetic_for(const TechTable& t, const std::string& format);

// SRAM energy per 64-bit access for a memory of `capacity_kib`: piecewise linear in
// log(capacity)-log(energy) through the table points, extended beyond the first and last
// point along the end segments. Throws std::invalid_argument if capacity_kib <= 0.
double sram_read_energy_pj(const TechTable& t, double capacity_kib);
double sram_write_energy_pj(const TechTable& t, double capacity_kib);

}  // namespace epochcore::energy
