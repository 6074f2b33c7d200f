#include "wal/record_codec.h"

#include "protocol/wire.h"

namespace symphony::wal {

using protocol::ByteReader;

std::string_view record_type_name(RecordType type) {
  switch (type) {
    case RecordType::kEnqueued: return "enqueued";
    case RecordType::kSnapshot: return "snapshot";
    case RecordType::kIdempotencyKey: return "idempotency_key";
    case RecordType::kCompleted: return "completed";
    case RecordType::kScheduleSet: return "schedule_set";
    case RecordType::kScheduleDeleted: return "schedule_deleted";
    case RecordType::kLeased: return "leased";
    case RecordType::kAcked: return "acked";
    case RecordType::kRetryScheduled: return "retry_scheduled";
    case RecordType::kReturned: return "returned";
    case RecordType::kDeadLettered: return "dead_lettered";
    case RecordType::kDeadRetried: return "dead_retried";
    case RecordType::kDeleted: return "deleted";
    case RecordType::kQueuePurged: return "queue_purged";
  }
  return "unknown";
}

RecordType type_of(const Record& record) {
  // variant alternatives are declared in RecordType order
  return static_cast<RecordType>(record.index() + 1);
}

uint64_t message_id_of(const Record& record) {
  return std::visit(
      [](const auto& r) -> uint64_t {
        if constexpr (requires { r.id; }) {
          return r.id;
        } else {
          return 0;
        }
      },
      record);
}

namespace {

bool decode_envelope(ByteReader& r, EnvelopeRecord& e) {
  e.id = r.u64();
  e.queue = r.str16();
  e.priority = r.u8();
  const uint8_t state = r.u8();
  e.created_at_ms = r.i64();
  e.available_at_ms = r.i64();
  e.attempts = r.u32();
  e.max_retries = r.u16();
  e.idempotency_key = r.str16();
  const uint16_t nfail = r.u16();
  if (!r.ok() || state > static_cast<uint8_t>(PersistedState::kLeased) ||
      static_cast<size_t>(nfail) * 16 > r.remaining()) {
    return false;
  }
  e.state = static_cast<PersistedState>(state);
  e.failures.clear();
  e.failures.reserve(nfail);
  for (uint16_t i = 0; i < nfail; ++i) {
    FailureView f;
    f.attempt = r.u32();
    f.failed_at_ms = r.i64();
    f.error = r.str16();
    f.error_class = r.str16();
    e.failures.push_back(f);
  }
  e.body = r.blob32();
  return r.at_end();
}

}  // namespace

bool decode_record(RecordType type, std::string_view payload, Record& out) {
  ByteReader r(payload);
  switch (type) {
    case RecordType::kEnqueued: {
      EnvelopeRecord e;
      if (!decode_envelope(r, e)) return false;
      out = std::move(e);
      return true;
    }
    case RecordType::kSnapshot: {
      SnapshotRecord e;
      if (!decode_envelope(r, e)) return false;
      out = std::move(e);
      return true;
    }
    case RecordType::kCompleted: {
      CompletedRecord x;
      x.id = r.u64();
      x.queue = r.str16();
      x.completed_at_ms = r.i64();
      out = x;
      return r.at_end();
    }
    case RecordType::kScheduleSet: {
      ScheduleSetRecord x;
      if (r.u64() != 0 || !protocol::read_schedule_info(r, x.info)) return false;
      out = std::move(x);
      return r.at_end();
    }
    case RecordType::kScheduleDeleted: {
      ScheduleDeletedRecord x;
      if (r.u64() != 0) return false;
      x.schedule_id = r.u64();
      x.at_ms = r.i64();
      out = x;
      return r.at_end();
    }
    case RecordType::kIdempotencyKey: {
      IdempotencyKeyRecord x;
      x.id = r.u64();
      x.queue = r.str16();
      x.key = r.str16();
      x.seen_at_ms = r.i64();
      out = x;
      return r.at_end();
    }
    case RecordType::kLeased: {
      LeasedRecord l{r.u64(), r.u64(), r.i64(), r.u32()};
      out = l;
      return r.at_end();
    }
    case RecordType::kAcked: {
      AckedRecord a{r.u64(), r.i64()};
      out = a;
      return r.at_end();
    }
    case RecordType::kRetryScheduled: {
      RetryScheduledRecord x;
      x.id = r.u64();
      x.attempt = r.u32();
      x.failed_at_ms = r.i64();
      x.available_at_ms = r.i64();
      x.error = r.str16();
      x.error_class = r.str16();
      out = x;
      return r.at_end();
    }
    case RecordType::kReturned: {
      ReturnedRecord x;
      x.id = r.u64();
      x.attempts = r.u32();
      const uint8_t reason = r.u8();
      x.at_ms = r.i64();
      if (reason > static_cast<uint8_t>(ReturnReason::kReleased)) return false;
      x.reason = static_cast<ReturnReason>(reason);
      out = x;
      return r.at_end();
    }
    case RecordType::kDeadLettered: {
      DeadLetteredRecord x;
      x.id = r.u64();
      x.attempt = r.u32();
      x.failed_at_ms = r.i64();
      x.error = r.str16();
      x.error_class = r.str16();
      out = x;
      return r.at_end();
    }
    case RecordType::kDeadRetried: {
      DeadRetriedRecord x{r.u64(), r.i64()};
      out = x;
      return r.at_end();
    }
    case RecordType::kDeleted: {
      DeletedRecord x{r.u64(), r.i64()};
      out = x;
      return r.at_end();
    }
    case RecordType::kQueuePurged: {
      QueuePurgedRecord x;
      if (r.u64() != 0) return false;
      x.queue = r.str16();
      x.at_ms = r.i64();
      out = x;
      return r.at_end();
    }
  }
  return false;
}

bool RecordReader::next(Record& out) {
  if (pos_ == bytes_.size()) return false;
  ByteReader r(bytes_.substr(pos_));
  const uint8_t type = r.u8();
  const std::string_view payload = r.blob32();
  if (!r.ok()) {
    error_ = "record header or length overruns the buffer";
    return false;
  }
  if (type < static_cast<uint8_t>(RecordType::kEnqueued) || type > kMaxRecordType) {
    error_ = "unknown record type";
    return false;
  }
  if (!decode_record(static_cast<RecordType>(type), payload, out)) {
    error_ = "record payload does not match its layout";
    return false;
  }
  pos_ += r.position();
  return true;
}

}  // namespace symphony::wal
