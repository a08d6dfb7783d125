#include "epochcore/contract/registers.h"

#if __STDC_HOSTED__
#include <cstdio>
#endif

namespace epochcore::regs {

// The field tables per field group; a register points at its group's table.
#define EC_CPP_FIELD_(group, field, shift, width, desc) {#field, shift, width, desc},
#define EC_CPP_FIELD_TABLE_(group) \
  static const FieldInfo kFields_##group[] = {EC_FIELDS_##group(EC_CPP_FIELD_)};
EC_CPP_FIELD_TABLE_(VERSION)
EC_CPP_FIELD_TABLE_(CTRL)
EC_CPP_FIELD_TABLE_(STATUS)
EC_CPP_FIELD_TABLE_(IRQ)
EC_CPP_FIELD_TABLE_(HW_ARRAY)
EC_CPP_FIELD_TABLE_(FEATURE)
EC_CPP_FIELD_TABLE_(SPAD_GEOM)
EC_CPP_FIELD_TABLE_(HW_VECTOR)
#undef EC_CPP_FIELD_TABLE_
#undef EC_CPP_FIELD_
static const FieldInfo* const kFields_NONE = nullptr;
#define EC_CPP_COUNT_(group, field, shift, width, desc) +1
#define EC_CPP_NUM_FIELDS_(group) (0 EC_FIELDS_##group(EC_CPP_COUNT_))

#define EC_CPP_REG_(name, offset, access, reset, fields, desc)                      \
  {#name, EC_REG_##name, Access(EC_ACCESS_##access), reset, desc, kFields_##fields, \
   size_t(EC_CPP_NUM_FIELDS_(fields))},
const RegisterInfo kRegisters[] = {EC_REGISTER_LIST(EC_CPP_REG_)};
#undef EC_CPP_REG_
const size_t kNumRegisters = sizeof(kRegisters) / sizeof(kRegisters[0]);
static_assert(sizeof(kRegisters) / sizeof(kRegisters[0]) == EC_NUM_REGISTERS, "one row per register");

#define EC_CPP_ERR_(name, value, desc) {ErrorCause::name, #name, desc},
const ErrorCauseInfo kErrorCauses[] = {EC_ERROR_LIST(EC_CPP_ERR_)};
#undef EC_CPP_ERR_
const size_t kNumErrorCauses = sizeof(kErrorCauses) / sizeof(kErrorCauses[0]);

const RegisterInfo* find_register(uint32_t offset) {
  for (size_t i = 0; i < kNumRegisters; ++i)
    if (kRegisters[i].offset == offset) return &kRegisters[i];
  return nullptr;
}

const char* access_name(Access a) {
  switch (a) {
    case Access::RO: return "RO";
    case Access::RW: return "RW";
    case Access::WO: return "WO";
    case Access::W1C: return "W1C";
  }
  return "?";
}

#if __STDC_HOSTED__
std::string registers_markdown_table() {
  std::string t = "| offset | name | access | reset | description |\n| --- | --- | --- | --- | --- |\n";
  char buf[64];
  for (size_t i = 0; i < kNumRegisters; ++i) {
    const RegisterInfo& r = kRegisters[i];
    std::snprintf(buf, sizeof buf, "| 0x%03X | ", r.offset);
    t += buf;
    t += r.name;
    t += " | ";
    t += access_name(r.access);
    std::snprintf(buf, sizeof buf, " | 0x%08X | ", r.reset);
    t += buf;
    t += r.description;
    t += " |\n";
  }
  return t;
}

std::string error_causes_markdown_table() {
  std::string t = "| value | cause | raised when |\n| --- | --- | --- |\n";
  for (size_t i = 0; i < kNumErrorCauses; ++i)
    t += "| " + std::to_string(uint32_t(kErrorCauses[i].cause)) + " | " + kErrorCauses[i].name +
         " | " + kErrorCauses[i].raised_when + " |\n";
  return t;
}

std::string register_fields_markdown_table() {
  std::string t = "| register | bits | field | meaning |\n| --- | --- | --- | --- |\n";
  for (size_t i = 0; i < kNumRegisters; ++i) {
    const RegisterInfo& r = kRegisters[i];
    for (size_t j = 0; j < r.num_fields; ++j) {
      const FieldInfo& f = r.fields[j];
      const uint32_t hi = f.shift + f.width - 1;
      const std::string bits = f.width == 1 ? std::to_string(f.shift)
                                            : std::to_string(hi) + ":" + std::to_string(f.shift);
      t += std::string("| ") + r.name + " | " + bits + " | " + f.name + " | " + f.description + " |\n";
    }
  }
  return t;
}
#endif

const char* error_cause_name(ErrorCause cause) {
  for (size_t i = 0; i < kNumErrorCauses; ++i)
    if (kErrorCauses[i].cause == cause) return kErrorCauses[i].name;
  return "UNKNOWN";
}

}  // namespace epochcore::regs
