// Sizes before memory (issue 9, item 2): the header-only readers, the checked products,
// the host-memory ceiling and the bound on a model description's weights.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include <unistd.h>

#include "epochcore/description/s4_model_desc.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/npy.h"
#include "epochcore/platform/io/safetensors.h"
#include "epochcore/platform/scenario/host_memory.h"
#include "epochcore/platform/scenario/scenario.h"

using namespace epochcore;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

fs::path temp_file(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("epochcore_test_sizes_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}

}  // namespace

TEST_CASE("sizes: checked_mul, sat_product and sat_add never wrap", "[sizes]") {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t out = 7;
  CHECK(checked_mul(uint64_t(1) << 32, uint64_t(1) << 31, out));
  CHECK(out == uint64_t(1) << 63);
  out = 7;
  CHECK_FALSE(checked_mul(uint64_t(1) << 32, uint64_t(1) << 32, out));
  CHECK(out == 7);
  CHECK(checked_mul(0, kMax, out));
  CHECK(out == 0);
  // B * docs * L * d_input at the keys' limits overflows 64 bits: saturated, never wrapped.
  CHECK(sat_product({uint64_t(1) << 16, 2, uint64_t(1) << 24, uint64_t(1) << 24}) == kMax);
  CHECK(sat_product({uint64_t(1) << 16, 2, uint64_t(1) << 24, 0}) == 0);
  CHECK(sat_product({3, 5, 7}) == 105);
  CHECK(sat_add(kMax - 1, 2) == kMax);
  CHECK(format_bytes(kMax) == "more than 2^64 bytes");
  CHECK(format_bytes((uint64_t(3) << 20) + 1) == "4 MiB");
}

TEST_CASE("sizes: the host-memory ceiling is run.host_memory_mib, else half of the RAM", "[sizes]") {
  Scenario s;
  CHECK(s.run.host_memory_mib == 0);
  const uint64_t ram = machine_memory_bytes();
  CHECK(ram > 0);
  CHECK(host_memory_ceiling(s).bytes == ram / 2);
  CHECK_THAT(host_memory_ceiling(s).origin, Contains("run.host_memory_mib = 0: half of the machine's"));
  s = parse_scenario("run:\n  host_memory_mib: 64\n", "t.yaml");
  CHECK(host_memory_ceiling(s).bytes == uint64_t(64) << 20);
  const uint64_t soc = soc_host_bytes(s);
  CHECK(host_memory_refusal(s, (uint64_t(64) << 20) - soc, "x").empty());
  const std::string refusal = host_memory_refusal(s, (uint64_t(64) << 20) - soc + 1, "the thing (key.x)");
  CHECK_THAT(refusal, Contains("the thing (key.x) needs"));
  CHECK_THAT(refusal, Contains("more than the ceiling of 64 MiB (run.host_memory_mib = 64"));
  CHECK_THROWS_WITH(parse_scenario("run:\n  host_memory_mib: 16777217\n", "t.yaml"),
                    Contains("run.host_memory_mib"));
}

TEST_CASE("sizes: read_npy_header reads the shape without the data", "[sizes][io][npy]") {
  const fs::path p = temp_file("h.npy");
  const std::vector<float> v(6, 1.5f);
  io::write_npy_f32(p.string(), {2, 3}, v.data());
  const io::NpyHeader h = io::read_npy_header(p.string());
  CHECK(h.dtype == "f4");
  CHECK(h.shape == std::vector<size_t>{2, 3});
  CHECK(h.elements == 6);
  CHECK(h.data_bytes == 24);
  CHECK(h.data_offset == fs::file_size(p) - 24);
  CHECK(io::read_npy(p.string()).data == std::vector<double>(6, 1.5));
  // A sparse 8 GiB file: the header is read in no time, the size errors come from it.
  fs::resize_file(p, h.data_offset + (uint64_t(8) << 30));
  CHECK_THROWS_WITH(io::read_npy_header(p.string()), Contains("unexpected bytes after the data"));
}

TEST_CASE("sizes: read_safetensors_header reads names and shapes without the data", "[sizes][io][safetensors]") {
  const fs::path p = temp_file("h.safetensors");
  io::write_safetensors(p.string(), {{"a", io::Tensor{"", {2, 2}, {1, 2, 3, 4}}}, {"b", io::Tensor{"", {3}, {5, 6, 7}}}},
                        "F32");
  const auto h = io::read_safetensors_header(p.string());
  REQUIRE(h.size() == 2);
  CHECK(h.at("a").dtype == "F32");
  CHECK(h.at("a").shape == std::vector<size_t>{2, 2});
  CHECK(h.at("b").elements == 3);
  fs::resize_file(p, fs::file_size(p) - 4);
  CHECK_THROWS_AS(io::read_safetensors_header(p.string()), io::FormatError);
}

TEST_CASE("sizes: a model description bounds its weights' count", "[sizes][model]") {
  S4ModelDesc d = lra_model_description("image");
  CHECK(s4_model_weight_count(d) < kMaxModelWeights);
  CHECK_NOTHROW(check_s4_model_desc(d));
  d.H = 65536;
  CHECK(s4_model_weight_count(d) > kMaxModelWeights);
  CHECK_THROWS_WITH(check_s4_model_desc(d), Contains("H = 65536"));
  // Count matches the tensors of the weights file (docs/models.md).
  for (const std::string& task : lra_task_names()) {
    const S4ModelDesc m = lra_model_description(task);
    uint64_t n = 0;
    for (const io::TensorSpec& t : io::model_tensor_specs(m)) {
      uint64_t k = 1;
      for (size_t dim : t.shape) k *= dim;
      n += k;
    }
    CHECK(s4_model_weight_count(m) == n);
  }
  CHECK_THROWS_WITH(io::parse_model_description("task: t\ninput: values\nd_input: 1\nH: 65536\nM: 2\nL: 16\n"
                                                "n_layers: 1\nclasses: 2\n", "wide.yaml"),
                    Contains("wide.yaml: S4ModelDesc: H = 65536"));
}
