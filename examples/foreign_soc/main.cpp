// A foreign SoC around two EpochCore accelerators, written as an integrator would: its
// own address decoder, memory, interrupt combiner and stand-in CPU, against the installed
// EpochCore package only (find_package(EpochCore)). docs/integration.md walks through it.
//
//   CPU (firmware) ---+                  +--> memory            0x8000_0000 (16 MiB, DMI)
//                     |                  |
//   accel0 DMA -------+--> decoder ------+--> accel0 CSRs       0x1000_0000
//   accel1 DMA -------+                  +--> accel1 CSRs       0x1000_1000
//
//   accel0.irq --+
//                +--> IrqCombiner --> CPU irq
//   accel1.irq --+
//
// The accelerators' spad_socket stays unbound (it is optional). accel0 is an 8x8 array at
// 1 GHz running a GEMM; accel1 a 16x4 array at 500 MHz running an S4D layer; both jobs
// run at the same time. Results are checked against independent computations (a plain
// double loop; the double-precision S4D reference of EpochCore::maths). Exit status 0
// only when both are right.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include <systemc>
#include <tlm>

#include "cpu.h"
#include "decoder.h"
#include "irq_combiner.h"
#include "memory.h"

#include "epochcore/contract/commands.h"
#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/models/accelerator/epochcore_accel.h"

using sc_core::sc_time;
using sc_core::SC_NS;
namespace fw = epochcore::fw;

namespace {

constexpr uint64_t kMemBase = 0x8000'0000, kMemBytes = 16u << 20;
constexpr uint64_t kCsr0 = 0x1000'0000, kCsr1 = 0x1000'1000, kCsrPage = 0x1000;

// The jobs, laid out in memory.
constexpr uint32_t kM = 100, kK = 40, kN = 24;  // GEMM: C[M][N] = A[M][K] * B[K][N]
constexpr uint64_t kA = kMemBase + 0x00'0000, kB = kMemBase + 0x01'0000, kC = kMemBase + 0x02'0000;
constexpr uint64_t kGemmWork = kMemBase + 0x04'0000, kGemmWorkBytes = 0x4'0000;
constexpr uint32_t kH = 16, kModes = 2, kL = 1024;  // S4D layer: H channels, M modes, length L
constexpr uint64_t kParams = kMemBase + 0x10'0000, kIn = kMemBase + 0x20'0000, kOut = kMemBase + 0x30'0000;
constexpr uint64_t kS4dWork = kMemBase + 0x40'0000, kS4dWorkBytes = 0x10'0000;

epochcore::AccelParams accel_params(uint32_t rows, uint32_t cols, double clock_mhz, uint32_t spad_kib,
                                    uint32_t banks) {
  epochcore::AccelParams p;  // plain C++: no YAML, every field documented in docs/integration.md
  p.array.rows = rows;
  p.array.cols = cols;
  p.array.clock_period = sc_time(1000.0 / clock_mhz, SC_NS);
  for (auto& s : p.spad) s = {spad_kib, banks, 1};
  p.quantum = sc_time(1, sc_core::SC_US);
  return p;
}

struct Outcome {
  bool ok = false;
  uint64_t cycles = 0;
  double error = 0;
};

// GEMM on accel0 (submitted, not waited for), the S4D layer on accel1 (run to the end),
// then accel0's completion: the two jobs overlap.
void firmware(Cpu& cpu, fw::Hal& hal0, fw::Hal& hal1, Outcome* gemm, Outcome* s4d) {
  fw::Driver drv0(hal0), drv1(hal1);
  fw::AccelInfo info0, info1;
  if (drv0.probe(&info0) != fw::DriverStatus::OK || drv1.probe(&info1) != fw::DriverStatus::OK) {
    std::printf("probe failed\n");
    return;
  }
  std::printf("accel0: %ux%u array; accel1: %ux%u array\n", info0.rows, info0.cols, info1.rows, info1.cols);

  // GEMM operands: pseudo-random in [-1, 1), so the float32 sums round.
  uint32_t state = 12345;
  auto next = [&state] {
    state = state * 1664525u + 1013904223u;
    return float(state >> 8) / float(1u << 23) - 1.0f;
  };
  std::vector<float> A(kM * kK), B(kK * kN);
  for (float& a : A) a = next();
  for (float& b : B) b = next();
  cpu.mem_write(kA, A.data(), A.size() * 4);
  cpu.mem_write(kB, B.data(), B.size() * 4);

  fw::GemmJob gj;
  gj.M = kM, gj.N = kN, gj.K = kK;
  gj.a_addr = kA, gj.b_addr = kB, gj.c_addr = kC;
  gj.workspace_addr = kGemmWork, gj.workspace_bytes = kGemmWorkBytes;
  fw::GemmPlan plan;
  char why[256] = {};
  if (!fw::plan_gemm(info0, gj, &plan, why, sizeof why)) {
    std::printf("gemm: %s\n", why);
    return;
  }
  const std::vector<epochcore::cmd::Record> stream = fw::build_gemm_stream(info0, plan, gj);
  std::vector<uint8_t> bytes(stream.size() * epochcore::cmd::kRecordBytes);
  for (size_t i = 0; i < stream.size(); ++i) epochcore::cmd::pack(stream[i], &bytes[i * epochcore::cmd::kRecordBytes]);
  cpu.mem_write(kGemmWork, bytes.data(), bytes.size());
  if (drv0.submit(kGemmWork, uint32_t(bytes.size())) != fw::DriverStatus::OK) {
    std::printf("gemm: submit failed\n");
    return;
  }

  // The S4D layer: seeded S4D-Lin parameters and inputs from EpochCore::maths.
  const epochcore::S4dParams params = epochcore::s4d_init(kH, kModes, "s4d_lin", 1e-3, 1e-1, 7);
  const std::vector<float> u = epochcore::seeded_input(1, kH, kL, 8);
  const std::vector<uint8_t> block = fw::encode_s4d_param_block(params);
  cpu.mem_write(kParams, block.data(), block.size());
  cpu.mem_write(kIn, u.data(), u.size() * 4);
  fw::S4dLayerJob sj;
  sj.H = kH, sj.M = kModes, sj.L = kL, sj.B = 1;
  sj.params_addr = kParams, sj.input_addr = kIn, sj.output_addr = kOut;
  sj.workspace_addr = kS4dWork, sj.workspace_bytes = kS4dWorkBytes;
  fw::S4dLayerResult sr;
  const bool s4d_ran = fw::s4d_layer_run(hal1, drv1, info1, sj, &sr);
  if (!s4d_ran) std::printf("s4d: %s\n", sr.message);

  fw::JobResult gr;
  const fw::DriverStatus gs = drv0.wait(&gr);
  if (gs != fw::DriverStatus::OK) std::printf("gemm: %s\n", fw::driver_status_name(gs));

  // Check the GEMM against a plain double loop (float32 accumulation: relative 1e-5 of
  // the sum of magnitudes).
  if (gs == fw::DriverStatus::OK && gr.ok) {
    std::vector<float> C(kM * kN);
    cpu.mem_read(kC, C.data(), C.size() * 4);
    bool ok = true;
    for (uint32_t i = 0; i < kM; ++i)
      for (uint32_t j = 0; j < kN; ++j) {
        double ref = 0, mag = 0;
        for (uint32_t k = 0; k < kK; ++k) {
          ref += double(A[i * kK + k]) * double(B[k * kN + j]);
          mag += std::fabs(double(A[i * kK + k]) * double(B[k * kN + j]));
        }
        const double err = std::fabs(double(C[i * kN + j]) - ref);
        gemm->error = std::max(gemm->error, err / (mag > 0 ? mag : 1));
        if (!(err <= 1e-5 * mag + 1e-6)) ok = false;
      }
    gemm->ok = ok;
    gemm->cycles = gr.cycles;
  }
  // Check the S4D layer against the double-precision recurrence.
  if (s4d_ran && sr.ok) {
    std::vector<float> y(kH * kL);
    cpu.mem_read(kOut, y.data(), y.size() * 4);
    const std::vector<double> ud(u.begin(), u.end());
    const std::vector<double> ref = epochcore::s4d_recurrence(params, ud.data(), 1, kL);
    const epochcore::ErrorStats e = epochcore::compare_to_reference(y.data(), ref.data(), ref.size());
    s4d->error = e.max_rel;
    s4d->ok = e.max_rel <= 1e-5;
    s4d->cycles = sr.job.cycles;
  }
}

}  // namespace

int sc_main(int, char*[]) {
  try {
    tlm::tlm_global_quantum::instance().set(sc_time(1, sc_core::SC_US));

    Memory memory("memory", kMemBytes, sc_time(40, SC_NS), 16.0);
    Decoder bus("bus");
    epochcore::EpochCoreAccel accel0("accel0", accel_params(8, 8, 1000.0, 64, 8));
    epochcore::EpochCoreAccel accel1("accel1", accel_params(16, 4, 500.0, 128, 16));
    IrqCombiner combiner("irq_combiner", 2);
    Cpu cpu("cpu");
    sc_core::sc_signal<bool> irq0("irq0"), irq1("irq1"), cpu_irq("cpu_irq");

    // Targets in port order, then the address map.
    bus.initiator_socket.bind(memory.socket);
    bus.initiator_socket.bind(accel0.csr_socket);
    bus.initiator_socket.bind(accel1.csr_socket);
    bus.map(kMemBase, kMemBytes, 0, "memory");
    bus.map(kCsr0, kCsrPage, 1, "accel0.csr");
    bus.map(kCsr1, kCsrPage, 2, "accel1.csr");
    // Initiators: the CPU and both accelerators' DMA masters. spad_socket: not bound.
    cpu.socket.bind(bus.target_socket);
    accel0.dma_socket.bind(bus.target_socket);
    accel1.dma_socket.bind(bus.target_socket);
    // Interrupts.
    accel0.irq.bind(irq0);
    accel1.irq.bind(irq1);
    combiner.in[0].bind(irq0);
    combiner.in[1].bind(irq1);
    combiner.out.bind(cpu_irq);
    cpu.irq.bind(cpu_irq);

    Outcome gemm, s4d;
    fw::Hal& hal0 = cpu.add_device(kCsr0);
    fw::Hal& hal1 = cpu.add_device(kCsr1);
    cpu.program = [&](Cpu& c) {
      firmware(c, hal0, hal1, &gemm, &s4d);
      sc_core::sc_stop();  // the accelerators are idle: nothing left to simulate
    };

    // sc_stop() at the end of the firmware is expected: no "stopped by user" message.
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    sc_core::sc_start();

    std::printf("accel0 (8x8 @ 1 GHz)    GEMM %ux%ux%u: %s, %llu cycles, max error %.3g (of sum |a*b|)\n", kM, kK,
                kN, gemm.ok ? "correct" : "WRONG", (unsigned long long)gemm.cycles, gemm.error);
    std::printf("accel1 (16x4 @ 500 MHz) S4D H=%u M=%u L=%u: %s, %llu cycles, max_rel %.3g\n", kH, kModes, kL,
                s4d.ok ? "correct" : "WRONG", (unsigned long long)s4d.cycles, s4d.error);
    std::printf("simulated time %s; CPU memory accesses: %llu DMI, %llu bus; interrupts deferred: %llu\n",
                sc_core::sc_time_stamp().to_string().c_str(), (unsigned long long)cpu.dmi_accesses(),
                (unsigned long long)cpu.bus_accesses(), (unsigned long long)cpu.deferred_interrupts());
    return gemm.ok && s4d.ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "foreign_soc: %s\n", e.what());
    return 1;
  }
}
