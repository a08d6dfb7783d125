// Testbench: the CSR block's response to accesses that break the access rules, alone and
// in pairs (docs/registers.md, "Access rules"): one precedence order (address, command,
// burst, byte enable, then the busy doorbell), TLM_IGNORE_COMMAND checked like a read
// or write but for the command check, and nothing changes on an error.
#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "epochcore/contract/registers.h"
#include "epochcore/models/control/csr_block.h"
#include "sc_harness.h"

using namespace epochcore;
using tlm::tlm_response_status;

namespace {

// The rules an access can break (bit set = broken).
enum Rule : unsigned {
  ADDR = 1,   // unmapped or misaligned offset
  CMD = 2,    // write to a read-only register
  BURST = 4,  // length other than 4
  BE = 8,     // byte enables
  BUSY = 16,  // DOORBELL = 1 while busy
};

const char* status_name(tlm_response_status s) {
  switch (s) {
    case tlm::TLM_OK_RESPONSE: return "OK";
    case tlm::TLM_ADDRESS_ERROR_RESPONSE: return "ADDRESS_ERROR";
    case tlm::TLM_COMMAND_ERROR_RESPONSE: return "COMMAND_ERROR";
    case tlm::TLM_BURST_ERROR_RESPONSE: return "BURST_ERROR";
    case tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE: return "BYTE_ENABLE_ERROR";
    case tlm::TLM_GENERIC_ERROR_RESPONSE: return "GENERIC_ERROR";
    default: return "INCOMPLETE";
  }
}

// The documented precedence: the first broken rule in this order answers.
tlm_response_status expected(unsigned broken) {
  if (broken & ADDR) return tlm::TLM_ADDRESS_ERROR_RESPONSE;
  if (broken & CMD) return tlm::TLM_COMMAND_ERROR_RESPONSE;
  if (broken & BURST) return tlm::TLM_BURST_ERROR_RESPONSE;
  if (broken & BE) return tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE;
  if (broken & BUSY) return tlm::TLM_COMMAND_ERROR_RESPONSE;
  return tlm::TLM_OK_RESPONSE;
}

std::string rules_name(unsigned broken) {
  static const char* const names[] = {"address", "command", "burst", "byte-enable", "busy-doorbell"};
  std::string s;
  for (unsigned i = 0; i < 5; ++i)
    if (broken & (1u << i)) s += (s.empty() ? "" : "+") + std::string(names[i]);
  return s.empty() ? "none" : s;
}

struct Tb : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Tb> socket{"socket"};
  CsrBlock csr;
  sc_core::sc_signal<bool> irq{"irq"};
  int doorbells = 0;

  static CsrConfig config() {
    CsrConfig c;
    c.rows = 4;
    c.cols = 8;
    return c;
  }

  explicit Tb(sc_core::sc_module_name n) : sc_core::sc_module(n), csr("csr", config()) {
    ec_test::link(socket, csr.socket, "check_csr");
    csr.irq.bind(irq);
    csr.on_doorbell = [this](uint64_t, uint32_t) { ++doorbells; };
    SC_HAS_PROCESS(Tb);
    SC_THREAD(run);
  }

  tlm_response_status transact(tlm::tlm_command cmd, uint64_t addr, uint32_t value, unsigned len,
                               bool byte_enables, uint32_t* read_value = nullptr) {
    unsigned char data[8] = {};
    std::memcpy(data, &value, 4);
    unsigned char be[8];
    std::memset(be, 0xFF, sizeof be);
    tlm::tlm_generic_payload p;
    ec_test::init_payload(p, cmd, addr, data, len);
    if (byte_enables) {
      p.set_byte_enable_ptr(be);
      p.set_byte_enable_length(len);
    }
    sc_core::sc_time delay;
    socket->b_transport(p, delay);
    if (read_value) std::memcpy(read_value, data, 4);
    return p.get_response_status();
  }

  uint32_t peek(uint32_t offset) {
    uint32_t v = 0;
    EC_CHECK(transact(tlm::TLM_READ_COMMAND, offset, 0, 4, false, &v) == tlm::TLM_OK_RESPONSE);
    return v;
  }

  void expect(unsigned broken, tlm::tlm_command cmd, uint64_t addr, uint32_t value, unsigned len, bool be,
              const char* what) {
    const tlm_response_status got = transact(cmd, addr, value, len, be);
    const tlm_response_status want = expected(broken);
    EC_CHECK_INFO(got == want, std::string(what) + " [" + rules_name(broken) + "]: got " + status_name(got) +
                                   ", want " + status_name(want));
  }

  // One write breaking exactly the rules in `broken` (ADDR, CMD, BURST, BE; BUSY is
  // done separately), then the same as a read and an ignore; to a read-only register when
  // CMD is broken, to IRQ_ENABLE (RW) otherwise; ADDR breaks alignment when combined
  // with CMD (the address still falls in ID), else it names a hole.
  void access(unsigned broken) {
    uint64_t addr = (broken & CMD) ? regs::ID : regs::IRQ_ENABLE;
    if (broken & ADDR) addr = (broken & CMD) ? regs::ID + 2 : 0x0FC;
    const unsigned len = (broken & BURST) ? 8 : 4;
    const uint32_t before = peek(regs::IRQ_ENABLE);
    expect(broken, tlm::TLM_WRITE_COMMAND, addr, before ^ 3u, len,
           (broken & BE) != 0, "write");
    // Nothing changes on an error; the good write stores.
    const uint32_t after = peek(regs::IRQ_ENABLE);
    EC_CHECK_INFO(broken ? after == before : after == (before ^ 3u), rules_name(broken));
    EC_CHECK(peek(regs::ID) == regs::kIdValue);
    // The same as a read (no command rule for reads): an RO target reads fine.
    if (!(broken & CMD)) {
      expect(broken, tlm::TLM_READ_COMMAND, addr, 0, len, (broken & BE) != 0, "read");
      // ... and as an ignore.
      expect(broken, tlm::TLM_IGNORE_COMMAND, addr, 0, len, (broken & BE) != 0, "ignore");
    }
  }

  void run() {
    // Every subset of {address, command, burst, byte enable}: each rule alone, every
    // pair, every triple, all four.
    for (unsigned broken = 0; broken < 16; ++broken) access(broken);

    // Variants of the address rule: misaligned within a register, outside the window,
    // against a wrong length and byte enables.
    expect(ADDR | BURST, tlm::TLM_READ_COMMAND, regs::STATUS + 2, 0, 2, false, "2-byte read inside STATUS");
    expect(ADDR | BURST, tlm::TLM_READ_COMMAND, regs::STATUS + 1, 0, 1, false, "1-byte read inside STATUS");
    expect(ADDR | BURST | BE, tlm::TLM_READ_COMMAND, 0x200, 0, 8, true, "read outside the window");
    expect(ADDR | CMD | BURST | BE, tlm::TLM_WRITE_COMMAND, regs::VERSION + 1, 0, 2, true, "write inside VERSION");
    // Reads of the write-only DOORBELL are not errors; its read with a wrong length is a burst error.
    expect(0, tlm::TLM_READ_COMMAND, regs::DOORBELL, 0, 4, false, "read of DOORBELL");
    expect(BURST, tlm::TLM_READ_COMMAND, regs::DOORBELL, 0, 8, false, "8-byte read of DOORBELL");
    expect(BE, tlm::TLM_READ_COMMAND, regs::DOORBELL, 0, 4, true, "read of DOORBELL with byte enables");
    // A read-only register: the command rule is for writes; an 8-byte write is a command error.
    expect(CMD | BURST, tlm::TLM_WRITE_COMMAND, regs::STATUS, 0, 8, false, "8-byte write to STATUS");
    expect(CMD | BE, tlm::TLM_WRITE_COMMAND, regs::CYCLE_LO, 0, 4, true, "write to CYCLE_LO with byte enables");

    // TLM_IGNORE_COMMAND: the address, burst and byte-enable checks apply, the command one
    // does not; it changes nothing.
    expect(ADDR, tlm::TLM_IGNORE_COMMAND, 0x0FC, 0, 4, false, "ignore to a hole in the window");
    expect(ADDR, tlm::TLM_IGNORE_COMMAND, 0x060, 0, 4, false, "ignore just past the last register");
    expect(ADDR, tlm::TLM_IGNORE_COMMAND, 0x100, 0, 4, false, "ignore outside the window");
    expect(ADDR, tlm::TLM_IGNORE_COMMAND, regs::CTRL + 2, 0, 4, false, "misaligned ignore");
    expect(0, tlm::TLM_IGNORE_COMMAND, regs::ID, 0, 4, false, "ignore to a read-only register");
    expect(0, tlm::TLM_IGNORE_COMMAND, regs::DOORBELL, 1, 4, false, "ignore to DOORBELL");
    EC_CHECK(doorbells == 0);
    expect(BURST, tlm::TLM_IGNORE_COMMAND, regs::ID, 0, 2, false, "2-byte ignore");
    expect(BE, tlm::TLM_IGNORE_COMMAND, regs::ID, 0, 4, true, "ignore with byte enables");

    // The busy doorbell, alone and with the rules that can go with it (a DOORBELL write
    // names a writable register, so never with the address or command rule).
    csr.job_started();
    EC_CHECK(csr.busy());
    expect(BUSY, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 4, false, "doorbell while busy");
    expect(BUSY | BURST, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 8, false, "8-byte doorbell while busy");
    expect(BUSY | BE, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 4, true, "doorbell with byte enables while busy");
    expect(BUSY | BURST | BE, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 8, true, "8-byte doorbell with byte enables while busy");
    expect(0, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 0, 4, false, "doorbell 0 while busy (ignored)");
    EC_CHECK(doorbells == 0 && csr.busy());
    csr.job_finished(regs::ErrorCause::NONE, 0);

    // Idle: a well-formed doorbell rings; the malformed ones do not.
    peek(regs::STATUS);
    expect(BURST, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 8, false, "8-byte doorbell");
    expect(BE, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 4, true, "doorbell with byte enables");
    EC_CHECK(doorbells == 0);
    EC_CHECK(transact(tlm::TLM_WRITE_COMMAND, regs::CMD_LEN, 32, 4, false) == tlm::TLM_OK_RESPONSE);
    EC_CHECK(transact(tlm::TLM_WRITE_COMMAND, regs::CMD_BASE_LO, 0x1000, 4, false) == tlm::TLM_OK_RESPONSE);
    expect(0, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 4, false, "doorbell");
    EC_CHECK(doorbells == 1);
    csr.job_finished(regs::ErrorCause::NONE, 0);

    // Misaligned CMD_BASE: the doorbell's write is OK, the job ends with BAD_STREAM_ADDRESS
    // and the processor is never started.
    EC_CHECK(transact(tlm::TLM_WRITE_COMMAND, regs::CMD_BASE_LO, 0x1004, 4, false) == tlm::TLM_OK_RESPONSE);
    expect(0, tlm::TLM_WRITE_COMMAND, regs::DOORBELL, 1, 4, false, "doorbell with CMD_BASE % 8 == 4");
    EC_CHECK(doorbells == 1);
    EC_CHECK(peek(regs::STATUS) == regs::STATUS_ERROR);
    EC_CHECK(peek(regs::ERR_CAUSE) == uint32_t(regs::ErrorCause::BAD_STREAM_ADDRESS));
    EC_CHECK(peek(regs::ERR_CMD_INDEX) == EC_ERR_INDEX_NONE);
    EC_CHECK(peek(regs::IRQ_STATUS) & regs::IRQ_ERROR);
    sc_core::sc_stop();
  }
};

}  // namespace

int sc_main(int, char**) {
  return ec_test::run_testbench("test_csr_access", [] {
    Tb tb("tb");
    sc_core::sc_start();
  }, true, 1);
}
