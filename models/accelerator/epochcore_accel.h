// The EpochCore accelerator as an integrator sees it: four things to bind
// (docs/integration.md).
//   csr_socket  (TLM target)     control/status registers, contract/registers.h
//   dma_socket  (TLM initiator)  the DMA engine's and command fetcher's bus master
//   spad_socket (TLM target)     the scratchpads, for loaders and debuggers (+ transport_dbg);
//                                optional: may stay unbound
//   irq         (sc_out<bool>)   level interrupt
// Inside: CSR block, command processor, DMA engine, three scratchpads behind a local
// router, the R x C LIMA-PE array and the vector unit.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include "epochcore/models/array/systolic_array.h"
#include "epochcore/models/bus/router.h"
#include "epochcore/models/control/command_processor.h"
#include "epochcore/models/control/csr_block.h"
#include "epochcore/models/dma/dma_engine.h"
#include "epochcore/models/memory/scratchpad.h"
#include "epochcore/models/memory/spad_map.h"
#include "epochcore/models/tlm/protocol_checker.h"
#include "epochcore/models/vector/vector_unit.h"

namespace epochcore {

struct SpadParams {
  uint32_t size_kib = 4096;
  uint32_t banks = 32;
  uint32_t ports = 1;
};

struct AccelParams {
  ArrayParams array;         // includes the clock period
  SpadParams spad[3];        // by cmd::SpadId: input, param, output
  DmaParams dma{64, 32, 1024, 4};
  uint8_t number_format = 0;       // regs::NumberFormat of the datapath (vector-unit output rounding)
  uint32_t vector_lanes = 32;       // vector-unit lanes (HW_VECTOR bits 31:16, 1..65535)
  // Compute queues (scenario array.compute_queues): 1, one in-order queue for the array and
  // the vector unit; 2, one per unit with a scratchpad scoreboard (HW_FEATURES.COMPUTE_QUEUES).
  uint32_t compute_queues = 1;
  vec::VecCostParams vector_costs;  // vector-unit cycle factors; its `lanes` is replaced by vector_lanes
  sc_core::sc_time quantum = sc_core::sc_time(1, sc_core::SC_US);
  // A ProtocolChecker (models/tlm/protocol_checker.h) on every internal socket: DMA engine
  // and external spad window into the local router, local router into each scratchpad.
  // Off: no checker exists (behaviour and timing are the same either way).
  bool check_protocol = false;
};

class EpochCoreAccel : public sc_core::sc_module {
 public:
  tlm::tlm_target_socket<> csr_socket;
  tlm::tlm_initiator_socket<> dma_socket;
  // Optional (SC_ZERO_OR_MORE_BOUND): an SoC without a loader or debugger leaves it unbound.
  tlm_utils::simple_target_socket_optional<EpochCoreAccel> spad_socket;
  sc_core::sc_out<bool> irq;

  EpochCoreAccel(sc_core::sc_module_name name, const AccelParams& p);
  const char* kind() const override { return "epochcore::EpochCoreAccel"; }

  const AccelParams& params() const { return p_; }
  // Read-only views for reports and tests.
  const SystolicArray& array() const { return *array_; }
  const DmaEngine& dma() const { return *dma_; }
  const VectorUnit& vector_unit() const { return *vector_; }
  const CommandProcessor& command_processor() const { return *cp_; }
  const Scratchpad& spad(cmd::SpadId id) const { return *spads_[uint8_t(id)]; }
  const ActivityLog& activity() const { return activity_; }
  // The scratchpads' local layout, also that of spad_socket: scratchpad id at
  // spad_map().base(id), sub-windows spad_map().stride apart (the largest scratchpad
  // rounded up to a power of two, at least 16 MiB); map spad_map().window_bytes().
  const SpadMap& spad_map() const { return spad_map_; }
  // Violations seen by the internal checkers (0 when AccelParams::check_protocol is off).
  uint64_t protocol_violations() const;
  size_t protocol_checkers() const { return checkers_.size(); }
  // Attaches a per-beat waveform probe to the array (cycle mode).
  void set_array_probe(ArrayProbe* probe) { array_->set_probe(probe); }
  // Waveform hooks (--vcd): the DMA's busy edges, the command processor's state, STATUS.
  void set_unit_hooks(std::function<void(bool)> dma_busy, std::function<void(CpState)> cp_state,
                      std::function<void(uint32_t)> status) {
    dma_->on_busy = std::move(dma_busy);
    cp_->on_state = std::move(cp_state);
    csr_->on_status = std::move(status);
  }

 private:
  // The external scratchpad window forwards into the local router.
  void spad_b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay);
  unsigned spad_transport_dbg(tlm::tlm_generic_payload& tx);

  AccelParams p_;
  SpadMap spad_map_;
  ActivityLog activity_;
  tlm_utils::simple_initiator_socket<EpochCoreAccel> spad_forward_;
  std::unique_ptr<Scratchpad> spads_[3];
  std::unique_ptr<Router> spad_router_;
  std::unique_ptr<DmaEngine> dma_;
  std::unique_ptr<SystolicArray> array_;
  std::unique_ptr<VectorUnit> vector_;
  std::unique_ptr<CsrBlock> csr_;
  std::unique_ptr<CommandProcessor> cp_;
  std::vector<std::unique_ptr<ProtocolChecker>> checkers_;  // AccelParams::check_protocol
};

}  // namespace epochcore
