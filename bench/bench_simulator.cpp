// Simulator speed benchmark (not a test: timings depend on the machine). Measures in one
// run: fast mode on a Path-X-sized bidirectional SSM layer (LIMA steps per wall second),
// cycle mode on a 32x32 array (PE-cycles per wall second), and a plain C++ loop of the same
// maths compiled with the same flags, as the floor. Each figure is the median of several
// repetitions. docs/performance.md records the results.
// usage: bench_simulator [--quick]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "epochcore/models/array/systolic_array.h"
#include "epochcore/models/memory/scratchpad.h"
#include "epochcore/maths/reference/rng.h"

using namespace epochcore;
using Clock = std::chrono::steady_clock;

namespace {

struct Layer {
  uint32_t H, M, L, directions;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::vector<cmd::CoeffRecord> coefficients(size_t n, Rng& rng) {
  std::vector<cmd::CoeffRecord> r(n);
  for (auto& c : r) {
    const double mag = 0.9 + 0.09 * rng.uniform(), ph = 6.283 * rng.uniform();
    c = {float(mag * std::cos(ph)), float(mag * std::sin(ph)), 1.0f, 0.0f, float(rng.normal()),
         float(rng.normal()), 0.0f, 0.0f};
  }
  return r;
}

// The same maths as a plain loop: per sequence, per step, the partial sum through the
// channel's modes. Returns a checksum so nothing is optimised away.
double plain_loop(const Layer& ly, const std::vector<cmd::CoeffRecord>& rec, const std::vector<float>& u,
                  std::vector<float>& y) {
  const uint32_t H = ly.H, M = ly.M, L = ly.L;
  std::vector<float> xr(M), xi(M);
  for (uint32_t d = 0; d < ly.directions; ++d)
    for (uint32_t h = 0; h < H; ++h) {
      const cmd::CoeffRecord* c = &rec[(size_t(d) * H + h) * M];
      std::fill(xr.begin(), xr.end(), 0.0f);
      std::fill(xi.begin(), xi.end(), 0.0f);
      const float* uh = &u[size_t(h) * L];
      float* yh = &y[size_t(h) * L];
      for (uint32_t k = 0; k < L; ++k) {
        const uint32_t e = d ? L - 1 - k : k;
        const float uk = uh[e];
        float psum = 0.0f;
        for (uint32_t m = 0; m < M; ++m) {
          const float nr = (c[m].a_re * xr[m] - c[m].a_im * xi[m]) + c[m].b_re * uk;
          const float ni = (c[m].a_re * xi[m] + c[m].a_im * xr[m]) + c[m].b_im * uk;
          xr[m] = nr;
          xi[m] = ni;
          psum = (psum + (c[m].c_re * nr - c[m].c_im * ni)) + c[m].d * uk;
        }
        yh[e] = d ? yh[e] + psum : psum;
      }
    }
  double sum = 0;
  for (float v : y) sum += v;
  return sum;
}

struct Bench : sc_core::sc_module {
  Scratchpad in, param, out;
  SystolicArray fast_array, cycle_array;
  tlm_utils::simple_initiator_socket<Bench> unused_[3];  // the scratchpads' DMA sockets
  bool quick;
  SC_HAS_PROCESS(Bench);
  Bench(sc_core::sc_module_name n, const ArrayParams& fast, const ArrayParams& cyc, uint32_t spad_bytes, bool q)
      : sc_core::sc_module(n),
        in("in", spad_bytes, 1024, 1, sc_core::sc_time(1, sc_core::SC_NS)),
        param("param", 1 << 20, 1024, 1, sc_core::sc_time(1, sc_core::SC_NS)),
        out("out", spad_bytes, 1024, 1, sc_core::sc_time(1, sc_core::SC_NS)),
        fast_array("fast_array", fast, in, param, out),
        cycle_array("cycle_array", cyc, in, param, out),
        quick(q) {
    unused_[0].bind(in.socket);
    unused_[1].bind(param.socket);
    unused_[2].bind(out.socket);
    SC_THREAD(run);
  }

  void op(SystolicArray& a, const ArrayOp& o) {
    a.start(o);
    do wait(a.idle_event());
    while (!a.idle());
  }

  void run() {
    Rng rng(1);
    const uint32_t R = 32, C = 32;
    // 1. Path-X-sized bidirectional layer in fast mode: M = C = 32, one segment per row,
    //    H/R = 8 folds per direction, L steps per fold.
    const Layer ly{256, 32, quick ? 2048u : 16384u, 2};
    const std::vector<cmd::CoeffRecord> rec = coefficients(size_t(ly.directions) * ly.H * ly.M, rng);
    std::vector<float> u(size_t(ly.H) * ly.L), y(u.size());
    for (auto& v : u) v = float(rng.normal());
    const uint64_t steps = uint64_t(ly.directions) * ly.H * ly.M * ly.L;
    const int reps = quick ? 3 : 5;
    std::vector<double> t_fast, t_plain;
    for (int rep = 0; rep < reps; ++rep) {
      const auto t0 = Clock::now();
      for (uint32_t d = 0; d < ly.directions; ++d)
        for (uint32_t fold = 0; fold < ly.H / R; ++fold) {
          std::memcpy(param.bytes(), &rec[(size_t(d) * ly.H + fold * R) * ly.M], size_t(R) * ly.M * 32);
          std::memcpy(in.bytes(), &u[size_t(fold) * R * ly.L], size_t(R) * ly.L * 4);
          ArrayOp load;
          load.kind = ArrayOp::Kind::LOAD;
          load.load = {0, R, ly.M};
          op(fast_array, load);
          ArrayOp run;
          run.run.flags = cmd::FLAG_RESET_STATE | (d ? cmd::FLAG_REVERSE | cmd::FLAG_ACCUMULATE : 0);
          run.run.in_stride = run.run.out_stride = ly.L * 4;
          run.run.length = ly.L;
          op(fast_array, run);
        }
      t_fast.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      const auto t1 = Clock::now();
      const double sum = plain_loop(ly, rec, u, y);
      t_plain.push_back(std::chrono::duration<double>(Clock::now() - t1).count());
      if (!std::isfinite(sum)) std::printf("(checksum not finite)\n");
    }
    const double f = median(t_fast), p = median(t_plain);
    std::printf("fast mode, Path-X layer H=%u M=%u L=%u bidirectional on %ux%u: %.3f s, %.1f M LIMA steps/s\n",
                ly.H, ly.M, ly.L, R, C, f, steps / f / 1e6);
    std::printf("plain C++ loop of the same maths:                        %.3f s, %.1f M LIMA steps/s\n", p,
                steps / p / 1e6);
    std::printf("fast mode / plain loop time ratio: %.2f (goal <= 2)\n", f / p);

    // 2. Cycle mode on a full 32x32 array: 512 segments of 2 PEs (the N=4 LRA layers),
    //    and 32 segments of 32 PEs (the N=64 ones), passes of L steps without stalls.
    for (const uint32_t S : {2u, 32u}) {
      const uint32_t L = quick ? 1024 : 4096, n_seg = R * C / S;
      const std::vector<cmd::CoeffRecord> rec2 = coefficients(size_t(n_seg) * S, rng);
      std::memcpy(param.bytes(), rec2.data(), rec2.size() * 32);
      for (uint32_t i = 0; i < n_seg * (L + 1); ++i) in.words()[i] = float(rng.normal());
      ArrayOp load;
      load.kind = ArrayOp::Kind::LOAD;
      load.load = {0, n_seg, S};
      op(cycle_array, load);
      std::vector<double> t_cyc;
      uint64_t pe_cycles = 0;
      for (int rep = 0; rep < reps; ++rep) {
        const uint64_t c0 = cycle_array.stats().pass_cycles;
        ArrayOp run;
        run.run.flags = cmd::FLAG_RESET_STATE;
        run.run.in_stride = run.run.out_stride = (L + 1) * 4;  // stride % banks == 1: no conflicts
        run.run.length = L;
        const auto t0 = Clock::now();
        op(cycle_array, run);
        t_cyc.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
        pe_cycles = (cycle_array.stats().pass_cycles - c0) * R * C;
      }
      const double c = median(t_cyc);
      std::printf("cycle mode, 32x32 array, %4u segments x %2u PEs, L=%u: %.4f s per pass, %.1f M PE-cycles/s (goal >= 150)\n",
                  n_seg, S, L, c, pe_cycles / c / 1e6);
    }
    sc_core::sc_stop();
  }
};

}  // namespace

int sc_main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  ArrayParams fast, cyc;
  fast.fast = true;
  Bench b("bench", fast, cyc, 16u << 20, quick);
  sc_core::sc_start();
  return 0;
}

int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  return sc_core::sc_elab_and_sim(argc, argv);
}
