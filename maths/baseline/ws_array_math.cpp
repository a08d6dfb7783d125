#include "epochcore/maths/baseline/ws_array_math.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace epochcore::baseline {

namespace {

struct Tag {
  int32_t fold = -1;  // -1: a bubble
  int32_t m = -1;     // streamed row
  bool valid() const { return fold >= 0; }
  bool operator==(const Tag& o) const { return fold == o.fold && m == o.m; }
};

struct Pe {
  float w = 0;
  int32_t w_fold = -1;  // fold whose weight is held
  float in = 0;         // registered input, read by the east neighbour next cycle
  Tag in_tag;
  float psum = 0;       // registered partial sum, read by the south neighbour next cycle
  Tag psum_tag;
};

struct Fold {
  uint32_t k0, n0, k_used, n_used;
};

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("ws_array_gemm: " + what);
}

// A broken invariant of the model itself, not of the input.
[[noreturn]] void model_error(const std::string& what) {
  throw std::logic_error("ws_array_gemm internal error: " + what);
}

}  // namespace

WsArrayRun ws_array_gemm(const std::vector<float>& in, const std::vector<float>& w,
                         uint32_t M, uint32_t N, uint32_t K, uint32_t R, uint32_t C,
                         bool overlap_weight_load, std::vector<float>& out) {
  require(M > 0 && N > 0 && K > 0, "M, N and K must be at least 1");
  require(R > 0 && C > 0, "array rows R and columns C must be at least 1");
  require(in.size() == uint64_t(M) * K,
          "input operand must hold M*K = " + std::to_string(uint64_t(M) * K) + " values, got " +
              std::to_string(in.size()));
  require(w.size() == uint64_t(K) * N,
          "weight operand must hold K*N = " + std::to_string(uint64_t(K) * N) + " values, got " +
              std::to_string(w.size()));

  std::vector<Fold> folds;
  for (uint32_t n0 = 0; n0 < N; n0 += C)
    for (uint32_t k0 = 0; k0 < K; k0 += R)
      folds.push_back({k0, n0, std::min(R, K - k0), std::min(C, N - n0)});
  const int32_t n_folds = int32_t(folds.size());

  std::vector<Pe> pe(size_t(R) * C);
  std::vector<float> feed(R, 0.0f);
  std::vector<Tag> feed_tag(R);
  std::vector<char> row_free(R, 1);  // no weight in the row is still needed
  out.assign(size_t(M) * N, 0.0f);

  WsArrayRun run;
  run.folds = folds.size();
  int32_t load_fold = 0;  // next fold whose weights are written
  uint32_t load_row = 0;
  int32_t stream_fold = -1;
  uint64_t stream_start = 0;
  uint64_t outputs_seen = 0;
  const uint64_t outputs_expected = folds.size() * uint64_t(M) * C;  // padded columns too
  const uint64_t cycle_limit = folds.size() * (2ull * R + C + M) + 8;

  for (uint64_t t = 0;; ++t) {
    if (t > cycle_limit) model_error("the array did not finish");
    bool all_free = true;
    for (uint32_t k = 0; k < R; ++k) all_free = all_free && row_free[k];

    // West feed, skewed: row k takes streamed row m at stream cycle m + k.
    for (uint32_t k = 0; k < R; ++k) {
      feed_tag[k] = Tag{};
      if (stream_fold < 0 || t - stream_start < k) continue;
      const Fold& f = folds[stream_fold];
      const uint64_t m = t - stream_start - k;
      if (m < M && k < f.k_used) {
        feed[k] = in[m * K + f.k0 + k];
        feed_tag[k] = Tag{stream_fold, int32_t(m)};
        ++run.input_reads;
      }
    }

    // Bottom-right first, so every PE reads its neighbours' registers of the last cycle.
    for (uint32_t k = R; k-- > 0;) {
      for (uint32_t c = C; c-- > 0;) {
        Pe& p = pe[size_t(k) * C + c];
        const Pe* west = c > 0 ? &pe[size_t(k) * C + c - 1] : nullptr;
        const Pe* north = k > 0 ? &pe[size_t(k - 1) * C + c] : nullptr;
        const float a = west ? west->in : feed[k];
        const Tag a_tag = west ? west->in_tag : feed_tag[k];
        float s = north ? north->psum : 0.0f;
        const Tag s_tag = north ? north->psum_tag : a_tag;
        if (a_tag.valid()) {
          if (!(a_tag == s_tag)) model_error("input and partial sum out of step");
          if (p.w_fold != a_tag.fold) model_error("input met the weight of another fold");
          const Fold& f = folds[a_tag.fold];
          if (k < f.k_used && c < f.n_used) {
            s = s + p.w * a;
            ++run.mac_ops;
          }
        }
        p.in = a;
        p.in_tag = a_tag;
        p.psum = s;
        p.psum_tag = s_tag;
        if (!s_tag.valid()) continue;
        if (c == C - 1 && s_tag.m == int32_t(M) - 1) {
          if (p.w_fold != s_tag.fold) model_error("row freed by another fold");
          row_free[k] = 1;  // the row's last use of this fold is this cycle
        }
        if (k == R - 1) {
          ++outputs_seen;
          const Fold& f = folds[s_tag.fold];
          if (c < f.n_used) {
            float& o = out[size_t(s_tag.m) * N + f.n0 + c];
            if (f.k0 == 0) {
              o = s;
            } else {
              o = o + s;
              ++run.psum_reads;
            }
            ++run.output_writes;
          }
        }
      }
    }

    // Weight loader: one row per cycle; it lands at the end of the cycle, after this
    // cycle's MACs used the old value.
    if (load_fold < n_folds && row_free[load_row] &&
        (overlap_weight_load || load_row > 0 || all_free)) {
      const Fold& f = folds[load_fold];
      for (uint32_t c = 0; c < C; ++c) {
        Pe& p = pe[size_t(load_row) * C + c];
        const bool mapped = load_row < f.k_used && c < f.n_used;
        p.w = mapped ? w[size_t(f.k0 + load_row) * N + f.n0 + c] : 0.0f;
        p.w_fold = load_fold;
        run.weight_loads += mapped;
      }
      row_free[load_row] = 0;
      if (++load_row == R) {
        if (stream_fold >= 0 && t + 1 - stream_start < uint64_t(M) + R - 1)
          model_error("a stream started before the previous one was fed");
        stream_fold = load_fold++;
        stream_start = t + 1;
        load_row = 0;
      }
    }

    if (outputs_seen == outputs_expected) {
      run.cycles = t + 1;
      break;
    }
  }
  return run;
}

}  // namespace epochcore::baseline
