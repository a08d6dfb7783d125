#include "epochcore/models/control/csr_block.h"

namespace epochcore {

using namespace regs;
using tlm::tlm_response_status;

CsrBlock::CsrBlock(sc_core::sc_module_name name, const CsrConfig& cfg)
    : sc_core::sc_module(name), socket("socket"), irq("irq"), cfg_(cfg) {
  socket.register_b_transport(this, &CsrBlock::b_transport);
  socket.register_transport_dbg(this, &CsrBlock::transport_dbg);
  reset_values();
  SC_HAS_PROCESS(CsrBlock);
  SC_METHOD(drive_irq);
  sensitive << irq_changed_;
  dont_initialize();
}

void CsrBlock::reset_values() {
  for (size_t i = 0; i < kNumRegisters; ++i) values_[i] = kRegisters[i].reset;
  // The hardware-description registers hold the configuration.
  reg(HW_ARRAY) = EC_REGF_PUT(HW_ARRAY_ROWS, cfg_.rows) | EC_REGF_PUT(HW_ARRAY_COLS, cfg_.cols);
  reg(HW_FEATURES) = cfg_.features;
  const uint32_t kib[3] = {HW_SPAD_IN_KIB, HW_SPAD_PARAM_KIB, HW_SPAD_OUT_KIB};
  const uint32_t geom[3] = {HW_SPAD_IN_GEOM, HW_SPAD_PARAM_GEOM, HW_SPAD_OUT_GEOM};
  for (int s = 0; s < 3; ++s) {
    reg(kib[s]) = cfg_.spad_kib[s];
    reg(geom[s]) = cfg_.spad_geom[s];
  }
  reg(HW_VECTOR) = cfg_.vector;
}

void CsrBlock::drive_irq() { irq.write(irq_state_); }

void CsrBlock::update_irq() {
  const bool level = (reg(IRQ_STATUS) & reg(IRQ_ENABLE)) != 0;
  if (level != irq_state_) {
    irq_state_ = level;
    irq_changed_.notify(sc_core::SC_ZERO_TIME);
  }
}

void CsrBlock::raise(uint32_t bits) {
  reg(IRQ_STATUS) |= bits;
  update_irq();
}

uint64_t CsrBlock::cycles() const {
  uint64_t c = cycles_done_;
  if (busy()) c += uint64_t((sc_core::sc_time_stamp() - busy_since_) / cfg_.clock_period);
  return c;
}

void CsrBlock::job_started() {
  reg(STATUS) = STATUS_BUSY;
  reg(ERR_CAUSE) = uint32_t(ErrorCause::NONE);
  reg(ERR_CMD_INDEX) = 0;
  reg(CMD_DONE) = 0;
  busy_since_ = sc_core::sc_time_stamp();
  if (on_status) on_status(reg(STATUS));
}

void CsrBlock::job_finished(ErrorCause cause, uint32_t cmd_index) {
  cycles_done_ += uint64_t((sc_core::sc_time_stamp() - busy_since_) / cfg_.clock_period);
  if (cause == ErrorCause::NONE) {
    reg(STATUS) = STATUS_DONE;
    raise(IRQ_DONE);
  } else {
    reg(STATUS) = STATUS_ERROR;
    reg(ERR_CAUSE) = uint32_t(cause);
    reg(ERR_CMD_INDEX) = cmd_index;
    raise(IRQ_ERROR);
  }
  if (on_status) on_status(reg(STATUS));
}

// Registers whose read is computed; every other register reads its stored value.
uint32_t CsrBlock::read_reg(uint32_t offset, bool side_effects) {
  switch (offset) {
    case CYCLE_LO: {
      const uint64_t c = cycles();
      if (side_effects) cycle_hi_latch_ = uint32_t(c >> 32);
      return uint32_t(c);
    }
    case CYCLE_HI: return cycle_hi_latch_;
  }
  return reg(offset);
}

tlm_response_status CsrBlock::access(bool write, uint32_t offset, uint32_t& value,
                                     bool side_effects) {
  const RegisterInfo* info = find_register(offset);
  if (!info) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (!write) {
    value = info->access == Access::WO ? 0 : read_reg(offset, side_effects);
    return tlm::TLM_OK_RESPONSE;
  }
  if (info->access == Access::RO) return tlm::TLM_COMMAND_ERROR_RESPONSE;
  if (!side_effects) return tlm::TLM_OK_RESPONSE;  // debug writes change nothing
  switch (offset) {
    case CTRL:
      if ((value & CTRL_SOFT_RESET) && !busy()) {
        reg(STATUS) = reg(ERR_CAUSE) = reg(ERR_CMD_INDEX) = reg(IRQ_STATUS) = reg(CMD_DONE) = 0;
        cycles_done_ = 0;
        update_irq();
        if (on_status) on_status(reg(STATUS));
      }
      return tlm::TLM_OK_RESPONSE;  // SOFT_RESET self-clears; CTRL has no other bits yet
    case IRQ_ENABLE: reg(IRQ_ENABLE) = value & (IRQ_DONE | IRQ_ERROR); update_irq(); return tlm::TLM_OK_RESPONSE;
    case DOORBELL:
      if (value != 1) return tlm::TLM_OK_RESPONSE;
      if (busy()) return tlm::TLM_COMMAND_ERROR_RESPONSE;
      job_started();
      if (reg(CMD_LEN) == 0 || reg(CMD_LEN) % cmd::kRecordBytes) {
        job_finished(ErrorCause::BAD_STREAM_LENGTH, EC_ERR_INDEX_NONE);
        return tlm::TLM_OK_RESPONSE;
      }
      if (reg(CMD_BASE_LO) % kCmdBaseAlign) {  // checked after the length
        job_finished(ErrorCause::BAD_STREAM_ADDRESS, EC_ERR_INDEX_NONE);
        return tlm::TLM_OK_RESPONSE;
      }
      if (on_doorbell) on_doorbell((uint64_t(reg(CMD_BASE_HI)) << 32) | reg(CMD_BASE_LO), reg(CMD_LEN));
      return tlm::TLM_OK_RESPONSE;
  }
  // Plain registers by their access kind: W1C clears the written ones, RW stores.
  if (info->access == Access::W1C) {
    reg(offset) &= ~value;
    update_irq();  // IRQ_STATUS is the only W1C register; its bits drive the line
  } else {
    reg(offset) = value;
  }
  return tlm::TLM_OK_RESPONSE;
}

// The checks of one transaction, in the documented precedence (docs/registers.md,
// "Access rules"): when an access breaks several rules, the first one listed here gives
// the response. The order is that in which IEEE 1666-2011 (and tlm_response_status)
// lists the specific error responses: address, command, burst, byte enable. The
// busy-doorbell refusal, a property of the state rather than of the transaction, comes
// last (in access()).
//   1. address: outside the window, not 4-byte aligned, or naming no register -> ADDRESS
//   2. command: a write to a read-only register -> COMMAND
//   3. burst: data length other than 4, or streaming width below 4 -> BURST
//   4. byte enables: a byte-enable pointer is set -> BYTE_ENABLE
// TLM_IGNORE_COMMAND gets the same checks but the command one (it neither reads nor
// writes), so an ignore to a hole gets ADDRESS_ERROR like a read or write would.
tlm_response_status CsrBlock::check_access(const tlm::tlm_generic_payload& tx) const {
  const uint64_t addr = tx.get_address();
  const RegisterInfo* info =
      addr % kRegBytes || addr >= kCsrWindowBytes ? nullptr : find_register(uint32_t(addr));
  if (!info) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (tx.is_write() && info->access == Access::RO) return tlm::TLM_COMMAND_ERROR_RESPONSE;
  if (tx.get_data_length() != kRegBytes || tx.get_streaming_width() < kRegBytes)
    return tlm::TLM_BURST_ERROR_RESPONSE;
  if (tx.get_byte_enable_ptr()) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  return tlm::TLM_OK_RESPONSE;
}

void CsrBlock::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  delay += cfg_.access_latency;
  const tlm_response_status checked = check_access(tx);
  if (checked != tlm::TLM_OK_RESPONSE || !(tx.is_read() || tx.is_write())) {
    tx.set_response_status(checked);  // an error, or an IGNORE that passed the checks
    return;
  }
  const uint32_t offset = uint32_t(tx.get_address());
  uint32_t value = 0;
  unsigned char* p = tx.get_data_ptr();
  if (tx.is_write()) value = p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24);
  const tlm_response_status st = access(tx.is_write(), offset, value, true);
  if (st == tlm::TLM_OK_RESPONSE && tx.is_read())
    for (int i = 0; i < 4; ++i) p[i] = uint8_t(value >> (8 * i));
  tx.set_response_status(st);
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
