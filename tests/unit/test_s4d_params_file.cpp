// Tests of loading and saving S4D parameters in safetensors files.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

#include "epochcore/platform/io/s4d_params_file.h"

using namespace epochcore;
using namespace epochcore::io;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct S4dTempDir {
  fs::path dir;
  S4dTempDir() {
    static std::mt19937_64 rng(std::random_device{}());
    dir = fs::temp_directory_path() / ("epochcore_test_s4d_" + std::to_string(rng()));
    fs::create_directories(dir);
  }
  ~S4dTempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

// Parameters with distinct values everywhere, so a swapped index shows.
S4dParams make_params(uint32_t H, uint32_t M) {
  S4dParams p;
  p.H = H;
  p.M = M;
  for (uint32_t h = 0; h < H; ++h) {
    p.log_dt.push_back(-4.0 + 0.1 * h);
    p.D.push_back(0.3 * h - 1.0);
    for (uint32_t n = 0; n < M; ++n) {
      p.log_A_real.push_back(std::log(0.5) + 0.01 * (h * M + n));
      p.A_imag.push_back(3.14159265358979 * n + 0.001 * h);
      p.C.push_back(0.7 * h - 0.2 * n + 0.1);  // real part
      p.C.push_back(-0.5 * h + 0.3 * n);       // imaginary part
    }
  }
  return p;
}

// A bidirectional layer: make_params plus a backward C that differs from the forward one.
S4dParams make_bidir_params(uint32_t H, uint32_t M) {
  S4dParams p = make_params(H, M);
  p.directions = 2;
  for (size_t i = 0, n = p.C.size(); i < n; ++i) p.C.push_back(-1.5 * p.C[i] + 0.01 * double(i));
  return p;
}

// The tensors of `p` as a name -> tensor map, for building altered files.
std::map<std::string, Tensor> tensors_of(const S4dParams& p) {
  const size_t H = p.H, M = p.M;
  return {{"log_dt", {"", {H}, p.log_dt}},
          {"log_A_real", {"", {H, M}, p.log_A_real}},
          {"A_imag", {"", {H, M}, p.A_imag}},
          {"C", {"", {H, M, 2}, p.C}},
          {"D", {"", {H}, p.D}}};
}

std::string load_error(const std::string& path) {
  try {
    load_s4d_params(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

void check_equal(const S4dParams& a, const S4dParams& b) {
  CHECK(a.H == b.H);
  CHECK(a.M == b.M);
  CHECK(a.directions == b.directions);
  CHECK(a.log_dt == b.log_dt);
  CHECK(a.log_A_real == b.log_A_real);
  CHECK(a.A_imag == b.A_imag);
  CHECK(a.C == b.C);
  CHECK(a.D == b.D);
}

std::vector<double> to_f32(std::vector<double> v) {
  for (double& x : v) x = static_cast<float>(x);
  return v;
}

}  // namespace

TEST_CASE("s4d_params_file: F64 and F32 round trips", "[io][s4d_params_file]") {
  S4dTempDir tmp;
  const S4dParams p = make_params(4, 3);
  save_s4d_params(tmp.file("p64.safetensors"), p, "F64");
  check_equal(load_s4d_params(tmp.file("p64.safetensors")), p);

  save_s4d_params(tmp.file("p32.safetensors"), p, "F32");
  S4dParams rounded = p;
  rounded.log_dt = to_f32(p.log_dt);
  rounded.log_A_real = to_f32(p.log_A_real);
  rounded.A_imag = to_f32(p.A_imag);
  rounded.C = to_f32(p.C);
  rounded.D = to_f32(p.D);
  check_equal(load_s4d_params(tmp.file("p32.safetensors")), rounded);
}

TEST_CASE("s4d_params_file: the state_dict names with the 'kernel.' prefix", "[io][s4d_params_file]") {
  S4dTempDir tmp;
  const S4dParams p = make_params(2, 5);
  auto t = tensors_of(p);
  std::map<std::string, Tensor> prefixed;
  for (auto& [name, tensor] : t) prefixed[name == "D" ? name : "kernel." + name] = tensor;
  write_safetensors(tmp.file("k.safetensors"), prefixed, "F64");
  check_equal(load_s4d_params(tmp.file("k.safetensors")), p);

  // Mixed: some prefixed, some not.
  auto mixed = t;
  mixed["kernel.C"] = mixed["C"];
  mixed.erase("C");
  write_safetensors(tmp.file("m.safetensors"), mixed, "F64");
  check_equal(load_s4d_params(tmp.file("m.safetensors")), p);

  // Both spellings of one tensor are ambiguous.
  mixed["C"] = mixed["kernel.C"];
  const std::string both = tmp.file("both.safetensors");
  write_safetensors(both, mixed, "F64");
  CHECK(load_error(both) == both + ": both 'C' and 'kernel.C' are present (expected only one)");
}

TEST_CASE("s4d_params_file: missing, misshapen and extra tensors", "[io][s4d_params_file]") {
  S4dTempDir tmp;
  const std::string p = tmp.file("p.safetensors");
  const S4dParams good = make_params(4, 2);

  auto t = tensors_of(good);
  t.erase("A_imag");
  write_safetensors(p, t, "F32");
  CHECK(load_error(p) == p + ": missing tensor 'A_imag' (or 'kernel.A_imag')");

  t = tensors_of(good);
  t.erase("D");
  write_safetensors(p, t, "F32");
  CHECK(load_error(p) == p + ": missing tensor 'D'");

  t = tensors_of(good);
  t["C"] = Tensor{"", {4, 2}, std::vector<double>(8, 0.0)};
  write_safetensors(p, t, "F32");
  CHECK(load_error(p) == p + ": tensor 'C' has shape [4, 2] but expected [4, 2, 2], [1, 4, 2, 2] or "
                              "[2, 4, 2, 2] (bidirectional: forward, backward) (H=4, M=2)");

  t = tensors_of(good);
  t["log_dt"] = Tensor{"", {2}, {0.0, 0.0}};
  write_safetensors(p, t, "F32");
  CHECK(load_error(p) == p + ": tensor 'log_dt' has shape [2] but expected [4] (H=4, M=2)");

  t = tensors_of(good);
  t["A_imag"] = Tensor{"", {2, 4}, std::vector<double>(8, 0.0)};
  write_safetensors(p, t, "F32");
  CHECK(load_error(p) == p + ": tensor 'A_imag' has shape [2, 4] but expected [4, 2] (H=4, M=2)");

  t = tensors_of(good);
  t["D"] = Tensor{"", {1, 4}, std::vector<double>(4, 0.0)};
  write_safetensors(p, t, "F32");
  CHECK(load_error(p) == p + ": tensor 'D' has shape [1, 4] but expected [4] (H=4, M=2)");

  t = tensors_of(good);
  t["log_A_real"] = Tensor{"", {8}, std::vector<double>(8, 0.0)};
  write_safetensors(p, t, "F32");
  CHECK_THAT(load_error(p), Contains("tensor 'log_A_real' has shape [8] but expected [H, M]"));

  t = tensors_of(good);
  t["log_A_real"] = Tensor{"", {4, 0}, {}};
  write_safetensors(p, t, "F32");
  CHECK_THAT(load_error(p), Contains("tensor 'log_A_real' has shape [4, 0]"));

  t = tensors_of(good);
  t["B"] = Tensor{"", {1}, {1.0}};
  t["kernel.log_dtt"] = Tensor{"", {1}, {1.0}};
  write_safetensors(p, t, "F32");
  CHECK_THAT(load_error(p), Contains(p + ": unexpected tensors 'B', 'kernel.log_dtt' (expected"));
}

TEST_CASE("s4d_params_file: integer dtypes and non-finite values", "[io][s4d_params_file]") {
  S4dTempDir tmp;
  const std::string p = tmp.file("p.safetensors");
  auto t = tensors_of(make_params(1, 1));
  t["C"].data[1] = std::numeric_limits<double>::quiet_NaN();
  write_safetensors(p, t, "F64");
  CHECK(load_error(p) ==
        p + ": tensor 'C': element 1 (index [0, 0, 1]) is NaN (only finite values are accepted)");

  // H=1, M=1 file written by hand, with D stored as I32.
  const std::string header =
      R"({"A_imag":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},)"
      R"("C":{"dtype":"F32","shape":[1,1,2],"data_offsets":[4,12]},)"
      R"("D":{"dtype":"I32","shape":[1],"data_offsets":[12,16]},)"
      R"("log_A_real":{"dtype":"F32","shape":[1,1],"data_offsets":[16,20]},)"
      R"("log_dt":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}})";
  std::string bytes(8, '\0');
  for (size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  bytes += header + std::string(24, '\0');
  std::ofstream(p, std::ios::binary) << bytes;
  CHECK(load_error(p) == p + ": tensor 'D' has dtype I32 (expected F32 or F64)");
}

TEST_CASE("s4d_params_file: save rejects inconsistent parameters", "[io][s4d_params_file]") {
  S4dTempDir tmp;
  S4dParams p = make_params(3, 2);
  p.C.pop_back();
  CHECK_THROWS_WITH(save_s4d_params(tmp.file("p.safetensors"), p, "F32"),
                    Contains("S4dParams::C has 11 values but expected 12 (H=3, M=2)"));
  CHECK_THROWS_AS(save_s4d_params(tmp.file("p.safetensors"), make_params(3, 2), "F16"),
                  std::invalid_argument);
  CHECK_THROWS_AS(load_s4d_params(tmp.file("absent.safetensors")), FormatError);
}

TEST_CASE("s4d_params_file: bidirectional C [2, H, M, 2]", "[io][s4d_params_file][bidir]") {
  S4dTempDir tmp;
  const S4dParams p = make_bidir_params(3, 2);
  for (const char* dtype : {"F64", "F32"}) {
    const std::string f = tmp.file(std::string("bi_") + dtype + ".safetensors");
    save_s4d_params(f, p, dtype);
    // Stored with the S4 repository's layout: [dir][h][m][re, im].
    const auto raw = read_safetensors(f);
    REQUIRE(raw.at("C").shape == std::vector<size_t>{2, 3, 2, 2});
    CHECK(raw.at("C").dtype == dtype);
    CHECK(raw.at("log_A_real").shape == std::vector<size_t>{3, 2});
    S4dParams want = p;
    if (std::string(dtype) == "F32") {
      want.log_dt = to_f32(p.log_dt);
      want.log_A_real = to_f32(p.log_A_real);
      want.A_imag = to_f32(p.A_imag);
      want.C = to_f32(p.C);
      want.D = to_f32(p.D);
    }
    CHECK(raw.at("C").data == want.C);
    check_equal(load_s4d_params(f), want);
  }
  // One direction stays [H, M, 2].
  save_s4d_params(tmp.file("uni.safetensors"), make_params(3, 2), "F64");
  CHECK(read_safetensors(tmp.file("uni.safetensors")).at("C").shape == std::vector<size_t>{3, 2, 2});
  CHECK(load_s4d_params(tmp.file("uni.safetensors")).directions == 1);

  // The state_dict name kernel.C with the bidirectional shape, and [1, H, M, 2].
  auto t = tensors_of(make_params(3, 2));
  t.erase("C");
  t["kernel.C"] = Tensor{"", {2, 3, 2, 2}, p.C};
  write_safetensors(tmp.file("k.safetensors"), t, "F64");
  S4dParams back = load_s4d_params(tmp.file("k.safetensors"));
  CHECK(back.directions == 2);
  CHECK(back.C == p.C);
  t["kernel.C"] = Tensor{"", {1, 3, 2, 2}, make_params(3, 2).C};
  write_safetensors(tmp.file("one.safetensors"), t, "F64");
  back = load_s4d_params(tmp.file("one.safetensors"));
  CHECK(back.directions == 1);
  check_equal(back, make_params(3, 2));
}

TEST_CASE("s4d_params_file: bad bidirectional shapes and parameters", "[io][s4d_params_file][bidir]") {
  S4dTempDir tmp;
  const std::string f = tmp.file("p.safetensors");
  const S4dParams good = make_bidir_params(4, 2);
  const std::string expected = " but expected [4, 2, 2], [1, 4, 2, 2] or [2, 4, 2, 2] (bidirectional: "
                               "forward, backward) (H=4, M=2)";
  struct Bad { std::vector<size_t> shape; const char* text; };
  for (const Bad& b : {Bad{{3, 4, 2, 2}, "[3, 4, 2, 2]"}, Bad{{2, 4, 2}, "[2, 4, 2]"},
                       Bad{{2, 2, 4, 2}, "[2, 2, 4, 2]"}, Bad{{4, 2, 2, 2}, "[4, 2, 2, 2]"},
                       Bad{{2, 4, 2, 1}, "[2, 4, 2, 1]"}}) {
    auto t = tensors_of(good);
    size_t n = 1;
    for (size_t d : b.shape) n *= d;
    t["C"] = Tensor{"", b.shape, std::vector<double>(n, 0.5)};
    write_safetensors(f, t, "F32");
    CHECK(load_error(f) == f + ": tensor 'C' has shape " + b.text + expected);
  }
  S4dParams p = good;
  p.C.resize(16);  // one direction's worth
  CHECK_THROWS_WITH(save_s4d_params(f, p, "F32"),
                    Contains("S4dParams::C (bidirectional) has 16 values but expected 32 (H=4, M=2)"));
  p = good;
  p.directions = 3;
  CHECK_THROWS_WITH(save_s4d_params(f, p, "F32"), Contains("directions is 3 but expected 1 or 2"));
  p = make_params(4, 2);
  p.C.resize(32);  // bidirectional size with directions = 1
  CHECK_THROWS_WITH(save_s4d_params(f, p, "F32"), Contains("S4dParams::C has 32 values but expected 16"));
}
