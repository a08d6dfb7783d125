// The scenario loader (platform/scenario/scenario.h): the input is the YAML text, then
// after a line "####" one `--set` override per line. Documented refusal: ScenarioError.
// An accepted scenario must validate and print as YAML that parses back to the same
// printout (scenario_to_yaml is what --print-scenario and the reports show).
#include <cstdlib>
#include <sstream>

#include "epochcore/platform/scenario/scenario.h"
#include "fuzz_common.h"

using namespace epochcore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = fuzz::split(data, size, 2);
  std::vector<std::string> overrides;
  std::istringstream lines(parts[1]);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) overrides.push_back(line);
  Scenario s;
  try {
    s = parse_scenario(parts[0], "fuzz.yaml", overrides);
  } catch (const ScenarioError&) {
    return 0;
  }
  validate_scenario(s);  // must not throw for what parse_scenario accepted
  const std::string yaml = scenario_to_yaml(s);
  const Scenario back = parse_scenario(yaml, "printed.yaml");
  if (scenario_to_yaml(back) != yaml) std::abort();
  return 0;
}
