// workload.kind s4_model: a whole S4 model (docs/models.md) on the accelerator. The host
// loads or seeds the model, its weights and inputs, the model compiler (firmware) runs it
// stage by stage, and the logits are compared with the double-precision reference model.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "epochcore/firmware/driver/driver.h"
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
#include "epochcore/platform/soc/simulation.h"
#include "epochcore/platform/soc/soc.h"

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

struct ModelData {
  S4ModelDesc desc;
  std::string desc_source;
  S4ModelWeights weights;
  std::string weights_source;
  uint32_t B = 0;
  std::vector<double> inputs;     // s4_model_forward layout
  std::vector<uint32_t> lengths;  // empty or [B][docs]
  std::string inputs_source;
};

// Seeded inputs: token ids uniform in [0, d_input); values standard normal.
std::vector<double> seeded_model_inputs(const S4ModelDesc& d, uint32_t B, uint64_t seed) {
  const size_t per_step = d.input == InputKind::Tokens ? 1 : d.d_input;
  std::vector<double> v(size_t(B) * documents_per_input(d) * d.L * per_step);
  Rng rng(seed);
  // min(): u * d_input may round up to d_input for u just below 1.
  for (double& x : v)
    x = d.input == InputKind::Tokens ? std::min(std::floor(rng.uniform() * d.d_input), double(d.d_input - 1))
                                     : rng.normal();
  return v;
}

ModelData load_model_data(const Scenario& s, const RunOptions& o) {
  ModelData m;
  const WorkloadConfig& w = s.workload;
  const std::vector<std::string> tasks = lra_task_names();
  try {
    if (std::find(tasks.begin(), tasks.end(), w.model) != tasks.end()) {
      m.desc = lra_model_description(w.model);
      m.desc_source = "LRA " + w.model + " (built in)";
    } else {
      const std::string path = resolve_path(w.model, o.scenario_path);
      if (!fs::exists(path))
        throw InputError("workload.model: '" + w.model + "' is neither an LRA task (listops, text, retrieval, "
                         "image, pathfinder, pathx) nor an existing model YAML file");
      m.desc = io::load_model_description(path);
      m.desc_source = path;
    }
    if (!w.weights.empty()) {
      const std::string path = resolve_path(w.weights, o.scenario_path);
      m.weights = io::load_model_weights(path, m.desc);
      m.weights_source = path;
    } else {
      m.weights = s4_model_init(m.desc, w.seed);
      m.weights_source = "seeded " + m.desc.init + " (seed " + std::to_string(w.seed) + ")";
    }
    if (!w.inputs.empty()) {
      const std::string path = resolve_path(w.inputs, o.scenario_path);
      const std::string lpath = resolve_path(w.lengths, o.scenario_path);
      io::ModelInputs in = io::load_model_inputs(path, lpath, m.desc);
      m.B = in.B;
      m.inputs = std::move(in.data);
      m.lengths = std::move(in.lengths);
      m.inputs_source = path + (lpath.empty() ? "" : " (lengths " + lpath + ")");
    } else {
      m.B = w.batch;
      m.inputs = seeded_model_inputs(m.desc, m.B, w.seed + 1);
      m.inputs_source = std::string("seeded ") + (m.desc.input == InputKind::Tokens ? "token ids" : "normal values") +
                        " (seed " + std::to_string(w.seed + 1) + ")";
    }
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
  return m;
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

struct StageSnapshots {
  Soc* soc = nullptr;
  const Scenario* scenario = nullptr;
  std::vector<json> after;  // hardware counters after each stage
};

void on_stage(void* ctx, const fw::S4ModelStage& stage) {
  auto* snaps = static_cast<StageSnapshots*>(ctx);
  snaps->after.push_back(hardware_report(*snaps->soc, *snaps->scenario, stage.job.cycles, false));
}

}  // namespace

RunResult run_model_simulation(const Scenario& s, const RunOptions& o) {
  const auto wall0 = std::chrono::steady_clock::now();
  if (o.bad_command >= 0)
    throw InputError("--inject-bad-command: not supported for workload.kind s4_model (use an s4d_layer scenario)");
  ModelData m = load_model_data(s, o);
  const numfmt::Format format = numfmt::parse_format(s.precision.format, "precision.format");

  // Integer formats use static per-tensor scales, calibrated with the reference model on
  // this run's inputs (post-training calibration; docs/precisions.md).
  // One double-precision pass gives both the reference logits and the calibration.
  ActivationRanges ranges;
  const bool calibrate = numfmt::is_integer(format);
  const uint32_t* lengths = m.lengths.empty() ? nullptr : m.lengths.data();
  std::vector<double> ref;
  try {
    if (calibrate)
      ref = s4_model_forward_with_ranges(m.desc, m.weights, m.inputs.data(), m.B, lengths, ranges);
    else if (s.workload.reference)
      ref = s4_model_forward(m.desc, m.weights, m.inputs.data(), m.B, lengths);
  } catch (const std::invalid_argument& e) {
    throw InputError(std::string("reference model: ") + e.what());
  }

  RunResult result;
  Soc soc("soc", s);
  fw::S4ModelJob job;
  job.desc = &m.desc;
  job.weights = &m.weights;
  job.ranges = calibrate ? &ranges : nullptr;
  job.B = m.B;
  job.inputs = m.inputs.data();
  job.lengths = m.lengths.empty() ? nullptr : m.lengths.data();
  job.mem_base = 0x1000;
  job.mem_bytes = soc.memory_bytes() - job.mem_base;
  StageSnapshots snaps;
  snaps.soc = &soc;
  snaps.scenario = &s;
  job.on_stage = &on_stage;
  job.on_stage_ctx = &snaps;

  fw::S4ModelResult fw_result;
  std::string fw_error;
  soc.host().program = [&](fw::Hal& hal) {
    fw::Driver driver(hal);
    fw::AccelInfo info{};
    const fw::DriverStatus st = driver.probe(&info);
    if (st != fw::DriverStatus::OK) {
      fw_error = std::string("driver probe failed: ") + fw::driver_status_name(st);
      return;
    }
    uint64_t need = 0;
    std::string why;
    if (!fw::s4_model_memory_bytes(info, job, &need, &why)) {
      fw_error = why;
      return;
    }
    if (need > job.mem_bytes) {
      fw_error = "memory.size_mib: the model needs " + std::to_string((need + job.mem_base + (1u << 20) - 1) >> 20) +
                 " MiB of system memory, have " + std::to_string(s.memory.size_mib) + " MiB";
      return;
    }
    if (!fw::s4_model_run(hal, driver, info, job, &fw_result)) fw_error = fw_result.message;
  };
  soc.host().on_exit = [] { sc_core::sc_stop(); };
  const double sim_seconds = simulate(soc, s, o);
  if (fw_error.rfind("memory.size_mib", 0) == 0) throw InputError(fw_error);

  json& r = result.report;
  r = hardware_report(soc, s, fw_result.cycles, false);
  r["scenario"] = {{"name", s.name}, {"file", o.scenario_path}};
  const S4ModelDesc& d = m.desc;
  r["workload"] = {{"kind", "s4_model"},
                   {"model", {{"task", d.task}, {"source", m.desc_source},
                              {"input", d.input == InputKind::Tokens ? "tokens" : "values"},
                              {"d_input", d.d_input}, {"H", d.H}, {"M", d.M}, {"L", d.L},
                              {"n_layers", d.n_layers}, {"prenorm", d.prenorm},
                              {"norm", d.norm == NormKind::Batch ? "batch" : "layer"},
                              {"bidirectional", d.bidirectional}, {"classes", d.classes},
                              {"retrieval", d.retrieval}}},
                   {"batch", m.B}, {"weights", m.weights_source}, {"inputs", m.inputs_source},
                   {"precision", s.precision.format},
                   // The S4D-layer keys, for readers of the layer report's shape.
                   {"channels", d.H}, {"modes", d.M}, {"length", d.L}, {"bidirectional", d.bidirectional},
                   {"params", m.weights_source}, {"input", m.inputs_source}};
  r["status"] = fw_error.empty() ? "ok" : "error";
  if (!fw_error.empty()) r["error"] = fw_error;
  r["cycles"] = fw_result.cycles;
  r["simulated_seconds"] = sim_seconds;
  r["plan"] = {{"activations", fw_result.resident ? "resident" : "streaming"},
               {"streaming_reason", fw_result.streaming_reason},
               {"commands", [&] {
                  uint64_t n = 0;
                  for (const fw::S4ModelStage& st : fw_result.stages) n += st.commands;
                  return n;
                }()}};

  const energy::TechTable tech = load_scenario_tech(s);
  // Per stage: the counters' deltas between snapshots, with their energy.
  json stages = json::array();
  json before = json::object();
  for (size_t i = 0; i < fw_result.stages.size() && i < snaps.after.size(); ++i) {
    const fw::S4ModelStage& st = fw_result.stages[i];
    json delta = counter_delta(snaps.after[i], before);
    delta["cycles"] = st.job.cycles;
    before = snaps.after[i];
    stages.push_back(stage_record(s, tech, st.name, st.layer, st.commands, delta));
  }
  r["stages"] = std::move(stages);
  r["layers"] = per_layer_summary(r["stages"]);

  if (fw_error.empty()) {
    add_energy_area(s, tech, r);
    result.output.assign(fw_result.logits.begin(), fw_result.logits.end());
    if (s.workload.reference) {
      const ErrorStats e = compare_to_reference(fw_result.logits.data(), ref.data(), ref.size());
      uint32_t agree = 0;
      for (uint32_t b = 0; b < m.B; ++b) {
        const int c_acc = argmax_class(&fw_result.logits[size_t(b) * d.classes], d.classes);
        const int c_ref = argmax_class(&ref[size_t(b) * d.classes], d.classes);
        agree += c_acc >= 0 && c_acc == c_ref;
      }
      r["accuracy"] = {{"reference", "double-precision reference model (models/reference/s4_model_reference)"},
                       {"precision", s.precision.format},
                       {"calibration", calibrate ? "static per-tensor scales from this run's inputs" : "none"},
                       {"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"ref_max_abs", e.ref_max_abs},
                       {"inputs", m.B}, {"class_agreement", double(agree) / m.B}, {"classes_agreeing", agree}};
    } else {
      r["accuracy"] = nullptr;
    }
    if (o.compare) add_model_baseline_comparison(s, tech, d, m.B, r);
  } else {
    result.exit_code = 1;
    r["accuracy"] = nullptr;
  }
  json logits = json::array();
  for (uint32_t b = 0; b < std::min<uint32_t>(m.B, 8) && !fw_result.logits.empty(); ++b)
    logits.push_back(std::vector<double>(fw_result.logits.begin() + size_t(b) * d.classes,
                                         fw_result.logits.begin() + size_t(b + 1) * d.classes));
  r["logits_first_inputs"] = logits;
  r["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (!o.output_path.empty() && fw_error.empty())
    io::write_npy_f32(o.output_path, {m.B, d.classes}, result.output.data());
  return result;
}

}  // namespace epochcore
