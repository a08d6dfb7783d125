#include "epochcore/maths/timing/residency_timing.h"

#include <algorithm>

namespace epochcore::timing {

uint32_t resident_channels(uint32_t resident_rows, uint32_t H, uint32_t q) {
  const uint64_t first = uint64_t(q) * H;
  return resident_rows <= first ? 0 : uint32_t(std::min<uint64_t>(H, resident_rows - first));
}

uint64_t ssm_item_activation_bytes(uint32_t L, uint32_t passes, bool bidirectional, bool mixed) {
  const uint64_t P = passes, l = L;
  uint64_t words = P * 2 * l + (P - 1) * l;
  if (bidirectional && !mixed) words += P * 3 * (l - 1);
  return 4 * words;
}

std::vector<TileWidth> stage_tiles(uint32_t S, uint32_t L, uint32_t T, uint32_t N,
                                   const std::vector<uint32_t>& lengths, bool skip_padding, bool ramp) {
  std::vector<TileWidth> list;
  for (uint32_t q = 0; q < S; ++q) {
    const uint32_t len = q < lengths.size() ? lengths[q] : L;
    const uint32_t end = skip_padding ? len : L;
    for (uint32_t t0 = 0; t0 < end; t0 += T) {
      uint32_t w = std::min(T, L - t0);
      if (skip_padding) w = std::min(w, (len - t0 + N - 1) / N * N);
      list.push_back({q, w});
    }
  }
  if (!ramp || list.empty()) return list;
  if (list.front().width > N) {
    const TileWidth rest{list.front().q, list.front().width - N};
    list.front().width = N;
    list.insert(list.begin() + 1, rest);
  }
  if (list.back().width > N) {
    const uint32_t head = (list.back().width - 1) / N * N;
    const TileWidth rest{list.back().q, list.back().width - head};
    list.back().width = head;
    list.push_back(rest);
  }
  return list;
}

namespace {

// DMA busy cycles saved when an [H][w] tile transfer moves only its last H - hr rows.
uint64_t rows_saved_cycles(uint32_t H, uint32_t hr, uint32_t w, uint32_t L, const DmaParams& dma,
                           const DmaPath& path) {
  if (hr == 0) return 0;
  cmd::DmaDesc d;
  d.row_bytes = 4 * w;
  d.sys_stride = 4 * L;
  d.spad_stride = 4 * w;
  d.rows = H;
  const uint64_t all = dma_transfer_cycles(d, dma, path);
  if (hr >= H) return all;  // the transfer is not issued
  d.rows = H - hr;
  return all - dma_transfer_cycles(d, dma, path);
}

}  // namespace

ResidencySavings partial_residency_savings(const ResidencyShape& s, const DmaParams& dma, const DmaPath& input,
                                           const DmaPath& output) {
  ResidencySavings r;
  const uint64_t R = s.resident_rows, L = s.L;
  r.encoder_bytes = 4 * R * L;
  r.ssm_bytes = R * ssm_item_activation_bytes(s.L, s.passes, s.bidirectional, s.mixed);
  r.tail_bytes = 8 * R * L;
  for (const TileWidth& t : stage_tiles(s.S, s.L, s.enc_T, s.enc_T, s.lengths, false, false))
    r.encoder_dma_cycles += rows_saved_cycles(s.H, resident_channels(s.resident_rows, s.H, t.q), t.width, s.L, dma, output);
  for (const TileWidth& t : stage_tiles(s.S, s.L, s.tail_T, s.tail_N, s.lengths, false, true)) {
    const uint32_t hr = resident_channels(s.resident_rows, s.H, t.q);
    r.tail_dma_cycles += rows_saved_cycles(s.H, hr, t.width, s.L, dma, input) +
                         rows_saved_cycles(s.H, hr, t.width, s.L, dma, output);
  }
  for (const TileWidth& t : stage_tiles(s.S, s.L, s.tail_T, s.tail_N, s.lengths, true, true)) {
    const uint32_t hr = resident_channels(s.resident_rows, s.H, t.q);
    r.last_tail_bytes += 4ull * hr * t.width;
    r.last_tail_dma_cycles += rows_saved_cycles(s.H, hr, t.width, s.L, dma, input);
  }
  return r;
}

}  // namespace epochcore::timing
