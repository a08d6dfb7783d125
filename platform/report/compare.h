// Energy, area and the EpochCore-vs-baseline comparison, from one technology table for
// both designs (models/energy) and the TPU-like baseline's cost model (models/baseline).
#pragma once
#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "epochcore/maths/baseline/ssm_baseline_timing.h"
#include "epochcore/maths/energy/energy_model.h"
#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

// energy.tech: a table name (scenarios/tech/NAME.yaml) or a path. Errors name the key.
energy::TechTable load_scenario_tech(const Scenario& s);

// Adds "technology", "energy_pj" {total, by component} and "area_mm2" {total, by
// component, pe_um2, lima_mac_pe_area_ratio} for the simulated EpochCore run to `report`.
void add_energy_area(const Scenario& s, const energy::TechTable& t, nlohmann::json& report);
// Energy of the EpochCore run whose hardware counters (as hardware_report gives them, or
// their difference between two points of a run) are `counters`.
energy::EnergyBreakdown epochcore_energy(const Scenario& s, const energy::TechTable& t,
                                         const nlohmann::json& counters);
// The baseline's action counts from its cost model's figures: MAC-array work, the vector
// unit's multiply-adds and adds, buffer traffic, DRAM bytes (all through the DMA), cycles.
energy::ActionCounts baseline_action_counts(const Scenario& s, uint64_t mac_ops, uint64_t weight_loads,
                                            uint64_t vector_ops, uint64_t vector_adds,
                                            const baseline::SramTraffic& sram, uint64_t dram_bytes,
                                            uint64_t cycles);
// PE-cycles per power state (compute, preload, sleep) and wakes of the EpochCore run whose
// counters (array_counters and cycles, as for epochcore_energy) are `counters`.
energy::PeStateCounts epochcore_pe_states(const Scenario& s, const nlohmann::json& counters);
// The report's "pe_states" object.
nlohmann::json pe_states_json(const energy::PeStateCounts& p);
// {"total", "by_component"} as in the report.
nlohmann::json energy_to_json(const energy::EnergyBreakdown& e);
nlohmann::json area_to_json(const energy::AreaBreakdown& a);
// The scenario's design for the energy/area model: EpochCore's LIMA array, or the
// TPU-like baseline's MAC array (same size, buffers, format and vector lanes).
energy::Design scenario_design(const Scenario& s, bool mac_baseline);

// The TPU-like baseline's two mapping variants for the scenario's array, in this order:
// "as_described" (as the design material describes the array) and "optimised" (with the
// legitimate optimisations: shared Toeplitz tiles, time-blocked projections, weight load
// overlapped with drain). Comparisons headline the stronger of the two.
struct BaselineVariant {
  const char* name;
  baseline::BaselineConfig config;
};
std::array<BaselineVariant, 2> baseline_variants(const Scenario& s);

// workload.kind s4d_layer: adds "baseline" (both methods, both mapping variants, counts,
// energy, area) and "comparison" (speedup, energy and area ratios) for the layer `shape`.
// `report` must hold the EpochCore run's counters, energy and area (add_energy_area).
void add_layer_baseline_comparison(const Scenario& s, const energy::TechTable& t, const baseline::SsmShape& shape,
                                   nlohmann::json& report);
// workload.kind gemm: the baseline runs the scenario's GEMM weight-stationary.
void add_gemm_baseline_comparison(const Scenario& s, const energy::TechTable& t, nlohmann::json& report);

// Text of the report's parts (`s`: the scenario the report is of).
std::string format_energy_area(const Scenario& s, const nlohmann::json& report);
std::string format_comparison(const Scenario& s, const nlohmann::json& report);

}  // namespace epochcore
