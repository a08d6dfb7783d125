// The RV32 firmware (docs/firmware.md): reads the job block the platform wrote into the
// mailbox, runs it with fw::run_job (the same dispatch the host uses), writes the result
// back to the mailbox at EC_FW_RESULT_OFFSET, prints a one-line summary on the console and
// returns the exit code crt0.S writes to the exit device:
//   0 the job succeeded; 1 the job failed (result.message says why); 2 the job block is
//   not valid (magic or version), the result still says so.
#include "epochcore/firmware/runner/job_block.h"
#include "epochcore/firmware/runner/job_runner.h"
#include "epochcore/firmware/rv32/hal_rv32.h"
#include "epochcore/firmware/rv32/runtime.h"
#include "epochcore/firmware/rv32/rv32_soc.h"

static_assert(sizeof(ec_fw_job) <= EC_FW_RESULT_OFFSET, "the job block ends before the result");
static_assert(EC_FW_RESULT_OFFSET + sizeof(ec_fw_result) <= EC_RV32_MAILBOX_BYTES, "the result fits the mailbox");

int main() {
  using namespace epochcore::fw;
  // The job block, copied word by word out of the mailbox device.
  ec_fw_job job;
  const volatile uint32_t* src = reinterpret_cast<const volatile uint32_t*>(uintptr_t(EC_RV32_MAILBOX_BASE));
  uint32_t* dst = reinterpret_cast<uint32_t*>(&job);
  for (uint32_t i = 0; i < sizeof job / 4; ++i) dst[i] = src[i];
  ec_fw_result* result = reinterpret_cast<ec_fw_result*>(uintptr_t(EC_RV32_MAILBOX_BASE + EC_FW_RESULT_OFFSET));

  Rv32Hal hal;
  const bool ok = run_job(hal, job, result);
  char line[EC_FW_MESSAGE_BYTES + 64];
  summarise_result(job, *result, line, sizeof line);
  puts(line);
  if (ok) return 0;
  return job.magic != EC_FW_JOB_MAGIC || job.version != EC_FW_JOB_VERSION ? 2 : 1;
}
