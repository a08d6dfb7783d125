// The technology-table parser (maths/energy/tech_table.h): the input is the YAML text.
// Documented refusal: TechTableError. An accepted table is then used as the energy
// model uses it: the figures of every number format and SRAM energies by capacity.
#include <cstdlib>

#include "epochcore/platform/io/tech_table_file.h"
#include "fuzz_common.h"

using namespace epochcore;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  energy::TechTable t;
  try {
    t = energy::parse_tech_table(text, "fuzz.yaml");
  } catch (const energy::TechTableError&) {
    return 0;
  }
  for (const std::string& f : energy::number_formats()) {
    const energy::ArithmeticFigures& a = energy::arithmetic_for(t, f);
    (void)a;
  }
  for (double kib : {0.25, 1.0, 32.0, 512.0, 4096.0, 1e6}) {
    (void)energy::sram_read_energy_pj(t, kib);
    (void)energy::sram_write_energy_pj(t, kib);
  }
  (void)energy::describe(t);
  return 0;
}
