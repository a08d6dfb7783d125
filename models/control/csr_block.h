// Control/status registers behind a TLM-2.0 target socket, and the level interrupt.
// Register metadata (offset, access, reset value) comes from the one table,
// regs::kRegisters (EC_REGISTER_LIST in contract/regs.h): the block stores one value per
// table row, reset from the table; behaviour (side effects) is keyed to the offsets.
// The command processor drives the status side through the methods below.
#pragma once
#include <cstdint>
#include <functional>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"

namespace epochcore {

struct CsrConfig {
  uint32_t rows = 0, cols = 0;
  uint32_t features = 0;            // regs::FeatureBits
  uint32_t spad_kib[3] = {0, 0, 0}; // by cmd::SpadId
  uint32_t spad_geom[3] = {0, 0, 0};
  uint32_t vector = 0;              // HW_VECTOR: number format (7:0), vector lanes (31:16)
  sc_core::sc_time clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  sc_core::sc_time access_latency = sc_core::sc_time(1, sc_core::SC_NS);
};

class CsrBlock : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<CsrBlock> socket;
  sc_core::sc_out<bool> irq;

  CsrBlock(sc_core::sc_module_name name, const CsrConfig& cfg);
  const char* kind() const override { return "epochcore::CsrBlock"; }

  // Called on a valid doorbell with the stream address and length.
  std::function<void(uint64_t base, uint32_t len)> on_doorbell;
  // Called after STATUS changed (job start and end, soft reset) with its new value.
  std::function<void(uint32_t status)> on_status;

  // Command-processor side.
  void job_started();
  void job_finished(regs::ErrorCause cause, uint32_t cmd_index);  // NONE: done
  void command_retired() { ++reg(regs::CMD_DONE); }
  bool busy() const { return reg(regs::STATUS) & regs::STATUS_BUSY; }
  uint64_t cycles() const;  // the CYCLE counter as of now

 private:
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& tx);
  // The transaction-level checks in their precedence order; OK when all pass.
  tlm::tlm_response_status check_access(const tlm::tlm_generic_payload& tx) const;
  // Returns the TLM response for one 32-bit access; `side_effects` false for debug.
  tlm::tlm_response_status access(bool write, uint32_t offset, uint32_t& value, bool side_effects);
  uint32_t read_reg(uint32_t offset, bool side_effects);
  void raise(uint32_t irq_bits);
  void update_irq();

  CsrConfig cfg_;
  // The stored value of the register at `offset` (one of the table's offsets).
  uint32_t& reg(uint32_t offset) { return values_[regs::register_index(offset)]; }
  uint32_t reg(uint32_t offset) const { return values_[regs::register_index(offset)]; }
  void reset_values();  // every register to the table's reset value

  uint32_t values_[EC_NUM_REGISTERS] = {};
  uint32_t cycle_hi_latch_ = 0;
  uint64_t cycles_done_ = 0;            // completed jobs
  sc_core::sc_time busy_since_;
  bool irq_state_ = false;
  sc_core::sc_event irq_changed_;
  void drive_irq();
};

}  // namespace epochcore
