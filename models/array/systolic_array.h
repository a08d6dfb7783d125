// The R x C LIMA-PE array running ProDF passes, cycle-accurate: one clocked process
// steps every PE module once per array advance (beat), and holds the array for stall
// cycles when the scratchpads cannot feed or drain a beat in one cycle.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "epochcore/models/accelerator/activity_log.h"
#include "epochcore/contract/commands.h"
#include "epochcore/models/memory/scratchpad.h"
#include "epochcore/models/pe/lima_pe.h"

namespace epochcore {

struct ArrayParams {
  uint32_t rows = 32;
  uint32_t cols = 32;
  bool segments = true;    // several segments per row (else one, output at the east edge)
  bool real_only = false;  // imaginary parts of the coefficients are dropped on load
  // Hardware option: per-segment direction (LOAD_COEFFS rev_segs). The array executes what
  // the command processor validated; the flag only selects the HW_FEATURES bit, the
  // validation and the option's energy/area.
  bool segment_direction = false;
  bool fast = false;       // transaction-level: whole passes in bulk, closed-form time annotated
  bool selective = false;  // selective (Mamba S6) op with an exp unit per PE, coefficient north feed: RUN_SCAN
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
};

// A LOAD_COEFFS, RUN_SSM or RUN_GEMM command handed to the array by the command processor.
struct ArrayOp {
  enum class Kind { LOAD, RUN, GEMM, SCAN } kind = Kind::RUN;
  uint32_t cmd_index = 0;
  cmd::LoadCoeffs load;
  cmd::RunSsm run;
  cmd::RunGemm gemm;
  cmd::RunScan scan;
};

struct ArrayStats {
  uint64_t loads = 0, passes = 0;
  uint64_t load_cycles = 0;           // LOAD_COEFFS
  uint64_t pass_cycles = 0;           // RUN_SSM, stalls included
  uint64_t pass_beats = 0;            // array advances
  uint64_t stall_input_cycles = 0;    // input feed could not deliver a beat in one cycle
  uint64_t stall_output_cycles = 0;   // output write-back could not drain a beat in one cycle
  uint64_t active_pe_cycles = 0;      // PE-cycles doing a LIMA op on a valid time step
  uint64_t bypass_pe_cycles = 0;      // PE-cycles passing operands through (segments off)
  uint64_t reversed_segment_steps = 0;  // time steps of reversed segments (LOAD_COEFFS rev_segs)
  uint64_t loaded_rows = 0;           // rows written by coefficient loads
  uint64_t gemm_folds = 0;            // RUN_GEMM commands
  uint64_t gemm_cycles = 0;           // RUN_GEMM, weight load included
  uint64_t mac_ops = 0;               // MACs of RUN_GEMM folds: k*n*m per fold
  uint64_t weight_loads = 0;          // weight words written into PE w registers: k*n per fold
  // PE power states (docs/energy-area.md section 10): an op clocks (wakes) the PEs it uses
  // for all its cycles, every other PE-cycle is asleep. LOAD_COEFFS: the PEs that take a
  // record; RUN_SSM: every segment's PEs and, without segments, the PEs its partial sum
  // crosses to the row's east edge (RUN_SCAN likewise); RUN_GEMM: the mapped k x n PEs, for the whole fold.
  uint64_t awake_pe_cycles = 0;       // PE-cycles clocked by an op (compute + preload)
  uint64_t pe_wakes = 0;              // PEs woken, summed over the ops
  uint64_t scan_passes = 0;           // RUN_SCAN commands
  uint64_t scan_cycles = 0;           // RUN_SCAN, stalls included (their beats count in pass_beats)
  uint64_t scan_pe_cycles = 0;        // selective ops (one exp each); also in active_pe_cycles
  uint64_t coeff_words = 0;           // words read by the north coefficient feed: 2*seg_len*L per pass
  uint64_t stall_coeff_cycles = 0;    // the coefficient feed (parameter scratchpad) held the array
  uint64_t busy_cycles() const { return load_cycles + pass_cycles + gemm_cycles + scan_cycles; }
};

class SystolicArray;

// Per-beat view of the array in cycle mode, for waveform probes (--vcd). One virtual
// call per beat when a probe is attached, nothing otherwise.
struct ArrayBeat {
  uint64_t beat = 0;        // beat index in the pass
  uint32_t cycles = 1;      // cycles the beat took (1 + stall cycles)
  bool feeding = false, draining = false;
  uint64_t active_pes = 0;  // PEs that did a LIMA op
};
class ArrayProbe {
 public:
  virtual ~ArrayProbe() = default;
  // Called after the beat's advance, at the clock edge that completed it.
  virtual void on_beat(const SystolicArray& array, const ArrayBeat& beat) = 0;
  // Called when the array starts (busy) and finishes (idle) an operation.
  virtual void on_busy(const SystolicArray& array, bool busy, uint8_t opcode, uint32_t cmd_index) = 0;
};

class SystolicArray : public sc_core::sc_module {
 public:
  SystolicArray(sc_core::sc_module_name name, const ArrayParams& p, Scratchpad& input,
                Scratchpad& param, Scratchpad& output);
  const char* kind() const override { return "epochcore::SystolicArray"; }

  // Starts an operation; the array must be idle (the command processor waits for it).
  void start(const ArrayOp& op);
  bool idle() const { return !busy_; }
  const sc_core::sc_event& idle_event() const { return idle_event_; }

  const ArrayParams& params() const { return p_; }
  const ArrayStats& stats() const { return stats_; }
  uint32_t loaded_segments() const { return n_seg_; }
  uint32_t loaded_reversed() const { return n_rev_; }
  LimaPe& pe(uint32_t row, uint32_t col) { return *pes_[row * p_.cols + col]; }
  const LimaPeRegs& regs(uint32_t row, uint32_t col) const { return regs_[row * p_.cols + col]; }
  void set_activity_log(ActivityLog* log) { activity_ = log; }
  void set_probe(ArrayProbe* probe) { probe_ = probe; }

 private:
  void thread();
  void do_load(const cmd::LoadCoeffs& c);
  void do_run(const cmd::RunSsm& c);
  void do_run_fast(const cmd::RunSsm& c);
  void count_pass_states(uint64_t cycles);
  // Passes with reversed segments loaded (LOAD_COEFFS rev_segs): every segment has its
  // own direction, length and windows; a forward and a reversed segment share a row.
  void do_run_mixed(const cmd::RunSsm& c);
  void do_run_mixed_fast(const cmd::RunSsm& c);
  struct SegIo {
    uint64_t in_word = 0, out_word = 0;  // element 0 of the segment's windows
    uint64_t len = 0;                    // steps
    bool backward = false;               // step k works on element len-1-k
    int64_t partner = -1;                // the other segment on its row, if any
    uint64_t element(uint64_t k) const { return backward ? len - 1 - k : k; }
    // The step at which the segment reaches element e (~0 when never).
    uint64_t step_of(uint64_t e) const { return e >= len ? ~uint64_t(0) : backward ? len - 1 - e : e; }
  };
  void mixed_setup(const cmd::RunSsm& c);
  // Whether segment s's output at step k adds to the word (accumulate, or its partner
  // reached the word earlier in the pass; the forward segment wins a tie).
  bool mixed_adds(uint32_t s, uint64_t k, bool acc) const;
  // RUN_SCAN: cycle mode steps the selective op with the skewed north feed; fast mode
  // computes each segment's sequence in bulk in the same order, closed-form time.
  void do_scan(const cmd::RunScan& c);
  void do_scan_fast(const cmd::RunScan& c);
  void bank_add(uint64_t word, uint32_t banks);
  uint32_t bank_finish(uint32_t accesses, uint32_t ports);
  // RUN_GEMM: cycle mode steps the mapped PEs every cycle with the skewed feed; fast mode
  // computes the fold in bulk in the same order. Both take timing::gemm_fold_cycles.
  void do_gemm(const cmd::RunGemm& c);
  void do_gemm_fast(const cmd::RunGemm& c);
  void load_gemm_weights(const cmd::RunGemm& c);
  void finish_gemm(const cmd::RunGemm& c, uint64_t cycles);
  // The busiest bank's accesses over this beat's words, divided by its ports.
  // `cache` memoises the result by base_word % banks within a pass: the same residues
  // put the same words in the same banks.
  uint32_t feed_cycles(const Scratchpad& spad, uint64_t base_word, uint64_t stride_words,
                       uint32_t accesses, std::vector<uint32_t>& cache);
  // One array advance: u (this beat's input word of segment 0, segment s at s*u_stride)
  // is null when not feeding, y likewise when no output is due.
  void step_beat(const float* u, uint64_t u_stride, float* y, uint64_t y_stride, bool acc);

  ArrayParams p_;
  Scratchpad& in_;
  Scratchpad& param_;
  Scratchpad& out_;
  std::vector<LimaPeRegs> regs_;              // row-major register file, never reallocated
  std::vector<std::unique_ptr<LimaPe>> pes_;  // the modules, one per register set

  // Mapping set by LOAD_COEFFS: segment s occupies regs_[seg_first_[s] ...] (seg_len_ PEs,
  // then, without segments, the idle PEs up to the east edge that the partial sum crosses).
  std::vector<uint32_t> seg_first_;
  uint32_t n_seg_ = 0, seg_len_ = 0;
  uint32_t n_rev_ = 0;                 // the last n_rev_ segments are reversed
  std::vector<SegIo> seg_io_;          // this mixed pass's per-segment windows
  std::vector<uint64_t> beat_in_words_, beat_out_words_;
  std::vector<float> mixed_psum_;      // fast mixed pass: one segment's outputs

  std::vector<float> gemm_psum_;  // fast RUN_GEMM: one output row's partial sums, cols words

  // Bank-load counting, sized once.
  std::vector<uint32_t> bank_load_;
  std::vector<uint32_t> banks_touched_;
  std::vector<uint32_t> in_cost_cache_, out_cost_cache_;  // per bank residue, this pass
  uint32_t busiest_ = 0;                                  // bank_add / bank_finish
  std::vector<float> coef_b_, coef_c_;  // RUN_SCAN: this beat's north feed, one word per column position

  bool busy_ = false;
  ActivityLog* activity_ = nullptr;
  ArrayProbe* probe_ = nullptr;
  ArrayOp op_;
  sc_core::sc_event start_event_, idle_event_;
  ArrayStats stats_;
};

}  // namespace epochcore
