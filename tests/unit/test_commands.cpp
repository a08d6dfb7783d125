#include <catch2/catch.hpp>

#include <cstring>

#include "models/interface/commands.h"

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
