// Testbench: hostile software against the platform SoC (docs/robustness.md). Random
// register accesses of every size (1, 2, 4, 8, 16 bytes), alignment, command (read,
// write, ignore) and byte-enable use, in and beyond the CSR window; random command
// streams (random records, valid-looking records with bad fields, truncated streams,
// streams at the end of memory, in unmapped space, in the CSR and scratchpad windows,
// wrapping the address space); doorbells, soft resets and random accesses while busy.
// After every step the documented invariants must hold:
//   - nothing crashes or aborts; every bad register access gets a TLM error response
//     (the documented one when it breaks exactly one rule) and changes nothing;
//   - STATUS is 0, BUSY, DONE or ERROR (one bit at most, no other bit);
//   - the irq line == (IRQ_STATUS & IRQ_ENABLE) != 0;
//   - ERR_CAUSE is a documented cause, non-zero exactly when STATUS.ERROR;
//   - CMD_DONE <= the stream's records, ERR_CMD_INDEX <= records (or 0xFFFFFFFF);
//   - no stream runs forever;
//   - after any error, a soft reset and a known-good stream give bit-identical output
//     bytes and the same cycle count as on the fresh accelerator.
// Arguments: --seed N (default 1), --streams N (default 1000), --accesses N (random
// register accesses between streams, default 4). The CI run uses the defaults; the long
// run is documented in docs/robustness.md.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/models/memory/spad_map.h"
#include "epochcore/platform/soc/soc.h"
#include "sc_harness.h"

using namespace epochcore;
using namespace epochcore::cmd;
using regs::ErrorCause;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

struct Options {
  uint64_t seed = 1;
  uint64_t streams = 1000;
  uint64_t accesses = 4;
};

constexpr uint64_t kStreamAddr = 0x10000;
constexpr uint64_t kGoodStreamAddr = 0x8000;
constexpr uint64_t kGoodParamAddr = 0x20000;  // coefficient records, then the GEMM weights
constexpr uint64_t kGoodInputAddr = 0x24000;
constexpr uint64_t kGoodOutputAddr = 0x28000;
constexpr uint32_t kGoodOutputBytes = 0x1000;
constexpr uint32_t kMemMiB = 4;
constexpr uint64_t kMemBytes = uint64_t(kMemMiB) << 20;
constexpr uint32_t kSpadBytes[3] = {16 * 1024, 8 * 1024, 16 * 1024};
const sc_time kStreamTimeout(100, sc_core::SC_MS);  // far beyond the longest legal stream here

Scenario hostile_scenario() {
  Scenario s;
  s.array.rows = 4;
  s.array.cols = 8;
  s.spad_input = {16, 8, 1};
  s.spad_param = {8, 8, 1};
  s.spad_output = {16, 8, 1};
  s.memory.size_mib = kMemMiB;
  s.run.check_protocol = true;
  return s;
}

struct Stats {
  uint64_t streams = 0, stream_done = 0, stream_error = 0, accesses = 0, busy_accesses = 0,
           recoveries = 0, hostile_jobs = 0;
};

class Hostile {
 public:
  Hostile(Soc& soc, fw::Hal& hal, const Options& o) : soc_(soc), hal_(hal), opt_(o), rng_(o.seed) {}

  void run();
  Stats stats;

 private:
  // --- random numbers
  uint32_t u32() { return uint32_t(rng_()); }
  uint64_t u64() { return rng_(); }
  uint32_t below(uint32_t n) { return n ? uint32_t(rng_() % n) : 0; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  // --- register access
  uint32_t dbg(uint32_t offset) {
    uint32_t v = 0;
    EC_CHECK_INFO(soc_.debug_read(kCsrBase + offset, &v, 4), "debug read of " + std::to_string(offset));
    return v;
  }
  tlm::tlm_response_status raw(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
                               unsigned char* be, unsigned be_len);
  bool busy() { return dbg(regs::STATUS) & regs::STATUS_BUSY; }
  void note_doorbell() {
    const uint32_t len = dbg(regs::CMD_LEN);
    records_ = len / kRecordBytes;
  }

  // --- steps
  void check_invariants(const std::string& step);
  void random_access(const std::string& step);
  void random_stream();
  void wait_idle(const std::string& step, bool hostile_while_busy);
  void recover_and_compare(const std::string& step);
  void run_good(std::vector<uint8_t>* out, uint64_t* cycles, uint32_t* status, uint32_t* cmd_done);

  // --- records
  Record random_record();
  uint32_t spad_addr(int spad);
  uint64_t sys_addr();

  Soc& soc_;
  fw::Hal& hal_;
  Options opt_;
  std::mt19937_64 rng_;
  uint64_t records_ = 0;  // records of the last stream started (CMD_LEN / 32 at the doorbell)
  bool hung_ = false;
  std::vector<uint8_t> ref_out_;
  uint64_t ref_cycles_ = 0;
  uint32_t good_records_ = 0;
};

tlm::tlm_response_status Hostile::raw(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned len,
                                      unsigned char* be, unsigned be_len) {
  tlm::tlm_generic_payload tx;
  ec_test::init_payload(tx, cmd, addr, data, len);
  if (be) {
    tx.set_byte_enable_ptr(be);
    tx.set_byte_enable_length(be_len);
  }
  sc_time delay = sc_core::SC_ZERO_TIME;
  soc_.host().socket->b_transport(tx, delay);
  sc_core::wait(delay);
  ++stats.accesses;
  return tx.get_response_status();
}

void Hostile::check_invariants(const std::string& step) {
  // The irq level follows the registers one delta cycle after they change: compare when
  // the registers are the same before and after two delta cycles.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const uint32_t before = dbg(regs::IRQ_STATUS) & dbg(regs::IRQ_ENABLE);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    sc_core::wait(sc_core::SC_ZERO_TIME);
    const uint32_t after = dbg(regs::IRQ_STATUS) & dbg(regs::IRQ_ENABLE);
    if (before != after) continue;
    EC_CHECK_INFO(soc_.irq_signal().read() == (after != 0),
                  step + ": irq " + std::to_string(soc_.irq_signal().read()) + ", IRQ_STATUS & IRQ_ENABLE " +
                      std::to_string(after));
    break;
  }
  const uint32_t status = dbg(regs::STATUS);
  const uint32_t cause = dbg(regs::ERR_CAUSE);
  const uint32_t index = dbg(regs::ERR_CMD_INDEX);
  const uint32_t done = dbg(regs::CMD_DONE);
  const uint32_t irq_status = dbg(regs::IRQ_STATUS);
  const uint32_t irq_enable = dbg(regs::IRQ_ENABLE);
  const std::string info = step + ": STATUS " + std::to_string(status) + " ERR_CAUSE " + std::to_string(cause) +
                           " ERR_CMD_INDEX " + std::to_string(index) + " CMD_DONE " + std::to_string(done) +
                           " records " + std::to_string(records_);
  EC_CHECK_INFO(status == 0 || status == regs::STATUS_BUSY || status == regs::STATUS_DONE ||
                    status == regs::STATUS_ERROR,
                info);
  bool documented = false;
  for (size_t i = 0; i < regs::kNumErrorCauses; ++i)
    if (uint32_t(regs::kErrorCauses[i].cause) == cause) documented = true;
  EC_CHECK_INFO(documented, info);
  EC_CHECK_INFO((status == regs::STATUS_ERROR) == (cause != uint32_t(ErrorCause::NONE)), info);
  if (status == regs::STATUS_ERROR) EC_CHECK_INFO(index == 0xFFFFFFFFu || index <= records_, info);
  EC_CHECK_INFO(done <= records_, info);
  EC_CHECK_INFO((irq_status & ~uint32_t(regs::IRQ_DONE | regs::IRQ_ERROR)) == 0, info);
  EC_CHECK_INFO((irq_enable & ~uint32_t(regs::IRQ_DONE | regs::IRQ_ERROR)) == 0, info);
}

// One random access to the CSR window or around it; checks the response against the
// access rules of docs/registers.md and, when idle, that a refused access changed nothing.
void Hostile::random_access(const std::string& step) {
  uint64_t off;
  const uint32_t where = below(100);
  if (where < 75) off = below(0x60);                 // the registers
  else if (where < 88) off = 0x60 + below(0xB0);     // unnamed offsets, the window's end
  else if (where < 95) off = 0x100 + below(0x1000);  // beyond the window
  else off = uint64_t(0) - kCsrBase + u32();           // anywhere (wraps around kCsrBase)
  static const unsigned kSizes[] = {1, 2, 4, 4, 4, 4, 8, 16, 3};
  const unsigned len = kSizes[below(sizeof kSizes / sizeof kSizes[0])];
  if (chance(0.8) && len <= 4) off &= ~uint64_t(len - 1) | (chance(0.1) ? 1 : 0);
  const uint32_t c = below(100);
  const tlm::tlm_command cmd = c < 45 ? tlm::TLM_READ_COMMAND : c < 92 ? tlm::TLM_WRITE_COMMAND : tlm::TLM_IGNORE_COMMAND;
  const bool use_be = chance(0.06);
  unsigned char data[16], be[16];
  uint32_t value = u32();
  if (off == regs::DOORBELL || off == regs::CTRL) value = chance(0.7) ? 1 : value;
  if (off == regs::CMD_LEN && chance(0.5)) value = kRecordBytes * below(12);
  if (off == regs::CMD_BASE_HI && chance(0.7)) value = 0;
  if (off == regs::CMD_BASE_LO && chance(0.5)) value = uint32_t(kStreamAddr);
  for (unsigned i = 0; i < 16; ++i) data[i] = uint8_t(value >> (8 * (i % 4)));
  for (unsigned i = 0; i < 16; ++i) be[i] = chance(0.5) ? 0xFF : 0x00;

  const bool idle = !busy();
  uint32_t snapshot[regs::kCsrWindowBytes / 4];
  if (idle)
    for (uint32_t r = 0; r < regs::kCsrWindowBytes / 4; ++r)
      if (regs::find_register(4 * r)) snapshot[r] = dbg(4 * r);
  const bool is_doorbell_1 = cmd == tlm::TLM_WRITE_COMMAND && off == regs::DOORBELL && len == 4 && !use_be && value == 1;
  uint32_t len_before = dbg(regs::CMD_LEN);
  const tlm::tlm_response_status st = raw(cmd, kCsrBase + off, data, len, use_be ? be : nullptr, len);
  if (!idle) ++stats.busy_accesses;

  const std::string info = step + ": " + (cmd == tlm::TLM_READ_COMMAND ? "read" : cmd == tlm::TLM_WRITE_COMMAND ? "write" : "ignore") +
                           " offset " + std::to_string(off) + " length " + std::to_string(len) +
                           (use_be ? " with byte enables" : "") + ": " + std::to_string(int(st));
  EC_CHECK_INFO(st != tlm::TLM_INCOMPLETE_RESPONSE, info);
  const bool in_window = off < regs::kCsrWindowBytes;
  const bool aligned = off % 4 == 0;
  const regs::RegisterInfo* reg = in_window && aligned ? regs::find_register(uint32_t(off)) : nullptr;
  const bool ro_write = cmd == tlm::TLM_WRITE_COMMAND && reg && reg->access == regs::Access::RO;
  const int rules_broken = (len != 4) + use_be + !reg + ro_write;
  if (cmd == tlm::TLM_IGNORE_COMMAND || rules_broken > 0) {
    // Outside the window the access may land in memory or the scratchpad window.
    const uint64_t addr = kCsrBase + off;
    const bool elsewhere = !in_window && (addr < kMemBytes || (addr >= kSpadWindowBase &&
                                                               addr < kSpadWindowBase + 3 * kSpadWindowBytes));
    if (cmd != tlm::TLM_IGNORE_COMMAND && !elsewhere) EC_CHECK_INFO(st != tlm::TLM_OK_RESPONSE, info);
    if (rules_broken == 1 && cmd != tlm::TLM_IGNORE_COMMAND && in_window) {
      if (len != 4) EC_CHECK_INFO(st == tlm::TLM_BURST_ERROR_RESPONSE, info);
      if (use_be) EC_CHECK_INFO(st == tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, info);
      if (!reg) EC_CHECK_INFO(st == tlm::TLM_ADDRESS_ERROR_RESPONSE, info);
      if (ro_write) EC_CHECK_INFO(st == tlm::TLM_COMMAND_ERROR_RESPONSE, info);
    }
    if (idle)  // nothing changed (CYCLE_HI too: only a good CYCLE_LO read latches it)
      for (uint32_t r = 0; r < regs::kCsrWindowBytes / 4; ++r)
        if (regs::find_register(4 * r))
          EC_CHECK_INFO(dbg(4 * r) == snapshot[r], info + ": register " + std::to_string(4 * r) + " changed");
  } else if (cmd == tlm::TLM_READ_COMMAND) {
    EC_CHECK_INFO(st == tlm::TLM_OK_RESPONSE, info);
    const uint32_t got = data[0] | data[1] << 8 | data[2] << 16 | uint32_t(data[3]) << 24;
    if (off == regs::DOORBELL) EC_CHECK_INFO(got == 0, info);
    else if (idle && !busy() && off != regs::CYCLE_LO && off != regs::CYCLE_HI)
      EC_CHECK_INFO(got == dbg(uint32_t(off)), info + ": read " + std::to_string(got));
  } else {
    if (reg->access == regs::Access::RO) EC_CHECK_INFO(st == tlm::TLM_COMMAND_ERROR_RESPONSE, info);
    else if (is_doorbell_1 && !idle) EC_CHECK_INFO(st == tlm::TLM_COMMAND_ERROR_RESPONSE, info);
    else if (!(is_doorbell_1 && idle)) EC_CHECK_INFO(st == tlm::TLM_OK_RESPONSE, info);
    if (is_doorbell_1 && st == tlm::TLM_OK_RESPONSE) {  // software started whatever was programmed
      records_ = len_before / kRecordBytes;
      ++stats.hostile_jobs;
    }
    if (idle && off == regs::CTRL && (value & regs::CTRL_SOFT_RESET)) {
      EC_CHECK_INFO(dbg(regs::STATUS) == 0 && dbg(regs::IRQ_STATUS) == 0 && dbg(regs::CMD_DONE) == 0 &&
                        dbg(regs::ERR_CAUSE) == 0,
                    info + ": soft reset when idle");
      records_ = 0;
    }
    if (!idle && off == regs::CTRL) EC_CHECK_INFO(busy() || dbg(regs::STATUS) != 0, info + ": soft reset while busy");
  }
  check_invariants(info);
}

uint32_t Hostile::spad_addr(int spad) {
  const uint32_t size = kSpadBytes[spad < 3 && spad >= 0 ? spad : 0];
  const uint32_t w = below(100);
  if (w < 80) return 4 * below(size / 4 / 4);   // first quarter, aligned
  if (w < 90) return size - 4 * below(64);      // at the end
  if (w < 95) return below(size) | 1;           // misaligned
  return u32();                                 // anywhere
}

uint64_t Hostile::sys_addr() {
  const uint32_t w = below(100);
  if (w < 70) return 0x40000 + 4 * below(0x20000);                 // data in memory
  if (w < 78) return kMemBytes - 4 * below(128);                   // at the end of memory
  if (w < 83) return 0x3000'0000 + 4 * below(1024);                // unmapped
  if (w < 88) return kSpadWindowBase + 4 * below(0x4000);          // the accelerator's own scratchpads
  if (w < 91) return kCsrBase + 4 * below(64);                     // the CSR window
  if (w < 94) return uint64_t(0) - 4 * (1 + below(64));            // wraps the address space
  if (w < 97) return (uint64_t(u32()) << 32) | u32();
  return 0x40000 + below(0x1000);                                  // misaligned
}

Record Hostile::random_record() {
  Record r;
  const uint32_t kind = below(100);
  if (kind < 12) {  // random words, opcode mostly valid
    for (auto& w : r.w) w = u32();
    if (chance(0.6)) r.w[0] = (r.w[0] & ~0xFFu) | below(10);
    if (chance(0.5)) r.w[0] &= 0x00FFFFFFu;
    return r;
  }
  const uint32_t op = below(100);
  if (op < 8) r = encode_nop();
  else if (op < 16) r = encode_barrier();
  else if (op < 40) {
    DmaDesc d;
    const int spad = chance(0.95) ? int(below(3)) : int(3 + below(253));
    d.spad = SpadId(uint8_t(spad));
    d.sys_addr = sys_addr();
    d.spad_addr = spad_addr(spad);
    d.row_bytes = chance(0.9) ? 4 * (1 + below(256)) : u32() % 70000;
    d.rows = chance(0.7) ? 1 : chance(0.9) ? 1 + below(8) : u32();
    d.sys_stride = chance(0.9) ? d.row_bytes + 4 * below(8) : u32();
    d.spad_stride = chance(0.9) ? d.row_bytes + 4 * below(8) : u32();
    r = encode_dma(chance(0.6), d);
  } else if (op < 52) {
    LoadCoeffs c;
    c.param_addr = chance(0.85) ? 32 * below(64) : spad_addr(1);
    c.n_seg = chance(0.9) ? 1 + below(8) : below(64);
    c.seg_len = chance(0.9) ? 1 + below(8) : below(32);
    r = encode_load_coeffs(c);
  } else if (op < 66) {
    RunSsm c;
    c.flags = uint8_t(chance(0.9) ? below(8) : u32());
    c.length = chance(0.9) ? 1 + below(128) : u32() % 20000;
    c.in_addr = spad_addr(0);
    c.out_addr = spad_addr(2);
    c.in_stride = chance(0.8) ? 4 * c.length + 4 * below(4) : spad_addr(0);
    c.out_stride = chance(0.8) ? 4 * c.length + 4 * below(4) : spad_addr(2);
    r = encode_run_ssm(c);
  } else if (op < 78) {
    RunGemm g;
    g.flags = uint8_t(chance(0.9) ? below(2) : u32());
    g.k = uint16_t(chance(0.9) ? 1 + below(4) : u32());
    g.n = uint16_t(chance(0.9) ? 1 + below(8) : u32());
    g.m = chance(0.9) ? 1 + below(64) : u32() % 10000;
    g.param_addr = spad_addr(1);
    g.in_addr = spad_addr(0);
    g.out_addr = spad_addr(2);
    g.in_stride = chance(0.8) ? 4 * g.k + 4 * below(4) : u32() % 20000;
    g.out_stride = chance(0.8) ? 4 * g.n + 4 * below(4) : u32() % 20000;
    r = encode_run_gemm(g);
  } else if (op < 92) {
    RunVec v;
    v.op = VecOp(uint8_t(chance(0.93) ? below(EC_NUM_VEC_OPS) : EC_NUM_VEC_OPS + below(200)));
    v.flags = uint8_t(chance(0.8) ? 0 : chance(0.5) ? 1 : u32());
    v.a_spad = SpadId(uint8_t(below(chance(0.95) ? 3 : 4)));
    v.b_spad = SpadId(uint8_t(below(chance(0.95) ? 3 : 4)));
    v.d_spad = SpadId(uint8_t(below(chance(0.95) ? 3 : 4)));
    v.a_addr = spad_addr(int(v.a_spad));
    v.b_addr = spad_addr(int(v.b_spad));
    v.d_addr = spad_addr(int(v.d_spad));
    v.channels = uint16_t(chance(0.9) ? 1 + below(8) : u32());
    v.length = chance(0.9) ? 1 + below(64) : u32() % 10000;
    v.a_stride = uint16_t(chance(0.8) ? v.length + below(4) : u32());
    v.b_stride = uint16_t(chance(0.8) ? v.length + below(4) : u32());
    v.d_stride = uint16_t(chance(0.8) ? v.length + below(4) : u32());
    r = encode_run_vec(v);
  } else {
    r = encode_end();
  }
  if (chance(0.05)) r.w[below(kRecordWords)] ^= 1u << below(32);  // one flipped bit
  if (chance(0.03)) r.w[0] |= (1u + below(255)) << 24;              // reserved bits
  return r;
}

// Waits until the accelerator is idle; with hostile_while_busy, plays random accesses,
// doorbells and soft resets meanwhile. A stream still busy after kStreamTimeout fails.
void Hostile::wait_idle(const std::string& step, bool hostile_while_busy) {
  const sc_time deadline = sc_core::sc_time_stamp() + kStreamTimeout;
  while (busy()) {
    if (sc_core::sc_time_stamp() > deadline) {
      EC_CHECK_INFO(false, step + ": still busy after " + kStreamTimeout.to_string());
      hung_ = true;
      return;
    }
    if (hostile_while_busy && chance(0.3)) {
      const uint32_t what = below(4);
      if (what == 0) {  // a doorbell while busy: refused, the stream goes on
        unsigned char d[4] = {1, 0, 0, 0};
        const tlm::tlm_response_status st = raw(tlm::TLM_WRITE_COMMAND, kCsrBase + regs::DOORBELL, d, 4, nullptr, 0);
        const bool still = busy();
        EC_CHECK_INFO(st == tlm::TLM_COMMAND_ERROR_RESPONSE || !still, step + ": doorbell while busy");
        ++stats.busy_accesses;
      } else if (what == 1) {  // a soft reset while busy: ignored
        unsigned char d[4] = {uint8_t(regs::CTRL_SOFT_RESET), 0, 0, 0};
        EC_CHECK_INFO(raw(tlm::TLM_WRITE_COMMAND, kCsrBase + regs::CTRL, d, 4, nullptr, 0) == tlm::TLM_OK_RESPONSE,
                      step + ": soft reset while busy");
        ++stats.busy_accesses;
      } else {
        random_access(step + " (busy)");
      }
      check_invariants(step + " (busy)");
    }
    sc_core::wait(sc_time(20 + below(2000), SC_NS), soc_.irq_signal().value_changed_event());
  }
  check_invariants(step + " (idle)");
}

// The known-good job: parameters, inputs and the stream written afresh; output bytes,
// cycles (CYCLE_LO/HI after a soft reset), STATUS and CMD_DONE returned.
void Hostile::run_good(std::vector<uint8_t>* out, uint64_t* cycles, uint32_t* status, uint32_t* cmd_done) {
  std::mt19937 g(12345);
  std::uniform_real_distribution<float> val(-1.0f, 1.0f);
  // 8 segments x 4 PEs of coefficient records, then a 4 x 8 GEMM weight tile.
  std::vector<float> params(8 * 4 * 8 + 4 * 8);
  for (size_t i = 0; i < params.size(); ++i) params[i] = (i % 8 == 7 && i < 8 * 4 * 8) ? 0.0f : 0.5f * val(g);
  for (size_t i = 0; i < 8 * 4; ++i) params[i * 8] = 0.9f * std::abs(params[i * 8]);  // |a| < 1
  std::vector<float> input(8 * 64);
  for (float& x : input) x = val(g);
  std::vector<uint8_t> zeros(kGoodOutputBytes, 0);
  EC_CHECK(hal_.mem_write(kGoodParamAddr, params.data(), params.size() * 4) == fw::HalStatus::OK);
  EC_CHECK(hal_.mem_write(kGoodInputAddr, input.data(), input.size() * 4) == fw::HalStatus::OK);
  EC_CHECK(hal_.mem_write(kGoodOutputAddr, zeros.data(), zeros.size()) == fw::HalStatus::OK);
  auto dma = [](bool in, uint64_t sys, SpadId spad, uint32_t spad_addr, uint32_t bytes) {
    DmaDesc d;
    d.sys_addr = sys;
    d.spad = spad;
    d.spad_addr = spad_addr;
    d.row_bytes = bytes;
    d.rows = 1;
    return encode_dma(in, d);
  };
  std::vector<Record> s;
  s.push_back(dma(true, kGoodParamAddr, SpadId::PARAM, 0, uint32_t(params.size() * 4)));
  s.push_back(dma(true, kGoodInputAddr, SpadId::INPUT, 0, uint32_t(input.size() * 4)));
  s.push_back(encode_barrier());
  s.push_back(encode_load_coeffs({0, 8, 4}));
  RunSsm ssm;
  ssm.flags = FLAG_RESET_STATE;
  ssm.length = 64;
  ssm.in_stride = ssm.out_stride = 256;
  s.push_back(encode_run_ssm(ssm));
  RunGemm gemm;
  gemm.param_addr = 8 * 4 * 32;
  gemm.k = 4;
  gemm.n = 8;
  gemm.m = 32;
  gemm.in_stride = 16;
  gemm.out_addr = 2048;
  gemm.out_stride = 32;
  s.push_back(encode_run_gemm(gemm));
  s.push_back(encode_barrier());
  s.push_back(dma(false, kGoodOutputAddr, SpadId::OUTPUT, 0, 2048 + 32 * 32));
  s.push_back(encode_barrier());
  s.push_back(encode_end());
  good_records_ = uint32_t(s.size());
  std::vector<uint8_t> bytes(s.size() * kRecordBytes);
  for (size_t i = 0; i < s.size(); ++i) pack(s[i], &bytes[i * kRecordBytes]);
  EC_CHECK(hal_.mem_write(kGoodStreamAddr, bytes.data(), bytes.size()) == fw::HalStatus::OK);
  hal_.reg_write(regs::IRQ_ENABLE, regs::IRQ_DONE | regs::IRQ_ERROR);
  hal_.reg_write(regs::CMD_BASE_LO, uint32_t(kGoodStreamAddr));
  hal_.reg_write(regs::CMD_BASE_HI, 0);
  hal_.reg_write(regs::CMD_LEN, uint32_t(bytes.size()));
  note_doorbell();
  EC_CHECK(hal_.reg_write(regs::DOORBELL, 1) == fw::HalStatus::OK);
  wait_idle("known-good stream", false);
  *status = dbg(regs::STATUS);
  *cmd_done = dbg(regs::CMD_DONE);
  uint32_t lo = 0, hi = 0;
  hal_.reg_read(regs::CYCLE_LO, &lo);
  hal_.reg_read(regs::CYCLE_HI, &hi);
  *cycles = uint64_t(hi) << 32 | lo;
  out->assign(kGoodOutputBytes, 0);
  EC_CHECK(hal_.mem_read(kGoodOutputAddr, out->data(), out->size()) == fw::HalStatus::OK);
  hal_.reg_write(regs::IRQ_STATUS, regs::IRQ_DONE | regs::IRQ_ERROR);
}

void Hostile::recover_and_compare(const std::string& step) {
  ++stats.recoveries;
  EC_CHECK(hal_.reg_write(regs::CTRL, regs::CTRL_SOFT_RESET) == fw::HalStatus::OK);
  records_ = 0;
  uint32_t lo = 1;
  hal_.reg_read(regs::CYCLE_LO, &lo);
  EC_CHECK_INFO(dbg(regs::STATUS) == 0 && dbg(regs::IRQ_STATUS) == 0 && dbg(regs::CMD_DONE) == 0 &&
                    dbg(regs::ERR_CAUSE) == 0 && dbg(regs::ERR_CMD_INDEX) == 0 && lo == 0,
                step + ": soft reset clears the status and the counters");
  std::vector<uint8_t> out;
  uint64_t cycles = 0;
  uint32_t status = 0, done = 0;
  run_good(&out, &cycles, &status, &done);
  EC_CHECK_INFO(status == regs::STATUS_DONE && done == good_records_,
                step + ": known-good stream after recovery: STATUS " + std::to_string(status));
  size_t first_diff = out.size();
  for (size_t i = 0; i < out.size() && first_diff == out.size(); ++i)
    if (out[i] != ref_out_[i]) first_diff = i;
  EC_CHECK_INFO(first_diff == out.size(), step + ": output differs from the fresh accelerator's at byte " +
                                              std::to_string(first_diff));
  EC_CHECK_INFO(cycles == ref_cycles_, step + ": " + std::to_string(cycles) + " cycles, fresh accelerator " +
                                           std::to_string(ref_cycles_));
}

void Hostile::random_stream() {
  ++stats.streams;
  const std::string step = "stream " + std::to_string(stats.streams);
  const uint32_t n = 1 + below(chance(0.9) ? 12 : 40);
  std::vector<Record> s;
  for (uint32_t i = 0; i < n; ++i) s.push_back(random_record());
  if (chance(0.8)) s.back() = encode_end();
  std::vector<uint8_t> bytes(s.size() * kRecordBytes);
  for (size_t i = 0; i < s.size(); ++i) pack(s[i], &bytes[i * kRecordBytes]);

  uint64_t base = kStreamAddr;
  const uint32_t where = below(100);
  if (where < 70) base = kStreamAddr;
  else if (where < 80) base = kMemBytes - kRecordBytes * (1 + below(n));  // runs past the end of memory
  else if (where < 84) base = 0x3000'0000;                                  // unmapped
  else if (where < 87) base = kCsrBase + 32 * below(8);                     // the CSR window
  else if (where < 90) base = kSpadWindowBase + 32 * below(64);             // the scratchpad window
  else if (where < 93) base = uint64_t(0) - kRecordBytes * (1 + below(8));  // wraps the address space
  else if (where < 96) base = kStreamAddr + 4 * (1 + below(7));             // misaligned
  else base = (uint64_t(1 + below(0xFFFF)) << 32) | kStreamAddr;            // bits 63:32 set
  if (base < kMemBytes) {
    const uint64_t fits = std::min<uint64_t>(bytes.size(), kMemBytes - base);
    EC_CHECK(hal_.mem_write(base, bytes.data(), fits) == fw::HalStatus::OK);
  }
  uint32_t len = uint32_t(bytes.size());
  const uint32_t l = below(100);
  if (l < 75) len = uint32_t(bytes.size());
  else if (l < 80) len = 0;
  else if (l < 85) len = 1 + below(uint32_t(bytes.size()) + 64);            // mostly not a multiple of 32
  else if (l < 92) len = uint32_t(bytes.size()) - kRecordBytes * below(n);  // truncated
  else if (l < 99) len = uint32_t(bytes.size()) + kRecordBytes * (1 + below(16));  // beyond the records
  else len = 0xFFFFFFE0u;                                                    // 128 Mi records

  if (chance(0.3)) hal_.reg_write(regs::IRQ_STATUS, u32());
  hal_.reg_write(regs::IRQ_ENABLE, chance(0.8) ? regs::IRQ_DONE | regs::IRQ_ERROR : below(4));
  hal_.reg_write(regs::CMD_BASE_LO, uint32_t(base));
  hal_.reg_write(regs::CMD_BASE_HI, uint32_t(base >> 32));
  hal_.reg_write(regs::CMD_LEN, len);
  note_doorbell();
  const fw::HalStatus st = hal_.reg_write(regs::DOORBELL, 1);
  EC_CHECK_INFO(st == fw::HalStatus::OK, step + ": doorbell when idle");
  check_invariants(step + " (started)");
  wait_idle(step, true);
  if (hung_) return;
  const uint32_t status = dbg(regs::STATUS);
  if (status == regs::STATUS_DONE) ++stats.stream_done;
  if (status == regs::STATUS_ERROR) {
    ++stats.stream_error;
    recover_and_compare(step);
  }
}

void Hostile::run() {
  // The fresh accelerator's figures for the known-good job.
  uint32_t status = 0, done = 0;
  run_good(&ref_out_, &ref_cycles_, &status, &done);
  EC_CHECK_INFO(status == regs::STATUS_DONE && done == good_records_, "known-good stream on the fresh accelerator");
  bool nonzero = false;
  for (uint8_t b : ref_out_) nonzero |= b != 0;
  EC_CHECK_INFO(nonzero && ref_cycles_ > 0, "the known-good stream computes something");
  // Soft reset and the known-good stream again, before anything hostile: the same.
  recover_and_compare("idle soft reset");

  for (uint64_t i = 0; i < opt_.streams && !hung_; ++i) {
    for (uint64_t a = below(uint32_t(2 * opt_.accesses + 1)); a > 0 && !hung_; --a) {
      random_access("access before stream " + std::to_string(stats.streams + 1));
      if (busy()) wait_idle("hostile job", true);
    }
    if (hung_) break;
    random_stream();
  }
  if (!hung_) recover_and_compare("final");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> uint64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return std::strtoull(argv[++i], nullptr, 0);
    };
    if (a == "--seed") o.seed = next();
    else if (a == "--streams") o.streams = next();
    else if (a == "--accesses") o.accesses = next();
    else {
      std::fprintf(stderr, "usage: %s [--seed N] [--streams N] [--accesses N]\n", argv[0]);
      std::exit(2);
    }
  }
  return o;
}

}  // namespace

int sc_main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  const auto t0 = std::chrono::steady_clock::now();
  Stats stats;
  bool finished = false;
  const int rc = ec_test::run_testbench("test_hostile_software", [&] {
    Soc soc("soc", hostile_scenario());
    soc.host().program = [&](fw::Hal& hal) {
      Hostile h(soc, hal, opt);
      h.run();
      stats = h.stats;
      finished = true;
    };
    soc.host().on_exit = [] { sc_core::sc_stop(); };
    sc_core::sc_start();
    EC_CHECK_INFO(finished, "the hostile program ran to its end (no deadlock)");
    ec_test::check_soc_protocol(soc);
  });
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("hostile software: seed %llu, %llu streams (%llu done, %llu error, %llu recoveries compared), "
              "%llu register accesses (%llu while busy, %llu jobs started by random accesses), %.1f s\n",
              (unsigned long long)opt.seed, (unsigned long long)stats.streams,
              (unsigned long long)stats.stream_done, (unsigned long long)stats.stream_error,
              (unsigned long long)stats.recoveries, (unsigned long long)stats.accesses,
              (unsigned long long)stats.busy_accesses, (unsigned long long)stats.hostile_jobs, wall);
  return rc;
}
