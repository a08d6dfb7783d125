// The run report: what the hardware did (counters, stalls by cause, per-command records)
// as JSON, and its human-readable summary. docs/report.md lists every field.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "epochcore/platform/scenario/scenario.h"

namespace epochcore {

class Soc;

// The hardware part of the report, from the SoC's counters after a run. `job_cycles` is
// the accelerator's cycle count for the job (the CYCLE register's delta). Without
// `per_command`, the per-command records ("commands") are left out (whole models run
// hundreds of thousands of commands; --trace has them).
nlohmann::json hardware_report(const Soc& soc, const Scenario& s, uint64_t job_cycles, bool per_command = true);

// The human-readable summary of a report of scenario `s`.
std::string format_report(const Scenario& s, const nlohmann::json& report);
// Its "  array ..." line: the array's shape, segments, clock and timing.
std::string array_line(const Scenario& s);
// The RV32 core's line of the text report ("" with host.cpu model).
std::string cpu_line(const nlohmann::json& r);

}  // namespace epochcore
