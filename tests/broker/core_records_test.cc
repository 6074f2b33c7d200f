// Idempotency keys and the log records the core emits.
#include <gtest/gtest.h>

#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::EnvelopeStatus;
using protocol::ErrorCode;

class CoreIdempotencyTest : public CoreTest {
 protected:
  static constexpr TimeMs kWindow = 10'000;
  void SetUp() override { options.idempotency_window_ms = kWindow; }

  protocol::DispatchResult send(std::string key, std::string queue = "") {
    return dispatch("Job", "{}", 0, 0, std::move(queue), std::move(key));
  }
};

TEST_F(CoreIdempotencyTest, DuplicateWithinTheWindowReturnsTheOriginal) {
  const protocol::DispatchResult first = send("order-1");
  ASSERT_EQ(first.code, ErrorCode::kOk);
  EXPECT_FALSE(first.duplicate);
  const uint32_t records = log.count();

  advance_to(kT0 + kWindow - 1);
  const protocol::DispatchResult again = send("order-1");
  EXPECT_EQ(again.code, ErrorCode::kOk);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message_id, first.message_id);
  EXPECT_EQ(again.status, EnvelopeStatus::kPending);
  EXPECT_EQ(again.queue, "default");
  EXPECT_EQ(core().envelope_count(), 1u);
  EXPECT_EQ(log.count(), records) << "a duplicate is not logged";
  EXPECT_EQ(core().next_id(), first.message_id + 1);
  EXPECT_EQ(stats().dispatched_total, 1u);
}

TEST_F(CoreIdempotencyTest, SameKeyAfterTheWindowIsANewMessage) {
  const protocol::DispatchResult first = send("order-1");
  advance_to(kT0 + kWindow);
  const protocol::DispatchResult later = send("order-1");
  EXPECT_FALSE(later.duplicate);
  EXPECT_NE(later.message_id, first.message_id);
  EXPECT_EQ(later.message_id, first.message_id + 1);
  EXPECT_EQ(core().envelope_count(), 2u);
}

TEST_F(CoreIdempotencyTest, WindowExpiresWithoutATickToo) {
  const protocol::DispatchResult first = send("order-1");
  now = kT0 + kWindow;
  const protocol::DispatchResult later = send("order-1");
  EXPECT_FALSE(later.duplicate);
  EXPECT_NE(later.message_id, first.message_id);
}

TEST_F(CoreIdempotencyTest, ReusedKeyGetsAFreshWindow) {
  send("k");  // id 1, window ends at kT0 + kWindow
  now = kT0 + kWindow;
  const MessageId second = send("k").message_id;  // before any tick dropped the old entry
  core().tick(now);  // the first entry's expiry must not drop the second
  now = kT0 + kWindow + 1;
  const protocol::DispatchResult dup = send("k");
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.message_id, second);

  advance_to(kT0 + 2 * kWindow);
  const protocol::DispatchResult third = send("k");
  EXPECT_FALSE(third.duplicate);
  EXPECT_EQ(third.message_id, second + 1);
}

TEST_F(CoreIdempotencyTest, KeysAreScopedByQueue) {
  const protocol::DispatchResult a = send("k", "a");
  const protocol::DispatchResult b = send("k", "b");
  EXPECT_FALSE(b.duplicate);
  EXPECT_NE(a.message_id, b.message_id);
  EXPECT_EQ(b.queue, "b");
  const protocol::DispatchResult a2 = send("k", "a");
  EXPECT_TRUE(a2.duplicate);
  EXPECT_EQ(a2.message_id, a.message_id);
  EXPECT_EQ(a2.queue, "a");
}

TEST_F(CoreIdempotencyTest, NoKeyNeverDeduplicates) {
  EXPECT_NE(send("").message_id, send("").message_id);
}

TEST_F(CoreIdempotencyTest, DuplicateReportsTheOriginalsStatus) {
  subscribe(1, {"default"}, 10);
  const MessageId processing = send("p").message_id;
  const MessageId done = send("c").message_id;
  const MessageId failed = send("f").message_id;
  deliver();
  ASSERT_EQ(sink.take().size(), 3u);
  ASSERT_EQ(core().ack(1, done, now), ErrorCode::kOk);
  ASSERT_EQ(nack(1, failed, protocol::NackMode::kFatal).outcome,
            protocol::NackOutcome::kDeadLettered);

  const protocol::DispatchResult p = send("p");
  EXPECT_TRUE(p.duplicate);
  EXPECT_EQ(p.message_id, processing);
  EXPECT_EQ(p.status, EnvelopeStatus::kProcessing);
  const protocol::DispatchResult c = send("c");
  EXPECT_TRUE(c.duplicate);
  EXPECT_EQ(c.message_id, done);
  EXPECT_EQ(c.status, EnvelopeStatus::kCompleted);
  const protocol::DispatchResult f = send("f");
  EXPECT_TRUE(f.duplicate);
  EXPECT_EQ(f.message_id, failed);
  EXPECT_EQ(f.status, EnvelopeStatus::kFailed);
  EXPECT_EQ(core().envelope_count(), 2u);
}

TEST_F(CoreIdempotencyTest, DefaultWindowIsADay) {
  options.idempotency_window_ms = CoreOptions{}.idempotency_window_ms;
  const MessageId id = send("k").message_id;
  advance_to(kT0 + 24 * 3600 * 1000 - 1);
  EXPECT_EQ(send("k").message_id, id);
  advance_to(kT0 + 24 * 3600 * 1000);
  EXPECT_NE(send("k").message_id, id);
}

// ---- records ----

using CoreRecordsTest = CoreTest;

TEST_F(CoreRecordsTest, DispatchLogsTheWholeEnvelope) {
  MessageSpec s;
  s.type = "EmailMessage";
  s.payload = R"({"to":"a@example.com","subject":"hi"})";
  s.metadata = R"({"trace":"t-1"})";
  s.headers = {{"x-tenant", "acme"}, {"x-empty", ""}};
  s.queue = "mail";
  s.priority = 7;
  s.when = protocol::When::kDelayMs;
  s.when_value = 1500;
  s.key = "k-1";
  const protocol::DispatchResult r = dispatch_spec(s);
  ASSERT_EQ(r.code, ErrorCode::kOk) << r.error;

  const std::vector<wal::Record> recs = take_records();
  ASSERT_EQ(recs.size(), 1u);
  const wal::EnvelopeRecord* e = std::get_if<wal::EnvelopeRecord>(&recs[0]);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->id, r.message_id);
  EXPECT_EQ(e->queue, "mail");
  EXPECT_EQ(e->priority, 7);
  EXPECT_EQ(e->state, wal::PersistedState::kPending);
  EXPECT_EQ(e->created_at_ms, kT0);
  EXPECT_EQ(e->available_at_ms, kT0 + 1500);
  EXPECT_EQ(e->attempts, 0u);
  EXPECT_EQ(e->max_retries, 3);
  EXPECT_EQ(e->idempotency_key, "k-1");
  EXPECT_TRUE(e->failures.empty());

  protocol::MessageBodyView body;
  ASSERT_TRUE(protocol::parse_message_body(e->body, body));
  EXPECT_EQ(body.type, "EmailMessage");
  EXPECT_EQ(body.payload, s.payload);
  EXPECT_EQ(body.metadata, s.metadata);
  EXPECT_EQ(protocol::to_header_list(body.headers), s.headers);
}

TEST_F(CoreRecordsTest, EnvelopeRecordCarriesDefaultsAndTypePolicy) {
  options.retry.set("EmailMessage", {.max_retries = 5});
  dispatch_ok("EmailMessage");
  dispatch_ok("Other");
  const auto envs = records_of<wal::EnvelopeRecord>(take_records());
  ASSERT_EQ(envs.size(), 2u);
  EXPECT_EQ(envs[0].max_retries, 5);
  EXPECT_EQ(envs[1].max_retries, 3);
  for (const wal::EnvelopeRecord& e : envs) {
    EXPECT_EQ(e.queue, "default");
    EXPECT_EQ(e.priority, 5);
    EXPECT_EQ(e.available_at_ms, kT0);
    EXPECT_TRUE(e.idempotency_key.empty());
    protocol::MessageBodyView body;
    ASSERT_TRUE(protocol::parse_message_body(e.body, body));
    EXPECT_EQ(body.payload, "{}");
    EXPECT_TRUE(body.metadata.empty());
    EXPECT_EQ(body.headers.count, 0);
  }
}

TEST_F(CoreRecordsTest, DeliveryTouchAndAckRecords) {
  const MessageId id = dispatch_ok();
  protocol::CreditOk credit;
  subscribe(9, {"default"}, 10, 5000);
  ASSERT_EQ(core().set_prefetch(9, 10, credit), ErrorCode::kOk);
  take_records();

  now = kT0 + 50;
  deliver();
  std::vector<wal::Record> recs = take_records();
  ASSERT_EQ(recs.size(), 1u);
  const wal::LeasedRecord* leased = std::get_if<wal::LeasedRecord>(&recs[0]);
  ASSERT_NE(leased, nullptr);
  EXPECT_EQ(leased->id, id);
  EXPECT_EQ(leased->consumer, 9u);
  EXPECT_EQ(leased->deadline_ms, kT0 + 5050);
  EXPECT_EQ(leased->attempt, 1u);

  now = kT0 + 1000;
  ASSERT_EQ(core().touch(9, id, 4000, now).code, ErrorCode::kOk);
  core().tick(now);
  deliver();
  EXPECT_EQ(log.count(), 0u) << "touch, idle tick and idle deliver log nothing";

  now = kT0 + 2000;
  ASSERT_EQ(core().ack(9, id, now), ErrorCode::kOk);
  recs = take_records();
  ASSERT_EQ(recs.size(), 1u);
  const wal::AckedRecord* acked = std::get_if<wal::AckedRecord>(&recs[0]);
  ASSERT_NE(acked, nullptr);
  EXPECT_EQ(acked->id, id);
  EXPECT_EQ(acked->at_ms, kT0 + 2000);
}

TEST_F(CoreRecordsTest, RedeliveryLogsTheNextAttempt) {
  subscribe(1, {"default"}, 10, 1000);
  const MessageId id = dispatch_ok();
  deliver();
  take_records();
  advance_to(kT0 + 1000);
  const std::vector<wal::Record> recs = take_records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(wal::type_of(recs[0]), wal::RecordType::kReturned);
  const wal::LeasedRecord* leased = std::get_if<wal::LeasedRecord>(&recs[1]);
  ASSERT_NE(leased, nullptr);
  EXPECT_EQ(leased->id, id);
  EXPECT_EQ(leased->attempt, 2u);
  EXPECT_EQ(leased->deadline_ms, kT0 + 2000);
}

TEST_F(CoreRecordsTest, DelayedBecomingReadyLogsNothing) {
  dispatch("Job", "{}", 0, 1000);
  take_records();
  advance_to(kT0 + 1000);
  EXPECT_EQ(log.count(), 0u) << "available_at is in the envelope record already";
  EXPECT_EQ(stats().ready, 1u);
}

}  // namespace
}  // namespace symphony::broker::test
