// Model compiler, driver of the stages: plan, memory image, then the encoder stream, per
// block the S4D layer kernel and the tail stream, and the head stream; reads the logits.
#include "epochcore/compiler/s4_model.h"

#include <algorithm>

namespace epochcore::fw {

namespace {

std::string layer_stage(uint32_t i, const char* part) {
  return "layers." + std::to_string(i) + "." + part;
}

// Bytes the S4D layer kernel needs at the workspace for block `layer`, or false with why.
bool ssm_workspace_bytes(const AccelInfo& hw, const S4ModelDesc& d, const S4ModelPlan& plan, uint32_t layer,
                         uint64_t* bytes, std::string* why) {
  S4dPlan p;
  char msg[256] = {};
  if (!plan_s4d_layer(hw, s4_model_ssm_job(d, plan, layer, ~0ull >> 1), &p, msg, sizeof msg)) {
    *why = layer_stage(layer, "ssm") + ": " + msg;
    return false;
  }
  *bytes = p.coeff_bytes + p.stream_bytes;
  return true;
}

// Writes a stream at the workspace, runs it and records the stage.
bool run_stream(Hal& hal, Driver& driver, const S4ModelJob& job, const S4ModelPlan& plan,
                uint64_t workspace_bytes,
                const std::vector<cmd::Record>& stream, const std::string& name, int32_t layer,
                S4ModelResult* r) {
  const uint64_t bytes = uint64_t(stream.size()) * cmd::kRecordBytes;
  if (bytes > workspace_bytes || bytes > 0xFFFFFFE0ull) {
    r->message = name + ": the command stream needs " + std::to_string(bytes) + " bytes of workspace, have " +
                 std::to_string(workspace_bytes);
    return false;
  }
  std::vector<uint8_t> raw(bytes);
  for (size_t i = 0; i < stream.size(); ++i) cmd::pack(stream[i], &raw[i * cmd::kRecordBytes]);
  if (hal.mem_write(plan.mem.workspace, raw.data(), raw.size()) != HalStatus::OK) {
    r->message = name + ": writing the command stream to system memory failed";
    return false;
  }
  S4ModelStage stage;
  stage.name = name;
  stage.layer = layer;
  stage.commands = uint32_t(stream.size());
  const DriverStatus status = driver.run(plan.mem.workspace, uint32_t(bytes), &stage.job);
  if (status == DriverStatus::JOB_ERROR) {
    std::string what = "no command";
    if (stage.job.cmd_index < stream.size()) {
      const cmd::Record& rec = stream[stage.job.cmd_index];
      what = cmd::opcode_name(uint8_t(cmd::opcode_of(rec)));
      if (cmd::opcode_of(rec) == cmd::Opcode::RUN_VEC)
        what += std::string(" ") + cmd::vec_op_name(uint8_t(cmd::decode_run_vec(rec).op));
    }
    r->message = name + ": accelerator error " + regs::error_cause_name(stage.job.cause) + " at command " +
                 std::to_string(stage.job.cmd_index) + " (" + what + ")";
    return false;
  }
  if (status != DriverStatus::OK) {
    r->message = name + ": driver error " + driver_status_name(status);
    return false;
  }
  r->cycles += stage.job.cycles;
  r->stages.push_back(stage);
  if (job.on_stage) job.on_stage(job.on_stage_ctx, r->stages.back());
  return true;
}

}  // namespace

// Memory from mem_base for a planned job: the fixed regions, then the largest workspace.
static bool memory_need(const AccelInfo& hw, const S4ModelJob& job, const S4ModelPlan& plan, uint64_t* bytes,
                        std::string* why) {
  const S4ModelDesc& d = *job.desc;
  uint64_t need = build_s4_encoder_stream(hw, d, plan).size();
  // Every tail but the last has the same stream; the last pools instead.
  need = std::max<uint64_t>(need, build_s4_tail_stream(hw, d, plan, 0).size());
  need = std::max<uint64_t>(need, build_s4_tail_stream(hw, d, plan, d.n_layers - 1).size());
  need = std::max<uint64_t>(need, build_s4_head_stream(hw, d, plan).size());
  need *= cmd::kRecordBytes;
  uint64_t ssm = 0;
  if (!ssm_workspace_bytes(hw, d, plan, 0, &ssm, why)) return false;
  *bytes = plan.mem.workspace - job.mem_base + std::max(need, ssm);
  return true;
}

bool s4_model_memory_bytes(const AccelInfo& hw, const S4ModelJob& job, uint64_t* bytes, std::string* why) {
  S4ModelPlan plan;
  return plan_s4_model(hw, job, &plan, why) && memory_need(hw, job, plan, bytes, why);
}

bool s4_model_run(Hal& hal, Driver& driver, const AccelInfo& hw, const S4ModelJob& job,
                  S4ModelResult* result) {
  S4ModelResult& r = *result;
  r = S4ModelResult{};
  S4ModelPlan plan;
  uint64_t need = 0;
  if (!plan_s4_model(hw, job, &plan, &r.message) || !memory_need(hw, job, plan, &need, &r.message)) return false;
  if (need > job.mem_bytes) {
    r.message = "model job: the run needs " + std::to_string(need) + " bytes of system memory from mem_base, have " +
                std::to_string(job.mem_bytes);
    return false;
  }
  r.resident = plan.resident;
  r.streaming_reason = plan.streaming_reason;
  const S4ModelDesc& d = *job.desc;
  const uint64_t workspace_bytes = job.mem_base + job.mem_bytes - plan.mem.workspace;
  if (!write_s4_model_image(hal, job, plan, &r.message)) return false;

  if (!run_stream(hal, driver, job, plan, workspace_bytes, build_s4_encoder_stream(hw, d, plan), "encoder", -1, &r))
    return false;
  for (uint32_t i = 0; i < d.n_layers; ++i) {
    S4dLayerResult ssm;
    if (!s4d_layer_run(hal, driver, hw, s4_model_ssm_job(d, plan, i, workspace_bytes), &ssm)) {
      r.message = layer_stage(i, "ssm") + ": " + ssm.message;
      return false;
    }
    r.cycles += ssm.job.cycles;
    r.stages.push_back(S4ModelStage{layer_stage(i, "ssm"), int32_t(i), ssm.job, ssm.commands});
    if (job.on_stage) job.on_stage(job.on_stage_ctx, r.stages.back());
    if (!run_stream(hal, driver, job, plan, workspace_bytes, build_s4_tail_stream(hw, d, plan, i),
                    layer_stage(i, "tail"), int32_t(i), &r))
      return false;
  }
  if (!run_stream(hal, driver, job, plan, workspace_bytes, build_s4_head_stream(hw, d, plan), "head", -1, &r))
    return false;

  // Logits [C][B] on the accelerator, [B][C] for the caller.
  const size_t B = job.B, C = d.classes;
  std::vector<float> logits(C * B);
  if (hal.mem_read(plan.mem.logits, logits.data(), logits.size() * 4) != HalStatus::OK) {
    r.message = "head: reading the logits from system memory failed";
    return false;
  }
  r.logits.resize(B * C);
  for (size_t b = 0; b < B; ++b)
    for (size_t c = 0; c < C; ++c) r.logits[b * C + c] = logits[c * B + b];
  r.ok = true;
  return true;
}

}  // namespace epochcore::fw
