// LogState: the replay rules, one transition at a time.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/record.h"

namespace symphony::wal {
namespace {

using State = RecoveredEnvelope::State;
using test::dump;

constexpr int64_t kT = 1'700'000'000'000;

EnvelopeRecord enqueue(uint64_t id, std::string_view queue = "q", std::string_view key = "") {
  EnvelopeRecord r;
  r.id = id;
  r.queue = queue;
  r.priority = 7;
  r.created_at_ms = kT + static_cast<int64_t>(id);
  r.available_at_ms = kT + 100 + static_cast<int64_t>(id);
  r.max_retries = 4;
  r.idempotency_key = key;
  r.body = "body";
  return r;
}

class LogStateTest : public ::testing::Test {
 protected:
  void ok(const Record& r) {
    const std::string why = state.apply(r);
    ASSERT_EQ(why, "") << record_type_name(type_of(r)) << " of " << message_id_of(r);
  }
  /// Applies an illegal record: a reason comes back and nothing changes.
  std::string illegal(const Record& r) {
    const std::string before = dump(state);
    const std::string why = state.apply(r);
    EXPECT_NE(why, "") << record_type_name(type_of(r)) << " of " << message_id_of(r)
                       << " was accepted";
    EXPECT_EQ(dump(state), before) << "an illegal record changed the state: " << why;
    return why;
  }
  const RecoveredEnvelope& env(uint64_t id) {
    auto it = state.envelopes().find(id);
    EXPECT_NE(it, state.envelopes().end()) << "no envelope " << id;
    static const RecoveredEnvelope kNone;
    return it == state.envelopes().end() ? kNone : it->second;
  }
  bool has(uint64_t id) { return state.envelopes().count(id) > 0; }

  void lease(uint64_t id, uint32_t attempt, uint64_t consumer = 9) {
    ok(LeasedRecord{id, consumer, kT + 30'000, attempt});
  }

  LogState state;
};

TEST_F(LogStateTest, EnqueueKeepsEveryField) {
  EnvelopeRecord r = enqueue(3, "orders", "k-3");
  const std::vector<FailureView> failures = {{1, kT + 5, "e1", "C1"}, {2, kT + 6, "e2", "C2"}};
  r.failures = failures;
  r.attempts = 2;
  ok(r);
  const RecoveredEnvelope& e = env(3);
  EXPECT_EQ(e.id, 3u);
  EXPECT_EQ(e.queue, "orders");
  EXPECT_EQ(e.priority, 7);
  EXPECT_EQ(e.state, State::kPending);
  EXPECT_EQ(e.created_at_ms, kT + 3);
  EXPECT_EQ(e.available_at_ms, kT + 103);
  EXPECT_EQ(e.attempts, 2u);
  EXPECT_EQ(e.max_retries, 4);
  EXPECT_EQ(e.idempotency_key, "k-3");
  EXPECT_EQ(e.body, "body");
  ASSERT_EQ(e.failures.size(), 2u);
  EXPECT_EQ(e.failures[1].attempt, 2u);
  EXPECT_EQ(e.failures[1].failed_at_ms, kT + 6);
  EXPECT_EQ(e.failures[1].error, "e2");
  EXPECT_EQ(e.failures[1].error_class, "C2");
  ASSERT_EQ(state.keys().size(), 1u);
  const RecoveredKey& k = state.keys().begin()->second;
  EXPECT_EQ(k.queue, "orders");
  EXPECT_EQ(k.key, "k-3");
  EXPECT_EQ(k.id, 3u);
  EXPECT_EQ(k.seen_at_ms, kT + 3);
  EXPECT_EQ(state.keys().begin()->first, std::string("orders\0k-3", 10));
  EXPECT_EQ(state.next_id(), 4u);
}

TEST_F(LogStateTest, LeaseThenAck) {
  ok(enqueue(1));
  ok(LeasedRecord{1, 42, kT + 9000, 1});
  EXPECT_EQ(env(1).state, State::kLeased);
  EXPECT_EQ(env(1).attempts, 1u);
  EXPECT_EQ(env(1).lease_consumer, 42u);
  EXPECT_EQ(env(1).lease_deadline_ms, kT + 9000);
  ok(AckedRecord{1, kT + 10});
  EXPECT_FALSE(has(1));
  EXPECT_EQ(state.next_id(), 2u);  // a completed id is never handed out again
}

TEST_F(LogStateTest, RetryScheduledRecordsTheFailureAndTheNewTime) {
  ok(enqueue(1));
  lease(1, 1);
  ok(RetryScheduledRecord{1, 1, kT + 50, kT + 2050, "boom", "Error"});
  const RecoveredEnvelope& e = env(1);
  EXPECT_EQ(e.state, State::kPending);
  EXPECT_EQ(e.available_at_ms, kT + 2050);
  EXPECT_EQ(e.attempts, 1u);
  ASSERT_EQ(e.failures.size(), 1u);
  EXPECT_EQ(e.failures[0].attempt, 1u);
  EXPECT_EQ(e.failures[0].failed_at_ms, kT + 50);
  EXPECT_EQ(e.failures[0].error, "boom");
  EXPECT_EQ(e.failures[0].error_class, "Error");
  lease(1, 2);  // the next delivery is attempt 2
  EXPECT_EQ(env(1).attempts, 2u);
}

TEST_F(LogStateTest, ReturnedAccumulatesFailuresExceptOnRelease) {
  ok(enqueue(1));
  const int64_t available = env(1).available_at_ms;
  lease(1, 1);
  ok(RetryScheduledRecord{1, 1, kT + 1, kT + 500, "nack", "E"});
  lease(1, 2);
  ok(ReturnedRecord{1, 2, ReturnReason::kLeaseExpired, kT + 2});
  EXPECT_EQ(env(1).state, State::kPending);
  lease(1, 3);
  ok(ReturnedRecord{1, 3, ReturnReason::kConsumerGone, kT + 3});
  lease(1, 4);
  ok(ReturnedRecord{1, 3, ReturnReason::kReleased, kT + 4});  // the attempt is given back
  const RecoveredEnvelope& e = env(1);
  EXPECT_EQ(e.state, State::kPending);
  EXPECT_EQ(e.attempts, 3u);
  EXPECT_EQ(e.available_at_ms, kT + 500) << "a return keeps available_at";
  EXPECT_NE(e.available_at_ms, available);
  ASSERT_EQ(e.failures.size(), 3u);
  EXPECT_EQ(e.failures[0].error, "nack");
  EXPECT_EQ(e.failures[1].attempt, 2u);
  EXPECT_EQ(e.failures[1].failed_at_ms, kT + 2);
  EXPECT_EQ(e.failures[1].error, "lease expired");
  EXPECT_EQ(e.failures[1].error_class, "LeaseExpired");
  EXPECT_EQ(e.failures[2].attempt, 3u);
  EXPECT_EQ(e.failures[2].failed_at_ms, kT + 3);
  EXPECT_EQ(e.failures[2].error, "consumer disconnected while holding the lease");
  EXPECT_EQ(e.failures[2].error_class, "ConsumerGone");
  lease(1, 4);  // after the release, attempt 4 again
}

TEST_F(LogStateTest, DeadLetterRetryAndDelete) {
  ok(enqueue(1));
  ok(enqueue(2));
  lease(1, 1);
  ok(DeadLetteredRecord{1, 1, kT + 7, "fatal", "Fatal"});
  EXPECT_EQ(env(1).state, State::kDead);
  EXPECT_EQ(env(1).attempts, 1u);
  ASSERT_EQ(env(1).failures.size(), 1u);
  EXPECT_EQ(env(1).failures[0].error, "fatal");
  EXPECT_EQ(env(1).failures[0].failed_at_ms, kT + 7);
  ok(DeadRetriedRecord{1, kT + 99});
  EXPECT_EQ(env(1).state, State::kPending);
  EXPECT_EQ(env(1).attempts, 0u);
  EXPECT_EQ(env(1).available_at_ms, kT + 99);
  EXPECT_EQ(env(1).failures.size(), 1u) << "the history stays";
  lease(1, 1);  // counting starts over

  lease(2, 1);
  ok(DeadLetteredRecord{2, 1, kT + 8, "fatal", "Fatal"});
  ok(DeletedRecord{2, kT + 9});
  EXPECT_FALSE(has(2));
}

TEST_F(LogStateTest, IllegalTransitionsSayWhyAndChangeNothing) {
  ok(enqueue(1));  // pending
  ok(enqueue(2));
  lease(2, 1);  // leased
  ok(enqueue(3));
  lease(3, 1);
  ok(DeadLetteredRecord{3, 1, kT, "x", "X"});  // dead
  const std::string before = dump(state);

  // lease of a dead or leased message, or with the wrong attempt
  EXPECT_NE(illegal(LeasedRecord{3, 9, kT, 2}).find("dead"), std::string::npos);
  EXPECT_NE(illegal(LeasedRecord{2, 9, kT, 2}).find("leased"), std::string::npos);
  EXPECT_NE(illegal(LeasedRecord{1, 9, kT, 2}).find("attempt 2, expected 1"), std::string::npos);
  illegal(LeasedRecord{1, 9, kT, 0});
  // ack of a pending or dead message, or of an unknown one at or above base_id (0 here)
  EXPECT_NE(illegal(AckedRecord{1, kT}).find("pending"), std::string::npos);
  illegal(AckedRecord{3, kT});
  EXPECT_NE(illegal(AckedRecord{77, kT}).find("unknown message 77"), std::string::npos);
  // settling a message that is not leased
  illegal(RetryScheduledRecord{1, 1, kT, kT, "", ""});
  illegal(ReturnedRecord{1, 0, ReturnReason::kReleased, kT});
  illegal(ReturnedRecord{3, 1, ReturnReason::kLeaseExpired, kT});
  illegal(DeadLetteredRecord{1, 1, kT, "", ""});
  illegal(DeadLetteredRecord{3, 1, kT, "", ""});
  // dead_retried / deleted of a message that is not dead
  illegal(DeadRetriedRecord{1, kT});
  illegal(DeadRetriedRecord{2, kT});
  illegal(DeletedRecord{1, kT});
  illegal(DeletedRecord{2, kT});
  illegal(DeletedRecord{55, kT});
  // enqueued ids must increase, an enqueue is pending
  EXPECT_NE(illegal(enqueue(3)).find("not new"), std::string::npos);
  illegal(enqueue(2));
  illegal(enqueue(0));
  EnvelopeRecord dead_enqueue = enqueue(10);
  dead_enqueue.state = PersistedState::kDead;
  illegal(dead_enqueue);
  EnvelopeRecord leased_enqueue = enqueue(10);
  leased_enqueue.state = PersistedState::kLeased;
  illegal(leased_enqueue);

  EXPECT_EQ(dump(state), before);
  ok(enqueue(10));  // the rejected ids did not count as seen
}

TEST_F(LogStateTest, RecordsBelowBaseIdAboutUnknownIdsAreOrphans) {
  state = LogState(100);
  EXPECT_EQ(state.base_id(), 100u);
  ok(LeasedRecord{50, 1, kT, 3});
  ok(AckedRecord{50, kT});
  ok(RetryScheduledRecord{51, 1, kT, kT, "", ""});
  ok(ReturnedRecord{52, 1, ReturnReason::kConsumerGone, kT});
  ok(DeadLetteredRecord{53, 1, kT, "", ""});
  ok(DeadRetriedRecord{54, kT});
  ok(DeletedRecord{99, kT});
  EXPECT_EQ(state.orphans(), 7u);
  EXPECT_TRUE(state.envelopes().empty());

  // at or above the base they are illegal
  illegal(AckedRecord{100, kT});
  illegal(LeasedRecord{150, 1, kT, 1});
  EXPECT_EQ(state.orphans(), 7u);
  // an enqueue below the base is not new
  illegal(enqueue(99));
  ok(enqueue(100));
  // a known id below the base follows the rules as usual
  SnapshotRecord snap;
  static_cast<EnvelopeRecord&>(snap) = enqueue(60);
  ok(snap);
  illegal(AckedRecord{60, kT});
  lease(60, 1);
  ok(AckedRecord{60, kT});
  EXPECT_EQ(state.orphans(), 7u);
}

TEST_F(LogStateTest, SnapshotReplacesEverythingKnown) {
  EnvelopeRecord first = enqueue(5, "a", "key-a");
  const std::vector<FailureView> old_failures = {{1, kT, "old", "Old"}};
  first.failures = old_failures;
  ok(first);
  lease(5, 1, 33);

  SnapshotRecord snap;
  snap.id = 5;
  snap.queue = "b";
  snap.priority = 2;
  snap.state = PersistedState::kDead;
  snap.created_at_ms = kT - 1;
  snap.available_at_ms = kT - 2;
  snap.attempts = 6;
  snap.max_retries = 9;
  snap.idempotency_key = "key-b";
  const std::vector<FailureView> new_failures = {{5, kT + 5, "n5", "N"}, {6, kT + 6, "n6", "N"}};
  snap.failures = new_failures;
  snap.body = "new body";
  ok(snap);
  const RecoveredEnvelope& e = env(5);
  EXPECT_EQ(e.queue, "b");
  EXPECT_EQ(e.priority, 2);
  EXPECT_EQ(e.state, State::kDead);
  EXPECT_EQ(e.created_at_ms, kT - 1);
  EXPECT_EQ(e.available_at_ms, kT - 2);
  EXPECT_EQ(e.attempts, 6u);
  EXPECT_EQ(e.max_retries, 9);
  EXPECT_EQ(e.idempotency_key, "key-b");
  EXPECT_EQ(e.body, "new body");
  EXPECT_EQ(e.lease_consumer, 0u) << "the lease went with the old state";
  ASSERT_EQ(e.failures.size(), 2u);
  EXPECT_EQ(e.failures[0].error, "n5");
  EXPECT_EQ(e.failures[1].attempt, 6u);

  // a leased snapshot: the acks that follow it in the log are legal
  SnapshotRecord leased;
  static_cast<EnvelopeRecord&>(leased) = enqueue(5);
  leased.state = PersistedState::kLeased;
  leased.attempts = 2;
  ok(leased);
  EXPECT_EQ(env(5).state, State::kLeased);
  EXPECT_EQ(env(5).attempts, 2u);
  EXPECT_TRUE(env(5).failures.empty());
  ok(AckedRecord{5, kT});
  EXPECT_FALSE(has(5));

  // a snapshot of an id never enqueued in this log (its enqueue was compacted away)
  SnapshotRecord fresh;
  static_cast<EnvelopeRecord&>(fresh) = enqueue(3);
  ok(fresh);
  EXPECT_EQ(env(3).state, State::kPending);
  illegal(enqueue(5));  // enqueue ids still have to increase past the last enqueue
}

TEST_F(LogStateTest, QueuePurgedRemovesOnlyPendingEnvelopesOfThatQueue) {
  ok(enqueue(1, "a"));  // pending
  ok(enqueue(2, "a"));  // leased
  lease(2, 1);
  ok(enqueue(3, "a"));  // dead
  lease(3, 1);
  ok(DeadLetteredRecord{3, 1, kT, "x", "X"});
  ok(enqueue(4, "a"));  // pending again after a retry (delayed)
  lease(4, 1);
  ok(RetryScheduledRecord{4, 1, kT, kT + 999'999, "x", "X"});
  ok(enqueue(5, "b"));  // another queue
  ok(enqueue(6, "ab"));
  ok(QueuePurgedRecord{"a", kT});
  EXPECT_FALSE(has(1));
  EXPECT_TRUE(has(2));
  EXPECT_TRUE(has(3));
  EXPECT_FALSE(has(4));
  EXPECT_TRUE(has(5));
  EXPECT_TRUE(has(6));
  EXPECT_EQ(state.envelopes().size(), 4u);
  ok(QueuePurgedRecord{"nothing-here", kT});
  EXPECT_EQ(state.envelopes().size(), 4u);
  // purged ids are gone: records about them are illegal, not orphans
  illegal(LeasedRecord{1, 1, kT, 1});
}

TEST_F(LogStateTest, IdempotencyKeyRecordsAreKept) {
  ok(enqueue(1, "q", "k1"));
  lease(1, 1);
  ok(AckedRecord{1, kT});
  ok(IdempotencyKeyRecord{1, "q", "k1", kT + 1});  // (compaction: the key outlived the envelope)
  ok(IdempotencyKeyRecord{7, "other", "k1", kT + 2});
  ASSERT_EQ(state.keys().size(), 2u);
  const auto it = state.keys().find(std::string("other\0k1", 8));
  ASSERT_NE(it, state.keys().end());
  EXPECT_EQ(it->second.id, 7u);
  EXPECT_EQ(it->second.seen_at_ms, kT + 2);
  EXPECT_EQ(state.keys().at(std::string("q\0k1", 4)).seen_at_ms, kT + 1);
  EXPECT_TRUE(state.envelopes().empty());
}

TEST_F(LogStateTest, NextIdIsTheMaxOfGroupHeadersAndIds) {
  EXPECT_EQ(state.next_id(), 1u);
  GroupHeader h;
  h.next_message_id = 50;
  state.observe_group(h);
  EXPECT_EQ(state.next_id(), 50u);
  ok(enqueue(60));
  EXPECT_EQ(state.next_id(), 61u);
  h.next_message_id = 40;
  state.observe_group(h);
  EXPECT_EQ(state.next_id(), 61u) << "never goes back";
  h.next_message_id = 100;
  state.observe_group(h);
  EXPECT_EQ(state.next_id(), 100u);
  SnapshotRecord snap;
  static_cast<EnvelopeRecord&>(snap) = enqueue(500);
  ok(snap);
  EXPECT_EQ(state.next_id(), 501u);
  lease(500, 1);
  ok(AckedRecord{500, kT});
  EXPECT_EQ(state.next_id(), 501u);
}

TEST_F(LogStateTest, TheLargestIdIsIllegalBecauseNoIdWouldBeLeftAfterIt) {
  // found by tests/fuzz/wal_replay_fuzzer: an enqueue of id 2^64 - 1 was accepted and next_id()
  // stayed where it was (id + 1 wrapped to 0), so the broker would hand out ids the log had used
  constexpr uint64_t kMax = UINT64_MAX;
  ok(enqueue(5));
  EXPECT_NE(illegal(enqueue(kMax)).find("out of range"), std::string::npos);
  SnapshotRecord snap;
  static_cast<EnvelopeRecord&>(snap) = enqueue(kMax);
  EXPECT_NE(illegal(snap).find("out of range"), std::string::npos);
  ScheduleSetRecord sched;
  sched.info.id = kMax;
  EXPECT_NE(illegal(sched).find("out of range"), std::string::npos);
  EXPECT_EQ(state.next_id(), 6u);
  // the id below it is the last one usable: the counter then stands at the largest value
  ok(enqueue(kMax - 1));
  EXPECT_EQ(state.next_id(), kMax);
}

}  // namespace
}  // namespace symphony::wal
