#include "epochcore/platform/trace/trace_events.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

namespace epochcore {

// ---- BufferedTextFile -------------------------------------------------------------

BufferedTextFile::BufferedTextFile(const std::string& path, const char* what)
    : path_(path), what_(what), buffer_(kBufferBytes) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) fail("cannot open " + what_ + " '" + path + "' for writing: " + std::strerror(errno));
}

BufferedTextFile::~BufferedTextFile() { close(); }

void BufferedTextFile::fail(const std::string& message) {
  if (error_.empty()) error_ = message;
}

void BufferedTextFile::put(std::string_view text) {
  while (!text.empty()) {
    size_t n = text.size() < kBufferBytes ? text.size() : kBufferBytes;
    std::memcpy(reserve(n), text.data(), n);
    commit(n);
    text.remove_prefix(n);
  }
}

void BufferedTextFile::flush() {
  // After an error (or once closed) the data is dropped: the first error is what counts.
  if (file_ && ok() && used_ > 0 && std::fwrite(buffer_.data(), 1, used_, file_) != used_)
    fail("cannot write " + what_ + " '" + path_ + "': " + std::strerror(errno));
  used_ = 0;
}

bool BufferedTextFile::close() {
  if (!file_) return ok();
  flush();
  if (std::fclose(file_) != 0)
    fail("cannot write " + what_ + " '" + path_ + "': " + std::strerror(errno));
  file_ = nullptr;
  return ok();
}

// ---- JSON text ----------------------------------------------------------------------

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not one.
size_t utf8_sequence_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

template <typename Number>
void put_number(BufferedTextFile& out, Number value) {
  char* at = out.reserve(32);
  out.commit(static_cast<size_t>(std::to_chars(at, at + 32, value).ptr - at));
}

// A double as a JSON number (shortest text that reads back exactly), or null.
void put_real(BufferedTextFile& out, double value) {
  if (std::isfinite(value))
    put_number(out, value);
  else
    out.put("null");
}

}  // namespace

void append_json_string(BufferedTextFile& out, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  out.put('"');
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.put('\\');
      out.put(static_cast<char>(c));
    } else if (c == '\n') {
      out.put("\\n");
    } else if (c == '\t') {
      out.put("\\t");
    } else if (c == '\r') {
      out.put("\\r");
    } else if (c < 0x20 || c == 0x7F) {
      char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.put(std::string_view(escape, 6));
    } else if (c >= 0x80) {
      size_t length = utf8_sequence_length(text, i);
      if (length == 0) {
        out.put("\\ufffd");
        ++i;
        continue;
      }
      out.put(text.substr(i, length));
      i += length;
      continue;
    } else {
      out.put(static_cast<char>(c));
    }
    ++i;
  }
  out.put('"');
}

// ---- TraceEventWriter ---------------------------------------------------------------

TraceEventWriter::TraceEventWriter(const std::string& path) : file_(path, "trace file") {
  if (file_.ok()) file_.put("{\"traceEvents\":[\n");
}

TraceEventWriter::~TraceEventWriter() { close(nullptr); }

std::string TraceEventWriter::format_microseconds(uint64_t ps) {
  std::string fraction = std::to_string(ps % 1000000);
  return std::to_string(ps / 1000000) + "." + std::string(6 - fraction.size(), '0') + fraction;
}

void TraceEventWriter::begin_event(const char* phase, const char* name, const char* category) {
  if (!first_event_) file_.put(",\n");
  first_event_ = false;
  file_.put("{\"ph\":\"");
  file_.put(phase);
  file_.put("\",\"name\":");
  append_json_string(file_, name ? name : "");
  if (category) {
    file_.put(",\"cat\":");
    append_json_string(file_, category);
  }
}

void TraceEventWriter::write_timestamp(const char* key, uint64_t ps) {
  file_.put(",\"");
  file_.put(key);
  file_.put("\":");
  put_number(file_, ps / 1000000);
  // Six decimals, zero-padded: the picoseconds within the microsecond.
  char* at = file_.reserve(7);
  at[0] = '.';
  uint64_t fraction = ps % 1000000;
  for (int digit = 6; digit >= 1; --digit) {
    at[digit] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  file_.commit(7);
}

void TraceEventWriter::write_args(const TraceArgs& args) {
  file_.put(",\"args\":{");
  for (size_t i = 0; i < args.size(); ++i) {
    const TraceArg& arg = args[i];
    if (i > 0) file_.put(',');
    append_json_string(file_, arg.key);
    file_.put(':');
    switch (arg.kind) {
      case TraceArg::Kind::Signed: put_number(file_, arg.signed_value); break;
      case TraceArg::Kind::Unsigned: put_number(file_, arg.unsigned_value); break;
      case TraceArg::Kind::Real: put_real(file_, arg.real_value); break;
      case TraceArg::Kind::Boolean: file_.put(arg.bool_value ? "true" : "false"); break;
      case TraceArg::Kind::Text: append_json_string(file_, arg.text); break;
    }
  }
  file_.put('}');
}

void TraceEventWriter::set_process_name(int pid, std::string_view name) {
  if (!writable()) return;
  begin_event("M", "process_name", nullptr);
  file_.put(",\"pid\":");
  put_number(file_, pid);
  write_args({{"name", name}});
  file_.put('}');
}

void TraceEventWriter::set_thread_name(int pid, int tid, std::string_view name) {
  if (!writable()) return;
  begin_event("M", "thread_name", nullptr);
  file_.put(",\"pid\":");
  put_number(file_, pid);
  file_.put(",\"tid\":");
  put_number(file_, tid);
  write_args({{"name", name}});
  file_.put('}');
}

void TraceEventWriter::set_thread_sort_index(int pid, int tid, int sort_index) {
  if (!writable()) return;
  begin_event("M", "thread_sort_index", nullptr);
  file_.put(",\"pid\":");
  put_number(file_, pid);
  file_.put(",\"tid\":");
  put_number(file_, tid);
  write_args({{"sort_index", sort_index}});
  file_.put('}');
}

void TraceEventWriter::complete(int pid, int tid, const char* name, const char* category,
                                uint64_t start_ps, uint64_t dur_ps, const TraceArgs& args) {
  if (!writable()) return;
  begin_event("X", name, category);
  file_.put(",\"pid\":");
  put_number(file_, pid);
  file_.put(",\"tid\":");
  put_number(file_, tid);
  write_timestamp("ts", start_ps);
  write_timestamp("dur", dur_ps);
  if (!args.empty()) write_args(args);
  file_.put('}');
}

void TraceEventWriter::instant(int pid, int tid, const char* name, const char* category,
                               uint64_t ts_ps, const TraceArgs& args) {
  if (!writable()) return;
  begin_event("i", name, category);
  file_.put(",\"s\":\"t\",\"pid\":");
  put_number(file_, pid);
  file_.put(",\"tid\":");
  put_number(file_, tid);
  write_timestamp("ts", ts_ps);
  if (!args.empty()) write_args(args);
  file_.put('}');
}

void TraceEventWriter::counter(int pid, const char* name, uint64_t ts_ps, double value) {
  if (!writable()) return;
  begin_event("C", name, nullptr);
  file_.put(",\"pid\":");
  put_number(file_, pid);
  write_timestamp("ts", ts_ps);
  file_.put(",\"args\":{\"value\":");  // written directly: counters can be frequent
  put_real(file_, value);
  file_.put("}}");
}

bool TraceEventWriter::close(std::string* error) {
  if (!file_.closed() && file_.ok()) file_.put("\n],\"displayTimeUnit\":\"ns\"}\n");
  bool ok = file_.close();
  if (!ok && error) *error = file_.error();
  return ok;
}

}  // namespace epochcore
