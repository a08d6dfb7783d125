// Helpers the workload kinds share: the layout of a job in system memory and the refusal
// of options that apply to another kind.
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/runner/job_block.h"
#include "epochcore/platform/scenario/host_memory.h"
#include "epochcore/platform/scenario/scenario.h"
#include "epochcore/platform/workloads/workload.h"

namespace epochcore {

// A job's buffers in system memory, one after the other from 0x1000, each 4 KiB aligned;
// the workspace takes the rest.
class MemoryLayout {
 public:
  // The address of a buffer of `bytes`, placed after the previous one.
  uint64_t place(uint64_t bytes) {
    const uint64_t at = next_;
    next_ = (at + bytes + 4095) / 4096 * 4096;
    return at;
  }
  // Where the workspace starts.
  uint64_t end() const { return next_; }
  // The workspace's size in the scenario's memory.size_mib; throws InputError when the
  // buffers and 1 MiB of workspace do not fit. `what` names them: "the job (parameters,
  // ... and 1 MiB workspace" (the message adds " need N MiB)").
  uint64_t workspace_bytes(const Scenario& s, const std::string& what) const {
    const uint64_t memory = uint64_t(s.memory.size_mib) << 20;
    if (next_ + (1u << 20) > memory)
      throw InputError("memory.size_mib: system memory of " + std::to_string(s.memory.size_mib) +
                       " MiB cannot hold " + what + " need " + std::to_string((next_ + (2u << 20) - 1) >> 20) +
                       " MiB)");
    return memory - next_;
  }

 private:
  uint64_t next_ = 0x1000;
};

// A job block of `kind` with its header filled in.
inline ec_fw_job new_job_block(uint32_t kind) {
  ec_fw_job j{};
  j.magic = EC_FW_JOB_MAGIC;
  j.version = EC_FW_JOB_VERSION;
  j.kind = kind;
  return j;
}

// The driver's view of one stream's outcome, from the firmware's result block.
inline fw::JobResult job_result_from(const ec_fw_stage_result& r) {
  fw::JobResult j;
  j.ok = r.ok != 0;
  j.cause = regs::ErrorCause(r.cause);
  j.cmd_index = r.cmd_index;
  j.cycles = r.cycles;
  j.commands_done = r.commands_done;
  return j;
}

// Throws InputError when `bytes` of host memory for `what` (naming the keys or file that
// ask for them) and the SoC's own do not fit the ceiling (run.host_memory_mib).
inline void require_host_memory(const Scenario& s, uint64_t bytes, const std::string& what) {
  const std::string refusal = host_memory_refusal(s, bytes, what);
  if (!refusal.empty()) throw InputError(refusal);
}

// --params and --input are for s4d_layer: gemm seeds A and B, s4_model names its files with
// scenario keys. Throws InputError for either on another kind.
inline void refuse_layer_files(const Scenario& s, const RunOptions& o) {
  for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--params", o.params_path},
                                   std::pair<const char*, const std::string&>{"--input", o.input_path}})
    if (!path.empty())
      throw InputError(std::string(flag) + " " + path + ": does not apply to workload.kind " +
                       s.workload.kind.name() +
                       " (--params and --input are for s4d_layer; gemm seeds A and B from workload.seed, "
                       "s4_model takes workload.weights and workload.inputs)");
}

// --inject-bad-command is for s4d_layer.
inline void refuse_fault_injection(const Scenario& s, const RunOptions& o) {
  if (o.bad_command >= 0)
    throw InputError("--inject-bad-command: not supported for workload.kind " + s.workload.kind.name() +
                     " (use an s4d_layer scenario)");
}

}  // namespace epochcore
