#include "epochcore/platform/io/s4d_params_file.h"

#include <cstdint>
#include <limits>
#include <stdexcept>

namespace epochcore::io {
namespace {

const char* const kPrefix = "kernel.";

// Finds `name`, or "kernel." + name when `prefixable`; removes it from `rest` so that
// whatever remains at the end is unknown.
Tensor take(std::map<std::string, Tensor>& rest, const std::string& name, bool prefixable,
            const std::string& path, std::string& found_name) {
  const std::string prefixed = kPrefix + name;
  const bool plain = rest.count(name) > 0;
  const bool with_prefix = prefixable && rest.count(prefixed) > 0;
  if (plain && with_prefix)
    throw FormatError(path + ": both '" + name + "' and '" + prefixed +
                      "' are present (expected only one)");
  if (!plain && !with_prefix)
    throw FormatError(path + ": missing tensor '" + name + "'" +
                      (prefixable ? " (or '" + prefixed + "')" : std::string()));
  found_name = plain ? name : prefixed;
  Tensor t = std::move(rest[found_name]);
  rest.erase(found_name);
  if (t.dtype != "F32" && t.dtype != "F64")
    throw FormatError(path + ": tensor '" + found_name + "' has dtype " + t.dtype +
                      " (expected F32 or F64)");
  return t;
}

void check_shape(const Tensor& t, const std::string& found_name,
                 const std::vector<size_t>& expected, size_t H, size_t M,
                 const std::string& path) {
  if (t.shape != expected)
    throw FormatError(path + ": tensor '" + found_name + "' has shape " +
                      detail::shape_string(t.shape) + " but expected " +
                      detail::shape_string(expected) + " (H=" + std::to_string(H) +
                      ", M=" + std::to_string(M) + ")");
}

}  // namespace

S4dParams load_s4d_params(const std::string& path) {
  auto rest = read_safetensors(path);
  std::string n_log_dt, n_log_A_real, n_A_imag, n_C, n_D;
  Tensor log_dt = take(rest, "log_dt", true, path, n_log_dt);
  Tensor log_A_real = take(rest, "log_A_real", true, path, n_log_A_real);
  Tensor A_imag = take(rest, "A_imag", true, path, n_A_imag);
  Tensor C = take(rest, "C", true, path, n_C);
  Tensor D = take(rest, "D", false, path, n_D);
  if (!rest.empty()) {
    std::string names;
    for (const auto& item : rest) names += (names.empty() ? "'" : ", '") + item.first + "'";
    throw FormatError(path + ": unexpected tensors " + names +
                      " (expected log_dt, log_A_real, A_imag, C, D; the first four "
                      "optionally prefixed 'kernel.')");
  }

  const auto& hm = log_A_real.shape;
  constexpr size_t kMaxDim = std::numeric_limits<uint32_t>::max();
  if (hm.size() != 2 || hm[0] == 0 || hm[1] == 0 || hm[0] > kMaxDim || hm[1] > kMaxDim)
    throw FormatError(path + ": tensor '" + n_log_A_real + "' has shape " +
                      detail::shape_string(hm) +
                      " but expected [H, M] with 1 <= H, M < 2^32 (it defines H and M)");
  const size_t H = hm[0], M = hm[1];
  check_shape(log_dt, n_log_dt, {H}, H, M, path);
  check_shape(A_imag, n_A_imag, {H, M}, H, M, path);
  // C: [H, M, 2] (one direction) or [directions, H, M, 2] with directions 1 or 2.
  const std::vector<size_t> c_uni = {H, M, 2}, c_one = {1, H, M, 2}, c_bi = {2, H, M, 2};
  if (C.shape != c_uni && C.shape != c_one && C.shape != c_bi)
    throw FormatError(path + ": tensor '" + n_C + "' has shape " + detail::shape_string(C.shape) +
                      " but expected " + detail::shape_string(c_uni) + ", " +
                      detail::shape_string(c_one) + " or " + detail::shape_string(c_bi) +
                      " (bidirectional: forward, backward) (H=" + std::to_string(H) +
                      ", M=" + std::to_string(M) + ")");
  check_shape(D, n_D, {H}, H, M, path);

  S4dParams p;
  p.H = static_cast<uint32_t>(H);
  p.M = static_cast<uint32_t>(M);
  p.directions = C.shape == c_bi ? 2 : 1;
  p.log_dt = std::move(log_dt.data);
  p.log_A_real = std::move(log_A_real.data);
  p.A_imag = std::move(A_imag.data);
  p.C = std::move(C.data);
  p.D = std::move(D.data);
  return p;
}

void save_s4d_params(const std::string& path, const S4dParams& p, const std::string& dtype) {
  const size_t H = p.H, M = p.M, dirs = p.directions;
  if (dirs != 1 && dirs != 2)
    throw std::invalid_argument(path + ": S4dParams::directions is " + std::to_string(dirs) +
                                " but expected 1 or 2 (bidirectional)");
  const auto check = [&](const std::vector<double>& v, size_t expected, const char* name) {
    if (v.size() != expected)
      throw std::invalid_argument(path + ": S4dParams::" + name + " has " +
                                  std::to_string(v.size()) + " values but expected " +
                                  std::to_string(expected) + " (H=" + std::to_string(H) +
                                  ", M=" + std::to_string(M) + ")");
  };
  check(p.log_dt, H, "log_dt");
  check(p.log_A_real, H * M, "log_A_real");
  check(p.A_imag, H * M, "A_imag");
  check(p.C, dirs * H * M * 2, dirs == 1 ? "C" : "C (bidirectional)");
  check(p.D, H, "D");
  std::map<std::string, Tensor> tensors;
  tensors["log_dt"] = Tensor{dtype, {H}, p.log_dt};
  tensors["log_A_real"] = Tensor{dtype, {H, M}, p.log_A_real};
  tensors["A_imag"] = Tensor{dtype, {H, M}, p.A_imag};
  tensors["C"] = Tensor{dtype, dirs == 1 ? std::vector<size_t>{H, M, 2} : std::vector<size_t>{2, H, M, 2}, p.C};
  tensors["D"] = Tensor{dtype, {H}, p.D};
  write_safetensors(path, tensors, dtype);
}

}  // namespace epochcore::io
