#include "models/array/systolic_array.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "models/array/prodf_timing.h"

namespace epochcore {

using sc_core::sc_time;

SystolicArray::SystolicArray(sc_core::sc_module_name name, const ArrayParams& p,
                             Scratchpad& input, Scratchpad& param, Scratchpad& output)
    : sc_core::sc_module(name), p_(p), in_(input), param_(param), out_(output) {
  const size_t n = size_t(p_.rows) * p_.cols;
  pes_.reserve(n);
  for (uint32_t r = 0; r < p_.rows; ++r)
    for (uint32_t c = 0; c < p_.cols; ++c)
      pes_.emplace_back(new LimaPe(("pe_" + std::to_string(r) + "_" + std::to_string(c)).c_str()));
  for (auto& pe : pes_) grid_.push_back(pe.get());
  role_.assign(n, 0);
  seg_of_.assign(n, 0);
  feed_.assign(n, 0.0f);
  result_.assign(n, 0.0f);
  bank_load_.assign(std::max({in_.banks(), out_.banks(), 1u}), 0);
  banks_touched_.reserve(n);
  seg_pe_.reserve(n);
  fast_cores_.resize(n);
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
    if (op_.kind == ArrayOp::Kind::LOAD)
      do_load(op_.load);
    else if (p_.fast)
      do_run_fast(op_.run);
    else
      do_run(op_.run);
    if (activity_) {
      Activity a;
      a.unit = Activity::ARRAY;
      a.opcode = uint8_t(op_.kind == ArrayOp::Kind::LOAD ? cmd::Opcode::LOAD_COEFFS : cmd::Opcode::RUN_SSM);
      a.cmd_index = op_.cmd_index;
      a.start_ps = start.value();
      a.end_ps = sc_core::sc_time_stamp().value();
      a.stall_input = stats_.stall_input_cycles - before.stall_input_cycles;
      a.stall_output = stats_.stall_output_cycles - before.stall_output_cycles;
      a.active_pe_cycles = stats_.active_pe_cycles - before.active_pe_cycles;
      activity_->add(a);
    }
    busy_ = false;
    idle_event_.notify(sc_core::SC_ZERO_TIME);
  }
}

void SystolicArray::do_load(const cmd::LoadCoeffs& c) {
  const uint32_t C = p_.cols;
  const uint32_t spr = p_.segments ? C / c.seg_len : 1;
  n_seg_ = c.n_seg;
  seg_len_ = c.seg_len;
  std::fill(role_.begin(), role_.end(), 0);
  for (LimaPe* pe : grid_) pe->clear();
  live_rows_.clear();
  seg_pe_.clear();

  const auto* rec = reinterpret_cast<const cmd::CoeffRecord*>(param_.bytes() + c.param_addr);
  for (uint32_t s = 0; s < n_seg_; ++s) {
    const uint32_t row = s / spr, col0 = (s % spr) * seg_len_;
    if (live_rows_.empty() || live_rows_.back() != row) live_rows_.push_back(row);
    for (uint32_t m = 0; m < seg_len_; ++m) {
      cmd::CoeffRecord r = rec[size_t(s) * seg_len_ + m];
      if (p_.real_only) r.a_im = r.b_im = r.c_im = 0.0f;
      const size_t i = size_t(row) * C + col0 + m;
      grid_[i]->core.load(r);
      role_[i] |= ACTIVE;
      seg_pe_.push_back(uint32_t(i));
    }
    // Without segments the partial sum travels through the idle PEs to the east edge.
    const size_t start = size_t(row) * C + col0;
    const size_t end = p_.segments ? start + seg_len_ - 1 : size_t(row) * C + C - 1;
    role_[start] |= SEG_START;
    role_[end] |= SEG_END;
    seg_of_[start] = seg_of_[end] = s;
  }
  // Records shift in along the rows (cols cycles) as fast as the parameter feed allows.
  const uint64_t words = uint64_t(n_seg_) * seg_len_ * 8;
  const uint64_t per_cycle = uint64_t(param_.banks()) * param_.ports();
  const uint64_t cycles = std::max<uint64_t>(C, (words + per_cycle - 1) / per_cycle);
  param_.stats().array_read_words += words;
  stats_.loads++;
  stats_.load_cycles += cycles;
  wait(p_.clock_period * double(cycles));
}

uint32_t SystolicArray::feed_cycles(const Scratchpad& spad, uint64_t base_word,
                                    uint64_t stride_words, uint32_t accesses) {
  const uint32_t banks = spad.banks();
  uint32_t busiest = 0;
  for (uint32_t s = 0; s < n_seg_; ++s) {
    const uint32_t b = uint32_t((base_word + s * stride_words) % banks);
    if (bank_load_[b]++ == 0) banks_touched_.push_back(b);
    busiest = std::max(busiest, bank_load_[b]);
  }
  for (uint32_t b : banks_touched_) bank_load_[b] = 0;
  banks_touched_.clear();
  return (busiest * accesses + spad.ports() - 1) / spad.ports();
}

void SystolicArray::step_beat(bool feeding) {
  const uint32_t C = p_.cols;
  result_valid_ = false;
  uint64_t active = 0;
  for (uint32_t r : live_rows_) {
    LimaPe* const* row = &grid_[size_t(r) * C];
    const uint8_t* role = &role_[size_t(r) * C];
    const uint32_t* seg = &seg_of_[size_t(r) * C];
    // East to west, so every PE reads its west neighbour's registers of the last cycle.
    for (uint32_t j = C; j-- > 0;) {
      float u = 0.0f, psum = 0.0f;
      bool valid = false;
      if (role[j] & SEG_START) {
        u = feed_[seg[j]];
        valid = feeding;
      } else if (j > 0) {
        u = row[j - 1]->u_out;
        psum = row[j - 1]->psum_out;
        valid = row[j - 1]->valid_out;
      }
      LimaPe* pe = row[j];
      if (role[j] & ACTIVE) {
        pe->step_lima(u, psum, valid);
        active += valid;
      } else {
        pe->step_bypass(u, psum, valid);
      }
      if ((role[j] & SEG_END) && pe->valid_out) {
        result_[seg[j]] = pe->psum_out;
        result_valid_ = true;
      }
    }
  }
  active_this_beat_ = active;
}

void SystolicArray::do_run(const cmd::RunSsm& c) {
  if (c.flags & cmd::FLAG_RESET_STATE)
    for (LimaPe* pe : grid_) pe->core.reset_state();
  for (LimaPe* pe : grid_) pe->valid_out = false;

  const uint64_t L = c.length;
  const uint64_t depth = p_.segments ? seg_len_ : p_.cols;
  const bool acc = c.flags & cmd::FLAG_ACCUMULATE;
  const uint64_t in_word = c.in_addr / 4, in_stride = c.in_stride / 4;
  const uint64_t out_word = c.out_addr / 4, out_stride = c.out_stride / 4;
  const float* in = in_.words();
  float* out = out_.words();
  const bool reverse = c.flags & cmd::FLAG_REVERSE;
  auto element = [&](uint64_t k) { return reverse ? L - 1 - k : k; };  // time step -> word

  for (uint64_t beat = 0; beat < L + depth - 1; ++beat) {
    const bool feeding = beat < L;
    const bool draining = beat + 1 >= depth;  // the last PE of a segment emits this beat
    const uint32_t in_cost = feeding ? feed_cycles(in_, in_word + element(beat), in_stride, 1) : 0;
    const uint32_t out_cost =
        draining ? feed_cycles(out_, out_word + element(beat + 1 - depth), out_stride, acc ? 2 : 1) : 0;
    const uint32_t cycles = std::max({1u, in_cost, out_cost});
    const uint32_t stall_in = in_cost > 1 ? in_cost - 1 : 0;
    stats_.stall_input_cycles += stall_in;
    stats_.stall_output_cycles += cycles - 1 - stall_in;
    // Stall cycles hold the array; the beat's advance happens on its last clock edge.
    wait(p_.clock_period * double(cycles));

    if (feeding) {
      const uint64_t e = element(beat);
      for (uint32_t s = 0; s < n_seg_; ++s) feed_[s] = in[in_word + s * in_stride + e];
      in_.stats().array_read_words += n_seg_;
    }
    step_beat(feeding);
    stats_.active_pe_cycles += active_this_beat_;
    if (result_valid_) {
      const uint64_t k = element(beat + 1 - depth);
      for (uint32_t s = 0; s < n_seg_; ++s) {
        float& y = out[out_word + s * out_stride + k];
        y = acc ? y + result_[s] : result_[s];
      }
      out_.stats().array_write_words += n_seg_;
      if (acc) out_.stats().array_read_words += n_seg_;
    }
    stats_.pass_cycles += cycles;
    stats_.pass_beats++;
  }
  stats_.passes++;
}

// Transaction-level pass: every segment's sequence in bulk, with the cycle model's
// arithmetic order (the partial sum runs through the segment's PEs in order), so the
// outputs are bit-identical; the pass's closed-form cycles are annotated in one wait.
void SystolicArray::do_run_fast(const cmd::RunSsm& c) {
  timing::SsmPassShape shape;
  shape.rows = p_.rows;
  shape.cols = p_.cols;
  shape.segments = p_.segments;
  shape.n_seg = n_seg_;
  shape.seg_len = seg_len_;
  shape.length = c.length;
  shape.in_addr = c.in_addr;
  shape.in_stride = c.in_stride;
  shape.out_addr = c.out_addr;
  shape.out_stride = c.out_stride;
  shape.accumulate = c.flags & cmd::FLAG_ACCUMULATE;
  const timing::SsmPassTiming t =
      timing::ssm_pass(shape, {in_.banks(), in_.ports()}, {out_.banks(), out_.ports()});

  const size_t pes = seg_pe_.size();
  for (size_t i = 0; i < pes; ++i) {
    fast_cores_[i] = grid_[seg_pe_[i]]->core;
    if (c.flags & cmd::FLAG_RESET_STATE) fast_cores_[i].reset_state();
  }
  const uint64_t L = c.length, S = seg_len_;
  const bool acc = shape.accumulate, reverse = c.flags & cmd::FLAG_REVERSE;
  const float* in = in_.words() + c.in_addr / 4;
  float* out = out_.words() + c.out_addr / 4;
  for (uint32_t s = 0; s < n_seg_; ++s) {
    LimaPeCore* seg = &fast_cores_[size_t(s) * S];
    const float* u = in + uint64_t(s) * (c.in_stride / 4);
    float* y = out + uint64_t(s) * (c.out_stride / 4);
    for (uint64_t k = 0; k < L; ++k) {
      const uint64_t e = reverse ? L - 1 - k : k;
      const float uk = u[e];
      float psum = 0.0f;
      for (uint64_t m = 0; m < S; ++m) psum = seg[m].lima(uk, psum);
      y[e] = acc ? y[e] + psum : psum;
    }
  }
  for (size_t i = 0; i < pes; ++i) grid_[seg_pe_[i]]->core = fast_cores_[i];
  // Pipeline registers end empty, as after a cycle-mode pass.
  for (LimaPe* pe : grid_) pe->valid_out = false;

  in_.stats().array_read_words += uint64_t(n_seg_) * L;
  out_.stats().array_write_words += uint64_t(n_seg_) * L;
  if (acc) out_.stats().array_read_words += uint64_t(n_seg_) * L;
  stats_.stall_input_cycles += t.stall_input;
  stats_.stall_output_cycles += t.stall_output;
  stats_.active_pe_cycles += t.active_pe_cycles;
  stats_.pass_cycles += t.cycles;
  stats_.pass_beats += t.beats;
  stats_.passes++;
  wait(p_.clock_period * double(t.cycles));
}

}  // namespace epochcore
