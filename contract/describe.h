// Machine-readable descriptions of the register map, generated from the one definition
// (contract/regs.h through regs::kRegisters): a CMSIS-SVD file for debuggers and
// header generators, and a devicetree node for an OS. The tool epochcore-describe
// prints them; docs/epochcore.svd and docs/epochcore.dtsi are its output (a test
// keeps them in step).
#pragma once
#include <cstdint>
#include <string>

namespace epochcore::describe {

// Where the platform's SoC maps the CSR window and which interrupt the generated copies
// name; an integrator passes its own (epochcore-describe --base, --irq).
constexpr uint64_t kDefaultBase = 0x40000000;
constexpr int kDefaultIrq = 0;

// CMSIS-SVD 1.3: one device, one peripheral (the 256-byte CSR window at `base`), every
// register with offset, size, access, reset value and bit fields; ERR_CAUSE and
// HW_VECTOR.FORMAT with their enumerated values.
std::string svd_xml(uint64_t base = kDefaultBase);

// A devicetree node for the accelerator at `base` with the level-high interrupt `irq`.
// The parent bus must have #address-cells = <2>, #size-cells = <2> and an interrupt
// parent with #interrupt-cells = <2>.
std::string devicetree_node(uint64_t base = kDefaultBase, int irq = kDefaultIrq);

// Every Markdown table docs/registers.md and docs/commands.md hold, with headings.
std::string markdown_tables();

}  // namespace epochcore::describe
