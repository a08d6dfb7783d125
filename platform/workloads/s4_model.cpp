// workload.kind s4_model: a whole S4 model (docs/models.md) on the accelerator. The host
// loads or seeds the model, its weights and inputs, the model compiler (compiler/s4_model)
// runs it stage by stage, and the logits are compared with the double-precision reference
// model. The report adds per-stage and per-layer records.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/contract/number_format.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4_model_calibration.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/report/model_report.h"
#include "epochcore/platform/report/report.h"
#include "epochcore/platform/soc/soc.h"
#include "epochcore/platform/workloads/support.h"
#include "epochcore/platform/workloads/workload_kinds.h"

namespace epochcore {

using nlohmann::json;

namespace {

namespace fs = std::filesystem;

// A file named by a scenario key: as given (absolute, or relative to the current
// directory), else relative to the scenario file's directory.
std::string resolve_path(const std::string& path, const std::string& scenario_path) {
  if (path.empty() || fs::path(path).is_absolute() || fs::exists(path)) return path;
  if (!scenario_path.empty()) {
    const fs::path beside = fs::path(scenario_path).parent_path() / path;
    if (fs::exists(beside)) return beside.string();
  }
  return path;  // the loader reports the missing file with the key
}

// Seeded inputs: token ids uniform in [0, d_input); values standard normal.
// The caller has checked the size (check_host_memory): the product cannot overflow.
std::vector<double> seeded_model_inputs(const S4ModelDesc& d, uint32_t B, uint64_t seed) {
  const uint64_t per_step = d.input == InputKind::Tokens ? 1 : d.d_input;
  std::vector<double> v(sat_product({B, documents_per_input(d), d.L, per_step}));
  Rng rng(seed);
  // min(): u * d_input may round up to d_input for u just below 1.
  for (double& x : v)
    x = d.input == InputKind::Tokens ? std::min(std::floor(rng.uniform() * d.d_input), double(d.d_input - 1))
                                     : rng.normal();
  return v;
}

// after - before for every unsigned counter of a report section (recursively); other
// values are taken from `after`.
json counter_delta(const json& after, const json& before) {
  if (after.is_object()) {
    json out = json::object();
    for (auto it = after.begin(); it != after.end(); ++it)
      out[it.key()] = before.is_object() && before.contains(it.key()) ? counter_delta(it.value(), before[it.key()])
                                                                       : it.value();
    return out;
  }
  if (after.is_number_unsigned() && before.is_number_unsigned())
    return after.get<uint64_t>() - std::min(after.get<uint64_t>(), before.get<uint64_t>());
  return after;
}

// Index of the largest logit of input b (first on ties); -1 when a logit is not finite.
int argmax_class(const double* logits, uint32_t classes) {
  int best = 0;
  for (uint32_t c = 0; c < classes; ++c) {
    if (!std::isfinite(logits[c])) return -1;
    if (logits[c] > logits[best]) best = int(c);
  }
  return best;
}

class S4ModelWorkload : public Workload {
 public:
  using Workload::Workload;

  void prepare() override {
    refuse_layer_files(s_, o_);
    refuse_fault_injection(s_, o_);
    try {
      load_model();
    } catch (const InputError&) {
      throw;
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    // Before the reference pass: the Liquid-S4 variants the accelerator does not map.
    {
      std::string why;
      if (!fw::s4_liquid_supported(desc_, regs::NumberFormat(uint8_t(numfmt::Format(s_.precision.format))), &why))
        throw InputError(desc_source_ + ": " + why);
    }
    // Integer formats use static per-tensor scales, calibrated with the reference model on
    // this run's inputs (post-training calibration; docs/precisions.md). One
    // double-precision pass gives both the reference logits and the calibration.
    calibrate_ = numfmt::is_integer(s_.precision.format);
    const uint32_t* lengths = lengths_.empty() ? nullptr : lengths_.data();
    try {
      if (calibrate_)
        ref_ = s4_model_forward_with_ranges(desc_, weights_, inputs_.data(), B_, lengths, ranges_);
      else if (s_.workload.reference)
        ref_ = s4_model_forward(desc_, weights_, inputs_.data(), B_, lengths);
    } catch (const std::invalid_argument& e) {
      throw InputError(std::string("reference model: ") + e.what());
    }
    job_.desc = &desc_;
    job_.weights = &weights_;
    job_.ranges = calibrate_ ? &ranges_ : nullptr;
    job_.B = B_;
    job_.inputs = inputs_.data();
    job_.lengths = lengths;
    job_.partial_resident = s_.compiler.residency == Residency::Partial;
    job_.mem_base = 0x1000;
    job_.mem_bytes = (uint64_t(s_.memory.size_mib) << 20) - job_.mem_base;
  }

  // Per stage, the hardware counters as the stage's job ends (the interrupt's rising edge:
  // the same instant on either CPU), for per-stage deltas.
  void attach(Soc& soc) override {
    soc_ = &soc;
    soc.on_irq_rise = [this] { after_stage_.push_back(hardware_report(*soc_, s_, 0, false)); };
  }

  // The model compiler loads the weights and inputs itself, in make_job.
  bool load(Soc&) override { return true; }

  // The model compiler (a host tool) writes the whole image through the loader's back
  // door; the firmware's runner then walks its stage table.
  ProgramOutcome make_job(Soc&, fw::Hal& loader, const fw::AccelInfo& info, ec_fw_job* job) override {
    ProgramOutcome out;
    uint64_t need = 0;
    std::string why;
    if (!fw::s4_model_memory_bytes(info, job_, &need, &why)) {
      out.error = why;
      return out;
    }
    if (need > job_.mem_bytes) {
      out.error = "memory.size_mib: the model needs " +
                  std::to_string((need + job_.mem_base + (1u << 20) - 1) >> 20) + " MiB of system memory, have " +
                  std::to_string(s_.memory.size_mib) + " MiB";
      out.bad_input = true;
      return out;
    }
    if (!fw::s4_model_compile(loader, info, job_, &image_, &why)) {
      out.error = why;
      return out;
    }
    loader_ = &loader;
    *job = new_job_block(EC_FW_JOB_MODEL);
    job->image_addr = image_.table_addr;
    return out;
  }

  void take_result(Soc&, const ec_fw_result& r) override {
    fw::s4_model_collect(*loader_, image_, r, &fw_);  // also resident / streaming_reason
  }

  std::vector<ProgressStage> progress_stages() const override {
    std::vector<ProgressStage> out;
    for (const fw::S4ModelImageStage& st : image_.stages) out.push_back({st.name, st.commands});
    return out;
  }

  uint64_t job_cycles() const override { return fw_.cycles; }
  bool per_command_records() const override { return false; }

  void report(const energy::TechTable& t, json& r) override {
    const S4ModelDesc& d = desc_;
    r["workload"] = {{"kind", "s4_model"},
                     {"model", {{"task", d.task}, {"source", desc_source_},
                                {"input", d.input == InputKind::Tokens ? "tokens" : "values"},
                                {"d_input", d.d_input}, {"H", d.H}, {"M", d.M}, {"L", d.L},
                                {"n_layers", d.n_layers}, {"prenorm", d.prenorm},
                                {"norm", d.norm == NormKind::Batch ? "batch" : d.norm == NormKind::RMS ? "rms" : "layer"},
                                {"bidirectional", d.bidirectional}, {"classes", d.classes},
                                {"retrieval", d.retrieval}}},
                     {"batch", B_}, {"weights", weights_source_}, {"inputs", inputs_source_},
                     {"precision", s_.precision.format.name()},
                     // The S4D-layer keys, for readers of the layer report's shape.
                     {"channels", d.H}, {"modes", d.M}, {"length", d.L}, {"bidirectional", d.bidirectional},
                     {"params", weights_source_}, {"input", inputs_source_}};
    uint64_t commands = 0;
    for (const fw::S4ModelStage& st : fw_.stages) commands += st.commands;
    r["plan"] = {{"activations", fw_.resident ? "resident" : fw_.partial ? "partial" : "streaming"},
                 {"streaming_reason", fw_.streaming_reason},
                 {"commands", commands}};
    if (s_.compiler.residency == Residency::Partial) {  // compiler.residency: partial
      const uint32_t rows = desc_.H * B_ * documents_per_input(desc_);
      const uint32_t resident_rows = fw_.resident_rows;  // every row when resident
      r["plan"]["resident_rows"] = resident_rows;
      r["plan"]["rows"] = rows;
      r["plan"]["resident_fraction"] = rows ? double(resident_rows) / rows : 0.0;
      r["plan"]["resident_bytes"] = fw_.resident_bytes;
      r["plan"]["residency_reason"] = fw_.resident ? "every row fits: all resident" : fw_.residency_reason;
      // What the closed form of the savings needs (maths/timing/residency_timing.h).
      const fw::S4ModelPlan& pl = image_.plan;
      uint32_t passes = 0;
      bool mixed = false;
      for (const fw::S4ModelImageStage& st : image_.stages)
        if (st.records_bytes) {
          passes = st.ssm.passes;
          mixed = st.ssm.mixed;
          break;
        }
      r["plan"]["encoder_tile_steps"] = pl.enc.T;
      r["plan"]["tail_tile_steps"] = pl.tail.T;
      r["plan"]["tail_nblock_steps"] = pl.tail.N;
      r["plan"]["ssm_passes"] = passes;
      r["plan"]["ssm_mixed"] = mixed;
    }
    // Per stage: the counters' deltas between snapshots, with their energy.
    json stages = json::array();
    json before = json::object();
    for (size_t i = 0; i < fw_.stages.size() && i < after_stage_.size(); ++i) {
      const fw::S4ModelStage& st = fw_.stages[i];
      json delta = counter_delta(after_stage_[i], before);
      delta["cycles"] = st.job.cycles;
      before = after_stage_[i];
      stages.push_back(stage_record(s_, t, st.name, st.layer, st.commands, delta));
    }
    r["stages"] = std::move(stages);
    r["layers"] = per_layer_summary(r["stages"]);
    json logits = json::array();
    for (uint32_t b = 0; b < std::min<uint32_t>(B_, 8) && !fw_.logits.empty(); ++b)
      logits.push_back(std::vector<double>(fw_.logits.begin() + size_t(b) * d.classes,
                                           fw_.logits.begin() + size_t(b + 1) * d.classes));
    r["logits_first_inputs"] = logits;
  }

  const char* check_key() const override { return "accuracy"; }

  void check(Soc&, json& r) override {
    output_.assign(fw_.logits.begin(), fw_.logits.end());
    if (!s_.workload.reference) {
      r["accuracy"] = nullptr;
      return;
    }
    const uint32_t classes = desc_.classes;
    const ErrorStats e = compare_to_reference(fw_.logits.data(), ref_.data(), ref_.size());
    uint32_t agree = 0;
    for (uint32_t b = 0; b < B_; ++b) {
      const int c_acc = argmax_class(&fw_.logits[size_t(b) * classes], classes);
      const int c_ref = argmax_class(&ref_[size_t(b) * classes], classes);
      agree += c_acc >= 0 && c_acc == c_ref;
    }
    r["accuracy"] = {{"reference", "double-precision reference model (models/reference/s4_model_reference)"},
                     {"precision", s_.precision.format.name()},
                     {"calibration", calibrate_ ? "static per-tensor scales from this run's inputs" : "none"},
                     {"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"ref_max_abs", e.ref_max_abs},
                     {"inputs", B_}, {"class_agreement", double(agree) / B_}, {"classes_agreeing", agree}};
  }

  void compare(const energy::TechTable& t, json& r) const override {
    add_model_baseline_comparison(s_, t, desc_, B_, r);
  }

  void write_output(const std::string& path) const override {
    io::write_npy_f32(path, {B_, desc_.classes}, output_.data());
  }

 private:
  // The model (an LRA task or a YAML file), its weights and inputs (files, else seeded).
  void load_model() {
    const WorkloadConfig& w = s_.workload;
    const std::vector<std::string> tasks = lra_task_names();
    if (std::find(tasks.begin(), tasks.end(), w.model) != tasks.end()) {
      desc_ = lra_model_description(w.model);
      desc_source_ = "LRA " + w.model + " (built in)";
    } else {
      const std::string path = resolve_path(w.model, o_.scenario_path);
      if (!fs::exists(path))
        throw InputError("workload.model: '" + w.model + "' is neither an LRA task (listops, text, retrieval, "
                         "image, pathfinder, pathx) nor an existing model YAML file");
      try {
        desc_ = io::load_model_description(path);
      } catch (const std::exception& e) {
        throw InputError(std::string("workload.model: ") + e.what());
      }
      desc_source_ = path;
    }
    // Sizes before memory: the weights (bounded by the description's check) and the inputs
    // against the host-memory ceiling before they are seeded or read.
    const std::string weights_from = w.weights.empty() ? "seeded" : resolve_path(w.weights, o_.scenario_path);
    check_host_memory(w.inputs.empty() ? w.batch : 0, w.inputs.empty() ? "workload.batch" : "", weights_from);
    if (!w.weights.empty()) {
      const std::string path = resolve_path(w.weights, o_.scenario_path);
      try {
        weights_ = io::load_model_weights(path, desc_);
      } catch (const std::exception& e) {
        throw InputError(std::string("workload.weights: ") + e.what());
      }
      weights_source_ = path;
    } else {
      weights_ = s4_model_init(desc_, w.seed);
      weights_source_ = "seeded " + desc_.init + " (seed " + std::to_string(w.seed) + ")";
    }
    if (!w.inputs.empty()) {
      const std::string path = resolve_path(w.inputs, o_.scenario_path);
      const std::string lpath = resolve_path(w.lengths, o_.scenario_path);
      io::ModelInputs in;
      try {
        in = io::load_model_inputs(path, lpath, desc_, [&](uint32_t B) {
          check_host_memory(B, path + " (B from its header)", weights_from);
        });
      } catch (const InputError&) {
        throw;
      } catch (const std::exception& e) {
        // Name the key of the file the message is about (messages start with the path).
        const std::string what = e.what();
        const bool lengths = !lpath.empty() && what.compare(0, lpath.size(), lpath) == 0 &&
                             what.compare(0, path.size() + 1, path + ":") != 0;
        throw InputError(std::string(lengths ? "workload.lengths: " : "workload.inputs: ") + what);
      }
      B_ = in.B;
      inputs_ = std::move(in.data);
      lengths_ = std::move(in.lengths);
      inputs_source_ = path + (lpath.empty() ? "" : " (lengths " + lpath + ")");
    } else {
      B_ = w.batch;
      inputs_ = seeded_model_inputs(desc_, B_, w.seed + 1);
      inputs_source_ = std::string("seeded ") + (desc_.input == InputKind::Tokens ? "token ids" : "normal values") +
                       " (seed " + std::to_string(w.seed + 1) + ")";
    }
  }

  // What the run takes at least, with B inputs (0: the weights alone): the weights as
  // double on the host and in system memory, the inputs as double and in system memory,
  // per step and channel the activations in system memory and, when the reference model
  // runs (workload.reference or an integer precision's calibration), its three buffers.
  void check_host_memory(uint32_t B, const std::string& batch_from, const std::string& weights_from) const {
    const S4ModelDesc& d = desc_;
    const uint64_t weights = s4_model_weight_count(d);
    const uint64_t S = sat_product({B, documents_per_input(d)});
    const uint64_t steps = sat_product({S, d.L});
    const uint64_t inputs = sat_product({steps, d.input == InputKind::Tokens ? 1u : d.d_input});
    const bool reference = s_.workload.reference || numfmt::is_integer(s_.precision.format);
    const uint64_t activations = sat_product({steps, d.H});
    const uint64_t bytes = sat_add(sat_add(sat_product({weights, 16}), sat_product({inputs, 12})),
                                   sat_product({activations, reference ? 32u : 8u}));
    std::string what = "the s4_model run (" + desc_source_ + ": " + std::to_string(weights) + " weights, " +
                       weights_from + ")";
    if (B > 0)
      what = "the s4_model run (" + desc_source_ + ": " + std::to_string(weights) + " weights, " + weights_from +
             "; B = " + std::to_string(B) + " from " + batch_from + ": " + std::to_string(inputs) +
             " input values, " + std::to_string(activations) + " activations per layer of L = " +
             std::to_string(d.L) + " and H = " + std::to_string(d.H) + ")";
    require_host_memory(s_, bytes, what);
  }

  S4ModelDesc desc_;
  std::string desc_source_;
  S4ModelWeights weights_;
  std::string weights_source_;
  uint32_t B_ = 0;
  std::vector<double> inputs_;     // s4_model_forward layout
  std::vector<uint32_t> lengths_;  // empty or [B][docs]
  std::string inputs_source_;
  bool calibrate_ = false;
  ActivationRanges ranges_;
  std::vector<double> ref_;        // the reference logits (when workload.reference or calibrating)
  fw::S4ModelJob job_;
  fw::S4ModelResult fw_;
  fw::S4ModelImage image_;
  fw::Hal* loader_ = nullptr;    // the loader's HAL of the run (make_job to take_result)
  Soc* soc_ = nullptr;
  std::vector<json> after_stage_;  // hardware counters after each stage
  std::vector<float> output_;
};

}  // namespace

std::unique_ptr<Workload> make_s4_model_workload(const Scenario& s, const RunOptions& o) {
  return std::make_unique<S4ModelWorkload>(s, o);
}

}  // namespace epochcore
