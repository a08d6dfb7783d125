// One run's report as one flat row (--csv): a fixed, documented column list (docs/report.md,
// "Flat CSV row"), the same for every workload kind so rows of different runs concatenate.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace epochcore {

// The column names, in order.
const std::vector<std::string>& flat_metric_columns();

// (column, value) for every column of flat_metric_columns(), in that order. Values are
// plain text: integers as integers, doubles as %.17g, "" where the report has no value
// (a component absent for this workload kind, accuracy without a reference, a failed run).
std::vector<std::pair<std::string, std::string>> flat_metrics(const nlohmann::json& report);

// RFC 4180: a header line and one row, CRLF-free ("\n" line ends), fields quoted when
// they hold a comma, a quote, CR or LF.
std::string flat_metrics_csv(const std::vector<std::pair<std::string, std::string>>& row);

}  // namespace epochcore
