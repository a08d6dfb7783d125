// EpochCore control/status register map: the single definition shared by the CSR
// model, the firmware and the tests. docs/registers.md is rendered from kRegisters
// (a unit test keeps the two in step).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace epochcore::regs {

// All registers are 32 bits wide; accesses must be 4 bytes long and 4-byte aligned.
constexpr uint32_t kRegBytes = 4;
constexpr uint32_t kCsrWindowBytes = 0x100;

enum Offset : uint32_t {
  ID = 0x000,            // RO  identification, reads 'EPOC'
  VERSION = 0x004,       // RO  major << 16 | minor
  CTRL = 0x008,          // RW  control bits (CtrlBits)
  STATUS = 0x00C,        // RO  status bits (StatusBits)
  ERR_CAUSE = 0x010,     // RO  ErrorCause of the first error since the last doorbell
  ERR_CMD_INDEX = 0x014, // RO  index of the offending command in the stream
  IRQ_ENABLE = 0x018,    // RW  interrupt enables (IrqBits)
  IRQ_STATUS = 0x01C,    // W1C pending interrupts (IrqBits); the line is (status & enable) != 0
  CMD_BASE_LO = 0x020,   // RW  system address of the command stream, low word
  CMD_BASE_HI = 0x024,   // RW  high word
  CMD_LEN = 0x028,       // RW  command stream length in bytes (multiple of 32)
  DOORBELL = 0x02C,      // WO  write 1: fetch and execute the stream
  CYCLE_LO = 0x030,      // RO  accelerator clock cycles while busy, low word (latches high)
  CYCLE_HI = 0x034,      // RO  high word latched when CYCLE_LO was read
  CMD_DONE = 0x038,      // RO  commands completed since the last doorbell
  HW_ARRAY = 0x03C,      // RO  array rows (bits 15:0) and columns (bits 31:16)
  HW_FEATURES = 0x040,   // RO  feature bits (FeatureBits)
  HW_SPAD_IN_KIB = 0x044,     // RO  input scratchpad size in KiB
  HW_SPAD_PARAM_KIB = 0x048,  // RO  parameter scratchpad size in KiB
  HW_SPAD_OUT_KIB = 0x04C,    // RO  output scratchpad size in KiB
  HW_SPAD_IN_GEOM = 0x050,    // RO  input scratchpad banks (15:0) and ports per bank (31:16)
  HW_SPAD_PARAM_GEOM = 0x054, // RO  parameter scratchpad banks and ports
  HW_SPAD_OUT_GEOM = 0x058,   // RO  output scratchpad banks and ports
  HW_VECTOR = 0x05C,          // RO  number format (7:0, NumberFormat), vector-unit lanes (31:16)
};

constexpr uint32_t kIdValue = 0x45504F43;  // 'EPOC'
constexpr uint32_t kVersionValue = 0x00010001;  // 1.1: RUN_VEC, HW_VECTOR

enum CtrlBits : uint32_t {
  CTRL_SOFT_RESET = 1u << 0,  // self-clearing: aborts nothing, clears status/error/counters when idle
};

enum StatusBits : uint32_t {
  STATUS_BUSY = 1u << 0,   // a command stream is executing
  STATUS_DONE = 1u << 1,   // the last stream reached END
  STATUS_ERROR = 1u << 2,  // the last stream stopped on an error (ERR_CAUSE, ERR_CMD_INDEX)
};

enum IrqBits : uint32_t {
  IRQ_DONE = 1u << 0,
  IRQ_ERROR = 1u << 1,
};

enum FeatureBits : uint32_t {
  FEATURE_SEGMENTS = 1u << 0,  // several channel segments may share an array row
  FEATURE_REAL_ONLY = 1u << 1, // LIMA-PEs are real-valued (S4D-Real): imaginary parts ignored
};

enum class ErrorCause : uint32_t {
  NONE = 0,
  UNKNOWN_OPCODE = 1,      // opcode field not in Opcode
  BAD_SPAD_ADDRESS = 2,    // a scratchpad range outside the buffer, or misaligned
  DMA_BUS_ERROR = 3,       // a DMA transfer got a TLM error (e.g. outside system memory)
  BAD_FIELD = 4,           // a field out of range (zero length, too many segments, ...)
  CMD_FETCH_ERROR = 5,     // reading the command stream from system memory failed
  BAD_STREAM_LENGTH = 6,   // CMD_LEN zero or not a multiple of the record size
  MISSING_END = 8,         // the stream ran out without an END command
  BAD_SPAD_ID = 9,         // scratchpad id not in SpadId
  BAD_TOKEN = 10,          // RUN_VEC EMBED: a token id outside [0, vocab)
};

// The datapath's number format (HW_VECTOR bits 7:0), in numfmt::Format order.
enum class NumberFormat : uint8_t { FP32 = 0, BF16 = 1, FP16 = 2, INT16 = 3, INT8 = 4 };
constexpr uint8_t kNumNumberFormats = 5;

const char* error_cause_name(ErrorCause cause);

enum class Access : uint8_t { RO, RW, WO, W1C };

struct RegisterInfo {
  const char* name;
  uint32_t offset;
  Access access;
  uint32_t reset;  // reset value; for hardware-description registers, "configuration"
  const char* description;
};

extern const RegisterInfo kRegisters[];
extern const size_t kNumRegisters;

// Returns nullptr for offsets that name no register.
const RegisterInfo* find_register(uint32_t offset);

// The register table in Markdown, as docs/registers.md holds it.
std::string registers_markdown_table();
// The error-cause table in Markdown.
std::string error_causes_markdown_table();

}  // namespace epochcore::regs
