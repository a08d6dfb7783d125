/* EpochCore control/status register map: THE definition (C99, freestanding: only
 * <stdint.h>). The CSR model, the firmware, the C++ helpers (registers.h), the docs
 * (docs/registers.md), the CMSIS-SVD file and the devicetree node all derive from the
 * lists below; nothing else spells an offset, bit position or value.
 *
 * The lists are X-macros: a user defines X(...) and expands the list, e.g.
 *   #define ROW(name, offset, access, reset, fields, desc) { #name, offset },
 *   EC_REGISTER_LIST(ROW)
 */
#ifndef EPOCHCORE_CONTRACT_REGS_H
#define EPOCHCORE_CONTRACT_REGS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* All registers are 32 bits wide; accesses must be 4 bytes long and 4-byte aligned. */
#define EC_REG_BYTES 4u
#define EC_CSR_WINDOW_BYTES 0x100u
/* CMD_BASE (CMD_BASE_HI:CMD_BASE_LO) must be a multiple of this; the doorbell refuses
 * another base with BAD_STREAM_ADDRESS. */
#define EC_CMD_BASE_ALIGN 8u

#define EC_ID_VALUE 0x45504F43u /* 'EPOC' */
#define EC_VERSION_MAJOR_VALUE 1u
#define EC_VERSION_MINOR_VALUE 1u /* 1.1: RUN_VEC, HW_VECTOR */
#define EC_VERSION_VALUE ((EC_VERSION_MAJOR_VALUE << 16) | EC_VERSION_MINOR_VALUE)

/* Register access kinds (the `access` column of EC_REGISTER_LIST, pasted as EC_ACCESS_##a). */
enum ec_access { EC_ACCESS_RO = 0, EC_ACCESS_RW = 1, EC_ACCESS_WO = 2, EC_ACCESS_W1C = 3 };

/* X(name, offset, access, reset, fields, description). `fields` names the field list
 * EC_FIELDS_<fields> below (NONE: the register is one 32-bit value). For the
 * hardware-description registers (HW_*) the reset value is the configuration; 0 here. */
#define EC_REGISTER_LIST(X) \
  X(ID, 0x000, RO, EC_ID_VALUE, NONE, "Identification: 0x45504F43 ('EPOC').") \
  X(VERSION, 0x004, RO, EC_VERSION_VALUE, VERSION, "Register-map version, major << 16 | minor.") \
  X(CTRL, 0x008, RW, 0, CTRL, "Bit 0 SOFT_RESET (self-clearing): when idle, clears STATUS, ERR_*, IRQ_STATUS, CMD_DONE and the cycle counter.") \
  X(STATUS, 0x00C, RO, 0, STATUS, "Bit 0 BUSY, bit 1 DONE (last stream reached END), bit 2 ERROR (last stream stopped on an error).") \
  X(ERR_CAUSE, 0x010, RO, 0, NONE, "Cause of the error that stopped the last stream (see the error table).") \
  X(ERR_CMD_INDEX, 0x014, RO, 0, NONE, "Index (0-based record number) of the offending command; 0xFFFFFFFF for errors not tied to a command.") \
  X(IRQ_ENABLE, 0x018, RW, 0, IRQ, "Bit 0 DONE, bit 1 ERROR: which pending interrupts drive the irq line.") \
  X(IRQ_STATUS, 0x01C, W1C, 0, IRQ, "Pending interrupts, same bits as IRQ_ENABLE; write 1 to clear. irq = (IRQ_STATUS & IRQ_ENABLE) != 0, level.") \
  X(CMD_BASE_LO, 0x020, RW, 0, NONE, "System-memory address of the command stream, bits 31:0; must be 8-byte aligned (the doorbell otherwise ends the job with BAD_STREAM_ADDRESS).") \
  X(CMD_BASE_HI, 0x024, RW, 0, NONE, "Command stream address, bits 63:32.") \
  X(CMD_LEN, 0x028, RW, 0, NONE, "Command stream length in bytes: a non-zero multiple of 32.") \
  X(DOORBELL, 0x02C, WO, 0, NONE, "Write 1 to start fetching and executing the stream; reads as 0. Other values are ignored. Ringing it while BUSY gets a TLM command-error response and leaves the running stream alone.") \
  X(CYCLE_LO, 0x030, RO, 0, NONE, "Accelerator cycles spent busy since reset, bits 31:0; reading it latches bits 63:32 into CYCLE_HI.") \
  X(CYCLE_HI, 0x034, RO, 0, NONE, "Cycle counter bits 63:32 as latched by the last CYCLE_LO read.") \
  X(CMD_DONE, 0x038, RO, 0, NONE, "Commands completed since the last doorbell.") \
  X(HW_ARRAY, 0x03C, RO, 0, HW_ARRAY, "Configuration: array rows in bits 15:0, columns in bits 31:16.") \
  X(HW_FEATURES, 0x040, RO, 0, FEATURE, "Configuration: bit 0 SEGMENTS (several channel segments per row), bit 1 REAL_ONLY, bit 2 SEGMENT_DIRECTION (per-segment direction), bit 3 SELECTIVE (RUN_SCAN), bit 4 COMPUTE_QUEUES (two compute queues with a scoreboard).") \
  X(HW_SPAD_IN_KIB, 0x044, RO, 0, NONE, "Configuration: input scratchpad size in KiB.") \
  X(HW_SPAD_PARAM_KIB, 0x048, RO, 0, NONE, "Configuration: parameter scratchpad size in KiB.") \
  X(HW_SPAD_OUT_KIB, 0x04C, RO, 0, NONE, "Configuration: output scratchpad size in KiB.") \
  X(HW_SPAD_IN_GEOM, 0x050, RO, 0, SPAD_GEOM, "Configuration: input scratchpad banks in bits 15:0, ports per bank in bits 31:16.") \
  X(HW_SPAD_PARAM_GEOM, 0x054, RO, 0, SPAD_GEOM, "Configuration: parameter scratchpad banks and ports, as HW_SPAD_IN_GEOM.") \
  X(HW_SPAD_OUT_GEOM, 0x058, RO, 0, SPAD_GEOM, "Configuration: output scratchpad banks and ports, as HW_SPAD_IN_GEOM.") \
  X(HW_VECTOR, 0x05C, RO, 0, HW_VECTOR, "Configuration: number format of the datapath in bits 7:0 (0 fp32, 1 bf16, 2 fp16, 3 int16, 4 int8), vector-unit lanes in bits 31:16.")

/* Register offsets: EC_REG_ID, EC_REG_VERSION, ... */
#define EC_X_REG_OFFSET_(name, offset, access, reset, fields, desc) EC_REG_##name = offset,
enum ec_reg { EC_REGISTER_LIST(EC_X_REG_OFFSET_) };
#define EC_X_REG_COUNT_(name, offset, access, reset, fields, desc) +1
enum { EC_NUM_REGISTERS = 0 EC_REGISTER_LIST(EC_X_REG_COUNT_) };

/* Bit fields of the packed registers: X(group, field, shift, width, description) gives
 * EC_<group>_<field>_SHIFT and _WIDTH (EC_FIELD_MASK builds the mask). Several
 * registers may share a group (IRQ_ENABLE/IRQ_STATUS, the three *_GEOM). */
#define EC_FIELDS_NONE(X)
#define EC_FIELDS_VERSION(X) \
  X(VERSION, MINOR, 0, 16, "Minor version: additions that keep the map compatible.") \
  X(VERSION, MAJOR, 16, 16, "Major version: a driver refuses any other major.")
#define EC_FIELDS_CTRL(X) \
  X(CTRL, SOFT_RESET, 0, 1, "Self-clearing: when idle, clears STATUS, ERR_*, IRQ_STATUS, CMD_DONE and the cycle counter.")
#define EC_FIELDS_STATUS(X) \
  X(STATUS, BUSY, 0, 1, "A command stream is executing.") \
  X(STATUS, DONE, 1, 1, "The last stream reached END.") \
  X(STATUS, ERROR, 2, 1, "The last stream stopped on an error (ERR_CAUSE, ERR_CMD_INDEX).")
#define EC_FIELDS_IRQ(X) \
  X(IRQ, DONE, 0, 1, "A stream reached END.") \
  X(IRQ, ERROR, 1, 1, "A stream stopped on an error.")
#define EC_FIELDS_HW_ARRAY(X) \
  X(HW_ARRAY, ROWS, 0, 16, "Array rows.") \
  X(HW_ARRAY, COLS, 16, 16, "Array columns.")
#define EC_FIELDS_FEATURE(X) \
  X(FEATURE, SEGMENTS, 0, 1, "Several channel segments may share an array row.") \
  X(FEATURE, REAL_ONLY, 1, 1, "LIMA-PEs are real-valued (S4D-Real): imaginary parts ignored.") \
  X(FEATURE, SEGMENT_DIRECTION, 2, 1, "Per-segment direction: LOAD_COEFFS rev_segs, RUN_SSM rev_length and rev_in_offset.") \
  X(FEATURE, SELECTIVE, 3, 1, "LIMA-PEs have the selective (Mamba S6) op and an exp unit; the array has the coefficient north feed (RUN_SCAN).") \
  X(FEATURE, COMPUTE_QUEUES, 4, 1, "Two compute queues (array, vector unit) with a scratchpad scoreboard: a compute command waits only for its own unit and for range hazards.")
#define EC_FIELDS_SPAD_GEOM(X) \
  X(SPAD_GEOM, BANKS, 0, 16, "Word-interleaved banks.") \
  X(SPAD_GEOM, PORTS, 16, 16, "Accesses per bank per cycle.")
#define EC_FIELDS_HW_VECTOR(X) \
  X(HW_VECTOR, FORMAT, 0, 8, "Number format of the datapath (EC_FMT_*).") \
  X(HW_VECTOR, LANES, 16, 16, "Vector-unit lanes.")
/* Every field group once (for the enums). */
#define EC_REGISTER_FIELD_LIST(X) \
  EC_FIELDS_VERSION(X) EC_FIELDS_CTRL(X) EC_FIELDS_STATUS(X) EC_FIELDS_IRQ(X) \
  EC_FIELDS_HW_ARRAY(X) EC_FIELDS_FEATURE(X) EC_FIELDS_SPAD_GEOM(X) EC_FIELDS_HW_VECTOR(X)

#define EC_X_REG_FIELD_(group, field, shift, width, desc) \
  EC_##group##_##field##_SHIFT = shift, EC_##group##_##field##_WIDTH = width,
enum ec_reg_field { EC_REGISTER_FIELD_LIST(EC_X_REG_FIELD_) };

/* Mask of a field at `shift`, `width` bits wide (1..32), and field get/put on a value. */
#define EC_FIELD_MASK(shift, width) ((uint32_t)(0xFFFFFFFFu >> (32u - (uint32_t)(width))) << (shift))
#define EC_FIELD_GET(value, shift, width) \
  (((uint32_t)(value) >> (shift)) & (0xFFFFFFFFu >> (32u - (uint32_t)(width))))
#define EC_FIELD_PUT(v, shift, width) (((uint32_t)(v) << (shift)) & EC_FIELD_MASK(shift, width))
/* Named field shortcuts: EC_REGF_GET(HW_ARRAY_COLS, v), EC_REGF_MASK(SPAD_GEOM_PORTS). */
#define EC_REGF_MASK(f) EC_FIELD_MASK(EC_##f##_SHIFT, EC_##f##_WIDTH)
#define EC_REGF_GET(f, value) EC_FIELD_GET(value, EC_##f##_SHIFT, EC_##f##_WIDTH)
#define EC_REGF_PUT(f, v) EC_FIELD_PUT(v, EC_##f##_SHIFT, EC_##f##_WIDTH)

/* The single-bit fields as bit values. */
#define EC_CTRL_SOFT_RESET EC_REGF_MASK(CTRL_SOFT_RESET)
#define EC_STATUS_BUSY EC_REGF_MASK(STATUS_BUSY)
#define EC_STATUS_DONE EC_REGF_MASK(STATUS_DONE)
#define EC_STATUS_ERROR EC_REGF_MASK(STATUS_ERROR)
#define EC_IRQ_DONE EC_REGF_MASK(IRQ_DONE)
#define EC_IRQ_ERROR EC_REGF_MASK(IRQ_ERROR)
#define EC_FEATURE_SEGMENTS EC_REGF_MASK(FEATURE_SEGMENTS)
#define EC_FEATURE_REAL_ONLY EC_REGF_MASK(FEATURE_REAL_ONLY)
#define EC_FEATURE_SEGMENT_DIRECTION EC_REGF_MASK(FEATURE_SEGMENT_DIRECTION)
#define EC_FEATURE_SELECTIVE EC_REGF_MASK(FEATURE_SELECTIVE)
#define EC_FEATURE_COMPUTE_QUEUES EC_REGF_MASK(FEATURE_COMPUTE_QUEUES)

/* ERR_CAUSE values: X(name, value, raised when). Value 7 is unused. The doorbell checks
 * CMD_LEN (BAD_STREAM_LENGTH) before CMD_BASE (BAD_STREAM_ADDRESS). */
#define EC_ERROR_LIST(X) \
  X(NONE, 0, "no error") \
  X(UNKNOWN_OPCODE, 1, "the opcode field names no command") \
  X(BAD_SPAD_ADDRESS, 2, "a scratchpad range is misaligned or runs outside its buffer") \
  X(DMA_BUS_ERROR, 3, "a DMA transfer got a bus error (e.g. a system address outside memory); ERR_CMD_INDEX is the DMA command") \
  X(BAD_FIELD, 4, "a field is out of range (zero length, too many segments, bad flags, reserved bits set, RUN_SCAN without HW_FEATURES.SELECTIVE, ...)") \
  X(CMD_FETCH_ERROR, 5, "a command record could not be read from system memory; ERR_CMD_INDEX is the first unreadable record, the ones before it executed") \
  X(BAD_STREAM_LENGTH, 6, "CMD_LEN is zero or not a multiple of 32 (ERR_CMD_INDEX = 0xFFFFFFFF)") \
  X(MISSING_END, 8, "the stream ran out without END (ERR_CMD_INDEX = number of records)") \
  X(BAD_SPAD_ID, 9, "a DMA or RUN_VEC command names a scratchpad id other than 0, 1, 2") \
  X(BAD_TOKEN, 10, "RUN_VEC EMBED: a token id outside [0, vocab); ERR_CMD_INDEX is the RUN_VEC") \
  X(BAD_STREAM_ADDRESS, 11, "CMD_BASE is not 8-byte aligned (ERR_CMD_INDEX = 0xFFFFFFFF)")
#define EC_X_ERR_(name, value, desc) EC_ERR_##name = value,
enum ec_error_cause { EC_ERROR_LIST(EC_X_ERR_) };
/* ERR_CMD_INDEX of an error that belongs to no record. */
#define EC_ERR_INDEX_NONE 0xFFFFFFFFu

/* Number formats of the datapath (HW_VECTOR.FORMAT): X(name, value, lower-case name, bits). */
#define EC_FORMAT_LIST(X) \
  X(FP32, 0, "fp32", 32) \
  X(BF16, 1, "bf16", 16) \
  X(FP16, 2, "fp16", 16) \
  X(INT16, 3, "int16", 16) \
  X(INT8, 4, "int8", 8)
#define EC_X_FMT_(name, value, lower, bits) EC_FMT_##name = value,
enum ec_number_format { EC_FORMAT_LIST(EC_X_FMT_) };
#define EC_X_FMT_COUNT_(name, value, lower, bits) +1
enum { EC_NUM_FORMATS = 0 EC_FORMAT_LIST(EC_X_FMT_COUNT_) };

#ifdef __cplusplus
}
#endif

#endif /* EPOCHCORE_CONTRACT_REGS_H */
