// build/rv32/epochcore-fw-selftest.elf: computes the maths fingerprints of
// firmware/runtime/fw_selftest.h on the RV32 core and compares them with the host's
// (pinned there and in tests/unit/test_fw_runtime.cpp). Prints both on the console;
// exit code 0 when the RV32 soft-float results are the host's bit for bit, 1 otherwise.
#include "epochcore/firmware/runtime/fw_format.h"
#include "epochcore/firmware/runtime/fw_selftest.h"
#include "epochcore/firmware/rv32/runtime.h"

int main() {
  using namespace epochcore::fw;
  const uint64_t math = fw_math_fingerprint(100000), zoh = fw_zoh_fingerprint(20000);
  char line[160];
  fw_format(line, sizeof line, "epochcore-fw-selftest: fw_math 0x%016llx (host 0x%016llx), zoh 0x%016llx (host 0x%016llx)",
            (unsigned long long)math, (unsigned long long)kFwMathFingerprint100k, (unsigned long long)zoh,
            (unsigned long long)kFwZohFingerprint20k);
  puts(line);
  const bool same = math == kFwMathFingerprint100k && zoh == kFwZohFingerprint20k;
  puts(same ? "epochcore-fw-selftest: PASS (bit-identical to the host)" : "epochcore-fw-selftest: FAIL");
  return same ? 0 : 1;
}
