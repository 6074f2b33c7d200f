#pragma once
// RecordBuffer: where the broker core appends the records of its state changes. The server hands
// the filled buffer to the log writer as one commit group and gives the core an empty one; the
// core itself never does I/O.
#include <cstdint>
#include <span>
#include <string>

#include "wal/record.h"

namespace symphony::wal {

class RecordBuffer {
 public:
  /// kEnqueued, or kSnapshot when `snapshot` (compaction rewrite).
  void append_envelope(const EnvelopeRecord& rec, std::span<const FailureView> failures,
                       bool snapshot = false);
  void append(const LeasedRecord& rec);
  void append(const AckedRecord& rec);
  void append(const RetryScheduledRecord& rec);
  void append(const ReturnedRecord& rec);
  void append(const DeadLetteredRecord& rec);
  void append(const DeadRetriedRecord& rec);
  void append(const DeletedRecord& rec);
  void append(const QueuePurgedRecord& rec);
  void append(const IdempotencyKeyRecord& rec);
  void append(const CompletedRecord& rec);
  void append(const ScheduleSetRecord& rec);
  void append(const ScheduleDeletedRecord& rec);
  /// Appends records already encoded (another buffer's bytes).
  void append_encoded(std::string_view bytes, uint32_t count) {
    bytes_.append(bytes);
    count_ += count;
  }

  const std::string& bytes() const { return bytes_; }
  uint32_t count() const { return count_; }
  bool empty() const { return count_ == 0; }
  void clear() {
    bytes_.clear();
    count_ = 0;
  }
  /// Exchanges contents with `other` (the writer takes a full buffer, leaves an empty one).
  void swap(RecordBuffer& other) {
    bytes_.swap(other.bytes_);
    std::swap(count_, other.count_);
  }

 private:
  size_t begin(RecordType type);
  void end(size_t start);

  std::string bytes_;
  uint32_t count_ = 0;
};

}  // namespace symphony::wal
