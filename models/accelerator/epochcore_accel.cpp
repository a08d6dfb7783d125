#include "epochcore/models/accelerator/epochcore_accel.h"

#include "epochcore/models/memory/spad_map.h"

namespace epochcore {

EpochCoreAccel::EpochCoreAccel(sc_core::sc_module_name name, const AccelParams& p)
    : sc_core::sc_module(name), csr_socket("csr_socket"), dma_socket("dma_socket"),
      spad_socket("spad_socket"), irq("irq"), p_(p), spad_forward_("spad_forward") {
  const sc_core::sc_time period = p_.array.clock_period;
  static const char* kSpadNames[3] = {"spad_input", "spad_param", "spad_output"};
  cmd::HwLimits hw;
  hw.rows = p_.array.rows;
  hw.cols = p_.array.cols;
  hw.segments = p_.array.segments;
  hw.segment_direction = p_.array.segment_direction;
  hw.selective = p_.array.selective;
  if (p_.compute_queues != 1 && p_.compute_queues != 2)
    SC_REPORT_ERROR(this->name(), "AccelParams.compute_queues must be 1 or 2");
  hw.compute_queues = p_.compute_queues == 2;
  CsrConfig csr_cfg;
  csr_cfg.rows = hw.rows;
  csr_cfg.cols = hw.cols;
  csr_cfg.features = (p_.array.segments ? uint32_t(regs::FEATURE_SEGMENTS) : 0u) |
                     (p_.array.real_only ? uint32_t(regs::FEATURE_REAL_ONLY) : 0u) |
                     (p_.array.segment_direction ? uint32_t(regs::FEATURE_SEGMENT_DIRECTION) : 0u) |
                     (p_.array.selective ? uint32_t(regs::FEATURE_SELECTIVE) : 0u) |
                     (hw.compute_queues ? uint32_t(regs::FEATURE_COMPUTE_QUEUES) : 0u);
  csr_cfg.clock_period = period;
  csr_cfg.access_latency = period;

  // Scratchpads behind a local router: the DMA engine and the external spad socket share it.
  // Sub-window stride from the actual sizes (models/memory/spad_map.h).
  spad_map_ = SpadMap::from_sizes(uint64_t(p_.spad[0].size_kib) * 1024, uint64_t(p_.spad[1].size_kib) * 1024,
                                  uint64_t(p_.spad[2].size_kib) * 1024);
  spad_router_.reset(new Router("spad_router"));
  for (uint8_t i = 0; i < 3; ++i) {
    const SpadParams& s = p_.spad[i];
    spads_[i].reset(new Scratchpad(kSpadNames[i], s.size_kib * 1024u, s.banks, s.ports, period));
    if (p_.check_protocol) {
      checkers_.emplace_back(new ProtocolChecker((std::string("check_") + kSpadNames[i]).c_str()));
      spad_router_->initiator_socket.bind(checkers_.back()->target_socket);
      checkers_.back()->initiator_socket.bind(spads_[i]->socket);
    } else {
      spad_router_->initiator_socket.bind(spads_[i]->socket);
    }
    spad_router_->map(spad_map_.base(cmd::SpadId(i)), uint64_t(s.size_kib) * 1024, i, kSpadNames[i]);
    hw.spad_bytes[i] = s.size_kib * 1024u;
    csr_cfg.spad_kib[i] = s.size_kib;
    csr_cfg.spad_geom[i] = EC_REGF_PUT(SPAD_GEOM_BANKS, s.banks) | EC_REGF_PUT(SPAD_GEOM_PORTS, s.ports);
  }
  if (p_.number_format >= regs::kNumNumberFormats)
    SC_REPORT_ERROR(this->name(), "AccelParams.number_format must be 0..4 (fp32, bf16, fp16, int16, int8)");
  p_.vector_costs.lanes = p_.vector_lanes;  // one source for the lane count
  if (p_.vector_lanes == 0 || p_.vector_lanes > 0xFFFF)
    SC_REPORT_ERROR(this->name(), "AccelParams.vector_lanes must be 1..65535 (HW_VECTOR bits 31:16)");
  const vec::VecStatus costs_ok = vec::check_cost_params(p_.vector_costs);
  if (!costs_ok.ok())
    SC_REPORT_ERROR(this->name(), ("AccelParams.vector_costs: " + costs_ok.error).c_str());
  csr_cfg.vector = EC_REGF_PUT(HW_VECTOR_FORMAT, p_.number_format) | EC_REGF_PUT(HW_VECTOR_LANES, p_.vector_lanes);
  hw.number_format = p_.number_format;

  dma_.reset(new DmaEngine("dma", p_.dma, period, p_.quantum, spad_map_.stride));
  dma_->sys_socket.bind(dma_socket);
  if (p_.check_protocol) {
    checkers_.emplace_back(new ProtocolChecker("check_dma_spad"));
    dma_->spad_socket.bind(checkers_.back()->target_socket);
    checkers_.back()->initiator_socket.bind(spad_router_->target_socket);
    checkers_.emplace_back(new ProtocolChecker("check_spad_forward"));
    spad_forward_.bind(checkers_.back()->target_socket);
    checkers_.back()->initiator_socket.bind(spad_router_->target_socket);
  } else {
    dma_->spad_socket.bind(spad_router_->target_socket);
    spad_forward_.bind(spad_router_->target_socket);
  }
  spad_socket.register_b_transport(this, &EpochCoreAccel::spad_b_transport);
  spad_socket.register_transport_dbg(this, &EpochCoreAccel::spad_transport_dbg);

  array_.reset(new SystolicArray("array", p_.array, *spads_[0], *spads_[1], *spads_[2]));
  vector_.reset(new VectorUnit("vector_unit", p_.vector_costs, regs::NumberFormat(p_.number_format),
                               *spads_[0], *spads_[1], *spads_[2], period));

  csr_.reset(new CsrBlock("csr", csr_cfg));
  csr_socket.bind(csr_->socket);
  csr_->irq.bind(irq);

  cp_.reset(new CommandProcessor("command_processor", hw, *csr_, *dma_, *array_, *vector_, period));
  csr_->on_doorbell = [this](uint64_t base, uint32_t len) { cp_->start(base, len); };
  dma_->set_activity_log(&activity_);
  array_->set_activity_log(&activity_);
  vector_->set_activity_log(&activity_);
  cp_->set_activity_log(&activity_);
}

uint64_t EpochCoreAccel::protocol_violations() const {
  uint64_t n = 0;
  for (const auto& c : checkers_) n += c->violations();
  return n;
}

void EpochCoreAccel::spad_b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  spad_forward_->b_transport(tx, delay);
}

unsigned EpochCoreAccel::spad_transport_dbg(tlm::tlm_generic_payload& tx) {
  return spad_forward_->transport_dbg(tx);
}

}  // namespace epochcore
