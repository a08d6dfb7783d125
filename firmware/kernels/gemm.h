// GEMM kernel: C[M][N] = A[M][K] * B[K][N] (float32, row-major, in system memory) on the
// LIMA-PE array in MAC mode, weight-stationary (RUN_GEMM, docs/commands.md). K is folded
// onto the array rows (later K folds accumulate in the output scratchpad), N onto the
// columns, and M is cut into chunks that the input and output scratchpads hold.
// Builds hosted and freestanding (docs/firmware.md); build_gemm_stream is host-only.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/record_sink.h"
#include "epochcore/contract/commands.h"
#if __STDC_HOSTED__
#include <vector>
#endif

namespace epochcore::fw {

struct GemmJob {
  uint32_t M = 0, N = 0, K = 0;
  uint64_t a_addr = 0;          // float32 [M][K]
  uint64_t b_addr = 0;          // float32 [K][N]
  uint64_t c_addr = 0;          // float32 [M][N]
  uint64_t workspace_addr = 0;  // 8-byte aligned: the command stream
  uint64_t workspace_bytes = 0;
};

struct GemmPlan {
  uint32_t k_blocks = 0;       // ceil(K / rows): weight tiles down K
  uint32_t n_blocks = 0;       // ceil(N / cols): weight tiles across N
  uint32_t m_chunk = 0;        // A rows (and C rows) per chunk: what both scratchpads hold
  uint32_t m_chunks = 0;       // ceil(M / m_chunk)
  bool weights_resident = false;  // all of B fits the parameter scratchpad: loaded once
  uint64_t folds = 0;          // RUN_GEMM commands: m_chunks * k_blocks * n_blocks
  uint64_t commands = 0;       // records in the stream
  uint64_t stream_bytes = 0;   // 32 * commands, at job.workspace_addr
};

// False with a reason when the GEMM cannot run (zero sizes, scratchpads too small for one
// row or two weight tiles, workspace too small for the stream, fields that overflow).
bool plan_gemm(const AccelInfo& hw, const GemmJob& job, GemmPlan* plan, char* why, size_t why_len);

// The stream. Per M chunk: DMA_IN of the chunk's A rows (K words each, contiguous in the
// input scratchpad), then for each column block (outer) and K block (inner) one RUN_GEMM
// (FLAG_ACCUMULATE after the first K block), then DMA_OUT of the chunk's C rows. Weight
// tiles are packed k x n row-major in the parameter scratchpad by 2-D DMA: all at once
// (resident) or each before its fold, alternating between two slots. BARRIERs separate
// every DMA from the compute that depends on it, as docs/commands.md requires.
void emit_gemm_stream(const AccelInfo& hw, const GemmPlan& plan, const GemmJob& job, RecordSink& sink);
#if __STDC_HOSTED__
std::vector<cmd::Record> build_gemm_stream(const AccelInfo& hw, const GemmPlan& plan, const GemmJob& job);
#endif

struct GemmResult {
  bool ok = false;
  char message[256] = {};  // empty on success
  JobResult job;
  GemmPlan plan;
};

bool gemm_run(Hal& hal, Driver& driver, const AccelInfo& hw, const GemmJob& job, GemmResult* result);

}  // namespace epochcore::fw
