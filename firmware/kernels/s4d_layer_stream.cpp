// S4D layer command streams, single- and double-buffered, and over resident rows
// (s4d_layer.h; docs/commands.md lists them). All visit the same runs in the same order:
// direction, pass, fold, chunk.
#include "epochcore/firmware/kernels/s4d_layer.h"

#include "epochcore/firmware/kernels/kernel_util.h"

namespace epochcore::fw {

namespace {

using cmd::SpadId;

using Sink = RecordSink;

// One RUN_SSM of the stream and the windows it works on.
struct Run {
  bool reverse = false;
  uint32_t pass = 0;
  uint64_t fold_seq = 0;     // which fold load (0, 1, ... over the stream) it runs under
  uint64_t first_record = 0; // index of its fold's first segment in the workspace records
  uint32_t c0 = 0, n = 0;    // items c0 .. c0+n-1
  uint32_t in_step = 0, out_step = 0, len = 0;
  bool first_chunk = false;  // first run of its fold: LOAD_COEFFS and RESET_STATE
  bool accumulate = false;   // adds to partial sums already in the output tensor
};

// Run k of the stream (k < plan.runs). Backward runs (see build_s4d_stream in the header)
// read u_{a+1} .. u_{a+len} and write y_a .. y_{a+len-1}, a = reverse_len - j0 - len.
Run run_at(const S4dPlan& plan, uint32_t L, uint64_t k) {
  Run r;
  const uint64_t forward = uint64_t(plan.folds_per_pass) * plan.passes * plan.chunks;
  r.reverse = k >= forward;
  if (r.reverse) k -= forward;
  const uint32_t chunks = r.reverse ? plan.reverse_chunks : plan.chunks;
  const uint32_t chunk = uint32_t(k % chunks);
  const uint64_t fold_in_dir = k / chunks;  // pass * folds_per_pass + fold
  const uint32_t fold = uint32_t(fold_in_dir % plan.folds_per_pass);
  r.pass = uint32_t(fold_in_dir / plan.folds_per_pass);
  r.fold_seq = (r.reverse ? uint64_t(plan.passes) * plan.folds_per_pass : 0) + fold_in_dir;
  r.c0 = fold * plan.segs_per_fold;
  r.n = fw_min(plan.segs_per_fold, plan.items - r.c0);
  r.first_record = (uint64_t(r.reverse) * plan.passes + r.pass) * plan.items + r.c0;
  const uint32_t steps = r.reverse ? plan.reverse_len : L;
  const uint32_t j0 = chunk * plan.chunk_len;
  r.len = fw_min(plan.chunk_len, steps - j0);
  r.out_step = r.reverse ? steps - j0 - r.len : j0;
  r.in_step = r.reverse ? r.out_step + 1 : j0;
  r.first_chunk = chunk == 0;
  r.accumulate = r.pass > 0 || r.reverse;  // backward runs add to the forward output
  return r;
}

cmd::Record coeff_dma(const S4dPlan& plan, const S4dLayerJob& job, const Run& r, uint32_t slot) {
  cmd::DmaDesc d;
  d.sys_addr = job.workspace_addr + r.first_record * plan.seg_len * sizeof(cmd::CoeffRecord);
  d.spad = SpadId::PARAM;
  d.spad_addr = slot;
  d.row_bytes = uint32_t(uint64_t(r.n) * plan.seg_len * sizeof(cmd::CoeffRecord));
  d.sys_stride = d.spad_stride = d.row_bytes;
  if (plan.mixed) {  // the forward records, then the same items' backward records
    d.rows = 2;
    d.sys_stride = uint32_t(uint64_t(plan.passes) * plan.items * plan.seg_len * sizeof(cmd::CoeffRecord));
  }
  return cmd::encode_dma(true, d);
}

cmd::DmaDesc input_window(const S4dPlan& plan, const S4dLayerJob& job, const Run& r, uint32_t buf) {
  const uint64_t row = 4ull * job.L;
  return {job.input_addr + r.c0 * row + 4ull * r.in_step, SpadId::INPUT, job.input_base + buf, 4 * r.len, r.n,
          uint32_t(row), plan.in_stride};
}

cmd::DmaDesc output_window(const S4dPlan& plan, const S4dLayerJob& job, const Run& r, uint32_t buf) {
  const uint64_t row = 4ull * job.L;
  return {job.output_addr + r.c0 * row + 4ull * r.out_step, SpadId::OUTPUT, job.output_base + buf, 4 * r.len, r.n,
          uint32_t(row), plan.out_stride};
}

// in_buf / out_buf: scratchpad offsets as given (the streaming forms add the job's bases).
cmd::Record run_ssm(const S4dPlan& plan, const Run& r, uint32_t in_buf, uint32_t out_buf) {
  cmd::RunSsm run;
  run.flags = uint8_t((r.first_chunk ? cmd::FLAG_RESET_STATE : 0) | (r.accumulate ? cmd::FLAG_ACCUMULATE : 0) |
                      (r.reverse ? cmd::FLAG_REVERSE : 0));
  run.in_addr = in_buf;
  run.in_stride = plan.in_stride;
  run.out_addr = out_buf;
  run.out_stride = plan.out_stride;
  run.length = r.len;
  if (plan.mixed) {  // backward segments: u_{t+1} into y_t, L - 1 steps
    run.rev_length = r.len - 1;
    run.rev_in_offset = 4;
  }
  return cmd::encode_run_ssm(run);
}

cmd::Record load_coeffs(const S4dPlan& plan, const Run& r, uint32_t slot) {
  if (plan.mixed) return cmd::encode_load_coeffs({slot, 2 * r.n, plan.seg_len, r.n});
  return cmd::encode_load_coeffs({slot, r.n, plan.seg_len});
}

// Whether two runs' output windows share an element of the output tensor.
bool outputs_overlap(const Run& a, const Run& b) {
  return a.c0 < b.c0 + b.n && b.c0 < a.c0 + a.n && a.out_step < b.out_step + b.len &&
         b.out_step < a.out_step + a.len;
}

// Single buffering: per fold DMA_IN records, BARRIER, LOAD_COEFFS; per run DMA_IN input
// (and partial sums), BARRIER, RUN_SSM, BARRIER, DMA_OUT, BARRIER (the next DMA_IN may
// overwrite what this DMA_OUT still reads).
void single_buffered(const S4dPlan& plan, const S4dLayerJob& job, Sink& s) {
  for (uint64_t k = 0; k < plan.runs; ++k) {
    const Run r = run_at(plan, job.L, k);
    if (r.first_chunk) {
      s.push(coeff_dma(plan, job, r, 0));
      s.push(cmd::encode_barrier());
      s.push(load_coeffs(plan, r, 0));
    }
    s.push(cmd::encode_dma(true, input_window(plan, job, r, 0)));
    if (r.accumulate) s.push(cmd::encode_dma(true, output_window(plan, job, r, 0)));
    s.push(cmd::encode_barrier());
    s.push(run_ssm(plan, r, job.input_base, job.output_base));
    s.push(cmd::encode_barrier());
    s.push(cmd::encode_dma(false, output_window(plan, job, r, 0)));
    s.push(cmd::encode_barrier());
  }
}

// Double buffering. Between two barriers run k computes (after its fold's LOAD_COEFFS)
// while the DMA writes back run k-1's output and fetches run k+1's input, partial sums
// and, at a fold boundary, the next fold's records. Buffers rotate (input k % 2, output
// k % out_buffers, parameter slot fold_seq % 2) so nothing in flight shares a buffer.
// Partial sums that run k or k-1 is about to write (consecutive passes or directions
// over the same window) are fetched only after that write-back: an extra barrier.
void double_buffered(const S4dPlan& plan, const S4dLayerJob& job, Sink& s) {
  auto in_buf = [&](uint64_t k) { return uint32_t(k % 2) * plan.in_buf_offset; };
  auto out_buf = [&](uint64_t k) { return uint32_t(k % plan.out_buffers) * plan.out_buf_offset; };
  auto slot = [&](const Run& r) { return uint32_t(r.fold_seq % 2) * plan.param_slot_offset; };

  Run cur = run_at(plan, job.L, 0), prev;
  s.push(coeff_dma(plan, job, cur, slot(cur)));
  s.push(cmd::encode_dma(true, input_window(plan, job, cur, in_buf(0))));
  if (cur.accumulate) s.push(cmd::encode_dma(true, output_window(plan, job, cur, out_buf(0))));
  s.push(cmd::encode_barrier());
  bool prev_out_due = false;  // run k-1's DMA_OUT is still to be issued
  for (uint64_t k = 0; k < plan.runs; ++k) {
    if (cur.first_chunk) s.push(load_coeffs(plan, cur, slot(cur)));
    s.push(run_ssm(plan, cur, job.input_base + in_buf(k), job.output_base + out_buf(k)));
    if (prev_out_due) s.push(cmd::encode_dma(false, output_window(plan, job, prev, out_buf(k - 1))));
    bool cur_out_due = true;
    if (k + 1 < plan.runs) {
      const Run next = run_at(plan, job.L, k + 1);
      if (next.first_chunk) s.push(coeff_dma(plan, job, next, slot(next)));
      s.push(cmd::encode_dma(true, input_window(plan, job, next, in_buf(k + 1))));
      if (next.accumulate) {
        const bool after_cur = outputs_overlap(next, cur);
        const bool after_prev = prev_out_due && outputs_overlap(next, prev);
        if (after_cur || after_prev) s.push(cmd::encode_barrier());
        if (after_cur) {
          s.push(cmd::encode_dma(false, output_window(plan, job, cur, out_buf(k))));
          s.push(cmd::encode_barrier());
          cur_out_due = false;
        }
        s.push(cmd::encode_dma(true, output_window(plan, job, next, out_buf(k + 1))));
      }
      prev = cur;
      cur = next;
    } else {
      prev = cur;
    }
    s.push(cmd::encode_barrier());
    prev_out_due = cur_out_due;
  }
  if (prev_out_due)
    s.push(cmd::encode_dma(false, output_window(plan, job, prev, out_buf(plan.runs - 1))));
  s.push(cmd::encode_barrier());
}

// Resident rows: the same runs in the same order, each over its items' resident rows
// (one chunk of L steps, so every run starts a fold: LOAD_COEFFS, RESET_STATE). Only the
// records move: the next run's are fetched into the other parameter slot while this run
// computes, one BARRIER per run. With one slot, a BARRIER after LOAD_COEFFS frees it for
// the next fetch, which then overlaps the RUN_SSM. Mode passes and backward runs add to
// the output rows in place; the compute queue orders them.
void resident(const S4dPlan& plan, const S4dLayerJob& job, Sink& s) {
  auto slot = [&](const Run& r) { return uint32_t(r.fold_seq % 2) * plan.param_slot_offset; };
  auto in_row = [&](const Run& r) { return uint32_t(job.input_spad + uint64_t(r.c0) * plan.in_stride + 4ull * r.in_step); };
  auto out_row = [&](const Run& r) {
    return uint32_t(job.output_spad + uint64_t(r.c0) * plan.out_stride + 4ull * r.out_step);
  };
  Run cur = run_at(plan, job.L, 0);
  s.push(coeff_dma(plan, job, cur, slot(cur)));
  s.push(cmd::encode_barrier());
  for (uint64_t k = 0; k < plan.runs; ++k) {
    s.push(load_coeffs(plan, cur, slot(cur)));
    if (!plan.double_buffered) s.push(cmd::encode_barrier());
    s.push(run_ssm(plan, cur, in_row(cur), out_row(cur)));
    if (k + 1 < plan.runs) {
      cur = run_at(plan, job.L, k + 1);
      s.push(coeff_dma(plan, job, cur, slot(cur)));
    }
    s.push(cmd::encode_barrier());
  }
}

void build(const S4dPlan& plan, const S4dLayerJob& job, Sink& s) {
  if (plan.runs > 0) {
    if (plan.resident) resident(plan, job, s);
    else if (plan.double_buffered) double_buffered(plan, job, s);
    else single_buffered(plan, job, s);
  }
  s.push(cmd::encode_end());
}

}  // namespace

void emit_s4d_stream(const S4dPlan& plan, const S4dLayerJob& job, RecordSink& sink) { build(plan, job, sink); }

#if __STDC_HOSTED__
std::vector<cmd::Record> build_s4d_stream(const S4dPlan& plan, const S4dLayerJob& job) {
  std::vector<cmd::Record> records;
  records.reserve(size_t(plan.commands));
  VectorSink s(&records);
  build(plan, job, s);
  return records;
}
#endif

uint64_t count_s4d_stream(const S4dPlan& plan, const S4dLayerJob& job) {
  CountingSink s;
  build(plan, job, s);
  return s.count;
}

uint64_t s4d_stream_addr(const S4dLayerJob& job, const S4dPlan& plan) {
  return job.workspace_addr + plan.coeff_bytes;
}

}  // namespace epochcore::fw
