// LIMA-PE: one processing element of the EpochCore array, as a module in the hierarchy.
// It has no process of its own: the array's clocked process steps every PE once per
// clock edge (one process instead of R*C keeps the array fast; see docs/architecture.md).
// Its registers live in the array's contiguous register file, for locality in that loop.
#pragma once
#include <systemc>

#include "epochcore/maths/pe/lima_pe_math.h"

namespace epochcore {

// The registers of one PE and what one clock edge does to them.
struct LimaPeRegs {
  LimaPeCore core;  // coefficients, weight and state
  // Pipeline registers seen by the east neighbour on the next cycle.
  float u_out = 0.0f;
  float psum_out = 0.0f;
  float dt_out = 0.0f;  // RUN_SCAN: Delta travels east with u
  bool valid_out = false;

  void clear() {
    core.clear();
    u_out = psum_out = dt_out = 0.0f;
    valid_out = false;
  }
  // One LIMA cycle: takes the operands from the west, leaves them for the east.
  void step_lima(float u_in, float psum_in, bool valid_in) {
    if (valid_in) psum_out = core.lima(u_in, psum_in);
    u_out = u_in;
    valid_out = valid_in;
  }
  // One selective-scan cycle: u, Delta and the partial sum from the west, B and C from
  // the north feed (this column's words of this PE's step).
  void step_scan(float u_in, float dt_in, float psum_in, bool valid_in, float b, float c) {
    if (valid_in) psum_out = core.scan(u_in, dt_in, b, c, psum_in);
    u_out = u_in;
    dt_out = dt_in;
    valid_out = valid_in;
  }
  // One idle cycle of a PE outside every segment: operands pass straight through.
  void step_bypass(float u_in, float psum_in, bool valid_in) {
    u_out = u_in;
    psum_out = psum_in;
    valid_out = valid_in;
  }
  // One weight-stationary MAC cycle: input east, partial sum south.
  void step_mac(float in, float psum_in, bool valid_in) {
    if (valid_in) psum_out = core.mac(in, psum_in);
    u_out = in;
    valid_out = valid_in;
  }
};

class LimaPe : public sc_core::sc_module {
 public:
  LimaPe(sc_core::sc_module_name name, LimaPeRegs& regs) : sc_core::sc_module(name), regs(regs) {}
  const char* kind() const override { return "epochcore::LimaPe"; }

  LimaPeRegs& regs;
};

}  // namespace epochcore
