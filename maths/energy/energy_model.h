// Energy and area of one design (the EpochCore LIMA-PE array or the TPU-like MAC-only
// baseline) from one technology table, so that the ratios between the two designs come
// from the same figures. Counts times energies; areas by component. Plain C++.
// Formulas and assumptions: docs/energy-area.md.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

#include "epochcore/maths/energy/tech_table.h"

namespace epochcore::energy {

// Inconsistent design or counts (e.g. LIMA ops on a MAC-only array); names the field.
class EnergyModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum SpadIndex { kSpadInput = 0, kSpadParam = 1, kSpadOutput = 2 };

struct Design {
  enum PeKind { LIMA, MAC } pe = LIMA;
  bool real_only = false;  // LIMA-PE without imaginary parts (S4D-Real)
  bool segments = false;   // segment option: input mux and output tap per PE
  bool segment_direction = false;  // per-segment direction option: direction bit, address muxes and decrements
  bool selective = false;  // selective option: exp unit and Delta pipeline register per PE, north coefficient feed
  uint32_t rows = 32, cols = 32;
  uint32_t word_bits = 32;                 // must match number_format
  std::string number_format = "fp32";      // fp32, fp16, bf16, int32, int16, int8
  double spad_kib[3] = {4096, 512, 4096};  // input, param, output (SpadIndex)
  uint32_t spad_banks[3] = {512, 32, 512};
  double clock_mhz = 1000.0;
  uint32_t vector_lanes = 0;  // 0: max(rows, cols), one lane per array edge port
  // PE power states (compute, preload, sleep): a clock-gating cell per PE, clocked
  // preload PE-cycles, wake-ups and sleep leakage costed from the table's pe_gating
  // figures, instead of the idle_pe_cycles charge (docs/energy-area.md section 10).
  bool pe_clock_gating = false;
  // Two compute queues with a scratchpad scoreboard (array.compute_queues: 2): range
  // registers and comparators in the command processor, costed from the table's
  // scoreboard figures (docs/energy-area.md section 12).
  bool scoreboard = false;
  // Liquid LIMA-PE variant (array.liquid_pe, docs/liquid-s4.md): x = (a + b u) x + b u; a
  // complex adder, the multiplier operand's multiplexers and a mode bit per LIMA-PE.
  bool liquid_pe = false;
};

// Throws EnergyModelError naming the field ("design.rows: ...") for a value out of range.
void validate_design(const Design& d);

// Structure of one PE, from the PE arithmetic in models/pe/lima_pe_math.h.
struct PeStructure {
  uint32_t multipliers = 0, adders = 0;
  uint32_t register_words = 0;  // words of word_bits
  uint32_t register_bits = 0;   // register_words * word_bits + the valid bit
};
PeStructure pe_structure(Design::PeKind kind, bool real_only, uint32_t word_bits);
// What the selective option adds to one PE: the exp unit (as multiplier and adder
// equivalents of the table) and the Delta pipeline register; its arithmetic area, um^2.
struct SelectiveExtra {
  uint32_t exp_units = 1;
  uint32_t register_words = 1;  // dt_out
  double exp_area_um2 = 0;      // one exp unit
  double exp_energy_pj = 0;     // one exp
};
SelectiveExtra selective_extra(const TechTable& t, const std::string& number_format);

struct PeArea {
  double arithmetic_um2 = 0, registers_um2 = 0, segments_um2 = 0;  // segments_um2: both segment options;
  // selective: exp unit in arithmetic_um2, dt_out in registers_um2
  double segment_direction_um2 = 0;  // the per-segment direction option's part of segments_um2
  double clock_gating_um2 = 0;       // the clock-gating cell, with Design::pe_clock_gating
  double liquid_um2 = 0;             // the Liquid LIMA-PE variant, with Design::liquid_pe
  double total_um2 = 0;
};
// One PE of the design's kind and options.
PeArea pe_area(const TechTable& t, const Design& d);

struct AreaBreakdown {
  // pe_arithmetic, pe_registers, pe_segments (whole array), spad_input, spad_param,
  // spad_output, dma, control, vector_unit -> mm^2; pe_clock_gating, pe_liquid only with the options
  std::map<std::string, double> mm2;
  double total_mm2 = 0;
  PeArea pe;  // one PE of the design
  // LIMA-PE (this design's real_only and segments) over a plain MAC-PE, same format.
  double lima_mac_pe_area_ratio = 0;
};
AreaBreakdown area(const TechTable& t, const Design& d);

struct ActionCounts {
  uint64_t lima_ops = 0;       // complex LIMA ops (active LIMA PE-cycles)
  uint64_t lima_real_ops = 0;  // LIMA ops of a real-only PE
  uint64_t scan_ops = 0;       // selective ops (RUN_SCAN): 6 multiplies, 3 adds, 1 exp (PeOpCost)
  uint64_t mac_ops = 0;
  uint64_t vector_ops = 0;   // vector-unit real multiply-adds (a complex one is 4)
  uint64_t vector_adds = 0;  // vector-unit real adds and other single-op lane operations
  uint64_t pe_register_reads = 0, pe_register_writes = 0;  // words
  uint64_t operand_hops = 0;                               // words moved to a neighbouring PE
  uint64_t idle_pe_cycles = 0;
  // PE power states, used with Design::pe_clock_gating (compute PE-cycles are the ops):
  // clocked PE-cycles without an op, clock-gated PE-cycles, sleep -> clocked transitions.
  uint64_t preload_pe_cycles = 0, sleep_pe_cycles = 0, pe_wakes = 0;
  // Per-segment direction: address updates of reversed segments (input and output, one
  // each per reversed segment-step), charged to pe_arithmetic when the option is on.
  uint64_t reversed_address_steps = 0;
  // Two compute queues: scoreboard look-ups (one per compute command issued).
  uint64_t scoreboard_checks = 0;
  // Words of the simulation (32-bit), by buffer (SpadIndex); DMA fills included.
  uint64_t spad_read_words[3] = {0, 0, 0};
  uint64_t spad_write_words[3] = {0, 0, 0};
  uint64_t dma_bytes = 0, dram_bytes = 0;  // as simulated (4 bytes per value)
  uint64_t cycles = 0;                     // run time, for leakage

  ActionCounts& operator+=(const ActionCounts& o);
};

struct EnergyBreakdown {
  // pe_arithmetic, pe_registers, operand_hops, pe_idle, spad_input, spad_param,
  // spad_output, dma, dram, vector_unit, leakage -> pJ. With Design::pe_clock_gating,
  // pe_idle is replaced by pe_clock (preload PE-cycles' clock), pe_wake (wake-ups) and
  // pe_sleep (sleeping PEs' leakage, which `leakage` then leaves out).
  std::map<std::string, double> pj;
  double total_pj = 0;
};

// Counts times per-action energies of the design's number format: the simulator moves
// 32-bit words, and every traffic count (registers, hops, scratchpads, DMA, DRAM) is
// scaled by word_bits / 32. Throws EnergyModelError for counts the design cannot have.
EnergyBreakdown energy(const TechTable& t, const Design& d, const ActionCounts& c);

// The scoreboard's area (mm^2) and energy per look-up (pJ) from the table's scoreboard
// figures: in_flight_commands x ranges_per_command range registers of
// (2 * address_bits + spad_id_bits + 1) flip-flops, and ranges_per_command^2 range pairs of
// comparators_per_pair magnitude comparators of address_bits; a look-up switches every
// comparator bit once and writes one command's range registers. Throws EnergyModelError
// if the table has no scoreboard figures.
struct ScoreboardFigures {
  double area_mm2 = 0;
  double check_pj = 0;
  double register_bits = 0, comparator_bits = 0;
};
ScoreboardFigures scoreboard_figures(const TechTable& t);

// Per-PE-cycle figures of the clock-gating option, from the table and the design:
// clock energy of a clocked PE without an op (register bits x clocked_energy_pj_per_bit)
// and the leakage of one awake PE for one cycle (its area, gating cell included).
struct PeGatingFigures {
  double clocked_pj = 0;       // per preload PE-cycle
  double wake_pj = 0;          // per wake
  double leak_pj = 0;          // per awake PE-cycle
  double sleep_leak_pj = 0;    // per sleeping PE-cycle (leak_pj x sleep_leakage_fraction)
};
// Throws EnergyModelError if the table has no pe_gating figures.
PeGatingFigures pe_gating_figures(const TechTable& t, const Design& d);

// PE-cycles of a run in each power state, from the array's counters: compute (LIMA ops and
// MACs), preload (clocked by an op without an op of its own: coefficient and weight loads,
// bypass, pipeline fill and drain, stall cycles), sleep (every other PE-cycle: no op of
// the array, or a PE the op does not use). compute + preload + sleep = total exactly.
struct PeStateCounts {
  uint64_t compute = 0, preload = 0, sleep = 0;
  uint64_t wakes = 0;  // sleep -> clocked transitions: PEs woken, summed over the ops
  uint64_t total = 0;  // rows x cols x cycles
};
// Throws EnergyModelError if compute > awake or awake > rows x cols x cycles.
PeStateCounts pe_state_counts(uint32_t rows, uint32_t cols, uint64_t cycles, uint64_t compute_pe_cycles,
                              uint64_t awake_pe_cycles, uint64_t wakes);

// PE-level counts the array counters imply (docs/energy-area.md, "derived counts"):
// ProDF: per active LIMA PE-cycle, reads of a, b, c, d, x and writes of x and the u/psum
// pipeline registers, hops of u and psum; per bypass PE-cycle (a PE outside every
// segment forwarding u and psum), the two pipeline writes and two hops.
ActionCounts prodf_pe_counts(uint64_t active_pe_cycles, bool real_only,
                             uint64_t bypass_pe_cycles = 0);
// LOAD_COEFFS: each loaded row shifts its coefficient records in from the west edge, a
// record travelling to its column (writes gated until the wavefront arrives); the state
// x is cleared. `loaded_rows`: rows that took part, summed over the loads.
// RUN_SCAN: per selective op, reads of a, d, x and writes of x and the u, Delta and psum
// pipeline registers; hops of u, Delta, psum east and of B and C from the north feed
// (the broadcast wire counted as one hop per PE it reaches); the bypass PE-cycles as in
// prodf_pe_counts.
ActionCounts prodf_scan_pe_counts(uint64_t scan_pe_cycles, uint64_t bypass_pe_cycles = 0);
ActionCounts prodf_coeff_load_counts(uint64_t loaded_rows, uint32_t cols, bool real_only);
// Weight-stationary MAC: per MAC, read w, write the input and psum pipeline registers,
// two hops (input east, psum south).
ActionCounts ws_mac_pe_counts(uint64_t mac_ops);
// Weight preload as the baseline array does it (docs/baseline.md): a row-addressed write
// over a vertical bus per column. Per weight word one register write, and the bus wire,
// which spans the column, counted as rows-1 hops. `weight_words`: words written into PE
// weight registers (the baseline's weight_loads).
ActionCounts ws_weight_load_counts(uint64_t weight_words, uint32_t rows);

}  // namespace epochcore::energy
