#include "epochcore/tests/unit/fake_accelerator.h"

#include <cstring>

#include "epochcore/maths/vector/vector_op_math.h"

namespace epochcore::test {

using fw::HalStatus;
using regs::ErrorCause;

FakeAccelerator::FakeAccelerator(const FakeAccelConfig& cfg)
    : cfg_(cfg), mem_(cfg.mem_bytes, 0), pes_(size_t(cfg.rows) * cfg.cols) {
  hw_.rows = cfg.rows;
  hw_.cols = cfg.cols;
  hw_.segments = cfg.segments;
  hw_.number_format = cfg.number_format;
  for (uint8_t s = 0; s < cmd::kNumSpads; ++s) {
    hw_.spad_bytes[s] = cfg.spad_kib[s] * 1024;
    spad_[s].assign(hw_.spad_bytes[s] / 4, 0.0f);
  }
}

HalStatus FakeAccelerator::reg_read(uint32_t offset, uint32_t* value) {
  using namespace regs;
  switch (offset) {
    case ID: *value = cfg_.id; break;
    case VERSION: *value = cfg_.version; break;
    case CTRL: *value = 0; break;
    case STATUS: *value = status_; break;
    case ERR_CAUSE: *value = err_cause_; break;
    case ERR_CMD_INDEX: *value = err_index_; break;
    case IRQ_ENABLE: *value = irq_enable_; break;
    case IRQ_STATUS: *value = irq_status_; break;
    case CMD_BASE_LO: *value = base_lo_; break;
    case CMD_BASE_HI: *value = base_hi_; break;
    case CMD_LEN: *value = len_; break;
    case DOORBELL: *value = 0; break;
    case CYCLE_LO: *value = uint32_t(cycles_); cycle_hi_latch_ = uint32_t(cycles_ >> 32); break;
    case CYCLE_HI: *value = cycle_hi_latch_; break;
    case CMD_DONE: *value = cmd_done_; break;
    case HW_ARRAY: *value = cfg_.rows | (cfg_.cols << 16); break;
    case HW_FEATURES:
      *value = (cfg_.segments ? uint32_t(FEATURE_SEGMENTS) : 0u) | (cfg_.real_only ? uint32_t(FEATURE_REAL_ONLY) : 0u);
      break;
    case HW_SPAD_IN_KIB: *value = cfg_.spad_kib[0]; break;
    case HW_SPAD_PARAM_KIB: *value = cfg_.spad_kib[1]; break;
    case HW_SPAD_OUT_KIB: *value = cfg_.spad_kib[2]; break;
    case HW_SPAD_IN_GEOM: *value = cfg_.banks[0] | (cfg_.ports[0] << 16); break;
    case HW_SPAD_PARAM_GEOM: *value = cfg_.banks[1] | (cfg_.ports[1] << 16); break;
    case HW_SPAD_OUT_GEOM: *value = cfg_.banks[2] | (cfg_.ports[2] << 16); break;
    case HW_VECTOR: *value = cfg_.number_format | (cfg_.vector_lanes << 16); break;
    default: return HalStatus::BUS_ERROR;
  }
  return HalStatus::OK;
}

HalStatus FakeAccelerator::reg_write(uint32_t offset, uint32_t value) {
  using namespace regs;
  switch (offset) {
    case CTRL:
      if (value & CTRL_SOFT_RESET) {
        status_ = err_cause_ = err_index_ = irq_status_ = cmd_done_ = 0;
        cycles_ = 0;
      }
      break;
    case IRQ_ENABLE: irq_enable_ = value & (IRQ_DONE | IRQ_ERROR); break;
    case IRQ_STATUS: irq_status_ &= ~value; break;
    case CMD_BASE_LO: base_lo_ = value; break;
    case CMD_BASE_HI: base_hi_ = value; break;
    case CMD_LEN: len_ = value; break;
    case DOORBELL: if (value == 1) execute_stream(); break;
    default: return HalStatus::BUS_ERROR;  // read-only or unmapped: catch driver mistakes
  }
  return HalStatus::OK;
}

bool FakeAccelerator::sys_range(uint64_t addr, uint64_t bytes) const {
  return addr >= cfg_.mem_base && addr - cfg_.mem_base <= mem_.size() &&
         bytes <= mem_.size() - (addr - cfg_.mem_base);
}

HalStatus FakeAccelerator::mem_read(uint64_t addr, void* dst, size_t bytes) {
  if (!sys_range(addr, bytes)) return HalStatus::BUS_ERROR;
  std::memcpy(dst, &mem_[addr - cfg_.mem_base], bytes);
  return HalStatus::OK;
}

HalStatus FakeAccelerator::mem_write(uint64_t addr, const void* src, size_t bytes) {
  if (!sys_range(addr, bytes)) return HalStatus::BUS_ERROR;
  std::memcpy(&mem_[addr - cfg_.mem_base], src, bytes);
  return HalStatus::OK;
}

void FakeAccelerator::wait_for_interrupt() {
  if (!irq_line()) ++waits_with_line_low;
}

float FakeAccelerator::spad_float(cmd::SpadId s, uint32_t addr) const {
  float v;
  std::memcpy(&v, &spad_[uint8_t(s)][addr / 4], 4);
  return v;
}

void FakeAccelerator::set_spad_float(cmd::SpadId s, uint32_t addr, float v) {
  std::memcpy(&spad_[uint8_t(s)][addr / 4], &v, 4);
}

void FakeAccelerator::execute_stream() {
  status_ = regs::STATUS_BUSY;
  err_cause_ = err_index_ = cmd_done_ = 0;
  auto stop = [&](ErrorCause cause, uint32_t index) {
    status_ = regs::STATUS_ERROR;
    err_cause_ = uint32_t(cause);
    err_index_ = index;
    irq_status_ |= regs::IRQ_ERROR;
  };
  if (len_ == 0 || len_ % cmd::kRecordBytes) return stop(ErrorCause::BAD_STREAM_LENGTH, 0xFFFFFFFF);
  const uint64_t base = base_lo_ | (uint64_t(base_hi_) << 32);
  for (uint32_t i = 0; i < len_ / cmd::kRecordBytes; ++i) {
    uint8_t bytes[cmd::kRecordBytes];
    if (mem_read(base + uint64_t(i) * cmd::kRecordBytes, bytes, sizeof bytes) != HalStatus::OK)
      return stop(ErrorCause::CMD_FETCH_ERROR, i);
    const cmd::Record r = cmd::unpack(bytes);
    ErrorCause cause = cmd::validate(r, hw_, loaded_segments_, &last_error_why);
    if (cause == ErrorCause::NONE) cause = execute(r);
    if (cause != ErrorCause::NONE) return stop(cause, i);
    ++cycles_;
    ++cmd_done_;
    ++commands_executed[uint8_t(cmd::opcode_of(r))];
    if (cmd::opcode_of(r) == cmd::Opcode::END) {
      status_ = regs::STATUS_DONE;
      irq_status_ |= regs::IRQ_DONE;
      return;
    }
  }
  stop(ErrorCause::MISSING_END, uint32_t(len_ / cmd::kRecordBytes));  // index where END was due
}

ErrorCause FakeAccelerator::execute(const cmd::Record& r) {
  using cmd::Opcode;
  switch (cmd::opcode_of(r)) {
    case Opcode::DMA_IN:
    case Opcode::DMA_OUT: {
      const cmd::DmaDesc d = cmd::decode_dma(r);
      const bool in = cmd::opcode_of(r) == Opcode::DMA_IN;
      for (uint32_t row = 0; row < d.rows; ++row) {
        const uint64_t sys = d.sys_addr + uint64_t(row) * d.sys_stride;
        uint8_t* spad = spad_bytes(uint8_t(d.spad)) + d.spad_addr + uint64_t(row) * d.spad_stride;
        const HalStatus s = in ? mem_read(sys, spad, d.row_bytes) : mem_write(sys, spad, d.row_bytes);
        if (s != HalStatus::OK) {
          last_error_why = "DMA outside system memory";
          return ErrorCause::DMA_BUS_ERROR;
        }
      }
      return ErrorCause::NONE;
    }
    case Opcode::LOAD_COEFFS: {
      const cmd::LoadCoeffs c = cmd::decode_load_coeffs(r);
      const uint32_t spr = cmd::segments_per_row(hw_, c.seg_len);
      for (LimaPeCore& pe : pes_) pe.clear();
      for (uint32_t i = 0; i < c.n_seg; ++i)
        for (uint32_t j = 0; j < c.seg_len; ++j) {
          cmd::CoeffRecord rec;
          std::memcpy(&rec, spad_bytes(1) + c.param_addr + (size_t(i) * c.seg_len + j) * sizeof rec, sizeof rec);
          if (cfg_.real_only) rec.a_im = rec.b_im = rec.c_im = 0.0f;
          pes_[size_t(i / spr) * cfg_.cols + (i % spr) * c.seg_len + j].load(rec);
        }
      loaded_segments_ = c.n_seg;
      loaded_seg_len_ = c.seg_len;
      return ErrorCause::NONE;
    }
    case Opcode::RUN_SSM: {
      const cmd::RunSsm c = cmd::decode_run_ssm(r);
      const uint32_t spr = cmd::segments_per_row(hw_, loaded_seg_len_);
      for (uint32_t i = 0; i < loaded_segments_; ++i) {
        LimaPeCore* seg = &pes_[size_t(i / spr) * cfg_.cols + (i % spr) * loaded_seg_len_];
        if (c.flags & cmd::FLAG_RESET_STATE)
          for (uint32_t j = 0; j < loaded_seg_len_; ++j) seg[j].reset_state();
        for (uint32_t k = 0; k < c.length; ++k) {
          // Step k's element: k, or length-1-k with FLAG_REVERSE (the sequence runs backwards).
          const uint32_t e = (c.flags & cmd::FLAG_REVERSE) ? c.length - 1 - k : k;
          const float u = spad_float(cmd::SpadId::INPUT, c.in_addr + i * c.in_stride + 4 * e);
          float psum = 0.0f;
          for (uint32_t j = 0; j < loaded_seg_len_; ++j) psum = seg[j].lima(u, psum);
          const uint32_t out = c.out_addr + i * c.out_stride + 4 * e;
          if (c.flags & cmd::FLAG_ACCUMULATE) psum = spad_float(cmd::SpadId::OUTPUT, out) + psum;
          set_spad_float(cmd::SpadId::OUTPUT, out, psum);
        }
      }
      return ErrorCause::NONE;
    }
    case Opcode::RUN_GEMM:
      run_gemm(cmd::decode_run_gemm(r));
      return ErrorCause::NONE;
    case Opcode::RUN_VEC: {
      float* const spads[cmd::kNumSpads] = {spad_[0].data(), spad_[1].data(), spad_[2].data()};
      const vec::VecExecResult v = vec::vec_execute(cmd::decode_run_vec(r), spads,
                                                    regs::NumberFormat(cfg_.number_format), vec::VecCostParams{});
      if (v.cause != ErrorCause::NONE) last_error_why = "RUN_VEC EMBED: token id outside the table";
      return v.cause;
    }
    default:
      return ErrorCause::NONE;  // NOP, BARRIER, END: nothing to do in order, untimed
  }
}

// Output row i gets sum_{kk<k} in[i][kk] * w[kk][j], summed top row first from 0.0f.
void FakeAccelerator::run_gemm(const cmd::RunGemm& c) {
  const float* w = spad_[1].data() + c.param_addr / 4;
  for (uint32_t i = 0; i < c.m; ++i) {
    const float* in = spad_[0].data() + (c.in_addr + uint64_t(i) * c.in_stride) / 4;
    float* out = spad_[2].data() + (c.out_addr + uint64_t(i) * c.out_stride) / 4;
    for (uint32_t j = 0; j < c.n; ++j) {
      float psum = 0.0f;
      for (uint32_t kk = 0; kk < c.k; ++kk) psum = psum + w[size_t(kk) * c.n + j] * in[kk];
      out[j] = (c.flags & cmd::FLAG_ACCUMULATE) ? out[j] + psum : psum;
    }
  }
}

}  // namespace epochcore::test
