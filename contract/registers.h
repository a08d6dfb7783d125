// C++ view of the EpochCore register map. The definition is the C99 header
// contract/regs.h (EC_REGISTER_LIST and friends); every value here is taken from it.
// docs/registers.md is rendered from kRegisters (a unit test keeps the two in step).
#pragma once
#include <stddef.h>
#include <stdint.h>
#if __STDC_HOSTED__
#include <string>
#endif

#include "epochcore/contract/regs.h"

namespace epochcore::regs {

// All registers are 32 bits wide; accesses must be 4 bytes long and 4-byte aligned.
constexpr uint32_t kRegBytes = EC_REG_BYTES;
constexpr uint32_t kCsrWindowBytes = EC_CSR_WINDOW_BYTES;
constexpr uint32_t kCmdBaseAlign = EC_CMD_BASE_ALIGN;  // CMD_BASE alignment the doorbell enforces

// ID, VERSION, ... = EC_REG_ID, EC_REG_VERSION, ... (the list in regs.h).
#define EC_CPP_OFFSET_(name, offset, access, reset, fields, desc) name = EC_REG_##name,
enum Offset : uint32_t { EC_REGISTER_LIST(EC_CPP_OFFSET_) };
#undef EC_CPP_OFFSET_

constexpr uint32_t kIdValue = EC_ID_VALUE;  // 'EPOC'
constexpr uint32_t kVersionValue = EC_VERSION_VALUE;

enum CtrlBits : uint32_t {
  CTRL_SOFT_RESET = EC_CTRL_SOFT_RESET,  // self-clearing: aborts nothing, clears status/error/counters when idle
};

enum StatusBits : uint32_t {
  STATUS_BUSY = EC_STATUS_BUSY,    // a command stream is executing
  STATUS_DONE = EC_STATUS_DONE,    // the last stream reached END
  STATUS_ERROR = EC_STATUS_ERROR,  // the last stream stopped on an error (ERR_CAUSE, ERR_CMD_INDEX)
};

enum IrqBits : uint32_t {
  IRQ_DONE = EC_IRQ_DONE,
  IRQ_ERROR = EC_IRQ_ERROR,
};

enum FeatureBits : uint32_t {
  FEATURE_SEGMENTS = EC_FEATURE_SEGMENTS,    // several channel segments may share an array row
  FEATURE_REAL_ONLY = EC_FEATURE_REAL_ONLY,  // LIMA-PEs are real-valued (S4D-Real): imaginary parts ignored
  FEATURE_SEGMENT_DIRECTION = EC_FEATURE_SEGMENT_DIRECTION,  // per-segment direction (LOAD_COEFFS rev_segs)
  FEATURE_SELECTIVE = EC_FEATURE_SELECTIVE,  // selective (Mamba S6) op, exp unit per PE, coefficient north feed: RUN_SCAN
  FEATURE_COMPUTE_QUEUES = EC_FEATURE_COMPUTE_QUEUES,  // two compute queues with a scoreboard
};

// ERR_CAUSE values (EC_ERROR_LIST in regs.h).
#define EC_CPP_ERR_(name, value, desc) name = EC_ERR_##name,
enum class ErrorCause : uint32_t { EC_ERROR_LIST(EC_CPP_ERR_) };
#undef EC_CPP_ERR_

// The datapath's number format (HW_VECTOR bits 7:0), in numfmt::Format order.
#define EC_CPP_FMT_(name, value, lower, bits) name = EC_FMT_##name,
enum class NumberFormat : uint8_t { EC_FORMAT_LIST(EC_CPP_FMT_) };
#undef EC_CPP_FMT_
constexpr uint8_t kNumNumberFormats = EC_NUM_FORMATS;

const char* error_cause_name(ErrorCause cause);

enum class Access : uint8_t {
  RO = EC_ACCESS_RO,
  RW = EC_ACCESS_RW,
  WO = EC_ACCESS_WO,
  W1C = EC_ACCESS_W1C,
};
const char* access_name(Access a);  // "RO", "RW", "WO", "W1C"

// One bit field of a register (EC_FIELDS_* lists in regs.h).
struct FieldInfo {
  const char* name;
  uint32_t shift, width;
  const char* description;
  uint32_t mask() const { return EC_FIELD_MASK(shift, width); }
};

struct RegisterInfo {
  const char* name;
  uint32_t offset;
  Access access;
  uint32_t reset;  // reset value; for hardware-description registers, "configuration"
  const char* description;
  const FieldInfo* fields;  // the register's bit fields, low bit first
  size_t num_fields;        // 0: one 32-bit value
};

extern const RegisterInfo kRegisters[];
extern const size_t kNumRegisters;

// Position of the register at `offset` in kRegisters (EC_REGISTER_LIST order);
// EC_NUM_REGISTERS for offsets that name no register.
constexpr size_t register_index(uint32_t offset) {
  size_t i = 0;
#define EC_CPP_INDEX_(name, off, access, reset, fields, desc) \
  if (offset == EC_REG_##name) return i;                      \
  ++i;
  EC_REGISTER_LIST(EC_CPP_INDEX_)
#undef EC_CPP_INDEX_
  return i;
}

// Returns nullptr for offsets that name no register.
const RegisterInfo* find_register(uint32_t offset);

#if __STDC_HOSTED__
// The register table in Markdown, as docs/registers.md holds it.
std::string registers_markdown_table();
// The error-cause table in Markdown.
std::string error_causes_markdown_table();
// The bit-field table of the packed registers in Markdown.
std::string register_fields_markdown_table();
#endif

// ERR_CAUSE values with their "raised when" text, in value order.
struct ErrorCauseInfo {
  ErrorCause cause;
  const char* name;
  const char* raised_when;
};
extern const ErrorCauseInfo kErrorCauses[];
extern const size_t kNumErrorCauses;

}  // namespace epochcore::regs
