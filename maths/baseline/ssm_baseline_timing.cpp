#include "epochcore/maths/baseline/ssm_baseline_timing.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace epochcore::baseline {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

void require_positive(uint64_t value, const char* field) {
  if (value == 0)
    throw std::invalid_argument(std::string(field) + ": expected at least 1, got 0");
}

void require_at_most(uint64_t value, uint64_t limit, const char* field) {
  if (value > limit)
    throw std::invalid_argument(std::string(field) + ": expected at most " +
                                std::to_string(limit) + ", got " + std::to_string(value));
}

void validate(const BaselineConfig& cfg, const SsmShape& s) {
  require_positive(cfg.rows, "BaselineConfig.rows");
  require_positive(cfg.cols, "BaselineConfig.cols");
  require_positive(cfg.vector_lanes, "BaselineConfig.vector_lanes");
  require_positive(cfg.recurrence_time_block, "BaselineConfig.recurrence_time_block");
  require_positive(cfg.word_bytes, "BaselineConfig.word_bytes");
  require_at_most(cfg.rows, 1u << 16, "BaselineConfig.rows");
  require_at_most(cfg.cols, 1u << 16, "BaselineConfig.cols");
  require_positive(s.B, "SsmShape.B (batch)");
  require_positive(s.H, "SsmShape.H (channels)");
  require_positive(s.M, "SsmShape.M (modes)");
  require_positive(s.L, "SsmShape.L (length)");
  // Limits that keep every 64-bit counter (B*H*L*L MACs at worst) far from overflow.
  require_at_most(s.B, 1u << 20, "SsmShape.B (batch)");
  require_at_most(s.H, 1u << 20, "SsmShape.H (channels)");
  require_at_most(s.M, 1u << 20, "SsmShape.M (modes)");
  require_at_most(s.L, 1u << 24, "SsmShape.L (length)");
  const double worst = double(s.B) * s.H * s.L * (double(s.L) + 4.0 * s.M + 4.0);
  if (worst > 1e18)
    throw std::invalid_argument("SsmShape: B*H*L*(L + 4M) = " + std::to_string(worst) +
                                " exceeds the 1e18 operations the counters are sized for");
}

// Words of the layer's parameters: Abar and C' per direction (complex), D.
uint64_t parameter_words(const SsmShape& s, uint64_t dirs) {
  return 2ull * s.H * s.M + 2ull * s.H * s.M * dirs + s.H;
}

// Array-side SRAM traffic of a tally: weights from the weight buffer, streamed operand
// from the input buffer, outputs to the output buffer.
void add_array_traffic(SramTraffic& t, const FoldTally& g) {
  t.weight_reads += g.weight_loads;
  t.input_reads += g.input_reads;
  t.output_writes += g.output_writes;
  t.output_reads += g.psum_reads;
}

void set_totals(BaselineSsmCost& cost, const FoldTally& all, uint32_t R, uint32_t C) {
  cost.folds = all.folds;
  cost.mac_ops = all.mac_ops;
  cost.weight_loads = all.weight_loads;
  const double pe_cycles = double(R) * C * double(cost.cycles);
  cost.utilization = double(cost.mac_ops) / pe_cycles;
  cost.useful_utilization = double(cost.useful_macs) / pe_cycles;
}

}  // namespace

const char* method_name(SsmMethod method) {
  return method == SsmMethod::convolution ? "convolution" : "recurrence";
}

const BaselineSsmCost& BaselineSsmResult::best_cost() const {
  return best == SsmMethod::convolution ? convolution : recurrence;
}

FoldTally toeplitz_tally(uint64_t L, uint64_t m, bool causal_only, uint32_t R, uint32_t C) {
  FoldTally tally;
  const uint64_t row_blocks = ceil_div(L, R);
  for (uint64_t n0 = 0; n0 < L; n0 += C) {
    const uint64_t n_used = std::min<uint64_t>(C, L - n0);
    const uint64_t t_last = n0 + n_used - 1;
    // Causal: a tile is non-zero iff its first input step s is <= the block's last t.
    const uint64_t tiles = causal_only ? t_last / R + 1 : row_blocks;
    tally.add_column_block(m, std::min<uint64_t>(L, tiles * R), tiles, n_used, R, C);
  }
  return tally;
}

FoldTally toeplitz_reuse_tally(uint64_t L, uint64_t B, bool causal_only, uint32_t R,
                               uint32_t C) {
  const uint64_t row_blocks = ceil_div(L, R);
  if (double(row_blocks) * double(ceil_div(L, C)) > double(1ull << 30))
    throw std::invalid_argument("toeplitz_tile_reuse: L = " + std::to_string(L) +
                                " on a " + std::to_string(R) + "x" + std::to_string(C) +
                                " array has more than 2^30 tiles to enumerate");
  const uint64_t tile_rows = std::min<uint64_t>(R, L), tile_cols = std::min<uint64_t>(C, L);
  // Offset jC - iR, shifted by (row_blocks - 1) * R to index from 0.
  std::vector<char> seen((row_blocks - 1) * R + L, 0);
  uint64_t offsets = 0, tiles = 0, rows_streamed = 0, cols_written = 0;
  for (uint64_t i = 0; i < row_blocks; ++i) {
    const uint64_t s0 = i * R, k_used = std::min<uint64_t>(R, L - s0);
    for (uint64_t t0 = 0; t0 < L; t0 += C) {
      const uint64_t n_used = std::min<uint64_t>(C, L - t0);
      if (causal_only && t0 + n_used - 1 < s0) continue;  // all-zero tile
      char& mark = seen[t0 + (row_blocks - 1) * R - s0];
      offsets += !mark;
      mark = 1;
      ++tiles;
      rows_streamed += k_used;
      cols_written += n_used;
    }
  }
  FoldTally t;
  t.folds = offsets;
  t.serial_cycles = offsets * (2ull * R + C - 2) + B * tiles;
  t.mac_ops = B * tiles * tile_rows * tile_cols;  // every PE of the shared tile fires
  t.weight_loads = offsets * tile_rows * tile_cols;
  t.input_reads = B * rows_streamed;
  t.output_writes = B * cols_written;
  t.psum_reads = t.output_writes - B * L;  // each output's first contribution is a write
  return t;
}

FoldTally block_diagonal_tally(const std::vector<uint32_t>& block_rows, uint64_t m,
                               uint32_t R, uint32_t C) {
  std::vector<uint64_t> start(block_rows.size() + 1, 0);  // first row of each block
  for (size_t g = 0; g < block_rows.size(); ++g) start[g + 1] = start[g] + block_rows[g];
  const uint64_t total_rows = start.back();
  FoldTally tally;
  for (size_t g0 = 0; g0 < block_rows.size(); g0 += C) {
    const size_t g1 = std::min(block_rows.size(), g0 + C);
    if (start[g1] == start[g0]) continue;  // blocks without rows: nothing to load
    // The blocks of columns g0..g1-1 occupy rows start[g0]..start[g1]-1, contiguous.
    const uint64_t first_tile = start[g0] / R, last_tile = (start[g1] - 1) / R;
    const uint64_t rows_mapped = std::min(total_rows, (last_tile + 1) * R) - first_tile * R;
    tally.add_column_block(m, rows_mapped, last_tile - first_tile + 1, g1 - g0, R, C);
  }
  return tally;
}

BaselineSsmCost baseline_s4d_convolution(const BaselineConfig& cfg, const SsmShape& s) {
  validate(cfg, s);
  const uint32_t R = cfg.rows, C = cfg.cols;
  const uint64_t B = s.B, H = s.H, M = s.M, L = s.L, dirs = s.bidirectional ? 2 : 1;
  BaselineSsmCost cost;
  cost.method = SsmMethod::convolution;

  // Per channel: one Toeplitz GEMM streaming the B input vectors through every tile;
  // a bidirectional layer adds the anti-causal kernel above the diagonal (dense matrix).
  const FoldTally toeplitz = cfg.toeplitz_tile_reuse
                                ? toeplitz_reuse_tally(L, B, !s.bidirectional, R, C)
                                : toeplitz_tally(L, B, !s.bidirectional, R, C);
  FoldTally channel = toeplitz, all_toeplitz;
  all_toeplitz.add(toeplitz, H);
  cost.useful_macs = H * B * (s.bidirectional ? L * L : L * (L + 1) / 2);
  add_array_traffic(cost.sram, all_toeplitz);

  uint64_t vector_per_channel = 0;
  FoldTally kernel;
  if (cfg.count_kernel_generation) {
    // K_d[iJ + j] = 2 Re(sum_n (C'_dn Abar_n^{iJ}) Abar_n^j): a real GEMM per channel with
    // weights P[2M x J] (Re, Im of Abar_n^j), streamed rows Q[(d, i) x 2M] (2C' Abar^{iJ}
    // with the sign of the imaginary product folded in), J = C output columns.
    const uint64_t J = std::min<uint64_t>(C, L), blocks = ceil_div(L, J);
    kernel.add_column_block(dirs * blocks, 2 * M, ceil_div(2 * M, R), J, R, C);
    channel.add(kernel);
    cost.useful_macs += H * dirs * L * 2 * M;
    // Vector unit, per mode: J powers, `blocks` block powers, dirs*blocks products with
    // 2C'; then one real add folds D into K_0[0].
    const uint64_t complex_ops = M * (J + blocks + dirs * blocks);
    cost.vector_complex_ops = H * complex_ops;
    cost.vector_real_ops = H;
    vector_per_channel = ceil_div(complex_ops + 1, cfg.vector_lanes);
    SramTraffic& t = cost.sram;
    t.weight_reads += H * (2 * M + 2 * M * dirs + 1 + 1);  // Abar, C', D, K_0[0]
    t.weight_writes += H * (2 * M * J + 1);                // P, K_0[0]
    t.input_writes += H * dirs * blocks * 2 * M;           // Q
    // The kernel GEMM reads P and Q and accumulates K in the weight buffer.
    t.weight_reads += H * (kernel.weight_loads + kernel.psum_reads);
    t.input_reads += H * kernel.input_reads;
    t.weight_writes += H * kernel.output_writes;
    cost.working_set_words = 2 * M * J + dirs * blocks * 2 * M;  // P and Q of a channel
  }
  // One channel at a time: its inputs, outputs and kernel taps.
  cost.working_set_words += 2 * B * L + dirs * L;

  FoldTally all;
  all.add(channel, H);
  const GemmTiming array = finish(all, R, C, cfg.overlap_weight_load);
  const GemmTiming one_channel = finish(channel, R, C, cfg.overlap_weight_load);
  cost.array_cycles = array.cycles;
  cost.vector_cycles = H * vector_per_channel;
  // The vector unit works one channel ahead of the array: whichever unit is the
  // bottleneck sets the pace, the other adds one channel's worth.
  cost.cycles = vector_per_channel == 0
                    ? array.cycles
                    : std::max(vector_per_channel + array.cycles,
                               cost.vector_cycles + one_channel.cycles);
  FoldTally all_kernel;
  all_kernel.add(kernel, H);
  cost.kernel_gemm = finish(all_kernel, R, C, cfg.overlap_weight_load);
  cost.main_gemm = finish(all_toeplitz, R, C, cfg.overlap_weight_load);
  set_totals(cost, all, R, C);

  // DMA: u in, y out; parameters in, or the offline kernel (with D folded in).
  const uint64_t io_words = B * H * L;
  const uint64_t param_words =
      cfg.count_kernel_generation ? parameter_words(s, dirs) : H * L * dirs;
  cost.sram.input_writes += io_words;
  cost.sram.weight_writes += param_words;
  cost.sram.output_reads += io_words;
  cost.dram_read_bytes = (io_words + param_words) * cfg.word_bytes;
  cost.dram_write_bytes = io_words * cfg.word_bytes;
  return cost;
}

BaselineSsmCost baseline_s4d_recurrence(const BaselineConfig& cfg, const SsmShape& s) {
  validate(cfg, s);
  const uint32_t R = cfg.rows, C = cfg.cols;
  const uint64_t B = s.B, H = s.H, M = s.M, L = s.L, dirs = s.bidirectional ? 2 : 1;
  BaselineSsmCost cost;
  cost.method = SsmMethod::recurrence;

  // Vector unit: every step updates all B*H*M*dirs complex states, one per lane-cycle.
  const uint64_t states = B * H * M * dirs;
  const uint64_t vector_per_step = ceil_div(states, cfg.vector_lanes);

  // Array: per step the projection is a block-diagonal GEMM streaming the B state
  // vectors. Column h (forward) sums Re/Im of its M states and u_h (weight D_h): 2M+1
  // rows; column H+h (backward, time L-1-k) sums 2M rows.
  std::vector<uint32_t> block_rows(H * dirs, uint32_t(2 * M));
  for (uint64_t h = 0; h < H; ++h) block_rows[h] = uint32_t(2 * M + 1);
  const uint64_t rows_total = H * (2 * M + 1) + (dirs - 1) * H * 2 * M;
  const uint64_t T = std::min<uint64_t>(cfg.recurrence_time_block, L);
  const uint64_t full_blocks = L / T, rest = L % T;
  const FoldTally full = block_diagonal_tally(block_rows, B * T, R, C);
  FoldTally last;
  if (rest) last = block_diagonal_tally(block_rows, B * rest, R, C);
  const uint64_t a_full = finish(full, R, C, cfg.overlap_weight_load).cycles;
  const uint64_t a_last = rest ? finish(last, R, C, cfg.overlap_weight_load).cycles : 0;
  const uint64_t v_full = T * vector_per_step, v_last = rest * vector_per_step;

  // Two-stage pipeline over time blocks: the vector unit updates block i+1 while the
  // array projects block i.
  uint64_t done = v_full + (full_blocks - 1) * std::max(v_full, a_full) + a_full;
  if (rest) done = std::max(done, full_blocks * v_full + v_last) + a_last;
  cost.cycles = done;
  cost.array_cycles = full_blocks * a_full + a_last;
  cost.vector_cycles = L * vector_per_step;
  cost.vector_complex_ops = states * L;

  FoldTally all;
  all.add(full, full_blocks);
  all.add(last);
  cost.main_gemm = finish(all, R, C, cfg.overlap_weight_load);
  cost.useful_macs = B * L * rows_total;
  // A time block's projection operands (states and u) and outputs, and the coefficients.
  cost.working_set_words = B * T * (rows_total + H * dirs) + parameter_words(s, dirs);
  set_totals(cost, all, R, C);

  SramTraffic& t = cost.sram;
  add_array_traffic(t, all);
  t.input_reads += L * (2 * states + B * H * dirs);  // states and u for the update
  t.input_writes += L * 2 * states;                  // updated states
  t.weight_reads += L * 2 * H * M;                   // Abar, shared by batch and direction
  if (s.bidirectional) t.output_reads += B * H * L;  // y_t = forward + backward

  const uint64_t io_words = B * H * L, param_words = parameter_words(s, dirs);
  t.input_writes += io_words;
  t.weight_writes += param_words;
  t.output_reads += io_words;
  cost.dram_read_bytes = (io_words + param_words) * cfg.word_bytes;
  cost.dram_write_bytes = io_words * cfg.word_bytes;
  return cost;
}

BaselineSsmResult baseline_s4d_layer(const BaselineConfig& cfg, const SsmShape& s) {
  BaselineSsmResult r;
  r.convolution = baseline_s4d_convolution(cfg, s);
  r.recurrence = baseline_s4d_recurrence(cfg, s);
  r.best = r.recurrence.cycles < r.convolution.cycles ? SsmMethod::recurrence
                                                      : SsmMethod::convolution;
  return r;
}

}  // namespace epochcore::baseline
