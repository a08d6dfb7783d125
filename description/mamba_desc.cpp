// Mamba (selective S6) blocks of a model description: the keys' checks and one layer's
// weight checks (docs/models.md, "Mamba blocks"). The S4D parts live in s4_model_desc.cpp.
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "epochcore/description/s4_model_desc.h"

namespace epochcore {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

// "[R+2N][Din] = [36][64]"
std::string dims_text(const std::string& symbolic, size_t a, size_t b = 0) {
  return symbolic + " = [" + std::to_string(a) + "]" + (b ? "[" + std::to_string(b) + "]" : "");
}

void check_tensor(const std::string& name, const std::vector<double>& v, const std::string& symbolic,
                  size_t a, size_t b = 0) {
  const size_t want = b ? a * b : a;
  if (v.size() != want)
    fail("S4ModelWeights." + name + ": expected " + dims_text(symbolic, a, b) + " (" + std::to_string(want) +
         " values), got " + std::to_string(v.size()) + " values");
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      fail("S4ModelWeights." + name + "[" + std::to_string(i) + "] is not a finite number");
}

void check_range(const char* key, uint64_t v, uint64_t max, const std::string& why = "") {
  if (v == 0 || v > max)
    fail(std::string("S4ModelDesc.") + key + " = " + std::to_string(v) + ": expected an integer in [1, " +
         std::to_string(max) + "]" + why);
}

}  // namespace

void check_mamba_model_desc(const S4ModelDesc& d) {
  check_range("d_state", d.d_state, kMaxModelWidth);
  check_range("d_conv", d.d_conv, kMaxMambaConv);
  check_range("expand", d.expand, kMaxMambaExpand);
  if (d.dt_rank) check_range("dt_rank", d.dt_rank, mamba_inner_width(d), " (at most Din = expand*H)");
  if (d.norm != NormKind::RMS)
    fail("S4ModelDesc.norm: expected rms for block mamba (RMSNorm, as state-spaces/mamba's MambaConfig)");
  if (!d.prenorm)
    fail("S4ModelDesc.prenorm: expected true for block mamba (pre-norm residual blocks and a final norm)");
  if (d.bidirectional) fail("S4ModelDesc.bidirectional: expected false for block mamba (a causal model)");
}

uint64_t mamba_layer_weight_count(const S4ModelDesc& d) {
  constexpr uint64_t kSat = std::numeric_limits<uint64_t>::max();
  const auto mul = [](uint64_t a, uint64_t b) { return a != 0 && b > kSat / a ? kSat : a * b; };
  const auto add = [](uint64_t a, uint64_t b) { return a > kSat - b ? kSat : a + b; };
  const uint64_t H = d.H, Din = mul(d.expand, d.H), N = d.d_state, K = d.d_conv;
  const uint64_t R = d.dt_rank ? d.dt_rank : (H + 15) / 16;
  // in_proj 2Din*H, conv K*Din + Din, x_proj (R+2N)*Din, dt_proj R*Din + Din, A_log N*Din,
  // D Din, out_proj H*Din, norm H.
  uint64_t per_din = add(add(mul(2, H), K), add(add(R, mul(2, N)), add(R, N)));
  per_din = add(per_din, add(3, H));
  return add(mul(per_din, Din), H);
}

void check_mamba_block_weights(const S4ModelDesc& d, const MambaBlockWeights& b, const std::string& name) {
  const size_t H = d.H, Din = mamba_inner_width(d), N = d.d_state, K = d.d_conv, R = mamba_dt_rank(d);
  const std::string m = name + ".mixer.";
  check_tensor(m + "in_proj.weight", b.in_proj, "[2Din][H]", 2 * Din, H);
  check_tensor(m + "conv1d.weight", b.conv_weight, "[Din][1][K]", Din, K);
  check_tensor(m + "conv1d.bias", b.conv_bias, "[Din]", Din);
  check_tensor(m + "x_proj.weight", b.x_proj, "[R+2N][Din]", R + 2 * N, Din);
  check_tensor(m + "dt_proj.weight", b.dt_proj, "[Din][R]", Din, R);
  check_tensor(m + "dt_proj.bias", b.dt_bias, "[Din]", Din);
  check_tensor(m + "A_log", b.A_log, "[Din][N]", Din, N);
  check_tensor(m + "D", b.D, "[Din]", Din);
  check_tensor(m + "out_proj.weight", b.out_proj, "[H][Din]", H, Din);
  check_tensor(name + ".norm.weight", b.norm, "[H]", H);
  for (size_t i = 0; i < b.A_log.size(); ++i)
    if (!std::isfinite(std::exp(b.A_log[i])))
      fail("S4ModelWeights." + m + "A_log[" + std::to_string(i) + "] = " + std::to_string(b.A_log[i]) +
           ": A = -exp(A_log) overflows");
}

}  // namespace epochcore
