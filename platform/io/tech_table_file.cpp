// Technology tables from YAML (scenarios/tech/*.yaml), with a check of every key.
#include "epochcore/platform/io/tech_table_file.h"

#include <yaml-cpp/yaml.h>

#include "epochcore/platform/io/yaml_load.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

namespace epochcore::energy {
namespace {


std::string got_text(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (!n.IsDefined() || n.IsNull()) return "nothing";
  return n.Scalar();
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

// Reads one YAML map whose keys must all be in `allowed`; every error names the file and
// the dotted key. Unknown and duplicate keys are reported on construction, before any
// missing one, so a misspelt key is named as such.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, const std::string& origin,
            std::vector<std::string> allowed)
      : node_(node), path_(std::move(path)), origin_(origin), allowed_(std::move(allowed)) {
    if (!node_.IsMap())
      fail(path_, "expected a map of keys (" + join(allowed_) + "), got " + got_text(node_));
    std::set<std::string> seen;
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) fail(path_, "keys must be plain names");
      const std::string name = key.Scalar();
      if (std::find(allowed_.begin(), allowed_.end(), name) == allowed_.end())
        fail(child(name), "unknown key (expected one of: " + join(allowed_) + ")");
      if (!seen.insert(name).second) fail(child(name), "duplicate key");
    }
  }

  bool has(const std::string& key) const { return node_[key].IsDefined(); }

  // A finite number >= 0 (or > 0 when `positive`).
  double number(const std::string& key, bool positive = false) const {
    const YAML::Node n = get(key);
    const char* expected = positive ? "a positive number" : "a non-negative number";
    if (!n.IsScalar())
      fail(child(key), std::string("expected ") + expected + ", got " + got_text(n));
    const std::string& text = n.Scalar();
    // from_chars: independent of the C locale; rejects trailing text.
    const char* first = text.c_str() + ((!text.empty() && text[0] == '+') ? 1 : 0);
    const char* last = text.c_str() + text.size();
    double v = 0;
    const auto [end, error] = std::from_chars(first, last, v);
    const bool ok = first != last && error == std::errc() && end == last && std::isfinite(v) &&
                    (positive ? v > 0 : v >= 0);
    if (!ok) fail(child(key), std::string("expected ") + expected + ", got " + text);
    return v;
  }

  std::string text(const std::string& key, bool allow_empty) const {
    const YAML::Node n = get(key);
    if (n.IsNull() && allow_empty) return "";
    if (!n.IsScalar() || (!allow_empty && n.Scalar().empty()))
      fail(child(key), std::string("expected a ") + (allow_empty ? "" : "non-empty ") +
                           "string, got " + got_text(n));
    return n.Scalar();
  }

  MapReader map(const std::string& key, std::vector<std::string> allowed) const {
    return MapReader(get(key), child(key), origin_, std::move(allowed));
  }

  YAML::Node list(const std::string& key) const {
    const YAML::Node n = get(key);
    if (!n.IsSequence()) fail(child(key), "expected a list, got " + got_text(n));
    return n;
  }

  std::string child(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  [[noreturn]] void fail(const std::string& key_path, const std::string& what) const {
    throw TechTableError(origin_ + ": " + (key_path.empty() ? "" : key_path + ": ") + what);
  }

 private:
  YAML::Node get(const std::string& key) const {
    const YAML::Node n = node_[key];
    if (!n.IsDefined()) fail(child(key), "missing key");
    return n;
  }

  YAML::Node node_;
  std::string path_;
  const std::string& origin_;
  std::vector<std::string> allowed_;
};

OpFigures read_op(const MapReader& parent, const std::string& key) {
  const MapReader r = parent.map(key, {"energy_pj", "area_um2"});
  return {r.number("energy_pj"), r.number("area_um2")};
}

ArithmeticFigures read_arithmetic(const MapReader& parent, const std::string& format) {
  const MapReader r = parent.map(format, {"add", "mul"});
  return {read_op(r, "add"), read_op(r, "mul")};
}

}  // namespace

TechTable parse_tech_table(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = load_yaml_document(yaml_text);
  } catch (const YAML::Exception& e) {
    throw TechTableError(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                         std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  TechTable t;
  const MapReader top(root, "", origin,
                      {"name", "node_nm", "source", "arithmetic", "pe_register", "operand_hop",
                       "segments", "segment_direction", "sram", "dram", "dma", "control", "vector_unit",
                       "leakage", "pe_gating", "selective", "scoreboard"});
  t.name = top.text("name", false);
  t.node_nm = top.number("node_nm", true);
  t.source = top.text("source", true);

  const MapReader arith = top.map("arithmetic", {"fp32", "fp16", "bf16", "int32", "int16", "int8"});
  for (const char* f : {"fp32", "fp16", "int32", "int16", "int8"})
    t.arithmetic[f] = read_arithmetic(arith, f);
  // bfloat16 has fp16's width; without figures of its own it costs what fp16 costs.
  t.arithmetic["bf16"] = arith.has("bf16") ? read_arithmetic(arith, "bf16") : t.arithmetic["fp16"];

  const MapReader reg =
      top.map("pe_register", {"access_energy_pj", "area_um2_per_bit", "idle_energy_pj_per_bit"});
  t.pe_register.access_energy_pj = reg.number("access_energy_pj");
  t.pe_register.area_um2_per_bit = reg.number("area_um2_per_bit");
  t.pe_register.idle_energy_pj_per_bit = reg.number("idle_energy_pj_per_bit");

  t.operand_hop.energy_pj = top.map("operand_hop", {"energy_pj"}).number("energy_pj");

  const MapReader seg =
      top.map("segments", {"mux_area_um2_per_bit", "muxes_per_pe", "config_bits_per_pe"});
  t.segments.mux_area_um2_per_bit = seg.number("mux_area_um2_per_bit");
  t.segments.muxes_per_pe = seg.number("muxes_per_pe");
  t.segments.config_bits_per_pe = seg.number("config_bits_per_pe");

  const MapReader dir = top.map("segment_direction",
                                {"config_bits_per_pe", "address_generators_per_pe", "address_bits",
                                 "mux_area_um2_per_bit", "decrement_area_um2_per_bit", "step_energy_pj"});
  t.segment_direction.config_bits_per_pe = dir.number("config_bits_per_pe");
  t.segment_direction.address_generators_per_pe = dir.number("address_generators_per_pe");
  t.segment_direction.address_bits = dir.number("address_bits");
  t.segment_direction.mux_area_um2_per_bit = dir.number("mux_area_um2_per_bit");
  t.segment_direction.decrement_area_um2_per_bit = dir.number("decrement_area_um2_per_bit");
  t.segment_direction.step_energy_pj = dir.number("step_energy_pj");

  const MapReader sram = top.map("sram", {"points", "area_mm2_per_kib", "leakage_uw_per_kib"});
  const YAML::Node points = sram.list("points");
  if (points.size() < 2)
    sram.fail(sram.child("points"), "expected a list of at least two capacity points, got " +
                                        std::to_string(points.size()));
  for (size_t i = 0; i < points.size(); ++i) {
    const std::string path = sram.child("points") + "[" + std::to_string(i) + "]";
    const MapReader p(points[i], path, origin,
                      {"capacity_kib", "read_energy_pj", "write_energy_pj"});
    // Positive: the curve is interpolated in log space.
    const SramPoint q{p.number("capacity_kib", true), p.number("read_energy_pj", true),
                      p.number("write_energy_pj", true)};
    if (!t.sram.points.empty() && q.capacity_kib <= t.sram.points.back().capacity_kib)
      p.fail(p.child("capacity_kib"), "capacities must increase strictly along the list");
    t.sram.points.push_back(q);
  }
  t.sram.area_mm2_per_kib = sram.number("area_mm2_per_kib");
  t.sram.leakage_uw_per_kib = sram.number("leakage_uw_per_kib");

  t.dram.energy_pj_per_byte = top.map("dram", {"energy_pj_per_byte"}).number("energy_pj_per_byte");

  const MapReader dma = top.map("dma", {"area_mm2", "energy_pj_per_byte"});
  t.dma.area_mm2 = dma.number("area_mm2");
  t.dma.energy_pj_per_byte = dma.number("energy_pj_per_byte");

  t.control.area_mm2 = top.map("control", {"area_mm2"}).number("area_mm2");

  const MapReader vec = top.map("vector_unit", {"op_overhead_energy_pj", "lane_overhead_area_um2"});
  t.vector_unit.op_overhead_energy_pj = vec.number("op_overhead_energy_pj");
  t.vector_unit.lane_overhead_area_um2 = vec.number("lane_overhead_area_um2");

  t.leakage.logic_uw_per_mm2 = top.map("leakage", {"logic_uw_per_mm2"}).number("logic_uw_per_mm2");

  // Optional: only a design with energy.pe_clock_gating on needs it.
  if (top.has("pe_gating")) {
    const MapReader g = top.map("pe_gating", {"clocked_energy_pj_per_bit", "wake_energy_pj", "cell_area_um2",
                                              "sleep_leakage_fraction"});
    t.pe_gating.present = true;
    t.pe_gating.clocked_energy_pj_per_bit = g.number("clocked_energy_pj_per_bit");
    t.pe_gating.wake_energy_pj = g.number("wake_energy_pj");
    t.pe_gating.cell_area_um2 = g.number("cell_area_um2");
    t.pe_gating.sleep_leakage_fraction = g.number("sleep_leakage_fraction");
    if (t.pe_gating.sleep_leakage_fraction > 1)
      g.fail(g.child("sleep_leakage_fraction"),
             "expected a fraction in 0..1, got " + std::to_string(t.pe_gating.sleep_leakage_fraction));
  }

  // Optional: only designs with array.selective need it (the energy model refuses such a
  // design against a table without it).
  if (top.has("selective")) {
    const MapReader sel = top.map("selective", {"exp_mul_equivalents", "exp_add_equivalents",
                                                "feed_register_words_per_column"});
    t.selective.given = true;
    t.selective.exp_mul_equivalents = sel.number("exp_mul_equivalents");
    t.selective.exp_add_equivalents = sel.number("exp_add_equivalents");
    t.selective.feed_register_words_per_column = sel.number("feed_register_words_per_column");
  }
  // Optional: only a design with array.compute_queues: 2 needs it.
  if (top.has("scoreboard")) {
    const MapReader sb = top.map("scoreboard", {"in_flight_commands", "ranges_per_command", "address_bits",
                                                "spad_id_bits", "comparators_per_pair", "comparator_area_um2_per_bit",
                                                "compare_energy_pj_per_bit"});
    t.scoreboard.present = true;
    t.scoreboard.in_flight_commands = sb.number("in_flight_commands");
    t.scoreboard.ranges_per_command = sb.number("ranges_per_command");
    t.scoreboard.address_bits = sb.number("address_bits");
    t.scoreboard.spad_id_bits = sb.number("spad_id_bits");
    t.scoreboard.comparators_per_pair = sb.number("comparators_per_pair");
    t.scoreboard.comparator_area_um2_per_bit = sb.number("comparator_area_um2_per_bit");
    t.scoreboard.compare_energy_pj_per_bit = sb.number("compare_energy_pj_per_bit");
  }
  return t;
}

TechTable load_tech_table(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TechTableError(path + ": cannot open the technology table");
  std::ostringstream text;
  text << in.rdbuf();
  TechTable t = parse_tech_table(text.str(), path);
  t.path = path;
  return t;
}

}  // namespace epochcore::energy
