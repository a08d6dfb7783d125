// The whole-model part of the run report (workload.kind s4_model): one record per stage
// of the model compiler (encoder, each block's SSM and tail, head) with its cycles,
// utilisation, counters and energy; the per-layer summary; the text summary.
// docs/report.md lists the fields.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "epochcore/maths/energy/tech_table.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

// `counters`: the hardware counters of this stage alone (hardware_report's keys, as the
// difference of two snapshots) with "cycles" the stage's job cycles.
nlohmann::json stage_record(const Scenario& s, const energy::TechTable& t, const std::string& name,
                            int32_t layer, uint32_t commands, const nlohmann::json& counters);

// Stages grouped: "encoder", "layers.i" (SSM + tail), "head", each with cycles, energy,
// utilisation and share of the whole run.
nlohmann::json per_layer_summary(const nlohmann::json& stages);

// Adds "baseline" (the whole model on the TPU-like baseline, both mapping variants, per
// stage and in total, with energy and area) and "comparison" (speedup, energy and area
// ratios, per layer and whole model) to a model report.
void add_model_baseline_comparison(const Scenario& s, const energy::TechTable& t, const S4ModelDesc& d,
                                   uint32_t B, nlohmann::json& report);

// Text of the model comparison (format_comparison calls it for model reports).
std::string format_model_comparison(const Scenario& s, const nlohmann::json& report);

// Text summary of a model report.
std::string format_model_report(const Scenario& s, const nlohmann::json& report);

}  // namespace epochcore
