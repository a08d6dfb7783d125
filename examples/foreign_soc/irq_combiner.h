// The SoC's interrupt combiner: N level-sensitive interrupt lines ORed onto one CPU line.
// The CPU finds the source by reading the devices' status registers.
#pragma once
#include <systemc>

class IrqCombiner : public sc_core::sc_module {
 public:
  sc_core::sc_vector<sc_core::sc_in<bool>> in;
  sc_core::sc_out<bool> out;

  IrqCombiner(sc_core::sc_module_name name, unsigned lines)
      : sc_core::sc_module(name), in("in", lines), out("out") {
    SC_HAS_PROCESS(IrqCombiner);
    SC_METHOD(combine);
    for (auto& line : in) sensitive << line;
  }

 private:
  void combine() {
    bool any = false;
    for (auto& line : in) any = any || line.read();
    out.write(any);
  }
};
