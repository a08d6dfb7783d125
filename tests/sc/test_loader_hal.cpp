// LoaderHal (platform/soc/loader_hal.h) on the SoC: the model compiler writes a compiled
// image through the loader's back door (no simulated time), the host driver's firmware
// runs it with run_model_image, and s4_model_collect reads the logits back through the
// back door. The logits bytes and every stage's cycles equal s4_model_run's (which
// compiles through the host driver's timed HAL).
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/compiler/s4_model.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/runner/model_runner.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/platform/soc/loader_hal.h"
#include "epochcore/platform/soc/soc.h"
#include "sc_harness.h"

using namespace epochcore;

namespace {

Scenario small_scenario() {
  Scenario s;
  s.array.rows = 4;
  s.array.cols = 8;
  s.spad_input = {64, 8, 1};
  s.spad_param = {64, 8, 1};
  s.spad_output = {64, 8, 1};
  s.memory.size_mib = 4;
  s.run.check_protocol = true;
  return s;
}

S4ModelDesc small_model() {
  S4ModelDesc d;
  d.task = "debug_hal_test";
  d.input = InputKind::Tokens;
  d.d_input = 5;
  d.H = 8;
  d.M = 2;
  d.L = 20;
  d.n_layers = 2;
  d.bidirectional = true;
  d.classes = 3;
  return d;
}

void program(Soc& soc, fw::Hal& hal) {
  fw::Driver driver(hal);
  fw::AccelInfo info;
  EC_CHECK(driver.probe(&info) == fw::DriverStatus::OK);
  const S4ModelDesc d = small_model();
  const S4ModelWeights w = s4_model_init(d, 3);
  const uint32_t B = 2;
  std::vector<double> inputs(size_t(B) * d.L);
  for (size_t i = 0; i < inputs.size(); ++i) inputs[i] = double((i * 7 + 3) % d.d_input);
  fw::S4ModelJob job;
  job.desc = &d;
  job.weights = &w;
  job.B = B;
  job.inputs = inputs.data();
  job.mem_base = 0x1000;
  job.mem_bytes = soc.memory_bytes() - job.mem_base;

  // Reference: compile and run through the host driver's HAL.
  fw::S4ModelResult direct;
  EC_CHECK_INFO(fw::s4_model_run(hal, driver, info, job, &direct), direct.message);

  // Wipe the region, then compile through the back door: no simulated time passes.
  LoaderHal debug(soc);
  std::vector<uint8_t> zeros(1 << 16, 0);
  for (uint64_t a = job.mem_base; a < soc.memory_bytes(); a += zeros.size())
    EC_CHECK(debug.mem_write(a, zeros.data(), std::min<uint64_t>(zeros.size(), soc.memory_bytes() - a)) ==
             fw::HalStatus::OK);
  const sc_core::sc_time t0 = sc_core::sc_time_stamp();
  const uint64_t transactions0 = soc.memory().transactions();
  fw::S4ModelImage image;
  std::string why;
  EC_CHECK_INFO(fw::s4_model_compile(debug, info, job, &image, &why), why);
  EC_CHECK(sc_core::sc_time_stamp() == t0);
  EC_CHECK(soc.memory().transactions() == transactions0);  // debug transport is not counted
  // Registers through the back door too (the platform's probe before the firmware runs).
  uint32_t reg = 0;
  EC_CHECK(debug.reg_read(regs::ID, &reg) == fw::HalStatus::OK);
  EC_CHECK(reg == regs::kIdValue);
  // The image's table through the timed HAL reads the same as through the back door.
  ec_model_image_header h1, h2;
  EC_CHECK(debug.mem_read(image.table_addr, &h1, sizeof h1) == fw::HalStatus::OK);
  EC_CHECK(hal.mem_read(image.table_addr, &h2, sizeof h2) == fw::HalStatus::OK);
  EC_CHECK(std::memcmp(&h1, &h2, sizeof h1) == 0);
  EC_CHECK(h1.magic == EC_MODEL_IMAGE_MAGIC && h1.stages == 2 + 2 * d.n_layers);

  // The firmware half only walks the table.
  std::unique_ptr<ec_fw_result> run(new ec_fw_result());
  EC_CHECK_INFO(fw::run_model_image(hal, driver, image.table_addr, run.get()), run->message);
  fw::S4ModelResult collected;
  EC_CHECK_INFO(fw::s4_model_collect(debug, image, *run, &collected), collected.message);
  EC_CHECK(collected.logits.size() == direct.logits.size() && !direct.logits.empty());
  EC_CHECK(collected.logits.size() == direct.logits.size() &&
           std::memcmp(collected.logits.data(), direct.logits.data(), direct.logits.size() * 8) == 0);
  EC_CHECK(collected.cycles == direct.cycles);
  EC_CHECK(collected.stages.size() == direct.stages.size());
  for (size_t i = 0; i < collected.stages.size() && i < direct.stages.size(); ++i) {
    EC_CHECK_INFO(collected.stages[i].name == direct.stages[i].name, collected.stages[i].name);
    EC_CHECK_INFO(collected.stages[i].job.cycles == direct.stages[i].job.cycles, collected.stages[i].name);
    EC_CHECK(collected.stages[i].commands == direct.stages[i].commands);
  }
}

}  // namespace

int sc_main(int, char**) {
  return ec_test::run_testbench("test_loader_hal", [] {
    Soc soc("soc", small_scenario());
    soc.host().program = [&](fw::Hal& hal) { program(soc, hal); };
    soc.host().on_exit = [] { sc_core::sc_stop(); };
    sc_core::sc_start();
    ec_test::check_soc_protocol(soc);
  });
}
