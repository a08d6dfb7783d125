#include "epochcore/platform/trace/vcd_writer.h"

#include <cctype>
#include <charconv>
#include <cstring>

namespace epochcore {

namespace {

constexpr char kFirstCodeChar = '!';  // VCD identifier codes: printable ASCII '!'..'~'
constexpr unsigned kCodeRadix = '~' - '!' + 1;

bool is_plain_word(const std::string& text) {
  if (text.empty()) return false;
  for (char c : text)
    if (!std::isgraph(static_cast<unsigned char>(c))) return false;
  return true;
}

// "1ps", "10 ns", ... -> "1ps", "10ns"; "" if not a VCD timescale.
std::string normalized_timescale(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
    ++digits;
  std::string number = text.substr(0, digits);
  size_t unit_start = digits;
  while (unit_start < text.size() && text[unit_start] == ' ') ++unit_start;
  std::string unit = text.substr(unit_start);
  bool number_ok = number == "1" || number == "10" || number == "100";
  bool unit_ok = unit == "s" || unit == "ms" || unit == "us" || unit == "ns" || unit == "ps" ||
                 unit == "fs";
  return number_ok && unit_ok ? number + unit : "";
}

// Splits "a.b.c" into its parts; false if a part is empty or has whitespace.
bool split_scope_path(const std::string& path, std::vector<std::string>* parts) {
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!is_plain_word(part)) return false;
    parts->push_back(part);
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string VcdWriter::identifier_code(size_t index) {
  std::string code;
  do {
    code += static_cast<char>(kFirstCodeChar + index % kCodeRadix);
    index /= kCodeRadix;
  } while (index > 0);
  return code;
}

VcdWriter::VcdWriter(const std::string& path, const std::string& timescale)
    : file_(path, "VCD file"), timescale_(normalized_timescale(timescale)) {
  scopes_.push_back(Scope{});
  if (timescale_.empty())
    file_.fail("VCD file '" + path + "': timescale '" + timescale +
               "' is not 1, 10 or 100 followed by s, ms, us, ns, ps or fs");
}

VcdWriter::~VcdWriter() { close(nullptr); }

int VcdWriter::add_wire(const std::string& scope_path, const std::string& name, unsigned width) {
  return add_signal(scope_path, name, width, false);
}

int VcdWriter::add_real(const std::string& scope_path, const std::string& name) {
  return add_signal(scope_path, name, 64, true);
}

int VcdWriter::add_signal(const std::string& scope_path, const std::string& name, unsigned width,
                          bool is_real) {
  const std::string full_name = scope_path + "." + name;
  const std::string where = "VCD file '" + file_.path() + "': signal '" + full_name + "'";
  if (!file_.ok()) return -1;
  std::vector<std::string> parts;
  if (!split_scope_path(scope_path, &parts)) {
    file_.fail(where + ": the scope path must be dot-separated non-empty words without spaces");
    return -1;
  }
  if (!is_plain_word(name)) {
    file_.fail(where + ": the name must be a non-empty word without spaces");
    return -1;
  }
  if (width < 1 || width > 64) {
    file_.fail(where + ": width " + std::to_string(width) + " is not in 1..64");
    return -1;
  }
  if (header_written_ || closed_) {
    file_.fail(where + " is declared after the first value change");
    return -1;
  }
  for (const std::string& existing : full_names_) {
    if (existing == full_name) {
      file_.fail(where + " is declared twice");
      return -1;
    }
  }

  size_t scope = 0;
  for (const std::string& part : parts) {
    size_t found = 0;
    for (size_t child : scopes_[scope].children)
      if (scopes_[child].name == part) found = child;
    if (found == 0) {
      found = scopes_.size();
      scopes_.push_back(Scope{part, {}, {}});
      scopes_[scope].children.push_back(found);
    }
    scope = found;
  }

  Signal signal{};
  signal.width = width;
  signal.mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  signal.is_real = is_real;
  std::string code = identifier_code(signals_.size());
  signal.code_length = static_cast<unsigned char>(code.size());
  std::memcpy(signal.code, code.data(), code.size());
  scopes_[scope].signals.push_back(signals_.size());
  signals_.push_back(signal);
  full_names_.push_back(full_name);
  return static_cast<int>(signals_.size() - 1);
}

void VcdWriter::write_scope(size_t scope_index) {
  const Scope& scope = scopes_[scope_index];
  for (size_t index : scope.signals) {
    const Signal& s = signals_[index];
    const std::string& full = full_names_[index];
    file_.put("$var ");
    file_.put(s.is_real ? "real " : "wire ");
    file_.put(std::to_string(s.width));
    file_.put(' ');
    file_.put(std::string_view(s.code, s.code_length));
    file_.put(' ');
    file_.put(std::string_view(full).substr(full.rfind('.') + 1));
    file_.put(" $end\n");
  }
  for (size_t child : scope.children) {
    file_.put("$scope module ");
    file_.put(scopes_[child].name);
    file_.put(" $end\n");
    write_scope(child);
    file_.put("$upscope $end\n");
  }
}

void VcdWriter::write_header() {
  header_written_ = true;
  file_.put("$version epochcore-vp $end\n$timescale ");
  file_.put(timescale_);
  file_.put(" $end\n");
  write_scope(0);
  file_.put("$enddefinitions $end\n#0\n$dumpvars\n");
  // Every wire is unknown until its first change; reals have no unknown value.
  for (const Signal& s : signals_) {
    if (s.is_real) continue;
    file_.put(s.width == 1 ? "x" : "bx ");
    file_.put(std::string_view(s.code, s.code_length));
    file_.put('\n');
  }
  file_.put("$end\n");
  current_time_ = 0;
}

void VcdWriter::write_time(uint64_t time) {
  if (time == current_time_) return;
  char* at = file_.reserve(32);
  at[0] = '#';
  char* end = std::to_chars(at + 1, at + 31, time).ptr;
  *end++ = '\n';
  file_.commit(static_cast<size_t>(end - at));
  current_time_ = time;
}

VcdWriter::Signal* VcdWriter::prepare_change(int id, uint64_t time, bool want_real) {
  if (!file_.ok() || closed_) return nullptr;
  if (id < 0 || static_cast<size_t>(id) >= signals_.size()) {
    file_.fail("VCD file '" + file_.path() + "': change of unknown signal id " +
               std::to_string(id));
    return nullptr;
  }
  Signal& s = signals_[static_cast<size_t>(id)];
  if (s.is_real != want_real) {
    file_.fail("VCD file '" + file_.path() + "': signal '" + full_names_[id] + "' is " +
               (s.is_real ? "real: use change_real()" : "a wire: use change()"));
    return nullptr;
  }
  if (!header_written_) write_header();
  if (time < current_time_) {
    file_.fail("VCD file '" + file_.path() + "': change of '" + full_names_[id] + "' at time " +
               std::to_string(time) + " is earlier than the previous time stamp " +
               std::to_string(current_time_));
    return nullptr;
  }
  return &s;
}

void VcdWriter::change(int id, uint64_t time, uint64_t value) {
  Signal* s = prepare_change(id, time, false);
  if (!s) return;
  if (value & ~s->mask) {
    file_.fail("VCD file '" + file_.path() + "': value " + std::to_string(value) +
               " does not fit the " + std::to_string(s->width) + "-bit signal '" +
               full_names_[id] + "'");
    return;
  }
  if (s->known && s->last_bits == value) return;
  s->known = true;
  s->last_bits = value;
  write_time(time);

  // Longest line: 'b', 64 digits, ' ', the code, '\n'.
  char* at = file_.reserve(80);
  char* out = at;
  if (s->width == 1) {
    *out++ = static_cast<char>('0' + value);
  } else {
    // Binary without leading zeros: VCD extends a short vector value with 0s.
    *out++ = 'b';
    int top = value == 0 ? 0 : 63 - __builtin_clzll(value);
    for (int bit = top; bit >= 0; --bit) *out++ = static_cast<char>('0' + ((value >> bit) & 1));
    *out++ = ' ';
  }
  std::memcpy(out, s->code, s->code_length);
  out += s->code_length;
  *out++ = '\n';
  file_.commit(static_cast<size_t>(out - at));
}

void VcdWriter::change_real(int id, uint64_t time, double value) {
  Signal* s = prepare_change(id, time, true);
  if (!s) return;
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);  // compare bit patterns, so NaN dedups too
  if (s->known && s->last_bits == bits) return;
  s->known = true;
  s->last_bits = bits;
  write_time(time);

  char* at = file_.reserve(64);
  char* out = at;
  *out++ = 'r';
  out = std::to_chars(out, at + 40, value).ptr;  // shortest text that reads back exactly
  *out++ = ' ';
  std::memcpy(out, s->code, s->code_length);
  out += s->code_length;
  *out++ = '\n';
  file_.commit(static_cast<size_t>(out - at));
}

void VcdWriter::advance_to(uint64_t time) {
  if (!file_.ok() || closed_) return;
  if (!header_written_) write_header();
  if (time < current_time_) {
    file_.fail("VCD file '" + file_.path() + "': time " + std::to_string(time) +
               " is earlier than the previous time stamp " + std::to_string(current_time_));
    return;
  }
  write_time(time);
}

bool VcdWriter::close(std::string* error) {
  if (!closed_ && file_.ok() && !header_written_) write_header();
  closed_ = true;
  bool ok = file_.close();
  if (!ok && error) *error = file_.error();
  return ok;
}

}  // namespace epochcore
