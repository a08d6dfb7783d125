#include "epochcore/platform/scenario/host_memory.h"

#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>

namespace epochcore {

namespace {
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
}

bool checked_mul(uint64_t a, uint64_t b, uint64_t& out) {
  if (a != 0 && b > kMax / a) return false;
  out = a * b;
  return true;
}

uint64_t sat_product(std::initializer_list<uint64_t> factors) {
  uint64_t p = 1;
  bool overflow = false;
  for (uint64_t f : factors) {
    if (f == 0) return 0;
    if (!overflow && !checked_mul(p, f, p)) overflow = true;
  }
  return overflow ? kMax : p;
}

uint64_t sat_add(uint64_t a, uint64_t b) { return a > kMax - b ? kMax : a + b; }

std::string format_bytes(uint64_t bytes) {
  if (bytes == kMax) return "more than 2^64 bytes";
  if (bytes >= (uint64_t{1} << 20)) return std::to_string((bytes >> 20) + ((bytes & 0xFFFFF) != 0)) + " MiB";
  if (bytes >= 1024) return std::to_string((bytes + 1023) >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

uint64_t machine_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::istringstream fields(line.substr(9));
    uint64_t kib = 0;
    if (fields >> kib && kib > 0) return kib * 1024;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) return uint64_t(pages) * uint64_t(page);
  return 0;
}

HostMemoryCeiling host_memory_ceiling(const Scenario& s) {
  HostMemoryCeiling c;
  if (s.run.host_memory_mib > 0) {
    c.bytes = uint64_t{s.run.host_memory_mib} << 20;
    c.origin = "run.host_memory_mib = " + std::to_string(s.run.host_memory_mib);
    return c;
  }
  const uint64_t ram = machine_memory_bytes();
  if (ram == 0) {
    c.bytes = uint64_t{8} << 30;
    c.origin = "run.host_memory_mib = 0: 8192 MiB, the machine's RAM being unknown";
  } else {
    c.bytes = ram / 2;
    c.origin = "run.host_memory_mib = 0: half of the machine's " + std::to_string(ram >> 20) + " MiB of RAM";
  }
  return c;
}

uint64_t soc_host_bytes(const Scenario& s) {
  return ((uint64_t{s.spad_input.size_kib} + s.spad_param.size_kib + s.spad_output.size_kib) << 10);
}

std::string host_memory_refusal(const Scenario& s, uint64_t bytes, const std::string& what) {
  const HostMemoryCeiling c = host_memory_ceiling(s);
  const uint64_t soc = soc_host_bytes(s);
  const uint64_t total = sat_add(bytes, soc);
  if (total <= c.bytes) return "";
  return what + " needs " + format_bytes(bytes) + " of host memory (" + format_bytes(total) +
         " with the SoC's scratchpads), more than the ceiling of " +
         format_bytes(c.bytes) + " (" + c.origin + "; raise run.host_memory_mib or shrink the input)";
}

}  // namespace epochcore
