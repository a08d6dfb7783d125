#include "epochcore/firmware/kernels/s4d_layer.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "epochcore/firmware/kernels/kernel_util.h"
#include "epochcore/contract/number_format.h"

namespace epochcore::fw {

namespace {

// Little-endian byte (de)serialisation, independent of the host's byte order.
void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}
void put_f64(uint8_t* p, double d) {
  uint64_t v;
  std::memcpy(&v, &d, 8);
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
double get_f64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(p[i]) << (8 * i);
  double d;
  std::memcpy(&d, &v, 8);
  return d;
}
void put_coeff(uint8_t* p, const cmd::CoeffRecord& r) {
  const float f[8] = {r.a_re, r.a_im, r.b_re, r.b_im, r.c_re, r.c_im, r.d, r.reserved};
  for (int i = 0; i < 8; ++i) {
    uint32_t v;
    std::memcpy(&v, &f[i], 4);
    put_u32(p + 4 * i, v);
  }
}

// Bytes a fold of n segments occupies in a scratchpad for a chunk of c steps.
uint64_t fold_span(uint64_t n, uint32_t c, uint32_t banks) {
  return (n - 1) * 4 * uint64_t(conflict_free_stride_words(c, banks)) + 4 * uint64_t(c);
}

// Resident rows (job.resident): aligned, at least L words apart, inside their scratchpad.
bool resident_rows_fit(const AccelInfo& hw, const S4dLayerJob& job, uint64_t items, char* why, size_t why_len) {
  struct Rows { const char* name; cmd::SpadId spad; uint32_t addr, words; };
  const Rows rows[] = {{"input", cmd::SpadId::INPUT, job.input_spad, job.input_row_words},
                       {"output", cmd::SpadId::OUTPUT, job.output_spad, job.output_row_words}};
  for (const Rows& r : rows) {
    if (r.addr % 4)
      return fail(why, why_len, "resident %s rows: scratchpad offset %u is not a multiple of 4", r.name, r.addr);
    if (r.words < job.L)
      return fail(why, why_len, "resident %s rows: a row stride of %u words is shorter than L = %u", r.name,
                  r.words, job.L);
    if (4ull * r.words > 0xFFFFFFFFull)
      return fail(why, why_len, "resident %s rows: a row stride of %u words exceeds the 32-bit RUN_SSM stride",
                  r.name, r.words);
    const uint64_t end = r.addr + 4 * ((items - 1) * r.words + job.L);
    const uint32_t have = hw.spad_bytes[uint8_t(r.spad)];
    if (end > have)
      return fail(why, why_len,
                  "resident %s rows: %llu rows of %u words from offset %u need %llu bytes, the %s scratchpad "
                  "has %u",
                  r.name, (unsigned long long)items, r.words, r.addr, (unsigned long long)end, r.name, have);
  }
  return true;
}

}  // namespace

size_t s4d_param_block_bytes(uint32_t H, uint32_t M, uint32_t directions) {
  return 8 * (2 * size_t(H) + (2 + 2 * size_t(directions)) * size_t(H) * M);
}

std::vector<uint8_t> encode_s4d_param_block(const S4dParams& p) {
  const size_t hm = size_t(p.H) * p.M;
  std::vector<uint8_t> out(s4d_param_block_bytes(p.H, p.M, p.directions));
  uint8_t* o = out.data();
  auto put = [&](const std::vector<double>& v, size_t n) {
    for (size_t i = 0; i < n; ++i, o += 8) put_f64(o, i < v.size() ? v[i] : 0.0);
  };
  put(p.log_dt, p.H);
  put(p.log_A_real, hm);
  put(p.A_imag, hm);
  put(p.C, 2 * size_t(p.directions) * hm);
  put(p.D, p.H);
  return out;
}

bool read_s4d_param_block(Hal& hal, uint64_t addr, uint32_t H, uint32_t M, uint32_t directions,
                          S4dParams* out, char* why, size_t why_len) {
  if (directions != 1 && directions != 2)
    return fail(why, why_len, "parameter block: directions = %u (expected 1, or 2 for a bidirectional layer)",
                directions);
  if (8 * (2 * uint64_t(H) + 6 * uint64_t(H) * M) > SIZE_MAX / 2)
    return fail(why, why_len, "parameter block for H=%u M=%u is too large for this machine", H, M);
  const size_t bytes = s4d_param_block_bytes(H, M, directions);
  std::vector<uint8_t> raw(bytes);
  if (hal.mem_read(addr, raw.data(), bytes) != HalStatus::OK)
    return fail(why, why_len, "parameter block at 0x%llx (%zu bytes): system memory read failed",
                (unsigned long long)addr, bytes);
  const size_t hm = size_t(H) * M;
  const uint8_t* p = raw.data();
  struct Tensor { const char* name; std::vector<double>* v; size_t n; size_t per; };
  S4dParams r;
  r.H = H;
  r.M = M;
  r.directions = directions;
  // `per` is the number of values per channel, to name the channel of a bad value.
  const Tensor tensors[] = {{"log_dt", &r.log_dt, H, 1}, {"log_A_real", &r.log_A_real, hm, M},
                            {"A_imag", &r.A_imag, hm, M},
                            {"C", &r.C, 2 * directions * hm, 2 * size_t(M)}, {"D", &r.D, H, 1}};
  for (const Tensor& t : tensors) {
    t.v->resize(t.n);
    for (size_t i = 0; i < t.n; ++i, p += 8) {
      (*t.v)[i] = get_f64(p);
      if (!std::isfinite((*t.v)[i]))
        return fail(why, why_len, "parameter block: %s[%zu] (%schannel %zu) is not finite", t.name, i,
                    directions == 2 && t.v == &r.C ? (i < 2 * hm ? "forward, " : "backward, ") : "",
                    (i / t.per) % H);
    }
  }
  *out = r;
  return true;
}

uint32_t conflict_free_stride_words(uint32_t words, uint32_t banks) {
  if (banks <= 1) return words;
  return words + (banks + 1 - words % banks) % banks;
}

bool plan_s4d_layer(const AccelInfo& hw, const S4dLayerJob& job, S4dPlan* plan, char* why,
                    size_t why_len) {
  if (!job.H || !job.M || !job.L || !job.B)
    return fail(why, why_len, "S4D layer job: H, M, L and B must be >= 1 (got H=%u M=%u L=%u B=%u)",
                job.H, job.M, job.L, job.B);
  if (job.directions != 1 && job.directions != 2)
    return fail(why, why_len, "S4D layer job: directions = %u (expected 1, or 2 for a bidirectional layer)",
                job.directions);
  if (!hw.rows || !hw.cols) return fail(why, why_len, "accelerator info: rows and cols must be >= 1");
  if (uint64_t(job.L) * 4 > 0xFFFFFFFFull)
    return fail(why, why_len, "S4D layer job: L=%u does not fit the 32-bit DMA stride", job.L);
  const uint64_t items = uint64_t(job.B) * job.H;
  if (items > 0xFFFFFFFFull) return fail(why, why_len, "S4D layer job: B*H exceeds 2^32");
  const uint32_t in_b = hw.spad_bytes[uint8_t(cmd::SpadId::INPUT)];
  const uint32_t par_b = hw.spad_bytes[uint8_t(cmd::SpadId::PARAM)];
  const uint32_t out_b = hw.spad_bytes[uint8_t(cmd::SpadId::OUTPUT)];
  const uint32_t in_banks = hw.spad_banks[uint8_t(cmd::SpadId::INPUT)];
  const uint32_t out_banks = hw.spad_banks[uint8_t(cmd::SpadId::OUTPUT)];

  S4dPlan p;
  p.directions = job.directions;
  p.passes = uint32_t(ceil_div(job.M, hw.cols));
  p.seg_len = uint32_t(ceil_div(job.M, p.passes));
  p.spr = hw.segments ? hw.cols / p.seg_len : 1;
  p.items = uint32_t(items);
  uint64_t spf = std::min<uint64_t>(uint64_t(hw.rows) * p.spr, items);
  // Fewer segments per fold when the scratchpads cannot hold a whole array's worth.
  spf = std::min<uint64_t>(spf, par_b / (uint64_t(p.seg_len) * sizeof(cmd::CoeffRecord)));
  if (spf == 0)
    return fail(why, why_len, "parameter scratchpad (%u bytes) cannot hold one segment's %u coefficient records",
                par_b, p.seg_len);
  if (!job.resident) {
    spf = std::min<uint64_t>(spf, std::min(in_b, out_b) / 4);  // one time step per segment
    if (spf == 0)
      return fail(why, why_len, "input/output scratchpads (%u/%u bytes) cannot hold one time step", in_b, out_b);
  } else if (!resident_rows_fit(hw, job, items, why, why_len)) {
    return false;
  }
  p.segs_per_fold = uint32_t(spf);
  p.folds_per_pass = uint32_t(ceil_div(items, spf));

  p.reverse_len = job.directions == 2 ? job.L - 1 : 0;  // the backward sum is over s > t

  // Double buffering: two input buffers, two output buffers (three when runs accumulate:
  // the next run's partial sums arrive while this run writes and the last one drains)
  // and two parameter slots. Buffers start on a bank boundary so every run sees the same
  // bank pattern (and the same feed timing) as buffer 0.
  const uint32_t out_buffers = job.directions == 2 || p.passes > 1 ? 3 : 2;
  const uint64_t fold_records = spf * p.seg_len * sizeof(cmd::CoeffRecord);  // a multiple of 32
  auto buffer_offset = [](uint64_t span, uint32_t banks) { return ceil_div(span, 4ull * banks) * 4 * banks; };
  auto fits_single = [&](uint32_t c) {
    return fold_span(spf, c, in_banks) <= in_b && fold_span(spf, c, out_banks) <= out_b;
  };
  auto fits_double = [&](uint32_t c) {
    const uint64_t in_span = fold_span(spf, c, in_banks), out_span = fold_span(spf, c, out_banks);
    return buffer_offset(in_span, in_banks) + in_span <= in_b &&
           (out_buffers - 1) * buffer_offset(out_span, out_banks) + out_span <= out_b;
  };
  if (job.resident) {
    // The whole sequence in one chunk over the resident rows; only the records move.
    p.resident = true;
    p.chunk_len = job.L;
    p.in_stride = 4 * job.input_row_words;
    p.out_stride = 4 * job.output_row_words;
    p.double_buffered = !job.single_buffer && 2 * fold_records <= par_b;
    if (p.double_buffered) p.param_slot_offset = uint32_t(fold_records);
  } else {
    p.double_buffered = !job.single_buffer && 2 * fold_records <= par_b && fits_double(1);
    // Longest chunk that fits (fits_single(1) holds by the cap above).
    uint32_t lo = 1, hi = job.L;
    while (lo < hi) {
      const uint32_t mid = lo + (hi - lo + 1) / 2;
      if (p.double_buffered ? fits_double(mid) : fits_single(mid)) lo = mid; else hi = mid - 1;
    }
    p.chunk_len = lo;
    if (p.double_buffered) {
      const uint64_t groups = uint64_t(job.directions) * p.passes * p.folds_per_pass;  // runs per chunk
      const uint64_t min_chunks = ceil_div(kMinDoubleBufferedRuns, groups);
      p.chunk_len = uint32_t(std::min<uint64_t>(p.chunk_len, ceil_div(job.L, min_chunks)));
      if (p.chunk_len > kChunkAlignSteps) p.chunk_len -= p.chunk_len % kChunkAlignSteps;
    }
    p.in_stride = 4 * conflict_free_stride_words(p.chunk_len, in_banks);
    p.out_stride = 4 * conflict_free_stride_words(p.chunk_len, out_banks);
  }
  p.chunks = uint32_t(ceil_div(job.L, p.chunk_len));
  p.reverse_chunks = uint32_t(ceil_div(p.reverse_len, p.chunk_len));
  if (p.double_buffered && !p.resident) {
    p.in_buf_offset = uint32_t(buffer_offset(fold_span(spf, p.chunk_len, in_banks), in_banks));
    p.out_buf_offset = uint32_t(buffer_offset(fold_span(spf, p.chunk_len, out_banks), out_banks));
    p.out_buffers = out_buffers;
    p.param_slot_offset = uint32_t(fold_records);
  }

  p.coeff_bytes = uint64_t(job.directions) * p.passes * items * p.seg_len * sizeof(cmd::CoeffRecord);
  // Every run takes at least 3 records (RUN_SSM, DMA_IN, BARRIER): refuse before counting
  // (in double: the product may exceed 64 bits for absurd sizes).
  const double runs = double(p.folds_per_pass) * p.passes * (double(p.chunks) + p.reverse_chunks);
  if (runs > double(0xFFFFFFFFull / cmd::kRecordBytes / 3))
    return fail(why, why_len, "S4D layer job: %.0f RUN_SSM commands make a stream beyond the 32-bit CMD_LEN",
                runs);
  p.runs = uint64_t(runs);
  p.commands = count_s4d_stream(p, job);
  p.stream_bytes = p.commands * cmd::kRecordBytes;
  if (p.stream_bytes > 0xFFFFFFFFull)
    return fail(why, why_len, "command stream of %llu bytes exceeds the 32-bit CMD_LEN",
                (unsigned long long)p.stream_bytes);
  if (job.workspace_addr % 8)
    return fail(why, why_len, "workspace address 0x%llx is not 8-byte aligned",
                (unsigned long long)job.workspace_addr);
  if (p.coeff_bytes + p.stream_bytes > job.workspace_bytes)
    return fail(why, why_len, "workspace of %llu bytes too small: needs %llu (coefficients %llu + stream %llu)",
                (unsigned long long)job.workspace_bytes,
                (unsigned long long)(p.coeff_bytes + p.stream_bytes),
                (unsigned long long)p.coeff_bytes, (unsigned long long)p.stream_bytes);
  *plan = p;
  return true;
}

bool discretise_zoh(const S4dParams& prm, uint32_t passes, uint32_t seg_len, bool real_only,
                    std::vector<cmd::CoeffRecord>* records, char* why, size_t why_len) {
  const uint32_t H = prm.H, M = prm.M, dirs = prm.directions;
  const size_t hm = size_t(H) * M;
  if (dirs != 1 && dirs != 2)
    return fail(why, why_len, "S4D parameters: directions = %u (expected 1 or 2)", dirs);
  if (prm.log_dt.size() != H || prm.log_A_real.size() != hm || prm.A_imag.size() != hm ||
      prm.C.size() != 2 * dirs * hm || prm.D.size() != H)
    return fail(why, why_len, "S4D parameters: tensor sizes do not match H=%u M=%u directions=%u", H, M,
                dirs);
  if (uint64_t(passes) * seg_len < M)
    return fail(why, why_len, "discretise: passes*seg_len = %u*%u < M = %u", passes, seg_len, M);
  // With A real the state x stays real (b = 1, u real), so Im(C) cannot reach the output
  // 2 Re(C' x): only a complex A needs complex PEs. c_im is zeroed below.
  if (real_only) {
    for (size_t i = 0; i < hm; ++i) {
      if (prm.A_imag[i] != 0.0)
        return fail(why, why_len, "real-only accelerator: A_imag[%zu] (channel %zu) = %g is not zero",
                    i, i / M, prm.A_imag[i]);
    }
  }
  records->assign(size_t(dirs) * passes * H * seg_len, cmd::CoeffRecord{0, 0, 0, 0, 0, 0, 0, 0});
  for (uint32_t dir = 0; dir < dirs; ++dir) {
    for (uint32_t h = 0; h < H; ++h) {
      const double dt = std::exp(prm.log_dt[h]);
      for (uint32_t n = 0; n < M; ++n) {
        const size_t i = size_t(h) * M + n, ci = dir * hm + i;
        const std::complex<double> A(-std::exp(prm.log_A_real[i]), prm.A_imag[i]);
        const std::complex<double> C(prm.C[2 * ci], prm.C[2 * ci + 1]);
        const std::complex<double> Abar = std::exp(dt * A);
        // (exp(dt*A) - 1)/A tends to dt as A -> 0 (only reachable when exp underflows).
        const std::complex<double> Cp = A == 0.0 ? C * dt : C * (Abar - 1.0) / A;
        const uint32_t p = n / seg_len, s = n % seg_len;
        cmd::CoeffRecord& r = (*records)[((size_t(dir) * passes + p) * H + h) * seg_len + s];
        r.a_re = float(Abar.real());
        r.a_im = float(Abar.imag());
        r.b_re = 1.0f;
        r.c_re = float(2.0 * Cp.real());  // conjugate-pair factor 2 folded into c
        r.c_im = real_only ? 0.0f : float(2.0 * Cp.imag());
        r.d = dir == 0 && n == 0 ? float(prm.D[h]) : 0.0f;  // D u_t is added once, forward
        if (!std::isfinite(r.a_re) || !std::isfinite(r.a_im) || !std::isfinite(r.c_re) ||
            !std::isfinite(r.c_im) || !std::isfinite(r.d))
          return fail(why, why_len,
                      "discretise: %schannel %u mode %u gives a coefficient that is not finite in float32",
                      dir ? "backward " : "", h, n);
      }
    }
  }
  return true;
}

bool apply_coeff_format(uint8_t number_format, std::vector<cmd::CoeffRecord>* records,
                        S4dCoeffScales* scales, char* why, size_t why_len) {
  using numfmt::Format;
  Format f;
  switch (regs::NumberFormat(number_format)) {
    case regs::NumberFormat::FP32: f = Format::FP32; break;
    case regs::NumberFormat::BF16: f = Format::BF16; break;
    case regs::NumberFormat::FP16: f = Format::FP16; break;
    case regs::NumberFormat::INT16: f = Format::INT16; break;
    case regs::NumberFormat::INT8: f = Format::INT8; break;
    default:
      return fail(why, why_len,
                  "accelerator number format %u is unknown (expected 0..4: fp32, bf16, fp16, int16, int8)",
                  unsigned(number_format));
  }
  *scales = S4dCoeffScales{};
  if (f == Format::FP32) return true;
  std::vector<cmd::CoeffRecord>& rec = *records;
  S4dCoeffScales sc;
  if (numfmt::is_integer(f)) {
    // One scale per coefficient kind over the whole layer (both directions, all passes).
    std::vector<float> b, c, d;
    for (const cmd::CoeffRecord& r : rec) {
      b.insert(b.end(), {r.b_re, r.b_im});
      c.insert(c.end(), {r.c_re, r.c_im});
      d.push_back(r.d);
    }
    sc.b = numfmt::symmetric_scale(f, b.data(), b.size());
    sc.c = numfmt::symmetric_scale(f, c.data(), c.size());
    sc.d = numfmt::symmetric_scale(f, d.data(), d.size());
  }
  auto stored = [f](float x, float scale) {
    switch (f) {
      case Format::BF16: return numfmt::round_to_bf16(x);
      case Format::FP16: return numfmt::round_to_fp16(x);
      default: return float(numfmt::quantise_to_int(x, scale, f)) * scale;
    }
  };
  for (size_t i = 0; i < rec.size(); ++i) {
    cmd::CoeffRecord& r = rec[i];
    struct Value { const char* name; float* v; float scale; };
    const Value values[] = {{"b_re", &r.b_re, sc.b}, {"b_im", &r.b_im, sc.b}, {"c_re", &r.c_re, sc.c},
                            {"c_im", &r.c_im, sc.c}, {"d", &r.d, sc.d}};
    for (const Value& v : values) {
      const float x = *v.v;
      *v.v = stored(x, v.scale);
      if (!std::isfinite(*v.v))
        return fail(why, why_len, "coefficient record %zu: %s = %g does not fit %s", i, v.name, double(x),
                    numfmt::format_name(f));
    }
  }
  *scales = sc;
  return true;
}

bool s4d_layer_run(Hal& hal, Driver& driver, const AccelInfo& hw, const S4dLayerJob& job,
                   S4dLayerResult* result) {
  S4dLayerResult& r = *result;
  r = S4dLayerResult{};
  char* msg = r.message;
  const size_t msg_len = sizeof r.message;
  if (!plan_s4d_layer(hw, job, &r.plan, msg, msg_len)) return false;
  const S4dPlan& plan = r.plan;
  // The stream reads the input while it writes the output (and, double-buffered, ahead of
  // it), and the records and stream live in the workspace: the three must be disjoint.
  // Resident tensors are in the scratchpads: only the workspace is in memory.
  const uint64_t tensor_bytes = job.resident ? 0 : 4ull * job.B * job.H * job.L;
  struct Range { const char* name; uint64_t lo, hi; };
  const Range ranges[] = {{"input", job.input_addr, job.input_addr + tensor_bytes},
                          {"output", job.output_addr, job.output_addr + tensor_bytes},
                          {"workspace", job.workspace_addr, job.workspace_addr + plan.coeff_bytes + plan.stream_bytes}};
  for (int i = 0; i < 3; ++i)
    for (int j = i + 1; j < 3; ++j)
      if (ranges[i].lo < ranges[i].hi && ranges[j].lo < ranges[j].hi && ranges[i].lo < ranges[j].hi &&
          ranges[j].lo < ranges[i].hi)
        return fail(msg, msg_len, "S4D layer job: %s [0x%llx, 0x%llx) overlaps %s [0x%llx, 0x%llx)",
                    ranges[i].name, (unsigned long long)ranges[i].lo, (unsigned long long)ranges[i].hi,
                    ranges[j].name, (unsigned long long)ranges[j].lo, (unsigned long long)ranges[j].hi);

  S4dParams params;
  if (!read_s4d_param_block(hal, job.params_addr, job.H, job.M, job.directions, &params, msg, msg_len))
    return false;
  std::vector<cmd::CoeffRecord> records;
  if (!discretise_zoh(params, plan.passes, plan.seg_len, hw.real_only, &records, msg, msg_len))
    return false;
  if (!apply_coeff_format(hw.number_format, &records, &r.scales, msg, msg_len)) return false;

  // Records [dir][pass][item][PE]: channel h's records of a direction and pass repeated for
  // every batch element (dp = dir*P + p indexes both).
  const size_t pass_bytes = size_t(job.H) * plan.seg_len * sizeof(cmd::CoeffRecord);
  std::vector<uint8_t> bytes(pass_bytes);
  for (uint32_t dp = 0; dp < job.directions * plan.passes; ++dp) {
    for (size_t i = 0; i < size_t(job.H) * plan.seg_len; ++i)
      put_coeff(&bytes[i * sizeof(cmd::CoeffRecord)], records[size_t(dp) * job.H * plan.seg_len + i]);
    for (uint32_t b = 0; b < job.B; ++b) {
      const uint64_t addr = job.workspace_addr + (uint64_t(dp) * job.B + b) * pass_bytes;
      if (hal.mem_write(addr, bytes.data(), pass_bytes) != HalStatus::OK)
        return fail(msg, msg_len, "workspace write of coefficient records at 0x%llx failed",
                    (unsigned long long)addr);
    }
  }

  const std::vector<cmd::Record> stream = build_s4d_stream(plan, job);
  r.commands = uint32_t(stream.size());
  const uint64_t stream_addr = s4d_stream_addr(job, plan);
  bytes.resize(stream.size() * cmd::kRecordBytes);
  for (size_t i = 0; i < stream.size(); ++i) cmd::pack(stream[i], &bytes[i * cmd::kRecordBytes]);
  if (hal.mem_write(stream_addr, bytes.data(), bytes.size()) != HalStatus::OK)
    return fail(msg, msg_len, "workspace write of the command stream at 0x%llx failed",
                (unsigned long long)stream_addr);

  const DriverStatus status = driver.run(stream_addr, uint32_t(bytes.size()), &r.job);
  if (status == DriverStatus::JOB_ERROR) {
    const char* op = "no command";
    uint8_t rec[cmd::kRecordBytes];
    if (r.job.cmd_index < stream.size() &&
        hal.mem_read(stream_addr + uint64_t(r.job.cmd_index) * cmd::kRecordBytes, rec, sizeof rec) ==
            HalStatus::OK)
      op = cmd::opcode_name(uint8_t(cmd::opcode_of(cmd::unpack(rec))));
    return fail(msg, msg_len, "accelerator error %s at command %u (%s)",
                regs::error_cause_name(r.job.cause), unsigned(r.job.cmd_index), op);
  }
  if (status != DriverStatus::OK)
    return fail(msg, msg_len, "driver error %s", driver_status_name(status));
  r.ok = true;
  return true;
}

}  // namespace epochcore::fw
