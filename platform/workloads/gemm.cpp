// workload.kind gemm: C = A * B with A and B seeded uniform in [-1, 1); the firmware's GEMM
// kernel (firmware/kernels/gemm) runs it in MAC mode; C is checked against a double
// triple loop.
#include <memory>
#include <string>
#include <vector>

#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/soc/soc.h"
#include "epochcore/platform/workloads/support.h"
#include "epochcore/platform/workloads/workload_kinds.h"

namespace epochcore {

using nlohmann::json;

namespace {

// Uniform in [-1, 1): Rng::uniform is bit-exact on every platform.
std::vector<float> seeded_matrix(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(2.0 * rng.uniform() - 1.0);
  return v;
}

// C = A * B in double, k in order.
std::vector<double> gemm_reference(const std::vector<float>& a, const std::vector<float>& b, uint32_t M,
                                   uint32_t N, uint32_t K) {
  std::vector<double> c(size_t(M) * N, 0.0);
  for (size_t i = 0; i < M; ++i)
    for (size_t k = 0; k < K; ++k) {
      const double aik = a[i * K + k];
      for (size_t j = 0; j < N; ++j) c[i * N + j] += aik * double(b[k * N + j]);
    }
  return c;
}

class GemmWorkload : public Workload {
 public:
  using Workload::Workload;

  void prepare() override {
    refuse_layer_files(s_, o_);
    refuse_fault_injection(s_, o_);
    job_.M = s_.workload.gemm_m;
    job_.N = s_.workload.gemm_n;
    job_.K = s_.workload.gemm_k;
    // Sizes before memory: the layout and the host-memory ceiling first, then the operands.
    const uint64_t a = uint64_t(job_.M) * job_.K, b = uint64_t(job_.K) * job_.N, c = uint64_t(job_.M) * job_.N;
    MemoryLayout m;
    job_.a_addr = m.place(a * 4);
    job_.b_addr = m.place(b * 4);
    job_.c_addr = m.place(c * 4);
    job_.workspace_addr = m.end();
    job_.workspace_bytes = m.workspace_bytes(s_, "the GEMM (A, B, C and 1 MiB workspace");
    // A, B and C as float on the host and in system memory, the reference C as double.
    require_host_memory(s_, sat_add(sat_product({a + b + c, 8}), sat_product({c, 4 + 8})),
                        "the GEMM (workload.gemm_m = " + std::to_string(job_.M) + ", gemm_n = " +
                            std::to_string(job_.N) + ", gemm_k = " + std::to_string(job_.K) +
                            ": A, B and C as float on the host and in system memory, the reference C as double)");
    a_ = seeded_matrix(a, s_.workload.seed + 1);
    b_ = seeded_matrix(b, s_.workload.seed);
  }

  bool load(Soc& soc) override {
    return soc.debug_write(job_.a_addr, a_.data(), a_.size() * 4) &&
           soc.debug_write(job_.b_addr, b_.data(), b_.size() * 4);
  }

  ProgramOutcome make_job(Soc&, fw::Hal&, const fw::AccelInfo&, ec_fw_job* job) override {
    ec_fw_job& j = *job;
    j = new_job_block(EC_FW_JOB_GEMM);
    j.gemm_m = job_.M;
    j.gemm_n = job_.N;
    j.gemm_k = job_.K;
    j.a_addr = job_.a_addr;
    j.b_addr = job_.b_addr;
    j.c_addr = job_.c_addr;
    j.workspace_addr = job_.workspace_addr;
    j.workspace_bytes = job_.workspace_bytes;
    return {};
  }

  void take_result(Soc&, const ec_fw_result& r) override {
    fw_.ok = r.ok != 0;
    fw_.job = job_result_from(r.job);
    fw::GemmPlan& pl = fw_.plan;
    pl.k_blocks = r.plan[0];
    pl.n_blocks = r.plan[1];
    pl.m_chunk = r.plan[2];
    pl.m_chunks = r.plan[3];
    pl.weights_resident = r.plan[4] != 0;
    pl.folds = r.plan[5];
    pl.commands = r.plan[6];
    pl.stream_bytes = 32ull * pl.commands;
  }

  uint64_t job_cycles() const override { return fw_.job.cycles; }

  void report(const energy::TechTable&, json& r) override {
    // hardware_report counts MACs in the utilisation and the GEMM counters (no LIMA ops here).
    const uint32_t M = job_.M, N = job_.N, K = job_.K;
    const uint64_t seed = s_.workload.seed;
    const std::string operands = "GEMM M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" +
                                 std::to_string(K) + ", A and B seeded uniform [-1, 1) (seed " +
                                 std::to_string(seed) + ")";
    // The S4D keys keep the report's shape for readers that expect them (gemm: not used).
    r["workload"] = {{"kind", "gemm"}, {"gemm", {{"M", M}, {"N", N}, {"K", K}}}, {"batch", 1}, {"channels", 0},
                     {"modes", 0}, {"bidirectional", false}, {"length", 0}, {"params", operands},
                     {"input", "seeded uniform [-1, 1) (seed " + std::to_string(seed + 1) + ")"}};
    const fw::GemmPlan& pl = fw_.plan;
    r["plan"] = {{"folds", pl.folds}, {"k_blocks", pl.k_blocks}, {"n_blocks", pl.n_blocks},
                 {"m_chunk", pl.m_chunk}, {"m_chunks", pl.m_chunks}, {"weights_resident", pl.weights_resident},
                 {"commands", pl.commands},
                 // S4D plan keys, for readers that expect them: one "pass" of `folds` folds.
                 {"passes", 1}, {"seg_len", 0}, {"segments_per_row", 0}, {"segments_per_fold", 0},
                 {"folds_per_pass", pl.folds}, {"chunk_len", pl.m_chunk}, {"chunks", pl.m_chunks}};
  }

  void check(Soc& soc, json& r) override {
    c_.resize(size_t(job_.M) * job_.N);
    soc.debug_read(job_.c_addr, c_.data(), c_.size() * 4);
    const std::vector<double> ref = gemm_reference(a_, b_, job_.M, job_.N, job_.K);
    const ErrorStats e = compare_to_reference(c_.data(), ref.data(), ref.size());
    r["error_vs_reference"] = {{"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"ref_max_abs", e.ref_max_abs},
                               {"reference", "double-precision triple loop"}};
  }

  void compare(const energy::TechTable& t, json& r) const override { add_gemm_baseline_comparison(s_, t, r); }

  void write_output(const std::string& path) const override {
    io::write_npy_f32(path, {job_.M, job_.N}, c_.data());
  }

 private:
  std::vector<float> a_, b_, c_;
  fw::GemmJob job_;
  fw::GemmResult fw_{};
};

}  // namespace

std::unique_ptr<Workload> make_gemm_workload(const Scenario& s, const RunOptions& o) {
  return std::make_unique<GemmWorkload>(s, o);
}

}  // namespace epochcore
