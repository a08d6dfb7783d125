// Writes the seeds that need the project's own writers: whole-model inputs for fuzz_model
// (description, seeded weights, inputs, lengths, joined by "\n####\n") and command
// streams from the encoders for fuzz_commands. make_corpus.py builds and runs it:
//   make_seeds CORPUS_DIR
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "epochcore/contract/commands.h"
#include "epochcore/maths/reference/s4_model_reference.h"
#include "epochcore/platform/io/model_file.h"
#include "epochcore/platform/io/npy.h"

using namespace epochcore;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void model_seed(const std::string& dir, const std::string& name, const S4ModelDesc& d,
                const std::vector<int64_t>& inputs, const std::vector<size_t>& in_shape,
                const std::vector<int64_t>& lengths, const std::vector<size_t>& len_shape) {
  const std::string tmp = dir + "/../tmp_" + name;
  io::save_model_weights(tmp + ".safetensors", d, s4_model_init(d, 7), "F32");
  io::write_npy_i64(tmp + "_in.npy", in_shape, inputs.data());
  std::string seed = io::model_description_to_yaml(d) + "\n####\n" +
                     slurp(tmp + ".safetensors") + "\n####\n" + slurp(tmp + "_in.npy");
  if (!lengths.empty()) {
    io::write_npy_i64(tmp + "_len.npy", len_shape, lengths.data());
    seed += "\n####\n" + slurp(tmp + "_len.npy");
    std::remove((tmp + "_len.npy").c_str());
  }
  put(dir + "/model/" + name, seed);
  std::remove((tmp + ".safetensors").c_str());
  std::remove((tmp + "_in.npy").c_str());
}

std::string records(const std::vector<cmd::Record>& rs) {
  std::string out;
  for (const cmd::Record& r : rs) {
    uint8_t b[cmd::kRecordBytes];
    cmd::pack(r, b);
    out.append(reinterpret_cast<const char*>(b), sizeof b);
  }
  return out;
}

// The limits block fuzz_commands reads: rows/cols as small bytes, segments, spad sizes.
std::string limits(uint8_t rows, uint8_t cols, bool segments, uint32_t in, uint32_t param,
                   uint32_t out, uint8_t format, uint32_t loaded) {
  std::string b(cmd::kRecordBytes, '\0');
  b[0] = 0;
  b[1] = static_cast<char>(rows);
  b[2] = 0;
  b[3] = static_cast<char>(cols);
  b[4] = segments ? 1 : 0;
  const uint32_t words[3] = {in, param, out};
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 4; ++k) b[8 + 4 * i + k] = static_cast<char>(words[i] >> (8 * k));
  b[20] = static_cast<char>(format);
  for (int k = 0; k < 4; ++k) b[24 + k] = static_cast<char>(loaded >> (8 * k));
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];

  S4ModelDesc tokens;
  tokens.task = "tiny_tokens";
  tokens.input = InputKind::Tokens;
  tokens.d_input = 5;
  tokens.H = 4;
  tokens.M = 2;
  tokens.L = 6;
  tokens.n_layers = 1;
  tokens.classes = 3;
  model_seed(dir, "tokens", tokens, {0, 1, 2, 3, 4, 0, 4, 3, 2, 1, 0, 1}, {2, 6}, {6, 3}, {2});

  S4ModelDesc values = tokens;
  values.task = "tiny_values";
  values.input = InputKind::Values;
  values.d_input = 1;
  values.n_layers = 2;
  values.prenorm = true;
  values.norm = NormKind::Layer;
  values.bidirectional = true;
  model_seed(dir, "values", values, {1, 2, 3, 4, 5, 6}, {1, 6}, {}, {});

  S4ModelDesc retrieval = tokens;
  retrieval.task = "tiny_retrieval";
  retrieval.retrieval = true;
  model_seed(dir, "retrieval", retrieval, {0, 1, 2, 3, 4, 0, 4, 3, 2, 1, 0, 1}, {1, 2, 6},
             {6, 2}, {1, 2});

  // Command streams from the encoders, as the firmware writes them.
  cmd::DmaDesc in;
  in.sys_addr = 0x1000;
  in.spad = cmd::SpadId::INPUT;
  in.row_bytes = 256;
  in.rows = 4;
  in.sys_stride = 256;
  in.spad_stride = 256;
  cmd::DmaDesc out = in;
  out.spad = cmd::SpadId::OUTPUT;
  cmd::RunSsm ssm;
  ssm.flags = cmd::FLAG_RESET_STATE;
  ssm.in_stride = 256;
  ssm.out_stride = 256;
  ssm.length = 64;
  cmd::RunSsm acc = ssm;
  acc.flags = cmd::FLAG_ACCUMULATE | cmd::FLAG_REVERSE;
  cmd::RunGemm gemm;
  gemm.in_stride = 32;
  gemm.out_stride = 32;
  gemm.k = 4;
  gemm.n = 8;
  gemm.m = 16;
  cmd::RunVec vec;
  vec.op = cmd::VecOp::GELU;
  vec.channels = 4;
  vec.length = 16;
  vec.a_stride = 16;
  vec.d_stride = 16;
  cmd::RunVec norm = vec;
  norm.op = cmd::VecOp::LAYERNORM;
  norm.b_spad = cmd::SpadId::PARAM;
  cmd::RunVec embed = vec;
  embed.op = cmd::VecOp::EMBED;
  embed.b_stride = 10;
  const std::string hw = limits(4, 8, true, 65536, 8192, 65536, 0, 4);
  put(dir + "/commands/ssm_stream",
      hw + records({cmd::encode_dma(true, in), cmd::encode_barrier(),
                    cmd::encode_load_coeffs({0, 4, 8}), cmd::encode_run_ssm(ssm),
                    cmd::encode_run_ssm(acc), cmd::encode_barrier(), cmd::encode_dma(false, out),
                    cmd::encode_end()}));
  put(dir + "/commands/gemm_vec_stream",
      hw + records({cmd::encode_run_gemm(gemm), cmd::encode_run_vec(vec), cmd::encode_run_vec(norm),
                    cmd::encode_run_vec(embed), cmd::encode_nop(), cmd::encode_end()}));
  put(dir + "/commands/int8_noseg",
      limits(32, 32, false, 1 << 22, 1 << 19, 1 << 22, 4, 32) +
          records({cmd::encode_load_coeffs({64, 32, 32}), cmd::encode_run_ssm(ssm),
                   cmd::encode_run_vec(vec), cmd::encode_end()}));
  return 0;
}
