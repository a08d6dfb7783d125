// For testbenches that drive whole SoCs (platform/soc) through the firmware's driver:
//  - run_stream(): packs a command stream into system memory and runs it to the end;
//  - run_socs(): one SoC per scenario, each host running `program(index, soc, hal)`,
//    simulated until every host has returned; exceptions count as failures and every SoC's
//    protocol checkers are checked (check_soc_protocol). The SoCs are returned for checks
//    after the simulation (counters, activity logs).
#pragma once
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/contract/commands.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/platform/soc/soc.h"
#include "sc_harness.h"

namespace ec_test {

inline epochcore::fw::JobResult run_stream(epochcore::fw::Hal& hal, epochcore::fw::Driver& drv,
                                           const std::vector<epochcore::cmd::Record>& stream, uint64_t stream_addr,
                                           epochcore::fw::DriverStatus* status = nullptr) {
  using namespace epochcore;
  std::vector<uint8_t> bytes(stream.size() * cmd::kRecordBytes);
  for (size_t i = 0; i < stream.size(); ++i) cmd::pack(stream[i], &bytes[i * cmd::kRecordBytes]);
  hal.mem_write(stream_addr, bytes.data(), bytes.size());
  fw::JobResult r;
  const fw::DriverStatus st = drv.run(stream_addr, uint32_t(bytes.size()), &r);
  if (status) *status = st;
  return r;
}

template <class Program>
std::vector<std::unique_ptr<epochcore::Soc>> run_socs(const std::vector<epochcore::Scenario>& scenarios,
                                                      Program program) {
  using namespace epochcore;
  std::vector<std::unique_ptr<Soc>> socs;
  int running = int(scenarios.size());
  for (size_t i = 0; i < scenarios.size(); ++i) {
    socs.emplace_back(new Soc(("soc" + std::to_string(i)).c_str(), scenarios[i]));
    Soc& soc = *socs.back();
    soc.host().program = [&program, &soc, i](fw::Hal& hal) { program(i, soc, hal); };
    soc.host().on_exit = [&running] {
      if (--running == 0) sc_core::sc_stop();
    };
  }
  try {
    sc_core::sc_start();
  } catch (const std::exception& e) {
    std::printf("exception: %s\n", e.what());
    g_failed++;
  }
  for (const auto& soc : socs) check_soc_protocol(*soc);
  return socs;
}

}  // namespace ec_test
