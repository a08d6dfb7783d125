// S4D layer parameters in the minimal S4D convention of the S4 repository
// (models/s4/s4d.py): M = N/2 complex modes per channel, B folded into C.
#pragma once
#include <cstdint>
#include <vector>

namespace epochcore {

struct S4dParams {
  uint32_t H = 0;  // channels
  uint32_t M = 0;  // complex modes per channel (N/2)
  std::vector<double> log_dt;      // [H]
  std::vector<double> log_A_real;  // [H*M]  A = -exp(log_A_real) + i*A_imag
  std::vector<double> A_imag;      // [H*M]
  uint32_t directions = 1;         // 1, or 2 for a bidirectional layer (ssm.md)
  std::vector<double> C;           // [directions*H*M*2]: [dir][h][m][re, im]; dir 1 runs backwards
  std::vector<double> D;           // [H]
};

}  // namespace epochcore
