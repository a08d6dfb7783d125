// Elaborates an EpochCore accelerator from a project that add_subdirectory()s EpochCore,
// binding its three required ports to stubs and leaving spad_socket unbound, and runs the
// simulation briefly (elaboration checks every binding).
#include <cstdio>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore_version.h"
#include "epochcore/models/accelerator/epochcore_accel.h"

struct Stubs : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Stubs> csr;  // to the accelerator's csr_socket
  tlm_utils::simple_target_socket<Stubs> mem;     // the accelerator's DMA master binds here
  explicit Stubs(sc_core::sc_module_name n) : sc_core::sc_module(n), csr("csr"), mem("mem") {
    mem.register_b_transport(this, &Stubs::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time&) {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  }
};

int sc_main(int, char*[]) {
  epochcore::AccelParams p;
  p.array.rows = 4;
  p.array.cols = 4;
  for (auto& s : p.spad) s = {16, 4, 1};
  epochcore::EpochCoreAccel accel("accel", p);
  Stubs stubs("stubs");
  sc_core::sc_signal<bool> irq("irq");
  stubs.csr.bind(accel.csr_socket);
  accel.dma_socket.bind(stubs.mem);
  accel.irq.bind(irq);
  sc_core::sc_start(sc_core::sc_time(1, sc_core::SC_US));
  // Reads the ID register through the CSR socket.
  uint32_t id = 0;
  tlm::tlm_generic_payload tx;
  tx.set_command(tlm::TLM_READ_COMMAND);
  tx.set_address(0);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&id));
  tx.set_data_length(4);
  tx.set_streaming_width(4);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  stubs.csr->b_transport(tx, delay);
  std::printf("EpochCore %s via add_subdirectory: ID 0x%08x\n", EPOCHCORE_VERSION_STRING, id);
  return tx.is_response_ok() && id == 0x45504F43u ? 0 : 1;
}
