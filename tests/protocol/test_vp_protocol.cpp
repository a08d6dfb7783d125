// End to end: the simulator with a TLM-2.0 base-protocol checker on every socket
// (--set run.check_protocol=true) runs S4D layers in cycle and fast timing, the GEMM
// scenario and a whole LRA model with no violation, and gives the same report (wall time
// and the echoed scenario aside) and the same --output file, byte for byte, as without.
#include <catch2/catch.hpp>

#include <string>

#include "../e2e/vp_runner.h"

using namespace epochcore::e2e;

namespace {

// The report without what may differ between two runs of the same simulation.
nlohmann::json comparable(const nlohmann::json& j) {
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "scenario" || it.key() == "protocol_violations" ||
          it.key().find("wall") != std::string::npos)
        continue;
      out[it.key()] = comparable(it.value());
    }
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : j) out.push_back(comparable(v));
    return out;
  }
  return j;
}

void same_with_and_without_checker(const std::string& tag, const std::string& args) {
  const auto dir = scratch_dir("protocol-" + tag);
  const VpResult plain = run_epochcore_vp(dir, args + " --quiet", false);
  const VpResult checked = run_epochcore_vp(dir, args + " --quiet --set run.check_protocol=true", false);
  INFO(args << "\n" << plain.err << "\n" << checked.err);
  REQUIRE(plain.exit_code == 0);
  REQUIRE(checked.exit_code == 0);  // a violation ends the run with exit status 3
  REQUIRE(checked.err.find("tlm_protocol") == std::string::npos);
  REQUIRE(checked.report.at("protocol_violations").get<uint64_t>() == 0);
  REQUIRE(!plain.report.contains("protocol_violations"));
  REQUIRE(plain.report.at("cycles").get<uint64_t>() > 0);
  REQUIRE(checked.report.at("cycles") == plain.report.at("cycles"));
  REQUIRE(comparable(checked.report) == comparable(plain.report));
  const std::string a = read_text(plain.output_path), b = read_text(checked.output_path);
  REQUIRE(!a.empty());
  REQUIRE(a == b);
}

}  // namespace

// The effective scenario shows the key is taken (the SystemC testbenches check that the
// SoC then has its eleven checkers).
TEST_CASE("protocol checker e2e: the key reaches the effective scenario", "[e2e][protocol]") {
  const std::string out = "/tmp/epochcore-e2e-protocol-key-" + std::to_string(::getpid()) + ".txt";
  const std::string cmd = std::string("'") + EC_VP + "' --print-scenario --set run.check_protocol=true > '" + out + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  REQUIRE(read_text(out).find("check_protocol: true") != std::string::npos);
}

TEST_CASE("protocol checker e2e: S4D layer, cycle timing", "[e2e][protocol]") {
  same_with_and_without_checker("cycle", "'" EC_SOURCE_DIR "/scenarios/default.yaml' --set workload.length=64");
}

TEST_CASE("protocol checker e2e: S4D layer, fast timing, batch 2", "[e2e][protocol]") {
  same_with_and_without_checker("fast", "'" EC_SOURCE_DIR "/scenarios/default.yaml' --set workload.length=64 "
                                        "--set run.timing=fast --set workload.batch=2");
}

TEST_CASE("protocol checker e2e: GEMM scenario", "[e2e][protocol]") {
  same_with_and_without_checker("gemm", "'" EC_SOURCE_DIR "/scenarios/gemm/scalesim_256x128x256.yaml'");
}

TEST_CASE("protocol checker e2e: whole LRA ListOps model, fast timing", "[e2e][protocol]") {
  same_with_and_without_checker("listops", "'" EC_SOURCE_DIR "/scenarios/lra/listops.yaml' --set workload.batch=1");
}
