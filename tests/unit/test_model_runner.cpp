// The firmware's job and model-image runners (firmware/runner) on the fake accelerator:
// run_model_image over good and bad stage tables, and run_job (the dispatch the RV32
// firmware's main uses) against calling the kernels directly.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "epochcore/firmware/driver/driver.h"
#include "epochcore/firmware/kernels/gemm.h"
#include "epochcore/firmware/kernels/s4d_layer.h"
#include "epochcore/firmware/runner/job_runner.h"
#include "epochcore/firmware/runner/model_runner.h"
#include "epochcore/tests/unit/fake_accelerator.h"

using namespace epochcore;
using test::FakeAccelConfig;
using test::FakeAccelerator;

namespace {

constexpr uint64_t kBase = 0x80000000;

FakeAccelConfig config() {
  FakeAccelConfig cfg;
  cfg.mem_bytes = 4 << 20;
  return cfg;
}

void write_records(FakeAccelerator& fake, uint64_t addr, const std::vector<cmd::Record>& rs) {
  std::vector<uint8_t> bytes(rs.size() * cmd::kRecordBytes);
  for (size_t i = 0; i < rs.size(); ++i) cmd::pack(rs[i], &bytes[i * cmd::kRecordBytes]);
  REQUIRE(fake.mem_write(addr, bytes.data(), bytes.size()) == fw::HalStatus::OK);
}

ec_model_stage stage(uint64_t addr, uint32_t records, int32_t layer, const char* name) {
  ec_model_stage s{};
  s.stream_addr = addr;
  s.stream_bytes = records * uint32_t(cmd::kRecordBytes);
  s.layer = layer;
  std::strncpy(s.name, name, sizeof s.name - 1);
  return s;
}

void write_image(FakeAccelerator& fake, uint64_t addr, uint32_t magic, const std::vector<ec_model_stage>& stages) {
  ec_model_image_header h{magic, EC_MODEL_IMAGE_VERSION, uint32_t(stages.size()), 0};
  REQUIRE(fake.mem_write(addr, &h, sizeof h) == fw::HalStatus::OK);  // x86-64: little-endian
  for (size_t i = 0; i < stages.size(); ++i)
    REQUIRE(fake.mem_write(addr + sizeof h + i * sizeof(ec_model_stage), &stages[i], sizeof(ec_model_stage)) ==
            fw::HalStatus::OK);
}

struct HookLog {
  std::vector<std::string> names;
  std::vector<uint64_t> cycles;
};

void hook(void* ctx, uint32_t index, const ec_model_stage& s, const fw::JobResult& j) {
  auto* log = static_cast<HookLog*>(ctx);
  CHECK(index == log->names.size());
  log->names.emplace_back(s.name);
  log->cycles.push_back(j.cycles);
}

}  // namespace

TEST_CASE("run_model_image runs every stage in order and sums them", "[firmware][model_runner]") {
  FakeAccelerator fake(config());
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  // Three small streams: NOPs and END (the fake counts one cycle per command).
  const uint64_t s0 = kBase + 0x1000, s1 = kBase + 0x2000, s2 = kBase + 0x3000;
  write_records(fake, s0, {cmd::encode_nop(), cmd::encode_end()});
  write_records(fake, s1, {cmd::encode_nop(), cmd::encode_nop(), cmd::encode_barrier(), cmd::encode_end()});
  write_records(fake, s2, {cmd::encode_end()});
  const uint64_t image = kBase + 0x8000;
  write_image(fake, image, EC_MODEL_IMAGE_MAGIC,
              {stage(s0, 2, -1, "encoder"), stage(s1, 4, 0, "layers.0.ssm"), stage(s2, 1, -1, "head")});
  auto result = std::make_unique<ec_fw_result>();
  HookLog log;
  REQUIRE(fw::run_model_image(fake, driver, image, result.get(), hook, &log));
  CHECK(result->magic == EC_FW_RESULT_MAGIC);
  CHECK(result->ok == 1);
  CHECK(std::string(result->message).empty());
  CHECK(result->stages == 3);
  CHECK(result->commands == 7);
  CHECK(result->job.ok == 1);
  CHECK(result->job.commands_done == 7);
  CHECK(result->job.cmd_index == EC_ERR_INDEX_NONE);
  uint64_t sum = 0;
  for (uint32_t i = 0; i < 3; ++i) {
    CHECK(result->stage[i].ok == 1);
    CHECK(result->stage[i].cycles == log.cycles[i]);
    sum += result->stage[i].cycles;
  }
  CHECK(result->stage[1].commands_done == 4);
  CHECK(result->job.cycles == sum);
  CHECK(log.names == std::vector<std::string>{"encoder", "layers.0.ssm", "head"});
}

TEST_CASE("run_model_image refuses a bad image before running anything", "[firmware][model_runner]") {
  FakeAccelerator fake(config());
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  const uint64_t s0 = kBase + 0x1000, image = kBase + 0x8000;
  write_records(fake, s0, {cmd::encode_end()});
  auto result = std::make_unique<ec_fw_result>();
  HookLog log;

  SECTION("bad magic") {
    write_image(fake, image, 0x12345678u, {stage(s0, 1, -1, "encoder")});
    CHECK_FALSE(fw::run_model_image(fake, driver, image, result.get(), hook, &log));
    CHECK(std::string(result->message).find("bad magic 0x12345678") != std::string::npos);
  }
  SECTION("misaligned stream in a later stage") {
    write_image(fake, image, EC_MODEL_IMAGE_MAGIC, {stage(s0, 1, -1, "encoder"), stage(s0 + 4, 1, 0, "layers.0.ssm")});
    CHECK_FALSE(fw::run_model_image(fake, driver, image, result.get(), hook, &log));
    CHECK(std::string(result->message).find("stage 1 (layers.0.ssm)") != std::string::npos);
  }
  SECTION("no stages") {
    write_image(fake, image, EC_MODEL_IMAGE_MAGIC, {});
    CHECK_FALSE(fw::run_model_image(fake, driver, image, result.get(), hook, &log));
    CHECK(std::string(result->message).find("0 stages") != std::string::npos);
  }
  SECTION("image outside memory") {
    CHECK_FALSE(fw::run_model_image(fake, driver, 0x10, result.get(), hook, &log));
    CHECK(result->driver_status == uint32_t(fw::DriverStatus::BUS_ERROR));
  }
  CHECK(result->magic == EC_FW_RESULT_MAGIC);
  CHECK(result->ok == 0);
  CHECK(result->stages == 0);
  CHECK(log.names.empty());
  CHECK(fake.commands_executed[uint8_t(cmd::Opcode::END)] == 0);
}

TEST_CASE("run_model_image stops at the failing stage and names it and the cause", "[firmware][model_runner]") {
  FakeAccelerator fake(config());
  fw::Driver driver(fake);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  const uint64_t s0 = kBase + 0x1000, s1 = kBase + 0x2000, s2 = kBase + 0x3000, image = kBase + 0x8000;
  write_records(fake, s0, {cmd::encode_nop(), cmd::encode_end()});
  cmd::Record bad = cmd::encode_nop();
  bad.w[0] = 0x7F;  // no such opcode
  write_records(fake, s1, {cmd::encode_nop(), bad, cmd::encode_end()});
  write_records(fake, s2, {cmd::encode_end()});
  write_image(fake, image, EC_MODEL_IMAGE_MAGIC,
              {stage(s0, 2, -1, "encoder"), stage(s1, 3, 0, "layers.0.ssm"), stage(s2, 1, -1, "head")});
  auto result = std::make_unique<ec_fw_result>();
  HookLog log;
  CHECK_FALSE(fw::run_model_image(fake, driver, image, result.get(), hook, &log));
  CHECK(result->ok == 0);
  CHECK(result->stages == 2);  // the failed stage has its slot
  CHECK(result->stage[0].ok == 1);
  CHECK(result->stage[1].ok == 0);
  CHECK(result->stage[1].cause == uint32_t(regs::ErrorCause::UNKNOWN_OPCODE));
  CHECK(result->stage[1].cmd_index == 1);
  CHECK(result->driver_status == uint32_t(fw::DriverStatus::JOB_ERROR));
  CHECK(result->job.cause == uint32_t(regs::ErrorCause::UNKNOWN_OPCODE));
  CHECK(std::string(result->message) == "stage 1 (layers.0.ssm): accelerator error UNKNOWN_OPCODE at command 1 (opcode 0x7f UNKNOWN)");
  CHECK(log.names == std::vector<std::string>{"encoder"});  // the hook sees completed stages only
}

namespace {

S4dParams params(uint32_t H, uint32_t M, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> log_dt(std::log(1e-3), std::log(1e-1));
  S4dParams p;
  p.H = H;
  p.M = M;
  for (uint32_t h = 0; h < H; ++h) {
    p.log_dt.push_back(log_dt(rng));
    p.D.push_back(normal(rng));
    for (uint32_t n = 0; n < M; ++n) {
      p.log_A_real.push_back(std::log(0.5));
      p.A_imag.push_back(M_PI * n);
      p.C.push_back(normal(rng));
      p.C.push_back(normal(rng));
    }
  }
  return p;
}

struct S4dSetup {
  ec_fw_job job{};
  fw::S4dLayerJob kernel;
  std::vector<float> u;
};

S4dSetup s4d_setup(FakeAccelerator& fake, uint32_t H, uint32_t M, uint32_t L, uint32_t B, uint32_t seed) {
  S4dSetup s;
  const std::vector<uint8_t> block = fw::encode_s4d_param_block(params(H, M, seed));
  s.u.resize(size_t(B) * H * L);
  std::mt19937 rng(seed + 1);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : s.u) v = normal(rng);
  fw::S4dLayerJob& k = s.kernel;
  k.H = H;
  k.M = M;
  k.L = L;
  k.B = B;
  k.params_addr = kBase;
  k.input_addr = kBase + ((block.size() + 63) / 64) * 64;
  k.output_addr = k.input_addr + s.u.size() * 4 + 64;
  k.workspace_addr = k.output_addr + s.u.size() * 4 + 64;
  k.workspace_bytes = 1 << 20;
  REQUIRE(fake.mem_write(k.params_addr, block.data(), block.size()) == fw::HalStatus::OK);
  REQUIRE(fake.mem_write(k.input_addr, s.u.data(), s.u.size() * 4) == fw::HalStatus::OK);
  ec_fw_job& j = s.job;
  j.magic = EC_FW_JOB_MAGIC;
  j.version = EC_FW_JOB_VERSION;
  j.kind = EC_FW_JOB_S4D_LAYER;
  j.H = H;
  j.M = M;
  j.L = L;
  j.B = B;
  j.directions = 1;
  j.params_addr = k.params_addr;
  j.input_addr = k.input_addr;
  j.output_addr = k.output_addr;
  j.workspace_addr = k.workspace_addr;
  j.workspace_bytes = k.workspace_bytes;
  return s;
}

std::vector<uint8_t> read_mem(FakeAccelerator& fake, uint64_t addr, size_t bytes) {
  std::vector<uint8_t> v(bytes);
  REQUIRE(fake.mem_read(addr, v.data(), bytes) == fw::HalStatus::OK);
  return v;
}

}  // namespace

TEST_CASE("run_job runs an S4D layer exactly as s4d_layer_run does", "[firmware][job_runner]") {
  for (uint8_t format : {uint8_t(0), uint8_t(regs::NumberFormat::BF16), uint8_t(regs::NumberFormat::INT8)}) {
    CAPTURE(int(format));
    FakeAccelConfig cfg = config();
    cfg.number_format = format;
    // Direct call.
    FakeAccelerator direct(cfg);
    S4dSetup a = s4d_setup(direct, 6, 5, 40, 2, 11);
    fw::Driver driver(direct);
    fw::AccelInfo info;
    REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
    fw::S4dLayerResult lr;
    REQUIRE(fw::s4d_layer_run(direct, driver, info, a.kernel, &lr));
    // Through the job block.
    FakeAccelerator viajob(cfg);
    S4dSetup b = s4d_setup(viajob, 6, 5, 40, 2, 11);
    auto result = std::make_unique<ec_fw_result>();
    REQUIRE(fw::run_job(viajob, b.job, result.get()));
    CHECK(result->magic == EC_FW_RESULT_MAGIC);
    CHECK(result->ok == 1);
    CHECK(result->driver_status == 0);
    CHECK(std::string(result->message).empty());
    CHECK(result->commands == lr.commands);
    CHECK(result->job.cycles == lr.job.cycles);
    CHECK(result->job.commands_done == lr.job.commands_done);
    CHECK(result->plan[0] == lr.plan.passes);
    CHECK(result->plan[1] == lr.plan.seg_len);
    CHECK(result->plan[5] == lr.plan.chunk_len);
    CHECK(result->plan[7] == uint32_t(lr.plan.double_buffered));
    CHECK(result->scales[0] == lr.scales.b);
    CHECK(result->scales[1] == lr.scales.c);
    CHECK(result->scales[2] == lr.scales.d);
    const size_t out_bytes = a.u.size() * 4;
    CHECK(read_mem(direct, a.kernel.output_addr, out_bytes) == read_mem(viajob, b.kernel.output_addr, out_bytes));
    const size_t ws = size_t(lr.plan.coeff_bytes + lr.plan.stream_bytes);
    CHECK(read_mem(direct, a.kernel.workspace_addr, ws) == read_mem(viajob, b.kernel.workspace_addr, ws));
  }
}

TEST_CASE("the S4D layer writes the records discretise_zoh and apply_coeff_format make", "[firmware][job_runner]") {
  // The firmware's path (parameters read tensor by tensor, records formatted in the
  // workspace) against the host conveniences over S4dParams and vectors.
  for (uint8_t format : {uint8_t(0), uint8_t(regs::NumberFormat::FP16), uint8_t(regs::NumberFormat::INT16)}) {
    CAPTURE(int(format));
    FakeAccelConfig cfg = config();
    cfg.number_format = format;
    FakeAccelerator fake(cfg);
    S4dSetup s = s4d_setup(fake, 3, 11, 16, 2, 5);  // M = 11 > cols = 8: two passes, padding modes
    fw::Driver driver(fake);
    fw::AccelInfo info;
    REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
    fw::S4dLayerResult lr;
    REQUIRE(fw::s4d_layer_run(fake, driver, info, s.kernel, &lr));
    std::vector<cmd::CoeffRecord> rec;
    char why[256];
    REQUIRE(fw::discretise_zoh(params(3, 11, 5), lr.plan.passes, lr.plan.seg_len, false, &rec, why, sizeof why));
    fw::S4dCoeffScales sc;
    REQUIRE(fw::apply_coeff_format(format, &rec, &sc, why, sizeof why));
    CHECK(sc.b == lr.scales.b);
    CHECK(sc.c == lr.scales.c);
    CHECK(sc.d == lr.scales.d);
    const size_t group = size_t(3) * lr.plan.seg_len;  // records per (dir, pass)
    for (size_t dp = 0; dp < rec.size() / group; ++dp)
      for (uint32_t b = 0; b < 2; ++b) {
        const std::vector<uint8_t> got =
            read_mem(fake, s.kernel.workspace_addr + ((dp * 2 + b) * group) * 32, group * 32);
        CHECK(std::memcmp(got.data(), &rec[dp * group], group * 32) == 0);  // little-endian host
      }
  }
}

TEST_CASE("run_job runs a GEMM exactly as gemm_run does", "[firmware][job_runner][gemm]") {
  const uint32_t M = 9, N = 13, K = 6;
  std::vector<float> A(M * K), B(K * N);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : A) v = normal(rng);
  for (float& v : B) v = normal(rng);
  fw::GemmJob g;
  g.M = M;
  g.N = N;
  g.K = K;
  g.a_addr = kBase;
  g.b_addr = kBase + 0x1000;
  g.c_addr = kBase + 0x2000;
  g.workspace_addr = kBase + 0x4000;
  g.workspace_bytes = 0x10000;
  auto setup = [&](FakeAccelerator& f) {
    REQUIRE(f.mem_write(g.a_addr, A.data(), A.size() * 4) == fw::HalStatus::OK);
    REQUIRE(f.mem_write(g.b_addr, B.data(), B.size() * 4) == fw::HalStatus::OK);
  };
  FakeAccelerator direct(config()), viajob(config());
  setup(direct);
  setup(viajob);
  fw::Driver driver(direct);
  fw::AccelInfo info;
  REQUIRE(driver.probe(&info) == fw::DriverStatus::OK);
  fw::GemmResult gr;
  REQUIRE(fw::gemm_run(direct, driver, info, g, &gr));
  ec_fw_job job{};
  job.magic = EC_FW_JOB_MAGIC;
  job.version = EC_FW_JOB_VERSION;
  job.kind = EC_FW_JOB_GEMM;
  job.gemm_m = M;
  job.gemm_n = N;
  job.gemm_k = K;
  job.a_addr = g.a_addr;
  job.b_addr = g.b_addr;
  job.c_addr = g.c_addr;
  job.workspace_addr = g.workspace_addr;
  job.workspace_bytes = g.workspace_bytes;
  auto result = std::make_unique<ec_fw_result>();
  REQUIRE(fw::run_job(viajob, job, result.get()));
  CHECK(result->commands == gr.plan.commands);
  CHECK(result->job.cycles == gr.job.cycles);
  CHECK(result->plan[0] == gr.plan.k_blocks);
  CHECK(result->plan[1] == gr.plan.n_blocks);
  CHECK(result->plan[6] == gr.plan.commands);
  CHECK(read_mem(direct, g.c_addr, M * N * 4) == read_mem(viajob, g.c_addr, M * N * 4));
  // The stream in memory is what build_gemm_stream returns.
  const std::vector<cmd::Record> stream = fw::build_gemm_stream(info, gr.plan, g);
  const std::vector<uint8_t> mem = read_mem(viajob, g.workspace_addr, stream.size() * 32);
  for (size_t i = 0; i < stream.size(); ++i) CHECK(cmd::unpack(&mem[i * 32]).w[0] == stream[i].w[0]);
}

TEST_CASE("run_job refuses bad job blocks and reports kernel errors", "[firmware][job_runner]") {
  FakeAccelerator fake(config());
  auto result = std::make_unique<ec_fw_result>();
  ec_fw_job job{};
  job.magic = EC_FW_JOB_MAGIC;
  job.version = EC_FW_JOB_VERSION;
  SECTION("bad magic") {
    job.magic = 0;
    CHECK_FALSE(fw::run_job(fake, job, result.get()));
    CHECK(std::string(result->message).find("bad magic") != std::string::npos);
  }
  SECTION("bad version") {
    job.version = 7;
    CHECK_FALSE(fw::run_job(fake, job, result.get()));
    CHECK(std::string(result->message).find("version 7") != std::string::npos);
  }
  SECTION("unknown kind") {
    job.kind = 9;
    CHECK_FALSE(fw::run_job(fake, job, result.get()));
    CHECK(std::string(result->message).find("unknown kind 9") != std::string::npos);
  }
  SECTION("no accelerator") {
    FakeAccelConfig cfg = config();
    cfg.id = 0;
    FakeAccelerator none(cfg);
    job.kind = EC_FW_JOB_GEMM;
    CHECK_FALSE(fw::run_job(none, job, result.get()));
    CHECK(result->driver_status == uint32_t(fw::DriverStatus::BAD_ID));
  }
  SECTION("a GEMM that cannot run") {
    job.kind = EC_FW_JOB_GEMM;
    CHECK_FALSE(fw::run_job(fake, job, result.get()));
    CHECK(std::string(result->message).find("gemm: M, N and K must be at least 1") != std::string::npos);
  }
  SECTION("a model image") {
    job.kind = EC_FW_JOB_MODEL;
    job.image_addr = kBase;
    CHECK_FALSE(fw::run_job(fake, job, result.get()));  // zeroed memory: bad magic
    CHECK(std::string(result->message).find("bad magic 0x00000000") != std::string::npos);
  }
  CHECK(result->magic == EC_FW_RESULT_MAGIC);
  CHECK(result->ok == 0);
  char line[400];
  fw::summarise_result(job, *result, line, sizeof line);
  CHECK(std::string(line).rfind("FAILED: ", 0) == 0);
}
