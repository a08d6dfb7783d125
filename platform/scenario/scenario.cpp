// Scenario files: YAML parsing, --set overrides, validation and emission, all driven by
// one table that maps each dotted key to its field in Scenario.
#include "epochcore/platform/scenario/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <variant>

#include "epochcore/platform/io/yaml_load.h"

namespace epochcore {
namespace {

// An enum-valued key (Choice<E>): its accepted names, and access to the value by index.
struct ChoiceRef {
  const std::vector<std::string>* names;
  std::function<size_t()> get;
  std::function<void(size_t)> set;
};

template <class E>
ChoiceRef choice_ref(Choice<E>* c) {
  return {&ChoiceNames<E>::names(), [c] { return size_t(c->value()); }, [c](size_t i) { *c = E(i); }};
}

using Target = std::variant<uint32_t*, uint64_t*, double*, bool*, std::string*, ChoiceRef>;

struct Field {
  std::string path;   // dotted key, e.g. "array.rows"
  Target target;
  bool zero_allowed;  // integers only: words type errors as "non-negative" or "positive"
};

// Every key of a scenario, in file order.
std::vector<Field> fields_of(Scenario& s) {
  std::vector<Field> f;
  auto add = [&f](const std::string& path, Target target, bool zero_allowed = false) {
    f.push_back({path, target, zero_allowed});
  };
  add("name", &s.name);
  add("description", &s.description);
  add("array.rows", &s.array.rows);
  add("array.cols", &s.array.cols);
  add("array.segments", &s.array.segments);
  add("array.segment_direction", &s.array.segment_direction);
  add("array.compute_queues", &s.array.compute_queues);
  add("array.liquid_pe", &s.array.liquid_pe);
  add("array.real_only", &s.array.real_only);
  add("array.selective", &s.array.selective);
  add("array.clock_mhz", &s.array.clock_mhz);
  const std::pair<const char*, SpadConfig*> spads[] = {
      {"input", &s.spad_input}, {"param", &s.spad_param}, {"output", &s.spad_output}};
  for (const auto& [name, spad] : spads) {
    const std::string prefix = std::string("scratchpad.") + name + ".";
    add(prefix + "size_kib", &spad->size_kib);
    add(prefix + "banks", &spad->banks);
    add(prefix + "ports", &spad->ports);
  }
  add("dma.bytes_per_cycle", &s.dma.bytes_per_cycle);
  add("dma.setup_cycles", &s.dma.setup_cycles, true);
  add("dma.burst_bytes", &s.dma.burst_bytes);
  add("dma.max_outstanding", &s.dma.max_outstanding);
  add("memory.size_mib", &s.memory.size_mib);
  add("memory.latency_ns", &s.memory.latency_ns);
  add("memory.bytes_per_ns", &s.memory.bytes_per_ns);
  add("host.quantum_ns", &s.host.quantum_ns);
  add("host.cpu", choice_ref(&s.host.cpu));
  add("host.firmware", &s.host.firmware);
  add("host.clock_mhz", &s.host.clock_mhz);
  add("host.ram_kib", &s.host.ram_kib);
  add("host.max_instructions", &s.host.max_instructions, true);
  add("host.max_sim_ms", &s.host.max_sim_ms);
  add("workload.kind", choice_ref(&s.workload.kind));
  add("workload.channels", &s.workload.channels);
  add("workload.modes", &s.workload.modes);
  add("workload.length", &s.workload.length);
  add("workload.batch", &s.workload.batch);
  add("workload.bidirectional", &s.workload.bidirectional);
  add("workload.init", &s.workload.init);
  add("workload.dt_min", &s.workload.dt_min);
  add("workload.dt_max", &s.workload.dt_max);
  add("workload.seed", &s.workload.seed, true);
  add("workload.gemm_m", &s.workload.gemm_m);
  add("workload.gemm_n", &s.workload.gemm_n);
  add("workload.gemm_k", &s.workload.gemm_k);
  add("workload.model", &s.workload.model);
  add("workload.weights", &s.workload.weights);
  add("workload.inputs", &s.workload.inputs);
  add("workload.lengths", &s.workload.lengths);
  add("workload.reference", &s.workload.reference);
  add("compiler.residency", choice_ref(&s.compiler.residency));
  add("precision.format", choice_ref(&s.precision.format));
  add("vector.lanes", &s.vector.lanes);
  add("energy.tech", &s.energy.tech);
  add("energy.pe_clock_gating", &s.energy.pe_clock_gating);
  add("run.timing", choice_ref(&s.run.timing));
  add("run.check_protocol", &s.run.check_protocol);
  add("run.host_memory_mib", &s.run.host_memory_mib);
  return f;
}

Field* find_field(std::vector<Field>& fields, const std::string& path) {
  for (Field& f : fields)
    if (f.path == path) return &f;
  return nullptr;
}

const std::vector<std::string>& field_paths() {
  static const std::vector<std::string> paths = [] {
    Scenario s;
    std::vector<std::string> p;
    for (const Field& f : fields_of(s)) p.push_back(f.path);
    return p;
  }();
  return paths;
}

std::string parent_of(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? "" : path.substr(0, dot);
}

std::string last_part(const std::string& path) {
  const size_t dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

bool is_section(const std::string& path) {
  for (const std::string& p : field_paths())
    if (p.compare(0, path.size() + 1, path + ".") == 0) return true;
  return false;
}

// Direct children (keys and sections) of a section ("" = top level), in file order.
std::vector<std::string> children_of(const std::string& section) {
  std::vector<std::string> names;
  const std::string prefix = section.empty() ? "" : section + ".";
  for (const std::string& p : field_paths()) {
    if (p.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = p.substr(prefix.size());
    const std::string child = rest.substr(0, rest.find('.'));
    if (std::find(names.begin(), names.end(), child) == names.end()) names.push_back(child);
  }
  return names;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

// Edit distance counting a swap of neighbours as one edit (optimal string alignment).
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The closest name among `candidates`, if close enough to be a likely typo.
std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::numeric_limits<size_t>::max();
  for (const std::string& c : candidates) {
    size_t dist = edit_distance(word, c);
    // A cut-short name ("size" for size_kib) counts as one edit.
    if (word.size() >= 3 && c.compare(0, word.size(), word) == 0) dist = std::min<size_t>(dist, 1);
    if (dist < best_distance) {
      best_distance = dist;
      best = c;
    }
  }
  const size_t allowed = std::min<size_t>(2, std::max<size_t>(1, word.size() / 3));
  if (best_distance <= allowed) return best;
  return std::nullopt;
}

// "<path>: unknown key", with the nearest valid key: a sibling first, else the same
// name in another section (a key put in the wrong place).
std::string unknown_key_message(const std::string& path) {
  std::string msg = path + ": unknown key";
  const std::string parent = parent_of(path);
  const std::string key = last_part(path);
  std::optional<std::string> guess;
  if (parent.empty() || is_section(parent)) {
    if (auto sibling = nearest(key, children_of(parent)))
      guess = parent.empty() ? *sibling : parent + "." + *sibling;
  }
  if (!guess) {
    std::vector<std::string> moved;
    for (const std::string& p : field_paths())
      if (last_part(p) == key) moved.push_back(p);
    if (!moved.empty()) guess = join(moved, " or ");
  }
  if (guess) msg += " (did you mean " + *guess + "?)";
  return msg;
}

std::string node_kind(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "an empty value";
  return "'" + node.Scalar() + "'";
}

std::string expected_text(const Field& f) {
  if (std::holds_alternative<double*>(f.target)) return "a finite number";
  if (std::holds_alternative<bool*>(f.target)) return "true or false";
  if (std::holds_alternative<std::string*>(f.target) || std::holds_alternative<ChoiceRef>(f.target))
    return "a string";
  return f.zero_allowed ? "a non-negative integer" : "a positive integer";
}

// Shortest decimal text that reads back as exactly `v`.
std::string format_double(double v) {
  char buf[40];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// A double for YAML output: "1000.0" rather than "1000", so readers see a real number.
std::string yaml_double(double v) {
  std::string text = format_double(v);
  if (std::isfinite(v) && text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

// "must be one of a, b, c, got 'x'" with the nearest name when `v` looks like a typo.
std::string one_of_message(const std::string& v, const std::vector<std::string>& allowed) {
  std::string msg = "must be one of " + join(allowed, ", ") + ", got '" + v + "'";
  if (auto guess = nearest(v, allowed)) msg += " (did you mean " + *guess + "?)";
  return msg;
}

// Sets one field from a YAML node; throws ScenarioError "<path>: ..." (no location).
void set_field(const Field& f, const YAML::Node& node) {
  const auto fail = [&f](const std::string& got) {
    throw ScenarioError(f.path + ": expected " + expected_text(f) + ", got " + got);
  };
  if (node.IsNull() && std::holds_alternative<std::string*>(f.target)) {
    *std::get<std::string*>(f.target) = "";  // `description:` with nothing after it
    return;
  }
  if (!node.IsScalar()) fail(node_kind(node));
  const std::string text = node.Scalar();

  if (auto* str = std::get_if<std::string*>(&f.target)) {
    **str = text;
  } else if (auto* choice = std::get_if<ChoiceRef>(&f.target)) {
    const std::vector<std::string>& names = *choice->names;
    const auto it = std::find(names.begin(), names.end(), text);
    if (it == names.end()) throw ScenarioError(f.path + ": " + one_of_message(text, names));
    choice->set(size_t(it - names.begin()));
  } else if (auto* flag = std::get_if<bool*>(&f.target)) {
    if (text != "true" && text != "false") fail("'" + text + "'");
    **flag = text == "true";
  } else if (auto* real = std::get_if<double*>(&f.target)) {
    // from_chars: independent of the C locale; out-of-range values are errors.
    const char* first = text.c_str() + ((!text.empty() && text[0] == '+') ? 1 : 0);
    const char* last = text.c_str() + text.size();
    double v = 0;
    const auto [end, error] = std::from_chars(first, last, v);
    if (first == last || error != std::errc() || end != last || !std::isfinite(v))
      fail("'" + text + "'");
    **real = v;
  } else {
    const bool wide = std::holds_alternative<uint64_t*>(f.target);
    const uint64_t max = wide ? std::numeric_limits<uint64_t>::max()
                              : std::numeric_limits<uint32_t>::max();
    size_t i = (!text.empty() && text[0] == '+') ? 1 : 0;
    if (i == text.size()) fail("'" + text + "'");
    uint64_t v = 0;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') fail("'" + text + "'");
      const uint64_t digit = static_cast<uint64_t>(text[i] - '0');
      if (v > (max - digit) / 10)
        throw ScenarioError(f.path + ": value '" + text + "' is too large (at most " +
                            std::to_string(max) + ")");
      v = v * 10 + digit;
    }
    if (wide)
      *std::get<uint64_t*>(f.target) = v;
    else
      *std::get<uint32_t*>(f.target) = static_cast<uint32_t>(v);
  }
}

std::string location(const std::string& origin, const YAML::Mark& mark) {
  if (mark.is_null()) return origin + ": ";
  return origin + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1) + ": ";
}

// Reads the maps of a YAML document into a scenario, remembering where each key was set.
struct FileReader {
  std::vector<Field>& fields;
  const std::string& origin;
  std::map<std::string, YAML::Mark> set_at;

  void read_map(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: the iterator's `->` yields a temporary, so references would dangle.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      const std::string section = prefix.empty() ? "top level" : prefix;
      if (!key.IsScalar())
        throw ScenarioError(location(origin, key.Mark()) + section + ": keys must be plain names");
      const std::string path = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
      if (!seen.insert(key.Scalar()).second)
        throw ScenarioError(location(origin, key.Mark()) + path + ": duplicate key");
      if (Field* f = find_field(fields, path)) {
        try {
          set_field(*f, value);
        } catch (const ScenarioError& e) {
          throw ScenarioError(location(origin, value.IsNull() ? key.Mark() : value.Mark()) +
                              e.what());
        }
        set_at[path] = value.IsNull() ? key.Mark() : value.Mark();
      } else if (is_section(path)) {
        if (value.IsNull()) continue;  // an empty section keeps its defaults
        if (!value.IsMap())
          throw ScenarioError(location(origin, value.Mark()) + path +
                              ": expected a map of keys (" + join(children_of(path), ", ") +
                              "), got " + node_kind(value));
        read_map(value, path);
      } else {
        throw ScenarioError(location(origin, key.Mark()) + unknown_key_message(path));
      }
    }
  }
};

// Applies one "key.path=value" override; returns the key it set.
std::string apply_override(std::vector<Field>& fields, const std::string& text) {
  const std::string where = "override '" + text + "': ";
  const auto trim = [](const std::string& s) {
    const size_t first = s.find_first_not_of(" \t");
    if (first == std::string::npos) return std::string();
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
  };
  const size_t eq = text.find('=');
  if (eq == std::string::npos)
    throw ScenarioError(where + "expected key.path=value (no '=' found)");
  const std::string path = trim(text.substr(0, eq));
  const std::string value = trim(text.substr(eq + 1));
  if (path.empty()) throw ScenarioError(where + "missing key before '='");
  if (value.empty())
    throw ScenarioError(where + "empty value (write \"\" for an empty string)");
  Field* f = find_field(fields, path);
  if (!f) {
    if (is_section(path)) {
      std::vector<std::string> keys = children_of(path);
      for (std::string& k : keys) k = path + "." + k;
      throw ScenarioError(where + path + " is a section; set one of its keys: " + join(keys, ", "));
    }
    throw ScenarioError(where + unknown_key_message(path));
  }
  YAML::Node node;
  try {
    node = load_yaml_document(value);
  } catch (const YAML::Exception& e) {
    throw ScenarioError(where + path + ": value is not valid YAML: " + e.msg);
  }
  try {
    set_field(*f, node);
  } catch (const ScenarioError& e) {
    const std::string hint = node.IsMap() || node.IsSequence()
                                 ? " (quote a value that holds ': ', '[' or '{')"
                                 : "";
    throw ScenarioError(where + e.what() + hint);
  }
  return path;
}

struct Issue {
  std::string path;                  // the key named in the message
  std::string message;
  std::vector<std::string> related;  // other keys the check involves (for locating it)
};

// Collects the first out-of-range value.
struct Checker {
  std::optional<Issue> issue;

  void fail(const std::string& path, const std::string& message,
            const std::vector<std::string>& related = {}) {
    if (!issue) issue = Issue{path, message, related};
  }
  void range(const std::string& path, uint64_t v, uint64_t lo, uint64_t hi) {
    if (v < lo || v > hi)
      fail(path, "must be in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                     std::to_string(v));
  }
  void multiple_of_4(const std::string& path, uint64_t v) {
    if (v % 4 != 0) fail(path, "must be a multiple of 4, got " + std::to_string(v));
  }
  // lo < v <= hi (or lo <= v <= hi when lo_inclusive), and v finite.
  void real(const std::string& path, double v, double lo, bool lo_inclusive, double hi) {
    const bool above = lo_inclusive ? v >= lo : v > lo;
    if (!std::isfinite(v) || !above || v > hi) {
      std::string allowed = std::string(lo_inclusive ? ">= " : "> ") + format_double(lo);
      if (std::isfinite(hi)) allowed += " and <= " + format_double(hi);
      fail(path, "must be a finite number " + allowed + ", got " + format_double(v));
    }
  }
  void one_of(const std::string& path, const std::string& v,
              const std::vector<std::string>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return;
    fail(path, one_of_message(v, allowed));
  }
};

constexpr double kInf = std::numeric_limits<double>::infinity();

std::optional<Issue> find_issue(const Scenario& s) {
  Checker c;
  c.range("array.rows", s.array.rows, 1, 4096);
  c.range("array.cols", s.array.cols, 1, 4096);
  c.range("array.compute_queues", s.array.compute_queues, 1, 2);
  c.real("array.clock_mhz", s.array.clock_mhz, 0, false, 100000);
  const std::pair<const char*, const SpadConfig*> spads[] = {
      {"input", &s.spad_input}, {"param", &s.spad_param}, {"output", &s.spad_output}};
  for (const auto& [name, spad] : spads) {
    const std::string prefix = std::string("scratchpad.") + name + ".";
    c.range(prefix + "size_kib", spad->size_kib, 1, 1048576);
    c.range(prefix + "banks", spad->banks, 1, 65535);
    c.range(prefix + "ports", spad->ports, 1, 64);
  }
  c.range("dma.bytes_per_cycle", s.dma.bytes_per_cycle, 4, 65536);
  c.multiple_of_4("dma.bytes_per_cycle", s.dma.bytes_per_cycle);
  c.range("dma.setup_cycles", s.dma.setup_cycles, 0, 1000000);
  c.range("dma.burst_bytes", s.dma.burst_bytes, 4, 1048576);
  c.multiple_of_4("dma.burst_bytes", s.dma.burst_bytes);
  c.range("dma.max_outstanding", s.dma.max_outstanding, 1, 1024);
  c.range("memory.size_mib", s.memory.size_mib, 1, 65536);
  // Simulated time is SystemC's 64-bit count of picoseconds (about 213 days): a latency,
  // a bandwidth or a quantum past these bounds saturates it and gives meaningless cycles.
  c.real("memory.latency_ns", s.memory.latency_ns, 0, true, 1e6);
  c.real("memory.bytes_per_ns", s.memory.bytes_per_ns, 1e-3, true, kInf);
  c.real("host.quantum_ns", s.host.quantum_ns, 0, false, 1e9);
  c.range("run.host_memory_mib", s.run.host_memory_mib, 0, 1u << 24);
  c.real("host.clock_mhz", s.host.clock_mhz, 0, false, 100000);
  c.range("host.ram_kib", s.host.ram_kib, 4, 1u << 20);
  c.real("host.max_sim_ms", s.host.max_sim_ms, 0, true, 1e9);
  if (s.host.cpu == CpuKind::Model && !s.host.firmware.empty())
    c.fail("host.firmware", "applies only to host.cpu rv32 (the model runs the firmware compiled into the "
                            "simulator), got host.cpu 'model'", {"host.cpu"});
  // An RV32 core addresses 4 GiB: system memory must end below the CSRs at 0x4000_0000.
  if (s.host.cpu == CpuKind::Rv32 && s.memory.size_mib > 1024)
    c.fail("memory.size_mib", "must be at most 1024 with host.cpu rv32 (a 32-bit core reaches system memory "
                              "below the accelerator's CSRs at 0x4000_0000), got " +
                                  std::to_string(s.memory.size_mib), {"host.cpu"});
  // ... and the scratchpad window (3 sub-windows of the largest, rounded up to a power of
  // two) must end below the RV32 devices at 0x6000_0000.
  if (s.host.cpu == CpuKind::Rv32)
    for (const auto& [name, spad] : spads)
      if (spad->size_kib > 65536)
        c.fail(std::string("scratchpad.") + name + ".size_kib",
               "must be at most 65536 (64 MiB) with host.cpu rv32 (the scratchpad window sits between the "
               "CSRs and the RV32 devices at 0x6000_0000), got " + std::to_string(spad->size_kib), {"host.cpu"});

  const WorkloadConfig& w = s.workload;
  // workload.kind, precision.format and run.timing are enums, checked as they are read.
  if (w.kind == WorkloadKind::S4Model && w.model.empty())
    c.fail("workload.model", "must name an LRA task (listops, text, retrieval, image, pathfinder, pathx) "
                             "or a model YAML file when workload.kind is s4_model, got \"\"", {"workload.kind"});
  if (w.kind != WorkloadKind::S4Model)
    for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"workload.model", w.model},
                                     {"workload.weights", w.weights}, {"workload.inputs", w.inputs},
                                     {"workload.lengths", w.lengths}})
      if (!value.empty())
        c.fail(key, std::string("applies only to workload.kind s4_model, got kind '") + w.kind.name() + "'", {"workload.kind"});
  if (w.kind != WorkloadKind::S4Model && s.compiler.residency == Residency::Partial)
    c.fail("compiler.residency", std::string("partial applies only to workload.kind s4_model (the model "
           "compiler's plan), got kind '") + w.kind.name() + "'", {"workload.kind"});
  if (!w.lengths.empty() && w.inputs.empty())
    c.fail("workload.lengths", "needs workload.inputs (seeded inputs have full length)", {"workload.inputs"});
  c.range("vector.lanes", s.vector.lanes, 1, 65535);
  c.range("workload.channels", w.channels, 1, 1u << 20);
  c.range("workload.modes", w.modes, 1, 1u << 16);
  c.range("workload.length", w.length, 1, 1u << 24);
  c.range("workload.batch", w.batch, 1, 1u << 16);
  // Bounds on the state and tensor sizes, so a typo cannot ask for terabytes. Only an
  // s4d_layer run uses channels, modes and length: gemm ignores them and s4_model takes
  // them from the model description (its batch is bounded by the model's sizes).
  const bool s4d_layer = w.kind == WorkloadKind::S4dLayer;
  const uint64_t states = uint64_t{w.channels} * w.modes * w.batch;
  if (s4d_layer && states > (uint64_t{1} << 28))
    c.fail("workload.channels",
           "channels * modes * batch must be at most 268435456 (2^28), got " +
               std::to_string(states),
           {"workload.modes", "workload.batch"});
  const uint64_t elements = uint64_t{w.channels} * w.length * w.batch;
  if (s4d_layer && elements > (uint64_t{1} << 32))
    c.fail("workload.length",
           "channels * length * batch must be at most 4294967296 (2^32), got " +
               std::to_string(elements),
           {"workload.channels", "workload.batch"});
  c.one_of("workload.init", w.init, {"s4d_lin", "s4d_inv", "s4d_real"});
  c.real("workload.dt_min", w.dt_min, 0, false, kInf);
  c.real("workload.dt_max", w.dt_max, 0, false, kInf);
  if (std::isfinite(w.dt_min) && std::isfinite(w.dt_max) && !(w.dt_min < w.dt_max))
    c.fail("workload.dt_min", "must be less than workload.dt_max (" + format_double(w.dt_max) +
                                  "), got " + format_double(w.dt_min),
           {"workload.dt_max"});
  c.range("workload.gemm_m", w.gemm_m, 1, 1u << 20);
  c.range("workload.gemm_n", w.gemm_n, 1, 1u << 16);
  c.range("workload.gemm_k", w.gemm_k, 1, 1u << 16);
  // Each operand at most 2^28 floats (1 GiB), so a typo cannot ask for terabytes.
  const std::pair<const char*, uint64_t> operands[] = {
      {"workload.gemm_m", uint64_t{w.gemm_m} * w.gemm_k},
      {"workload.gemm_k", uint64_t{w.gemm_k} * w.gemm_n},
      {"workload.gemm_n", uint64_t{w.gemm_m} * w.gemm_n}};
  const char* operand_names[] = {"gemm_m * gemm_k (A)", "gemm_k * gemm_n (B)", "gemm_m * gemm_n (C)"};
  for (int i = 0; i < 3; ++i)
    if (operands[i].second > (uint64_t{1} << 28))
      c.fail(operands[i].first,
             std::string(operand_names[i]) + " must be at most 268435456 (2^28) floats, got " +
                 std::to_string(operands[i].second),
             {"workload.gemm_m", "workload.gemm_n", "workload.gemm_k"});
  return c.issue;
}

}  // namespace

const std::vector<std::string>& ChoiceNames<WorkloadKind>::names() {
  static const std::vector<std::string> n{"s4d_layer", "gemm", "s4_model"};
  return n;
}
const std::vector<std::string>& ChoiceNames<CpuKind>::names() {
  static const std::vector<std::string> n{"model", "rv32"};
  return n;
}
const std::vector<std::string>& ChoiceNames<Residency>::names() {
  static const std::vector<std::string> n{"all_or_nothing", "partial"};
  return n;
}
const std::vector<std::string>& ChoiceNames<Timing>::names() {
  static const std::vector<std::string> n{"cycle", "fast"};
  return n;
}
const std::vector<std::string>& ChoiceNames<numfmt::Format>::names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (numfmt::Format f : {numfmt::Format::FP32, numfmt::Format::BF16, numfmt::Format::FP16,
                             numfmt::Format::INT16, numfmt::Format::INT8})
      v.push_back(numfmt::format_name(f));
    return v;
  }();
  return n;
}

Scenario parse_scenario(const std::string& yaml_text, const std::string& origin,
                        const std::vector<std::string>& overrides) {
  Scenario s;
  std::vector<Field> fields = fields_of(s);
  FileReader reader{fields, origin, {}};
  try {
    const std::vector<YAML::Node> docs = load_yaml_documents(yaml_text);
    if (docs.size() > 1)
      throw ScenarioError(origin + ": expected one YAML document, found " +
                          std::to_string(docs.size()));
    if (!docs.empty() && !docs[0].IsNull()) {
      if (!docs[0].IsMap())
        throw ScenarioError(location(origin, docs[0].Mark()) +
                            "the top level must be a map of keys (" +
                            join(children_of(""), ", ") + "), got " + node_kind(docs[0]));
      reader.read_map(docs[0], "");
    }
  } catch (const YAML::Exception& e) {
    throw ScenarioError(location(origin, e.mark) + "YAML syntax error: " + e.msg);
  }

  std::map<std::string, std::string> set_by_override;
  for (const std::string& text : overrides) set_by_override[apply_override(fields, text)] = text;

  if (std::optional<Issue> issue = find_issue(s)) {
    // Point at what set the value last: an override, else a line of the file, else the file.
    std::vector<std::string> keys{issue->path};
    keys.insert(keys.end(), issue->related.begin(), issue->related.end());
    std::string where;
    for (const std::string& key : keys)
      if (auto o = set_by_override.find(key); where.empty() && o != set_by_override.end())
        where = "override '" + o->second + "': ";
    for (const std::string& key : keys)
      if (auto m = reader.set_at.find(key); where.empty() && m != reader.set_at.end())
        where = location(origin, m->second);
    if (where.empty()) where = origin + ": ";
    throw ScenarioError(where + issue->path + ": " + issue->message);
  }
  return s;
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ScenarioError(path + ": is a directory, not a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path + ": cannot open scenario file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(path + ": cannot read scenario file");
  return parse_scenario(text.str(), path, overrides);
}

void validate_scenario(const Scenario& s) {
  if (std::optional<Issue> issue = find_issue(s))
    throw ScenarioError(issue->path + ": " + issue->message);
}

std::string scenario_to_yaml(const Scenario& s) {
  Scenario copy = s;  // fields_of needs a mutable scenario; nothing is changed
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::vector<std::string> open;  // sections currently open, outermost first
  for (const Field& f : fields_of(copy)) {
    std::vector<std::string> parts;
    std::stringstream ss(f.path);
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
    const std::string key = parts.back();
    parts.pop_back();
    size_t common = 0;
    while (common < open.size() && common < parts.size() && open[common] == parts[common])
      ++common;
    for (; open.size() > common; open.pop_back()) out << YAML::EndMap;
    for (; open.size() < parts.size(); open.push_back(parts[open.size()]))
      out << YAML::Key << parts[open.size()] << YAML::Value << YAML::BeginMap;

    out << YAML::Key << key << YAML::Value;
    if (auto* v = std::get_if<uint32_t*>(&f.target)) out << std::to_string(**v);
    else if (auto* v = std::get_if<uint64_t*>(&f.target)) out << std::to_string(**v);
    else if (auto* v = std::get_if<double*>(&f.target)) out << yaml_double(**v);
    else if (auto* v = std::get_if<bool*>(&f.target)) out << (**v ? "true" : "false");
    else if (auto* v = std::get_if<ChoiceRef>(&f.target)) out << YAML::DoubleQuoted << (*v->names)[v->get()];
    else out << YAML::DoubleQuoted << *std::get<std::string*>(f.target);
  }
  for (; !open.empty(); open.pop_back()) out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

nlohmann::json scenario_to_json(const Scenario& s) {
  Scenario copy = s;  // fields_of needs a mutable scenario; nothing is changed
  nlohmann::json out = nlohmann::json::object();
  for (const Field& f : fields_of(copy)) {
    nlohmann::json* at = &out;
    std::stringstream ss(f.path);
    std::vector<std::string> parts;
    for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
    for (size_t i = 0; i + 1 < parts.size(); ++i) at = &(*at)[parts[i]];
    nlohmann::json& v = (*at)[parts.back()];
    if (auto* p = std::get_if<uint32_t*>(&f.target)) v = **p;
    else if (auto* p = std::get_if<uint64_t*>(&f.target)) v = **p;
    else if (auto* p = std::get_if<double*>(&f.target)) v = **p;
    else if (auto* p = std::get_if<bool*>(&f.target)) v = **p;
    else if (auto* p = std::get_if<ChoiceRef>(&f.target)) v = (*p->names)[p->get()];
    else v = *std::get<std::string*>(f.target);
  }
  return out;
}

}  // namespace epochcore
