// Leases, touch, disconnect, ack/nack, retry backoff and dead-lettering.
#include <gtest/gtest.h>

#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::ErrorCode;
using protocol::NackMode;
using protocol::NackOutcome;

class CoreSettleTest : public CoreTest {
 protected:
  /// Subscribes consumer 1 with a 5 s lease, dispatches one message and delivers it at kT0.
  MessageId leased_message(std::string type = "Job") {
    subscribe(1, {"default"}, 10, 5000);
    const MessageId id = dispatch_ok(std::move(type));
    deliver();
    EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{id});
    take_records();
    return id;
  }

  struct RetryRun {
    std::vector<int64_t> delays;  ///< available_at - now of each scheduled retry
    uint32_t dead_attempt = 0;    ///< attempt on which the message was dead-lettered
  };
  /// Nacks (retryable) every delivery of `id` from its current attempt on, waiting out each
  /// backoff, until it is dead.
  RetryRun retry_until_dead(MessageId id, ConsumerId consumer) {
    RetryRun run;
    for (uint32_t attempt = core().find(id)->attempts; attempt <= 20; ++attempt) {
      const protocol::NackResultItem r = nack(consumer, id, NackMode::kRetry, "smtp down", "Smtp");
      EXPECT_EQ(r.code, ErrorCode::kOk);
      if (r.outcome == NackOutcome::kDeadLettered) {
        run.dead_attempt = attempt;
        return run;
      }
      EXPECT_EQ(r.outcome, NackOutcome::kRetryScheduled);
      run.delays.push_back(r.available_at_ms - now);
      advance_to(r.available_at_ms - 1);
      EXPECT_TRUE(sink.take().empty()) << "redelivered before its backoff ended";
      advance_to(r.available_at_ms);
      const std::vector<Delivery> got = sink.take();
      EXPECT_EQ(got.size(), 1u);
      if (got.size() != 1) return run;
      EXPECT_EQ(got[0].attempt, attempt + 1);
      now += 10;  // the handler takes a little while
    }
    ADD_FAILURE() << "never dead-lettered";
    return run;
  }
};

TEST_F(CoreSettleTest, LeaseExpiresExactlyAtItsDeadline) {
  const MessageId id = leased_message();
  EXPECT_EQ(core().find(id)->lease_deadline_ms, kT0 + 5000);

  advance_to(kT0 + 4999);
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kLeased);
  EXPECT_TRUE(take_records().empty());

  now = kT0 + 5000;
  core().tick(now);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kReady);
  const std::vector<wal::Record> recs = take_records();
  ASSERT_EQ(recs.size(), 1u);
  const auto returned = records_of<wal::ReturnedRecord>(recs);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].id, id);
  EXPECT_EQ(returned[0].reason, wal::ReturnReason::kLeaseExpired);
  EXPECT_EQ(returned[0].attempts, 1u);
  EXPECT_EQ(returned[0].at_ms, kT0 + 5000);
  EXPECT_EQ(stats().expired_total, 1u);
  EXPECT_EQ(stats().in_flight, 0u);
  EXPECT_EQ(stats().ready, 1u);

  deliver();
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, id);
  EXPECT_EQ(got[0].attempt, 2u);
  EXPECT_EQ(got[0].lease_deadline_ms, kT0 + 10'000);
}

TEST_F(CoreSettleTest, TouchExtendsTheLease) {
  const MessageId id = leased_message();
  now = kT0 + 4000;
  const protocol::TouchResultItem t = core().touch(1, id, 5000, now);
  EXPECT_EQ(t.code, ErrorCode::kOk);
  EXPECT_EQ(t.message_id, id);
  EXPECT_EQ(t.lease_deadline_ms, kT0 + 9000);
  EXPECT_EQ(log.count(), 0u) << "a touch is not persisted";

  advance_to(kT0 + 5000);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kLeased);
  advance_to(kT0 + 8999);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kLeased);
  EXPECT_EQ(stats().expired_total, 0u);
  EXPECT_TRUE(sink.take().empty());

  advance_to(kT0 + 9000);
  EXPECT_EQ(stats().expired_total, 1u);
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].attempt, 2u);
}

TEST_F(CoreSettleTest, TouchWithoutExtensionUsesTheConsumersLease) {
  options.max_lease_ms = 20'000;
  const MessageId id = leased_message();
  now = kT0 + 1000;
  EXPECT_EQ(core().touch(1, id, 0, now).lease_deadline_ms, kT0 + 6000);
  EXPECT_EQ(core().touch(1, id, 999'999, now).lease_deadline_ms, kT0 + 21'000)
      << "extension capped at max_lease_ms";
}

TEST_F(CoreSettleTest, OnlyTheLeaseHolderMaySettle) {
  const MessageId id = leased_message();
  subscribe(2, {"default"}, 10, 5000);
  deliver();

  EXPECT_EQ(core().touch(2, id, 1000, now).code, ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(core().ack(2, id, now), ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(nack(2, id, NackMode::kRetry).code, ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(nack(2, id, NackMode::kRelease).code, ErrorCode::kNotLeaseHolder);

  EXPECT_EQ(core().touch(1, 999, 1000, now).code, ErrorCode::kUnknownMessage);
  EXPECT_EQ(core().ack(1, 999, now), ErrorCode::kUnknownMessage);
  const protocol::NackResultItem unknown = nack(1, 999, NackMode::kFatal);
  EXPECT_EQ(unknown.code, ErrorCode::kUnknownMessage);
  EXPECT_EQ(unknown.message_id, 999u);

  EXPECT_EQ(log.count(), 0u) << "failed settles change nothing";
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kLeased);
  EXPECT_EQ(core().find(id)->lease_holder, 1u);
  EXPECT_EQ(core().find(id)->lease_deadline_ms, kT0 + 5000);
  EXPECT_EQ(core().ack(1, id, now), ErrorCode::kOk);
}

TEST_F(CoreSettleTest, MessageThatIsNotLeasedCannotBeSettled) {
  subscribe(1, {"default"}, 10);
  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(1, 0, credit), ErrorCode::kOk);
  const MessageId id = dispatch_ok();
  deliver();
  EXPECT_EQ(core().ack(1, id, now), ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(nack(1, id, NackMode::kRetry).code, ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(core().touch(1, id, 0, now).code, ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kReady);
}

TEST_F(CoreSettleTest, AckAfterExpiryByTheOldHolderIsRefused) {
  const MessageId id = leased_message();
  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(1, 0, credit), ErrorCode::kOk);  // 1 takes nothing new
  now = kT0 + 5000;
  core().tick(now);
  EXPECT_EQ(core().ack(1, id, now), ErrorCode::kNotLeaseHolder) << "expired, not yet redelivered";

  subscribe(2, {"default"}, 10, 5000);
  deliver();
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].consumer, 2u);
  EXPECT_EQ(core().ack(1, id, now), ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(core().touch(1, id, 1000, now).code, ErrorCode::kNotLeaseHolder);
  EXPECT_EQ(core().ack(2, id, now), ErrorCode::kOk);
}

TEST_F(CoreSettleTest, AckCompletesAndForgetsTheMessage) {
  const MessageId id = leased_message();
  now = kT0 + 1200;
  ASSERT_EQ(core().ack(1, id, now), ErrorCode::kOk);
  EXPECT_EQ(core().find(id), std::nullopt);
  EXPECT_EQ(core().envelope_count(), 0u);
  EXPECT_EQ(stats().acked_total, 1u);
  EXPECT_EQ(stats().in_flight, 0u);
  EXPECT_EQ(core().ack(1, id, now), ErrorCode::kUnknownMessage) << "a second ack";
  advance_to(kT0 + 10'000);
  EXPECT_TRUE(sink.take().empty()) << "the old lease deadline must not resurrect it";
  EXPECT_EQ(stats().expired_total, 0u);
}

TEST_F(CoreSettleTest, DisconnectReturnsEveryLeaseToTheOtherConsumer) {
  subscribe(1, {"default"}, 3);
  for (int i = 0; i < 3; ++i) dispatch_ok();
  deliver();
  ASSERT_EQ(sink.take().size(), 3u);
  subscribe(2, {"default"}, 10);
  deliver();
  EXPECT_TRUE(sink.take().empty());
  take_records();

  now = kT0 + 700;
  core().disconnect(1, now);
  const std::vector<wal::Record> recs = take_records();
  const auto returned = records_of<wal::ReturnedRecord>(recs);
  ASSERT_EQ(recs.size(), 3u);
  ASSERT_EQ(returned.size(), 3u);
  for (size_t i = 0; i < returned.size(); ++i) {
    EXPECT_EQ(returned[i].id, i + 1) << "returned in id order";
    EXPECT_EQ(returned[i].reason, wal::ReturnReason::kConsumerGone);
    EXPECT_EQ(returned[i].attempts, 1u);
    EXPECT_EQ(returned[i].at_ms, kT0 + 700);
  }
  EXPECT_EQ(stats().consumers, 1u);
  EXPECT_EQ(stats().in_flight, 0u);

  deliver();
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 3u);
  for (const Delivery& d : got) {
    EXPECT_EQ(d.consumer, 2u);
    EXPECT_EQ(d.attempt, 2u);
  }
  EXPECT_EQ(ids_of(got), (std::vector<MessageId>{1, 2, 3}));
  ASSERT_EQ(core().find(1)->failures.size(), 1u);
  EXPECT_EQ(core().find(1)->failures[0].error_class, "ConsumerGone");
  EXPECT_EQ(core().ack(1, 1, now), ErrorCode::kNotLeaseHolder);
}

TEST_F(CoreSettleTest, DisconnectOfAnUnknownConsumerIsHarmless) {
  core().disconnect(77, now);
  EXPECT_EQ(log.count(), 0u);
  const MessageId id = dispatch_ok();
  subscribe(1, {"default"}, 1);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{id});
}

TEST_F(CoreSettleTest, DefaultRetryPolicyBacksOffThenDeadLetters) {
  const MessageId id = leased_message();
  now = kT0 + 100;

  // first nack checked by hand: result, record, and no early redelivery
  const protocol::NackResultItem first = nack(1, id, NackMode::kRetry, "smtp down", "Smtp");
  EXPECT_EQ(first.code, ErrorCode::kOk);
  EXPECT_EQ(first.message_id, id);
  EXPECT_EQ(first.outcome, NackOutcome::kRetryScheduled);
  EXPECT_EQ(first.available_at_ms, kT0 + 1100);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kDelayed);
  EXPECT_EQ(stats().delayed, 1u);
  const auto scheduled = records_of<wal::RetryScheduledRecord>(take_records());
  ASSERT_EQ(scheduled.size(), 1u);
  EXPECT_EQ(scheduled[0].id, id);
  EXPECT_EQ(scheduled[0].attempt, 1u);
  EXPECT_EQ(scheduled[0].failed_at_ms, kT0 + 100);
  EXPECT_EQ(scheduled[0].available_at_ms, kT0 + 1100);
  EXPECT_EQ(scheduled[0].error, "smtp down");
  EXPECT_EQ(scheduled[0].error_class, "Smtp");
  advance_to(kT0 + 1099);
  EXPECT_TRUE(sink.take().empty());
  advance_to(kT0 + 1100);
  ASSERT_EQ(sink.take().size(), 1u);
  now += 10;

  const RetryRun run = retry_until_dead(id, 1);
  EXPECT_EQ(run.delays, (std::vector<int64_t>{2000, 4000}));
  EXPECT_EQ(run.dead_attempt, 4u);

  const std::optional<EnvelopeView> e = core().find(id);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->state, EnvelopeState::kDead);
  EXPECT_EQ(e->attempts, 4u);
  EXPECT_EQ(e->failures.size(), 4u);
  const protocol::QueueStats s = stats();
  EXPECT_EQ(s.dead, 1u);
  EXPECT_EQ(s.dead_lettered_total, 1u);
  EXPECT_EQ(s.retried_total, 3u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.ready, 0u);
  EXPECT_EQ(s.delayed, 0u);

  const auto dead = records_of<wal::DeadLetteredRecord>(take_records());
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].id, id);
  EXPECT_EQ(dead[0].attempt, 4u);
  EXPECT_EQ(dead[0].failed_at_ms, now);
  EXPECT_EQ(dead[0].error, "smtp down");
  EXPECT_EQ(dead[0].error_class, "Smtp");

  advance_to(now + 3'600'000);
  EXPECT_TRUE(sink.take().empty()) << "a dead letter is never redelivered";
  EXPECT_EQ(core().ack(1, id, now), ErrorCode::kNotLeaseHolder);
}

TEST_F(CoreSettleTest, SeedsEmailPolicyAndDefaultForOtherTypes) {
  options.retry.set("EmailMessage",
                    {.max_retries = 5, .delay_ms = 2000, .multiplier = 2.0, .max_delay_ms = 60000});
  subscribe(1, {"default"}, 10, 600'000);
  const MessageId email = dispatch_ok("EmailMessage");
  deliver();
  ASSERT_EQ(sink.take().size(), 1u);
  EXPECT_EQ(core().find(email)->max_retries, 5);
  const RetryRun email_run = retry_until_dead(email, 1);
  EXPECT_EQ(email_run.delays, (std::vector<int64_t>{2000, 4000, 8000, 16000, 32000}));
  EXPECT_EQ(email_run.dead_attempt, 6u);

  const MessageId sms = dispatch_ok("SmsMessage");
  deliver();
  ASSERT_EQ(sink.take().size(), 1u);
  EXPECT_EQ(core().find(sms)->max_retries, 3);
  const RetryRun sms_run = retry_until_dead(sms, 1);
  EXPECT_EQ(sms_run.delays, (std::vector<int64_t>{1000, 2000, 4000}));
  EXPECT_EQ(sms_run.dead_attempt, 4u);
  EXPECT_EQ(stats().dead, 2u);
}

TEST_F(CoreSettleTest, FatalNackDeadLettersAtOnce) {
  const MessageId id = leased_message();
  const protocol::NackResultItem r = nack(1, id, NackMode::kFatal, "bad address", "Validation");
  EXPECT_EQ(r.code, ErrorCode::kOk);
  EXPECT_EQ(r.outcome, NackOutcome::kDeadLettered);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kDead);
  EXPECT_EQ(stats().dead, 1u);
  EXPECT_EQ(stats().retried_total, 0u);
  const std::vector<wal::Record> recs = take_records();
  ASSERT_EQ(recs.size(), 1u);
  const auto dead = records_of<wal::DeadLetteredRecord>(recs);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].attempt, 1u);
  EXPECT_EQ(dead[0].error, "bad address");
  EXPECT_EQ(dead[0].error_class, "Validation");
  advance_to(kT0 + 60'000);
  EXPECT_TRUE(sink.take().empty());
}

TEST_F(CoreSettleTest, ReleaseHandsBackWithoutCountingTheAttempt) {
  const MessageId id = leased_message();
  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(1, 0, credit), ErrorCode::kOk);
  now = kT0 + 300;
  const protocol::NackResultItem r = nack(1, id, NackMode::kRelease, "", "");
  EXPECT_EQ(r.code, ErrorCode::kOk);
  EXPECT_EQ(r.outcome, NackOutcome::kReleased);
  EXPECT_EQ(r.available_at_ms, kT0) << "back in its original place";
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kReady);
  EXPECT_TRUE(core().find(id)->failures.empty());
  EXPECT_EQ(stats().ready, 1u);
  const std::vector<wal::Record> recs = take_records();
  ASSERT_EQ(recs.size(), 1u);
  const auto returned = records_of<wal::ReturnedRecord>(recs);
  ASSERT_EQ(returned.size(), 1u);
  EXPECT_EQ(returned[0].id, id);
  EXPECT_EQ(returned[0].reason, wal::ReturnReason::kReleased);
  EXPECT_EQ(returned[0].attempts, 0u);
  EXPECT_EQ(returned[0].at_ms, kT0 + 300);

  subscribe(2, {"default"}, 10);
  deliver();  // no tick needed: ready at once
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].consumer, 2u);
  EXPECT_EQ(got[0].attempt, 1u) << "a release does not count as an attempt";
}

TEST_F(CoreSettleTest, LeaseExpiryCountsTowardsRetries) {
  const MessageId id = leased_message();
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    advance_to(core().find(id)->lease_deadline_ms);  // expires and is redelivered
    const std::vector<Delivery> got = sink.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].attempt, attempt + 1);
  }
  take_records();
  advance_to(core().find(id)->lease_deadline_ms);
  EXPECT_TRUE(sink.take().empty());

  const std::optional<EnvelopeView> e = core().find(id);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->state, EnvelopeState::kDead);
  ASSERT_EQ(e->failures.size(), 4u);
  for (const Failure& f : e->failures) EXPECT_EQ(f.error_class, "LeaseExpired");
  EXPECT_EQ(stats().expired_total, 4u);
  EXPECT_EQ(stats().dead, 1u);
  const std::vector<wal::Record> recs = take_records();
  const auto dead = records_of<wal::DeadLetteredRecord>(recs);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].attempt, 4u);
  EXPECT_EQ(dead[0].error_class, "LeaseExpired");
  EXPECT_TRUE(records_of<wal::ReturnedRecord>(recs).empty()) << "dead, not returned";
}

TEST_F(CoreSettleTest, FailuresKeepTheHistory) {
  const MessageId id = leased_message();
  now = kT0 + 100;
  ASSERT_EQ(nack(1, id, NackMode::kRetry, "timeout after 5s", "TimeoutError").outcome,
            NackOutcome::kRetryScheduled);
  advance_to(kT0 + 1100);
  ASSERT_EQ(sink.take().size(), 1u);
  now = kT0 + 1500;
  ASSERT_EQ(nack(1, id, NackMode::kRetry, "connection refused", "ConnectionError").outcome,
            NackOutcome::kRetryScheduled);

  const std::optional<EnvelopeView> e = core().find(id);
  ASSERT_TRUE(e.has_value());
  ASSERT_EQ(e->failures.size(), 2u);
  EXPECT_EQ(e->failures[0].attempt, 1u);
  EXPECT_EQ(e->failures[0].error, "timeout after 5s");
  EXPECT_EQ(e->failures[0].error_class, "TimeoutError");
  EXPECT_EQ(e->failures[0].failed_at_ms, kT0 + 100);
  EXPECT_EQ(e->failures[1].attempt, 2u);
  EXPECT_EQ(e->failures[1].error, "connection refused");
  EXPECT_EQ(e->failures[1].error_class, "ConnectionError");
  EXPECT_EQ(e->failures[1].failed_at_ms, kT0 + 1500);
}

TEST_F(CoreSettleTest, JitteredRetryStaysWithinBounds) {
  options.retry.default_policy().jitter = 0.5;
  const MessageId id = leased_message();
  now = kT0 + 100;
  const protocol::NackResultItem r = nack(1, id, NackMode::kRetry);
  ASSERT_EQ(r.outcome, NackOutcome::kRetryScheduled);
  EXPECT_GE(r.available_at_ms - now, 500);
  EXPECT_LE(r.available_at_ms - now, 1500);
}

TEST_F(CoreSettleTest, AckedLeasesDoNotPileUpInTheTimerHeap) {
  // A lease's timer is left behind when it is acked (lazy deletion); tick() prunes the dead ones
  // once the heap has doubled, so a long lease at a high ack rate cannot grow it without bound.
  subscribe(1, {"default"}, 1000, 30'000);
  subscribe(2, {"held"}, 1, 30'000);
  const MessageId held = dispatch_ok("Held", 0, "held");  // stays leased: its timer must survive
  deliver();
  ASSERT_EQ(ids_of(sink.take()), std::vector<MessageId>{held});
  size_t most = 0;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 1000; ++i) dispatch_ok();
    deliver();
    for (const Delivery& d : sink.take()) ASSERT_EQ(core().ack(1, d.id, now), ErrorCode::kOk);
    now += 1;  // 200 ms in all: every lease is still far from its deadline
    core().tick(now);
    most = std::max(most, core().timer_count());
  }
  // 200,000 acked leases; without pruning every one of them would still be in the heap
  EXPECT_LT(most, 70'000u);
  EXPECT_LT(core().timer_count(), 70'000u);
  // the live lease kept its timer through the prunes: it still expires at its deadline
  advance_to(kT0 + 30'000 - 1);
  EXPECT_TRUE(sink.take().empty());
  advance_to(kT0 + 30'000);
  const std::vector<Delivery> again = sink.take();
  ASSERT_EQ(ids_of(again), std::vector<MessageId>{held}) << "redelivered after its lease expired";
  EXPECT_EQ(again[0].attempt, 2u);
}

}  // namespace
}  // namespace symphony::broker::test
