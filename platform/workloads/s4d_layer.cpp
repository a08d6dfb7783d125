// workload.kind s4d_layer: one S4D layer. Parameters from --params (safetensors) or seeded,
// the input from --input (.npy) or seeded; the firmware's S4D kernel
// (firmware/kernels/s4d_layer) runs it; the output is checked against the double-precision
// S4D recurrence. --inject-bad-command corrupts one record of the stream it builds.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/description/s4d_params.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/maths/baseline/ssm_baseline_timing.h"
#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/io/s4d_params_file.h"
#include "epochcore/platform/io/safetensors.h"
#include "epochcore/platform/report/compare.h"
#include "epochcore/platform/soc/soc.h"
#include "epochcore/platform/workloads/support.h"
#include "epochcore/platform/workloads/workload_kinds.h"

namespace epochcore {

using nlohmann::json;

namespace {

class S4dLayerWorkload : public Workload {
 public:
  using Workload::Workload;

  // Sizes before memory: the parameters' and the input's sizes come from the scenario
  // or the files' headers, are checked against the scenario's limits, system memory and
  // the host-memory ceiling, and only then are parameters and input seeded or read.
  void prepare() override {
    size_params();
    size_input();
    layout();
    check_host_memory();
    load_params();
    load_input();
  }

  void attach(Soc& soc) override {
    if (o_.bad_command < 0) return;
    // Fault injection: just before the doorbell, record N of the stream the firmware built
    // gets an unknown opcode, so the accelerator's error path can be watched end to end.
    soc.host().before_reg_write = [this, &soc](uint32_t offset, uint32_t value) {
      if (offset == regs::CMD_BASE_LO) stream_base_ = (stream_base_ & ~0xFFFFFFFFull) | value;
      if (offset == regs::CMD_BASE_HI) stream_base_ = (stream_base_ & 0xFFFFFFFFull) | (uint64_t(value) << 32);
      if (offset == regs::CMD_LEN) stream_len_ = value;
      if (offset != regs::DOORBELL || value != 1) return;
      if (uint64_t(o_.bad_command) >= stream_len_ / cmd::kRecordBytes) {
        injected_ = "not injected: the stream has " + std::to_string(stream_len_ / cmd::kRecordBytes) + " records";
        return;
      }
      const uint64_t at = stream_base_ + uint64_t(o_.bad_command) * cmd::kRecordBytes;
      uint8_t opcode = 0x7F;
      soc.debug_write(at, &opcode, 1);
      injected_ = "record " + std::to_string(o_.bad_command) + " given opcode 0x7F";
    };
  }

  bool load(Soc& soc) override {
    std::vector<double> block;
    block.reserve(fw::s4d_param_block_bytes(p_.H, p_.M, p_.directions) / 8);
    for (const auto* v : {&p_.log_dt, &p_.log_A_real, &p_.A_imag, &p_.C, &p_.D})
      block.insert(block.end(), v->begin(), v->end());
    return soc.debug_write(job_.params_addr, block.data(), block.size() * 8) &&
           soc.debug_write(job_.input_addr, input_.data(), input_.size() * 4);
  }

  ProgramOutcome make_job(Soc&, fw::Hal&, const fw::AccelInfo&, ec_fw_job* job) override {
    ec_fw_job& j = *job;
    j = new_job_block(EC_FW_JOB_S4D_LAYER);
    j.H = job_.H;
    j.M = job_.M;
    j.L = job_.L;
    j.B = job_.B;
    j.directions = job_.directions;
    j.single_buffer = job_.single_buffer;
    j.resident = job_.resident;
    j.params_addr = job_.params_addr;
    j.input_addr = job_.input_addr;
    j.output_addr = job_.output_addr;
    j.workspace_addr = job_.workspace_addr;
    j.workspace_bytes = job_.workspace_bytes;
    return {};
  }

  void take_result(Soc&, const ec_fw_result& r) override {
    fw_.ok = r.ok != 0;
    fw_.job = job_result_from(r.job);
    fw_.commands = r.commands;
    fw::S4dPlan& pl = fw_.plan;
    pl.passes = r.plan[0];
    pl.seg_len = r.plan[1];
    pl.spr = r.plan[2];
    pl.segs_per_fold = r.plan[3];
    pl.folds_per_pass = r.plan[4];
    pl.chunk_len = r.plan[5];
    pl.chunks = r.plan[6];
    pl.double_buffered = r.plan[7] != 0;
    pl.resident = r.plan[8] != 0;
    fw_.scales = {r.scales[0], r.scales[1], r.scales[2]};
  }

  uint64_t job_cycles() const override { return fw_.job.cycles; }

  void report(const energy::TechTable&, json& r) override {
    r["workload"] = {{"kind", s_.workload.kind.name()}, {"batch", B_}, {"channels", p_.H}, {"modes", p_.M},
                     {"bidirectional", p_.directions == 2},
                     {"length", L_}, {"params", params_source_}, {"input", input_source_}};
    if (o_.bad_command >= 0) r["fault_injection"] = injected_;
    const fw::S4dPlan& pl = fw_.plan;
    r["plan"] = {{"passes", pl.passes}, {"seg_len", pl.seg_len}, {"segments_per_row", pl.spr},
                 {"segments_per_fold", pl.segs_per_fold}, {"folds_per_pass", pl.folds_per_pass},
                 {"chunk_len", pl.chunk_len}, {"chunks", pl.chunks}, {"commands", fw_.commands}};
  }

  void check(Soc& soc, json& r) override {
    output_.resize(input_.size());
    soc.debug_read(job_.output_addr, output_.data(), output_.size() * 4);
    const std::vector<double> u(input_.begin(), input_.end());
    const std::vector<double> ref = s4d_recurrence(p_, u.data(), B_, L_);
    const ErrorStats e = compare_to_reference(output_.data(), ref.data(), ref.size());
    r["error_vs_reference"] = {{"max_abs", e.max_abs}, {"max_rel", e.max_rel}, {"ref_max_abs", e.ref_max_abs},
                               {"reference", "double-precision S4D recurrence (ZOH)"}};
  }

  void compare(const energy::TechTable& t, json& r) const override {
    baseline::SsmShape shape;
    shape.B = B_;
    shape.H = p_.H;
    shape.M = p_.M;
    shape.L = L_;
    shape.bidirectional = p_.directions == 2;
    add_layer_baseline_comparison(s_, t, shape, r);
  }

  void write_output(const std::string& path) const override {
    io::write_npy_f32(path, input_shape_, output_.data());
  }

 private:
  // H, M and directions: the scenario's keys, or --params's header (log_A_real [H, M],
  // C [2, H, M, 2] for two directions), checked against the keys' limits.
  void size_params() {
    const WorkloadConfig& wl = s_.workload;
    if (o_.params_path.empty()) {
      p_.H = wl.channels;
      p_.M = wl.modes;
      p_.directions = wl.bidirectional ? 2 : 1;
      return;
    }
    const std::string& path = o_.params_path;
    std::map<std::string, io::TensorInfo> header;
    try {
      header = io::read_safetensors_header(path);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    for (const auto& [name, t] : header) file_elements_ = sat_add(file_elements_, t.elements);
    const auto find = [&header](const std::string& name) -> const io::TensorInfo* {
      auto it = header.find(name);
      if (it == header.end()) it = header.find("kernel." + name);
      return it == header.end() ? nullptr : &it->second;
    };
    // Shapes are checked in full by load_s4d_params; here only what sizes the run.
    const io::TensorInfo* a = find("log_A_real");
    if (a == nullptr || a->shape.size() != 2 || a->shape[0] == 0 || a->shape[1] == 0) {
      // No H and M to size the run by: load_s4d_params names the problem, once the
      // file's tensors (as double) are known to fit the ceiling.
      require_host_memory(s_, sat_product({file_elements_, 8}), path + " (its tensors as double)");
      try {
        io::load_s4d_params(path);
      } catch (const std::exception& e) {
        throw InputError(e.what());
      }
      throw InputError(path + ": tensor 'log_A_real' must have shape [H, M] with H, M >= 1");
    }
    const size_t H = a->shape[0], M = a->shape[1];
    const std::string shape = "tensor 'log_A_real' has shape " + io::detail::shape_string(a->shape);
    if (H > kMaxChannels)
      throw InputError(path + ": " + shape + ": H = " + std::to_string(H) + " is above the limit of workload.channels (" +
                       std::to_string(kMaxChannels) + ")");
    if (M > kMaxModes)
      throw InputError(path + ": " + shape + ": M = " + std::to_string(M) + " is above the limit of workload.modes (" +
                       std::to_string(kMaxModes) + ")");
    const io::TensorInfo* c = find("C");
    p_.H = uint32_t(H);
    p_.M = uint32_t(M);
    p_.directions = c != nullptr && c->shape.size() == 4 && c->shape[0] == 2 ? 2 : 1;
  }

  // B and L: the scenario's keys, or --input's header (dtype and shape checked against
  // the layer and the keys' limits before any element is read).
  void size_input() {
    const WorkloadConfig& wl = s_.workload;
    const uint32_t H = p_.H;
    if (o_.input_path.empty()) {
      B_ = wl.batch;
      L_ = wl.length;
      input_shape_ = B_ == 1 ? std::vector<size_t>{H, L_} : std::vector<size_t>{B_, H, L_};
      check_states("workload.batch", B_);
      return;
    }
    const std::string& path = o_.input_path;
    io::NpyHeader a;
    try {
      a = io::read_npy_header(path);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    if (a.dtype != "f4" && a.dtype != "f8")
      throw InputError(path + ": input must be float32 or float64, got dtype '" + a.dtype + "'");
    const std::string expect = "(H, L) or (B, H, L) with H = " + std::to_string(H);
    if (a.shape.size() != 2 && a.shape.size() != 3)
      throw InputError(path + ": input has " + std::to_string(a.shape.size()) + " dimensions; expected shape " +
                       expect);
    const bool batched = a.shape.size() == 3;
    const size_t B = batched ? a.shape[0] : 1, L = a.shape.back();
    const size_t channels = a.shape[batched ? 1 : 0];
    const std::string got = " (shape " + io::detail::shape_string(a.shape, true) + ")";
    if (channels != H)
      throw InputError(path + ": input has " + std::to_string(channels) + " channels but the layer has H = " +
                       std::to_string(H) + "; expected shape " + expect + got);
    if (B == 0 || L == 0) throw InputError(path + ": input is empty; expected shape " + expect + got);
    if (B > kMaxBatch)
      throw InputError(path + ": input has B = " + std::to_string(B) + " sequences, above the limit of " +
                       "workload.batch (" + std::to_string(kMaxBatch) + "); expected shape " + expect + got);
    if (L > kMaxLength)
      throw InputError(path + ": input has L = " + std::to_string(L) + " steps, above the limit of " +
                       "workload.length (" + std::to_string(kMaxLength) + "); expected shape " + expect + got);
    if (uint64_t(B) * H * L > kMaxElements)
      throw InputError(path + ": input has B * H * L = " + std::to_string(uint64_t(B) * H * L) +
                       " elements, above the limit of workload.channels * length * batch (" +
                       std::to_string(kMaxElements) + ")" + got);
    B_ = uint32_t(B);
    L_ = uint32_t(L);
    input_shape_ = a.shape;
    check_states(path + ": input's B", B_);
  }

  // channels * modes * batch (the recurrence's states), as the scenario bounds it.
  void check_states(const std::string& who, uint32_t B) const {
    const uint64_t states = uint64_t(p_.H) * p_.M * B;
    if (states > kMaxStates)
      throw InputError(who + " = " + std::to_string(B) + " with H = " + std::to_string(p_.H) + ", M = " +
                       std::to_string(p_.M) + ": channels * modes * batch = " + std::to_string(states) +
                       " is above the limit of " + std::to_string(kMaxStates) + " (2^28)");
  }

  // The parameters twice (vectors and the block written to memory; a file's tensors as
  // doubles while read), the input and output as float, the reference's input and
  // output as double: checked against run.host_memory_mib.
  void check_host_memory() const {
    const uint64_t block = fw::s4d_param_block_bytes(p_.H, p_.M, p_.directions);
    const uint64_t params = sat_add(2 * block, sat_product({file_elements_, 8}));
    const uint64_t elements = sat_product({B_, p_.H, L_});
    // System memory holds the block, input and output too (written pages only).
    const uint64_t bytes = sat_add(sat_add(params, block), sat_product({elements, 4 + 4 + 8 + 8 + 4 + 4}));
    const std::string params_from = o_.params_path.empty() ? "workload.channels, workload.modes" : o_.params_path;
    const std::string input_from =
        o_.input_path.empty() ? "workload.batch * workload.channels * workload.length" : o_.input_path;
    require_host_memory(s_, bytes,
                        "the s4d_layer run (parameters from " + params_from + ": H = " + std::to_string(p_.H) +
                            ", M = " + std::to_string(p_.M) + "; input from " + input_from + ": B = " +
                            std::to_string(B_) + ", H = " + std::to_string(p_.H) + ", L = " + std::to_string(L_) +
                            ", " + std::to_string(elements) + " elements, 32 bytes each with output, reference and system memory)");
  }

  static constexpr uint64_t kMaxChannels = 1u << 20, kMaxModes = 1u << 16, kMaxLength = 1u << 24,
                            kMaxBatch = 1u << 16, kMaxStates = uint64_t(1) << 28,
                            kMaxElements = uint64_t(1) << 32;  // scenario.cpp's ranges

  void load_params() {
    const WorkloadConfig& wl = s_.workload;
    if (o_.params_path.empty()) {
      p_ = s4d_init(wl.channels, wl.modes, wl.init, wl.dt_min, wl.dt_max, wl.seed, wl.bidirectional ? 2 : 1);
      params_source_ = "seeded " + wl.init + " (seed " + std::to_string(wl.seed) + ")";
      return;
    }
    const S4dParams sized = p_;
    try {
      p_ = io::load_s4d_params(o_.params_path);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    // The values the discretisation needs (exp(log_dt) positive and finite, exp(log_A_real)
    // finite), checked now, naming the file and the tensor, rather than after the run.
    try {
      check_s4d_params(p_);
    } catch (const std::invalid_argument& e) {
      std::string what = e.what();  // "S4dParams.<tensor>[i] = v: ..."
      const std::string prefix = "S4dParams.";
      if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
      const std::string tensor = what.substr(0, what.find_first_of("[:"));
      throw InputError("--params " + o_.params_path + ": tensor '" + tensor + "': " + what);
    }
    // Every PE record (a, b, c, d) must be finite in float32: found now rather than by the
    // firmware during the run (exit 1 without the file's name).
    {
      std::vector<cmd::CoeffRecord> records;
      char why[256] = {0};
      if (!fw::discretise_zoh(p_, 1, p_.M, false, &records, why, sizeof why))
        throw InputError("--params " + o_.params_path + ": tensors log_dt, log_A_real, A_imag, C, D: " + why);
    }
    params_source_ = o_.params_path;
    if (p_.H != sized.H || p_.M != sized.M || p_.directions != sized.directions)
      throw InputError(o_.params_path + ": the tensors' shapes changed while the file was read");
    if (wl.bidirectional && p_.directions != 2)
      throw InputError(o_.params_path + ": workload.bidirectional is true but tensor 'C' holds one direction "
                       "(expected shape [2, H, M, 2] for a bidirectional layer)");
  }

  void load_input() {
    const WorkloadConfig& wl = s_.workload;
    if (o_.input_path.empty()) {
      input_ = seeded_input(B_, p_.H, L_, wl.seed + 1);
      input_source_ = "seeded normal (seed " + std::to_string(wl.seed + 1) + ")";
      return;
    }
    const std::string& path = o_.input_path;
    io::NpyArray a;
    try {
      a = io::read_npy(path);
    } catch (const std::exception& e) {
      throw InputError(e.what());
    }
    if (a.shape != input_shape_)
      throw InputError(path + ": the input's shape changed while the file was read");
    input_.resize(a.data.size());
    for (size_t i = 0; i < a.data.size(); ++i) input_[i] = float(a.data[i]);
    input_source_ = path;
  }

  // System memory, 4 KiB aligned: parameters, input, output, then the workspace.
  void layout() {
    const uint64_t io_bytes = uint64_t(B_) * p_.H * L_ * 4;
    MemoryLayout m;
    job_.params_addr = m.place(fw::s4d_param_block_bytes(p_.H, p_.M, p_.directions));
    job_.input_addr = m.place(io_bytes);
    job_.output_addr = m.place(io_bytes);
    job_.workspace_addr = m.end();
    const std::string input = o_.input_path.empty()
                                  ? "input"
                                  : "input " + o_.input_path + " of shape " +
                                        io::detail::shape_string(input_shape_, true);
    job_.workspace_bytes = m.workspace_bytes(s_, "the job (parameters, " + input + ", output and 1 MiB workspace");
    job_.H = p_.H;
    job_.M = p_.M;
    job_.L = L_;
    job_.B = B_;
    job_.directions = p_.directions;
  }

  S4dParams p_;
  uint32_t B_ = 1, L_ = 0;
  uint64_t file_elements_ = 0;        // --params: elements of all its tensors
  std::vector<float> input_;          // [B][H][L]
  std::vector<size_t> input_shape_;   // as given: (H, L) or (B, H, L)
  std::string params_source_, input_source_;
  fw::S4dLayerJob job_{};
  fw::S4dLayerResult fw_{};
  std::vector<float> output_;
  uint64_t stream_base_ = 0;
  uint32_t stream_len_ = 0;
  std::string injected_;
};

}  // namespace

std::unique_ptr<Workload> make_s4d_layer_workload(const Scenario& s, const RunOptions& o) {
  return std::make_unique<S4dLayerWorkload>(s, o);
}

}  // namespace epochcore
