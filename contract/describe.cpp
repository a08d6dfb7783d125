#include "epochcore/contract/describe.h"

#include <cstdio>
#include <cstring>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"

namespace epochcore::describe {
namespace {

std::string hex(uint64_t v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%0*llX", digits, static_cast<unsigned long long>(v));
  return buf;
}

std::string xml_escape(const char* s) {
  std::string out;
  for (; *s; ++s) {
    switch (*s) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += *s;
    }
  }
  return out;
}

// CMSIS-SVD access names; W1C is read-write with modifiedWriteValues oneToClear.
const char* svd_access(regs::Access a) {
  switch (a) {
    case regs::Access::RO: return "read-only";
    case regs::Access::WO: return "write-only";
    case regs::Access::RW:
    case regs::Access::W1C: return "read-write";
  }
  return "read-write";
}

void svd_field(std::string& x, const char* name, const char* desc, uint32_t shift, uint32_t width,
               const std::string& enumerated) {
  x += "            <field>\n";
  x += "              <name>" + std::string(name) + "</name>\n";
  x += "              <description>" + xml_escape(desc) + "</description>\n";
  x += "              <bitOffset>" + std::to_string(shift) + "</bitOffset>\n";
  x += "              <bitWidth>" + std::to_string(width) + "</bitWidth>\n";
  x += enumerated;
  x += "            </field>\n";
}

std::string enumerated_values(const char* name, const char* const* names, const char* const* descs,
                              const uint32_t* values, size_t n) {
  std::string x = "              <enumeratedValues>\n                <name>" + std::string(name) +
                  "</name>\n";
  for (size_t i = 0; i < n; ++i) {
    x += "                <enumeratedValue>\n";
    x += "                  <name>" + std::string(names[i]) + "</name>\n";
    x += "                  <description>" + xml_escape(descs[i]) + "</description>\n";
    x += "                  <value>" + std::to_string(values[i]) + "</value>\n";
    x += "                </enumeratedValue>\n";
  }
  return x + "              </enumeratedValues>\n";
}

}  // namespace

std::string svd_xml(uint64_t base) {
  std::string x;
  x += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  x += "<!-- Generated from contract/regs.h by epochcore-describe (svd); do not edit. -->\n";
  x += "<device schemaVersion=\"1.3\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema-instance\" "
       "xs:noNamespaceSchemaLocation=\"CMSIS-SVD.xsd\">\n";
  x += "  <vendor>EpochCore</vendor>\n";
  x += "  <name>EPOCHCORE</name>\n";
  x += "  <version>" + std::to_string(EC_VERSION_MAJOR_VALUE) + "." +
       std::to_string(EC_VERSION_MINOR_VALUE) + "</version>\n";
  x += "  <description>EpochCore S4 state-space-model accelerator: control/status registers</description>\n";
  x += "  <addressUnitBits>8</addressUnitBits>\n";
  x += "  <width>32</width>\n";
  x += "  <size>" + std::to_string(regs::kRegBytes * 8) + "</size>\n";
  x += "  <access>read-write</access>\n";
  x += "  <resetValue>0x00000000</resetValue>\n";
  x += "  <resetMask>0xFFFFFFFF</resetMask>\n";
  x += "  <peripherals>\n";
  x += "    <peripheral>\n";
  x += "      <name>EPOCHCORE</name>\n";
  x += "      <version>" + std::to_string(EC_VERSION_MAJOR_VALUE) + "." +
       std::to_string(EC_VERSION_MINOR_VALUE) + "</version>\n";
  x += "      <description>Accelerator CSR window (docs/registers.md)</description>\n";
  x += "      <baseAddress>" + hex(base, 8) + "</baseAddress>\n";
  x += "      <addressBlock>\n";
  x += "        <offset>0x0</offset>\n";
  x += "        <size>" + hex(regs::kCsrWindowBytes, 3) + "</size>\n";
  x += "        <usage>registers</usage>\n";
  x += "      </addressBlock>\n";
  x += "      <registers>\n";

  // Enumerated values of ERR_CAUSE (EC_ERROR_LIST) and HW_VECTOR.FORMAT (EC_FORMAT_LIST).
  const char* err_names[32];
  const char* err_descs[32];
  uint32_t err_values[32];
  for (size_t i = 0; i < regs::kNumErrorCauses; ++i) {
    err_names[i] = regs::kErrorCauses[i].name;
    err_descs[i] = regs::kErrorCauses[i].raised_when;
    err_values[i] = uint32_t(regs::kErrorCauses[i].cause);
  }
#define EC_DESC_FMT_(name, value, lower, bits) #name,
  const char* fmt_names[] = {EC_FORMAT_LIST(EC_DESC_FMT_)};
#undef EC_DESC_FMT_
#define EC_DESC_FMT_(name, value, lower, bits) lower,
  const char* fmt_descs[] = {EC_FORMAT_LIST(EC_DESC_FMT_)};
#undef EC_DESC_FMT_
#define EC_DESC_FMT_(name, value, lower, bits) value,
  const uint32_t fmt_values[] = {EC_FORMAT_LIST(EC_DESC_FMT_)};
#undef EC_DESC_FMT_

  for (size_t i = 0; i < regs::kNumRegisters; ++i) {
    const regs::RegisterInfo& r = regs::kRegisters[i];
    x += "        <register>\n";
    x += "          <name>" + std::string(r.name) + "</name>\n";
    x += "          <description>" + xml_escape(r.description) + "</description>\n";
    x += "          <addressOffset>" + hex(r.offset, 3) + "</addressOffset>\n";
    x += "          <size>" + std::to_string(regs::kRegBytes * 8) + "</size>\n";
    x += "          <access>" + std::string(svd_access(r.access)) + "</access>\n";
    x += "          <resetValue>" + hex(r.reset, 8) + "</resetValue>\n";
    // The HW_* registers hold the configuration (reset 0 in the table): no fixed reset value.
    const bool configuration = std::strncmp(r.name, "HW_", 3) == 0;
    x += std::string("          <resetMask>") + (configuration ? "0x00000000" : "0xFFFFFFFF") + "</resetMask>\n";
    if (r.access == regs::Access::W1C) x += "          <modifiedWriteValues>oneToClear</modifiedWriteValues>\n";
    if (r.offset == regs::CYCLE_LO) x += "          <readAction>modifyExternal</readAction>\n";
    x += "          <fields>\n";
    if (r.num_fields == 0) {
      // A one-value register: one field over all 32 bits.
      const std::string ev = r.offset == regs::ERR_CAUSE
                                 ? enumerated_values("ErrorCause", err_names, err_descs, err_values,
                                                     regs::kNumErrorCauses)
                                 : std::string();
      svd_field(x, r.offset == regs::ERR_CAUSE ? "CAUSE" : "VALUE", r.description, 0,
                regs::kRegBytes * 8, ev);
    }
    for (size_t j = 0; j < r.num_fields; ++j) {
      const regs::FieldInfo& f = r.fields[j];
      const bool format = r.offset == regs::HW_VECTOR && f.shift == EC_HW_VECTOR_FORMAT_SHIFT &&
                          f.width == EC_HW_VECTOR_FORMAT_WIDTH;
      svd_field(x, f.name, f.description, f.shift, f.width,
                format ? enumerated_values("NumberFormat", fmt_names, fmt_descs, fmt_values, EC_NUM_FORMATS)
                       : std::string());
    }
    x += "          </fields>\n";
    x += "        </register>\n";
  }
  x += "      </registers>\n";
  x += "    </peripheral>\n";
  x += "  </peripherals>\n";
  x += "</device>\n";
  return x;
}

std::string devicetree_node(uint64_t base, int irq) {
  char unit[32];
  std::snprintf(unit, sizeof unit, "%llx", static_cast<unsigned long long>(base));
  std::string d;
  d += "// Generated from contract/regs.h by epochcore-describe --dts; do not edit.\n";
  d += "// EpochCore accelerator: the CSR window (docs/registers.md) and its level interrupt.\n";
  d += "// Parent bus: #address-cells = <2>, #size-cells = <2>; interrupt parent with\n";
  d += "// #interrupt-cells = <2> (number, type; 4 = IRQ_TYPE_LEVEL_HIGH).\n";
  d += std::string("epochcore: accelerator@") + unit + " {\n";
  d += "\tcompatible = \"epochcore,epochcore-" + std::to_string(EC_VERSION_MAJOR_VALUE) + "." +
       std::to_string(EC_VERSION_MINOR_VALUE) + "\", \"epochcore,epochcore\";\n";
  d += "\treg = <" + hex(base >> 32, 1) + " " + hex(base & 0xFFFFFFFFu, 8) + " 0x0 " +
       hex(regs::kCsrWindowBytes, 3) + ">;\n";
  d += "\tinterrupts = <" + std::to_string(irq) + " 4>;\n";
  d += "\tepochcore,id = <" + hex(EC_ID_VALUE, 8) + ">;\n";
  d += "\tepochcore,version = <" + hex(EC_VERSION_VALUE, 8) + ">;\n";
  d += "};\n";
  return d;
}

std::string markdown_tables() {
  return "## Registers (docs/registers.md)\n\n" + regs::registers_markdown_table() +
         "\n## Register fields (docs/registers.md)\n\n" + regs::register_fields_markdown_table() +
         "\n## Error causes (docs/registers.md)\n\n" + regs::error_causes_markdown_table() +
         "\n## Opcodes (docs/commands.md)\n\n" + cmd::opcodes_markdown_table();
}

}  // namespace epochcore::describe
