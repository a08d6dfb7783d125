#include "epochcore/platform/io/model_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "epochcore/platform/io/safetensors.h"
#include "epochcore/platform/io/yaml_load.h"

namespace epochcore::io {
namespace {

// ---------------------------------------------------------------- model description

const char* const kKeys[] = {"task",      "description", "input",         "d_input",  "H",
                             "N",         "M",           "L",             "n_layers", "prenorm",
                             "norm",      "bidirectional", "pooling",     "classes",  "retrieval",
                             "dropout",   "norm_eps",    "init",          "dt_min",   "dt_max",
                             "block",     "d_state",     "d_conv",        "expand",   "dt_rank",
                             "liquid_kernel", "liquid_degree", "allcombs", "lcontract"};
// Keys of one block kind only (docs/models.md).
const char* const kS4dOnlyKeys[] = {"N", "M", "bidirectional", "init"};  // not mamba
const char* const kMambaOnlyKeys[] = {"d_state", "d_conv", "expand", "dt_rank"};
const char* const kLiquidKeys[] = {"liquid_kernel", "liquid_degree", "allcombs", "lcontract"};

std::string where(const std::string& origin, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return origin + ": ";
  return origin + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) +
         ": ";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string unknown_key_message(const std::string& key) {
  std::string best;
  size_t best_distance = 3;  // suggest only near misses (at most 2 edits)
  std::string valid;
  for (const char* k : kKeys) {
    valid += (valid.empty() ? "" : ", ") + std::string(k);
    const size_t dist = edit_distance(key, k);
    if (dist < best_distance && dist < std::max<size_t>(key.size(), 2)) {
      best_distance = dist;
      best = k;
    }
  }
  return key + ": unknown key" + (best.empty() ? "" : " (did you mean " + best + "?)") +
         "; valid keys: " + valid;
}

// Reads one key's value; every error names the key and its line.
struct ValueReader {
  const std::string& origin;
  const std::string& key;
  const YAML::Node& node;

  [[noreturn]] void fail(const std::string& expected) const {
    const std::string got = node.IsScalar() ? "'" + node.Scalar() + "'"
                            : node.IsMap()  ? "a map"
                            : node.IsSequence() ? "a list"
                                                : "an empty value";
    throw FormatError(where(origin, node) + key + ": expected " + expected + ", got " + got);
  }
  std::string text(const std::string& expected) const {
    if (!node.IsScalar()) fail(expected);
    return node.Scalar();
  }
  uint32_t size(uint64_t max) const {
    const std::string expected = "an integer in [1, " + std::to_string(max) + "]";
    const std::string t = text(expected);
    uint64_t v = 0;
    const char* first = t.c_str() + (!t.empty() && t[0] == '+' ? 1 : 0);
    const auto [end, error] = std::from_chars(first, t.c_str() + t.size(), v);
    if (error != std::errc() || end != t.c_str() + t.size() || first == end || v < 1 || v > max)
      fail(expected);
    return static_cast<uint32_t>(v);
  }
  bool flag() const {
    const std::string t = text("true or false");
    if (t != "true" && t != "false") fail("true or false");
    return t == "true";
  }
  double number(const std::string& expected) const {
    const std::string t = text(expected);
    const char* first = t.c_str() + (!t.empty() && t[0] == '+' ? 1 : 0);
    double v = 0;
    const auto [end, error] = std::from_chars(first, t.c_str() + t.size(), v);
    if (error != std::errc() || end != t.c_str() + t.size() || first == end || !std::isfinite(v))
      fail(expected);
    return v;
  }
  std::string choice(std::initializer_list<const char*> options) const {
    std::string expected = "one of";
    for (const char* o : options) expected += std::string(expected.size() > 6 ? ", " : " ") + o;
    const std::string t = text(expected);
    for (const char* o : options)
      if (t == o) return t;
    fail(expected);
  }
};

// ---------------------------------------------------------------- weights

std::string shape_text(const std::vector<size_t>& shape) { return detail::shape_string(shape); }

// Every tensor with the vector of `w` that holds it. `w` must already be sized as `d`
// expects (prepare_weights) for the pointers to be the ones that get filled.
std::vector<std::pair<TensorSpec, std::vector<double>*>> bind(const S4ModelDesc& d,
                                                               S4ModelWeights& w) {
  const size_t H = d.H, M = d.M, F = d.d_input, C = d.classes;
  std::vector<std::pair<TensorSpec, std::vector<double>*>> out;
  const auto add = [&out](const std::string& name, std::vector<size_t> shape,
                          std::vector<double>* data) { out.push_back({{name, shape}, data}); };
  const auto add_norm = [&](const std::string& prefix, NormWeights& n) {
    add(prefix + "weight", {H}, &n.weight);
    add(prefix + "bias", {H}, &n.bias);
    if (d.norm == NormKind::Batch) {
      add(prefix + "running_mean", {H}, &n.running_mean);
      add(prefix + "running_var", {H}, &n.running_var);
    }
  };
  if (d.input == InputKind::Tokens) {
    add("encoder.weight", {F, H}, &w.embedding);  // torch.nn.Embedding [vocab, H]
  } else {
    add("encoder.weight", {H, F}, &w.encoder.weight);
    add("encoder.bias", {H}, &w.encoder.bias);
  }
  // Mamba layers: state-spaces/mamba's Mamba module (mixer) and Block (norm), then norm_f.
  const size_t Din = mamba_inner_width(d), NS = d.d_state, K = d.d_conv, R = mamba_dt_rank(d);
  for (size_t i = 0; i < w.mamba_layers.size(); ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    MambaBlockWeights& b = w.mamba_layers[i];
    add(p + "mixer.in_proj.weight", {2 * Din, H}, &b.in_proj);
    add(p + "mixer.conv1d.weight", {Din, 1, K}, &b.conv_weight);
    add(p + "mixer.conv1d.bias", {Din}, &b.conv_bias);
    add(p + "mixer.x_proj.weight", {R + 2 * NS, Din}, &b.x_proj);
    add(p + "mixer.dt_proj.weight", {Din, R}, &b.dt_proj);
    add(p + "mixer.dt_proj.bias", {Din}, &b.dt_bias);
    add(p + "mixer.A_log", {Din, NS}, &b.A_log);
    add(p + "mixer.D", {Din}, &b.D);
    add(p + "mixer.out_proj.weight", {H, Din}, &b.out_proj);
    add(p + "norm.weight", {H}, &b.norm);
  }
  if (d.block == BlockKind::Mamba) add("norm_f.weight", {H}, &w.final_norm.weight);
  for (size_t i = 0; i < w.layers.size(); ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    S4BlockWeights& b = w.layers[i];
    add(p + "layer.kernel.log_dt", {H}, &b.ssm.log_dt);
    add(p + "layer.kernel.log_A_real", {H, M}, &b.ssm.log_A_real);
    add(p + "layer.kernel.A_imag", {H, M}, &b.ssm.A_imag);
    add(p + "layer.kernel.C",
        d.bidirectional ? std::vector<size_t>{2, H, M, 2} : std::vector<size_t>{H, M, 2},
        &b.ssm.C);
    add(p + "layer.D", {H}, &b.ssm.D);
    if (d.block == BlockKind::LiquidS4) {  // docs/models.md "Liquid-S4 blocks"
      const size_t dirs = d.bidirectional ? 2 : 1;
      if (d.liquid_kernel == LiquidKernel::PolyB)
        add(p + "layer.liquid.gamma", {dirs, size_t(d.liquid_degree) - 1, H}, &b.liquid.gamma);
      else
        add(p + "layer.liquid.S", {dirs, H}, &b.liquid.S);
    }
    add(p + "layer.output_linear.weight", {2 * H, H}, &b.output_linear.weight);
    add(p + "layer.output_linear.bias", {2 * H}, &b.output_linear.bias);
    add_norm(p + "norm.", b.norm);
  }
  if (d.prenorm && d.block != BlockKind::Mamba) add_norm("norm.", w.final_norm);
  if (d.retrieval) {
    add("decoder.retrieval.classifier.0.weight", {H, 4 * H}, &w.retrieval_hidden.weight);
    add("decoder.retrieval.classifier.0.bias", {H}, &w.retrieval_hidden.bias);
    add("decoder.retrieval.classifier.2.weight", {C, H}, &w.retrieval_out.weight);
    add("decoder.retrieval.classifier.2.bias", {C}, &w.retrieval_out.bias);
  } else {
    add("decoder.weight", {C, H}, &w.decoder.weight);
    add("decoder.bias", {C}, &w.decoder.bias);
  }
  return out;
}

// Empty weights with the structure (sizes of the scalar fields, layer count) of `d`.
S4ModelWeights prepare_weights(const S4ModelDesc& d) {
  S4ModelWeights w;
  if (d.input == InputKind::Values) w.encoder.in = d.d_input, w.encoder.out = d.H;
  if (d.block == BlockKind::Mamba) w.mamba_layers.resize(d.n_layers);
  else w.layers.resize(d.n_layers);
  for (S4BlockWeights& b : w.layers) {
    b.ssm.H = d.H;
    b.ssm.M = d.M;
    b.ssm.directions = d.bidirectional ? 2 : 1;
    b.output_linear.in = d.H;
    b.output_linear.out = 2 * d.H;
  }
  if (d.retrieval) {
    w.retrieval_hidden.in = 4 * d.H, w.retrieval_hidden.out = d.H;
    w.retrieval_out.in = d.H, w.retrieval_out.out = d.classes;
  } else {
    w.decoder.in = d.H, w.decoder.out = d.classes;
  }
  return w;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Value checks the shapes cannot catch, reported with the tensor's name.
void check_values(const std::string& path, const std::string& name, const std::vector<double>& v,
                  const S4ModelDesc& d) {
  for (size_t i = 0; i < v.size(); ++i) {
    std::string problem;
    if (ends_with(name, ".kernel.log_dt") &&
        !(std::isfinite(std::exp(v[i])) && std::exp(v[i]) > 0.0))
      problem = "dt = exp(log_dt) must be a positive finite number";
    if (ends_with(name, ".kernel.log_A_real") && !std::isfinite(std::exp(v[i])))
      problem = "exp(log_A_real) overflows";
    if (ends_with(name, ".mixer.A_log") && !std::isfinite(std::exp(v[i])))
      problem = "A = -exp(A_log) overflows";
    if (ends_with(name, ".running_var") && !(v[i] + d.norm_eps > 0.0))
      problem = "running_var + norm_eps must be positive";
    if (!problem.empty()) {
      std::ostringstream msg;
      msg << path << ": tensor '" << name << "' element " << i << " = " << v[i] << ": " << problem;
      throw FormatError(msg.str());
    }
  }
}

std::string yaml_double(double v) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string text = buf;
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// A YAML scalar for free text: double-quoted with escapes.
std::string yaml_string(const std::string& s) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << s;
  return e.c_str();
}

}  // namespace

S4ModelDesc parse_model_description(const YAML::Node& map, const std::string& origin) {
  if (!map.IsMap())
    throw FormatError(where(origin, map) + "expected a map of model keys (task, input, H, ...)");
  S4ModelDesc d;
  std::set<std::string> seen;
  std::map<std::string, YAML::Node> key_nodes;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key_node = it->first;
    const YAML::Node value = it->second;
    if (!key_node.IsScalar())
      throw FormatError(where(origin, key_node) + "keys must be plain names");
    const std::string key = key_node.Scalar();
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
      throw FormatError(where(origin, key_node) + unknown_key_message(key));
    if (!seen.insert(key).second) throw FormatError(where(origin, key_node) + key + ": duplicate key");
    key_nodes[key] = key_node;
    const ValueReader r{origin, key, value};
    if (key == "task") d.task = r.text("a name");
    else if (key == "description") d.description = value.IsNull() ? "" : r.text("a string");
    else if (key == "input") d.input = r.choice({"tokens", "values"}) == "tokens" ? InputKind::Tokens : InputKind::Values;
    else if (key == "d_input") d.d_input = r.size(kMaxModelLength);
    else if (key == "H") d.H = r.size(kMaxModelWidth);
    else if (key == "M") d.M = r.size(kMaxModelWidth);
    else if (key == "N") {
      const uint32_t N = r.size(2 * uint64_t(kMaxModelWidth));
      if (N % 2) r.fail("an even state size N = 2M (conjugate pairs)");
      d.M = N / 2;
    }
    else if (key == "L") d.L = r.size(kMaxModelLength);
    else if (key == "n_layers") d.n_layers = r.size(kMaxModelLayers);
    else if (key == "prenorm") d.prenorm = r.flag();
    else if (key == "norm") {
      const std::string n = r.choice({"batch", "layer", "rms"});
      d.norm = n == "batch" ? NormKind::Batch : n == "layer" ? NormKind::Layer : NormKind::RMS;
    }
    else if (key == "block") {
      const std::string b = r.choice({"s4d", "liquid_s4", "mamba"});
      d.block = b == "mamba" ? BlockKind::Mamba : b == "liquid_s4" ? BlockKind::LiquidS4 : BlockKind::S4D;
    }
    else if (key == "d_state") d.d_state = r.size(kMaxModelWidth);
    else if (key == "d_conv") d.d_conv = r.size(kMaxMambaConv);
    else if (key == "expand") d.expand = r.size(kMaxMambaExpand);
    else if (key == "dt_rank") {
      if (value.IsScalar() && value.Scalar() == "auto") d.dt_rank = 0;
      else d.dt_rank = static_cast<uint32_t>(
          ValueReader{origin, key, value}.size(uint64_t(kMaxMambaExpand) * kMaxModelWidth));
    }
    else if (key == "bidirectional") d.bidirectional = r.flag();
    else if (key == "pooling") d.pooling = r.choice({"mean"});
    else if (key == "classes") d.classes = r.size(kMaxModelClasses);
    else if (key == "retrieval") d.retrieval = r.flag();
    else if (key == "dropout") {
      d.dropout = r.number("a number in [0, 1)");
      if (!(d.dropout >= 0.0 && d.dropout < 1.0)) r.fail("a number in [0, 1)");
    }
    else if (key == "norm_eps") {
      d.norm_eps = r.number("a positive number");
      if (!(d.norm_eps > 0.0)) r.fail("a positive number");
    }
    else if (key == "init") d.init = r.choice({"s4d_lin", "s4d_inv", "s4d_real"});
    else if (key == "dt_min") d.dt_min = r.number("a positive number");
    else if (key == "dt_max") d.dt_max = r.number("a positive number");
    else if (key == "liquid_kernel") {
      const std::string k = r.choice({"polyb", "kb", "kb_repo"});
      d.liquid_kernel = k == "polyb" ? LiquidKernel::PolyB : k == "kb" ? LiquidKernel::KB : LiquidKernel::KBRepo;
    }
    else if (key == "liquid_degree") {
      const std::string expected = "an integer in [2, " + std::to_string(kMaxLiquidDegree) + "]";
      const std::string t = r.text(expected);
      if (t.size() != 1 || t[0] < '2' || uint32_t(t[0] - '0') > kMaxLiquidDegree) r.fail(expected);
      d.liquid_degree = uint32_t(t[0] - '0');
    }
    else if (key == "allcombs") d.allcombs = r.flag();
    else if (key == "lcontract") {
      const std::string g = r.choice({"none", "tanh", "lecun"});
      d.lcontract = g == "none" ? LiquidContract::None : g == "tanh" ? LiquidContract::Tanh : LiquidContract::Lecun;
    }
  }
  const bool mamba = d.block == BlockKind::Mamba;
  for (const char* key : mamba ? kS4dOnlyKeys : kMambaOnlyKeys)
    if (seen.count(key))
      throw FormatError(where(origin, key_nodes[key]) + key + ": not a key of block " +
                        (mamba ? "mamba (the state size is d_state; Mamba is causal, A_log is initialised "
                                 "S4D-real)"
                               : "s4d (d_state, d_conv, expand and dt_rank are for block: mamba)"));
  if (mamba) {  // Mamba's residual blocks: RMSNorm before the mixer, and norm_f
    if (!seen.count("norm")) d.norm = NormKind::RMS;
    if (!seen.count("prenorm")) d.prenorm = true;
  }
  if (d.block != BlockKind::LiquidS4)
    for (const char* k : kLiquidKeys)
      if (seen.count(k))
        throw FormatError(where(origin, key_nodes[k]) + k + ": only for block: liquid_s4 (block is " +
                          (mamba ? "mamba" : "s4d") + ")");
  if (seen.count("N") && seen.count("M"))
    throw FormatError(origin + ": N and M: give only one (N = 2M)");
  const char* required[][2] = {{"task", "a name"},
                               {"input", "tokens or values"},
                               {"d_input", "vocabulary size or features per step"},
                               {"H", "model width"},
                               {"L", "sequence length"},
                               {"n_layers", "number of residual blocks"},
                               {"classes", "number of output classes"}};
  for (const auto& [key, what] : required)
    if (!seen.count(key))
      throw FormatError(origin + ": missing key '" + key + "' (" + what + ")");
  if (!mamba && !seen.count("N") && !seen.count("M"))
    throw FormatError(origin + ": missing key 'N' (state size; or 'M' = N/2 complex modes)");
  try {
    check_s4_model_desc(d);
  } catch (const std::invalid_argument& e) {
    throw FormatError(origin + ": " + e.what());
  }
  return d;
}

S4ModelDesc parse_model_description(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = load_yaml_document(yaml_text);
  } catch (const YAML::Exception& e) {
    throw FormatError(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  return parse_model_description(root, origin);
}

S4ModelDesc load_model_description(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw FormatError(path + ": cannot open the model description");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_model_description(text.str(), path);
}

std::string model_description_to_yaml(const S4ModelDesc& d) {
  std::ostringstream y;
  if (d.block == BlockKind::Mamba) {
    y << "task: " << yaml_string(d.task) << "\n"
      << "description: " << yaml_string(d.description) << "\n"
      << "block: mamba\n"
      << "input: " << (d.input == InputKind::Tokens ? "tokens" : "values") << "\n"
      << "d_input: " << d.d_input << "\n"
      << "H: " << d.H << "\n"
      << "d_state: " << d.d_state << "\n"
      << "d_conv: " << d.d_conv << "\n"
      << "expand: " << d.expand << "\n"
      << "dt_rank: " << (d.dt_rank ? std::to_string(d.dt_rank) : std::string("auto")) << "\n"
      << "L: " << d.L << "\n"
      << "n_layers: " << d.n_layers << "\n"
      << "prenorm: " << (d.prenorm ? "true" : "false") << "\n"
      << "norm: " << (d.norm == NormKind::RMS ? "rms" : d.norm == NormKind::Batch ? "batch" : "layer") << "\n"
      << "pooling: " << d.pooling << "\n"
      << "classes: " << d.classes << "\n"
      << "retrieval: " << (d.retrieval ? "true" : "false") << "\n"
      << "dropout: " << yaml_double(d.dropout) << "\n"
      << "norm_eps: " << yaml_double(d.norm_eps) << "\n"
      << "dt_min: " << yaml_double(d.dt_min) << "\n"
      << "dt_max: " << yaml_double(d.dt_max) << "\n";
    return y.str();
  }
  y << "task: " << yaml_string(d.task) << "\n"
    << "description: " << yaml_string(d.description) << "\n"
    << "input: " << (d.input == InputKind::Tokens ? "tokens" : "values") << "\n"
    << "d_input: " << d.d_input << "\n"
    << "H: " << d.H << "\n"
    << "N: " << 2 * uint64_t(d.M) << "\n"
    << "L: " << d.L << "\n"
    << "n_layers: " << d.n_layers << "\n"
    << "prenorm: " << (d.prenorm ? "true" : "false") << "\n"
    << "norm: " << (d.norm == NormKind::Batch ? "batch" : d.norm == NormKind::Layer ? "layer" : "rms") << "\n"
    << "bidirectional: " << (d.bidirectional ? "true" : "false") << "\n"
    << "pooling: " << d.pooling << "\n"
    << "classes: " << d.classes << "\n"
    << "retrieval: " << (d.retrieval ? "true" : "false") << "\n"
    << "dropout: " << yaml_double(d.dropout) << "\n"
    << "norm_eps: " << yaml_double(d.norm_eps) << "\n"
    << "init: " << d.init << "\n"
    << "dt_min: " << yaml_double(d.dt_min) << "\n"
    << "dt_max: " << yaml_double(d.dt_max) << "\n";
  if (d.block == BlockKind::LiquidS4) {
    const LiquidKernel k = d.liquid_kernel;
    const LiquidContract g = d.lcontract;
    y << "block: liquid_s4\n"
      << "liquid_kernel: " << (k == LiquidKernel::PolyB ? "polyb" : k == LiquidKernel::KB ? "kb" : "kb_repo") << "\n"
      << "liquid_degree: " << d.liquid_degree << "\n"
      << "allcombs: " << (d.allcombs ? "true" : "false") << "\n"
      << "lcontract: " << (g == LiquidContract::None ? "none" : g == LiquidContract::Tanh ? "tanh" : "lecun") << "\n";
  }
  return y.str();
}

std::vector<TensorSpec> model_tensor_specs(const S4ModelDesc& d) {
  check_s4_model_desc(d);
  S4ModelWeights w = prepare_weights(d);
  std::vector<TensorSpec> specs;
  for (const auto& item : bind(d, w)) specs.push_back(item.first);
  return specs;
}

S4ModelWeights load_model_weights(const std::string& path, const S4ModelDesc& d) {
  try {
    check_s4_model_desc(d);
  } catch (const std::invalid_argument& e) {
    throw FormatError(path + ": cannot load weights for an invalid model: " + e.what());
  }
  S4ModelWeights w = prepare_weights(d);
  const std::string model = "(H=" + std::to_string(d.H) +
                            (d.block == BlockKind::Mamba
                                 ? ", block mamba: Din=" + std::to_string(mamba_inner_width(d)) +
                                       ", N=d_state=" + std::to_string(d.d_state) + ", K=d_conv=" +
                                       std::to_string(d.d_conv) + ", R=dt_rank=" + std::to_string(mamba_dt_rank(d))
                                 : ", M=" + std::to_string(d.M)) +
                            ", d_input=" + std::to_string(d.d_input) +
                            ", classes=" + std::to_string(d.classes) + ")";
  // Names, dtypes and shapes from the header first: nothing is read for a wrong file.
  {
    auto header = read_safetensors_header(path);
    for (const auto& item : bind(d, w)) {
      const TensorSpec& spec = item.first;
      const auto it = header.find(spec.name);
      if (it == header.end())
        throw FormatError(path + ": missing tensor '" + spec.name + "' (expected shape " +
                          shape_text(spec.shape) + " for this model " + model + ")");
      const TensorInfo& t = it->second;
      if (t.dtype != "F32" && t.dtype != "F64")
        throw FormatError(path + ": tensor '" + spec.name + "' has dtype " + t.dtype +
                          " (expected F32 or F64)");
      if (t.shape != spec.shape)
        throw FormatError(path + ": tensor '" + spec.name + "' has shape " + shape_text(t.shape) +
                          " but expected " + shape_text(spec.shape) +
                          (ends_with(spec.name, ".liquid.gamma") ? " ([directions, P-1, H])"
                           : ends_with(spec.name, ".liquid.S") ? " ([directions, H])" : "") +
                          " for this model " + model);
      header.erase(it);
    }
    if (!header.empty()) {
      std::string names;
      for (const auto& item : header) names += (names.empty() ? "'" : ", '") + item.first + "'";
      throw FormatError(path + ": unexpected tensor" + (header.size() > 1 ? "s " : " ") + names +
                        " (not part of this model " + model + "; docs/models.md lists the names)");
    }
  }
  auto tensors = read_safetensors(path);
  for (auto& [spec, data] : bind(d, w)) {
    const auto it = tensors.find(spec.name);
    if (it == tensors.end() || it->second.shape != spec.shape)
      throw FormatError(path + ": tensor '" + spec.name + "' changed while the file was read");
    Tensor& t = it->second;
    check_values(path, spec.name, t.data, d);
    *data = std::move(t.data);
    tensors.erase(it);
  }
  try {
    check_s4_model_weights(d, w);
  } catch (const std::invalid_argument& e) {
    throw FormatError(path + ": " + e.what());
  }
  return w;
}

void save_model_weights(const std::string& path, const S4ModelDesc& d, const S4ModelWeights& w,
                        const std::string& dtype) {
  check_s4_model_weights(d, w);
  S4ModelWeights copy = w;
  std::map<std::string, Tensor> tensors;
  for (auto& [spec, data] : bind(d, copy)) tensors[spec.name] = Tensor{dtype, spec.shape, *data};
  write_safetensors(path, tensors, dtype);
}

ModelInputs load_model_inputs(const std::string& inputs_path, const std::string& lengths_path,
                              const S4ModelDesc& d,
                              const std::function<void(uint32_t B)>& before_read) {
  const NpyHeader a = read_npy_header(inputs_path);
  const bool tokens = d.input == InputKind::Tokens;
  const bool integer = a.dtype == "i4" || a.dtype == "i8";
  // Expected shape with B left open (0), and an alternative for d_input == 1.
  std::vector<size_t> want = {0};
  if (d.retrieval) want.push_back(2);
  want.push_back(d.L);
  std::vector<size_t> alt = want;
  if (!tokens) want.push_back(d.d_input);
  const auto matches = [&a](const std::vector<size_t>& s) {
    return a.shape.size() == s.size() && a.shape[0] >= 1 &&
           std::equal(s.begin() + 1, s.end(), a.shape.begin() + 1);
  };
  const auto text = [](std::vector<size_t> s) {
    std::string t = detail::shape_string(s, true);
    return "(B" + t.substr(t.find(','));  // (0, ...) -> (B, ...)
  };
  if (!matches(want) && !(!tokens && d.d_input == 1 && matches(alt)))
    throw FormatError(inputs_path + ": inputs have shape " + detail::shape_string(a.shape, true) +
                      " but the model expects " + text(want) +
                      (!tokens && d.d_input == 1 ? " or " + text(alt) : std::string()) +
                      (tokens ? " token ids" : " values") + " with B >= 1");
  if (tokens && !integer)
    throw FormatError(inputs_path + ": token ids have dtype " + a.dtype +
                      " (expected an integer dtype, int32 or int64)");
  if (a.shape[0] > (1u << 30)) throw FormatError(inputs_path + ": too many inputs (B > 2^30)");
  const uint32_t B = static_cast<uint32_t>(a.shape[0]);
  const std::vector<size_t> want_n =
      d.retrieval ? std::vector<size_t>{B, 2} : std::vector<size_t>{B};
  if (!lengths_path.empty()) {
    const NpyHeader n = read_npy_header(lengths_path);
    if (n.shape != want_n)
      throw FormatError(lengths_path + ": lengths have shape " + detail::shape_string(n.shape, true) +
                        " but expected " + detail::shape_string(want_n, true) + " (B = " +
                        std::to_string(B) + " from " + inputs_path + ")");
    if (n.dtype != "i4" && n.dtype != "i8")
      throw FormatError(lengths_path + ": lengths have dtype " + n.dtype +
                        " (expected an integer dtype, int32 or int64)");
  }
  if (before_read) before_read(B);
  NpyArray data = read_npy(inputs_path);
  if (data.shape != a.shape)
    throw FormatError(inputs_path + ": the file changed while it was read");
  ModelInputs in;
  in.B = B;
  in.data = std::move(data.data);
  if (tokens)
    for (size_t i = 0; i < in.data.size(); ++i)
      if (in.data[i] < 0 || in.data[i] >= d.d_input) {
        std::ostringstream msg;
        msg << inputs_path << ": token id " << in.data[i] << " at flat index " << i
            << " is outside the vocabulary [0, d_input = " << d.d_input << ")";
        throw FormatError(msg.str());
      }
  if (lengths_path.empty()) return in;
  const NpyArray n = read_npy(lengths_path);
  if (n.shape != want_n)
    throw FormatError(lengths_path + ": the file changed while it was read");
  for (size_t i = 0; i < n.data.size(); ++i) {
    if (n.data[i] < 1 || n.data[i] > d.L)
      throw FormatError(lengths_path + ": length " + std::to_string(int64_t(n.data[i])) +
                        " at index " + std::to_string(i) + " is outside [1, L = " +
                        std::to_string(d.L) + "]");
    in.lengths.push_back(static_cast<uint32_t>(n.data[i]));
  }
  return in;
}

}  // namespace epochcore::io
