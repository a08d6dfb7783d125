// Tests of the .npy reader and writers: round trips, numpy's exact header layout,
// hand-built files for every accepted variant and every error, and (when python3 with
// numpy is present) numpy reading what we write.
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

#include "epochcore/platform/io/npy.h"

using namespace epochcore::io;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temporary directory, removed at scope exit.
struct NpyTempDir {
  fs::path dir;
  NpyTempDir() {
    static std::mt19937_64 rng(std::random_device{}());
    dir = fs::temp_directory_path() / ("epochcore_test_npy_" + std::to_string(rng()));
    fs::create_directories(dir);
  }
  ~NpyTempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Little-endian bytes of an integer of `n` bytes.
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

// A .npy file: magic, version, header length (2 bytes for 1.0, else 4), header, data.
std::string npy_file(const std::string& header, const std::string& data, int major = 1) {
  return std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0' +
         le(header.size(), major == 1 ? 2 : 4) + header + data;
}
std::string dict(const std::string& descr, const std::string& shape,
                 const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape +
         ", }\n";
}

std::string npy_error(const std::string& path) {
  try {
    read_npy(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

const std::vector<std::vector<size_t>> kShapes = {{}, {5}, {2, 3}, {2, 3, 4}, {0}, {2, 0, 3}};

// "python3" if it imports numpy, else Debian's /usr/bin/python3 if that does (a python3
// earlier on PATH, e.g. from pyenv, may lack numpy), else "".
std::string python_with_numpy() {
  for (const char* candidate : {"python3", "/usr/bin/python3"})
    if (std::system((std::string(candidate) + " -c \"import numpy\" >/dev/null 2>&1").c_str()) == 0)
      return candidate;
  return "";
}

}  // namespace

TEST_CASE("npy: f32 and f64 round trips for ranks 0 to 3", "[io][npy]") {
  NpyTempDir tmp;
  for (const auto& shape : kShapes) {
    INFO("shape " << detail::shape_string(shape));
    size_t n = 1;
    for (size_t d : shape) n *= d;
    std::vector<float> f(n);
    std::vector<double> d(n);
    for (size_t i = 0; i < n; ++i) {
      f[i] = static_cast<float>(i) * 0.37f - 3.0f;
      d[i] = std::sin(1.0 + static_cast<double>(i)) * 1e5;
    }
    write_npy_f32(tmp.file("f.npy"), shape, f.data());
    write_npy_f64(tmp.file("d.npy"), shape, d.data());
    const NpyArray a = read_npy(tmp.file("f.npy"));
    const NpyArray b = read_npy(tmp.file("d.npy"));
    CHECK(a.dtype == "f4");
    CHECK(b.dtype == "f8");
    CHECK(a.shape == shape);
    CHECK(b.shape == shape);
    REQUIRE(a.data.size() == n);
    REQUIRE(b.data.size() == n);
    for (size_t i = 0; i < n; ++i) {
      CHECK(a.data[i] == static_cast<double>(f[i]));
      CHECK(b.data[i] == d[i]);
    }
  }
}

TEST_CASE("npy: i8 (int64) round trip, negative values and the header", "[io][npy]") {
  NpyTempDir tmp;
  const std::vector<int64_t> v = {0, -1, 7, (int64_t(1) << 40) + 3, -(int64_t(1) << 50), 12};
  write_npy_i64(tmp.file("i.npy"), {2, 3}, v.data());
  const NpyArray a = read_npy(tmp.file("i.npy"));
  CHECK(a.dtype == "i8");
  CHECK(a.shape == std::vector<size_t>{2, 3});
  REQUIRE(a.data.size() == v.size());
  for (size_t i = 0; i < v.size(); ++i) CHECK(a.data[i] == double(v[i]));
}

TEST_CASE("npy: writer produces numpy's header layout", "[io][npy]") {
  NpyTempDir tmp;
  const float values[6] = {1, 2, 3, 4, 5, 6};
  write_npy_f32(tmp.file("a.npy"), {2, 3}, values);
  const std::string bytes = read_bytes(tmp.file("a.npy"));
  // Byte for byte what numpy 1.24 writes for np.zeros((2, 3), np.float32).
  const std::string dict_text = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const std::string expected_header = std::string("\x93NUMPY\x01\x00", 8) + le(118, 2) +
                                      dict_text + std::string(128 - 11 - dict_text.size(), ' ') +
                                      "\n";
  REQUIRE(bytes.size() == 128 + 24);
  CHECK(bytes.substr(0, 128) == expected_header);
  CHECK(bytes.substr(128, 4) == f32_bytes(1.0f));
  CHECK(bytes.substr(148, 4) == f32_bytes(6.0f));

  const double one = 1.5;
  write_npy_f64(tmp.file("b.npy"), {1}, &one);
  CHECK(read_bytes(tmp.file("b.npy")).find("'shape': (1,), }") != std::string::npos);
  write_npy_f64(tmp.file("c.npy"), {}, &one);
  CHECK(read_bytes(tmp.file("c.npy")).find("'shape': (), }") != std::string::npos);
  CHECK(read_npy(tmp.file("c.npy")).data == std::vector<double>{1.5});
}

TEST_CASE("npy: integer dtypes, versions 2.0/3.0 and '|' byte order", "[io][npy]") {
  NpyTempDir tmp;
  const std::string p = tmp.file("in.npy");
  const int64_t big = int64_t(1) << 53;
  for (const auto& shape : kShapes) {
    INFO("shape " << detail::shape_string(shape));
    size_t n = 1;
    for (size_t d : shape) n *= d;
    std::string i4, i8;
    std::vector<double> expect4, expect8;
    for (size_t i = 0; i < n; ++i) {
      const int32_t v4 = i % 2 ? -static_cast<int32_t>(i * 1000) : INT32_MAX - int32_t(i);
      const int64_t v8 = i % 3 == 0 ? big - int64_t(i) : -big + int64_t(i);
      i4 += le(static_cast<uint32_t>(v4), 4);
      i8 += le(static_cast<uint64_t>(v8), 8);
      expect4.push_back(v4);
      expect8.push_back(static_cast<double>(v8));
    }
    const std::string tuple = detail::shape_string(shape, true);
    write_bytes(p, npy_file(dict("<i4", tuple), i4));
    NpyArray a = read_npy(p);
    CHECK(a.dtype == "i4");
    CHECK(a.shape == shape);
    CHECK(a.data == expect4);
    write_bytes(p, npy_file(dict("<i8", tuple), i8, 2));
    a = read_npy(p);
    CHECK(a.dtype == "i8");
    CHECK(a.shape == shape);
    CHECK(a.data == expect8);
  }
  write_bytes(p, npy_file(dict("<f8", "(2,)"), f64_bytes(0.5) + f64_bytes(-2.0), 3));
  CHECK(read_npy(p).data == std::vector<double>{0.5, -2.0});
  write_bytes(p, npy_file(dict("|f4", "(1,)"), f32_bytes(7.0f)));
  CHECK(read_npy(p).data == std::vector<double>{7.0});
  // Key order, quotes and spacing are free in a Python dict literal.
  write_bytes(p, npy_file("{\"shape\":(1 ,) ,\"fortran_order\":False,\"descr\":\"<f4\"}",
                          f32_bytes(3.0f)));
  CHECK(read_npy(p).data == std::vector<double>{3.0});
}

TEST_CASE("npy: the unsupported-dtype message is exact", "[io][npy]") {
  NpyTempDir tmp;
  const std::string p = tmp.file("in.npy");
  write_bytes(p, npy_file(dict("<i2", "(2,)"), "abcd"));
  CHECK(npy_error(p) == p + ": dtype '<i2' not supported (expected float32, float64, int32 or int64)");
}

TEST_CASE("npy: every malformed file is rejected with the path and the problem", "[io][npy]") {
  NpyTempDir tmp;
  const std::string p = tmp.file("bad.npy");
  const std::string six_f4 = std::string(24, '\0');
  struct Case {
    const char* name;
    std::string bytes;
    const char* fragment;
  };
  const std::vector<Case> cases = {
      {"empty file", "", "not a .npy file"},
      {"bad magic", std::string("\x93NUMPX\x01\x00", 8) + le(62, 2) + dict("<f4", "(6,)") + six_f4,
       "not a .npy file"},
      {"short preamble", std::string("\x93NUMPY\x01", 7), "not a .npy file"},
      {"preamble cut", std::string("\x93NUMPY\x01\x00\x05", 9), "inside the .npy preamble"},
      {"version 4.0", npy_file(dict("<f4", "(6,)"), six_f4, 4), "version 4.0 not supported"},
      {"version 1.1", std::string("\x93NUMPY\x01\x01", 8) + le(0, 2), "version 1.1"},
      {"header longer than file", std::string("\x93NUMPY\x02\x00", 8) + le(0xfffffff0u, 4),
       "header length 4294967280 runs past the end of the file (12 bytes)"},
      {"header over the limit",
       std::string("\x93NUMPY\x02\x00", 8) + le(2 << 20, 4) + std::string(2 << 20, ' '),
       "header length 2097152 exceeds the limit of 1048576 bytes"},
      {"fortran order", npy_file(dict("<f4", "(2, 3)", "True"), six_f4), "fortran_order is True"},
      {"big-endian", npy_file(dict(">f4", "(6,)"), six_f4), "'>f4' is big-endian"},
      {"native order", npy_file(dict("=f4", "(6,)"), six_f4), "no '<' or '|' byte order"},
      {"unsigned", npy_file(dict("<u4", "(6,)"), six_f4), "'<u4' not supported"},
      {"half", npy_file(dict("<f2", "(6,)"), six_f4), "'<f2' not supported"},
      {"complex", npy_file(dict("<c8", "(3,)"), six_f4), "'<c8' not supported"},
      {"not a dict", npy_file("['<f4']\n", six_f4), "malformed header dictionary"},
      {"missing key", npy_file("{'descr': '<f4', 'shape': (6,)}\n", six_f4),
       "no 'fortran_order' key"},
      {"extra key", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 'y'}",
                             six_f4),
       "unexpected header key 'x'"},
      {"duplicate key",
       npy_file("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", six_f4),
       "'descr' appears twice"},
      {"unterminated string", npy_file("{'descr: '<f4'}", six_f4), "malformed header"},
      {"shape as list", npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': [6]}", six_f4),
       "header key 'shape' must be a tuple of integers"},
      {"structured", npy_file("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (6,)}", six_f4),
       "structured dtype [('x', '<f4')] not supported"},
      {"unterminated list", npy_file("{'descr': [('x', '<f4')", six_f4), "unterminated list"},
      {"bare word", npy_file("{'descr': '<f4', 'fortran_order': None, 'shape': (6,)}", six_f4),
       "expected a string, True, False or a tuple"},
      {"negative dim", npy_file(dict("<f4", "(-6,)"), six_f4), "expected a non-negative integer"},
      {"int not tuple", npy_file(dict("<f4", "(6)"), six_f4), "needs a trailing comma"},
      {"text after dict", npy_file(dict("<f4", "(6,)") + "x", six_f4), "after the closing '}'"},
      {"descr not string", npy_file("{'descr': True, 'fortran_order': False, 'shape': (6,)}", six_f4),
       "'descr' must be a string"},
      {"fortran not bool", npy_file("{'descr': '<f4', 'fortran_order': 'no', 'shape': (6,)}", six_f4),
       "'fortran_order' must be True or False"},
      {"dim beyond 64 bits", npy_file(dict("<f4", "(99999999999999999999,)"), six_f4),
       "does not fit in 64 bits"},
      {"element count overflow", npy_file(dict("<f4", "(4294967296, 4294967296)"), six_f4),
       "too many elements"},
      {"byte count overflow", npy_file(dict("<f8", "(2305843009213693952,)"), six_f4),
       "too many elements"},
      {"huge but valid shape", npy_file(dict("<f4", "(1000000000000,)"), six_f4),
       "data is truncated: expected 4000000000000 bytes"},
      {"truncated", npy_file(dict("<f4", "(2, 3)"), six_f4.substr(0, 20)),
       "expected 24 bytes for shape (2, 3) of dtype '<f4', the file has 20"},
      {"trailing bytes", npy_file(dict("<f4", "(2, 3)"), six_f4 + "xy"),
       "2 unexpected bytes after the data"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    write_bytes(p, c.bytes);
    const std::string message = npy_error(p);
    CHECK_THAT(message, StartsWith(p + ": ") && Contains(c.fragment));
  }
  CHECK_THAT(npy_error(tmp.file("missing.npy")),
             StartsWith(tmp.file("missing.npy") + ": cannot read file"));
}

TEST_CASE("npy: non-finite values and inexact int64 are rejected with their index", "[io][npy]") {
  NpyTempDir tmp;
  const std::string p = tmp.file("in.npy");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  std::string d;
  for (int i = 0; i < 6; ++i) d += f64_bytes(i == 4 ? nan : i == 5 ? inf : 1.0);
  write_bytes(p, npy_file(dict("<f8", "(2, 3)"), d));
  CHECK(npy_error(p) == p + ": element 4 (index [1, 1]) is NaN (only finite values are accepted)");

  std::string f = f32_bytes(1.0f) + f32_bytes(-std::numeric_limits<float>::infinity());
  write_bytes(p, npy_file(dict("<f4", "(2,)"), f));
  CHECK_THAT(npy_error(p), StartsWith(p + ": element 1 is -Inf"));
  const std::vector<float> with_inf = {0.0f, std::numeric_limits<float>::infinity()};
  write_npy_f32(p, {2}, with_inf.data());  // the writer writes what it is given
  CHECK_THAT(npy_error(p), StartsWith(p + ": element 1 is +Inf"));

  const int64_t beyond = (int64_t(1) << 53) + 1;
  write_bytes(p, npy_file(dict("<i8", "(2,)"), le(0, 8) + le(static_cast<uint64_t>(-beyond), 8)));
  CHECK_THAT(npy_error(p), StartsWith(p + ": element 1 is -9007199254740993, beyond 2^53"));
}

TEST_CASE("npy: writer errors", "[io][npy]") {
  NpyTempDir tmp;
  const float x = 1.0f;
  const std::string nowhere = tmp.file("no/such/dir/out.npy");
  CHECK_THROWS_WITH(write_npy_f32(nowhere, {1}, &x), StartsWith(nowhere + ": cannot open"));
  CHECK_THROWS_AS(write_npy_f32(tmp.file("a.npy"), {2}, nullptr), std::invalid_argument);
  CHECK_NOTHROW(write_npy_f32(tmp.file("a.npy"), {0}, nullptr));
  const size_t huge = size_t(1) << 40;
  CHECK_THROWS_AS(write_npy_f64(tmp.file("a.npy"), {huge, huge}, nullptr), std::invalid_argument);
}

TEST_CASE("npy: numpy reads what we write", "[io][npy][python]") {
  const std::string python = python_with_numpy();
  if (python.empty()) {
    WARN("python3 with numpy not found: skipping the numpy interoperability check");
    return;
  }
  NpyTempDir tmp;
  std::vector<float> f(24);
  std::vector<double> d(24);
  for (size_t i = 0; i < 24; ++i) {
    f[i] = 0.5f * static_cast<float>(i) - 2.0f;
    d[i] = 0.1 * static_cast<double>(i);
  }
  write_npy_f32(tmp.file("f.npy"), {2, 3, 4}, f.data());
  write_npy_f64(tmp.file("d.npy"), {24}, d.data());
  const std::string check =
      python + " -c \"import numpy as np, sys; d = sys.argv[1]; "
      "a = np.load(d + '/f.npy'); b = np.load(d + '/d.npy'); "
      "ok = a.dtype == np.float32 and a.shape == (2, 3, 4) and "
      "(a == (0.5 * np.arange(24) - 2).reshape(2, 3, 4)).all() and "
      "b.dtype == np.float64 and b.shape == (24,) and (b == 0.1 * np.arange(24)).all(); "
      "sys.exit(0 if ok else 1)\" '" + tmp.dir.string() + "'";
  CHECK(std::system(check.c_str()) == 0);
}
