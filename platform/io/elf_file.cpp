#include "epochcore/platform/io/elf_file.h"

#include <cstdio>
#include <fstream>
#include <iterator>

namespace epochcore::io {

namespace {

constexpr uint16_t kEtExec = 2, kEmRiscv = 243;
constexpr uint32_t kPtLoad = 1, kShtSymtab = 2;
constexpr size_t kEhdrSize = 52, kPhdrSize = 32, kShdrSize = 40, kSymSize = 16;

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

struct Reader {
  const std::vector<uint8_t>& b;
  const std::string& name;
  [[noreturn]] void fail(const std::string& what) const { throw ElfError(name + ": " + what); }
  bool has(uint64_t off, uint64_t len) const { return off <= b.size() && len <= b.size() - off; }
  uint16_t u16(size_t o) const { return uint16_t(b[o] | b[o + 1] << 8); }
  uint32_t u32(size_t o) const {
    return uint32_t(b[o]) | uint32_t(b[o + 1]) << 8 | uint32_t(b[o + 2]) << 16 | uint32_t(b[o + 3]) << 24;
  }
};

}  // namespace

std::vector<uint8_t> ElfSegment::image() const {
  std::vector<uint8_t> v(data);
  v.resize(memsz, 0);
  return v;
}

std::optional<uint32_t> ElfFile::symbol(const std::string& n) const {
  const auto it = symbols.find(n);
  if (it == symbols.end()) return std::nullopt;
  return it->second;
}

ElfFile parse_elf32(const std::vector<uint8_t>& bytes, const std::string& name,
                    const std::vector<ElfRegion>& regions) {
  const Reader r{bytes, name};
  if (bytes.size() < 4 || bytes[0] != 0x7F || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F')
    r.fail("not an ELF file (expected the magic 7f 45 4c 46)");
  if (bytes.size() < 16) r.fail("truncated ELF header (expected 52 bytes, the file has " + std::to_string(bytes.size()) + ")");
  if (bytes[4] != 1)
    r.fail(std::string("wrong ELF class ") + (bytes[4] == 2 ? "(ELF64)" : std::to_string(bytes[4])) +
           ": expected ELFCLASS32");
  if (bytes[5] != 1)
    r.fail(std::string("wrong data encoding ") + (bytes[5] == 2 ? "(big-endian)" : std::to_string(bytes[5])) +
           ": expected little-endian (ELFDATA2LSB)");
  if (!r.has(0, kEhdrSize))
    r.fail("truncated ELF header (expected 52 bytes, the file has " + std::to_string(bytes.size()) + ")");
  if (r.u16(18) != kEmRiscv)
    r.fail("wrong machine " + std::to_string(r.u16(18)) + ": expected EM_RISCV (243)");
  if (r.u16(16) != kEtExec) r.fail("not an executable (e_type " + std::to_string(r.u16(16)) + ", expected ET_EXEC)");

  ElfFile f;
  f.name = name;
  f.entry = r.u32(24);
  const uint32_t phoff = r.u32(28), shoff = r.u32(32);
  const uint16_t phentsize = r.u16(42), phnum = r.u16(44), shentsize = r.u16(46), shnum = r.u16(48);
  if (phnum > 0 && phentsize < kPhdrSize)
    r.fail("program header entries of " + std::to_string(phentsize) + " bytes: expected 32");
  if (!r.has(phoff, uint64_t(phnum) * phentsize))
    r.fail("truncated program headers (" + std::to_string(phnum) + " at offset " + hex(phoff) + ")");

  for (unsigned i = 0; i < phnum; ++i) {
    const size_t o = phoff + size_t(i) * phentsize;
    if (r.u32(o) != kPtLoad) continue;
    ElfSegment s;
    const uint32_t off = r.u32(o + 4), filesz = r.u32(o + 16);
    s.vaddr = r.u32(o + 8);
    s.paddr = r.u32(o + 12);
    s.memsz = r.u32(o + 20);
    s.flags = r.u32(o + 24);
    const std::string seg = "segment " + std::to_string(i) + " at " + hex(s.paddr);
    if (s.memsz < filesz)
      r.fail(seg + ": memsz " + std::to_string(s.memsz) + " < filesz " + std::to_string(filesz));
    if (!r.has(off, filesz))
      r.fail("truncated segment data: " + seg + " wants " + std::to_string(filesz) + " bytes at offset " + hex(off));
    if (s.memsz == 0) continue;
    if (!regions.empty()) {
      bool inside = false;
      for (const ElfRegion& g : regions)
        if (s.paddr >= g.base && uint64_t(s.paddr) + s.memsz <= g.base + g.size) inside = true;
      if (!inside) {
        std::string list;
        for (const ElfRegion& g : regions) list += (list.empty() ? "" : ", ") + ("[" + hex(g.base) + ", " + hex(g.base + g.size) + ")");
        r.fail(seg + " (" + std::to_string(s.memsz) + " bytes) lies outside the memory regions " + list);
      }
    }
    s.data.assign(bytes.begin() + off, bytes.begin() + off + filesz);
    f.segments.push_back(std::move(s));
  }

  // Symbols (optional: a stripped file has none).
  if (shoff != 0 && shnum != 0) {
    if (shentsize < kShdrSize || !r.has(shoff, uint64_t(shnum) * shentsize))
      r.fail("truncated section headers (" + std::to_string(shnum) + " at offset " + hex(shoff) + ")");
    for (unsigned i = 0; i < shnum; ++i) {
      const size_t o = shoff + size_t(i) * shentsize;
      if (r.u32(o + 4) != kShtSymtab) continue;
      const uint32_t off = r.u32(o + 16), size = r.u32(o + 20), link = r.u32(o + 24);
      if (link >= shnum || !r.has(off, size)) r.fail("truncated symbol table (section " + std::to_string(i) + ")");
      const size_t so = shoff + size_t(link) * shentsize;
      const uint32_t stroff = r.u32(so + 16), strsize = r.u32(so + 20);
      if (!r.has(stroff, strsize)) r.fail("truncated string table (section " + std::to_string(link) + ")");
      for (uint32_t k = 0; k + kSymSize <= size; k += kSymSize) {
        const uint32_t nm = r.u32(off + k);
        if (nm == 0 || nm >= strsize) continue;
        std::string sym;
        for (uint32_t p = stroff + nm; p < stroff + strsize && bytes[p] != 0; ++p) sym += char(bytes[p]);
        if (!sym.empty()) f.symbols.emplace(sym, r.u32(off + k + 4));
      }
    }
  }
  return f;
}

ElfFile read_elf32(const std::string& path, const std::vector<ElfRegion>& regions) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ElfError(path + ": cannot open the file");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_elf32(bytes, path, regions);
}

}  // namespace epochcore::io
