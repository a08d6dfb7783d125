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

// Throws std::invalid_argument naming the field and the expected size when H or M is 0,
// directions is not 1 or 2, a vector has the wrong length (log_dt and D: H, log_A_real
// and A_imag: H*M, C: directions*H*M*2), a value is not finite, or exp(log_dt) /
// exp(log_A_real) is not a finite number (dt must also be > 0).
void check_s4d_params(const S4dParams& p);

}  // namespace epochcore
