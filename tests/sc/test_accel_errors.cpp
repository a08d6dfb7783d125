// Testbench: software mistakes against the accelerator. Bad commands set the error
// status with the command index and raise the interrupt; bad register accesses get TLM
// error responses; nothing crashes, and a good stream runs afterwards.
#include <cmath>
#include <cstdlib>
#include <vector>

#include <systemc>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/soc/soc.h"
#include "soc_bench.h"

using namespace epochcore;
using namespace epochcore::cmd;
using regs::ErrorCause;

namespace {

constexpr uint64_t kStreamAddr = 0x10000;
constexpr uint64_t kDataAddr = 0x20000;

Scenario small_scenario() {
  Scenario s;
  s.array.rows = 4;
  s.array.cols = 8;
  s.spad_input = {16, 8, 1};
  s.spad_param = {8, 8, 1};
  s.spad_output = {16, 8, 1};
  s.memory.size_mib = 4;
  s.run.check_protocol = true;
  return s;
}

fw::JobResult run_stream(fw::Hal& hal, fw::Driver& drv, const std::vector<Record>& stream,
                         fw::DriverStatus* status = nullptr) {
  return ec_test::run_stream(hal, drv, stream, kStreamAddr, status);
}

DmaDesc dma_to_input(uint64_t sys, uint32_t spad_addr, uint32_t bytes) {
  DmaDesc d;
  d.sys_addr = sys;
  d.spad = SpadId::INPUT;
  d.spad_addr = spad_addr;
  d.row_bytes = bytes;
  d.rows = 1;
  return d;
}

void expect_error(fw::Hal& hal, fw::Driver& drv, const std::vector<Record>& stream, ErrorCause cause,
                  uint32_t index, const char* what) {
  fw::DriverStatus st;
  const fw::JobResult r = run_stream(hal, drv, stream, &st);
  EC_CHECK_INFO(st == fw::DriverStatus::JOB_ERROR, what);
  EC_CHECK_INFO(!r.ok, what);
  EC_CHECK_INFO(r.cause == cause, std::string(what) + ": got " + regs::error_cause_name(r.cause));
  EC_CHECK_INFO(r.cmd_index == index, std::string(what) + ": index " + std::to_string(r.cmd_index));
  uint32_t status = 0;
  hal.reg_read(regs::STATUS, &status);
  EC_CHECK_INFO(status == regs::STATUS_ERROR, what);
}

void program(Soc& soc, fw::Hal& hal) {
  fw::Driver drv(hal);
  fw::AccelInfo info;
  EC_CHECK(drv.probe(&info) == fw::DriverStatus::OK);
  EC_CHECK(info.rows == 4 && info.cols == 8 && info.segments);
  EC_CHECK(info.spad_bytes[0] == 16 * 1024 && info.spad_banks[0] == 8);

  // Register accesses that software gets wrong: TLM error responses, no crash.
  uint32_t v = 0;
  EC_CHECK(hal.reg_read(0x0FC, &v) == fw::HalStatus::BUS_ERROR);        // unmapped in the window
  EC_CHECK(hal.reg_read(0x200, &v) == fw::HalStatus::BUS_ERROR);        // outside the window
  EC_CHECK(hal.reg_read(regs::STATUS + 2, &v) == fw::HalStatus::BUS_ERROR);  // misaligned
  EC_CHECK(hal.reg_write(regs::ID, 0) == fw::HalStatus::BUS_ERROR);     // read-only
  uint8_t byte = 0;
  EC_CHECK(hal.mem_read(kCsrBase + regs::ID, &byte, 1) == fw::HalStatus::BUS_ERROR);  // 1-byte access
  EC_CHECK(hal.reg_read(regs::ID, &v) == fw::HalStatus::OK && v == regs::kIdValue);
  EC_CHECK(hal.reg_read(regs::DOORBELL, &v) == fw::HalStatus::OK && v == 0);  // write-only reads 0
  EC_CHECK(hal.mem_read(0x3000'0000, &v, 4) == fw::HalStatus::BUS_ERROR);     // unmapped system address

  // A protocol violation on the SoC's bus is caught, reported as /epochcore/tlm_protocol
  // (thrown with the default actions, before it reaches the memory) and counted.
  const uint64_t violations_before = soc.protocol_violations();
  std::string msg_type, msg;
  try {
    soc.debug_write(kDataAddr, nullptr, 4);  // debug transport with a length but no data
  } catch (const sc_core::sc_report& r) {
    msg_type = r.get_msg_type();
    msg = r.get_msg();
  }
  ec_test::expected_violations() += soc.protocol_violations() - violations_before;
  EC_CHECK_INFO(msg_type == epochcore::kProtocolMsgType && msg.find("[11.3.4 b]") != std::string::npos &&
                    msg.find("soc.check_loader") != std::string::npos, msg);
  EC_CHECK(soc.protocol_violations() - violations_before == 1);

  // Bad commands: error status, cause, index, interrupt.
  Record unknown;
  unknown.w[0] = 0x7F;
  expect_error(hal, drv, {encode_nop(), encode_barrier(), unknown, encode_end()}, ErrorCause::UNKNOWN_OPCODE,
               2, "unknown opcode");
  expect_error(hal, drv, {encode_dma(true, dma_to_input(kDataAddr, 16 * 1024 - 64, 128)), encode_end()},
               ErrorCause::BAD_SPAD_ADDRESS, 0, "DMA past the input scratchpad");
  DmaDesc bad_id = dma_to_input(kDataAddr, 0, 64);
  bad_id.spad = SpadId(5);
  expect_error(hal, drv, {encode_nop(), encode_dma(true, bad_id), encode_end()}, ErrorCause::BAD_SPAD_ID, 1,
               "bad scratchpad id");
  // DMA from outside system memory (4 MiB): a bus error reported against that command.
  expect_error(hal, drv,
               {encode_nop(), encode_dma(true, dma_to_input(4u << 20, 0, 256)), encode_barrier(), encode_end()},
               ErrorCause::DMA_BUS_ERROR, 1, "DMA outside system memory");
  expect_error(hal, drv, {encode_dma(false, [] { auto d = dma_to_input(0x3000'0000, 0, 64); d.spad = SpadId::OUTPUT; return d; }()), encode_end()},
               ErrorCause::DMA_BUS_ERROR, 0, "DMA out to an unmapped address");
  RunSsm run;
  run.length = 16;
  expect_error(hal, drv, {encode_run_ssm(run), encode_end()}, ErrorCause::BAD_FIELD, 0, "RUN_SSM before LOAD_COEFFS");
  expect_error(hal, drv, {encode_load_coeffs({0, 33, 1}), encode_end()}, ErrorCause::BAD_FIELD, 0,
               "more segments than the array holds");
  // Per-segment direction on an accelerator without the option (the default scenario).
  expect_error(hal, drv, {encode_nop(), encode_load_coeffs({0, 4, 2, 2}), encode_end()}, ErrorCause::BAD_FIELD, 1,
               "LOAD_COEFFS rev_segs without HW_FEATURES.SEGMENT_DIRECTION");
  expect_error(hal, drv, {encode_load_coeffs({0, 4, 2}), encode_barrier(), [] {
                 RunSsm r;
                 r.length = 16;
                 r.in_stride = r.out_stride = 64;
                 r.rev_length = 15;
                 return encode_run_ssm(r);
               }(), encode_end()},
               ErrorCause::BAD_FIELD, 2, "RUN_SSM rev_length without HW_FEATURES.SEGMENT_DIRECTION");
  expect_error(hal, drv, {encode_load_coeffs({0, 4, 2}), encode_barrier(), [] {
                 RunSsm r;
                 r.length = 4096;  // 4 segments x 16 KiB > 16 KiB
                 r.in_stride = r.out_stride = 4 * 4096;
                 return encode_run_ssm(r);
               }(), encode_end()},
               ErrorCause::BAD_SPAD_ADDRESS, 2, "RUN_SSM outside the input scratchpad");
  expect_error(hal, drv, {encode_nop(), encode_nop()}, ErrorCause::MISSING_END, 2, "stream without END");

  // Stream length and address errors, programmed by hand.
  hal.reg_write(regs::CMD_BASE_LO, uint32_t(kStreamAddr));
  hal.reg_write(regs::CMD_BASE_HI, 0);
  hal.reg_write(regs::CMD_LEN, 20);
  hal.reg_write(regs::DOORBELL, 1);
  hal.wait_for_interrupt();
  hal.reg_read(regs::ERR_CAUSE, &v);
  EC_CHECK(v == uint32_t(ErrorCause::BAD_STREAM_LENGTH));
  hal.reg_read(regs::ERR_CMD_INDEX, &v);
  EC_CHECK(v == 0xFFFFFFFFu);
  hal.reg_read(regs::IRQ_STATUS, &v);
  EC_CHECK(v == regs::IRQ_ERROR);
  hal.reg_write(regs::IRQ_STATUS, regs::IRQ_ERROR);  // write 1 to clear
  hal.reg_read(regs::IRQ_STATUS, &v);
  EC_CHECK(v == 0);
  EC_CHECK(!soc.accel().irq.read());

  hal.reg_write(regs::CMD_BASE_LO, 0x3F00'0000);  // stream outside memory
  hal.reg_write(regs::CMD_LEN, 64);
  hal.reg_write(regs::DOORBELL, 1);
  hal.wait_for_interrupt();
  hal.reg_read(regs::ERR_CAUSE, &v);
  EC_CHECK(v == uint32_t(ErrorCause::CMD_FETCH_ERROR));
  hal.reg_read(regs::ERR_CMD_INDEX, &v);
  EC_CHECK(v == 0);
  hal.reg_write(regs::IRQ_STATUS, 0xFFFFFFFF);

  // Streams at the end of memory (4 MiB): the 8-record fetch burst crosses the end, but
  // the records before the boundary are readable and execute; the stream stops at the
  // first unreadable record (CMD_FETCH_ERROR, its index) or at END before it.
  {
    constexpr uint64_t kMemEnd = 4u << 20;
    struct Outcome {
      uint32_t status = 0, cause = 0, index = 0, done = 0;
    };
    auto ring = [&](uint64_t base, const std::vector<Record>& records, uint32_t len) {
      std::vector<uint8_t> bytes(records.size() * kRecordBytes);
      for (size_t i = 0; i < records.size(); ++i) pack(records[i], &bytes[i * kRecordBytes]);
      if (!bytes.empty()) EC_CHECK(hal.mem_write(base, bytes.data(), bytes.size()) == fw::HalStatus::OK);
      hal.reg_write(regs::IRQ_ENABLE, regs::IRQ_DONE | regs::IRQ_ERROR);
      hal.reg_write(regs::CMD_BASE_LO, uint32_t(base));
      hal.reg_write(regs::CMD_BASE_HI, uint32_t(base >> 32));
      hal.reg_write(regs::CMD_LEN, len);
      hal.reg_write(regs::DOORBELL, 1);
      hal.wait_for_interrupt();
      Outcome o;
      hal.reg_read(regs::STATUS, &o.status);
      hal.reg_read(regs::ERR_CAUSE, &o.cause);
      hal.reg_read(regs::ERR_CMD_INDEX, &o.index);
      hal.reg_read(regs::CMD_DONE, &o.done);
      hal.reg_write(regs::IRQ_STATUS, regs::IRQ_DONE | regs::IRQ_ERROR);
      return o;
    };
    auto info = [](const char* what, const Outcome& o) {
      return std::string(what) + ": status " + std::to_string(o.status) + " cause " +
             regs::error_cause_name(ErrorCause(o.cause)) + " index " + std::to_string(o.index) +
             " done " + std::to_string(o.done);
    };
    // NOP, NOP, END in the last 3 records of memory; CMD_LEN says 8 records.
    Outcome o = ring(kMemEnd - 3 * kRecordBytes, {encode_nop(), encode_nop(), encode_end()}, 8 * kRecordBytes);
    EC_CHECK_INFO(o.status == regs::STATUS_DONE && o.cause == 0 && o.done == 3, info("END before the end of memory", o));
    // Without END: stops at record 3, the first past the end, after the 3 before it.
    o = ring(kMemEnd - 3 * kRecordBytes, {encode_nop(), encode_nop(), encode_nop()}, 8 * kRecordBytes);
    EC_CHECK_INFO(o.status == regs::STATUS_ERROR && o.cause == uint32_t(ErrorCause::CMD_FETCH_ERROR) &&
                      o.index == 3 && o.done == 3,
                  info("fetch crossing the end of memory", o));
    // The boundary inside the second burst: 10 readable records, 16 asked for.
    {
      std::vector<Record> s(9, encode_nop());
      s.push_back(encode_dma(true, dma_to_input(kDataAddr, 0, 64)));
      o = ring(kMemEnd - 10 * kRecordBytes, s, 16 * kRecordBytes);
      EC_CHECK_INFO(o.status == regs::STATUS_ERROR && o.cause == uint32_t(ErrorCause::CMD_FETCH_ERROR) &&
                        o.index == 10 && o.done == 10,
                    info("fetch crossing the end of memory in the second burst", o));
    }
    // A stream that is whole in memory but whose last burst is short still runs (the
    // burst is min(8, records left)): 11 records ending exactly at the end of memory.
    {
      std::vector<Record> s(10, encode_nop());
      s.push_back(encode_end());
      o = ring(kMemEnd - 11 * kRecordBytes, s, 11 * kRecordBytes);
      EC_CHECK_INFO(o.status == regs::STATUS_DONE && o.done == 11, info("stream ending at the end of memory", o));
    }
    // Nothing readable: index 0, nothing done.
    o = ring(kMemEnd, {}, 2 * kRecordBytes);
    EC_CHECK_INFO(o.status == regs::STATUS_ERROR && o.cause == uint32_t(ErrorCause::CMD_FETCH_ERROR) &&
                      o.index == 0 && o.done == 0,
                  info("stream past the end of memory", o));

    // CMD_BASE must be 8-byte aligned: the doorbell refuses another base, before fetching.
    o = ring(kStreamAddr + 4, {encode_end()}, kRecordBytes);
    EC_CHECK_INFO(o.status == regs::STATUS_ERROR && o.cause == uint32_t(ErrorCause::BAD_STREAM_ADDRESS) &&
                      o.index == EC_ERR_INDEX_NONE && o.done == 0,
                  info("misaligned CMD_BASE", o));
    o = ring(kStreamAddr + 1, {}, kRecordBytes);
    EC_CHECK_INFO(o.cause == uint32_t(ErrorCause::BAD_STREAM_ADDRESS), info("CMD_BASE + 1", o));
    // CMD_LEN is checked first.
    o = ring(kStreamAddr + 4, {}, 20);
    EC_CHECK_INFO(o.cause == uint32_t(ErrorCause::BAD_STREAM_LENGTH) && o.index == EC_ERR_INDEX_NONE,
                  info("misaligned CMD_BASE and a bad CMD_LEN", o));
    // 8-byte aligned (not 32) is enough.
    o = ring(kStreamAddr + 8, {encode_nop(), encode_end()}, 2 * kRecordBytes);
    EC_CHECK_INFO(o.status == regs::STATUS_DONE && o.done == 2, info("8-byte aligned CMD_BASE", o));
    hal.reg_write(regs::CMD_BASE_HI, 0);
  }

  // With the interrupt disabled the line stays low, the status still shows the outcome.
  hal.reg_write(regs::IRQ_ENABLE, 0);
  hal.reg_write(regs::CMD_BASE_LO, uint32_t(kStreamAddr));
  {
    uint8_t rec[kRecordBytes];
    pack(encode_end(), rec);
    hal.mem_write(kStreamAddr, rec, kRecordBytes);
  }
  hal.reg_write(regs::CMD_LEN, 32);
  hal.reg_write(regs::DOORBELL, 1);
  sc_core::wait(sc_core::sc_time(2, sc_core::SC_US));
  EC_CHECK(!soc.accel().irq.read());
  hal.reg_read(regs::STATUS, &v);
  EC_CHECK(v == regs::STATUS_DONE);
  hal.reg_read(regs::IRQ_STATUS, &v);
  EC_CHECK(v == regs::IRQ_DONE);
  hal.reg_write(regs::IRQ_STATUS, regs::IRQ_DONE);

  // A doorbell while busy gets an error response and leaves the running stream alone.
  {
    std::vector<Record> s;
    for (int i = 0; i < 8; ++i) s.push_back(encode_dma(true, dma_to_input(kDataAddr, 0, 16 * 1024)));
    s.push_back(encode_end());
    std::vector<uint8_t> bytes(s.size() * kRecordBytes);
    for (size_t i = 0; i < s.size(); ++i) pack(s[i], &bytes[i * kRecordBytes]);
    hal.mem_write(kStreamAddr, bytes.data(), bytes.size());
    EC_CHECK(drv.submit(kStreamAddr, uint32_t(bytes.size())) == fw::DriverStatus::OK);
    EC_CHECK(hal.reg_write(regs::DOORBELL, 1) == fw::HalStatus::BUS_ERROR);
    hal.reg_read(regs::STATUS, &v);
    EC_CHECK(v == regs::STATUS_BUSY);
    fw::JobResult r;
    EC_CHECK(drv.wait(&r) == fw::DriverStatus::OK);
    EC_CHECK(r.ok);
    EC_CHECK(r.commands_done == 9);
    EC_CHECK_INFO(r.cycles > 8 * 16 * 1024 / 64, std::to_string(r.cycles));  // at least the DMA datapath time
  }

  // After all that, a real layer runs and is right.
  S4dParams p = s4d_init(6, 3, "s4d_lin", 1e-3, 1e-1, 7);
  const uint32_t L = 40;
  std::vector<float> u = seeded_input(1, 6, L, 8);
  const std::vector<uint8_t> block = fw::encode_s4d_param_block(p);
  hal.mem_write(kDataAddr, block.data(), block.size());
  const uint64_t in_addr = 0x40000, out_addr = 0x50000;
  hal.mem_write(in_addr, u.data(), u.size() * 4);
  fw::S4dLayerJob job;
  job.H = 6;
  job.M = 3;
  job.L = L;
  job.B = 1;
  job.params_addr = kDataAddr;
  job.input_addr = in_addr;
  job.output_addr = out_addr;
  job.workspace_addr = 0x100000;
  job.workspace_bytes = 0x100000;
  fw::S4dLayerResult res;
  EC_CHECK_INFO(fw::s4d_layer_run(hal, drv, info, job, &res), res.message);
  std::vector<float> y(u.size());
  hal.mem_read(out_addr, y.data(), y.size() * 4);
  std::vector<double> ud(u.begin(), u.end());
  const std::vector<double> ref = s4d_recurrence(p, ud.data(), 1, L);
  const ErrorStats e = compare_to_reference(y.data(), ref.data(), ref.size());
  EC_CHECK_INFO(e.max_rel <= 1e-5, std::to_string(e.max_rel) + " worst " + std::to_string(e.worst_index) + " y " + std::to_string(y[e.worst_index]) + " ref " + std::to_string(ref[e.worst_index]) + " y0 " + std::to_string(y[0]) + " ref0 " + std::to_string(ref[0]));

  // Soft reset clears the status and the counters.
  hal.reg_write(regs::CTRL, regs::CTRL_SOFT_RESET);
  hal.reg_read(regs::STATUS, &v);
  EC_CHECK(v == 0);
  hal.reg_read(regs::CYCLE_LO, &v);
  EC_CHECK(v == 0);
}

}  // namespace

int sc_main(int, char**) {
  return ec_test::run_testbench("test_accel_errors", [] {
    Soc soc("soc", small_scenario());
    soc.host().program = [&](fw::Hal& hal) { program(soc, hal); };
    soc.host().on_exit = [] { sc_core::sc_stop(); };
    sc_core::sc_start();
    ec_test::check_soc_protocol(soc);
  });
}
