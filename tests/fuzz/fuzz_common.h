// Shared by the libFuzzer harnesses (docs/fuzzing.md).
//
// A harness returns normally for every input the code under test handles as documented:
// accepted, or refused with the loader's own error type. Anything else is a finding:
// another exception escapes (libFuzzer reports an uncaught exception as a crash), a
// sanitizer report (the harnesses are built with ASan and UBSan, UB aborting), a crash,
// a hang (-timeout) or a large allocation (-malloc_limit_mb / -rss_limit_mb).
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace epochcore::fuzz {

// The readers take paths: the input goes into a file of this process (in TMPDIR,
// /dev/shm when it exists: no disk traffic), rewritten for every input.
inline std::string temp_path(const std::string& name) {
  static const std::string dir = [] {
    const char* t = std::getenv("TMPDIR");
    if (t && *t) return std::string(t);
    return std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  }();
  return dir + "/epochcore_fuzz_" + std::to_string(getpid()) + "_" + name;
}

inline void write_file(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness's own failure, not the code under test's
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

// Splits the input at each "\n####\n" into at most `parts` pieces (the last holds the
// rest); missing pieces are empty. The corpus generator writes the same separator.
constexpr const char kSeparator[] = "\n####\n";
inline std::vector<std::string> split(const uint8_t* data, size_t size, size_t parts) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const std::string sep(kSeparator);
  std::vector<std::string> out;
  size_t begin = 0;
  while (out.size() + 1 < parts) {
    const size_t at = all.find(sep, begin);
    if (at == std::string::npos) break;
    out.push_back(all.substr(begin, at - begin));
    begin = at + sep.size();
  }
  out.push_back(all.substr(begin));
  out.resize(parts);
  return out;
}

}  // namespace epochcore::fuzz
