// epochcore-describe: the register map as CMSIS-SVD, as a devicetree node, or as the
// Markdown tables of the docs, all generated from the one definition (contract/regs.h,
// contract/cmd.h).
//   epochcore-describe --svd [--base ADDR]
//   epochcore-describe --dts [--base ADDR] [--irq N]
//   epochcore-describe --markdown
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "epochcore/contract/describe.h"

namespace {

int usage(const char* why) {
  if (why) std::fprintf(stderr, "epochcore-describe: %s\n", why);
  std::fprintf(stderr,
               "usage: epochcore-describe --svd [--base ADDR]\n"
               "       epochcore-describe --dts [--base ADDR] [--irq N]\n"
               "       epochcore-describe --markdown\n");
  return 2;
}

// Whole-string unsigned number (decimal or 0x hex).
bool parse_u64(const char* s, unsigned long long* v) {
  char* end = nullptr;
  errno = 0;
  *v = std::strtoull(s, &end, 0);
  return *s && *s != '-' && end && *end == '\0' && errno == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace epochcore::describe;
  std::string what;
  unsigned long long base = kDefaultBase, irq = kDefaultIrq;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--svd" || a == "--dts" || a == "--markdown") {
      if (!what.empty()) return usage("give one of --svd, --dts, --markdown");
      what = a;
    } else if ((a == "--base" || a == "--irq") && i + 1 < argc) {
      unsigned long long v = 0;
      if (!parse_u64(argv[++i], &v)) return usage(("bad number for " + a).c_str());
      if (a == "--base") base = v;
      else if (v > 0x7FFFFFFF) return usage("--irq out of range");
      else irq = v;
    } else if (a == "-h" || a == "--help") {
      usage(nullptr);
      return 0;
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (what.empty()) return usage("give one of --svd, --dts, --markdown");
  if (base % 4) return usage("--base must be 4-byte aligned");
  std::string out;
  if (what == "--svd") out = svd_xml(base);
  else if (what == "--dts") out = devicetree_node(base, int(irq));
  else out = markdown_tables();
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 3;
}
