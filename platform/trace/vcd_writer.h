// Waveform output for the simulator's --vcd option: a Value Change Dump (IEEE 1364 VCD)
// file for GTKWave and similar viewers. Signals are declared first, with a dotted scope
// path that becomes nested $scope sections; then value changes are streamed through a
// fixed buffer with no allocation per change. A change that repeats a signal's current
// value writes nothing. No exception crosses this API: the first error (file, bad
// declaration, bad change) is kept, later output is dropped, and close() reports it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "epochcore/platform/trace/trace_events.h"

namespace epochcore {

class VcdWriter {
 public:
  // Opens (truncates) `path`. `timescale` is the unit of every time given to this
  // writer: 1, 10 or 100 followed by s, ms, us, ns, ps or fs (e.g. "1ps", "10 ns").
  // On an open error or a bad timescale ok() is false and error() says why.
  explicit VcdWriter(const std::string& path, const std::string& timescale = "1ps");
  // Closes the file if close() was not called (the error, if any, is then lost).
  ~VcdWriter();
  VcdWriter(const VcdWriter&) = delete;
  VcdWriter& operator=(const VcdWriter&) = delete;

  bool ok() const { return file_.ok(); }
  const std::string& error() const { return file_.error(); }

  // Declares a `width`-bit wire (1..64) called `name` in scope `scope_path` (dotted,
  // e.g. "epochcore.array"; each part and the name non-empty, without whitespace).
  // Only before the first change(). Returns the signal's id, or -1 after keeping an
  // error (bad width or name, duplicate, too late).
  int add_wire(const std::string& scope_path, const std::string& name, unsigned width);
  // Declares a real-valued variable, changed with change_real().
  int add_real(const std::string& scope_path, const std::string& name);

  // Signal `id` takes `value` at `time` (in timescale units). Times must not decrease
  // from one call to the next; a decrease, an unknown id, a real signal or a value
  // wider than the wire is an error kept for close(), and the change is dropped.
  // Several changes of one signal at one time are all written; viewers show the last.
  void change(int id, uint64_t time, uint64_t value);
  void change_real(int id, uint64_t time, double value);
  // Writes a time stamp with no change, e.g. the end of the run, so viewers show the
  // last values for their full duration. Same ordering rule as change().
  void advance_to(uint64_t time);

  // Writes the header if no change came, flushes and closes. Returns false and sets
  // *error (if not null) to the first error kept. Idempotent.
  bool close(std::string* error);

  // The identifier code of the n-th declared signal: base 94 over '!'..'~'.
  static std::string identifier_code(size_t index);

 private:
  // What a change needs, kept together; names live in `full_names_`.
  struct Signal {
    uint64_t mask;       // the bits a value may use
    uint64_t last_bits;  // the last value written (a real's bit pattern)
    unsigned width;
    bool is_real;
    bool known;          // false until the first change: the dump starts at x
    unsigned char code_length;
    char code[7];
  };
  // A scope in the header: its child scopes and the signals declared directly in it.
  struct Scope {
    std::string name;
    std::vector<size_t> children;
    std::vector<size_t> signals;
  };

  int add_signal(const std::string& scope_path, const std::string& name, unsigned width,
                 bool is_real);
  // Checks id, kind and time order; writes the header and the time stamp if needed.
  // Returns the signal to change, or nullptr after keeping an error.
  Signal* prepare_change(int id, uint64_t time, bool want_real);
  void write_time(uint64_t time);
  void write_header();
  void write_scope(size_t scope_index);

  BufferedTextFile file_;
  std::string timescale_;
  std::vector<Signal> signals_;
  std::vector<std::string> full_names_;
  std::vector<Scope> scopes_;  // scopes_[0] is the unnamed root
  bool header_written_ = false;
  bool closed_ = false;
  uint64_t current_time_ = 0;  // the last time stamp written (the header ends at #0)
};

}  // namespace epochcore
