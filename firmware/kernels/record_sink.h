// Where the kernels' stream builders put command records, one at a time: counted only,
// packed into system memory through the HAL (a small buffer flushed with mem_write: the
// firmware's way, no heap), or (host only) collected into a std::vector.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "epochcore/contract/commands.h"
#include "epochcore/firmware/hal/hal.h"

namespace epochcore::fw {

class RecordSink {
 public:
  virtual void push(const cmd::Record& r) = 0;

 protected:
  ~RecordSink() = default;  // never deleted through the base
};

class CountingSink final : public RecordSink {
 public:
  void push(const cmd::Record&) override { ++count; }
  uint64_t count = 0;
};

// Packs records to consecutive system memory from `addr`. Call flush() at the end;
// ok() is false once a write failed (later records are then only counted).
class MemorySink final : public RecordSink {
 public:
  MemorySink(Hal& hal, uint64_t addr) : hal_(hal), next_(addr) {}
  void push(const cmd::Record& r) override {
    cmd::pack(r, buf_ + used_ * cmd::kRecordBytes);
    ++count_;
    if (++used_ == kBufRecords) flush();
  }
  bool flush() {
    if (used_ && ok_) {
      const size_t bytes = size_t(used_) * cmd::kRecordBytes;
      if (hal_.mem_write(next_, buf_, bytes) != HalStatus::OK) {
        ok_ = false;
        failed_addr_ = next_;
      }
      next_ += bytes;
    }
    used_ = 0;
    return ok_;
  }
  uint64_t count() const { return count_; }
  bool ok() const { return ok_; }
  uint64_t failed_addr() const { return failed_addr_; }

 private:
  static constexpr uint32_t kBufRecords = 128;  // 4 KiB: the host model's largest burst
  Hal& hal_;
  uint64_t next_;
  uint8_t buf_[kBufRecords * cmd::kRecordBytes];
  uint32_t used_ = 0;
  uint64_t count_ = 0;
  bool ok_ = true;
  uint64_t failed_addr_ = 0;
};

}  // namespace epochcore::fw

#if __STDC_HOSTED__
#include <vector>

namespace epochcore::fw {

class VectorSink final : public RecordSink {
 public:
  explicit VectorSink(std::vector<cmd::Record>* out) : out_(out) {}
  void push(const cmd::Record& r) override { out_->push_back(r); }

 private:
  std::vector<cmd::Record>* out_;
};

}  // namespace epochcore::fw
#endif
