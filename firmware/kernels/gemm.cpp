#include "epochcore/firmware/kernels/gemm.h"

#include "epochcore/firmware/kernels/kernel_util.h"

namespace epochcore::fw {

namespace {

constexpr uint32_t kIn = uint32_t(cmd::SpadId::INPUT);
constexpr uint32_t kParam = uint32_t(cmd::SpadId::PARAM);
constexpr uint32_t kOut = uint32_t(cmd::SpadId::OUTPUT);

cmd::Record dma(bool to_spad, cmd::SpadId spad, uint64_t sys, uint32_t spad_addr, uint32_t row_bytes,
                uint32_t rows, uint32_t sys_stride, uint32_t spad_stride) {
  cmd::DmaDesc d;
  d.sys_addr = sys;
  d.spad = spad;
  d.spad_addr = spad_addr;
  d.row_bytes = row_bytes;
  d.rows = rows;
  d.sys_stride = sys_stride;
  d.spad_stride = spad_stride;
  return cmd::encode_dma(to_spad, d);
}

}  // namespace

bool plan_gemm(const AccelInfo& hw, const GemmJob& job, GemmPlan* plan, char* why, size_t why_len) {
  GemmPlan& p = *plan;
  p = GemmPlan{};
  if (job.M == 0 || job.N == 0 || job.K == 0)
    return fail(why, why_len, "gemm: M, N and K must be at least 1 (got %u, %u, %u)", job.M, job.N, job.K);
  if (hw.rows == 0 || hw.cols == 0 || hw.rows > 0xFFFF || hw.cols > 0xFFFF)
    return fail(why, why_len, "gemm: array of %ux%u PEs cannot run RUN_GEMM (1..65535 each)", hw.rows, hw.cols);
  if (job.workspace_addr % 8)
    return fail(why, why_len, "gemm: workspace address 0x%llx is not 8-byte aligned",
                     (unsigned long long)job.workspace_addr);
  const uint64_t row_a = uint64_t(job.K) * 4, row_c = uint64_t(job.N) * 4;
  if (row_a > 0xFFFFFFFFull || row_c > 0xFFFFFFFFull)
    return fail(why, why_len, "gemm: rows of %u or %u floats overflow the 32-bit DMA fields", job.K, job.N);
  const uint64_t m_in = hw.spad_bytes[kIn] / row_a, m_out = hw.spad_bytes[kOut] / row_c;
  const uint64_t m_chunk = fw_min<uint64_t>(fw_min<uint64_t>(job.M, m_in), m_out);
  if (m_chunk == 0)
    return fail(why, why_len,
                     "gemm: one row of A (%llu bytes) or of C (%llu bytes) does not fit the input (%u bytes) "
                     "or output (%u bytes) scratchpad",
                     (unsigned long long)row_a, (unsigned long long)row_c, hw.spad_bytes[kIn], hw.spad_bytes[kOut]);
  p.m_chunk = uint32_t(m_chunk);
  p.m_chunks = uint32_t(ceil_div(job.M, m_chunk));
  p.k_blocks = uint32_t(ceil_div(job.K, hw.rows));
  p.n_blocks = uint32_t(ceil_div(job.N, hw.cols));
  p.weights_resident = uint64_t(job.K) * job.N * 4 <= hw.spad_bytes[kParam];
  const uint64_t tile_bytes = uint64_t(fw_min(job.K, hw.rows)) * fw_min(job.N, hw.cols) * 4;
  if (!p.weights_resident && 2 * tile_bytes > hw.spad_bytes[kParam])
    return fail(why, why_len, "gemm: the parameter scratchpad (%u bytes) cannot hold two weight tiles of %llu bytes",
                     hw.spad_bytes[kParam], (unsigned long long)tile_bytes);
  const uint64_t blocks = uint64_t(p.k_blocks) * p.n_blocks;
  p.folds = uint64_t(p.m_chunks) * blocks;
  // Per chunk: DMA_IN, BARRIER, the folds (each with DMA_IN + BARRIER when not resident),
  // BARRIER, DMA_OUT; resident weights: n_blocks*k_blocks tile DMAs once; BARRIER, END.
  p.commands = uint64_t(p.m_chunks) * 4 + p.folds * (p.weights_resident ? 1 : 3) +
               (p.weights_resident ? blocks : 0) + 2;
  p.stream_bytes = p.commands * cmd::kRecordBytes;
  if (p.stream_bytes > 0xFFFFFFE0ull)
    return fail(why, why_len, "gemm: the stream of %llu commands exceeds CMD_LEN's 32 bits",
                     (unsigned long long)p.commands);
  if (p.stream_bytes > job.workspace_bytes)
    return fail(why, why_len, "gemm: the stream needs %llu bytes of workspace, %llu available",
                     (unsigned long long)p.stream_bytes, (unsigned long long)job.workspace_bytes);
  return true;
}

void emit_gemm_stream(const AccelInfo& hw, const GemmPlan& plan, const GemmJob& job, RecordSink& s) {
  const uint32_t R = hw.rows, C = hw.cols;
  const uint32_t row_a = job.K * 4, row_c = job.N * 4;
  auto tile_k = [&](uint32_t kb) { return fw_min(R, job.K - kb * R); };
  auto tile_n = [&](uint32_t nb) { return fw_min(C, job.N - nb * C); };
  // A weight tile (kb, nb): k rows of n floats, from B's rows kb*R.. and columns nb*C..
  auto tile_dma = [&](uint32_t kb, uint32_t nb, uint32_t param_addr) {
    const uint32_t k = tile_k(kb), n = tile_n(nb);
    const uint64_t sys = job.b_addr + (uint64_t(kb) * R * job.N + uint64_t(nb) * C) * 4;
    return dma(true, cmd::SpadId::PARAM, sys, param_addr, n * 4, k, row_c, n * 4);
  };
  // Resident tiles are packed in fold order (column block outer, K block inner): the
  // column blocks before nb hold K rows of C floats each, the K blocks before kb (in
  // column block nb) R rows of tile_n(nb) floats each.
  auto resident_addr = [&](uint32_t kb, uint32_t nb) {
    return uint32_t((uint64_t(job.K) * nb * C + uint64_t(kb) * R * tile_n(nb)) * 4);
  };
  if (plan.weights_resident) {
    for (uint32_t nb = 0; nb < plan.n_blocks; ++nb)
      for (uint32_t kb = 0; kb < plan.k_blocks; ++kb) s.push(tile_dma(kb, nb, resident_addr(kb, nb)));
  }
  const uint32_t slot_bytes = fw_min(job.K, R) * fw_min(job.N, C) * 4;
  uint64_t fold = 0;
  for (uint32_t c = 0; c < plan.m_chunks; ++c) {
    const uint32_t r0 = c * plan.m_chunk;
    const uint32_t m = fw_min(plan.m_chunk, job.M - r0);
    s.push(dma(true, cmd::SpadId::INPUT, job.a_addr + uint64_t(r0) * row_a, 0, row_a, m, row_a, row_a));
    s.push(cmd::encode_barrier());
    for (uint32_t nb = 0; nb < plan.n_blocks; ++nb)
      for (uint32_t kb = 0; kb < plan.k_blocks; ++kb, ++fold) {
        cmd::RunGemm g;
        if (plan.weights_resident) {
          g.param_addr = resident_addr(kb, nb);
        } else {
          // Two slots: the tile for this fold lands while the previous fold's slot is in use.
          g.param_addr = uint32_t(fold % 2) * slot_bytes;
          s.push(tile_dma(kb, nb, g.param_addr));
          s.push(cmd::encode_barrier());
        }
        g.flags = kb ? uint8_t(cmd::FLAG_ACCUMULATE) : 0;
        g.in_addr = kb * R * 4;
        g.in_stride = row_a;
        g.out_addr = nb * C * 4;
        g.out_stride = row_c;
        g.k = uint16_t(tile_k(kb));
        g.n = uint16_t(tile_n(nb));
        g.m = m;
        s.push(cmd::encode_run_gemm(g));
      }
    s.push(cmd::encode_barrier());
    s.push(dma(false, cmd::SpadId::OUTPUT, job.c_addr + uint64_t(r0) * row_c, 0, row_c, m, row_c, row_c));
  }
  s.push(cmd::encode_barrier());
  s.push(cmd::encode_end());
}

#if __STDC_HOSTED__
std::vector<cmd::Record> build_gemm_stream(const AccelInfo& hw, const GemmPlan& plan, const GemmJob& job) {
  std::vector<cmd::Record> s;
  s.reserve(plan.commands);
  VectorSink sink(&s);
  emit_gemm_stream(hw, plan, job, sink);
  return s;
}
#endif

bool gemm_run(Hal& hal, Driver& driver, const AccelInfo& hw, const GemmJob& job, GemmResult* result) {
  GemmResult& r = *result;
  r = GemmResult{};
  if (!plan_gemm(hw, job, &r.plan, r.message, sizeof r.message)) return false;
  MemorySink sink(hal, job.workspace_addr);
  emit_gemm_stream(hw, r.plan, job, sink);
  if (!sink.flush())
    return fail(r.message, sizeof r.message, "gemm: workspace write of the command stream at 0x%llx failed",
                (unsigned long long)job.workspace_addr);
  const uint64_t count = sink.count();
  const DriverStatus status = driver.run(job.workspace_addr, uint32_t(count * cmd::kRecordBytes), &r.job);
  if (status == DriverStatus::JOB_ERROR) {
    const char* op = "no command";
    uint8_t rec[cmd::kRecordBytes];
    if (r.job.cmd_index < count &&
        hal.mem_read(job.workspace_addr + uint64_t(r.job.cmd_index) * cmd::kRecordBytes, rec, sizeof rec) ==
            HalStatus::OK)
      op = cmd::opcode_name(uint8_t(cmd::opcode_of(cmd::unpack(rec))));
    return fail(r.message, sizeof r.message, "accelerator error %s at command %u (%s)",
                regs::error_cause_name(r.job.cause), unsigned(r.job.cmd_index), op);
  }
  if (status != DriverStatus::OK)
    return fail(r.message, sizeof r.message, "driver error %s", driver_status_name(status));
  r.ok = true;
  return true;
}

}  // namespace epochcore::fw
