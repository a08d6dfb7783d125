// Fingerprints of the firmware's floating-point maths, for checking that the host build
// and the RV32 build compute the same bits (docs/firmware.md, "Maths on the control
// core"). Arguments come from a fixed 64-bit LCG (no <random>), results are hashed with
// FNV-1a over their bits. tests/unit/test_fw_runtime.cpp pins the host's values;
// build/rv32/epochcore-fw-selftest.elf computes them on the RV32 core and exits 0 when
// they match.
#pragma once
#include <stdint.h>

namespace epochcore::fw {

// fw_exp over [-745, 710], fw_sin and fw_cos over [-1e4, 1e4]; n arguments each.
uint64_t fw_math_fingerprint(uint32_t n);
// zoh_mode_record (the S4D discretisation of one mode) over n modes with S4D-like
// parameters (log_dt in [ln 1e-3, ln 1e-1], log_A_real in [-3, 3], A_imag in [0, 2000],
// C in [-2, 2]^2), then each record rounded to bf16 and fp16 and quantised to int8.
uint64_t fw_zoh_fingerprint(uint32_t n);

// The host's values (x86-64, g++ and clang++, -O0 and -O2), pinned by the unit test.
constexpr uint64_t kFwMathFingerprint100k = 0x0ffbbb5ae40be853ull;  // fw_math_fingerprint(100000)
constexpr uint64_t kFwZohFingerprint20k = 0xc0430b4126b8e52full;    // fw_zoh_fingerprint(20000)

}  // namespace epochcore::fw
