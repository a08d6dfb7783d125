// Functional test double of the EpochCore accelerator behind the firmware HAL: system
// memory, the registers and an in-order, untimed execution of the command stream on a
// grid of LimaPeCore (RUN_SSM flags ACCUMULATE, RESET_STATE and REVERSE), RUN_GEMM (the
// sums of docs/commands.md, top row first from 0.0f) and RUN_VEC (vec::vec_execute in
// the configured number format). For firmware tests only; the SystemC model is the real
// thing.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/firmware/hal/hal.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/maths/pe/lima_pe_math.h"

namespace epochcore::test {

struct FakeAccelConfig {
  uint32_t rows = 4, cols = 8;
  bool segments = true, real_only = false;
  uint32_t spad_kib[cmd::kNumSpads] = {64, 64, 64};  // indexed by cmd::SpadId
  uint32_t banks[cmd::kNumSpads] = {8, 8, 8};
  uint32_t ports[cmd::kNumSpads] = {1, 1, 1};
  uint8_t number_format = 0;       // regs::NumberFormat
  uint32_t vector_lanes = 8;
  uint64_t mem_base = 0x80000000;  // system memory [mem_base, mem_base + mem_bytes)
  size_t mem_bytes = 1 << 20;
  uint32_t id = regs::kIdValue;       // overridable to test probe errors
  uint32_t version = regs::kVersionValue;
};

class FakeAccelerator : public fw::Hal {
 public:
  explicit FakeAccelerator(const FakeAccelConfig& cfg);

  fw::HalStatus reg_read(uint32_t offset, uint32_t* value) override;
  fw::HalStatus reg_write(uint32_t offset, uint32_t value) override;
  fw::HalStatus mem_read(uint64_t addr, void* dst, size_t bytes) override;
  fw::HalStatus mem_write(uint64_t addr, const void* src, size_t bytes) override;
  // Execution is synchronous, so the line is already high when a job has finished;
  // waiting on a low line cannot block here and is counted instead.
  void wait_for_interrupt() override;
  void log(const char* line) override { logs.emplace_back(line); }

  bool irq_line() const { return (irq_status_ & irq_enable_) != 0; }

  std::vector<std::string> logs;
  std::string last_error_why;  // validate()'s text for the last error
  uint32_t waits_with_line_low = 0;
  uint64_t commands_executed[cmd::kNumOpcodes] = {};  // by opcode, since construction

 private:
  void execute_stream();
  regs::ErrorCause execute(const cmd::Record& r);
  bool sys_range(uint64_t addr, uint64_t bytes) const;
  float spad_float(cmd::SpadId s, uint32_t addr) const;
  void set_spad_float(cmd::SpadId s, uint32_t addr, float v);

  FakeAccelConfig cfg_;
  cmd::HwLimits hw_;
  std::vector<uint8_t> mem_;
  uint8_t* spad_bytes(uint8_t s) { return reinterpret_cast<uint8_t*>(spad_[s].data()); }
  void run_gemm(const cmd::RunGemm& c);

  std::vector<float> spad_[cmd::kNumSpads];  // float words; DMA and LOAD_COEFFS see bytes
  std::vector<LimaPeCore> pes_;  // rows x cols, row-major
  uint32_t loaded_segments_ = 0, loaded_seg_len_ = 0;
  uint32_t status_ = 0, err_cause_ = 0, err_index_ = 0, irq_enable_ = 0, irq_status_ = 0;
  uint32_t base_lo_ = 0, base_hi_ = 0, len_ = 0, cmd_done_ = 0, cycle_hi_latch_ = 0;
  uint64_t cycles_ = 0;  // here: commands executed since reset
};

}  // namespace epochcore::test
