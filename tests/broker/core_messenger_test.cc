// The messenger features of the core: routing and fan-out, per-queue settings (default priority,
// lease, max_length), strict queues, the seeds' worked cases with a fake clock, queue purge and
// message status with the completed-envelope retention.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::EnvelopeStatus;
using protocol::ErrorCode;
using protocol::NackMode;
using protocol::NackOutcome;

class MessengerCoreTest : public CoreTest {
 protected:
  /// Dispatches one message and returns every result (several for a fan-out).
  std::vector<protocol::DispatchResult> dispatch_all(const MessageSpec& spec, uint32_t index = 0) {
    std::vector<protocol::DispatchResult> out;
    core().dispatch(make_message(spec), index, now, out);
    return out;
  }
  MessageSpec campaign() {
    MessageSpec s;
    s.type = "CampaignMessage";
    s.payload = R"({"campaign":42})";
    return s;
  }
  /// Dispatches to `queue`, delivers it to `consumer` (already subscribed) and returns its id.
  MessageId leased_in(std::string queue, ConsumerId consumer) {
    const MessageId id = dispatch_ok("Job", 0, std::move(queue));
    deliver();
    const std::vector<Delivery> got = sink.take();
    EXPECT_EQ(got.size(), 1u);
    if (!got.empty()) {
      EXPECT_EQ(got[0].id, id);
      EXPECT_EQ(got[0].consumer, consumer);
    }
    return id;
  }
};

// ---- A. routing and fan-out ----

TEST_F(MessengerCoreTest, RoutedTypeFansOutToEveryDestinationQueue) {
  options.routing["CampaignMessage"] = {"async", "email"};
  const std::vector<protocol::DispatchResult> out = dispatch_all(campaign(), 7);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].index, 7u);
  EXPECT_EQ(out[1].index, 7u);
  EXPECT_EQ(out[0].code, ErrorCode::kOk) << out[0].error;
  EXPECT_EQ(out[1].code, ErrorCode::kOk) << out[1].error;
  EXPECT_EQ(out[0].queue, "async");
  EXPECT_EQ(out[1].queue, "email");
  EXPECT_FALSE(out[0].duplicate);
  EXPECT_NE(out[0].message_id, 0u);
  EXPECT_NE(out[0].message_id, out[1].message_id);

  const std::optional<EnvelopeView> a = core().find(out[0].message_id);
  const std::optional<EnvelopeView> e = core().find(out[1].message_id);
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(a->queue, "async");
  EXPECT_EQ(e->queue, "email");
  EXPECT_EQ(message_type(a->body), "CampaignMessage");
  EXPECT_EQ(a->body, e->body) << "the same message in both queues";
  EXPECT_EQ(stats("async").ready, 1u);
  EXPECT_EQ(stats("email").ready, 1u);
  EXPECT_TRUE(core().stats("default").empty()) << "a routed type does not touch the default queue";

  const std::vector<wal::Record> records = take_records();
  const auto enqueued = records_of<wal::EnvelopeRecord>(records);
  ASSERT_EQ(enqueued.size(), 2u);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(enqueued[0].id, out[0].message_id);
  EXPECT_EQ(enqueued[0].queue, "async");
  EXPECT_EQ(enqueued[1].id, out[1].message_id);
  EXPECT_EQ(enqueued[1].queue, "email");
}

TEST_F(MessengerCoreTest, ExplicitQueueOverridesRouting) {
  options.routing["CampaignMessage"] = {"async", "email"};
  MessageSpec s = campaign();
  s.queue = "direct";
  const std::vector<protocol::DispatchResult> out = dispatch_all(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].code, ErrorCode::kOk);
  EXPECT_EQ(out[0].queue, "direct");
  EXPECT_EQ(core().find(out[0].message_id)->queue, "direct");
  EXPECT_TRUE(core().stats("async").empty());
  EXPECT_TRUE(core().stats("email").empty());
  EXPECT_EQ(records_of<wal::EnvelopeRecord>(take_records()).size(), 1u);
}

TEST_F(MessengerCoreTest, UnroutedTypeGoesToTheDefaultQueue) {
  options.routing["CampaignMessage"] = {"async", "email"};
  options.default_queue = "jobs";
  const std::vector<protocol::DispatchResult> out = dispatch_all(MessageSpec{});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].code, ErrorCode::kOk);
  EXPECT_EQ(out[0].queue, "jobs");
  EXPECT_EQ(stats("jobs").ready, 1u);
  EXPECT_TRUE(core().stats("async").empty());
}

TEST_F(MessengerCoreTest, FanOutWithAnIdempotencyKeyFindsEachOriginal) {
  options.routing["CampaignMessage"] = {"async", "email"};
  MessageSpec s = campaign();
  s.key = "campaign-42";
  const std::vector<protocol::DispatchResult> first = dispatch_all(s);
  ASSERT_EQ(first.size(), 2u);
  take_records();
  const std::vector<protocol::DispatchResult> again = dispatch_all(s);
  ASSERT_EQ(again.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(again[i].duplicate);
    EXPECT_EQ(again[i].message_id, first[i].message_id);
    EXPECT_EQ(again[i].queue, first[i].queue);
    EXPECT_EQ(again[i].status, EnvelopeStatus::kPending);
  }
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(core().envelope_count(), 2u);
}

// ---- A. queue settings ----

TEST_F(MessengerCoreTest, QueueDefaultPriorityAppliesToItsPriorityZeroMessagesOnly) {
  options.queues["email"].default_priority = 7;
  options.routing["CampaignMessage"] = {"async", "email"};
  const MessageId email_default = dispatch_ok("EmailMessage", 0, "email");
  const MessageId email_explicit = dispatch_ok("EmailMessage", 3, "email");
  const MessageId other_default = dispatch_ok("Job", 0, "async");
  EXPECT_EQ(core().find(email_default)->priority, 7);
  EXPECT_EQ(core().find(email_explicit)->priority, 3);
  EXPECT_EQ(core().find(other_default)->priority, 5);
  // routed: the same message takes each destination's default
  const std::vector<protocol::DispatchResult> out = dispatch_all(campaign());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(core().find(out[0].message_id)->priority, 5);  // async
  EXPECT_EQ(core().find(out[1].message_id)->priority, 7);  // email
}

TEST_F(MessengerCoreTest, QueueLeaseAppliesWhenSubscribeAsksForZero) {
  options.queues["slow"].lease_ms = 120'000;
  options.default_lease_ms = 30'000;
  const protocol::Subscribed first = subscribe(1, {"slow", "default"}, 10, 0);
  EXPECT_EQ(first.lease_ms, 120'000u) << "SUBSCRIBED reports the first queue's lease";
  const protocol::Subscribed second = subscribe(2, {"default", "slow"}, 10, 0);
  EXPECT_EQ(second.lease_ms, 30'000u);

  // consumer 2 is paused, so consumer 1 takes both
  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(2, 0, credit), ErrorCode::kOk);
  const MessageId slow = dispatch_ok("Job", 0, "slow");
  const MessageId normal = dispatch_ok("Job", 0, "default");
  deliver();
  std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 2u);
  for (const Delivery& d : got) {
    EXPECT_EQ(d.consumer, 1u);
    EXPECT_TRUE(d.id == slow || d.id == normal);
    EXPECT_EQ(d.lease_deadline_ms, now + (d.id == slow ? 120'000 : 30'000)) << "message " << d.id;
  }
  EXPECT_EQ(core().find(slow)->lease_deadline_ms, now + 120'000);

  // a consumer that asks for its own lease gets it, on every queue
  const protocol::Subscribed third = subscribe(3, {"slow"}, 10, 5000);
  EXPECT_EQ(third.lease_ms, 5000u);
  ASSERT_EQ(core().set_prefetch(1, 0, credit), ErrorCode::kOk);
  const MessageId mine = dispatch_ok("Job", 0, "slow");
  deliver();
  got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, mine);
  EXPECT_EQ(got[0].consumer, 3u);
  EXPECT_EQ(got[0].lease_deadline_ms, now + 5000);
}

TEST_F(MessengerCoreTest, MaxLengthRejectsTheDispatchBeyondIt) {
  options.queues["tiny"].max_length = 2;
  dispatch_ok("Job", 0, "tiny");
  dispatch_ok("Job", 0, "tiny");
  take_records();
  const MessageId next = core().next_id();
  const protocol::DispatchResult full = dispatch("Job", "{}", 0, 0, "tiny");
  EXPECT_EQ(full.code, ErrorCode::kQueueFull);
  EXPECT_NE(full.error.find("tiny"), std::string::npos) << full.error;
  EXPECT_EQ(full.message_id, 0u);
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(core().envelope_count(), 2u);
  EXPECT_EQ(core().next_id(), next);
  EXPECT_EQ(stats("tiny").ready, 2u);
  // other queues are not limited
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "other").code, ErrorCode::kOk);
}

TEST_F(MessengerCoreTest, MaxLengthCountsReadyDelayedAndInFlightButNotDead) {
  options.queues["tiny"].max_length = 2;
  subscribe(1, {"tiny"}, 1);
  const MessageId leased = leased_in("tiny", 1);
  const protocol::DispatchResult delayed = dispatch("Job", "{}", 0, 60'000, "tiny");
  ASSERT_EQ(delayed.code, ErrorCode::kOk);
  EXPECT_EQ(stats("tiny").in_flight, 1u);
  EXPECT_EQ(stats("tiny").delayed, 1u);
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "tiny").code, ErrorCode::kQueueFull);

  // the lease ends in the dead-letter set: no longer counted
  ASSERT_EQ(nack(1, leased, NackMode::kFatal).outcome, NackOutcome::kDeadLettered);
  EXPECT_EQ(stats("tiny").dead, 1u);
  const protocol::DispatchResult third = dispatch("Job", "{}", 0, 0, "tiny");
  EXPECT_EQ(third.code, ErrorCode::kOk) << third.error;
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "tiny").code, ErrorCode::kQueueFull);
}

TEST_F(MessengerCoreTest, FanOutIntoAFullQueueFailsOnlyThatDestination) {
  options.queues["tiny"].max_length = 1;
  options.routing["CampaignMessage"] = {"async", "tiny"};
  dispatch_ok("Job", 0, "tiny");
  take_records();
  const std::vector<protocol::DispatchResult> out = dispatch_all(campaign(), 3);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].code, ErrorCode::kOk);
  EXPECT_EQ(out[0].queue, "async");
  EXPECT_EQ(out[1].code, ErrorCode::kQueueFull);
  EXPECT_EQ(out[1].index, 3u);
  const auto enqueued = records_of<wal::EnvelopeRecord>(take_records());
  ASSERT_EQ(enqueued.size(), 1u);
  EXPECT_EQ(enqueued[0].queue, "async");
}

// ---- A. strict queues ----

class StrictQueuesTest : public MessengerCoreTest {
 protected:
  void SetUp() override {
    options.strict_queues = true;
    options.queues["email"] = QueueSettings{};
    options.queues["async"] = QueueSettings{};
  }
};

TEST_F(StrictQueuesTest, DispatchToAnUndeclaredQueueIsQueueNotFound) {
  const protocol::DispatchResult r = dispatch("Job", "{}", 0, 0, "nowhere");
  EXPECT_EQ(r.code, ErrorCode::kQueueNotFound);
  EXPECT_NE(r.error.find("nowhere"), std::string::npos) << r.error;
  EXPECT_EQ(r.message_id, 0u);
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(core().envelope_count(), 0u);
  EXPECT_TRUE(core().stats("nowhere").empty()) << "no queue is created for it";
  // declared queues and the default queue (never declared here) are fine
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "email").code, ErrorCode::kOk);
  EXPECT_EQ(dispatch("Job").code, ErrorCode::kOk);
  EXPECT_EQ(stats("default").ready, 1u);
}

TEST_F(StrictQueuesTest, RoutedFanOutWithOneUndeclaredDestination) {
  options.routing["CampaignMessage"] = {"email", "ghost"};
  const std::vector<protocol::DispatchResult> out = dispatch_all(campaign(), 5);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].code, ErrorCode::kOk);
  EXPECT_EQ(out[0].queue, "email");
  EXPECT_NE(out[0].message_id, 0u);
  EXPECT_EQ(out[1].code, ErrorCode::kQueueNotFound);
  EXPECT_EQ(out[1].index, 5u);
  EXPECT_NE(out[1].error.find("ghost"), std::string::npos);
  EXPECT_EQ(records_of<wal::EnvelopeRecord>(take_records()).size(), 1u);
  EXPECT_EQ(core().envelope_count(), 1u);
}

TEST_F(StrictQueuesTest, SubscribeToAnUndeclaredQueueIsQueueNotFound) {
  const std::vector<std::string_view> queues = {"email", "ghost"};
  protocol::Subscribed effective;
  std::string detail;
  EXPECT_EQ(core().subscribe(1, queues, 10, 0, effective, detail), ErrorCode::kQueueNotFound);
  EXPECT_NE(detail.find("ghost"), std::string::npos) << detail;
  // nothing subscribed: a message to email is not delivered to consumer 1
  dispatch_ok("Job", 0, "email");
  deliver();
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(stats("email").consumers, 0u);
  // the default queue is always allowed
  subscribe(2, {"default", "email"}, 10);
  deliver();
  EXPECT_EQ(sink.take().size(), 1u);
}

// ---- B. the seeds' worked cases ----

TEST_F(MessengerCoreTest, SeedsEmailRetryPolicyBacksOffThenDeadLetters) {
  options.retry.set("EmailMessage", {5, 2000, 2.0, 60000, 0});
  subscribe(1, {"default"}, 10);
  const MessageId id = dispatch_ok("EmailMessage");
  deliver();
  ASSERT_EQ(ids_of(sink.take()), std::vector<MessageId>{id});
  take_records();

  const std::vector<int64_t> expected_delays = {2000, 4000, 8000, 16000, 32000};
  std::vector<std::string> errors, classes;
  for (uint32_t attempt = 1; attempt <= 6; ++attempt) {
    SCOPED_TRACE(testing::Message() << "attempt " << attempt);
    errors.push_back("smtp failure " + std::to_string(attempt));
    classes.push_back(attempt % 2 ? "SmtpTimeout" : "SmtpRefused");
    const protocol::NackResultItem r = nack(1, id, NackMode::kRetry, errors.back(), classes.back());
    ASSERT_EQ(r.code, ErrorCode::kOk);
    const std::vector<wal::Record> records = take_records();
    if (attempt == 6) {
      EXPECT_EQ(r.outcome, NackOutcome::kDeadLettered);
      const auto dead = records_of<wal::DeadLetteredRecord>(records);
      ASSERT_EQ(dead.size(), 1u);
      EXPECT_EQ(dead[0].attempt, 6u);
      EXPECT_EQ(dead[0].error_class, classes.back());
      break;
    }
    ASSERT_EQ(r.outcome, NackOutcome::kRetryScheduled);
    EXPECT_EQ(r.available_at_ms - now, expected_delays[attempt - 1]);
    const auto retry = records_of<wal::RetryScheduledRecord>(records);
    ASSERT_EQ(retry.size(), 1u);
    EXPECT_EQ(retry[0].available_at_ms, r.available_at_ms);
    EXPECT_EQ(retry[0].attempt, attempt);
    advance_to(r.available_at_ms - 1);
    EXPECT_TRUE(sink.take().empty());
    advance_to(r.available_at_ms);
    const std::vector<Delivery> got = sink.take();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].attempt, attempt + 1);
    take_records();
    now += 25;  // the handler takes a while
  }

  protocol::DeadLetterDetail detail;
  ASSERT_EQ(core().get_dead(id, detail), ErrorCode::kOk);
  ASSERT_EQ(detail.failures.size(), 6u) << "every attempt's failure is kept";
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(detail.failures[i].attempt, i + 1);
    EXPECT_EQ(detail.failures[i].error, errors[i]);
    EXPECT_EQ(detail.failures[i].error_class, classes[i]);
  }
  for (size_t i = 1; i < 6; ++i) {
    EXPECT_GT(detail.failures[i].failed_at_ms, detail.failures[i - 1].failed_at_ms);
  }
  EXPECT_EQ(detail.summary.attempts, 6u);
  EXPECT_EQ(detail.summary.error, errors.back());
  EXPECT_EQ(core().status(id).status, EnvelopeStatus::kFailed);
}

TEST_F(MessengerCoreTest, SeedsHigherPriorityIsDeliveredFirst) {
  subscribe(1, {"default"}, 10);
  const MessageId five = dispatch_ok("Job", 5);
  const MessageId seven = dispatch_ok("Job", 7);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{seven, five}));
}

TEST_F(MessengerCoreTest, SeedsMessageScheduledAnHourAhead) {
  subscribe(1, {"default"}, 10);
  MessageSpec s;
  s.type = "ReportMessage";
  s.when = protocol::When::kAtUnixMs;
  s.when_value = kT0 + 3600 * 1000;
  const protocol::DispatchResult r = dispatch_spec(s);
  ASSERT_EQ(r.code, ErrorCode::kOk);
  EXPECT_EQ(core().status(r.message_id).status, EnvelopeStatus::kPending);
  advance_to(kT0 + 59 * 60 * 1000);
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(stats().delayed, 1u);
  advance_to(kT0 + 60 * 60 * 1000);
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{r.message_id});
}

TEST_F(MessengerCoreTest, SeedsCampaignReachesAConsumerOfEachQueue) {
  options.routing["CampaignMessage"] = {"async", "email"};
  subscribe(1, {"async"}, 10);
  subscribe(2, {"email"}, 10);
  ASSERT_EQ(dispatch_all(campaign()).size(), 2u);
  deliver();
  std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 2u);
  std::set<std::pair<ConsumerId, std::string>> seen;
  for (const Delivery& d : got) {
    EXPECT_EQ(d.type, "CampaignMessage");
    seen.insert({d.consumer, d.queue});
  }
  EXPECT_EQ(seen, (std::set<std::pair<ConsumerId, std::string>>{{1, "async"}, {2, "email"}}));
}

// ---- D. purge ----

TEST_F(MessengerCoreTest, PurgeRemovesReadyAndDelayedOnly) {
  subscribe(1, {"work"}, 3, 600'000);
  const MessageId l1 = dispatch_ok("Job", 0, "work");
  const MessageId l2 = dispatch_ok("Job", 0, "work");
  const MessageId dead = dispatch_ok("Job", 0, "work");
  deliver();
  ASSERT_EQ(sink.take().size(), 3u);
  ASSERT_EQ(nack(1, dead, NackMode::kFatal).outcome, NackOutcome::kDeadLettered);
  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(1, 0, credit), ErrorCode::kOk);
  const MessageId r1 = dispatch_ok("Job", 0, "work");
  const MessageId r2 = dispatch_ok("Job", 9, "work");
  const protocol::DispatchResult d1 = dispatch("Job", "{}", 0, 5000, "work");
  const MessageId other = dispatch_ok("Job", 0, "other");
  deliver();
  EXPECT_TRUE(sink.take().empty());
  take_records();

  now += 10;
  uint64_t removed = 0;
  ASSERT_EQ(core().purge_queue("work", now, removed), ErrorCode::kOk);
  EXPECT_EQ(removed, 3u);
  const std::vector<wal::Record> records = take_records();
  ASSERT_EQ(records.size(), 1u);
  const auto purged = records_of<wal::QueuePurgedRecord>(records);
  ASSERT_EQ(purged.size(), 1u);
  EXPECT_EQ(purged[0].queue, "work");
  EXPECT_EQ(purged[0].at_ms, now);

  for (MessageId id : {r1, r2, d1.message_id}) {
    EXPECT_EQ(core().find(id), std::nullopt);
    EXPECT_EQ(core().status(id).code, ErrorCode::kUnknownMessage);
  }
  const protocol::QueueStats s = stats("work");
  EXPECT_EQ(s.ready, 0u);
  EXPECT_EQ(s.delayed, 0u);
  EXPECT_EQ(s.in_flight, 2u);
  EXPECT_EQ(s.dead, 1u);
  EXPECT_EQ(stats("other").ready, 1u) << "other queues are untouched";
  EXPECT_NE(core().find(other), std::nullopt);
  EXPECT_EQ(core().status(dead).status, EnvelopeStatus::kFailed);

  // the leases are still held and settle normally
  EXPECT_EQ(core().status(l1).status, EnvelopeStatus::kProcessing);
  EXPECT_EQ(core().ack(1, l1, now), ErrorCode::kOk);
  EXPECT_EQ(core().status(l1).status, EnvelopeStatus::kCompleted);
  EXPECT_EQ(nack(1, l2, NackMode::kRetry).outcome, NackOutcome::kRetryScheduled);

  // nothing purged comes back: past the delayed one's time only l2's retry is delivered
  ASSERT_EQ(core().set_prefetch(1, 10, credit), ErrorCode::kOk);
  advance_to(now + 60'000);
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{l2});
  // and the queue takes new messages
  const MessageId fresh = dispatch_ok("Job", 0, "work");
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{fresh});
}

TEST_F(MessengerCoreTest, PurgeOfAnUnknownQueueIsQueueNotFound) {
  dispatch_ok();
  take_records();
  uint64_t removed = 99;
  EXPECT_EQ(core().purge_queue("ghost", now, removed), ErrorCode::kQueueNotFound);
  EXPECT_EQ(removed, 0u);
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(core().envelope_count(), 1u);
}

// ---- E. status and the completed retention ----

TEST_F(MessengerCoreTest, StatusFollowsTheEnvelopeThroughItsLife) {
  const MessageId ready = dispatch_ok("Job", 0, "work");
  const protocol::DispatchResult delayed = dispatch("Job", "{}", 0, 5000, "work");
  EXPECT_EQ(core().status(9999).code, ErrorCode::kUnknownMessage);

  protocol::MessageStatusItem st = core().status(ready);
  EXPECT_EQ(st.code, ErrorCode::kOk);
  EXPECT_EQ(st.id, ready);
  EXPECT_EQ(st.status, EnvelopeStatus::kPending);
  EXPECT_EQ(st.queue, "work");
  EXPECT_EQ(st.attempts, 0u);
  EXPECT_EQ(st.at_ms, kT0);
  EXPECT_EQ(core().status(delayed.message_id).status, EnvelopeStatus::kPending);

  now += 100;
  subscribe(1, {"work"}, 1);
  deliver();
  st = core().status(ready);
  EXPECT_EQ(st.status, EnvelopeStatus::kProcessing);
  EXPECT_EQ(st.attempts, 1u);

  now += 100;
  ASSERT_EQ(core().ack(1, ready, now), ErrorCode::kOk);
  st = core().status(ready);
  EXPECT_EQ(st.code, ErrorCode::kOk);
  EXPECT_EQ(st.status, EnvelopeStatus::kCompleted);
  EXPECT_EQ(st.queue, "work");
  EXPECT_EQ(st.at_ms, now) << "completed_at";

  advance_to(kT0 + 5000);
  sink.take();
  now += 50;
  ASSERT_EQ(nack(1, delayed.message_id, NackMode::kFatal).outcome, NackOutcome::kDeadLettered);
  st = core().status(delayed.message_id);
  EXPECT_EQ(st.status, EnvelopeStatus::kFailed);
  EXPECT_EQ(st.at_ms, now) << "failed_at";
  EXPECT_EQ(st.attempts, 1u);
}

TEST_F(MessengerCoreTest, CompletedRetentionByCountForgetsTheOldest) {
  options.completed_retention_count = 3;
  subscribe(1, {"default"}, 10);
  std::vector<MessageId> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(dispatch_ok());
  deliver();
  ASSERT_EQ(sink.take().size(), 4u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(core().ack(1, ids[i], now), ErrorCode::kOk);
    now += 10;
  }
  for (int i = 0; i < 3; ++i) EXPECT_EQ(core().status(ids[i]).status, EnvelopeStatus::kCompleted);
  ASSERT_EQ(core().ack(1, ids[3], now), ErrorCode::kOk);
  EXPECT_EQ(core().status(ids[0]).code, ErrorCode::kUnknownMessage) << "the oldest is forgotten";
  for (int i = 1; i < 4; ++i) {
    EXPECT_EQ(core().status(ids[i]).code, ErrorCode::kOk);
    EXPECT_EQ(core().status(ids[i]).status, EnvelopeStatus::kCompleted);
  }
}

TEST_F(MessengerCoreTest, CompletedRetentionByAgeForgetsOnTick) {
  options.completed_retention_ms = 10'000;
  subscribe(1, {"default"}, 10);
  const MessageId id = dispatch_ok();
  deliver();
  sink.take();
  const TimeMs acked_at = now;
  ASSERT_EQ(core().ack(1, id, acked_at), ErrorCode::kOk);
  advance_to(acked_at + 9'999);
  EXPECT_EQ(core().status(id).status, EnvelopeStatus::kCompleted);
  advance_to(acked_at + 10'000);
  EXPECT_EQ(core().status(id).code, ErrorCode::kUnknownMessage);
}

TEST_F(MessengerCoreTest, DuplicateOfAnAckedMessageReportsCompleted) {
  options.completed_retention_ms = 10'000;  // much shorter than the idempotency window
  subscribe(1, {"default"}, 10);
  const protocol::DispatchResult first = dispatch("Job", "{}", 0, 0, "", "order-1");
  ASSERT_EQ(first.code, ErrorCode::kOk);
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "", "order-1").status, EnvelopeStatus::kPending);
  deliver();
  sink.take();
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "", "order-1").status, EnvelopeStatus::kProcessing);
  ASSERT_EQ(core().ack(1, first.message_id, now), ErrorCode::kOk);
  take_records();

  protocol::DispatchResult dup = dispatch("Job", "{}", 0, 0, "", "order-1");
  EXPECT_EQ(dup.code, ErrorCode::kOk);
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.message_id, first.message_id);
  EXPECT_EQ(dup.status, EnvelopeStatus::kCompleted);

  advance_to(now + 60'000);  // the retention forgot it, the idempotency window did not
  ASSERT_EQ(core().status(first.message_id).code, ErrorCode::kUnknownMessage);
  dup = dispatch("Job", "{}", 0, 0, "", "order-1");
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.message_id, first.message_id);
  EXPECT_EQ(dup.status, EnvelopeStatus::kCompleted);
  EXPECT_TRUE(take_records().empty());
  EXPECT_EQ(core().envelope_count(), 0u);
}

}  // namespace
}  // namespace symphony::broker::test
