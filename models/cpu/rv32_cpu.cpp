#include "epochcore/models/cpu/rv32_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace epochcore {

using sc_core::sc_time;

const char* to_string(Rv32Stop::Kind k) {
  switch (k) {
    case Rv32Stop::Kind::Exit: return "exit";
    case Rv32Stop::Kind::Fault: return "fault";
    default: return "limit";
  }
}

namespace {
constexpr uint64_t kNever = ~0ull;
constexpr uint32_t kMsip = 0x0000, kMtimecmp = 0x4000, kMtime = 0xBFF8;

uint64_t to_ps(const sc_time& t) { return uint64_t(std::llround(t.to_seconds() * 1e12)); }
sc_time from_ps(uint64_t ps) { return sc_time(double(ps), sc_core::SC_PS); }
std::string hex(uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
}  // namespace

Rv32Cpu::Rv32Cpu(sc_core::sc_module_name name, const Rv32CpuConfig& config)
    : sc_core::sc_module(name), socket("socket"), irq_external("irq_external"), cfg_(config),
      core_(config.timing) {
  period_ps_ = std::max<uint64_t>(1, to_ps(cfg_.clock_period));
  socket.register_invalidate_direct_mem_ptr(this, &Rv32Cpu::invalidate_direct_mem_ptr);
  core_.set_bus(&Rv32Cpu::bus_cb, this);
  core_.set_time_source(&Rv32Cpu::time_cb, this);
  core_.reset(cfg_.reset_pc);
  core_.set_reg(10, cfg_.a0);
  core_.set_reg(11, cfg_.a1);
  SC_HAS_PROCESS(Rv32Cpu);
  SC_THREAD(thread);
}

Rv32Cpu::Stats Rv32Cpu::stats() const {
  Stats s;
  s.instructions = core_.instret();
  s.cycles = core_.cycles();
  s.wfi_time = wfi_time_;
  s.dmi_accesses = core_.dmi_accesses() + dmi_in_callback_;
  s.bus_accesses = bus_transactions_;
  s.clint_accesses = clint_accesses_;
  s.syncs = syncs_;
  s.dmi_grants = dmi_grants_;
  s.dmi_invalidations = dmi_invalidations_;
  return s;
}

// ---------------------------------------------------------------- time

uint64_t Rv32Cpu::local_ps() const { return base_ps_ + (core_.cycles() - base_cycles_) * period_ps_; }

void Rv32Cpu::publish_local_time() {
  const uint64_t now = to_ps(sc_core::sc_time_stamp()), local = local_ps();
  qk_.set(local > now ? from_ps(local - now) : sc_core::SC_ZERO_TIME);
}

void Rv32Cpu::sync() {
  publish_local_time();
  qk_.sync();
  ++syncs_;
  // The core's time is exact in cycles; SystemC's is now at most a rounding away.
  update_irqs();
}

uint64_t Rv32Cpu::mtime() const {
  const unsigned __int128 ticks = (unsigned __int128)local_ps() * cfg_.mtime_hz / 1000000000000ull;
  return uint64_t(ticks) + uint64_t(mtime_offset_);
}

uint64_t Rv32Cpu::timer_fire_ps() const {
  if (mtimecmp_ == kNever || cfg_.mtime_hz == 0) return kNever;
  const __int128 target = __int128(mtimecmp_) - mtime_offset_;  // ticks of local time
  if (target <= 0) return 0;
  const unsigned __int128 ps =
      ((unsigned __int128)target * 1000000000000ull + cfg_.mtime_hz - 1) / cfg_.mtime_hz;
  return ps >= kNever ? kNever : uint64_t(ps);
}

uint64_t Rv32Cpu::time_cb(void* ctx) { return static_cast<Rv32Cpu*>(ctx)->mtime(); }

void Rv32Cpu::update_irqs() {
  uint32_t bits = 0;
  if (irq_external.read()) bits |= rv32::kMipMeip;
  if (msip_ & 1) bits |= rv32::kMipMsip;
  if (mtimecmp_ != kNever && mtime() >= mtimecmp_) bits |= rv32::kMipMtip;
  core_.set_irq_lines(bits);
}

// ---------------------------------------------------------------- the run

void Rv32Cpu::thread() {
  if (cfg_.start_held && !released_) wait(release_event_);
  qk_.quantum = cfg_.quantum > sc_core::SC_ZERO_TIME ? cfg_.quantum : cfg_.clock_period;
  qk_.reset();
  base_ps_ = to_ps(sc_core::sc_time_stamp());
  base_cycles_ = core_.cycles();
  start_ps_ = base_ps_;
  max_time_ps_ = cfg_.max_time > sc_core::SC_ZERO_TIME ? start_ps_ + to_ps(cfg_.max_time) : kNever;
  if (debugger_)
    run_debug();
  else
    run_fast();
}

// The cycle budget of the next batch: the quantum, capped by the limits and the timer.
uint64_t Rv32Cpu::batch_limit() const {
  const uint64_t c = core_.cycles();
  const uint64_t qc = std::max<uint64_t>(1, to_ps(qk_.quantum) / period_ps_);
  uint64_t limit = c + qc;
  if (cfg_.max_instructions) limit = std::min(limit, c + (cfg_.max_instructions - core_.instret()));
  const uint64_t local = local_ps();
  for (uint64_t t : {timer_fire_ps(), max_time_ps_})
    if (t != kNever && t > local) limit = std::min(limit, c + (t - local + period_ps_ - 1) / period_ps_);
  return std::max(limit, c + 1);
}

void Rv32Cpu::run_fast() {
  while (!stopped_) {
    if (check_limits()) return;
    update_irqs();
    const Rv32Core::RunResult r = core_.run(batch_limit());
    publish_local_time();
    if (qk_.need_sync()) sync();
    if (!handle_result(r)) return;
  }
}

void Rv32Cpu::run_debug() {
  ResumeAction act = debugger_->on_stop(*this, StopReason::Start, 0);
  const uint64_t qc = std::max<uint64_t>(1, to_ps(qk_.quantum) / period_ps_);
  for (;;) {
    if (act == ResumeAction::Kill) {
      finish(Rv32Stop::Kind::Fault, 0, "killed by the debugger", core_.pc(), 0);
      return;
    }
    if (act == ResumeAction::Detach) {
      debugger_ = nullptr;
      run_fast();
      return;
    }
    const bool stepping = act == ResumeAction::Step;
    bool first = true;
    uint64_t next_poll = core_.cycles() + qc;
    for (;;) {
      if (check_limits()) return;
      if (!first && !stepping && breakpoints_.count(core_.pc())) {
        act = debugger_->on_stop(*this, StopReason::Breakpoint, 0);
        break;
      }
      first = false;
      update_irqs();
      const Rv32Core::RunResult r = core_.run(core_.cycles() + 1);  // one instruction (or a trap entry)
      publish_local_time();
      if (qk_.need_sync()) sync();
      if (!handle_result(r) || stopped_) return;
      if (stepping) {
        act = debugger_->on_stop(*this, StopReason::Step, 0);
        break;
      }
      if (core_.cycles() >= next_poll) {
        next_poll = core_.cycles() + qc;
        if (debugger_->interrupt_requested()) {
          act = debugger_->on_stop(*this, StopReason::Interrupt, 0);
          break;
        }
      }
    }
  }
}

bool Rv32Cpu::handle_result(Rv32Core::RunResult r) {
  switch (r) {
    case Rv32Core::RunResult::Fault:
      finish(Rv32Stop::Kind::Fault, 0, core_.fault_text(), core_.fault_pc(), core_.fault_tval());
      return false;
    case Rv32Core::RunResult::Wfi:
      do_wfi();
      return !stopped_;
    default:
      if (exit_requested_) {
        finish(Rv32Stop::Kind::Exit, exit_code_, "", core_.pc(), 0);
        return false;
      }
      return true;
  }
}

bool Rv32Cpu::check_limits() {
  if (stopped_) return true;
  if (cfg_.max_instructions && core_.instret() >= cfg_.max_instructions) {
    finish(Rv32Stop::Kind::Limit, 0,
           "instruction limit reached: " + std::to_string(cfg_.max_instructions) + " instructions", core_.pc(),
           0);
    return true;
  }
  if (max_time_ps_ != kNever && local_ps() >= max_time_ps_) {
    finish(Rv32Stop::Kind::Limit, 0, "simulated-time limit reached: " + cfg_.max_time.to_string(), core_.pc(), 0);
    return true;
  }
  return false;
}

void Rv32Cpu::do_wfi() {
  sync();
  const uint32_t pc = core_.pc();
  while (!core_.interrupt_pending_enabled()) {
    const uint32_t mie = core_.mie();
    const uint64_t now = to_ps(sc_core::sc_time_stamp());
    uint64_t until = kNever;
    if (mie & rv32::kMipMtip) until = timer_fire_ps();
    const bool ext = (mie & rv32::kMipMeip) != 0;
    if (!ext && until == kNever) {
      finish(Rv32Stop::Kind::Fault, 0,
             "wfi that nothing can wake (mie=" + hex(mie) + ", no external interrupt enabled, no timer set) at pc=" +
                 hex(pc - 4),
             pc - 4, 0);
      return;
    }
    if (max_time_ps_ != kNever) until = std::min(until, max_time_ps_);
    if (until != kNever && until <= now) until = now;  // the limit check below ends the wait
    if (ext && until == kNever)
      wait(irq_external.posedge_event());
    else if (ext)
      wait(from_ps(until - now), irq_external.posedge_event());
    else
      wait(from_ps(until - now));
    const uint64_t after = to_ps(sc_core::sc_time_stamp());
    wfi_time_ += from_ps(after - now);
    // The clock keeps running: mcycle counts the sleep; the core's time restarts from now.
    core_.add_cycles((after - now + period_ps_ - 1) / period_ps_);
    base_ps_ = after;
    base_cycles_ = core_.cycles();
    qk_.reset();
    update_irqs();
    if (core_.interrupt_pending_enabled()) break;
    if (max_time_ps_ != kNever && after >= max_time_ps_) {
      check_limits();
      return;
    }
  }
}

void Rv32Cpu::finish(Rv32Stop::Kind kind, uint32_t code, const std::string& cause, uint32_t pc, uint32_t tval) {
  if (stopped_) return;
  stopped_ = true;
  publish_local_time();
  qk_.sync();
  stop_.kind = kind;
  stop_.exit_code = code;
  stop_.cause = cause;
  stop_.pc = pc;
  stop_.tval = tval;
  if (debugger_)
    debugger_->on_stop(*this, kind == Rv32Stop::Kind::Exit ? StopReason::Exit : StopReason::Fault,
                       kind == Rv32Stop::Kind::Exit ? int(code) : -1);
  if (on_stop) on_stop(stop_);
}

void Rv32Cpu::release() {
  released_ = true;
  release_event_.notify(sc_core::SC_ZERO_TIME);
}

void Rv32Cpu::request_exit(uint32_t code) {
  if (exit_requested_) return;
  exit_requested_ = true;
  exit_code_ = code;
  core_.request_break();
}

// ---------------------------------------------------------------- memory

bool Rv32Cpu::bus_cb(void* ctx, Rv32Access kind, uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) {
  return static_cast<Rv32Cpu*>(ctx)->bus_access(kind, addr, data, len, cycles);
}

bool Rv32Cpu::bus_access(Rv32Access kind, uint32_t addr, uint8_t* data, unsigned len, uint64_t& cycles) {
  const bool write = kind == Rv32Access::Store;
  if (addr - cfg_.clint_base < cfg_.clint_size) {
    ++clint_accesses_;
    return clint_access(write, addr - cfg_.clint_base, data, len);
  }
  if (cfg_.use_dmi && try_dmi(addr, write)) {
    const Rv32DmiRegion* r = core_.find_region(addr);
    if (r && addr - r->base <= r->size - len && (write ? r->write : r->read)) {
      if (write)
        std::memcpy(r->ptr + (addr - r->base), data, len);
      else
        std::memcpy(data, r->ptr + (addr - r->base), len);
      if (write) core_.invalidate_code(addr, len);
      cycles += write ? r->write_latency : r->read_latency;
      ++dmi_in_callback_;
      return true;
    }
  }
  // A device access: SystemC time catches up first, so devices see accesses in order.
  sync();
  tx_.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  tx_.set_address(addr);
  tx_.set_data_ptr(data);
  tx_.set_data_length(len);
  tx_.set_streaming_width(len);
  tx_.set_byte_enable_ptr(nullptr);
  tx_.set_byte_enable_length(0);
  tx_.set_dmi_allowed(false);
  tx_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time delay = sc_core::SC_ZERO_TIME;
  socket->b_transport(tx_, delay);
  ++bus_transactions_;
  cycles += (to_ps(delay) + period_ps_ - 1) / period_ps_;
  if (write && tx_.is_response_ok()) core_.invalidate_code(addr, len);
  return tx_.is_response_ok();
}

bool Rv32Cpu::try_dmi(uint32_t addr, bool write) {
  for (const Denied& d : denied_)
    if (d.write == write && addr >= d.start && addr <= d.end) return false;
  tlm::tlm_generic_payload t;
  uint8_t dummy[4] = {};
  t.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
  t.set_address(addr);
  t.set_data_ptr(dummy);
  t.set_data_length(4);
  t.set_streaming_width(4);
  t.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  tlm::tlm_dmi dmi;
  const bool ok = socket->get_direct_mem_ptr(t, dmi);
  const bool holds = dmi.get_start_address() <= addr && addr <= dmi.get_end_address();
  if (!ok || !holds || dmi.get_dmi_ptr() == nullptr || !(write ? dmi.is_write_allowed() : dmi.is_read_allowed())) {
    Denied d{holds ? dmi.get_start_address() : addr, holds ? dmi.get_end_address() : addr, write};
    if (ok) d = Denied{addr, addr, write};  // granted without what we need: ask again elsewhere
    denied_.push_back(d);
    return false;
  }
  const uint64_t start = dmi.get_start_address();
  const uint64_t end = std::min<uint64_t>(dmi.get_end_address(), 0xFFFFFFFFull);
  Rv32DmiRegion r;
  r.base = uint32_t(start);
  r.size = uint32_t(std::min<uint64_t>(end - start + 1, 0xFFFFFFFFull));
  r.ptr = dmi.get_dmi_ptr();
  r.read = dmi.is_read_allowed();
  r.write = dmi.is_write_allowed();
  r.read_latency = uint32_t((to_ps(dmi.get_read_latency()) + period_ps_ - 1) / period_ps_);
  r.write_latency = uint32_t((to_ps(dmi.get_write_latency()) + period_ps_ - 1) / period_ps_);
  core_.add_region(r);
  ++dmi_grants_;
  return true;
}

void Rv32Cpu::invalidate_direct_mem_ptr(sc_dt::uint64 start, sc_dt::uint64 end) {
  ++dmi_invalidations_;
  if (start <= 0xFFFFFFFFull) core_.remove_regions(uint32_t(start), uint32_t(std::min<uint64_t>(end, 0xFFFFFFFFull)));
  denied_.clear();
}

bool Rv32Cpu::clint_access(bool write, uint32_t off, uint8_t* data, unsigned len) {
  if (len != 4 && !(len == 8 && (off == kMtimecmp || off == kMtime))) return false;
  auto word = [&](uint64_t& reg, unsigned half) {
    const unsigned sh = 32 * half;
    if (write) {
      uint32_t v;
      std::memcpy(&v, data, 4);
      reg = (reg & ~(0xFFFFFFFFull << sh)) | (uint64_t(v) << sh);
    } else {
      const uint32_t v = uint32_t(reg >> sh);
      std::memcpy(data, &v, 4);
    }
  };
  if (off == kMsip) {
    if (write) {
      uint32_t v;
      std::memcpy(&v, data, 4);
      msip_ = v & 1;
      update_irqs();
    } else {
      std::memcpy(data, &msip_, 4);
    }
    return true;
  }
  if (off == kMtimecmp || off == kMtimecmp + 4) {
    word(mtimecmp_, off == kMtimecmp + 4);
    if (write) {
      update_irqs();
      core_.request_break();  // the next batch ends when the new compare value is reached
    }
    return true;
  }
  if (off == kMtime || off == kMtime + 4) {
    uint64_t t = mtime();
    word(t, off == kMtime + 4);
    if (write) {
      mtime_offset_ += int64_t(t - mtime());
      update_irqs();
      core_.request_break();
    }
    return true;
  }
  return false;
}

// ---------------------------------------------------------------- debugger

uint32_t Rv32Cpu::read_reg(unsigned i) const { return i < 32 ? core_.reg(i) : i == 32 ? core_.pc() : 0; }

void Rv32Cpu::write_reg(unsigned i, uint32_t v) {
  if (i < 32)
    core_.set_reg(i, v);
  else if (i == 32)
    core_.set_pc(v);
}

bool Rv32Cpu::read_mem(uint32_t addr, uint8_t* dst, uint32_t bytes) {
  tlm::tlm_generic_payload t;
  while (bytes > 0) {
    t.set_command(tlm::TLM_READ_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(dst);
    t.set_data_length(bytes);
    const unsigned n = socket->transport_dbg(t);
    if (n == 0) return false;
    addr += n;
    dst += n;
    bytes -= std::min(n, bytes);
  }
  return true;
}

bool Rv32Cpu::write_mem(uint32_t addr, const uint8_t* src, uint32_t bytes) {
  tlm::tlm_generic_payload t;
  core_.invalidate_code(addr, bytes);
  while (bytes > 0) {
    t.set_command(tlm::TLM_WRITE_COMMAND);
    t.set_address(addr);
    t.set_data_ptr(const_cast<uint8_t*>(src));
    t.set_data_length(bytes);
    const unsigned n = socket->transport_dbg(t);
    if (n == 0) return false;
    addr += n;
    src += n;
    bytes -= std::min(n, bytes);
  }
  return true;
}

}  // namespace epochcore
