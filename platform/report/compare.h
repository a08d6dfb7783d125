// Energy, area and the EpochCore-vs-baseline comparison, from one technology table for
// both designs (models/energy) and the TPU-like baseline's cost model (models/baseline).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "models/energy/energy_model.h"
#include "platform/scenario/scenario.h"

namespace epochcore {

// energy.tech: a table name (scenarios/tech/NAME.yaml) or a path. Errors name the key.
energy::TechTable load_scenario_tech(const Scenario& s);

// Adds "technology", "energy_pj" {total, by component} and "area_mm2" {total, by
// component, pe_um2, lima_mac_pe_area_ratio} for the simulated EpochCore run to `report`.
void add_energy_area(const Scenario& s, const energy::TechTable& t, nlohmann::json& report);

// Adds "baseline" (both methods, both mapping variants, counts, energy, area) and
// "comparison" (speedup, energy and area ratios) for the report's workload.
void add_baseline_comparison(const Scenario& s, const energy::TechTable& t, nlohmann::json& report);

std::string format_energy_area(const nlohmann::json& report);
std::string format_comparison(const nlohmann::json& report);

}  // namespace epochcore
