// Model compiler, the compiled image: plan, memory image (weights, inputs), then every
// stage's command stream at its own address in the stream region, the SSM stages'
// coefficient records (discretised on the host) and the stage table
// (firmware/runner/model_image.h). s4_model_run compiles, runs the image with the runner
// (firmware/runner/model_runner.h) and reads the logits back.
#include "epochcore/compiler/s4_model.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

#include "epochcore/firmware/runner/model_runner.h"

namespace epochcore::fw {

namespace {

std::string layer_stage(uint32_t i, const char* part) {
  return "layers." + std::to_string(i) + "." + part;
}

uint64_t align32(uint64_t v) { return (v + 31) / 32 * 32; }

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put_f32(uint8_t* p, float f) {
  uint32_t v;
  std::memcpy(&v, &f, 4);
  put_u32(p, v);
}

std::vector<uint8_t> pack_stream(const std::vector<cmd::Record>& stream) {
  std::vector<uint8_t> raw(stream.size() * cmd::kRecordBytes);
  for (size_t i = 0; i < stream.size(); ++i) cmd::pack(stream[i], &raw[i * cmd::kRecordBytes]);
  return raw;
}

// Read-only Hal over a byte buffer at address 0: decodes an SSM parameter block with the
// kernel's own reader (read_s4d_param_block: the same values and checks as at run time).
class BufferHal : public Hal {
 public:
  explicit BufferHal(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  HalStatus reg_read(uint32_t, uint32_t*) override { return HalStatus::BUS_ERROR; }
  HalStatus reg_write(uint32_t, uint32_t) override { return HalStatus::BUS_ERROR; }
  HalStatus mem_read(uint64_t addr, void* dst, size_t n) override {
    if (addr > bytes_.size() || n > bytes_.size() - addr) return HalStatus::BUS_ERROR;
    std::memcpy(dst, bytes_.data() + addr, n);
    return HalStatus::OK;
  }
  HalStatus mem_write(uint64_t, const void*, size_t) override { return HalStatus::BUS_ERROR; }
  void wait_for_interrupt() override {}
  void log(const char*) override {}

 private:
  const std::vector<uint8_t>& bytes_;
};

// A stage's place and contents, before anything is written.
struct StagePlan {
  S4ModelImageStage st;
  std::vector<uint8_t> stream;  // packed records (empty for SSM stages until filled)
  S4dLayerJob ssm_job;          // SSM stages
  // Partial residency: the SSM stage's parts (s4_model_ssm_parts, workspaces set), their
  // plans in st.ssm_parts; one stream, the parts' streams in order (END only at the end).
  std::vector<S4SsmPart> parts;
};

// Lays the stream region out from plan.mem.workspace: the stage table, then per stage in
// execution order (SSM: coefficient records, then the stream right after them, as the S4D
// kernel's workspace), each 32-aligned. Builds the encoder, tail and head streams; for
// the SSM stages only the kernel's plan (the stream needs the records' address: built in
// s4_model_compile). Fills image (not plan) and `stages`.
bool lay_out(const AccelInfo& hw, const S4ModelJob& job, S4ModelImage* image, std::vector<StagePlan>* stages,
             std::string* why) {
  const S4ModelDesc& d = *job.desc;
  const S4ModelPlan& plan = image->plan;
  const bool mamba = d.block == BlockKind::Mamba;  // one stage per block
  const uint64_t per_block = mamba ? 1 : 2 + (plan.liquid.on ? (plan.liquid.kb ? 2 : 1) : 0);  // + liquid stages
  const uint64_t n_stages = 2 + per_block * d.n_layers;
  if (n_stages > EC_FW_MAX_STAGES) {
    *why = "model image: " + std::to_string(n_stages) + " stages (2 + " + std::to_string(per_block) +
           " per block) exceed the runner's " +
           std::to_string(EC_FW_MAX_STAGES);
    return false;
  }
  uint64_t at = align32(plan.mem.workspace);
  image->streams_begin = at;
  image->table_addr = at;
  image->table_bytes = sizeof(ec_model_image_header) + n_stages * sizeof(ec_model_stage);
  at += align32(image->table_bytes);

  auto stream_stage = [&](std::vector<cmd::Record> records, const std::string& name, int32_t layer) {
    StagePlan s;
    s.st.name = name;
    s.st.layer = layer;
    s.st.commands = uint32_t(records.size());
    s.stream = pack_stream(records);
    if (s.stream.empty() || s.stream.size() > 0xFFFFFFE0ull) {
      *why = name + ": a command stream of " + std::to_string(s.stream.size()) + " bytes";
      return false;
    }
    s.st.stream_bytes = uint32_t(s.stream.size());
    s.st.stream_addr = at;
    at += align32(s.stream.size());
    stages->push_back(std::move(s));
    return true;
  };
  stages->clear();
  if (!stream_stage(build_s4_encoder_stream(hw, d, plan), "encoder", -1)) return false;
  for (uint32_t i = 0; mamba && i < d.n_layers; ++i)
    if (!stream_stage(build_mamba_block_stream(hw, d, plan, i), layer_stage(i, "mamba"), int32_t(i))) return false;
  for (uint32_t i = 0; !mamba && i < d.n_layers; ++i) {
    if (plan.liquid.on && plan.liquid.kb &&
        !stream_stage(build_s4_liquid_stream(hw, d, plan, i, true), layer_stage(i, "liquid_in"), int32_t(i)))
      return false;
    StagePlan s;
    s.st.name = layer_stage(i, "ssm");
    s.st.layer = int32_t(i);
    s.ssm_job = s4_model_ssm_job(d, plan, i, ~0ull >> 1);
    s.ssm_job.workspace_addr = at;
    char msg[256] = {};
    if (plan.partial) {
      // Records of every part, then one stream: the parts' streams without their ENDs but
      // the last (each part ends with a BARRIER: the next may reuse every buffer).
      s.parts = s4_model_ssm_parts(hw, d, plan, i);
      uint64_t commands = 0;
      s.st.records_addr = at;
      for (S4SsmPart& part : s.parts) {
        part.job.workspace_addr = at;
        S4dPlan p;
        if (!plan_s4d_layer(hw, part.job, &p, msg, sizeof msg)) {
          *why = s.st.name + ": " + msg;
          return false;
        }
        part.job.workspace_bytes = p.coeff_bytes + p.stream_bytes;
        at += p.coeff_bytes;  // a multiple of 32
        commands += p.commands;
        s.st.ssm_parts.push_back(p);
      }
      commands -= s.parts.size() - 1;  // one END
      s.st.ssm = s.st.ssm_parts.front();
      s.ssm_job = s.parts.front().job;
      s.st.records_bytes = at - s.st.records_addr;
      s.st.stream_addr = at;
      s.st.commands = uint32_t(commands);
      if (commands * cmd::kRecordBytes > 0xFFFFFFE0ull) {
        *why = s.st.name + ": a command stream of " + std::to_string(commands * cmd::kRecordBytes) + " bytes";
        return false;
      }
      s.st.stream_bytes = uint32_t(commands * cmd::kRecordBytes);
      at = align32(s.st.stream_addr + s.st.stream_bytes);
      stages->push_back(std::move(s));
      if (!stream_stage(build_s4_tail_stream(hw, d, plan, i), layer_stage(i, "tail"), int32_t(i))) return false;
      continue;
    }
    if (!plan_s4d_layer(hw, s.ssm_job, &s.st.ssm, msg, sizeof msg)) {
      *why = s.st.name + ": " + msg;
      return false;
    }
    const S4dPlan& p = s.st.ssm;
    s.ssm_job.workspace_bytes = p.coeff_bytes + p.stream_bytes;
    if (p.stream_bytes == 0 || p.stream_bytes > 0xFFFFFFE0ull) {
      *why = s.st.name + ": a command stream of " + std::to_string(p.stream_bytes) + " bytes";
      return false;
    }
    s.st.records_addr = at;
    s.st.records_bytes = p.coeff_bytes;
    s.st.stream_addr = s4d_stream_addr(s.ssm_job, p);
    s.st.stream_bytes = uint32_t(p.stream_bytes);
    s.st.commands = uint32_t(p.commands);
    at = align32(s.st.stream_addr + p.stream_bytes);
    stages->push_back(std::move(s));
    if (plan.liquid.on &&
        !stream_stage(build_s4_liquid_stream(hw, d, plan, i, false), layer_stage(i, "liquid"), int32_t(i)))
      return false;
    if (!stream_stage(build_s4_tail_stream(hw, d, plan, i), layer_stage(i, "tail"), int32_t(i))) return false;
  }
  if (!stream_stage(build_s4_head_stream(hw, d, plan), "head", -1)) return false;
  for (const StagePlan& s : *stages)
    if (s.st.name.size() >= EC_MODEL_STAGE_NAME_BYTES) {
      *why = "model image: stage name '" + s.st.name + "' is longer than the table's " +
             std::to_string(EC_MODEL_STAGE_NAME_BYTES - 1) + " characters";
      return false;
    }
  image->streams_end = at;
  image->memory_bytes = at - job.mem_base;
  image->B = job.B;
  image->classes = d.classes;
  return true;
}

// The SSM stage's coefficient records (dirs*P*items*S, [dir][pass][item][PE]) and stream,
// as s4d_layer_run writes them into its workspace.
bool build_ssm_stage(const AccelInfo& hw, const S4ModelJob& job, StagePlan* s, std::vector<uint8_t>* records,
                     std::string* why) {
  const S4ModelDesc& d = *job.desc;
  const S4dLayerJob& sj = s->ssm_job;
  const S4dPlan& p = s->st.ssm;
  char msg[256] = {};
  auto failed = [&]() {
    *why = s->st.name + ": " + msg;
    return false;
  };
  // The parameters as the run-time kernel read them: encoded to the float64 block, read back.
  const std::vector<uint8_t> block = encode_s4d_param_block(job.weights->layers[s->st.layer].ssm);
  BufferHal block_hal(block);
  S4dParams params;
  if (!read_s4d_param_block(block_hal, 0, d.H, d.M, sj.directions, &params, msg, sizeof msg)) return failed();
  std::vector<cmd::CoeffRecord> recs;
  if (!discretise_zoh(params, p.passes, p.seg_len, hw.real_only, &recs, msg, sizeof msg)) return failed();
  if (!apply_coeff_format(hw.number_format, &recs, &s->st.scales, msg, sizeof msg)) return failed();
  const size_t per_pass = size_t(d.H) * p.seg_len;  // recs: [dir][pass][channel][PE]
  const size_t pass_bytes = per_pass * sizeof(cmd::CoeffRecord);
  if (!s->parts.empty()) {
    // Partial residency: per part, [dir][pass][item][PE] over its items, item i being
    // channel (first_item + i) % H; then the parts' streams as one.
    records->clear();
    std::vector<cmd::Record> stream;
    const size_t rec = sizeof(cmd::CoeffRecord);
    for (size_t k = 0; k < s->parts.size(); ++k) {
      const S4SsmPart& part = s->parts[k];
      const S4dPlan& pp = s->st.ssm_parts[k];
      const size_t base = records->size();
      records->resize(base + pp.coeff_bytes, 0);
      const uint32_t items = part.job.H;
      for (uint32_t dp = 0; dp < sj.directions * pp.passes; ++dp)
        for (uint32_t i = 0; i < items; ++i) {
          const uint32_t h = (part.first_item + i) % d.H;
          uint8_t* out = records->data() + base + (uint64_t(dp) * items + i) * pp.seg_len * rec;
          for (uint32_t e = 0; e < pp.seg_len; ++e) {
            const cmd::CoeffRecord& r = recs[size_t(dp) * per_pass + size_t(h) * pp.seg_len + e];
            const float f[8] = {r.a_re, r.a_im, r.b_re, r.b_im, r.c_re, r.c_im, r.d, r.reserved};
            for (int w = 0; w < 8; ++w) put_f32(out + e * rec + 4 * w, f[w]);
          }
        }
      std::vector<cmd::Record> part_stream = build_s4d_stream(pp, part.job);
      if (k + 1 < s->parts.size()) part_stream.pop_back();  // its END
      stream.insert(stream.end(), part_stream.begin(), part_stream.end());
    }
    if (stream.size() != s->st.commands || records->size() != s->st.records_bytes) {
      *why = s->st.name + ": the S4D parts' streams have " + std::to_string(stream.size()) + " records, the plan " +
             std::to_string(s->st.commands);
      return false;
    }
    s->stream = pack_stream(stream);
    return true;
  }
  records->assign(p.coeff_bytes, 0);
  for (uint32_t dp = 0; dp < sj.directions * p.passes; ++dp)
    for (uint32_t b = 0; b < sj.B; ++b) {
      uint8_t* out = records->data() + (uint64_t(dp) * sj.B + b) * pass_bytes;
      for (size_t i = 0; i < per_pass; ++i) {
        const cmd::CoeffRecord& r = recs[size_t(dp) * per_pass + i];
        const float f[8] = {r.a_re, r.a_im, r.b_re, r.b_im, r.c_re, r.c_im, r.d, r.reserved};
        for (int k = 0; k < 8; ++k) put_f32(out + i * sizeof(cmd::CoeffRecord) + 4 * k, f[k]);
      }
    }
  const std::vector<cmd::Record> stream = build_s4d_stream(p, sj);
  if (stream.size() != s->st.commands) {
    *why = s->st.name + ": the S4D stream has " + std::to_string(stream.size()) + " records, its plan " +
           std::to_string(s->st.commands);
    return false;
  }
  s->stream = pack_stream(stream);
  return true;
}

bool check_memory(const S4ModelJob& job, const S4ModelImage& image, std::string* why) {
  if (image.memory_bytes > job.mem_bytes) {
    *why = "model job: the run needs " + std::to_string(image.memory_bytes) +
           " bytes of system memory from mem_base, have " + std::to_string(job.mem_bytes);
    return false;
  }
  return true;
}

// The runner's per-stage hook: the platform's job.on_stage with the S4ModelStage.
struct HookCtx {
  const S4ModelJob* job;
  const S4ModelImage* image;
};
void run_hook(void* ctx, uint32_t index, const ec_model_stage&, const JobResult& result) {
  const HookCtx& h = *static_cast<const HookCtx*>(ctx);
  if (!h.job->on_stage || !result.ok || index >= h.image->stages.size()) return;
  const S4ModelImageStage& st = h.image->stages[index];
  const S4ModelStage stage{st.name, st.layer, result, st.commands};
  h.job->on_stage(h.job->on_stage_ctx, stage);
}

}  // namespace

bool s4_model_memory_bytes(const AccelInfo& hw, const S4ModelJob& job, uint64_t* bytes, std::string* why) {
  S4ModelImage image;
  std::vector<StagePlan> stages;
  if (!plan_s4_model(hw, job, &image.plan, why) || !lay_out(hw, job, &image, &stages, why)) return false;
  *bytes = image.memory_bytes;
  return true;
}

bool s4_model_compile(Hal& hal, const AccelInfo& hw, const S4ModelJob& job, S4ModelImage* image_out,
                      std::string* why) {
  S4ModelImage image;
  std::vector<StagePlan> stages;
  if (!plan_s4_model(hw, job, &image.plan, why) || !lay_out(hw, job, &image, &stages, why) ||
      !check_memory(job, image, why))
    return false;
  if (!write_s4_model_image(hal, job, image.plan, why)) return false;

  std::vector<uint8_t> records;
  for (StagePlan& s : stages) {
    if (s.ssm_job.H) {  // an SSM stage
      if (!build_ssm_stage(hw, job, &s, &records, why)) return false;
      if (!records.empty() && hal.mem_write(s.st.records_addr, records.data(), records.size()) != HalStatus::OK) {
        *why = s.st.name + ": writing the coefficient records to system memory failed";
        return false;
      }
    }
    if (hal.mem_write(s.st.stream_addr, s.stream.data(), s.stream.size()) != HalStatus::OK) {
      *why = s.st.name + ": writing the command stream to system memory failed";
      return false;
    }
  }

  // The stage table.
  std::vector<uint8_t> table(image.table_bytes, 0);
  put_u32(&table[0], EC_MODEL_IMAGE_MAGIC);
  put_u32(&table[4], EC_MODEL_IMAGE_VERSION);
  put_u32(&table[8], uint32_t(stages.size()));
  for (size_t i = 0; i < stages.size(); ++i) {
    uint8_t* e = &table[sizeof(ec_model_image_header) + i * sizeof(ec_model_stage)];
    const S4ModelImageStage& st = stages[i].st;
    put_u64(e + offsetof(ec_model_stage, stream_addr), st.stream_addr);
    put_u32(e + offsetof(ec_model_stage, stream_bytes), st.stream_bytes);
    put_u32(e + offsetof(ec_model_stage, layer), uint32_t(st.layer));
    std::memcpy(e + offsetof(ec_model_stage, name), st.name.data(), st.name.size());
  }
  if (hal.mem_write(image.table_addr, table.data(), table.size()) != HalStatus::OK) {
    *why = "model image: writing the stage table to system memory failed";
    return false;
  }
  for (StagePlan& s : stages) image.stages.push_back(std::move(s.st));
  *image_out = std::move(image);
  return true;
}

bool s4_model_collect(Hal& hal, const S4ModelImage& image, const ec_fw_result& run, S4ModelResult* result) {
  S4ModelResult& r = *result;
  r = S4ModelResult{};
  r.resident = image.plan.resident;
  r.streaming_reason = image.plan.streaming_reason;
  r.partial = image.plan.partial;
  r.resident_rows = image.plan.resident_rows;
  r.rows = image.plan.rows;
  r.resident_bytes = image.plan.resident_bytes;
  r.residency_reason = image.plan.residency_reason;
  const uint32_t ran = std::min<uint32_t>(run.stages, uint32_t(std::min<size_t>(image.stages.size(), EC_FW_MAX_STAGES)));
  for (uint32_t i = 0; i < ran; ++i) {
    const ec_fw_stage_result& sr = run.stage[i];
    if (!sr.ok) break;  // the failing stage is in the message, not among the stages run
    const S4ModelImageStage& st = image.stages[i];
    S4ModelStage stage;
    stage.name = st.name;
    stage.layer = st.layer;
    stage.commands = st.commands;
    stage.job.ok = true;
    stage.job.cause = regs::ErrorCause(sr.cause);
    stage.job.cmd_index = sr.cmd_index;
    stage.job.commands_done = sr.commands_done;
    stage.job.cycles = sr.cycles;
    r.cycles += sr.cycles;
    r.stages.push_back(stage);
  }
  if (run.magic != EC_FW_RESULT_MAGIC) {
    r.message = "model run: no result (the runner did not write its result block)";
    return false;
  }
  if (!run.ok) {
    r.message.assign(run.message, strnlen(run.message, sizeof run.message));
    if (r.message.empty()) r.message = "model run failed";
    return false;
  }
  // Logits [C][B] on the accelerator, [B][C] for the caller.
  const size_t B = image.B, C = image.classes;
  std::vector<float> logits(C * B);
  if (hal.mem_read(image.plan.mem.logits, logits.data(), logits.size() * 4) != HalStatus::OK) {
    r.message = "head: reading the logits from system memory failed";
    return false;
  }
  r.logits.resize(B * C);
  for (size_t b = 0; b < B; ++b)
    for (size_t c = 0; c < C; ++c) r.logits[b * C + c] = logits[c * B + b];
  r.ok = true;
  return true;
}

bool s4_model_run(Hal& hal, Driver& driver, const AccelInfo& hw, const S4ModelJob& job,
                  S4ModelResult* result) {
  *result = S4ModelResult{};
  S4ModelImage image;
  if (!s4_model_compile(hal, hw, job, &image, &result->message)) return false;
  // ~6.5 KiB: on the heap, as the platform's mailbox would hold it.
  std::unique_ptr<ec_fw_result> run(new ec_fw_result());
  HookCtx ctx{&job, &image};
  run_model_image(hal, driver, image.table_addr, run.get(), &run_hook, &ctx);
  return s4_model_collect(hal, image, *run, result);
}

}  // namespace epochcore::fw
