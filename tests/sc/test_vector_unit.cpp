// Testbench: the vector unit inside the accelerator. Streams of DMA_IN, RUN_VEC (every
// operation), RUN_GEMM and DMA_OUT give, bit for bit, what vec_execute gives on the same
// data; the unit's time and stats follow the closed form; cycle and fast array timing
// agree; a RUN_VEC after a RUN_GEMM sees its output without a BARRIER; BAD_TOKEN and bad
// RUN_VEC records stop the stream with the cause, the command index and the interrupt.
// Four SoCs run side by side: fp32 in cycle and fast timing, bf16 and int8 in fast timing.
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/contract/commands.h"
#include "epochcore/contract/registers.h"
#include "epochcore/maths/reference/rng.h"
#include "epochcore/maths/vector/vector_op_math.h"
#include "epochcore/platform/soc/soc.h"
#include "soc_bench.h"

using namespace epochcore;
using namespace epochcore::cmd;
using regs::ErrorCause;

namespace {

constexpr uint64_t kStreamAddr = 0x10000;
constexpr uint64_t kDataAddr = 0x20000;
constexpr uint64_t kResultAddr = 0x100000;
constexpr uint32_t kResultBytes = 0x2000;

struct Case {
  const char* name;
  const char* format;  // scenario precision.format
  const char* timing;  // scenario run.timing
  float out_scale;     // RUN_VEC out_scale: 0 for the float formats
};

// What a run leaves behind, for the cross-SoC comparisons after the simulation.
struct Outcome {
  bool finished = false;
  std::vector<float> result;  // the DMA_OUT of the main stream
  VectorStats stats;
  uint64_t main_cycles = 0;
};

Scenario scenario(const Case& c) {
  Scenario s;
  s.array.rows = 4;
  s.array.cols = 8;
  s.spad_input = {16, 8, 1};
  s.spad_param = {8, 8, 1};
  s.spad_output = {16, 8, 1};
  s.memory.size_mib = 4;
  s.precision.format = c.format;
  s.run.timing = c.timing;
  s.run.check_protocol = true;
  return s;
}

// The three scratchpads as the test expects them: a copy of the accelerator's words,
// then every command of a stream applied in plain C++.
struct Images {
  std::vector<float> spad[kNumSpads];
  float* ptr[kNumSpads];
  explicit Images(const EpochCoreAccel& accel) {
    for (uint8_t i = 0; i < kNumSpads; ++i) {
      const Scratchpad& s = accel.spad(SpadId(i));
      spad[i].assign(s.words(), s.words() + s.size_bytes() / 4);
      ptr[i] = spad[i].data();
    }
  }
  bool equal(const EpochCoreAccel& accel, std::string* where) const {
    for (uint8_t i = 0; i < kNumSpads; ++i) {
      const float* w = accel.spad(SpadId(i)).words();
      for (size_t k = 0; k < spad[i].size(); ++k)
        if (std::memcmp(&w[k], &spad[i][k], 4) != 0) {
          *where = "spad " + std::to_string(i) + " word " + std::to_string(k) + ": got " +
                   std::to_string(w[k]) + " want " + std::to_string(spad[i][k]);
          return false;
        }
    }
    return true;
  }
};

std::vector<float> normals(uint64_t seed, size_t n, double spread = 1.0) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = float(spread * rng.normal());
  return v;
}

// Builds a stream and its expected effect on the scratchpads side by side.
struct Builder {
  fw::Hal& hal;
  Images& img;
  regs::NumberFormat format;
  vec::VecCostParams costs;
  std::vector<Record> stream;
  std::vector<RunVec> vec_ops;
  uint64_t next_sys = kDataAddr;

  // DMA_IN of `rows` rows of `row_words` words, `spad_step` words apart in the scratchpad.
  void dma_in(SpadId spad, uint32_t spad_addr, uint32_t rows, uint32_t row_words,
              uint32_t spad_step, const std::vector<float>& data) {
    hal.mem_write(next_sys, data.data(), data.size() * 4);
    DmaDesc d;
    d.sys_addr = next_sys;
    d.spad = spad;
    d.spad_addr = spad_addr;
    d.row_bytes = row_words * 4;
    d.rows = rows;
    d.sys_stride = row_words * 4;
    d.spad_stride = spad_step * 4;
    stream.push_back(encode_dma(true, d));
    for (uint32_t r = 0; r < rows; ++r)
      for (uint32_t t = 0; t < row_words; ++t)
        img.ptr[uint8_t(spad)][spad_addr / 4 + r * spad_step + t] = data[r * row_words + t];
    next_sys += (data.size() * 4 + 255) / 256 * 256;
  }
  void vec(RunVec c) {
    stream.push_back(encode_run_vec(c));
    vec::vec_execute(c, img.ptr, format, costs);
    vec_ops.push_back(c);
  }
  // The documented fold: y[j] = sum over kk (top row first, from 0.0f) of in[kk] * w[kk][j].
  void gemm(const RunGemm& g) {
    stream.push_back(encode_run_gemm(g));
    const float* w = img.ptr[1] + g.param_addr / 4;
    for (uint32_t i = 0; i < g.m; ++i) {
      const float* in = img.ptr[0] + (g.in_addr + i * g.in_stride) / 4;
      float* out = img.ptr[2] + (g.out_addr + i * g.out_stride) / 4;
      for (uint32_t j = 0; j < g.n; ++j) {
        float acc = 0.0f;
        for (uint32_t kk = 0; kk < g.k; ++kk) acc = acc + in[kk] * w[kk * g.n + j];
        out[j] = (g.flags & FLAG_ACCUMULATE) ? out[j] + acc : acc;
      }
    }
  }
};

RunVec make_vec(VecOp op, uint16_t C, uint32_t T, float out_scale) {
  RunVec c;
  c.op = op;
  c.channels = C;
  c.length = T;
  c.out_scale = out_scale;
  return c;
}

fw::JobResult run_stream(fw::Hal& hal, fw::Driver& drv, const std::vector<Record>& stream,
                         fw::DriverStatus* status = nullptr) {
  return ec_test::run_stream(hal, drv, stream, kStreamAddr, status);
}

void expect_error(fw::Hal& hal, fw::Driver& drv, const std::vector<Record>& stream, ErrorCause cause,
                  uint32_t index, const std::string& what) {
  std::vector<uint8_t> bytes(stream.size() * kRecordBytes);
  for (size_t i = 0; i < stream.size(); ++i) pack(stream[i], &bytes[i * kRecordBytes]);
  hal.mem_write(kStreamAddr, bytes.data(), bytes.size());
  EC_CHECK(drv.submit(kStreamAddr, uint32_t(bytes.size())) == fw::DriverStatus::OK);
  // The error interrupt, before the driver acknowledges it.
  hal.wait_for_interrupt();
  uint32_t v = 0;
  hal.reg_read(regs::IRQ_STATUS, &v);
  EC_CHECK_INFO(v == regs::IRQ_ERROR, what);
  hal.reg_read(regs::STATUS, &v);
  EC_CHECK_INFO(v == regs::STATUS_ERROR, what);
  fw::JobResult r;
  EC_CHECK_INFO(drv.wait(&r) == fw::DriverStatus::JOB_ERROR, what);
  EC_CHECK_INFO(r.cause == cause, what + ": got " + regs::error_cause_name(r.cause));
  EC_CHECK_INFO(r.cmd_index == index, what + ": index " + std::to_string(r.cmd_index));
}

// VECTOR entries of the activity log from entry `first` on.
std::vector<Activity> vector_entries(const EpochCoreAccel& accel, size_t first) {
  std::vector<Activity> v;
  const auto& e = accel.activity().entries;
  for (size_t i = first; i < e.size(); ++i)
    if (e[i].unit == Activity::VECTOR) v.push_back(e[i]);
  return v;
}

// Every operation, strided rows, in place, a GEMM feeding a RUN_VEC without a barrier.
void main_stream(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Case& cs, Outcome& out) {
  EpochCoreAccel& accel = soc.accel();
  const regs::NumberFormat format = regs::NumberFormat(accel.params().number_format);
  Images img(accel);
  Builder b{hal, img, format, accel.vector_unit().costs(), {}, {}};
  const float s = cs.out_scale;
  const uint16_t C = 4;
  const uint32_t T = 24, V = 10;

  b.dma_in(SpadId::INPUT, 0, C, T, T + 4, normals(1, C * T, 1.5));  // A, rows T+4 apart
  b.dma_in(SpadId::PARAM, 0, C, T, T, normals(2, C * T));          // B
  std::vector<float> ln = normals(3, 2 * C);
  ln.push_back(1e-5f);                                              // gamma, beta, eps
  b.dma_in(SpadId::PARAM, 0x400, 1, 2 * C + 1, 0, ln);
  b.dma_in(SpadId::PARAM, 0x500, 1, 2 * C, 0, normals(4, 2 * C));  // scales, shifts
  b.dma_in(SpadId::PARAM, 0x600, 1, 4 * 8, 0, normals(5, 32));      // GEMM weights 4 x 8
  b.dma_in(SpadId::INPUT, 0x800, 6, 4, 4, normals(6, 24));          // GEMM input 6 x 4
  std::vector<float> ids(T);
  for (uint32_t t = 0; t < T; ++t) ids[t] = vec::word_of_token_id(int32_t((7 * t + 3) % V));
  b.dma_in(SpadId::INPUT, 0xA00, 1, T, 0, ids);
  b.dma_in(SpadId::PARAM, 0x800, 1, V * C, 0, normals(7, V * C));  // embedding table [V][C]
  b.stream.push_back(encode_barrier());

  RunVec c = make_vec(VecOp::GELU, C, T, s);  // input -> output, strided A
  c.a_spad = SpadId::INPUT; c.a_stride = uint16_t(T + 4);
  c.d_spad = SpadId::OUTPUT; c.d_stride = uint16_t(T);
  b.vec(c);
  c = make_vec(VecOp::ADD, C, T, s);  // residual, in place on A
  c.a_spad = c.d_spad = SpadId::OUTPUT; c.a_stride = c.d_stride = uint16_t(T);
  c.b_spad = SpadId::PARAM; c.b_stride = uint16_t(T);
  b.vec(c);
  c = make_vec(VecOp::LAYERNORM, C, T, s);  // in place
  c.a_spad = c.d_spad = SpadId::OUTPUT; c.a_stride = c.d_stride = uint16_t(T);
  c.b_spad = SpadId::PARAM; c.b_addr = 0x400;
  b.vec(c);
  c = make_vec(VecOp::AFFINE, C, T, s);
  c.a_spad = c.d_spad = SpadId::OUTPUT; c.a_stride = uint16_t(T);
  c.d_addr = 0x400; c.d_stride = uint16_t(T + 1);
  c.b_spad = SpadId::PARAM; c.b_addr = 0x500;
  b.vec(c);
  c = make_vec(VecOp::GLU, 2, T, s);  // rows 0,1 gated by rows 2,3
  c.a_spad = c.d_spad = SpadId::OUTPUT; c.a_stride = uint16_t(T);
  c.d_addr = 0x800; c.d_stride = uint16_t(T);
  b.vec(c);
  RunGemm g;
  g.param_addr = 0x600; g.in_addr = 0x800; g.in_stride = 16;
  g.out_addr = 0xC00; g.out_stride = 32; g.k = 4; g.n = 8; g.m = 6;
  b.gemm(g);
  c = make_vec(VecOp::MUL, 6, 8, s);  // reads the GEMM's output: no barrier in between
  c.a_spad = c.b_spad = c.d_spad = SpadId::OUTPUT;
  c.a_addr = c.b_addr = 0xC00; c.a_stride = c.b_stride = 8;
  c.d_addr = 0x1000; c.d_stride = 8;
  b.vec(c);
  c = make_vec(VecOp::POOL_SUM, C, T, s);
  c.a_spad = c.d_spad = SpadId::OUTPUT; c.a_addr = 0x400; c.a_stride = uint16_t(T + 1);
  c.d_addr = 0x1200; c.d_stride = 1;
  b.vec(c);
  c.flags = FLAG_ACCUMULATE;
  b.vec(c);
  c = make_vec(VecOp::EMBED, C, T, s);
  c.a_spad = SpadId::INPUT; c.a_addr = 0xA00;
  c.b_spad = SpadId::PARAM; c.b_addr = 0x800; c.b_stride = uint16_t(V);
  c.d_spad = SpadId::OUTPUT; c.d_addr = 0x1400; c.d_stride = uint16_t(T);
  b.vec(c);
  c = make_vec(VecOp::SUB, 2, T, s);
  c.a_spad = c.b_spad = SpadId::OUTPUT; c.a_addr = 0x1400; c.b_addr = 0x800;
  c.a_stride = c.b_stride = uint16_t(T);
  c.d_spad = SpadId::INPUT; c.d_addr = 0x1000; c.d_stride = uint16_t(T);
  b.vec(c);
  c = make_vec(VecOp::COPY, 2, T, s);
  c.a_spad = SpadId::INPUT; c.a_addr = 0x1000; c.a_stride = uint16_t(T);
  c.d_spad = SpadId::OUTPUT; c.d_addr = 0x1800; c.d_stride = uint16_t(T);
  b.vec(c);
  c = make_vec(VecOp::ZERO, 1, T, s);
  c.d_spad = SpadId::OUTPUT; c.d_addr = 0x1400; c.d_stride = uint16_t(T);
  b.vec(c);
  b.stream.push_back(encode_barrier());
  DmaDesc o;
  o.sys_addr = kResultAddr;
  o.spad = SpadId::OUTPUT;
  o.row_bytes = kResultBytes;
  b.stream.push_back(encode_dma(false, o));
  b.stream.push_back(encode_end());

  const VectorStats before = accel.vector_unit().stats();
  const size_t log_first = accel.activity().entries.size();
  const fw::JobResult r = run_stream(hal, drv, b.stream);
  EC_CHECK_INFO(r.ok, std::string(cs.name) + ": " + regs::error_cause_name(r.cause) + " at " +
                          std::to_string(r.cmd_index) + " " + accel.command_processor().last_error_detail());
  out.main_cycles = r.cycles;
  std::string where;
  const bool same = img.equal(accel, &where);
  EC_CHECK_INFO(same, std::string(cs.name) + ": " + where);
  out.result.resize(kResultBytes / 4);
  hal.mem_read(kResultAddr, out.result.data(), kResultBytes);
  EC_CHECK(std::memcmp(out.result.data(), img.ptr[2], kResultBytes) == 0);

  // Stats: the sum of the closed forms of the commands.
  const VectorStats& st = accel.vector_unit().stats();
  uint64_t cycles = 0, elements = 0, reads[3] = {}, writes[3] = {}, by_op[kNumVecOps] = {};
  for (const RunVec& v : b.vec_ops) {
    const vec::VecExecResult k = vec::vec_command_cost(v, b.costs);
    cycles += k.cycles;
    elements += k.elements;
    by_op[uint8_t(v.op)]++;
    for (int i = 0; i < 3; ++i) reads[i] += k.read_words[i], writes[i] += k.write_words[i];
  }
  EC_CHECK(st.ops - before.ops == b.vec_ops.size());
  EC_CHECK(st.busy_cycles - before.busy_cycles == cycles);
  EC_CHECK(st.elements - before.elements == elements);
  for (int i = 0; i < 3; ++i) {
    EC_CHECK(st.read_words[i] - before.read_words[i] == reads[i]);
    EC_CHECK(st.write_words[i] - before.write_words[i] == writes[i]);
  }
  for (uint8_t op = 0; op < kNumVecOps; ++op) EC_CHECK(st.by_op[op] - before.by_op[op] == by_op[op]);
  // By hand for the first command: GELU on 4 x 24 = 96 elements, 32 lanes, factor 4.
  EC_CHECK(vec::vec_command_cost(b.vec_ops[0], b.costs).cycles == 3 * 4);

  // Time: each RUN_VEC takes its closed-form cycles; compute runs in stream order, so the
  // MUL starts after the GEMM ends and every RUN_VEC after the previous compute command.
  const std::vector<Activity> ve = vector_entries(accel, log_first);
  EC_CHECK(ve.size() == b.vec_ops.size());
  const uint64_t period = accel.params().array.clock_period.value();
  uint64_t gemm_start = 0, gemm_end = 0;
  for (size_t i = log_first; i < accel.activity().entries.size(); ++i)
    if (accel.activity().entries[i].unit == Activity::ARRAY) {
      gemm_start = accel.activity().entries[i].start_ps;
      gemm_end = accel.activity().entries[i].end_ps;
    }
  for (size_t i = 0; i < ve.size() && i < b.vec_ops.size(); ++i) {
    const uint64_t want = vec::vec_command_cost(b.vec_ops[i], b.costs).cycles * period;
    EC_CHECK_INFO(ve[i].end_ps - ve[i].start_ps == want, "RUN_VEC " + std::to_string(i));
    EC_CHECK(ve[i].vec_op == uint8_t(b.vec_ops[i].op));
    if (i > 0) EC_CHECK(ve[i].start_ps >= ve[i - 1].end_ps);
  }
  EC_CHECK(gemm_end > 0);
  if (ve.size() > 5) {
    EC_CHECK(ve[5].vec_op == uint8_t(VecOp::MUL));
    EC_CHECK(ve[5].start_ps >= gemm_end);
    EC_CHECK(gemm_start >= ve[4].end_ps);  // and the GEMM waited for the GLU
  }
}

// Back-to-back RUN_VECs: exact time, END waits for the unit, scratchpad counters.
void timing_stream(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Case& cs) {
  EpochCoreAccel& accel = soc.accel();
  RunVec gelu = make_vec(VecOp::GELU, 16, 256, cs.out_scale);  // 4096 elements: 128 groups x 4
  gelu.a_spad = gelu.d_spad = SpadId::INPUT;
  gelu.a_stride = gelu.d_stride = 256;
  RunVec add = make_vec(VecOp::ADD, 16, 256, cs.out_scale);   // 128 groups x 1
  add.a_spad = add.b_spad = SpadId::INPUT;
  add.a_stride = add.b_stride = add.d_stride = 256;
  add.d_spad = SpadId::OUTPUT;
  const size_t log_first = accel.activity().entries.size();
  uint64_t spad_reads[3], spad_writes[3];
  for (uint8_t i = 0; i < 3; ++i) {
    spad_reads[i] = accel.spad(SpadId(i)).stats().array_read_words;
    spad_writes[i] = accel.spad(SpadId(i)).stats().array_write_words;
  }
  const CommandProcessorStats cp_before = accel.command_processor().stats();
  const fw::JobResult r = run_stream(hal, drv, {encode_run_vec(gelu), encode_run_vec(add), encode_end()});
  EC_CHECK(r.ok);
  const std::vector<Activity> ve = vector_entries(accel, log_first);
  const uint64_t period = accel.params().array.clock_period.value();
  EC_CHECK(ve.size() == 2);
  if (ve.size() == 2) {
    EC_CHECK(ve[0].end_ps - ve[0].start_ps == 512 * period);
    EC_CHECK(ve[1].end_ps - ve[1].start_ps == 128 * period);
    EC_CHECK(ve[1].start_ps == ve[0].end_ps);  // the second waits exactly for the first
    EC_CHECK(ve[0].elements == 4096);
    const Activity& end = accel.activity().entries.back();
    EC_CHECK(end.unit == Activity::COMMAND_PROCESSOR && end.opcode == uint8_t(Opcode::END));
    EC_CHECK(end.end_ps == ve[1].end_ps);  // END waited for the unit ...
    EC_CHECK(end.wait_array_ps > 0);       // ... and counts that as waiting for compute
    EC_CHECK(end.wait_dma_ps == 0);
  }
  EC_CHECK(r.cycles >= 640);
  EC_CHECK(accel.command_processor().stats().wait_array_cycles - cp_before.wait_array_cycles >= 128);
  // Scratchpad datapath counters: GELU reads and writes 4096 input words; ADD reads
  // 2 x 4096 input words and writes 4096 output words.
  EC_CHECK(accel.spad(SpadId::INPUT).stats().array_read_words - spad_reads[0] == 3 * 4096);
  EC_CHECK(accel.spad(SpadId::INPUT).stats().array_write_words - spad_writes[0] == 4096);
  EC_CHECK(accel.spad(SpadId::OUTPUT).stats().array_write_words - spad_writes[2] == 4096);
  EC_CHECK(accel.spad(SpadId::OUTPUT).stats().array_read_words - spad_reads[2] == 0);
  EC_CHECK(accel.spad(SpadId::PARAM).stats().array_read_words - spad_reads[1] == 0);
}

// BAD_TOKEN and rejected RUN_VEC records.
void error_streams(Soc& soc, fw::Hal& hal, fw::Driver& drv, const Case& cs) {
  EpochCoreAccel& accel = soc.accel();
  const uint32_t T = 12, V = 6;
  std::vector<float> ids(T);
  for (uint32_t t = 0; t < T; ++t) ids[t] = vec::word_of_token_id(int32_t(t % V));
  ids[5] = vec::word_of_token_id(99);
  hal.mem_write(kDataAddr, ids.data(), T * 4);
  DmaDesc d;
  d.sys_addr = kDataAddr;
  d.spad = SpadId::INPUT;
  d.spad_addr = 0x3000;
  d.row_bytes = T * 4;
  RunVec embed = make_vec(VecOp::EMBED, 2, T, cs.out_scale);
  embed.a_spad = SpadId::INPUT; embed.a_addr = 0x3000;
  embed.b_spad = SpadId::PARAM; embed.b_addr = 0x1000; embed.b_stride = uint16_t(V);
  embed.d_spad = SpadId::OUTPUT; embed.d_addr = 0x3000; embed.d_stride = uint16_t(T);
  RunVec copy = make_vec(VecOp::COPY, 1, T, cs.out_scale);
  copy.a_spad = SpadId::PARAM; copy.a_addr = 0x1000;
  copy.d_spad = SpadId::OUTPUT; copy.d_addr = 0x3000; copy.d_stride = uint16_t(T);

  const Images before(accel);
  const uint64_t ops_before = accel.vector_unit().stats().ops;
  expect_error(hal, drv, {encode_dma(true, d), encode_barrier(), encode_run_vec(embed), encode_run_vec(copy),
                          encode_nop(), encode_end()},
               ErrorCause::BAD_TOKEN, 2, std::string(cs.name) + ": token id outside the table");
  const std::string detail = accel.command_processor().last_error_detail();
  EC_CHECK_INFO(detail.find("token id 99 at step 5") != std::string::npos, detail);
  EC_CHECK(accel.vector_unit().stats().ops == ops_before + 1);  // the COPY never ran
  EC_CHECK(accel.vector_unit().stats().errors >= 1);
  const float* out = accel.spad(SpadId::OUTPUT).words() + 0x3000 / 4;
  EC_CHECK(std::memcmp(out, before.ptr[2] + 0x3000 / 4, 2 * T * 4) == 0);  // nothing written
  // Straight into END: the RUN_VEC's index, found while END waits for the unit.
  expect_error(hal, drv, {encode_nop(), encode_run_vec(embed), encode_end()}, ErrorCause::BAD_TOKEN, 1,
               std::string(cs.name) + ": BAD_TOKEN before END");

  // Records validate rejects.
  RunVec partial = copy;
  partial.a_spad = SpadId::OUTPUT; partial.a_addr = 0x3004;
  expect_error(hal, drv, {encode_nop(), encode_run_vec(partial), encode_end()}, ErrorCause::BAD_FIELD, 1,
               "D partly overlaps A");
  RunVec bad_id = copy;
  bad_id.a_spad = SpadId(3);
  expect_error(hal, drv, {encode_run_vec(bad_id), encode_end()}, ErrorCause::BAD_SPAD_ID, 0, "A in spad 3");
  RunVec outside = copy;
  outside.d_addr = 16 * 1024 - 8;
  expect_error(hal, drv, {encode_run_vec(outside), encode_end()}, ErrorCause::BAD_SPAD_ADDRESS, 0,
               "D past the output scratchpad");
  RunVec scale = copy;
  scale.out_scale = cs.out_scale == 0.0f ? 0.5f : 0.0f;
  expect_error(hal, drv, {encode_run_vec(scale), encode_end()}, ErrorCause::BAD_FIELD, 0,
               std::string(cs.name) + ": out_scale rule");

  // The unit's error is cleared: a good stream runs afterwards.
  ids[5] = vec::word_of_token_id(5);
  hal.mem_write(kDataAddr, ids.data(), T * 4);
  const fw::JobResult r = run_stream(hal, drv, {encode_dma(true, d), encode_barrier(), encode_run_vec(embed), encode_end()});
  EC_CHECK_INFO(r.ok, std::string(cs.name) + ": good EMBED after the errors");
}

void program(Soc& soc, fw::Hal& hal, const Case& cs, Outcome& out) {
  fw::Driver drv(hal);
  fw::AccelInfo info;
  EC_CHECK(drv.probe(&info) == fw::DriverStatus::OK);
  EC_CHECK(info.number_format == soc.accel().params().number_format);
  EC_CHECK(info.vector_lanes == 32);
  EC_CHECK(soc.accel().vector_unit().costs().lanes == 32);
  main_stream(soc, hal, drv, cs, out);
  timing_stream(soc, hal, drv, cs);
  error_streams(soc, hal, drv, cs);
  out.stats = soc.accel().vector_unit().stats();
  out.finished = true;
}

}  // namespace

int sc_main(int, char**) {
  return ec_test::run_testbench("test_vector_unit", [] {
    const Case cases[] = {{"fp32 cycle", "fp32", "cycle", 0.0f},
                          {"fp32 fast", "fp32", "fast", 0.0f},
                          {"bf16 fast", "bf16", "fast", 0.0f},
                          {"int8 fast", "int8", "fast", 1.0f / 64}};
    // Bad vector-unit parameters are refused at construction, naming the field.
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_THROW);  // quiet: expected
    for (int bad = 0; bad < 3; ++bad) {
      AccelParams p;
      const char* field = "vector_lanes";
      if (bad == 0) p.vector_lanes = 0;
      if (bad == 1) p.vector_costs.glu_factor = 0, field = "glu_factor";
      if (bad == 2) p.number_format = 5, field = "number_format";
      std::string msg;
      try {
        EpochCoreAccel accel(("bad_accel" + std::to_string(bad)).c_str(), p);
      } catch (const std::exception& e) {
        msg = e.what();
      }
      EC_CHECK_INFO(msg.find(field) != std::string::npos, msg);
    }
    sc_core::sc_report_handler::set_actions(sc_core::SC_ERROR, sc_core::SC_DISPLAY | sc_core::SC_THROW);
    constexpr int kCases = 4;
    Outcome outcomes[kCases];
    const auto socs = ec_test::run_socs(
        {scenario(cases[0]), scenario(cases[1]), scenario(cases[2]), scenario(cases[3])},
        [&](size_t i, Soc& soc, fw::Hal& hal) { program(soc, hal, cases[i], outcomes[i]); });
    for (int i = 0; i < kCases; ++i) EC_CHECK_INFO(outcomes[i].finished, cases[i].name);
    // Cycle and fast array timing: the same bits, the same vector work, the same time.
    const Outcome& cyc = outcomes[0];
    const Outcome& fast = outcomes[1];
    EC_CHECK(!cyc.result.empty() && cyc.result.size() == fast.result.size() &&
             std::memcmp(cyc.result.data(), fast.result.data(), cyc.result.size() * 4) == 0);
    EC_CHECK(cyc.stats.busy_cycles == fast.stats.busy_cycles);
    EC_CHECK(cyc.stats.elements == fast.stats.elements);
    EC_CHECK_INFO(cyc.main_cycles == fast.main_cycles,
                  std::to_string(cyc.main_cycles) + " vs " + std::to_string(fast.main_cycles));
    // The formats round: bf16 and int8 results differ from fp32 but only by their precision.
    const Outcome& bf = outcomes[2];
    const Outcome& i8 = outcomes[3];
    if (bf.result.size() == fast.result.size() && i8.result.size() == fast.result.size()) {
      size_t bf_differ = 0, bf_not_bf16 = 0, i8_off_grid = 0;
      for (size_t k = 0; k < fast.result.size(); ++k) {
        if (k >= 0xC00 / 4 && k < 0xC00 / 4 + 6 * 8) continue;  // the GEMM's output: not rounded by the unit
        bf_differ += bf.result[k] != fast.result[k];
        uint32_t bits;
        std::memcpy(&bits, &bf.result[k], 4);
        bf_not_bf16 += (bits & 0xFFFF) != 0;
        const double q = double(i8.result[k]) * 64;
        i8_off_grid += q != std::nearbyint(q) || std::fabs(q) > 127;
      }
      EC_CHECK(bf_differ > 0);
      EC_CHECK_INFO(bf_not_bf16 == 0, std::to_string(bf_not_bf16));
      EC_CHECK_INFO(i8_off_grid == 0, std::to_string(i8_off_grid));
    }
  });
}
