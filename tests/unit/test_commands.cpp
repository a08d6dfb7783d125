#include <catch2/catch.hpp>

#include <cstring>
#include <limits>

#include "epochcore/contract/commands.h"

using namespace epochcore;
using namespace epochcore::cmd;
using regs::ErrorCause;

static HwLimits limits() {
  HwLimits hw;
  hw.rows = 4;
  hw.cols = 8;
  hw.segments = true;
  hw.spad_bytes[0] = 4096;
  hw.spad_bytes[1] = 2048;
  hw.spad_bytes[2] = 4096;
  return hw;
}

TEST_CASE("records round-trip through their byte form", "[commands]") {
  DmaDesc d;
  d.sys_addr = 0x1234'5678'9ABCull;
  d.spad = SpadId::OUTPUT;
  d.spad_addr = 64;
  d.row_bytes = 128;
  d.rows = 3;
  d.sys_stride = 4096;
  d.spad_stride = 132;
  Record r = encode_dma(false, d);
  uint8_t bytes[kRecordBytes];
  pack(r, bytes);
  CHECK(bytes[0] == uint8_t(Opcode::DMA_OUT));
  CHECK(bytes[2] == uint8_t(SpadId::OUTPUT));
  CHECK(bytes[4] == 0xBC);  // little-endian address
  Record back = unpack(bytes);
  CHECK(std::memcmp(&back, &r, sizeof r) == 0);
  DmaDesc e = decode_dma(back);
  CHECK(e.sys_addr == d.sys_addr);
  CHECK(e.spad == d.spad);
  CHECK(e.spad_addr == 64);
  CHECK(e.rows == 3);
  CHECK(e.spad_stride == 132);
  CHECK(opcode_of(back) == Opcode::DMA_OUT);

  RunSsm run;
  run.flags = FLAG_ACCUMULATE | FLAG_RESET_STATE;
  run.in_addr = 16;
  run.in_stride = 400;
  run.out_addr = 32;
  run.out_stride = 404;
  run.length = 100;
  RunSsm run2 = decode_run_ssm(encode_run_ssm(run));
  CHECK(run2.flags == run.flags);
  CHECK(run2.in_stride == 400);
  CHECK(run2.out_addr == 32);
  CHECK(run2.length == 100);
  LoadCoeffs lc = decode_load_coeffs(encode_load_coeffs({64, 5, 3}));
  CHECK(lc.param_addr == 64);
  CHECK(lc.n_seg == 5);
  CHECK(lc.seg_len == 3);
  CHECK(std::string(opcode_name(0x7F)) == "UNKNOWN");
  CHECK(std::string(opcode_name(uint8_t(Opcode::RUN_SSM))) == "RUN_SSM");
}

TEST_CASE("validate accepts good records and names every bad one", "[commands]") {
  const HwLimits hw = limits();
  std::string why;
  CHECK(validate(encode_end(), hw) == ErrorCause::NONE);
  CHECK(validate(encode_barrier(), hw) == ErrorCause::NONE);

  Record unknown;
  unknown.w[0] = 0x7F;
  CHECK(validate(unknown, hw) == ErrorCause::UNKNOWN_OPCODE);
  Record reserved = encode_nop();
  reserved.w[0] |= 1u << 24;
  CHECK(validate(reserved, hw) == ErrorCause::BAD_FIELD);

  DmaDesc d;
  d.spad = SpadId::INPUT;
  d.row_bytes = 1024;
  d.rows = 4;
  d.sys_stride = 1024;
  d.spad_stride = 1024;
  CHECK(validate(encode_dma(true, d), hw) == ErrorCause::NONE);  // exactly fills 4096
  d.spad_addr = 4;
  CHECK(validate(encode_dma(true, d), hw) == ErrorCause::BAD_SPAD_ADDRESS);
  d.spad_addr = 2;
  d.rows = 1;
  CHECK(validate(encode_dma(true, d), hw) == ErrorCause::BAD_SPAD_ADDRESS);  // misaligned
  d.spad_addr = 0;
  d.row_bytes = 6;
  CHECK(validate(encode_dma(true, d), hw) == ErrorCause::BAD_FIELD);
  d.row_bytes = 0;
  CHECK(validate(encode_dma(true, d), hw) == ErrorCause::BAD_FIELD);
  d.row_bytes = 64;
  d.spad = SpadId(7);
  CHECK(validate(encode_dma(true, d), hw) == ErrorCause::BAD_SPAD_ID);

  // LOAD_COEFFS: 4 rows x 8 cols with segments: seg_len 2 -> 4 per row -> 16 segments.
  CHECK(validate(encode_load_coeffs({0, 16, 2}), hw) == ErrorCause::NONE);  // 1024 bytes of records
  CHECK(validate(encode_load_coeffs({1024, 16, 2}), hw) == ErrorCause::NONE);  // ends exactly at 2048
  CHECK(validate(encode_load_coeffs({1056, 16, 2}), hw) == ErrorCause::BAD_SPAD_ADDRESS);
  CHECK(validate(encode_load_coeffs({0, 17, 2}), hw) == ErrorCause::BAD_FIELD);
  CHECK(validate(encode_load_coeffs({0, 1, 9}), hw) == ErrorCause::BAD_FIELD);
  CHECK(validate(encode_load_coeffs({0, 1, 0}), hw) == ErrorCause::BAD_FIELD);
  CHECK(validate(encode_load_coeffs({16, 1, 1}), hw) == ErrorCause::BAD_SPAD_ADDRESS);  // not 32-aligned
  CHECK(validate(encode_load_coeffs({2048 - 32, 1, 2}), hw) == ErrorCause::BAD_SPAD_ADDRESS);
  HwLimits no_seg = hw;
  no_seg.segments = false;
  CHECK(validate(encode_load_coeffs({0, 4, 2}), no_seg) == ErrorCause::NONE);
  CHECK(validate(encode_load_coeffs({0, 5, 2}), no_seg) == ErrorCause::BAD_FIELD);

  RunSsm run;
  run.length = 100;
  run.in_stride = 400;
  run.out_stride = 400;
  CHECK(validate(encode_run_ssm(run), hw, 10, &why) == ErrorCause::NONE);
  CHECK(validate(encode_run_ssm(run), hw, 11, &why) == ErrorCause::BAD_SPAD_ADDRESS);  // 11*400 > 4096
  CHECK(why.find("input") != std::string::npos);
  CHECK(validate(encode_run_ssm(run), hw, 0, &why) == ErrorCause::BAD_FIELD);
  CHECK(why.find("LOAD_COEFFS") != std::string::npos);
  run.in_stride = 396;
  CHECK(validate(encode_run_ssm(run), hw, 2, &why) == ErrorCause::BAD_FIELD);
  run.in_stride = 400;
  run.length = 0;
  CHECK(validate(encode_run_ssm(run), hw, 2, &why) == ErrorCause::BAD_FIELD);
  run.length = 100;
  run.flags = 0x80;
  CHECK(validate(encode_run_ssm(run), hw, 2, &why) == ErrorCause::BAD_FIELD);
}

TEST_CASE("segments per row follow the segment option", "[commands]") {
  HwLimits hw = limits();
  CHECK(segments_per_row(hw, 2) == 4);
  CHECK(segments_per_row(hw, 3) == 2);
  CHECK(segments_per_row(hw, 8) == 1);
  CHECK(segments_per_row(hw, 9) == 0);
  hw.segments = false;
  CHECK(segments_per_row(hw, 2) == 1);
}

TEST_CASE("RUN_VEC records round-trip and keep every field", "[commands][vecop]") {
  RunVec c;
  c.op = VecOp::LAYERNORM;
  c.flags = 0;
  c.a_spad = SpadId::OUTPUT;
  c.b_spad = SpadId::PARAM;
  c.d_spad = SpadId::INPUT;
  c.a_addr = 0x1230;
  c.b_addr = 0x40;
  c.d_addr = 0xFFFC;
  c.channels = 0xABCD;
  c.b_stride = 0x1234;
  c.length = 0x01020304;
  c.a_stride = 0xFFFF;
  c.d_stride = 7;
  c.out_scale = 0.125f;
  const Record r = encode_run_vec(c);
  uint8_t bytes[kRecordBytes];
  pack(r, bytes);
  CHECK(bytes[0] == uint8_t(Opcode::RUN_VEC));
  CHECK(bytes[2] == uint8_t(VecOp::LAYERNORM));
  CHECK(bytes[3] == (2u | (1u << 2) | (0u << 4)));  // a, b, d scratchpad ids in bits 25:24, 27:26, 29:28
  CHECK(r.w[7] == 0x3E000000u);                     // 0.125f's bits
  const RunVec e = decode_run_vec(unpack(bytes));
  CHECK(e.op == c.op);
  CHECK(e.flags == c.flags);
  CHECK(e.a_spad == c.a_spad);
  CHECK(e.b_spad == c.b_spad);
  CHECK(e.d_spad == c.d_spad);
  CHECK(e.a_addr == c.a_addr);
  CHECK(e.b_addr == c.b_addr);
  CHECK(e.d_addr == c.d_addr);
  CHECK(e.channels == c.channels);
  CHECK(e.b_stride == c.b_stride);
  CHECK(e.length == c.length);
  CHECK(e.a_stride == c.a_stride);
  CHECK(e.d_stride == c.d_stride);
  CHECK(e.out_scale == c.out_scale);
  c.op = VecOp::POOL_SUM;
  c.flags = FLAG_ACCUMULATE;
  CHECK(decode_run_vec(encode_run_vec(c)).flags == FLAG_ACCUMULATE);
  CHECK(decode_run_vec(encode_run_vec(c)).op == VecOp::POOL_SUM);
  CHECK(std::string(opcode_name(uint8_t(Opcode::RUN_VEC))) == "RUN_VEC");
  CHECK(std::string(vec_op_name(uint8_t(VecOp::EMBED))) == "EMBED");
  CHECK(std::string(vec_op_name(kNumVecOps)) == "UNKNOWN");
}

TEST_CASE("validate checks every RUN_VEC field", "[commands][vecop]") {
  const HwLimits hw = limits();  // input 4096, param 2048, output 4096 bytes; fp32
  std::string why;
  // GELU over 4 rows of 16 words, strides 20 (A) and 16 (D).
  RunVec ok;
  ok.op = VecOp::GELU;
  ok.channels = 4;
  ok.length = 16;
  ok.a_stride = 20;
  ok.d_stride = 16;
  ok.a_spad = SpadId::INPUT;
  ok.d_spad = SpadId::OUTPUT;
  ok.b_spad = SpadId(3);  // unused operand: any id
  REQUIRE(validate(encode_run_vec(ok), hw, 0, &why) == ErrorCause::NONE);
  auto check = [&](const RunVec& c, ErrorCause want, const char* part, const HwLimits& h) {
    INFO("expected error naming: " << part);
    CHECK(validate(encode_run_vec(c), h, 0, &why) == want);
    INFO("got: " << why);
    CHECK(why.find(part) != std::string::npos);
  };
  auto bad = [&](auto edit, ErrorCause want, const char* part) {
    RunVec c = ok;
    edit(c);
    check(c, want, part, hw);
  };
  bad([](RunVec& c) { c.op = VecOp(kNumVecOps); }, ErrorCause::BAD_FIELD, "vector operation");
  bad([](RunVec& c) { c.flags = FLAG_RESET_STATE; }, ErrorCause::BAD_FIELD, "FLAG_ACCUMULATE");
  bad([](RunVec& c) { c.flags = FLAG_ACCUMULATE; }, ErrorCause::BAD_FIELD, "only defined for POOL_SUM");
  bad([](RunVec& c) { c.channels = 0; }, ErrorCause::BAD_FIELD, "channels");
  bad([](RunVec& c) { c.length = 0; }, ErrorCause::BAD_FIELD, "length");
  bad([](RunVec& c) { c.a_stride = 15; }, ErrorCause::BAD_FIELD, "a_stride");
  bad([](RunVec& c) { c.d_stride = 15; }, ErrorCause::BAD_FIELD, "d_stride");
  bad([](RunVec& c) { c.a_spad = SpadId(3); }, ErrorCause::BAD_SPAD_ID, "scratchpad id");
  bad([](RunVec& c) { c.d_spad = SpadId(3); }, ErrorCause::BAD_SPAD_ID, "scratchpad id");
  bad([](RunVec& c) { c.a_addr = 2; }, ErrorCause::BAD_SPAD_ADDRESS, "operand A");  // misaligned
  // A's last row ends at 4 + 3*80 + 64 = 308 bytes: fits; in the 2048-byte param spad at 1800 it does not.
  bad([](RunVec& c) { c.a_spad = SpadId::PARAM; c.a_addr = 1800; }, ErrorCause::BAD_SPAD_ADDRESS, "operand A");
  bad([](RunVec& c) { c.d_addr = 4096 - 3 * 64; }, ErrorCause::BAD_SPAD_ADDRESS, "destination D");
  bad([](RunVec& c) { c.out_scale = 1.0f; }, ErrorCause::BAD_FIELD, "must be 0 for the float formats");
  {
    RunVec c = ok;
    c.d_addr = 4096 - 3 * 64 - 64;  // ends exactly at the end of the output spad
    CHECK(validate(encode_run_vec(c), hw, 0, &why) == ErrorCause::NONE);
  }
  // Reserved bits 31:30 of word 0.
  Record r = encode_run_vec(ok);
  r.w[0] |= 1u << 30;
  CHECK(validate(r, hw, 0, &why) == ErrorCause::BAD_FIELD);
  CHECK(why.find("reserved") != std::string::npos);

  // B operands: ADD's B rows, AFFINE's 2C words, EMBED's table of vocab * C words.
  RunVec add = ok;
  add.op = VecOp::ADD;
  add.b_spad = SpadId::PARAM;
  add.b_stride = 16;
  CHECK(validate(encode_run_vec(add), hw, 0, &why) == ErrorCause::NONE);
  add.b_stride = 3;
  check(add, ErrorCause::BAD_FIELD, "b_stride", hw);
  add.b_stride = 16;
  add.b_addr = 2048 - 64;
  check(add, ErrorCause::BAD_SPAD_ADDRESS, "operand B", hw);
  RunVec embed = ok;
  embed.op = VecOp::EMBED;
  embed.b_spad = SpadId::PARAM;
  embed.b_stride = 0;
  check(embed, ErrorCause::BAD_FIELD, "vocabulary", hw);
  embed.b_stride = 128;  // 128 * 4 channels * 4 bytes = 2048: fills the param spad
  CHECK(validate(encode_run_vec(embed), hw, 0, &why) == ErrorCause::NONE);
  embed.b_stride = 129;
  check(embed, ErrorCause::BAD_SPAD_ADDRESS, "operand B", hw);

  // Overlap: D exactly A (in place) or disjoint; partial overlap is an error.
  RunVec same = ok;
  same.a_spad = same.d_spad = SpadId::OUTPUT;
  same.a_addr = same.d_addr = 256;
  same.a_stride = same.d_stride = 20;
  CHECK(validate(encode_run_vec(same), hw, 0, &why) == ErrorCause::NONE);
  same.d_addr = 260;
  check(same, ErrorCause::BAD_FIELD, "partly overlaps operand A", hw);
  same.d_addr = 256;
  same.d_stride = 16;  // same start, different row step
  check(same, ErrorCause::BAD_FIELD, "partly overlaps operand A", hw);
  same.d_addr = 256 + 3 * 80 + 64;  // right after A's last row: disjoint
  CHECK(validate(encode_run_vec(same), hw, 0, &why) == ErrorCause::NONE);
  RunVec onto_b = add;
  onto_b.b_spad = onto_b.d_spad = SpadId::OUTPUT;
  onto_b.b_addr = onto_b.d_addr = 1024;
  onto_b.b_stride = onto_b.d_stride = 16;
  CHECK(validate(encode_run_vec(onto_b), hw, 0, &why) == ErrorCause::NONE);
  onto_b.d_addr = 1028;
  check(onto_b, ErrorCause::BAD_FIELD, "partly overlaps operand B", hw);
  // AFFINE's and EMBED's B and EMBED's A can never be D, even exactly.
  RunVec affine = ok;
  affine.op = VecOp::AFFINE;
  affine.b_spad = affine.d_spad = SpadId::OUTPUT;
  affine.b_addr = affine.d_addr = 512;
  affine.b_stride = 0;
  check(affine, ErrorCause::BAD_FIELD, "partly overlaps operand B", hw);

  // out_scale: positive finite for int16/int8, 0 for fp32/bf16/fp16.
  for (regs::NumberFormat f : {regs::NumberFormat::INT16, regs::NumberFormat::INT8}) {
    HwLimits h = hw;
    h.number_format = uint8_t(f);
    RunVec c = ok;
    check(c, ErrorCause::BAD_FIELD, "positive finite", h);
    c.out_scale = -1.0f;
    check(c, ErrorCause::BAD_FIELD, "positive finite", h);
    c.out_scale = std::numeric_limits<float>::infinity();
    check(c, ErrorCause::BAD_FIELD, "positive finite", h);
    c.out_scale = std::numeric_limits<float>::quiet_NaN();
    check(c, ErrorCause::BAD_FIELD, "positive finite", h);
    c.out_scale = 0.01f;
    CHECK(validate(encode_run_vec(c), h, 0, &why) == ErrorCause::NONE);
  }
  for (regs::NumberFormat f : {regs::NumberFormat::BF16, regs::NumberFormat::FP16}) {
    HwLimits h = hw;
    h.number_format = uint8_t(f);
    RunVec c = ok;
    CHECK(validate(encode_run_vec(c), h, 0, &why) == ErrorCause::NONE);
    c.out_scale = 0.5f;
    check(c, ErrorCause::BAD_FIELD, "must be 0", h);
  }
}

TEST_CASE("per-segment direction: fields round-trip, validation needs the feature", "[commands][segdir]") {
  HwLimits hw = limits();
  std::string why;
  // Round trip, and the C encoders give the same words.
  const Record lc = encode_load_coeffs({64, 6, 2, 3});
  CHECK(decode_load_coeffs(lc).rev_segs == 3);
  ec_record clc;
  ec_encode_load_coeffs(&clc, 64, 6, 2);
  ec_set_load_coeffs_rev_segs(&clc, 3);
  CHECK(from_c(clc).w[4] == lc.w[4]);
  RunSsm run;
  run.length = 16;
  run.in_stride = run.out_stride = 64;
  run.rev_length = 15;
  run.rev_in_offset = 4;
  const Record rs = encode_run_ssm(run);
  CHECK(decode_run_ssm(rs).rev_length == 15);
  CHECK(decode_run_ssm(rs).rev_in_offset == 4);
  ec_record crs;
  ec_encode_run_ssm(&crs, 0, 0, 64, 0, 64, 16);
  ec_set_run_ssm_reversed(&crs, 15, 4);
  for (unsigned i = 0; i < kRecordWords; ++i) CHECK(from_c(crs).w[i] == rs.w[i]);

  // Without HW_FEATURES.SEGMENT_DIRECTION: BAD_FIELD, naming the word.
  CHECK(validate(lc, hw, 0, &why) == ErrorCause::BAD_FIELD);
  CHECK(why.find("rev_segs") != std::string::npos);
  CHECK(validate(rs, hw, 6, &why) == ErrorCause::BAD_FIELD);
  CHECK(why.find("rev_length") != std::string::npos);
  CHECK(validate(encode_load_coeffs({64, 6, 2}), hw, 0, &why) == ErrorCause::NONE);

  hw.segment_direction = true;
  CHECK(validate(lc, hw, 0, &why) == ErrorCause::NONE);
  CHECK(validate(encode_load_coeffs({64, 6, 2, 7}), hw, 0, &why) == ErrorCause::BAD_FIELD);  // > n_seg
  CHECK(validate(rs, hw, 6, 3, &why) == ErrorCause::NONE);
  RunSsm bad = run;
  bad.rev_length = 17;  // > length
  CHECK(validate(encode_run_ssm(bad), hw, 6, 3, &why) == ErrorCause::BAD_FIELD);
  bad = run;
  bad.rev_in_offset = 2;
  CHECK(validate(encode_run_ssm(bad), hw, 6, 3, &why) == ErrorCause::BAD_FIELD);
  // The reversed rows' inputs run past the 4 KiB input scratchpad; the forward ones do not.
  bad = run;
  bad.in_addr = 4096 - 64 * 3;
  CHECK(validate(encode_run_ssm(bad), hw, 3, 0, &why) == ErrorCause::NONE);
  CHECK(validate(encode_run_ssm(bad), hw, 6, 3, &why) == ErrorCause::NONE);  // 15 steps from +4: ends at 4096
  bad.rev_length = 0;  // 16 steps from +4: 4 bytes past the end
  CHECK(validate(encode_run_ssm(bad), hw, 6, 3, &why) == ErrorCause::BAD_SPAD_ADDRESS);
  bad.rev_in_offset = 0;
  bad.rev_length = 0;
  bad.in_addr = 4096 - 64 * 3 - 4;
  bad.rev_in_offset = 8;  // 4 bytes past the end for row 2
  CHECK(validate(encode_run_ssm(bad), hw, 6, 3, &why) == ErrorCause::BAD_SPAD_ADDRESS);
}
