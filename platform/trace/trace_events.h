// Timeline output for the simulator's --trace option: the Chrome / Perfetto trace-event
// JSON format ({"traceEvents":[...],"displayTimeUnit":"ns"}), streamed to the file as
// events arrive so a long run does not grow memory. Times are given in picoseconds and
// written as microseconds (the format's unit) with six decimals, so no picosecond is lost.
// No exception crosses this API: errors are kept and reported by ok()/error()/close().
// docs/traces.md describes the track layout and how to open the file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace epochcore {

// An output file written through a fixed buffer. It keeps the first error (open or
// write failure, naming the path) and ignores writes after it. Shared by the trace and
// VCD writers.
class BufferedTextFile {
 public:
  static constexpr size_t kBufferBytes = 1 << 18;

  // `what` names the kind of file in error messages, e.g. "trace file".
  BufferedTextFile(const std::string& path, const char* what);
  ~BufferedTextFile();
  BufferedTextFile(const BufferedTextFile&) = delete;
  BufferedTextFile& operator=(const BufferedTextFile&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }
  // Keeps `message` as the error unless one is already kept.
  void fail(const std::string& message);

  // Room for `n` more bytes (n <= kBufferBytes) at the returned pointer, flushing the
  // buffer first if needed; the caller writes them and then calls commit(written).
  char* reserve(size_t n) {
    if (used_ + n > buffer_.size()) flush();
    return buffer_.data() + used_;
  }
  void commit(size_t written) { used_ += written; }
  void put(char c) { *reserve(1) = c; commit(1); }
  void put(std::string_view text);

  // Writes out the buffer, closes the file and returns ok(). Idempotent.
  bool close();
  bool closed() const { return file_ == nullptr; }

 private:
  void flush();

  std::string path_;
  std::string what_;
  std::FILE* file_ = nullptr;
  std::vector<char> buffer_;
  size_t used_ = 0;
  std::string error_;
};

// One entry of an event's "args" object: a key and a number, a boolean or a text.
// Only views are kept: the key and text must stay alive until the call that takes the
// argument returns (temporaries in the call expression are fine).
struct TraceArg {
  enum class Kind { Signed, Unsigned, Real, Boolean, Text };

  template <typename Int, typename std::enable_if<std::is_integral<Int>::value &&
                                                      !std::is_same<Int, bool>::value,
                                                  int>::type = 0>
  TraceArg(std::string_view k, Int v) : key(k) {
    if (std::is_signed<Int>::value) {
      kind = Kind::Signed;
      signed_value = static_cast<int64_t>(v);
    } else {
      kind = Kind::Unsigned;
      unsigned_value = static_cast<uint64_t>(v);
    }
  }
  TraceArg(std::string_view k, double v) : key(k), kind(Kind::Real), real_value(v) {}
  TraceArg(std::string_view k, bool v) : key(k), kind(Kind::Boolean), bool_value(v) {}
  TraceArg(std::string_view k, std::string_view v) : key(k), kind(Kind::Text), text(v) {}
  TraceArg(std::string_view k, const char* v) : key(k), kind(Kind::Text), text(v ? v : "") {}
  TraceArg(std::string_view k, const std::string& v) : key(k), kind(Kind::Text), text(v) {}

  std::string_view key;
  Kind kind;
  int64_t signed_value = 0;
  uint64_t unsigned_value = 0;
  double real_value = 0;  // written as null when not finite (JSON has no NaN/Inf)
  bool bool_value = false;
  std::string_view text;
};
using TraceArgs = std::vector<TraceArg>;

class TraceEventWriter {
 public:
  // Opens (truncates) `path`. On failure ok() is false, error() names the path and every
  // other call does nothing.
  explicit TraceEventWriter(const std::string& path);
  // Closes the file if close() was not called (the error, if any, is then lost).
  ~TraceEventWriter();
  TraceEventWriter(const TraceEventWriter&) = delete;
  TraceEventWriter& operator=(const TraceEventWriter&) = delete;

  bool ok() const { return file_.ok(); }
  const std::string& error() const { return file_.error(); }

  // Metadata: the names shown for a process (pid) and a thread (tid) track, and the
  // order of the thread tracks in the viewer (lower sort index first).
  void set_process_name(int pid, std::string_view name);
  void set_thread_name(int pid, int tid, std::string_view name);
  void set_thread_sort_index(int pid, int tid, int sort_index);

  // A slice from start_ps lasting dur_ps on thread (pid, tid). `category` may be null.
  void complete(int pid, int tid, const char* name, const char* category, uint64_t start_ps,
                uint64_t dur_ps, const TraceArgs& args = {});
  // A zero-length marker at ts_ps on thread (pid, tid), thread-scoped.
  void instant(int pid, int tid, const char* name, const char* category, uint64_t ts_ps,
               const TraceArgs& args = {});
  // A sample of the counter track `name` of process pid (args {"value": value}).
  void counter(int pid, const char* name, uint64_t ts_ps, double value);

  // Ends the JSON document and closes the file. Returns false and sets *error (if not
  // null) to the first open/write error, naming the path. Calls after close() are
  // ignored; calling close() again returns the same result.
  bool close(std::string* error);

  // "1234567890" ps -> "1234.567890" (microseconds, six decimals); exposed for tests.
  static std::string format_microseconds(uint64_t ps);

 private:
  // Writes the separator, "ph", "name" and (if not null) "cat", leaving the object open.
  void begin_event(const char* phase, const char* name, const char* category);
  void write_timestamp(const char* key, uint64_t ps);
  void write_args(const TraceArgs& args);
  bool writable() const { return file_.ok() && !file_.closed(); }

  BufferedTextFile file_;
  bool first_event_ = true;
};

// Appends `text` as a JSON string literal (quoted, escaped; invalid UTF-8 bytes become
// U+FFFD so the document stays valid).
void append_json_string(BufferedTextFile& out, std::string_view text);

}  // namespace epochcore
