#include "epochcore/contract/registers.h"

#include <cstdio>

namespace epochcore::regs {

const RegisterInfo kRegisters[] = {
    {"ID", ID, Access::RO, kIdValue, "Identification: 0x45504F43 ('EPOC')."},
    {"VERSION", VERSION, Access::RO, kVersionValue, "Register-map version, major << 16 | minor."},
    {"CTRL", CTRL, Access::RW, 0, "Bit 0 SOFT_RESET (self-clearing): when idle, clears STATUS, ERR_*, IRQ_STATUS, CMD_DONE and the cycle counter."},
    {"STATUS", STATUS, Access::RO, 0, "Bit 0 BUSY, bit 1 DONE (last stream reached END), bit 2 ERROR (last stream stopped on an error)."},
    {"ERR_CAUSE", ERR_CAUSE, Access::RO, 0, "Cause of the error that stopped the last stream (see the error table)."},
    {"ERR_CMD_INDEX", ERR_CMD_INDEX, Access::RO, 0, "Index (0-based record number) of the offending command; 0xFFFFFFFF for errors not tied to a command."},
    {"IRQ_ENABLE", IRQ_ENABLE, Access::RW, 0, "Bit 0 DONE, bit 1 ERROR: which pending interrupts drive the irq line."},
    {"IRQ_STATUS", IRQ_STATUS, Access::W1C, 0, "Pending interrupts, same bits as IRQ_ENABLE; write 1 to clear. irq = (IRQ_STATUS & IRQ_ENABLE) != 0, level."},
    {"CMD_BASE_LO", CMD_BASE_LO, Access::RW, 0, "System-memory address of the command stream, bits 31:0 (8-byte aligned)."},
    {"CMD_BASE_HI", CMD_BASE_HI, Access::RW, 0, "Command stream address, bits 63:32."},
    {"CMD_LEN", CMD_LEN, Access::RW, 0, "Command stream length in bytes: a non-zero multiple of 32."},
    {"DOORBELL", DOORBELL, Access::WO, 0, "Write 1 to start fetching and executing the stream; reads as 0. Other values are ignored. Ringing it while BUSY gets a TLM command-error response and leaves the running stream alone."},
    {"CYCLE_LO", CYCLE_LO, Access::RO, 0, "Accelerator cycles spent busy since reset, bits 31:0; reading it latches bits 63:32 into CYCLE_HI."},
    {"CYCLE_HI", CYCLE_HI, Access::RO, 0, "Cycle counter bits 63:32 as latched by the last CYCLE_LO read."},
    {"CMD_DONE", CMD_DONE, Access::RO, 0, "Commands completed since the last doorbell."},
    {"HW_ARRAY", HW_ARRAY, Access::RO, 0, "Configuration: array rows in bits 15:0, columns in bits 31:16."},
    {"HW_FEATURES", HW_FEATURES, Access::RO, 0, "Configuration: bit 0 SEGMENTS (several channel segments per row), bit 1 REAL_ONLY."},
    {"HW_SPAD_IN_KIB", HW_SPAD_IN_KIB, Access::RO, 0, "Configuration: input scratchpad size in KiB."},
    {"HW_SPAD_PARAM_KIB", HW_SPAD_PARAM_KIB, Access::RO, 0, "Configuration: parameter scratchpad size in KiB."},
    {"HW_SPAD_OUT_KIB", HW_SPAD_OUT_KIB, Access::RO, 0, "Configuration: output scratchpad size in KiB."},
    {"HW_SPAD_IN_GEOM", HW_SPAD_IN_GEOM, Access::RO, 0, "Configuration: input scratchpad banks in bits 15:0, ports per bank in bits 31:16."},
    {"HW_SPAD_PARAM_GEOM", HW_SPAD_PARAM_GEOM, Access::RO, 0, "Configuration: parameter scratchpad banks and ports, as HW_SPAD_IN_GEOM."},
    {"HW_SPAD_OUT_GEOM", HW_SPAD_OUT_GEOM, Access::RO, 0, "Configuration: output scratchpad banks and ports, as HW_SPAD_IN_GEOM."},
    {"HW_VECTOR", HW_VECTOR, Access::RO, 0, "Configuration: number format of the datapath in bits 7:0 (0 fp32, 1 bf16, 2 fp16, 3 int16, 4 int8), vector-unit lanes in bits 31:16."},
};
const size_t kNumRegisters = sizeof(kRegisters) / sizeof(kRegisters[0]);

const RegisterInfo* find_register(uint32_t offset) {
  for (size_t i = 0; i < kNumRegisters; ++i)
    if (kRegisters[i].offset == offset) return &kRegisters[i];
  return nullptr;
}

static const char* access_name(Access a) {
  switch (a) {
    case Access::RO: return "RO";
    case Access::RW: return "RW";
    case Access::WO: return "WO";
    case Access::W1C: return "W1C";
  }
  return "?";
}

std::string registers_markdown_table() {
  std::string t = "| offset | name | access | reset | description |\n| --- | --- | --- | --- | --- |\n";
  char buf[64];
  for (size_t i = 0; i < kNumRegisters; ++i) {
    const RegisterInfo& r = kRegisters[i];
    std::snprintf(buf, sizeof buf, "| 0x%03X | ", r.offset);
    t += buf;
    t += r.name;
    t += " | ";
    t += access_name(r.access);
    std::snprintf(buf, sizeof buf, " | 0x%08X | ", r.reset);
    t += buf;
    t += r.description;
    t += " |\n";
  }
  return t;
}

std::string error_causes_markdown_table() {
  static const char* kMeaning[] = {
      "no error",
      "the opcode field names no command",
      "a scratchpad range is misaligned or runs outside its buffer",
      "a DMA transfer got a bus error (e.g. a system address outside memory); ERR_CMD_INDEX is the DMA command",
      "a field is out of range (zero length, too many segments, bad flags, reserved bits set, ...)",
      "the command stream could not be read from system memory",
      "CMD_LEN is zero or not a multiple of 32 (ERR_CMD_INDEX = 0xFFFFFFFF)",
      "(unused)",
      "the stream ran out without END (ERR_CMD_INDEX = number of records)",
      "a DMA or RUN_VEC command names a scratchpad id other than 0, 1, 2",
      "RUN_VEC EMBED: a token id outside [0, vocab); ERR_CMD_INDEX is the RUN_VEC",
  };
  std::string t = "| value | cause | raised when |\n| --- | --- | --- |\n";
  for (uint32_t v = 0; v < sizeof kMeaning / sizeof kMeaning[0]; ++v) {
    if (v == 7) continue;
    t += "| " + std::to_string(v) + " | " + error_cause_name(ErrorCause(v)) + " | " + kMeaning[v] + " |\n";
  }
  return t;
}

const char* error_cause_name(ErrorCause cause) {
  switch (cause) {
    case ErrorCause::NONE: return "NONE";
    case ErrorCause::UNKNOWN_OPCODE: return "UNKNOWN_OPCODE";
    case ErrorCause::BAD_SPAD_ADDRESS: return "BAD_SPAD_ADDRESS";
    case ErrorCause::DMA_BUS_ERROR: return "DMA_BUS_ERROR";
    case ErrorCause::BAD_FIELD: return "BAD_FIELD";
    case ErrorCause::CMD_FETCH_ERROR: return "CMD_FETCH_ERROR";
    case ErrorCause::BAD_STREAM_LENGTH: return "BAD_STREAM_LENGTH";
    case ErrorCause::MISSING_END: return "MISSING_END";
    case ErrorCause::BAD_SPAD_ID: return "BAD_SPAD_ID";
    case ErrorCause::BAD_TOKEN: return "BAD_TOKEN";
  }
  return "UNKNOWN";
}

}  // namespace epochcore::regs
