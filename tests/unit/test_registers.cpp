#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "epochcore/contract/registers.h"

using namespace epochcore::regs;

TEST_CASE("register map is consistent", "[registers]") {
  std::set<uint32_t> offsets;
  for (size_t i = 0; i < kNumRegisters; ++i) {
    const RegisterInfo& r = kRegisters[i];
    CHECK(r.offset % kRegBytes == 0);
    CHECK(r.offset < kCsrWindowBytes);
    CHECK(offsets.insert(r.offset).second);  // no two registers share an offset
    CHECK(find_register(r.offset) == &r);
  }
  CHECK(find_register(0x004 + 2) == nullptr);
  CHECK(find_register(0x0FC) == nullptr);
  CHECK(std::string(error_cause_name(ErrorCause::BAD_SPAD_ADDRESS)) == "BAD_SPAD_ADDRESS");
}

TEST_CASE("docs/registers.md holds the register and error tables of the shared definition", "[registers][docs]") {
  std::ifstream f(EC_SOURCE_DIR "/docs/registers.md");
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  INFO("regenerate with: build/epochcore-describe --markdown");
  CHECK(doc.find(registers_markdown_table()) != std::string::npos);
  CHECK(doc.find(error_causes_markdown_table()) != std::string::npos);
  CHECK(doc.find(register_fields_markdown_table()) != std::string::npos);
}
