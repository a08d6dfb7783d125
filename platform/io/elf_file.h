// A reader for ELF32 little-endian RISC-V executables (EM_RISCV = 243, ET_EXEC): the
// entry point, the PT_LOAD segments (physical address, file bytes, memory size: the rest
// is zero-filled) and the symbol table (name -> value), so tests and the platform can
// find symbols such as a mailbox or a result buffer. No SystemC.
//
// Errors throw ElfError, whose message starts with the file name and says what was
// expected: not an ELF (magic), wrong class (ELF64), wrong data encoding (big-endian),
// wrong machine, not an executable, truncated ELF header / program headers / segment
// data / section headers / symbol table, memsz < filesz, and a segment outside every
// memory region the caller allows ([base, base + size)).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace epochcore::io {

class ElfError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ElfRegion {
  uint64_t base = 0;
  uint64_t size = 0;
};

struct ElfSegment {
  uint32_t paddr = 0;  // where it is loaded
  uint32_t vaddr = 0;
  uint32_t memsz = 0;  // >= data.size(); the rest is zero
  uint32_t flags = 0;  // PF_X 1, PF_W 2, PF_R 4
  std::vector<uint8_t> data;  // the file bytes (filesz)
  std::vector<uint8_t> image() const;  // memsz bytes: data then zeros
};

struct ElfFile {
  std::string name;
  uint32_t entry = 0;
  std::vector<ElfSegment> segments;  // PT_LOAD with memsz > 0, in file order
  std::map<std::string, uint32_t> symbols;  // named symbols of SHT_SYMTAB (value)
  std::optional<uint32_t> symbol(const std::string& n) const;
};

// `name` is used in messages. An empty `regions` accepts any address.
ElfFile parse_elf32(const std::vector<uint8_t>& bytes, const std::string& name,
                    const std::vector<ElfRegion>& regions = {});
ElfFile read_elf32(const std::string& path, const std::vector<ElfRegion>& regions = {});

}  // namespace epochcore::io
