// The command-stream decoder and validator (contract/commands.h): the first 32 bytes of
// the input give the hardware limits (HwLimits) and the loaded segment count, the rest
// is a stream of 32-byte records. Every record is unpacked, decoded as its opcode says
// (and as every other opcode, which the decoders must survive too) and validated; no
// input may throw (the command processor calls these on whatever software wrote).
// Checks: pack(unpack(bytes)) gives the bytes back; validate is deterministic and gives
// a documented error cause; without the text (why) it gives the same cause.
#include <cstdlib>
#include <cstring>
#include <string>

#include "epochcore/contract/commands.h"

using namespace epochcore;

namespace {
uint32_t word(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < cmd::kRecordBytes) return 0;
  cmd::HwLimits hw;
  // Array sizes in 0..255 and 0..65535 (degenerate ones included); scratchpads any size.
  hw.rows = data[0] & 1 ? word(data + 0) >> 16 : data[1];
  hw.cols = data[2] & 1 ? word(data + 4) >> 16 : data[3];
  hw.segments = data[4] & 1;
  for (size_t i = 0; i < cmd::kNumSpads; ++i) hw.spad_bytes[i] = word(data + 8 + 4 * i);
  hw.number_format = data[20];
  const uint32_t loaded_segments = word(data + 24);
  data += cmd::kRecordBytes;
  size -= cmd::kRecordBytes;
  for (; size >= cmd::kRecordBytes; data += cmd::kRecordBytes, size -= cmd::kRecordBytes) {
    const cmd::Record r = cmd::unpack(data);
    uint8_t back[cmd::kRecordBytes];
    cmd::pack(r, back);
    if (std::memcmp(back, data, cmd::kRecordBytes) != 0) std::abort();
    (void)cmd::opcode_name(static_cast<uint8_t>(r.w[0] & 0xff));
    (void)cmd::flags_of(r);
    (void)cmd::decode_dma(r);
    (void)cmd::decode_load_coeffs(r);
    (void)cmd::decode_run_ssm(r);
    (void)cmd::decode_run_gemm(r);
    const cmd::RunVec v = cmd::decode_run_vec(r);
    (void)cmd::vec_op_name(static_cast<uint8_t>(v.op));
    (void)cmd::vec_shape(v);
    std::string why;
    const regs::ErrorCause cause = cmd::validate(r, hw, loaded_segments, &why);
    if (cmd::validate(r, hw, loaded_segments, nullptr) != cause) std::abort();
    if (cause == regs::ErrorCause::NONE && !why.empty()) std::abort();
    if (cause != regs::ErrorCause::NONE && why.empty()) std::abort();
    (void)regs::error_cause_name(cause);
    (void)cmd::segments_per_row(hw, 1 + (r.w[3] & 0xffff));
  }
  return 0;
}
