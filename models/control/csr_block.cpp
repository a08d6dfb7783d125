#include "epochcore/models/control/csr_block.h"

namespace epochcore {

using namespace regs;
using tlm::tlm_response_status;

CsrBlock::CsrBlock(sc_core::sc_module_name name, const CsrConfig& cfg)
    : sc_core::sc_module(name), socket("socket"), irq("irq"), cfg_(cfg) {
  socket.register_b_transport(this, &CsrBlock::b_transport);
  socket.register_transport_dbg(this, &CsrBlock::transport_dbg);
  SC_HAS_PROCESS(CsrBlock);
  SC_METHOD(drive_irq);
  sensitive << irq_changed_;
  dont_initialize();
}

void CsrBlock::drive_irq() { irq.write(irq_state_); }

void CsrBlock::update_irq() {
  const bool level = (irq_status_ & irq_enable_) != 0;
  if (level != irq_state_) {
    irq_state_ = level;
    irq_changed_.notify(sc_core::SC_ZERO_TIME);
  }
}

void CsrBlock::raise(uint32_t bits) {
  irq_status_ |= bits;
  update_irq();
}

uint64_t CsrBlock::cycles() const {
  uint64_t c = cycles_done_;
  if (busy()) c += uint64_t((sc_core::sc_time_stamp() - busy_since_) / cfg_.clock_period);
  return c;
}

void CsrBlock::job_started() {
  status_ = STATUS_BUSY;
  err_cause_ = uint32_t(ErrorCause::NONE);
  err_index_ = 0;
  cmd_done_ = 0;
  busy_since_ = sc_core::sc_time_stamp();
}

void CsrBlock::job_finished(ErrorCause cause, uint32_t cmd_index) {
  cycles_done_ += uint64_t((sc_core::sc_time_stamp() - busy_since_) / cfg_.clock_period);
  if (cause == ErrorCause::NONE) {
    status_ = STATUS_DONE;
    raise(IRQ_DONE);
  } else {
    status_ = STATUS_ERROR;
    err_cause_ = uint32_t(cause);
    err_index_ = cmd_index;
    raise(IRQ_ERROR);
  }
}

uint32_t CsrBlock::read_reg(uint32_t offset, bool side_effects) {
  switch (offset) {
    case ID: return kIdValue;
    case VERSION: return kVersionValue;
    case CTRL: return ctrl_;
    case STATUS: return status_;
    case ERR_CAUSE: return err_cause_;
    case ERR_CMD_INDEX: return err_index_;
    case IRQ_ENABLE: return irq_enable_;
    case IRQ_STATUS: return irq_status_;
    case CMD_BASE_LO: return cmd_base_lo_;
    case CMD_BASE_HI: return cmd_base_hi_;
    case CMD_LEN: return cmd_len_;
    case DOORBELL: return 0;
    case CYCLE_LO: {
      const uint64_t c = cycles();
      if (side_effects) cycle_hi_latch_ = uint32_t(c >> 32);
      return uint32_t(c);
    }
    case CYCLE_HI: return cycle_hi_latch_;
    case CMD_DONE: return cmd_done_;
    case HW_ARRAY: return (cfg_.rows & 0xFFFF) | (cfg_.cols << 16);
    case HW_FEATURES: return cfg_.features;
    case HW_SPAD_IN_KIB: return cfg_.spad_kib[0];
    case HW_SPAD_PARAM_KIB: return cfg_.spad_kib[1];
    case HW_SPAD_OUT_KIB: return cfg_.spad_kib[2];
    case HW_SPAD_IN_GEOM: return cfg_.spad_geom[0];
    case HW_SPAD_PARAM_GEOM: return cfg_.spad_geom[1];
    case HW_SPAD_OUT_GEOM: return cfg_.spad_geom[2];
    case HW_VECTOR: return cfg_.vector;
  }
  return 0;
}

tlm_response_status CsrBlock::access(bool write, uint32_t offset, uint32_t& value,
                                     bool side_effects) {
  const RegisterInfo* reg = find_register(offset);
  if (!reg) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (!write) {
    value = reg->access == Access::WO ? 0 : read_reg(offset, side_effects);
    return tlm::TLM_OK_RESPONSE;
  }
  if (reg->access == Access::RO) return tlm::TLM_COMMAND_ERROR_RESPONSE;
  if (!side_effects) return tlm::TLM_OK_RESPONSE;  // debug writes change nothing
  switch (offset) {
    case CTRL:
      if ((value & CTRL_SOFT_RESET) && !busy()) {
        status_ = err_cause_ = err_index_ = irq_status_ = cmd_done_ = 0;
        cycles_done_ = 0;
        update_irq();
      }
      break;  // SOFT_RESET self-clears; CTRL has no other bits yet
    case IRQ_ENABLE: irq_enable_ = value & (IRQ_DONE | IRQ_ERROR); update_irq(); break;
    case IRQ_STATUS: irq_status_ &= ~value; update_irq(); break;
    case CMD_BASE_LO: cmd_base_lo_ = value; break;
    case CMD_BASE_HI: cmd_base_hi_ = value; break;
    case CMD_LEN: cmd_len_ = value; break;
    case DOORBELL:
      if (value != 1) break;
      if (busy()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      job_started();
      if (cmd_len_ == 0 || cmd_len_ % cmd::kRecordBytes) {
        job_finished(ErrorCause::BAD_STREAM_LENGTH, 0xFFFFFFFFu);
        break;
      }
      if (on_doorbell) on_doorbell((uint64_t(cmd_base_hi_) << 32) | cmd_base_lo_, cmd_len_);
      break;
  }
  return tlm::TLM_OK_RESPONSE;
}

void CsrBlock::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  delay += cfg_.access_latency;
  if (tx.get_byte_enable_ptr()) {
    tx.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (tx.get_data_length() != kRegBytes || tx.get_streaming_width() < kRegBytes) {
    tx.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  const uint64_t addr = tx.get_address();
  if (addr % kRegBytes || addr >= kCsrWindowBytes) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (tx.is_read() || tx.is_write()) {
    uint32_t value = 0;
    unsigned char* p = tx.get_data_ptr();
    if (tx.is_write()) value = p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
    const tlm_response_status st = access(tx.is_write(), uint32_t(addr), value, true);
    if (st == tlm::TLM_OK_RESPONSE && tx.is_read())
      for (int i = 0; i < 4; ++i) p[i] = uint8_t(value >> (8 * i));
    tx.set_response_status(st);
    return;
  }
  tx.set_response_status(tlm::TLM_OK_RESPONSE);  // TLM_IGNORE_COMMAND
}

unsigned CsrBlock::transport_dbg(tlm::tlm_generic_payload& tx) {
  const uint64_t addr = tx.get_address();
  if (tx.get_data_length() != kRegBytes || addr % kRegBytes || addr >= kCsrWindowBytes) return 0;
  uint32_t value = 0;
  if (!tx.is_read() || access(false, uint32_t(addr), value, false) != tlm::TLM_OK_RESPONSE) return 0;
  unsigned char* p = tx.get_data_ptr();
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(value >> (8 * i));
  return kRegBytes;
}

}  // namespace epochcore
