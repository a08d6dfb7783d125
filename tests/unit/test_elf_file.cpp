// The ELF32 reader: a good executable built in memory, then one broken file per error.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "epochcore/platform/io/elf_file.h"

using namespace epochcore::io;

namespace {

void put16(std::vector<uint8_t>& b, size_t o, uint16_t v) { b[o] = uint8_t(v); b[o + 1] = uint8_t(v >> 8); }
void put32(std::vector<uint8_t>& b, size_t o, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[o + i] = uint8_t(v >> (8 * i));
}

// ELF header (52) + 2 program headers (64) at 52 + segment data (8 bytes at 116) +
// .symtab (2 symbols, 32 bytes at 124) + .strtab (at 156, 16 bytes) + 3 section headers at 172.
std::vector<uint8_t> good_elf() {
  std::vector<uint8_t> b(172 + 3 * 40, 0);
  const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
  std::memcpy(b.data(), ident, sizeof ident);
  put16(b, 16, 2);    // ET_EXEC
  put16(b, 18, 243);  // EM_RISCV
  put32(b, 20, 1);
  put32(b, 24, 0x80000004u);  // entry
  put32(b, 28, 52);           // phoff
  put32(b, 32, 172);          // shoff
  put16(b, 40, 52);
  put16(b, 42, 32);
  put16(b, 44, 2);
  put16(b, 46, 40);
  put16(b, 48, 3);
  // PT_LOAD: 8 file bytes at 0x80000000, memsz 16
  put32(b, 52, 1);
  put32(b, 56, 116);
  put32(b, 60, 0x80000000u);
  put32(b, 64, 0x80000000u);
  put32(b, 68, 8);
  put32(b, 72, 16);
  put32(b, 76, 5);
  // PT_NOTE-like entry, ignored
  put32(b, 84, 4);
  for (int i = 0; i < 8; ++i) b[116 + i] = uint8_t(0xA0 + i);
  // symtab: null symbol, "tohost" = 0x80001000
  put32(b, 124 + 16, 1);
  put32(b, 124 + 20, 0x80001000u);
  std::memcpy(&b[156 + 1], "tohost", 7);
  // section 1: SHT_SYMTAB, link 2; section 2: SHT_STRTAB
  put32(b, 172 + 40 + 4, 2);
  put32(b, 172 + 40 + 16, 124);
  put32(b, 172 + 40 + 20, 32);
  put32(b, 172 + 40 + 24, 2);
  put32(b, 172 + 80 + 4, 3);
  put32(b, 172 + 80 + 16, 156);
  put32(b, 172 + 80 + 20, 16);
  return b;
}

std::string error_of(const std::vector<uint8_t>& b, const std::vector<ElfRegion>& regions = {}) {
  try {
    parse_elf32(b, "fw.elf", regions);
  } catch (const ElfError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("elf32: a good executable", "[elf]") {
  const ElfFile f = parse_elf32(good_elf(), "fw.elf", {{0x80000000u, 0x100000}});
  CHECK(f.entry == 0x80000004u);
  REQUIRE(f.segments.size() == 1);
  CHECK(f.segments[0].paddr == 0x80000000u);
  CHECK(f.segments[0].data.size() == 8);
  CHECK(f.segments[0].memsz == 16);
  const auto img = f.segments[0].image();
  REQUIRE(img.size() == 16);
  CHECK(img[7] == 0xA7);
  CHECK(img[8] == 0);
  CHECK(f.symbol("tohost") == 0x80001000u);
  CHECK_FALSE(f.symbol("missing").has_value());
}

TEST_CASE("elf32: every error names the file and what was expected", "[elf]") {
  auto b = good_elf();
  SECTION("not an ELF") {
    b[1] = 'X';
    CHECK(error_of(b) == "fw.elf: not an ELF file (expected the magic 7f 45 4c 46)");
  }
  SECTION("ELF64") {
    b[4] = 2;
    CHECK(error_of(b) == "fw.elf: wrong ELF class (ELF64): expected ELFCLASS32");
  }
  SECTION("big-endian") {
    b[5] = 2;
    CHECK(error_of(b) == "fw.elf: wrong data encoding (big-endian): expected little-endian (ELFDATA2LSB)");
  }
  SECTION("machine") {
    put16(b, 18, 62);
    CHECK(error_of(b) == "fw.elf: wrong machine 62: expected EM_RISCV (243)");
  }
  SECTION("not executable") {
    put16(b, 16, 1);
    CHECK(error_of(b) == "fw.elf: not an executable (e_type 1, expected ET_EXEC)");
  }
  SECTION("truncated header") {
    b.resize(40);
    CHECK(error_of(b).find("fw.elf: truncated ELF header") == 0);
  }
  SECTION("truncated program headers") {
    put32(b, 28, uint32_t(b.size() - 20));
    CHECK(error_of(b).find("fw.elf: truncated program headers") == 0);
  }
  SECTION("truncated segment data") {
    put32(b, 68, 4096);
    put32(b, 72, 4096);
    CHECK(error_of(b).find("fw.elf: truncated segment data: segment 0 at 0x80000000") == 0);
  }
  SECTION("memsz < filesz") {
    put32(b, 72, 4);
    CHECK(error_of(b) == "fw.elf: segment 0 at 0x80000000: memsz 4 < filesz 8");
  }
  SECTION("segment outside the memory regions") {
    CHECK(error_of(b, {{0x80000000u, 8}}) ==
          "fw.elf: segment 0 at 0x80000000 (16 bytes) lies outside the memory regions [0x80000000, 0x80000008)");
    CHECK(error_of(b, {{0, 0x1000}, {0x90000000u, 0x1000}}).find("lies outside the memory regions [0x0, 0x1000), "
                                                                 "[0x90000000, 0x90001000)") != std::string::npos);
  }
  SECTION("truncated section headers") {
    put32(b, 32, uint32_t(b.size() - 40));
    CHECK(error_of(b).find("fw.elf: truncated section headers") == 0);
  }
  SECTION("missing file") {
    CHECK_THROWS_WITH(read_elf32("/nonexistent/fw.elf"), "/nonexistent/fw.elf: cannot open the file");
  }
}
