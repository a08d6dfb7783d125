// A minimal check harness for SystemC testbenches, whose checks run inside simulation
// processes: counts results, prints failures, ends with "N passed, M failed".
#pragma once
#include <cstdio>
#include <string>

namespace ec_test {
inline int g_passed = 0, g_failed = 0;
inline void check(bool ok, const char* expr, const char* file, int line, const std::string& info = "") {
  if (ok) {
    ++g_passed;
    return;
  }
  ++g_failed;
  std::printf("FAILED %s:%d: %s %s\n", file, line, expr, info.c_str());
}
inline int summary() {
  std::printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 && g_passed > 0 ? 0 : 1;
}
}  // namespace ec_test

#define EC_CHECK(cond) ec_test::check((cond), #cond, __FILE__, __LINE__)
#define EC_CHECK_INFO(cond, info) ec_test::check((cond), #cond, __FILE__, __LINE__, (info))
