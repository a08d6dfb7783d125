#include "epochcore/models/array/systolic_array.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "epochcore/maths/timing/prodf_timing.h"

namespace epochcore {

using sc_core::sc_time;

static constexpr uint32_t kNotCached = ~0u;

SystolicArray::SystolicArray(sc_core::sc_module_name name, const ArrayParams& p,
                             Scratchpad& input, Scratchpad& param, Scratchpad& output)
    : sc_core::sc_module(name), p_(p), in_(input), param_(param), out_(output) {
  const size_t n = size_t(p_.rows) * p_.cols;
  regs_.resize(n);
  pes_.reserve(n);
  for (uint32_t r = 0; r < p_.rows; ++r)
    for (uint32_t c = 0; c < p_.cols; ++c)
      pes_.emplace_back(new LimaPe(("pe_" + std::to_string(r) + "_" + std::to_string(c)).c_str(),
                                   regs_[size_t(r) * p_.cols + c]));
  seg_first_.reserve(n);
  gemm_psum_.assign(p_.cols, 0.0f);
  bank_load_.assign(std::max({in_.banks(), param_.banks(), out_.banks(), 1u}), 0);
  coef_b_.assign(p_.cols, 0.0f);
  coef_c_.assign(p_.cols, 0.0f);
  in_cost_cache_.assign(in_.banks(), kNotCached);
  out_cost_cache_.assign(out_.banks(), kNotCached);
  banks_touched_.reserve(std::max<size_t>(n, bank_load_.size()));
  SC_HAS_PROCESS(SystolicArray);
  SC_THREAD(thread);
}

void SystolicArray::start(const ArrayOp& op) {
  if (busy_) SC_REPORT_ERROR(name(), "start() while busy: the command processor must wait");
  op_ = op;
  busy_ = true;
  start_event_.notify(sc_core::SC_ZERO_TIME);
}

void SystolicArray::thread() {
  for (;;) {
    wait(start_event_);
    const ArrayStats before = stats_;
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    const cmd::Opcode op = op_.kind == ArrayOp::Kind::LOAD   ? cmd::Opcode::LOAD_COEFFS
                           : op_.kind == ArrayOp::Kind::GEMM ? cmd::Opcode::RUN_GEMM
                           : op_.kind == ArrayOp::Kind::SCAN ? cmd::Opcode::RUN_SCAN
                                                             : cmd::Opcode::RUN_SSM;
    const uint8_t opcode = uint8_t(op);
    if (probe_) probe_->on_busy(*this, true, opcode, op_.cmd_index);
    if (op_.kind == ArrayOp::Kind::LOAD)
      do_load(op_.load);
    else if (op_.kind == ArrayOp::Kind::GEMM && p_.fast)
      do_gemm_fast(op_.gemm);
    else if (op_.kind == ArrayOp::Kind::GEMM)
      do_gemm(op_.gemm);
    else if (op_.kind == ArrayOp::Kind::SCAN && p_.fast)
      do_scan_fast(op_.scan);
    else if (op_.kind == ArrayOp::Kind::SCAN)
      do_scan(op_.scan);
    else if (n_rev_ > 0 && p_.fast)
      do_run_mixed_fast(op_.run);
    else if (n_rev_ > 0)
      do_run_mixed(op_.run);
    else if (p_.fast)
      do_run_fast(op_.run);
    else
      do_run(op_.run);
    if (activity_) {
      Activity a;
      a.unit = Activity::ARRAY;
      a.opcode = opcode;
      a.cmd_index = op_.cmd_index;
      a.start_ps = start.value();
      a.end_ps = sc_core::sc_time_stamp().value();
      // The coefficient feed's stalls are feed stalls: the log counts them as input stalls.
      a.stall_input = stats_.stall_input_cycles - before.stall_input_cycles +
                      stats_.stall_coeff_cycles - before.stall_coeff_cycles;
      a.stall_output = stats_.stall_output_cycles - before.stall_output_cycles;
      a.active_pe_cycles = stats_.active_pe_cycles - before.active_pe_cycles;
      activity_->add(a);
    }
    if (probe_) probe_->on_busy(*this, false, opcode, op_.cmd_index);
    busy_ = false;
    idle_event_.notify(sc_core::SC_ZERO_TIME);
  }
}

void SystolicArray::do_load(const cmd::LoadCoeffs& c) {
  const uint32_t C = p_.cols;
  const uint32_t spr = p_.segments ? C / c.seg_len : 1;
  n_seg_ = c.n_seg;
  seg_len_ = c.seg_len;
  n_rev_ = c.rev_segs;
  for (LimaPeRegs& r : regs_) r.clear();
  seg_first_.clear();
  const auto* rec = reinterpret_cast<const cmd::CoeffRecord*>(param_.bytes() + c.param_addr);
  for (uint32_t s = 0; s < n_seg_; ++s) {
    const uint32_t first = (s / spr) * C + (s % spr) * seg_len_;
    seg_first_.push_back(first);
    for (uint32_t m = 0; m < seg_len_; ++m) {
      cmd::CoeffRecord r = rec[size_t(s) * seg_len_ + m];
      if (p_.real_only) r.a_im = r.b_im = r.c_im = 0.0f;
      regs_[first + m].core.load(r);
    }
  }
  // Records shift in along the rows (cols cycles) as fast as the parameter feed allows.
  const uint64_t words = uint64_t(n_seg_) * seg_len_ * 8;
  const uint64_t per_cycle = uint64_t(param_.banks()) * param_.ports();
  const uint64_t cycles = std::max<uint64_t>(C, (words + per_cycle - 1) / per_cycle);
  param_.stats().array_read_words += words;
  stats_.loaded_rows += (uint64_t(n_seg_) + spr - 1) / spr;
  stats_.loads++;
  stats_.load_cycles += cycles;
  // Records enter at the west edge and every PE on a record's way holds one.
  const uint64_t awake = uint64_t(n_seg_) * seg_len_;
  stats_.awake_pe_cycles += awake * cycles;
  stats_.pe_wakes += awake;
  wait(p_.clock_period * double(cycles));
}

uint32_t SystolicArray::feed_cycles(const Scratchpad& spad, uint64_t base_word,
                                    uint64_t stride_words, uint32_t accesses,
                                    std::vector<uint32_t>& cache) {
  const uint32_t banks = spad.banks();
  uint32_t& cached = cache[base_word % banks];
  if (cached != kNotCached) return cached;
  uint32_t busiest = 0;
  for (uint32_t s = 0; s < n_seg_; ++s) {
    const uint32_t b = uint32_t((base_word + s * stride_words) % banks);
    if (bank_load_[b]++ == 0) banks_touched_.push_back(b);
    busiest = std::max(busiest, bank_load_[b]);
  }
  for (uint32_t b : banks_touched_) bank_load_[b] = 0;
  banks_touched_.clear();
  cached = (busiest * accesses + spad.ports() - 1) / spad.ports();
  return cached;
}

void SystolicArray::step_beat(const float* u, uint64_t u_stride, float* y, uint64_t y_stride, bool acc) {
  const uint32_t S = seg_len_;
  // Without segments the partial sum crosses the idle PEs to the east edge of the row.
  const uint32_t span = p_.segments ? S : p_.cols;
  const bool feeding = u != nullptr;
  uint64_t active = 0, bypass = 0;
  for (uint32_t s = 0; s < n_seg_; ++s) {
    LimaPeRegs* pe = &regs_[seg_first_[s]];
    // East to west, so every PE reads its west neighbour's registers of the last cycle.
    for (uint32_t j = span - 1; j >= S; --j)
      pe[j].step_bypass(pe[j - 1].u_out, pe[j - 1].psum_out, pe[j - 1].valid_out);
    bypass += span - S;
    for (uint32_t j = S - 1; j > 0; --j) {
      const bool v = pe[j - 1].valid_out;
      pe[j].step_lima(pe[j - 1].u_out, pe[j - 1].psum_out, v);
      active += v;
    }
    pe[0].step_lima(feeding ? u[s * u_stride] : 0.0f, 0.0f, feeding);
    active += feeding;
    // The segment's last PE (or the row's east edge) delivers one output word.
    const LimaPeRegs& end = pe[span - 1];
    if (y && end.valid_out) {
      float& out = y[s * y_stride];
      out = acc ? out + end.psum_out : end.psum_out;
    }
  }
  stats_.active_pe_cycles += active;
  stats_.bypass_pe_cycles += bypass;
}

void SystolicArray::do_run(const cmd::RunSsm& c) {
  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPeRegs& r : regs_) r.core.reset_state();
  for (LimaPeRegs& r : regs_) r.valid_out = false;

  const uint64_t L = c.length;
  const uint64_t depth = p_.segments ? seg_len_ : p_.cols;
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  const uint64_t in_word = c.in_addr / 4, in_stride = c.in_stride / 4;
  const uint64_t out_word = c.out_addr / 4, out_stride = c.out_stride / 4;
  const float* in = in_.words();
  float* out = out_.words();
  const bool reverse = c.flags & cmd::FLAG_REVERSE;
  std::fill(in_cost_cache_.begin(), in_cost_cache_.end(), kNotCached);
  std::fill(out_cost_cache_.begin(), out_cost_cache_.end(), kNotCached);
  auto element = [&](uint64_t k) { return reverse ? L - 1 - k : k; };  // time step -> word
  const uint64_t pass_cycles_before = stats_.pass_cycles;

  for (uint64_t beat = 0; beat < L + depth - 1; ++beat) {
    const bool feeding = beat < L;
    const bool draining = beat + 1 >= depth;  // the last PE of a segment emits this beat
    const uint32_t in_cost =
        feeding ? feed_cycles(in_, in_word + element(beat), in_stride, 1, in_cost_cache_) : 0;
    const uint32_t out_cost =
        draining ? feed_cycles(out_, out_word + element(beat + 1 - depth), out_stride, acc ? 2 : 1,
                               out_cost_cache_)
                 : 0;
    const uint32_t cycles = std::max({1u, in_cost, out_cost});
    const uint32_t stall_in = in_cost > 1 ? in_cost - 1 : 0;
    stats_.stall_input_cycles += stall_in;
    stats_.stall_output_cycles += cycles - 1 - stall_in;
    // Stall cycles hold the array; the beat's advance happens on its last clock edge.
    wait(p_.clock_period * double(cycles));

    // Input words of this beat (read if feeding) and output words (written if draining).
    const float* u = feeding ? in + in_word + element(beat) : nullptr;
    float* y = draining ? out + out_word + element(beat + 1 - depth) : nullptr;
    const uint64_t active_before = stats_.active_pe_cycles;
    step_beat(u, in_stride, y, out_stride, acc);
    if (probe_) {
      ArrayBeat b;
      b.beat = beat;
      b.cycles = cycles;
      b.feeding = feeding;
      b.draining = draining;
      b.active_pes = stats_.active_pe_cycles - active_before;
      probe_->on_beat(*this, b);
    }
    if (feeding) in_.stats().array_read_words += n_seg_;
    if (draining) {
      out_.stats().array_write_words += n_seg_;
      if (acc) out_.stats().array_read_words += n_seg_;
    }
    stats_.pass_cycles += cycles;
    stats_.pass_beats++;
  }
  stats_.passes++;
  count_pass_states(stats_.pass_cycles - pass_cycles_before);
}

// A pass clocks every segment's PEs and, without segments, the PEs the partial sums cross
// to the east edge, for all its cycles (stalls included: the array holds, clocked).
void SystolicArray::count_pass_states(uint64_t cycles) {
  const uint64_t awake = uint64_t(n_seg_) * (p_.segments ? seg_len_ : p_.cols);
  stats_.awake_pe_cycles += awake * cycles;
  stats_.pe_wakes += awake;
}

// Transaction-level pass: every segment's sequence in bulk, with the cycle model's
// arithmetic order (the partial sum runs through the segment's PEs in order), so the
// outputs are bit-identical; the pass's closed-form cycles are annotated in one wait.
void SystolicArray::do_run_fast(const cmd::RunSsm& c) {
  const timing::SsmPassShape shape =
      timing::ssm_pass_shape(c, p_.rows, p_.cols, p_.segments, n_seg_, seg_len_);
  const timing::SsmPassTiming t =
      timing::ssm_pass(shape, {in_.banks(), in_.ports()}, {out_.banks(), out_.ports()});

  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPeRegs& r : regs_) r.core.reset_state();
  const uint64_t L = c.length, S = seg_len_;
  const bool acc = shape.accumulate, reverse = c.flags & cmd::FLAG_REVERSE;
  const float* in = in_.words() + c.in_addr / 4;
  float* out = out_.words() + c.out_addr / 4;
  for (uint32_t s = 0; s < n_seg_; ++s) {
    LimaPeRegs* seg = &regs_[seg_first_[s]];
    const float* u = in + uint64_t(s) * (c.in_stride / 4);
    float* y = out + uint64_t(s) * (c.out_stride / 4);
    for (uint64_t k = 0; k < L; ++k) {
      const uint64_t e = reverse ? L - 1 - k : k;
      const float uk = u[e];
      float psum = 0.0f;
      for (uint64_t m = 0; m < S; ++m) psum = seg[m].core.lima(uk, psum);
      y[e] = acc ? y[e] + psum : psum;
    }
  }
  // Pipeline registers end empty, as after a cycle-mode pass.
  for (LimaPeRegs& r : regs_) r.valid_out = false;

  in_.stats().array_read_words += uint64_t(n_seg_) * L;
  out_.stats().array_write_words += uint64_t(n_seg_) * L;
  if (acc) out_.stats().array_read_words += uint64_t(n_seg_) * L;
  stats_.stall_input_cycles += t.stall_input;
  stats_.stall_output_cycles += t.stall_output;
  stats_.active_pe_cycles += t.active_pe_cycles;
  stats_.bypass_pe_cycles += uint64_t(n_seg_) * (p_.segments ? 0 : p_.cols - seg_len_) * t.beats;
  stats_.pass_cycles += t.cycles;
  stats_.pass_beats += t.beats;
  stats_.passes++;
  count_pass_states(t.cycles);
  wait(p_.clock_period * double(t.cycles));
}

void SystolicArray::mixed_setup(const cmd::RunSsm& c) {
  const uint32_t n_fwd = n_seg_ - n_rev_;
  const bool reverse = c.flags & cmd::FLAG_REVERSE;
  const uint64_t R = c.rev_length ? c.rev_length : c.length;
  seg_io_.assign(n_seg_, SegIo{});
  for (uint32_t s = 0; s < n_seg_; ++s) {
    SegIo& io = seg_io_[s];
    const bool rev = s >= n_fwd;
    const uint64_t row = rev ? s - n_fwd : s;
    io.in_word = c.in_addr / 4 + row * (c.in_stride / 4) + (rev ? c.rev_in_offset / 4 : 0);
    io.out_word = c.out_addr / 4 + row * (c.out_stride / 4);
    io.len = rev ? R : c.length;
    io.backward = reverse != rev;
    if (rev && row < n_fwd) io.partner = int64_t(row);
    if (!rev && row < n_rev_) io.partner = int64_t(n_fwd + row);
  }
}

bool SystolicArray::mixed_adds(uint32_t s, uint64_t k, bool acc) const {
  if (acc) return true;
  const SegIo& io = seg_io_[s];
  if (io.partner < 0) return false;
  const uint64_t kp = seg_io_[size_t(io.partner)].step_of(io.element(k));
  return kp < k || (kp == k && uint64_t(io.partner) < s);
}

// Cycle mode with reversed segments: per beat, each segment feeds while k < its length
// and emits step b - depth + 1 while that is below its length; a beat costs the busiest
// bank of the words it actually touches (outputs: read-modify-write).
void SystolicArray::do_run_mixed(const cmd::RunSsm& c) {
  const uint64_t pass_cycles_before = stats_.pass_cycles;
  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPeRegs& r : regs_) r.core.reset_state();
  for (LimaPeRegs& r : regs_) r.valid_out = false;
  mixed_setup(c);
  const timing::SsmPassShape shape =
      timing::ssm_pass_shape(c, p_.rows, p_.cols, p_.segments, n_seg_, seg_len_, n_rev_);
  const uint64_t L = c.length;
  const uint32_t depth = p_.segments ? seg_len_ : p_.cols;
  const uint32_t S = seg_len_, span = p_.segments ? S : p_.cols;
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  const float* in = in_.words();
  float* out = out_.words();
  for (uint64_t beat = 0; beat < L + depth - 1; ++beat) {
    timing::mixed_beat_words(shape, depth, beat, &beat_in_words_, &beat_out_words_);
    const uint32_t in_cost = timing::bank_access_cycles(beat_in_words_, {in_.banks(), in_.ports()});
    const uint32_t out_cost = timing::bank_access_cycles(beat_out_words_, {out_.banks(), out_.ports()});
    const uint32_t cycles = std::max({1u, in_cost, out_cost});
    const uint32_t stall_in = in_cost > 1 ? in_cost - 1 : 0;
    stats_.stall_input_cycles += stall_in;
    stats_.stall_output_cycles += cycles - 1 - stall_in;
    wait(p_.clock_period * double(cycles));

    const uint64_t k_out = beat + 1 - depth;  // step emitted this beat (beat >= depth - 1)
    uint64_t active = 0, bypass = 0, writes = 0, reads = 0;
    for (uint32_t s = 0; s < n_seg_; ++s) {
      const SegIo& io = seg_io_[s];
      LimaPeRegs* pe = &regs_[seg_first_[s]];
      for (uint32_t j = span - 1; j >= S; --j)
        pe[j].step_bypass(pe[j - 1].u_out, pe[j - 1].psum_out, pe[j - 1].valid_out);
      bypass += span - S;
      for (uint32_t j = S - 1; j > 0; --j) {
        const bool v = pe[j - 1].valid_out;
        pe[j].step_lima(pe[j - 1].u_out, pe[j - 1].psum_out, v);
        active += v;
      }
      const bool feeding = beat < io.len;
      pe[0].step_lima(feeding ? in[io.in_word + io.element(beat)] : 0.0f, 0.0f, feeding);
      active += feeding;
      const LimaPeRegs& end = pe[span - 1];
      if (beat + 1 >= depth && k_out < io.len && end.valid_out) {
        float& y = out[io.out_word + io.element(k_out)];
        const bool add = mixed_adds(s, k_out, acc);
        y = add ? y + end.psum_out : end.psum_out;
        ++writes;
        reads += add;
      }
    }
    stats_.active_pe_cycles += active;
    stats_.bypass_pe_cycles += bypass;
    if (probe_) {
      ArrayBeat b;
      b.beat = beat;
      b.cycles = cycles;
      b.feeding = !beat_in_words_.empty();
      b.draining = !beat_out_words_.empty();
      b.active_pes = active;
      probe_->on_beat(*this, b);
    }
    in_.stats().array_read_words += beat_in_words_.size();
    out_.stats().array_write_words += writes;
    out_.stats().array_read_words += reads;
    stats_.pass_cycles += cycles;
    stats_.pass_beats++;
  }
  stats_.reversed_segment_steps += uint64_t(n_rev_) * (c.rev_length ? c.rev_length : c.length);
  stats_.passes++;
  count_pass_states(stats_.pass_cycles - pass_cycles_before);
}

// Fast mode with reversed segments: each segment's sequence in bulk (the PE chain's
// order), then the row's outputs applied in the order the cycle model applies them: per
// word, the segment that reaches it first, then its partner.
void SystolicArray::do_run_mixed_fast(const cmd::RunSsm& c) {
  const timing::SsmPassShape shape =
      timing::ssm_pass_shape(c, p_.rows, p_.cols, p_.segments, n_seg_, seg_len_, n_rev_);
  const timing::SsmPassTiming t =
      timing::ssm_pass(shape, {in_.banks(), in_.ports()}, {out_.banks(), out_.ports()});
  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPeRegs& r : regs_) r.core.reset_state();
  mixed_setup(c);
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  const uint64_t S = seg_len_;
  const float* in = in_.words();
  float* out = out_.words();
  const uint32_t n_fwd = n_seg_ - n_rev_;
  // Segment s's psums by step into mixed_psum_ (offset by `at`).
  auto run_segment = [&](uint32_t s, size_t at) {
    const SegIo& io = seg_io_[s];
    LimaPeRegs* seg = &regs_[seg_first_[s]];
    for (uint64_t k = 0; k < io.len; ++k) {
      const float uk = in[io.in_word + io.element(k)];
      float psum = 0.0f;
      for (uint64_t m = 0; m < S; ++m) psum = seg[m].core.lima(uk, psum);
      mixed_psum_[at + k] = psum;
    }
  };
  uint64_t words = 0, both = 0;  // words written; words two segments reach (the second adds)
  mixed_psum_.resize(2 * uint64_t(c.length));
  for (uint32_t s = 0; s < n_seg_; ++s) {
    const SegIo& io = seg_io_[s];
    words += io.len;
    if (io.partner >= 0 && s >= n_fwd) continue;  // applied with its forward partner
    run_segment(s, 0);
    if (io.partner < 0) {
      for (uint64_t k = 0; k < io.len; ++k) {
        float& y = out[io.out_word + io.element(k)];
        y = acc ? y + mixed_psum_[k] : mixed_psum_[k];
      }
      continue;
    }
    const uint32_t r = uint32_t(io.partner);
    const SegIo& rio = seg_io_[r];
    run_segment(r, c.length);
    // Every element of the row: at most the two contributions, in arrival order.
    for (uint64_t e = 0; e < io.len || e < rio.len; ++e) {
      float& y = out[io.out_word + e];
      const uint64_t kf = io.step_of(e), kr = rio.step_of(e);
      const bool has_f = kf < io.len, has_r = kr < rio.len;
      const float f = has_f ? mixed_psum_[kf] : 0.0f, b = has_r ? mixed_psum_[c.length + kr] : 0.0f;
      if (has_f && has_r) {
        ++both;
        const bool f_first = kf <= kr;
        const float first = f_first ? f : b, second = f_first ? b : f;
        y = (acc ? y + first : first) + second;
      } else if (has_f) {
        y = acc ? y + f : f;
      } else {
        y = acc ? y + b : b;
      }
    }
  }
  for (LimaPeRegs& r : regs_) r.valid_out = false;
  in_.stats().array_read_words += words;
  out_.stats().array_write_words += words;
  out_.stats().array_read_words += acc ? words : both;
  stats_.stall_input_cycles += t.stall_input;
  stats_.stall_output_cycles += t.stall_output;
  stats_.active_pe_cycles += t.active_pe_cycles;
  stats_.bypass_pe_cycles += uint64_t(n_seg_) * (p_.segments ? 0 : p_.cols - seg_len_) * t.beats;
  stats_.pass_cycles += t.cycles;
  stats_.pass_beats += t.beats;
  stats_.reversed_segment_steps += uint64_t(n_rev_) * (c.rev_length ? c.rev_length : c.length);
  stats_.passes++;
  wait(p_.clock_period * double(t.cycles));
  count_pass_states(t.cycles);
}

void SystolicArray::bank_add(uint64_t word, uint32_t banks) {
  const uint32_t b = uint32_t(word % banks);
  if (bank_load_[b]++ == 0) banks_touched_.push_back(b);
  busiest_ = std::max(busiest_, bank_load_[b]);
}

uint32_t SystolicArray::bank_finish(uint32_t accesses, uint32_t ports) {
  for (uint32_t b : banks_touched_) bank_load_[b] = 0;
  banks_touched_.clear();
  const uint32_t c = (busiest_ * accesses + ports - 1) / ports;
  busiest_ = 0;
  return c;
}

// RUN_SCAN, cycle mode (docs/selective-scan.md). Beat b: the first PE of every segment
// takes u_b and Delta_b from the input scratchpad; u, Delta and the partial sum move one
// PE east per beat; the north feed reads, for every column position j with a valid step
// k = b - j, B_k[j] and C_k[j] once and broadcasts them down the columns to every segment.
void SystolicArray::do_scan(const cmd::RunScan& c) {
  const uint64_t scan_cycles_before = stats_.scan_cycles;
  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPeRegs& r : regs_) r.core.reset_state();
  for (LimaPeRegs& r : regs_) r.valid_out = false;

  const uint64_t L = c.length, S = seg_len_;
  const uint64_t depth = p_.segments ? seg_len_ : p_.cols;
  const uint32_t span = uint32_t(depth);
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  const bool coef_in_input = c.coef_spad == cmd::SpadId::INPUT;
  Scratchpad& coef_spad = coef_in_input ? in_ : param_;
  const uint64_t u_word = c.u_addr / 4, dt_word = c.dt_addr / 4, in_stride = c.in_stride;
  const uint64_t out_word = c.out_addr / 4, out_stride = c.out_stride;
  const uint64_t coef_word = c.coef_addr / 4, coef_stride = c.coef_stride / 4;
  const float* in = in_.words();
  const float* coef = coef_spad.words();
  float* out = out_.words();
  std::fill(out_cost_cache_.begin(), out_cost_cache_.end(), kNotCached);

  for (uint64_t beat = 0; beat < L + depth - 1; ++beat) {
    const bool feeding = beat < L;
    const bool draining = beat + 1 >= depth && beat + 1 - depth < L;
    const bool coeffs = beat + 1 < L + S;
    const uint64_t lo = beat + 1 > L ? beat + 1 - L : 0, hi = std::min<uint64_t>(S - 1, beat);
    // Input scratchpad: u and Delta of every segment (and the coefficient words when the
    // stream sits there); parameter scratchpad: the coefficient words otherwise.
    // (One bank-load table: the parameter scratchpad's words are counted and cleared first.)
    uint32_t coef_cost = 0;
    if (coeffs) {
      for (uint64_t j = lo; j <= hi; ++j) {
        const uint64_t w = coef_word + (beat - j) * coef_stride + j;
        bank_add(w, coef_spad.banks());
        bank_add(w + S, coef_spad.banks());
      }
      if (!coef_in_input) coef_cost = bank_finish(1, param_.ports());
    }
    if (feeding)
      for (uint32_t s = 0; s < n_seg_; ++s) {
        bank_add(u_word + s * in_stride + beat, in_.banks());
        bank_add(dt_word + s * in_stride + beat, in_.banks());
      }
    const uint32_t in_cost = bank_finish(1, in_.ports());
    const uint32_t out_cost =
        draining ? feed_cycles(out_, out_word + (beat + 1 - depth), out_stride, acc ? 2 : 1, out_cost_cache_) : 0;
    const uint32_t a = std::max(1u, in_cost), ac = std::max(a, coef_cost);
    const uint32_t cycles = std::max(ac, out_cost);
    stats_.stall_input_cycles += a - 1;
    stats_.stall_coeff_cycles += ac - a;
    stats_.stall_output_cycles += cycles - ac;
    wait(p_.clock_period * double(cycles));

    // The north feed of this beat.
    if (coeffs)
      for (uint64_t j = lo; j <= hi; ++j) {
        const float* blk = coef + coef_word + (beat - j) * coef_stride;
        coef_b_[j] = blk[j];
        coef_c_[j] = blk[S + j];
      }
    uint64_t active = 0, bypass = 0;
    for (uint32_t s = 0; s < n_seg_; ++s) {
      LimaPeRegs* pe = &regs_[seg_first_[s]];
      for (uint32_t j = span - 1; j >= S; --j)
        pe[j].step_bypass(pe[j - 1].u_out, pe[j - 1].psum_out, pe[j - 1].valid_out);
      bypass += span - S;
      for (uint32_t j = uint32_t(S) - 1; j > 0; --j) {
        const bool v = pe[j - 1].valid_out;
        pe[j].step_scan(pe[j - 1].u_out, pe[j - 1].dt_out, pe[j - 1].psum_out, v, coef_b_[j], coef_c_[j]);
        active += v;
      }
      const uint64_t off = uint64_t(s) * in_stride + beat;
      pe[0].step_scan(feeding ? in[u_word + off] : 0.0f, feeding ? in[dt_word + off] : 0.0f, 0.0f,
                      feeding, coef_b_[0], coef_c_[0]);
      active += feeding;
      const LimaPeRegs& end = pe[span - 1];
      if (draining && end.valid_out) {
        float& y = out[out_word + uint64_t(s) * out_stride + (beat + 1 - depth)];
        y = acc ? y + end.psum_out : end.psum_out;
      }
    }
    stats_.active_pe_cycles += active;
    stats_.scan_pe_cycles += active;
    stats_.bypass_pe_cycles += bypass;
    if (probe_) {
      ArrayBeat b;
      b.beat = beat;
      b.cycles = cycles;
      b.feeding = feeding;
      b.draining = draining;
      b.active_pes = active;
      probe_->on_beat(*this, b);
    }
    if (feeding) in_.stats().array_read_words += 2ull * n_seg_;
    if (coeffs) {
      coef_spad.stats().array_read_words += 2 * (hi - lo + 1);
      stats_.coeff_words += 2 * (hi - lo + 1);
    }
    if (draining) {
      out_.stats().array_write_words += n_seg_;
      if (acc) out_.stats().array_read_words += n_seg_;
    }
    stats_.scan_cycles += cycles;
    stats_.pass_beats++;
  }
  stats_.scan_passes++;
  count_pass_states(stats_.scan_cycles - scan_cycles_before);
}

// RUN_SCAN, fast mode: every segment's sequence in bulk, the partial sum through the
// segment's PEs in order (LimaPeCore::scan), so outputs are bit-identical to cycle mode;
// the closed-form cycles (timing::scan_pass) are annotated in one wait.
void SystolicArray::do_scan_fast(const cmd::RunScan& c) {
  const timing::ScanPassShape shape =
      timing::scan_pass_shape(c, p_.rows, p_.cols, p_.segments, n_seg_, seg_len_);
  const timing::ScanPassTiming t = timing::scan_pass(
      shape, {in_.banks(), in_.ports()}, {param_.banks(), param_.ports()}, {out_.banks(), out_.ports()});
  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPeRegs& r : regs_) r.core.reset_state();
  const uint64_t L = c.length, S = seg_len_;
  const bool acc = shape.accumulate;
  Scratchpad& coef_spad = c.coef_spad == cmd::SpadId::INPUT ? in_ : param_;
  const float* coef = coef_spad.words() + c.coef_addr / 4;
  const uint64_t coef_stride = c.coef_stride / 4;
  for (uint32_t s = 0; s < n_seg_; ++s) {
    LimaPeRegs* seg = &regs_[seg_first_[s]];
    const float* u = in_.words() + c.u_addr / 4 + uint64_t(s) * c.in_stride;
    const float* dt = in_.words() + c.dt_addr / 4 + uint64_t(s) * c.in_stride;
    float* y = out_.words() + c.out_addr / 4 + uint64_t(s) * c.out_stride;
    for (uint64_t k = 0; k < L; ++k) {
      const float* bk = coef + k * coef_stride;
      const float* ck = bk + S;
      float psum = 0.0f;
      for (uint64_t m = 0; m < S; ++m) psum = seg[m].core.scan(u[k], dt[k], bk[m], ck[m], psum);
      y[k] = acc ? y[k] + psum : psum;
    }
  }
  for (LimaPeRegs& r : regs_) r.valid_out = false;

  in_.stats().array_read_words += 2ull * n_seg_ * L;
  coef_spad.stats().array_read_words += t.coeff_words;
  out_.stats().array_write_words += uint64_t(n_seg_) * L;
  if (acc) out_.stats().array_read_words += uint64_t(n_seg_) * L;
  stats_.stall_input_cycles += t.stall_input;
  stats_.stall_coeff_cycles += t.stall_coeff;
  stats_.stall_output_cycles += t.stall_output;
  stats_.active_pe_cycles += t.active_pe_cycles;
  stats_.scan_pe_cycles += t.active_pe_cycles;
  stats_.coeff_words += t.coeff_words;
  stats_.bypass_pe_cycles += uint64_t(n_seg_) * (p_.segments ? 0 : p_.cols - seg_len_) * t.beats;
  stats_.scan_cycles += t.cycles;
  stats_.pass_beats += t.beats;
  stats_.scan_passes++;
  count_pass_states(t.cycles);
  wait(p_.clock_period * double(t.cycles));
}

// RUN_GEMM (docs/commands.md). Weights go into the w registers of the mapped k x n PEs.
void SystolicArray::load_gemm_weights(const cmd::RunGemm& c) {
  const float* w = param_.words() + c.param_addr / 4;
  for (uint32_t kk = 0; kk < c.k; ++kk)
    for (uint32_t j = 0; j < c.n; ++j) {
      LimaPeRegs& pe = regs_[size_t(kk) * p_.cols + j];
      pe.core.w = w[size_t(kk) * c.n + j];
      pe.valid_out = false;
    }
}

void SystolicArray::finish_gemm(const cmd::RunGemm& c, uint64_t cycles) {
  for (uint32_t kk = 0; kk < c.k; ++kk)
    for (uint32_t j = 0; j < c.n; ++j) regs_[size_t(kk) * p_.cols + j].valid_out = false;
  const uint64_t k = c.k, n = c.n, m = c.m;
  param_.stats().array_read_words += k * n;
  in_.stats().array_read_words += m * k;
  out_.stats().array_write_words += m * n;
  if (c.flags & cmd::FLAG_ACCUMULATE) out_.stats().array_read_words += m * n;
  stats_.mac_ops += k * n * m;
  stats_.weight_loads += k * n;
  stats_.gemm_folds++;
  stats_.gemm_cycles += cycles;
  // The mapped PEs are clocked for the whole fold (weight load, stream, padding tail).
  stats_.awake_pe_cycles += k * n * cycles;
  stats_.pe_wakes += k * n;
}

// Cycle mode: after the R-cycle weight load, PE (kk, j) takes input row i at stream cycle
// i + kk + j (row kk's feed lags row kk-1 by one cycle), its input from the west and its
// partial sum from the north (0 in row 0); the mapped tile's bottom row delivers output
// (i, j) at cycle i + (k-1) + j. The fold then waits out the rows and columns it does not
// map, which a padded (SCALE-Sim) fold still takes.
void SystolicArray::do_gemm(const cmd::RunGemm& c) {
  const uint64_t total = timing::gemm_fold_cycles(c.m, p_.rows, p_.cols);
  load_gemm_weights(c);
  wait(p_.clock_period * double(p_.rows));  // weights: one array row per cycle

  const uint64_t K = c.k, N = c.n, M = c.m, C = p_.cols;
  const uint64_t in_stride = c.in_stride / 4, out_stride = c.out_stride / 4;
  const float* in = in_.words() + c.in_addr / 4;
  float* out = out_.words() + c.out_addr / 4;
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  const uint64_t stream = M + K + N - 2;
  for (uint64_t t = 0; t < stream; ++t) {
    wait(p_.clock_period);
    // Bottom-up and east to west, so every PE reads its neighbours' registers of the last cycle.
    for (uint64_t kk = K; kk-- > 0;) {
      LimaPeRegs* row = &regs_[kk * C];
      const LimaPeRegs* north = kk ? &regs_[(kk - 1) * C] : nullptr;
      for (uint64_t j = N - 1; j > 0; --j)
        row[j].step_mac(row[j - 1].u_out, north ? north[j].psum_out : 0.0f, row[j - 1].valid_out);
      const bool feed = t >= kk && t - kk < M;
      row[0].step_mac(feed ? in[(t - kk) * in_stride + kk] : 0.0f, north ? north[0].psum_out : 0.0f, feed);
    }
    const LimaPeRegs* bottom = &regs_[(K - 1) * C];
    for (uint64_t j = 0; j < N; ++j) {
      if (!bottom[j].valid_out) continue;
      float& o = out[(t - (K - 1) - j) * out_stride + j];
      o = acc ? o + bottom[j].psum_out : bottom[j].psum_out;
    }
  }
  wait(p_.clock_period * double(total - p_.rows - stream));
  finish_gemm(c, total);
}

// Fast mode: the same sums in the same order (top row first, from 0.0f), vectorised
// across the n independent outputs of a row, never across a sum.
void SystolicArray::do_gemm_fast(const cmd::RunGemm& c) {
  const uint64_t total = timing::gemm_fold_cycles(c.m, p_.rows, p_.cols);
  load_gemm_weights(c);
  const uint64_t K = c.k, N = c.n;
  const float* w = param_.words() + c.param_addr / 4;
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  float* psum = gemm_psum_.data();
  for (uint64_t i = 0; i < c.m; ++i) {
    const float* a = in_.words() + c.in_addr / 4 + i * (c.in_stride / 4);
    float* o = out_.words() + c.out_addr / 4 + i * (c.out_stride / 4);
    for (uint64_t j = 0; j < N; ++j) psum[j] = 0.0f;
    for (uint64_t kk = 0; kk < K; ++kk) {
      const float x = a[kk];
      const float* wr = w + kk * N;
      for (uint64_t j = 0; j < N; ++j) psum[j] = psum[j] + wr[j] * x;  // LimaPeCore::mac
    }
    for (uint64_t j = 0; j < N; ++j) o[j] = acc ? o[j] + psum[j] : psum[j];
  }
  finish_gemm(c, total);
  wait(p_.clock_period * double(total));
}

}  // namespace epochcore
