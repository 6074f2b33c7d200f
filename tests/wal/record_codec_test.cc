// The record vocabulary: RecordBuffer encodes, RecordReader decodes, every field survives.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/wire.h"
#include "wal/record.h"
#include "wal/record_buffer.h"
#include "wal/record_codec.h"

namespace symphony::wal {
namespace {

using namespace std::string_view_literals;

// ---- field-by-field comparison ----

void expect_same(const EnvelopeRecord& want, const EnvelopeRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.priority, want.priority);
  EXPECT_EQ(got.state, want.state);
  EXPECT_EQ(got.created_at_ms, want.created_at_ms);
  EXPECT_EQ(got.available_at_ms, want.available_at_ms);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.max_retries, want.max_retries);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  ASSERT_EQ(got.failures.size(), want.failures.size());
  for (size_t i = 0; i < want.failures.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "failure " << i);
    EXPECT_EQ(got.failures[i].attempt, want.failures[i].attempt);
    EXPECT_EQ(got.failures[i].failed_at_ms, want.failures[i].failed_at_ms);
    EXPECT_EQ(got.failures[i].error, want.failures[i].error);
    EXPECT_EQ(got.failures[i].error_class, want.failures[i].error_class);
  }
  EXPECT_EQ(got.body, want.body);
}
void expect_same(const LeasedRecord& want, const LeasedRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.consumer, want.consumer);
  EXPECT_EQ(got.deadline_ms, want.deadline_ms);
  EXPECT_EQ(got.attempt, want.attempt);
}
void expect_same(const AckedRecord& want, const AckedRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.at_ms, want.at_ms);
}
void expect_same(const RetryScheduledRecord& want, const RetryScheduledRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.attempt, want.attempt);
  EXPECT_EQ(got.failed_at_ms, want.failed_at_ms);
  EXPECT_EQ(got.available_at_ms, want.available_at_ms);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.error_class, want.error_class);
}
void expect_same(const ReturnedRecord& want, const ReturnedRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.attempts, want.attempts);
  EXPECT_EQ(got.reason, want.reason);
  EXPECT_EQ(got.at_ms, want.at_ms);
}
void expect_same(const DeadLetteredRecord& want, const DeadLetteredRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.attempt, want.attempt);
  EXPECT_EQ(got.failed_at_ms, want.failed_at_ms);
  EXPECT_EQ(got.error, want.error);
  EXPECT_EQ(got.error_class, want.error_class);
}
void expect_same(const DeadRetriedRecord& want, const DeadRetriedRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.available_at_ms, want.available_at_ms);
}
void expect_same(const DeletedRecord& want, const DeletedRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.at_ms, want.at_ms);
}
void expect_same(const QueuePurgedRecord& want, const QueuePurgedRecord& got) {
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.at_ms, want.at_ms);
}
void expect_same(const IdempotencyKeyRecord& want, const IdempotencyKeyRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.key, want.key);
  EXPECT_EQ(got.seen_at_ms, want.seen_at_ms);
}

void expect_same(const CompletedRecord& want, const CompletedRecord& got) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.completed_at_ms, want.completed_at_ms);
}

void expect_same(const ScheduleSetRecord& want, const ScheduleSetRecord& got) {
  const protocol::ScheduleInfo& w = want.info;
  const protocol::ScheduleInfo& g = got.info;
  EXPECT_EQ(g.id, w.id);
  EXPECT_EQ(g.spec.name, w.spec.name);
  EXPECT_EQ(g.spec.kind, w.spec.kind);
  EXPECT_EQ(g.spec.at_ms, w.spec.at_ms);
  EXPECT_EQ(g.spec.interval_ms, w.spec.interval_ms);
  EXPECT_EQ(g.spec.cron, w.spec.cron);
  EXPECT_EQ(g.spec.timezone, w.spec.timezone);
  EXPECT_EQ(g.spec.start_at_ms, w.spec.start_at_ms);
  EXPECT_EQ(g.spec.max_runs, w.spec.max_runs);
  EXPECT_EQ(g.spec.enabled, w.spec.enabled);
  EXPECT_EQ(g.spec.type, w.spec.type);
  EXPECT_EQ(g.spec.payload, w.spec.payload);
  EXPECT_EQ(g.spec.metadata, w.spec.metadata);
  EXPECT_EQ(g.spec.headers, w.spec.headers);
  EXPECT_EQ(g.spec.queue, w.spec.queue);
  EXPECT_EQ(g.spec.priority, w.spec.priority);
  EXPECT_EQ(g.next_run_at_ms, w.next_run_at_ms);
  EXPECT_EQ(g.last_run_at_ms, w.last_run_at_ms);
  EXPECT_EQ(g.run_count, w.run_count);
  EXPECT_EQ(g.created_at_ms, w.created_at_ms);
  EXPECT_EQ(g.updated_at_ms, w.updated_at_ms);
  EXPECT_EQ(g.last_error, w.last_error);
}

void expect_same(const ScheduleDeletedRecord& want, const ScheduleDeletedRecord& got) {
  EXPECT_EQ(got.schedule_id, want.schedule_id);
  EXPECT_EQ(got.at_ms, want.at_ms);
}

// (SnapshotRecord is compared by the EnvelopeRecord overload, its base class.)
void expect_same_record(const Record& want, const Record& got) {
  ASSERT_EQ(got.index(), want.index()) << "decoded as " << record_type_name(type_of(got))
                                       << ", written as " << record_type_name(type_of(want));
  std::visit(
      [&](const auto& w) {
        using T = std::decay_t<decltype(w)>;
        expect_same(static_cast<const T&>(w), std::get<T>(got));
      },
      want);
}

// ---- a sample of every record ----

// Strings with bytes a text codec would break on (NUL, high bytes, a newline).
const std::string kBinaryBody = std::string("\x00\x01\xff payload \n\x7f", 14);
const std::string kErrorText = std::string("err\0or \xe2\x82\xac", 10);

EnvelopeRecord envelope(uint64_t id, PersistedState state, std::vector<FailureView> failures) {
  EnvelopeRecord r;
  r.id = id;
  r.queue = "orders.eu-west:1";
  r.priority = static_cast<uint8_t>(1 + id % 10);
  r.state = state;
  r.created_at_ms = 1'700'000'000'123 + static_cast<int64_t>(id);
  r.available_at_ms = 1'700'000'009'999 + static_cast<int64_t>(id);
  r.attempts = static_cast<uint32_t>(failures.size()) + 1;
  r.max_retries = 65535;
  r.idempotency_key = id % 2 ? "key-\x01\xfe"sv : ""sv;
  r.failures = std::move(failures);
  r.body = kBinaryBody;
  return r;
}

/// One of every record type, every PersistedState and every ReturnReason, in a buffer.
std::vector<Record> sample_records() {
  std::vector<Record> out;
  const std::vector<FailureView> two_failures = {
      {1, 1'700'000'000'500, kErrorText, "TimeoutError"},
      {2, -5, "", ""},  // negative time and empty strings survive too
  };
  out.push_back(envelope(1, PersistedState::kPending, {}));
  out.push_back(envelope(2, PersistedState::kPending, two_failures));
  for (PersistedState s :
       {PersistedState::kPending, PersistedState::kDead, PersistedState::kLeased}) {
    SnapshotRecord snap;
    static_cast<EnvelopeRecord&>(snap) = envelope(10 + static_cast<uint64_t>(s), s, two_failures);
    out.push_back(snap);
  }
  SnapshotRecord empty_snap;  // all defaults, empty body
  empty_snap.id = 20;
  out.push_back(empty_snap);
  out.push_back(LeasedRecord{std::numeric_limits<uint64_t>::max(), 77, 1'700'000'030'000, 3});
  out.push_back(AckedRecord{5, std::numeric_limits<int64_t>::min()});
  out.push_back(
      RetryScheduledRecord{6, 2, 1'700'000'001'000, 1'700'000'003'000, kErrorText, "ValueError"});
  for (ReturnReason reason :
       {ReturnReason::kLeaseExpired, ReturnReason::kConsumerGone, ReturnReason::kReleased}) {
    out.push_back(ReturnedRecord{7 + static_cast<uint64_t>(reason), 4, reason,
                                 1'700'000'002'000 + static_cast<int64_t>(reason)});
  }
  out.push_back(DeadLetteredRecord{8, 9, 1'700'000'004'000, "fatal", "FatalError"});
  out.push_back(DeadRetriedRecord{9, 1'700'000'005'000});
  out.push_back(DeletedRecord{10, 1'700'000'006'000});
  out.push_back(QueuePurgedRecord{"emails", 1'700'000'007'000});
  out.push_back(IdempotencyKeyRecord{11, "orders", "order-11", 1'700'000'008'000});
  out.push_back(CompletedRecord{12, "emails", 1'700'000'009'000});
  ScheduleSetRecord sched;
  sched.info.id = 13;
  sched.info.spec.name = "nightly";
  sched.info.spec.kind = protocol::ScheduleKind::kCron;
  sched.info.spec.cron = "30 2 * * *";
  sched.info.spec.timezone = "America/New_York";
  sched.info.spec.max_runs = 7;
  sched.info.spec.enabled = false;
  sched.info.spec.type = "Report";
  sched.info.spec.payload = R"({"month":11})";
  sched.info.spec.metadata = R"({"by":"cron"})";
  sched.info.spec.headers = {{"tenant", "acme"}};
  sched.info.spec.queue = "reports";
  sched.info.spec.priority = 3;
  sched.info.next_run_at_ms = 1'700'000'010'000;
  sched.info.last_run_at_ms = 1'700'000'009'500;
  sched.info.run_count = 2;
  sched.info.created_at_ms = 1'700'000'000'000;
  sched.info.updated_at_ms = 1'700'000'009'500;
  sched.info.last_error = "QUEUE_FULL: queue 'reports' holds its maximum of 1 messages";
  out.push_back(std::move(sched));
  out.push_back(ScheduleDeletedRecord{14, 1'700'000'011'000});
  return out;
}

void append_any(RecordBuffer& buf, const Record& rec) {
  std::visit(
      [&](const auto& r) {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, EnvelopeRecord>) {
          buf.append_envelope(r, r.failures, /*snapshot=*/false);
        } else if constexpr (std::is_same_v<T, SnapshotRecord>) {
          buf.append_envelope(r, r.failures, /*snapshot=*/true);
        } else {
          buf.append(r);
        }
      },
      rec);
}

std::string encode_all(const std::vector<Record>& records, std::vector<size_t>* ends = nullptr) {
  RecordBuffer buf;
  for (const Record& r : records) {
    append_any(buf, r);
    if (ends) ends->push_back(buf.bytes().size());
  }
  EXPECT_EQ(buf.count(), records.size());
  return buf.bytes();
}

std::vector<Record> decode_all(RecordReader& reader) {
  std::vector<Record> out;
  Record r;
  while (reader.next(r)) out.push_back(r);
  return out;
}

TEST(RecordCodecTest, EveryRecordTypeRoundTripsFieldByField) {
  const std::vector<Record> want = sample_records();
  // every type appears at least once
  std::vector<bool> seen(kMaxRecordType + 1, false);
  for (const Record& r : want) seen[static_cast<size_t>(type_of(r))] = true;
  for (uint8_t t = 1; t <= kMaxRecordType; ++t) EXPECT_TRUE(seen[t]) << "type " << int(t);

  const std::string bytes = encode_all(want);
  RecordReader reader(bytes);
  const std::vector<Record> got = decode_all(reader);
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(reader.error(), "");
  EXPECT_EQ(reader.position(), bytes.size());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(::testing::Message()
                 << "record " << i << " (" << record_type_name(type_of(want[i])) << ")");
    expect_same_record(want[i], got[i]);
  }
}

TEST(RecordCodecTest, EachRecordAloneRoundTrips) {
  for (const Record& want : sample_records()) {
    SCOPED_TRACE(record_type_name(type_of(want)));
    RecordBuffer buf;
    append_any(buf, want);
    EXPECT_EQ(buf.count(), 1u);
    EXPECT_FALSE(buf.empty());
    // Record := u8 type, u32 payload_len, payload
    ASSERT_GE(buf.bytes().size(), 5u);
    EXPECT_EQ(static_cast<uint8_t>(buf.bytes()[0]), static_cast<uint8_t>(type_of(want)));
    protocol::ByteReader header(std::string_view(buf.bytes()).substr(1, 4));
    EXPECT_EQ(header.u32(), buf.bytes().size() - 5);
    RecordReader reader(buf.bytes());
    Record got;
    ASSERT_TRUE(reader.next(got)) << reader.error();
    expect_same_record(want, got);
    EXPECT_FALSE(reader.next(got));
    EXPECT_TRUE(reader.at_end());
  }
}

TEST(RecordCodecTest, DecodeRecordTakesAPayloadOfAKnownType) {
  RecordBuffer buf;
  buf.append(AckedRecord{42, 1234});
  Record got;
  ASSERT_TRUE(decode_record(RecordType::kAcked, std::string_view(buf.bytes()).substr(5), got));
  expect_same_record(AckedRecord{42, 1234}, got);
  // the same 16 bytes read as a DeadRetriedRecord (same layout) give that type
  ASSERT_TRUE(
      decode_record(RecordType::kDeadRetried, std::string_view(buf.bytes()).substr(5), got));
  EXPECT_EQ(type_of(got), RecordType::kDeadRetried);
  // but not as a LeasedRecord (28 bytes)
  EXPECT_FALSE(decode_record(RecordType::kLeased, std::string_view(buf.bytes()).substr(5), got));
}

TEST(RecordCodecTest, TypeOfMessageIdOfAndNames) {
  const struct {
    RecordType type;
    std::string_view name;
  } names[] = {
      {RecordType::kEnqueued, "enqueued"},
      {RecordType::kSnapshot, "snapshot"},
      {RecordType::kLeased, "leased"},
      {RecordType::kAcked, "acked"},
      {RecordType::kRetryScheduled, "retry_scheduled"},
      {RecordType::kReturned, "returned"},
      {RecordType::kDeadLettered, "dead_lettered"},
      {RecordType::kDeadRetried, "dead_retried"},
      {RecordType::kDeleted, "deleted"},
      {RecordType::kQueuePurged, "queue_purged"},
      {RecordType::kIdempotencyKey, "idempotency_key"},
  };
  for (const auto& n : names) EXPECT_EQ(record_type_name(n.type), n.name);
  EXPECT_EQ(record_type_name(static_cast<RecordType>(0)), "unknown");
  EXPECT_EQ(record_type_name(static_cast<RecordType>(kMaxRecordType + 1)), "unknown");

  EnvelopeRecord enq;
  enq.id = 101;
  SnapshotRecord snap;
  snap.id = 102;
  const std::vector<std::pair<Record, std::pair<RecordType, uint64_t>>> cases = {
      {enq, {RecordType::kEnqueued, 101}},
      {snap, {RecordType::kSnapshot, 102}},
      {LeasedRecord{103, 9, 0, 1}, {RecordType::kLeased, 103}},
      {AckedRecord{104, 0}, {RecordType::kAcked, 104}},
      {RetryScheduledRecord{105, 1, 0, 0, "", ""}, {RecordType::kRetryScheduled, 105}},
      {ReturnedRecord{106, 1, ReturnReason::kReleased, 0}, {RecordType::kReturned, 106}},
      {DeadLetteredRecord{107, 1, 0, "", ""}, {RecordType::kDeadLettered, 107}},
      {DeadRetriedRecord{108, 0}, {RecordType::kDeadRetried, 108}},
      {DeletedRecord{109, 0}, {RecordType::kDeleted, 109}},
      {QueuePurgedRecord{"q", 5}, {RecordType::kQueuePurged, 0}},
      {IdempotencyKeyRecord{111, "q", "k", 0}, {RecordType::kIdempotencyKey, 111}},
      {CompletedRecord{112, "q", 0}, {RecordType::kCompleted, 112}},
      {ScheduleSetRecord{}, {RecordType::kScheduleSet, 0}},
      {ScheduleDeletedRecord{114, 0}, {RecordType::kScheduleDeleted, 0}},
  };
  ASSERT_EQ(cases.size(), kMaxRecordType);
  for (const auto& [record, expected] : cases) {
    EXPECT_EQ(type_of(record), expected.first) << record.index();
    EXPECT_EQ(message_id_of(record), expected.second) << record_type_name(expected.first);
  }
}

TEST(RecordCodecTest, TruncationAtEveryByteStopsWithAnError) {
  const std::vector<Record> records = sample_records();
  std::vector<size_t> ends;
  const std::string bytes = encode_all(records, &ends);
  size_t boundary = 0;  // records that end at or before the cut
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    while (boundary < ends.size() && ends[boundary] <= cut) ++boundary;
    const std::string truncated = bytes.substr(0, cut);  // own copy: no reading past it
    RecordReader reader(truncated);
    const std::vector<Record> got = decode_all(reader);
    EXPECT_EQ(got.size(), boundary) << "cut at " << cut;
    const bool at_record_end = cut == 0 || (boundary > 0 && ends[boundary - 1] == cut);
    if (at_record_end) {
      EXPECT_TRUE(reader.at_end()) << "cut at " << cut;
      EXPECT_EQ(reader.error(), "") << "cut at " << cut;
    } else {
      EXPECT_FALSE(reader.at_end()) << "cut at " << cut;
      EXPECT_NE(reader.error(), "") << "cut at " << cut;
      EXPECT_EQ(reader.position(), boundary ? ends[boundary - 1] : 0) << "cut at " << cut;
    }
  }
}

TEST(RecordCodecTest, UnknownTypeByteIsAnError) {
  RecordBuffer buf;
  buf.append(AckedRecord{1, 2});
  buf.append(AckedRecord{3, 4});
  const size_t second = buf.bytes().size() / 2;
  for (int type : {0, kMaxRecordType + 1, 0x7f, 0xff}) {
    std::string bytes = buf.bytes();
    bytes[second] = static_cast<char>(type);
    RecordReader reader(bytes);
    Record r;
    EXPECT_TRUE(reader.next(r));
    EXPECT_FALSE(reader.next(r)) << "type " << type;
    EXPECT_EQ(reader.error(), "unknown record type");
    EXPECT_EQ(reader.position(), second);
    EXPECT_FALSE(reader.at_end());
  }
}

TEST(RecordCodecTest, PayloadLengthOverTheBufferIsAnError) {
  RecordBuffer buf;
  buf.append(LeasedRecord{1, 2, 3, 4});
  for (uint32_t len : {uint32_t{29}, uint32_t{1000}, std::numeric_limits<uint32_t>::max()}) {
    std::string bytes = buf.bytes();
    protocol::patch_u32(bytes, 1, len);
    RecordReader reader(bytes);
    Record r;
    EXPECT_FALSE(reader.next(r)) << "length " << len;
    EXPECT_EQ(reader.error(), "record header or length overruns the buffer");
    EXPECT_EQ(reader.position(), 0u);
  }
}

TEST(RecordCodecTest, PayloadThatDoesNotMatchItsLayoutIsAnError) {
  auto expect_bad = [](RecordBuffer& buf, const char* what) {
    RecordReader reader(buf.bytes());
    Record r;
    EXPECT_FALSE(reader.next(r)) << what;
    EXPECT_EQ(reader.error(), "record payload does not match its layout") << what;
  };
  {  // a payload declared shorter than the layout
    RecordBuffer buf;
    buf.append(LeasedRecord{1, 2, 3, 4});
    std::string bytes = buf.bytes().substr(0, buf.bytes().size() - 1);
    protocol::patch_u32(bytes, 1, static_cast<uint32_t>(bytes.size() - 5));
    RecordReader reader(bytes);
    Record r;
    EXPECT_FALSE(reader.next(r));
    EXPECT_EQ(reader.error(), "record payload does not match its layout");
  }
  {  // a trailing byte inside the payload
    RecordBuffer buf;
    buf.append(AckedRecord{1, 2});
    std::string bytes = buf.bytes() + "x";
    protocol::patch_u32(bytes, 1, static_cast<uint32_t>(bytes.size() - 5));
    RecordReader reader(bytes);
    Record r;
    EXPECT_FALSE(reader.next(r));
    EXPECT_EQ(reader.error(), "record payload does not match its layout");
  }
  {  // a return reason past kReleased
    RecordBuffer buf;
    buf.append(ReturnedRecord{1, 1, ReturnReason::kReleased, 5});
    std::string bytes = buf.bytes();
    bytes[5 + 8 + 4] = 3;
    RecordBuffer bad;
    bad.append_encoded(bytes, 1);
    expect_bad(bad, "reason 3");
  }
  {  // a persisted state past kLeased
    RecordBuffer buf;
    buf.append_envelope(envelope(3, PersistedState::kPending, {}), {});
    std::string bytes = buf.bytes();
    const size_t state_at = 5 + 8 + 2 + envelope(3, PersistedState::kPending, {}).queue.size() + 1;
    ASSERT_EQ(bytes[state_at], 0);
    bytes[state_at] = 3;
    RecordBuffer bad;
    bad.append_encoded(bytes, 1);
    expect_bad(bad, "state 3");
  }
  {  // a failure count larger than what is left
    RecordBuffer buf;
    buf.append_envelope(envelope(3, PersistedState::kPending, {}), {});
    std::string bytes = buf.bytes();
    const EnvelopeRecord e = envelope(3, PersistedState::kPending, {});
    const size_t nfail_at =
        5 + 8 + 2 + e.queue.size() + 1 + 1 + 8 + 8 + 4 + 2 + 2 + e.idempotency_key.size();
    ASSERT_EQ(bytes[nfail_at], 0);
    bytes[nfail_at] = 100;
    RecordBuffer bad;
    bad.append_encoded(bytes, 1);
    expect_bad(bad, "100 failures");
  }
  {  // a queue purge must carry message id 0
    RecordBuffer buf;
    buf.append(QueuePurgedRecord{"q", 1});
    std::string bytes = buf.bytes();
    bytes[5] = 1;
    RecordBuffer bad;
    bad.append_encoded(bytes, 1);
    expect_bad(bad, "purge with an id");
  }
}

TEST(RecordBufferTest, SwapAppendEncodedAndClear) {
  RecordBuffer a;
  a.append(AckedRecord{1, 10});
  a.append(AckedRecord{2, 20});
  RecordBuffer b;
  b.append(DeletedRecord{3, 30});
  RecordBuffer merged;
  merged.append_encoded(a.bytes(), a.count());
  merged.append_encoded(b.bytes(), b.count());
  EXPECT_EQ(merged.count(), 3u);
  EXPECT_EQ(merged.bytes(), a.bytes() + b.bytes());

  RecordBuffer empty;
  empty.swap(a);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.bytes(), "");
  EXPECT_EQ(empty.count(), 2u);
  RecordReader reader(empty.bytes());
  Record r;
  ASSERT_TRUE(reader.next(r));
  expect_same_record(AckedRecord{1, 10}, r);
  empty.clear();
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.bytes().size(), 0u);
}

}  // namespace
}  // namespace symphony::wal
