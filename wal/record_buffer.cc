#include "wal/record_buffer.h"

#include "protocol/wire.h"

namespace symphony::wal {

using protocol::ByteWriter;

size_t RecordBuffer::begin(RecordType type) {
  ByteWriter w(bytes_);
  w.u8(static_cast<uint8_t>(type));
  const size_t start = bytes_.size();
  w.u32(0);  // payload length, patched by end()
  return start;
}

void RecordBuffer::end(size_t start) {
  protocol::patch_u32(bytes_, start, static_cast<uint32_t>(bytes_.size() - start - 4));
  ++count_;
}

void RecordBuffer::append_envelope(const EnvelopeRecord& r, std::span<const FailureView> failures,
                                   bool snapshot) {
  const size_t s = begin(snapshot ? RecordType::kSnapshot : RecordType::kEnqueued);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.str16(r.queue);
  w.u8(r.priority);
  w.u8(static_cast<uint8_t>(r.state));
  w.i64(r.created_at_ms);
  w.i64(r.available_at_ms);
  w.u32(r.attempts);
  w.u16(r.max_retries);
  w.str16(r.idempotency_key);
  w.u16(static_cast<uint16_t>(failures.size()));
  for (const FailureView& f : failures) {
    w.u32(f.attempt);
    w.i64(f.failed_at_ms);
    w.str16(f.error);
    w.str16(f.error_class);
  }
  w.blob32(r.body);
  end(s);
}

void RecordBuffer::append(const LeasedRecord& r) {
  const size_t s = begin(RecordType::kLeased);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.u64(r.consumer);
  w.i64(r.deadline_ms);
  w.u32(r.attempt);
  end(s);
}

void RecordBuffer::append(const AckedRecord& r) {
  const size_t s = begin(RecordType::kAcked);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.i64(r.at_ms);
  end(s);
}

void RecordBuffer::append(const RetryScheduledRecord& r) {
  const size_t s = begin(RecordType::kRetryScheduled);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.u32(r.attempt);
  w.i64(r.failed_at_ms);
  w.i64(r.available_at_ms);
  w.str16(r.error);
  w.str16(r.error_class);
  end(s);
}

void RecordBuffer::append(const ReturnedRecord& r) {
  const size_t s = begin(RecordType::kReturned);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.u32(r.attempts);
  w.u8(static_cast<uint8_t>(r.reason));
  w.i64(r.at_ms);
  end(s);
}

void RecordBuffer::append(const DeadLetteredRecord& r) {
  const size_t s = begin(RecordType::kDeadLettered);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.u32(r.attempt);
  w.i64(r.failed_at_ms);
  w.str16(r.error);
  w.str16(r.error_class);
  end(s);
}

void RecordBuffer::append(const DeadRetriedRecord& r) {
  const size_t s = begin(RecordType::kDeadRetried);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.i64(r.available_at_ms);
  end(s);
}

void RecordBuffer::append(const DeletedRecord& r) {
  const size_t s = begin(RecordType::kDeleted);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.i64(r.at_ms);
  end(s);
}

void RecordBuffer::append(const QueuePurgedRecord& r) {
  const size_t s = begin(RecordType::kQueuePurged);
  ByteWriter w(bytes_);
  w.u64(0);
  w.str16(r.queue);
  w.i64(r.at_ms);
  end(s);
}

void RecordBuffer::append(const IdempotencyKeyRecord& r) {
  const size_t s = begin(RecordType::kIdempotencyKey);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.str16(r.queue);
  w.str16(r.key);
  w.i64(r.seen_at_ms);
  end(s);
}

void RecordBuffer::append(const CompletedRecord& r) {
  const size_t s = begin(RecordType::kCompleted);
  ByteWriter w(bytes_);
  w.u64(r.id);
  w.str16(r.queue);
  w.i64(r.completed_at_ms);
  end(s);
}

void RecordBuffer::append(const ScheduleSetRecord& r) {
  const size_t s = begin(RecordType::kScheduleSet);
  ByteWriter w(bytes_);
  w.u64(0);
  protocol::write_schedule_info(w, r.info);
  end(s);
}

void RecordBuffer::append(const ScheduleDeletedRecord& r) {
  const size_t s = begin(RecordType::kScheduleDeleted);
  ByteWriter w(bytes_);
  w.u64(0);
  w.u64(r.schedule_id);
  w.i64(r.at_ms);
  end(s);
}

}  // namespace symphony::wal
