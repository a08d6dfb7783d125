// The C99 contract (contract/regs.h, contract/cmd.h) against its C++ helpers and the
// documents derived from it: records built with the C inline encoders equal the C++
// encode_* results; docs/commands.md's opcode, field, flag, vector-op, error and
// coefficient-record tables agree with the definition; docs/epochcore.svd and
// docs/epochcore.dtsi are the generator's output.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "epochcore/contract/commands.h"
#include "epochcore/contract/describe.h"
#include "epochcore/contract/epochcore.h"

using namespace epochcore;
using namespace epochcore::cmd;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  REQUIRE(f.good());
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool same(const ec_record& c, const Record& r) { return std::memcmp(c.w, r.w, sizeof c.w) == 0; }

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" `"), b = s.find_last_not_of(" `");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// Cells of a Markdown table row ("| a | b |" -> {"a", "b"}), backticks dropped.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  size_t start = line.find('|') + 1;
  for (size_t bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1)
    out.push_back(trim(line.substr(start, bar - start)));
  return out;
}

// The body rows of the first table in the section titled `heading` (a whole line such as
// "### RUN_SSM") whose header row starts with `first_column`.
std::vector<std::vector<std::string>> table(const std::string& doc, const std::string& heading,
                                            const std::string& first_column) {
  size_t at = doc.find("\n" + heading + "\n");
  REQUIRE(at != std::string::npos);
  const size_t end = doc.find("\n#", at + heading.size() + 2);
  std::istringstream in(doc.substr(at, end == std::string::npos ? std::string::npos : end - at));
  std::vector<std::vector<std::string>> rows;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("|", 0) != 0) {
      if (inside) break;
      continue;
    }
    const auto c = cells(line);
    if (!inside) {
      if (!c.empty() && c[0] == first_column) inside = true;
      continue;
    }
    if (!c.empty() && c[0].rfind("---", 0) == 0) continue;
    rows.push_back(c);
  }
  INFO(heading << ", table starting with | " << first_column << " |");
  REQUIRE(!rows.empty());
  return rows;
}

// "15:8" -> {8, 8}; "2" -> {2, 1}.
std::pair<uint32_t, uint32_t> bit_range(const std::string& bits) {
  const size_t colon = bits.find(':');
  if (colon == std::string::npos) return {uint32_t(std::stoul(bits)), 1};
  const uint32_t hi = uint32_t(std::stoul(bits.substr(0, colon))), lo = uint32_t(std::stoul(bits.substr(colon + 1)));
  return {lo, hi - lo + 1};
}

using FieldKey = std::tuple<uint32_t, uint32_t, uint32_t, std::string>;  // word, shift, width, name

}  // namespace

TEST_CASE("the C inline encoders build the same records as the C++ encode_* for every opcode", "[contract][c]") {
  std::set<uint8_t> covered;
  ec_record c;
  // NOP, BARRIER, END
  for (Opcode op : {Opcode::NOP, Opcode::BARRIER, Opcode::END}) {
    ec_encode_simple(&c, uint32_t(op));
    const Record r = op == Opcode::NOP ? encode_nop() : op == Opcode::BARRIER ? encode_barrier() : encode_end();
    CHECK(same(c, r));
    covered.insert(uint8_t(op));
  }
  DmaDesc d;
  d.sys_addr = 0x1234'8765'4321ull;
  d.spad = SpadId::OUTPUT;
  d.spad_addr = 0x40;
  d.row_bytes = 508;
  d.rows = 2;
  d.sys_stride = 800;
  d.spad_stride = 516;
  for (bool in : {true, false}) {
    ec_encode_dma(&c, in, d.sys_addr, uint32_t(d.spad), d.spad_addr, d.row_bytes, d.rows, d.sys_stride,
                  d.spad_stride);
    const Record r = encode_dma(in, d);
    CHECK(same(c, r));
    covered.insert(uint8_t(opcode_of(r)));
  }
  ec_encode_load_coeffs(&c, 96, 5, 3);
  CHECK(same(c, encode_load_coeffs({96, 5, 3})));
  covered.insert(uint8_t(Opcode::LOAD_COEFFS));

  RunSsm s;
  s.flags = FLAG_ACCUMULATE | FLAG_REVERSE;
  s.in_addr = 4;
  s.in_stride = 516;
  s.out_addr = 8;
  s.out_stride = 520;
  s.length = 127;
  ec_encode_run_ssm(&c, s.flags, s.in_addr, s.in_stride, s.out_addr, s.out_stride, s.length);
  CHECK(same(c, encode_run_ssm(s)));
  covered.insert(uint8_t(Opcode::RUN_SSM));

  RunGemm g;
  g.flags = FLAG_ACCUMULATE;
  g.param_addr = 64;
  g.in_addr = 128;
  g.in_stride = 16;
  g.out_addr = 256;
  g.out_stride = 32;
  g.k = 4;
  g.n = 0xFFFF;
  g.m = 77;
  ec_encode_run_gemm(&c, g.flags, g.param_addr, g.in_addr, g.in_stride, g.out_addr, g.out_stride, g.k, g.n, g.m);
  CHECK(same(c, encode_run_gemm(g)));
  covered.insert(uint8_t(Opcode::RUN_GEMM));

  RunVec v;
  v.op = VecOp::EMBED;
  v.flags = FLAG_ACCUMULATE;
  v.a_spad = SpadId::OUTPUT;
  v.b_spad = SpadId::INPUT;
  v.d_spad = SpadId::PARAM;
  v.a_addr = 12;
  v.b_addr = 24;
  v.d_addr = 36;
  v.channels = 0xABCD;
  v.b_stride = 0x1234;
  v.length = 1000;
  v.a_stride = 0x7777;
  v.d_stride = 0x8888;
  v.out_scale = -0.375f;
  ec_encode_run_vec(&c, uint32_t(v.op), v.flags, uint32_t(v.a_spad), uint32_t(v.b_spad), uint32_t(v.d_spad),
                    v.a_addr, v.b_addr, v.d_addr, v.channels, v.b_stride, v.length, v.a_stride, v.d_stride,
                    ec_float_bits(v.out_scale));
  CHECK(same(c, encode_run_vec(v)));
  covered.insert(uint8_t(Opcode::RUN_VEC));

  RunScan sc;
  sc.flags = FLAG_ACCUMULATE | FLAG_RESET_STATE;
  sc.coef_spad = SpadId::INPUT;
  sc.u_addr = 0x1234;
  sc.dt_addr = 0x5678;
  sc.in_stride = 0xABCD;
  sc.out_stride = 0x4321;
  sc.out_addr = 0x9ABC;
  sc.coef_addr = 0xDEF0;
  sc.coef_stride = 0x11223344;
  sc.length = 0x55667788;
  ec_encode_run_scan(&c, sc.flags, uint32_t(sc.coef_spad), sc.u_addr, sc.dt_addr, sc.in_stride, sc.out_stride,
                     sc.out_addr, sc.coef_addr, sc.coef_stride, sc.length);
  CHECK(same(c, encode_run_scan(sc)));
  covered.insert(uint8_t(Opcode::RUN_SCAN));

  CHECK(covered.size() == kNumOpcodes);  // every opcode of EC_OPCODE_LIST compared

  // The C accessors read what the C++ decoders read.
  const Record r = encode_run_vec(v);
  const ec_record rc = to_c(r);
  CHECK(ec_record_opcode(&rc) == uint32_t(Opcode::RUN_VEC));
  CHECK(ec_record_flags(&rc) == v.flags);
  CHECK(EC_CMD_GET(&rc, VEC_D_SPAD) == uint32_t(decode_run_vec(r).d_spad));
  uint8_t a[kRecordBytes], b[kRecordBytes];
  pack(r, a);
  ec_record_to_bytes(&rc, b);
  CHECK(std::memcmp(a, b, kRecordBytes) == 0);
}

TEST_CASE("C++ names and values come from the C definition", "[contract][c]") {
  STATIC_REQUIRE(uint32_t(Opcode::RUN_VEC) == EC_OP_RUN_VEC);
  STATIC_REQUIRE(uint32_t(regs::HW_VECTOR) == uint32_t(EC_REG_HW_VECTOR));
  STATIC_REQUIRE(regs::register_index(EC_REG_VERSION) == 1);
  STATIC_REQUIRE(regs::register_index(0x0FC) == EC_NUM_REGISTERS);
  CHECK(std::string(opcode_name(EC_OP_LOAD_COEFFS)) == "LOAD_COEFFS");
  CHECK(std::string(opcode_name(EC_NUM_OPCODES)) == "UNKNOWN");
  CHECK(std::string(vec_op_name(EC_VEC_LAYERNORM)) == "LAYERNORM");
  CHECK(std::string(regs::error_cause_name(regs::ErrorCause(EC_ERR_MISSING_END))) == "MISSING_END");
  CHECK(std::string(regs::error_cause_name(regs::ErrorCause(7))) == "UNKNOWN");
  for (size_t i = 0; i < regs::kNumRegisters; ++i) {
    CHECK(regs::register_index(regs::kRegisters[i].offset) == i);
    uint32_t used = 0;
    for (size_t j = 0; j < regs::kRegisters[i].num_fields; ++j) {
      const regs::FieldInfo& f = regs::kRegisters[i].fields[j];
      CHECK(f.shift + f.width <= 32);
      CHECK((used & f.mask()) == 0);  // fields do not overlap
      used |= f.mask();
    }
  }
  // Fields of a record layout do not overlap either.
  std::map<std::string, std::vector<uint32_t>> used;
  for (size_t i = 0; i < kNumRecordFields; ++i) {
    const RecordFieldInfo& f = kRecordFields[i];
    auto& words = used[f.group];
    words.resize(kRecordWords);
    const uint32_t mask = EC_FIELD_MASK(f.shift, f.width);
    INFO(f.group << " " << f.name);
    CHECK(f.word < kRecordWords);
    CHECK((words[f.word] & mask) == 0);
    words[f.word] |= mask;
  }
}

TEST_CASE("docs/commands.md holds the opcode, field, flag, vector-op and error tables of the definition",
          "[contract][docs]") {
  const std::string doc = read_text(EC_SOURCE_DIR "/docs/commands.md");
  INFO("the tables are printed by: build/epochcore-describe --markdown");
  CHECK(doc.find(opcodes_markdown_table()) != std::string::npos);

  // Record fields, per layout: the doc's (word, bits, name) rows are exactly the list's.
  const std::map<std::string, std::string> sections = {
      {"W0", "## Record layout"}, {"DMA", "### DMA_IN / DMA_OUT"}, {"LC", "### LOAD_COEFFS"},
      {"SSM", "### RUN_SSM"},     {"GEMM", "### RUN_GEMM"},        {"VEC", "### RUN_VEC"},
      {"SCAN", "### RUN_SCAN"}};
  for (const auto& [group, heading] : sections) {
    std::set<FieldKey> want, have;
    for (size_t i = 0; i < kNumRecordFields; ++i)
      if (group == kRecordFields[i].group)
        want.insert({kRecordFields[i].word, kRecordFields[i].shift, kRecordFields[i].width, kRecordFields[i].name});
    if (group == "W0") {
      for (const auto& row : table(doc, heading, "bits")) {
        const auto [lo, width] = bit_range(row.at(0));
        have.insert({0, lo, width, row.at(1)});
      }
    } else {
      const auto rows = table(doc, heading, "word");
      for (const auto& row : rows) {
        const uint32_t word = uint32_t(std::stoul(row.at(0).substr(1)));  // "w3"
        if (group == "LC") {  // this table has no bits column: whole words
          have.insert({word, 0, 32, row.at(1)});
        } else {
          const auto [lo, width] = bit_range(row.at(1));
          have.insert({word, lo, width, row.at(2)});
        }
      }
    }
    INFO(heading);
    CHECK(have == want);
  }

  // Flags (RUN_SSM's flag table), vector operations, error causes.
  std::set<std::pair<uint32_t, std::string>> want, have;
#define EC_TEST_FLAG_(name, bit, desc) want.insert({bit, "FLAG_" #name});
  EC_FLAG_LIST(EC_TEST_FLAG_)
#undef EC_TEST_FLAG_
  for (const auto& row : table(doc, "### RUN_SSM", "bit")) have.insert({uint32_t(std::stoul(row.at(0))), row.at(1)});
  CHECK(have == want);
  want.clear();
  have.clear();
#define EC_TEST_VEC_(name, code) want.insert({code, #name});
  EC_VEC_OP_LIST(EC_TEST_VEC_)
#undef EC_TEST_VEC_
  for (const auto& row : table(doc, "### RUN_VEC", "op")) have.insert({uint32_t(std::stoul(row.at(0))), row.at(1)});
  CHECK(have == want);
  want.clear();
  have.clear();
#define EC_TEST_ERR_(name, value, desc) want.insert({value, #name});
  EC_ERROR_LIST(EC_TEST_ERR_)
#undef EC_TEST_ERR_
  for (const auto& row : table(doc, "## Errors", "code")) have.insert({uint32_t(std::stoul(row.at(0))), row.at(1)});
  CHECK(have == want);

  // The coefficient record: "0 / 4 | a_re / a_im" rows against the C struct's layout.
  const std::map<std::string, size_t> offsets = {
      {"a_re", offsetof(ec_coeff_record, a_re)}, {"a_im", offsetof(ec_coeff_record, a_im)},
      {"b_re", offsetof(ec_coeff_record, b_re)}, {"b_im", offsetof(ec_coeff_record, b_im)},
      {"c_re", offsetof(ec_coeff_record, c_re)}, {"c_im", offsetof(ec_coeff_record, c_im)},
      {"d", offsetof(ec_coeff_record, d)},       {"reserved", offsetof(ec_coeff_record, reserved)}};
  std::map<std::string, size_t> documented;
  for (const auto& row : table(doc, "### LOAD_COEFFS", "byte")) {
    std::istringstream bytes(row.at(0)), names(row.at(1));
    for (std::string b, n; std::getline(bytes, b, '/') && std::getline(names, n, '/');)
      documented[trim(n)] = std::stoul(trim(b));
  }
  CHECK(documented == offsets);
}

TEST_CASE("docs/epochcore.svd and docs/epochcore.dtsi are the generator's output", "[contract][docs]") {
  INFO("regenerate with: build/epochcore-describe --svd > docs/epochcore.svd; build/epochcore-describe --dts > docs/epochcore.dtsi");
  CHECK(read_text(EC_SOURCE_DIR "/docs/epochcore.svd") == describe::svd_xml());
  CHECK(read_text(EC_SOURCE_DIR "/docs/epochcore.dtsi") == describe::devicetree_node());
}

TEST_CASE("the generated descriptions carry the definition's values", "[contract]") {
  const std::string svd = describe::svd_xml(0x12345000);
  CHECK(svd.find("<baseAddress>0x12345000</baseAddress>") != std::string::npos);
  for (size_t i = 0; i < regs::kNumRegisters; ++i)
    CHECK(svd.find("<name>" + std::string(regs::kRegisters[i].name) + "</name>") != std::string::npos);
  CHECK(svd.find("<modifiedWriteValues>oneToClear</modifiedWriteValues>") != std::string::npos);
  CHECK(svd.find("<name>BAD_TOKEN</name>") != std::string::npos);
  CHECK(svd.find("&lt;&lt; 16") != std::string::npos);  // "major << 16" escaped
  const std::string dts = describe::devicetree_node(0x1'2000'0000ull, 9);
  CHECK(dts.find("accelerator@120000000 {") != std::string::npos);
  CHECK(dts.find("reg = <0x1 0x20000000 0x0 0x100>;") != std::string::npos);
  CHECK(dts.find("interrupts = <9 4>;") != std::string::npos);
}
