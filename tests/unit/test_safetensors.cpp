// Tests of the safetensors reader and writer: round trips, the written layout, hand-built
// files for every accepted dtype and every error, and the numpy-made test files of
// tests/python/make_test_files.py (when python3 with numpy is present).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "epochcore/maths/reference/s4d_reference.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/io/s4d_params_file.h"
#include "epochcore/platform/io/safetensors.h"

using namespace epochcore::io;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

struct StTempDir {
  fs::path dir;
  StTempDir() {
    static std::mt19937_64 rng(std::random_device{}());
    dir = fs::temp_directory_path() / ("epochcore_test_st_" + std::to_string(rng()));
    fs::create_directories(dir);
  }
  ~StTempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

std::string le(uint64_t v, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i, v >>= 8) s += static_cast<char>(v & 0xff);
  return s;
}
std::string f32_bytes(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return le(b, 4);
}
std::string f64_bytes(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return le(b, 8);
}

// 8-byte header length, header text, data buffer.
void write_st(const std::string& path, const std::string& header, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  const std::string bytes = le(header.size(), 8) + header + data;
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string st_error(const std::string& path) {
  try {
    read_safetensors(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<double> ramp(size_t n, double scale) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * (static_cast<double>(i) - 2.5);
  return v;
}

// "python3" if it imports numpy, else Debian's /usr/bin/python3 if that does (a python3
// earlier on PATH, e.g. from pyenv, may lack numpy), else "".
std::string python_with_numpy() {
  for (const char* candidate : {"python3", "/usr/bin/python3"})
    if (std::system((std::string(candidate) + " -c \"import numpy\" >/dev/null 2>&1").c_str()) == 0)
      return candidate;
  return "";
}

}  // namespace

TEST_CASE("safetensors: F32 and F64 round trips for ranks 0 to 3", "[io][safetensors]") {
  StTempDir tmp;
  std::map<std::string, Tensor> tensors;
  tensors["scalar"] = Tensor{"", {}, {-4.25}};
  tensors["vector"] = Tensor{"", {4}, ramp(4, 0.5)};
  tensors["matrix"] = Tensor{"", {2, 3}, ramp(6, 1.0 / 3.0)};
  tensors["cube"] = Tensor{"", {2, 1, 3}, ramp(6, 1e6)};
  tensors["empty"] = Tensor{"", {0, 3}, {}};
  for (const char* dtype : {"F32", "F64"}) {
    INFO(dtype);
    const std::string p = tmp.file(std::string(dtype) + ".safetensors");
    write_safetensors(p, tensors, dtype);
    const auto back = read_safetensors(p);
    REQUIRE(back.size() == tensors.size());
    for (const auto& [name, t] : tensors) {
      INFO(name);
      REQUIRE(back.count(name) == 1);
      const Tensor& b = back.at(name);
      CHECK(b.dtype == dtype);
      CHECK(b.shape == t.shape);
      REQUIRE(b.data.size() == t.data.size());
      for (size_t i = 0; i < t.data.size(); ++i)
        CHECK(b.data[i] == (std::string(dtype) == "F32"
                                ? static_cast<double>(static_cast<float>(t.data[i]))
                                : t.data[i]));
    }
  }
}

TEST_CASE("safetensors: written layout follows the format", "[io][safetensors]") {
  StTempDir tmp;
  const std::string p = tmp.file("a.safetensors");
  write_safetensors(p, {{"b", Tensor{"", {2}, {1.0, 2.0}}}, {"a", Tensor{"", {1}, {3.0}}}}, "F64");
  const std::string bytes = read_bytes(p);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  CHECK(n % 8 == 0);
  REQUIRE(bytes.size() == 8 + n + 24);
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  CHECK(header["a"]["dtype"] == "F64");
  CHECK(header["a"]["shape"] == nlohmann::json::array({1}));
  CHECK(header["a"]["data_offsets"] == nlohmann::json::array({0, 8}));
  CHECK(header["b"]["data_offsets"] == nlohmann::json::array({8, 24}));
  CHECK(bytes.substr(8 + n) == f64_bytes(3.0) + f64_bytes(1.0) + f64_bytes(2.0));
}

TEST_CASE("safetensors: I32 and I64 tensors and metadata are read", "[io][safetensors]") {
  StTempDir tmp;
  const std::string p = tmp.file("ints.safetensors");
  const int64_t big = int64_t(1) << 53;
  const std::string data = le(static_cast<uint32_t>(-7), 4) + le(2147483647u, 4) +
                           le(static_cast<uint64_t>(-big), 8) + le(42, 8) + le(big, 8);
  write_st(p,
           R"({"__metadata__": {"format": "pt"}, "i": {"dtype": "I32", "shape": [2],
               "data_offsets": [0, 8]}, "j": {"dtype": "I64", "shape": [3, 1],
               "data_offsets": [8, 32]}})",
           data);
  const auto t = read_safetensors(p);
  REQUIRE(t.size() == 2);
  CHECK(t.at("i").dtype == "I32");
  CHECK(t.at("i").data == std::vector<double>{-7.0, 2147483647.0});
  CHECK(t.at("j").dtype == "I64");
  CHECK(t.at("j").shape == std::vector<size_t>{3, 1});
  CHECK(t.at("j").data == std::vector<double>{-9007199254740992.0, 42.0, 9007199254740992.0});
  // Offsets need not follow the header's key order; a header padded with spaces is valid.
  write_st(p, R"({"y": {"dtype": "F32", "shape": [], "data_offsets": [4, 8]},
                  "x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}      )",
           f32_bytes(1.5f) + f32_bytes(-2.0f));
  const auto u = read_safetensors(p);
  CHECK(u.at("x").data == std::vector<double>{1.5});
  CHECK(u.at("y").data == std::vector<double>{-2.0});
  CHECK(u.at("y").shape.empty());
}

TEST_CASE("safetensors: every malformed file is rejected with the path and the problem",
          "[io][safetensors]") {
  StTempDir tmp;
  const std::string p = tmp.file("bad.safetensors");
  const std::string d8(8, '\0');
  // One F32 tensor "w" with the given fields.
  auto one = [](const std::string& fields) { return "{\"w\": {" + fields + "}}"; };
  const std::string ok_fields = R"("dtype": "F32", "shape": [2], "data_offsets": [0, 8])";
  struct Case {
    const char* name;
    std::string header, data;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {"not JSON", "{\"w\": ", d8, "header is not valid JSON"},
      {"JSON array", "[1, 2]", d8, "must be a JSON object of tensors, found array"},
      {"entry not object", R"({"w": 3})", d8, "tensor 'w' must be a JSON object"},
      {"no dtype", one(R"("shape": [2], "data_offsets": [0, 8])"), d8, "tensor 'w' has no 'dtype'"},
      {"no shape", one(R"("dtype": "F32", "data_offsets": [0, 8])"), d8, "tensor 'w' has no 'shape'"},
      {"no offsets", one(R"("dtype": "F32", "shape": [2])"), d8, "tensor 'w' has no 'data_offsets'"},
      {"extra field", one(ok_fields + R"(, "stride": [1])"), d8, "unexpected field 'stride'"},
      {"BF16", one(R"("dtype": "BF16", "shape": [4], "data_offsets": [0, 8])"), d8,
       "tensor 'w' has dtype 'BF16', not supported (expected F32, F64, I32 or I64)"},
      {"F16", one(R"("dtype": "F16", "shape": [4], "data_offsets": [0, 8])"), d8, "'F16', not supported"},
      {"dtype number", one(R"("dtype": 32, "shape": [2], "data_offsets": [0, 8])"), d8,
       "'dtype' must be a string"},
      {"negative dim", one(R"("dtype": "F32", "shape": [-2], "data_offsets": [0, 8])"), d8,
       "'shape' must hold non-negative integers, found -2"},
      {"float dim", one(R"("dtype": "F32", "shape": [2.0], "data_offsets": [0, 8])"), d8,
       "'shape' must hold non-negative integers"},
      {"shape not array", one(R"("dtype": "F32", "shape": 2, "data_offsets": [0, 8])"), d8,
       "'shape' must be an array"},
      {"three offsets", one(R"("dtype": "F32", "shape": [2], "data_offsets": [0, 8, 8])"), d8,
       "'data_offsets' must be [begin, end]"},
      {"begin after end", one(R"("dtype": "F32", "shape": [0], "data_offsets": [8, 0])"), d8,
       "outside the data buffer"},
      {"end beyond buffer", one(R"("dtype": "F32", "shape": [4], "data_offsets": [0, 16])"), d8,
       "tensor 'w' has data_offsets [0, 16] outside the data buffer of 8 bytes"},
      {"size mismatch", one(R"("dtype": "F64", "shape": [2], "data_offsets": [0, 8])"), d8,
       "spanning 8 bytes but shape [2] of F64 needs 16"},
      {"count overflow",
       one(R"("dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 8])"), d8,
       "too many elements"},
      {"overlap",
       R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
           "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
       d8, "tensors 'a' and 'b' overlap"},
      {"hole",
       R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
           "b": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}})",
       d8, "bytes 4 to 8 of the data buffer (before tensor 'b') belong to no tensor"},
      {"trailing bytes", one(ok_fields), d8 + "xyz", "3 bytes after the last tensor"},
      {"duplicate name", R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                            "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
       d8, "header has the key 'w' twice"},
      {"metadata not strings", R"({"__metadata__": {"epochs": 3}})", "", "must be a string, found 3"},
      {"metadata not object", R"({"__metadata__": []})", "", "'__metadata__' must be an object"},
      {"NaN", one(ok_fields), f32_bytes(0.0f) + f32_bytes(std::nanf("")),
       "tensor 'w': element 1 is NaN"},
      {"I64 beyond 2^53", one(R"("dtype": "I64", "shape": [1], "data_offsets": [0, 8])"),
       le((uint64_t(1) << 53) + 1, 8), "tensor 'w': element 0 is 9007199254740993, beyond 2^53"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    write_st(p, c.header, c.data);
    CHECK_THAT(st_error(p), StartsWith(p + ": ") && Contains(c.fragment));
  }

  std::ofstream(p, std::ios::binary) << "abc";
  CHECK_THAT(st_error(p), StartsWith(p + ": file has 3 bytes, too short"));
  std::ofstream(p, std::ios::binary) << le(uint64_t(1) << 62, 8) << "{}";  // must not allocate
  CHECK_THAT(st_error(p), StartsWith(p + ": header length 4611686018427387904 does not fit"));
  std::ofstream(p, std::ios::binary) << le(100, 8) << "{}";
  CHECK_THAT(st_error(p), Contains("header length 100 does not fit the file of 10 bytes"));
  CHECK_THAT(st_error(tmp.file("missing.safetensors")),
             StartsWith(tmp.file("missing.safetensors") + ": cannot read file"));
}

TEST_CASE("safetensors: writer argument errors", "[io][safetensors]") {
  StTempDir tmp;
  const std::string p = tmp.file("w.safetensors");
  const std::map<std::string, Tensor> ok = {{"a", Tensor{"", {2}, {1.0, 2.0}}}};
  CHECK_THROWS_AS(write_safetensors(p, ok, "I32"), std::invalid_argument);
  CHECK_THROWS_AS(write_safetensors(p, ok, "BF16"), std::invalid_argument);
  CHECK_THROWS_WITH(write_safetensors(p, {{"a", Tensor{"", {3}, {1.0, 2.0}}}}, "F64"),
                    Contains("tensor 'a' has 2 values but shape [3] needs 3"));
  CHECK_THROWS_WITH(write_safetensors(p, {{"a", Tensor{"", {1}, {1e39}}}}, "F32"),
                    Contains("out of the F32 range"));
  CHECK_NOTHROW(write_safetensors(p, {{"a", Tensor{"", {1}, {1e39}}}}, "F64"));
  CHECK_THROWS_AS(write_safetensors(p, {{"__metadata__", Tensor{"", {}, {1.0}}}}, "F64"),
                  std::invalid_argument);
  const std::string nowhere = tmp.file("no/such/dir/w.safetensors");
  CHECK_THROWS_WITH(write_safetensors(nowhere, ok, "F32"), StartsWith(nowhere + ": cannot open"));
}

// The files of tests/python/make_test_files.py, read back with our readers: shapes,
// dtypes and the values fixed by the S4D-Lin initialisation. The lead's end-to-end
// tests compare the simulator with expected*.npy.
TEST_CASE("safetensors: files written by numpy are read back", "[io][safetensors][python]") {
  const std::string python = python_with_numpy();
  if (python.empty()) {
    WARN("python3 with numpy not found: skipping the check of tests/python/make_test_files.py");
    return;
  }
  StTempDir tmp;
  const std::string command = python + " '" EC_SOURCE_DIR "/tests/python/make_test_files.py' '" +
                              tmp.dir.string() + "'";
  REQUIRE(std::system(command.c_str()) == 0);

  const auto params = read_safetensors(tmp.file("params.safetensors"));
  REQUIRE(params.size() == 5);
  const std::map<std::string, std::vector<size_t>> shapes = {
      {"log_dt", {3}}, {"log_A_real", {3, 2}}, {"A_imag", {3, 2}}, {"C", {3, 2, 2}}, {"D", {3}}};
  for (const auto& [name, shape] : shapes) {
    INFO(name);
    REQUIRE(params.count(name) == 1);
    CHECK(params.at(name).dtype == "F32");
    CHECK(params.at(name).shape == shape);
  }
  const double pi = 3.14159265358979323846;
  for (size_t h = 0; h < 3; ++h) {
    const double log_dt = params.at("log_dt").data[h];
    CHECK(log_dt >= std::log(1e-3) - 1e-6);
    CHECK(log_dt <= std::log(1e-1) + 1e-6);
    for (size_t n = 0; n < 2; ++n) {
      CHECK(params.at("log_A_real").data[h * 2 + n] == static_cast<float>(std::log(0.5)));
      CHECK(params.at("A_imag").data[h * 2 + n] == static_cast<float>(pi * static_cast<double>(n)));
    }
  }
  const auto s4d = load_s4d_params(tmp.file("params.safetensors"));
  CHECK(s4d.H == 3);
  CHECK(s4d.M == 2);
  CHECK(s4d.C == params.at("C").data);

  const NpyArray input = read_npy(tmp.file("input.npy"));
  const NpyArray input_batch = read_npy(tmp.file("input_batch.npy"));
  const NpyArray expected = read_npy(tmp.file("expected.npy"));
  const NpyArray expected_batch = read_npy(tmp.file("expected_batch.npy"));
  CHECK(input.dtype == "f8");
  CHECK(input.shape == std::vector<size_t>{3, 50});
  CHECK(input_batch.dtype == "f4");
  CHECK(input_batch.shape == std::vector<size_t>{2, 3, 50});
  CHECK(expected.dtype == "f8");
  CHECK(expected.shape == std::vector<size_t>{3, 50});
  CHECK(expected_batch.dtype == "f8");
  CHECK(expected_batch.shape == std::vector<size_t>{2, 3, 50});
  // Standard normal inputs: not all zero, and float32 values in input_batch.
  double energy = 0;
  for (double v : input.data) energy += v * v;
  CHECK(energy > 10.0);
  for (double v : input_batch.data) CHECK(v == static_cast<double>(static_cast<float>(v)));

  // The bidirectional layer: C [2, H, M, 2] whose first half is params.safetensors' C, and
  // numpy's convolution-form outputs, which our double recurrence reproduces.
  const auto bidir_raw = read_safetensors(tmp.file("params_bidir.safetensors"));
  CHECK(bidir_raw.at("C").shape == std::vector<size_t>{2, 3, 2, 2});
  const auto bidir = load_s4d_params(tmp.file("params_bidir.safetensors"));
  CHECK(bidir.directions == 2);
  REQUIRE(bidir.C.size() == 24);
  CHECK(std::vector<double>(bidir.C.begin(), bidir.C.begin() + 12) == s4d.C);
  CHECK(std::vector<double>(bidir.C.begin() + 12, bidir.C.end()) != s4d.C);
  CHECK((bidir.log_dt == s4d.log_dt && bidir.log_A_real == s4d.log_A_real && bidir.A_imag == s4d.A_imag &&
         bidir.D == s4d.D));
  const NpyArray expected_bidir = read_npy(tmp.file("expected_bidir.npy"));
  const NpyArray expected_bidir_batch = read_npy(tmp.file("expected_bidir_batch.npy"));
  CHECK(expected_bidir.dtype == "f8");
  REQUIRE(expected_bidir.shape == std::vector<size_t>{3, 50});
  REQUIRE(expected_bidir_batch.shape == std::vector<size_t>{2, 3, 50});
  const auto rel = [](const std::vector<double>& y, const std::vector<double>& ref) {
    return epochcore::compare_to_reference(y.data(), ref.data(), ref.size()).max_rel;
  };
  CHECK(rel(epochcore::s4d_recurrence(bidir, input.data.data(), 1, 50), expected_bidir.data) < 1e-12);
  CHECK(rel(epochcore::s4d_recurrence(bidir, input_batch.data.data(), 2, 50), expected_bidir_batch.data) < 1e-12);
  CHECK(rel(epochcore::s4d_recurrence(s4d, input.data.data(), 1, 50), expected.data) < 1e-12);
  CHECK(rel(expected_bidir.data, expected.data) > 1e-3);  // the backward half is visible
}

// Our writer's output read by an independent reader written with struct + json in Python.
TEST_CASE("safetensors: Python reads what we write", "[io][safetensors][python]") {
  const std::string python = python_with_numpy();
  if (python.empty()) {
    WARN("python3 with numpy not found: skipping the Python interoperability check");
    return;
  }
  StTempDir tmp;
  const std::string p = tmp.file("w.safetensors");
  write_safetensors(p, {{"x", Tensor{"", {2, 3}, ramp(6, 0.25)}}, {"s", Tensor{"", {}, {9.0}}}},
                    "F32");
  const std::string check =
      python + " -c \"import json, struct, sys, numpy as np; b = open(sys.argv[1], 'rb').read(); "
      "n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); d = b[8 + n:]; "
      "get = lambda k: np.frombuffer(d[h[k]['data_offsets'][0]:h[k]['data_offsets'][1]], "
      "'<f4').reshape(h[k]['shape']); "
      "ok = (get('x') == 0.25 * (np.arange(6) - 2.5).reshape(2, 3)).all() and get('s') == 9.0 "
      "and h['x']['dtype'] == 'F32'; sys.exit(0 if ok else 1)\" '" + p + "'";
  CHECK(std::system(check.c_str()) == 0);
}
