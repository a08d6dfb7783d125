// Energy, area and the EpochCore-vs-baseline comparison, from one technology table for
// both designs (models/energy) and the TPU-like baseline's cost model (models/baseline).
#pragma once
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
// {"total", "by_component"} as in the report.
nlohmann::json energy_to_json(const energy::EnergyBreakdown& e);
nlohmann::json area_to_json(const energy::AreaBreakdown& a);
// The scenario's design for the energy/area model: EpochCore's LIMA array, or the
// TPU-like baseline's MAC array (same size, buffers, format and vector lanes).
energy::Design scenario_design(const Scenario& s, bool mac_baseline);

// Adds "baseline" (both methods, both mapping variants, counts, energy, area) and
// "comparison" (speedup, energy and area ratios) for the report's workload.
void add_baseline_comparison(const Scenario& s, const energy::TechTable& t, nlohmann::json& report);

std::string format_energy_area(const nlohmann::json& report);
std::string format_comparison(const nlohmann::json& report);

}  // namespace epochcore
