// Delivery order, prefetch credit, round robin, delays, next_wakeup and a clock that steps back.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::ErrorCode;

using CoreDeliveryTest = CoreTest;

TEST_F(CoreDeliveryTest, HighestPriorityFirstThenDispatchOrder) {
  const std::vector<uint8_t> priorities{3, 7, 1, 10, 5, 7, 2, 9, 4, 6, 8, 10, 1, 0, 5, 3, 9, 0};
  std::vector<std::pair<int, MessageId>> expected;  // (effective priority, id)
  for (uint8_t p : priorities) {
    const MessageId id = dispatch_ok("Job", p);
    expected.emplace_back(p == 0 ? 5 : p, id);
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });

  subscribe(1, {"default"}, 1000);
  deliver();

  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), priorities.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].id, expected[i].second);
    EXPECT_EQ(got[i].priority, expected[i].first);
    EXPECT_EQ(got[i].attempt, 1u);
    EXPECT_EQ(got[i].queue, "default");
    EXPECT_EQ(got[i].type, "Job");
  }
}

TEST_F(CoreDeliveryTest, FifoWithinAPriorityFollowsDispatchTime) {
  // later dispatch times, lower ids: order must follow time, then id
  std::vector<MessageId> ids;
  for (int i = 0; i < 5; ++i) {
    now = kT0 + i * 10;
    ids.push_back(dispatch_ok("Job", 4));
  }
  subscribe(1, {"default"}, 100);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), ids);
}

TEST_F(CoreDeliveryTest, ConsumerOfTwoQueuesTakesTheBestHeadAcrossThem) {
  const MessageId a3 = dispatch_ok("A", 3, "a");
  const MessageId a7 = dispatch_ok("A", 7, "a");
  const MessageId a5 = dispatch_ok("A", 5, "a");
  const MessageId b9 = dispatch_ok("B", 9, "b");
  const MessageId b5 = dispatch_ok("B", 5, "b");
  const MessageId b1 = dispatch_ok("B", 1, "b");

  subscribe(1, {"a", "b"}, 100);
  deliver();

  const std::vector<Delivery> got = sink.take();
  EXPECT_EQ(ids_of(got), (std::vector<MessageId>{b9, a7, a5, b5, a3, b1}));
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[0].queue, "b");
  EXPECT_EQ(got[0].type, "B");
  EXPECT_EQ(got[1].queue, "a");
  EXPECT_EQ(got[1].type, "A");
}

TEST_F(CoreDeliveryTest, ConsumerOfTwoQueuesWithCreditOneStillPicksTheBest) {
  const MessageId low = dispatch_ok("Job", 2, "a");
  const MessageId high = dispatch_ok("Job", 8, "b");
  subscribe(1, {"a", "b"}, 1);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{high});
  ASSERT_EQ(core().ack(1, high, now), ErrorCode::kOk);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{low});
}

TEST_F(CoreDeliveryTest, IdleConsumerOfTwoQueuesGetsTheBestOfABatchThatArrivesLater) {
  subscribe(1, {"a", "b"}, 1);
  deliver();
  const MessageId low = dispatch_ok("Job", 2, "a");  // "a" becomes dirty first
  const MessageId high = dispatch_ok("Job", 8, "b");
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{high});
  ASSERT_EQ(core().ack(1, high, now), ErrorCode::kOk);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{low});
}

TEST_F(CoreDeliveryTest, PrefetchLimitsUnsettledDeliveries) {
  for (int i = 0; i < 6; ++i) dispatch_ok();
  const protocol::Subscribed s = subscribe(1, {"default"}, 3);
  EXPECT_EQ(s.prefetch, 3u);
  deliver();
  const std::vector<Delivery> first = sink.take();
  EXPECT_EQ(ids_of(first), (std::vector<MessageId>{1, 2, 3}));
  deliver();
  EXPECT_TRUE(sink.take().empty()) << "no credit, no delivery";
  EXPECT_EQ(stats().in_flight, 3u);
  EXPECT_EQ(stats().ready, 3u);

  ASSERT_EQ(core().ack(1, 2, now), ErrorCode::kOk);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{4});
  deliver();
  EXPECT_TRUE(sink.take().empty());
}

TEST_F(CoreDeliveryTest, CreditZeroPausesAndCreditResumes) {
  for (int i = 0; i < 4; ++i) dispatch_ok();
  subscribe(1, {"default"}, 2);
  deliver();
  ASSERT_EQ(sink.take().size(), 2u);

  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(1, 0, credit), ErrorCode::kOk);
  EXPECT_EQ(credit.prefetch, 0u);
  EXPECT_EQ(credit.in_flight, 2u);
  ASSERT_EQ(core().ack(1, 1, now), ErrorCode::kOk);
  ASSERT_EQ(core().ack(1, 2, now), ErrorCode::kOk);
  deliver();
  dispatch_ok();  // a new message while paused is held too
  deliver();
  EXPECT_TRUE(sink.take().empty()) << "prefetch 0 pauses delivery";

  ASSERT_EQ(core().set_prefetch(1, 5, credit), ErrorCode::kOk);
  EXPECT_EQ(credit.prefetch, 5u);
  EXPECT_EQ(credit.in_flight, 0u);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{3, 4, 5}));
}

TEST_F(CoreDeliveryTest, CreditForAnUnknownConsumer) {
  protocol::CreditOk credit;
  EXPECT_EQ(core().set_prefetch(42, 5, credit), ErrorCode::kNotSubscribed);
  subscribe(1, {"q"}, 1);
  core().disconnect(1, now);
  EXPECT_EQ(core().set_prefetch(1, 5, credit), ErrorCode::kNotSubscribed);
}

TEST_F(CoreDeliveryTest, RoundRobinWithPrefetchOneAlternates) {
  subscribe(1, {"q"}, 1);
  subscribe(2, {"q"}, 1);
  deliver();
  std::vector<ConsumerId> who;
  for (int i = 0; i < 6; ++i) {
    const MessageId id = dispatch_ok("Job", 0, "q");
    deliver();
    const std::vector<Delivery> got = sink.take();
    ASSERT_EQ(got.size(), 1u);
    who.push_back(got[0].consumer);
    ASSERT_EQ(core().ack(got[0].consumer, id, now), ErrorCode::kOk);
    deliver();
  }
  EXPECT_EQ(who, (std::vector<ConsumerId>{1, 2, 1, 2, 1, 2}));
}

TEST_F(CoreDeliveryTest, RoundRobinSpreadsABatch) {
  subscribe(1, {"q"}, 1);
  subscribe(2, {"q"}, 1);
  deliver();
  for (int i = 0; i < 4; ++i) dispatch_ok("Job", 0, "q");
  deliver();
  std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].consumer, 1u);
  EXPECT_EQ(got[1].consumer, 2u);

  ASSERT_EQ(core().ack(got[0].consumer, got[0].id, now), ErrorCode::kOk);
  ASSERT_EQ(core().ack(got[1].consumer, got[1].id, now), ErrorCode::kOk);
  deliver();
  got = sink.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_NE(got[0].consumer, got[1].consumer) << "each consumer gets one of the next two";
}

TEST_F(CoreDeliveryTest, RoundRobinWithLargerPrefetch) {
  subscribe(1, {"q"}, 3);
  subscribe(2, {"q"}, 3);
  deliver();
  for (int i = 0; i < 6; ++i) dispatch_ok("Job", 0, "q");
  deliver();
  std::vector<ConsumerId> who;
  for (const Delivery& d : sink.take()) who.push_back(d.consumer);
  EXPECT_EQ(who, (std::vector<ConsumerId>{1, 2, 1, 2, 1, 2}));
}

TEST_F(CoreDeliveryTest, DelayedMessageIsDeliveredExactlyOnTime) {
  subscribe(1, {"default"}, 10);
  const protocol::DispatchResult r = dispatch("Job", "{}", 0, 1000);
  ASSERT_EQ(r.code, ErrorCode::kOk);
  deliver();
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(stats().delayed, 1u);
  EXPECT_EQ(stats().ready, 0u);
  EXPECT_EQ(core().find(r.message_id)->available_at_ms, kT0 + 1000);

  advance_to(kT0 + 999);
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(stats().delayed, 1u);

  now = kT0 + 1000;
  core().tick(now);
  EXPECT_EQ(stats().delayed, 0u);
  EXPECT_EQ(stats().ready, 1u);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{r.message_id});
  EXPECT_EQ(stats().ready, 0u);
  EXPECT_EQ(stats().in_flight, 1u);
}

TEST_F(CoreDeliveryTest, OneMillisecondDelayIsStillADelay) {
  subscribe(1, {"default"}, 10);
  const MessageId id = dispatch("Job", "{}", 0, 1).message_id;
  deliver();
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kDelayed);
  advance_to(kT0 + 1);
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{id});
}

TEST_F(CoreDeliveryTest, ScheduledAnHourAhead) {
  constexpr TimeMs kHour = 3600 * 1000;
  subscribe(1, {"default"}, 10);
  MessageSpec s;
  s.type = "Reminder";
  s.when = protocol::When::kAtUnixMs;
  s.when_value = kT0 + kHour;
  const protocol::DispatchResult r = dispatch_spec(s);
  ASSERT_EQ(r.code, ErrorCode::kOk) << r.error;
  EXPECT_EQ(core().find(r.message_id)->available_at_ms, kT0 + kHour);
  EXPECT_EQ(core().next_wakeup(), kT0 + kHour);
  deliver();
  EXPECT_EQ(stats().delayed, 1u);

  advance_to(kT0 + 59 * 60 * 1000);
  EXPECT_TRUE(sink.take().empty());
  EXPECT_EQ(stats().delayed, 1u);
  EXPECT_EQ(stats().ready, 0u);

  advance_to(kT0 + kHour);
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "Reminder");
  EXPECT_EQ(stats().delayed, 0u);
  EXPECT_EQ(stats().in_flight, 1u);
}

TEST_F(CoreDeliveryTest, ScheduledInThePastIsReadyNow) {
  MessageSpec s;
  s.when = protocol::When::kAtUnixMs;
  s.when_value = kT0 - 5000;
  const protocol::DispatchResult r = dispatch_spec(s);
  ASSERT_EQ(r.code, ErrorCode::kOk);
  EXPECT_EQ(core().find(r.message_id)->available_at_ms, kT0);
  EXPECT_EQ(stats().ready, 1u);
  EXPECT_EQ(stats().delayed, 0u);
}

TEST_F(CoreDeliveryTest, DelayedMessageKeepsItsPriorityWhenItBecomesReady) {
  const MessageId delayed = dispatch("Job", "{}", 9, 500).message_id;
  const MessageId now_low = dispatch_ok("Job", 1);
  now = kT0 + 500;
  core().tick(now);
  subscribe(1, {"default"}, 10);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{delayed, now_low}));
}

TEST_F(CoreDeliveryTest, NextWakeupIsTheEarliestDeadline) {
  EXPECT_EQ(core().next_wakeup(), std::nullopt);
  const MessageId late = dispatch("Job", "{}", 0, 3000).message_id;
  EXPECT_EQ(core().next_wakeup(), kT0 + 3000);
  const MessageId early = dispatch("Job", "{}", 0, 1000).message_id;
  EXPECT_EQ(core().next_wakeup(), kT0 + 1000);

  subscribe(1, {"default"}, 10, 5000);
  advance_to(kT0 + 1000);  // `early` leased until kT0 + 6000
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{early});
  EXPECT_EQ(core().next_wakeup(), kT0 + 3000);

  advance_to(kT0 + 3000);  // `late` leased until kT0 + 8000
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{late});
  EXPECT_EQ(core().next_wakeup(), kT0 + 6000);

  // extending a lease moves its deadline; the old one is not a wakeup any more
  ASSERT_EQ(core().touch(1, early, 10'000, now).code, ErrorCode::kOk);
  EXPECT_EQ(core().next_wakeup(), kT0 + 8000);

  ASSERT_EQ(core().ack(1, late, now), ErrorCode::kOk);
  EXPECT_EQ(core().next_wakeup(), kT0 + 13'000);
  ASSERT_EQ(core().ack(1, early, now), ErrorCode::kOk);
  EXPECT_EQ(core().next_wakeup(), std::nullopt) << "nothing left for tick() to do";
}

TEST_F(CoreDeliveryTest, NextWakeupAfterANackIsTheRetryTime) {
  subscribe(1, {"default"}, 10, 500);
  const MessageId id = dispatch_ok();
  deliver();
  EXPECT_EQ(core().next_wakeup(), kT0 + 500);
  const protocol::NackResultItem r = nack(1, id, protocol::NackMode::kRetry);
  ASSERT_EQ(r.outcome, protocol::NackOutcome::kRetryScheduled);
  EXPECT_EQ(core().next_wakeup(), kT0 + 1000);
}

TEST_F(CoreDeliveryTest, ClockSteppingBackDoesNotReorderDispatches) {
  now = kT0 + 10'000;
  const MessageId first = dispatch_ok();
  now = kT0;  // the wall clock stepped back
  const MessageId second = dispatch_ok();
  EXPECT_EQ(core().find(second)->created_at_ms, kT0 + 10'000);
  EXPECT_EQ(core().find(second)->available_at_ms, kT0 + 10'000);
  subscribe(1, {"default"}, 10);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{first, second}));
}

TEST_F(CoreDeliveryTest, ClockSteppingBackDoesNotShortenDelays) {
  now = kT0 + 10'000;
  const MessageId id = dispatch("Job", "{}", 0, 1000).message_id;
  now = kT0;
  const MessageId back = dispatch("Job", "{}", 0, 1000).message_id;
  EXPECT_EQ(core().find(id)->available_at_ms, kT0 + 11'000);
  EXPECT_EQ(core().find(back)->available_at_ms, kT0 + 11'000);
  subscribe(1, {"default"}, 10);
  advance_to(kT0 + 1000);
  EXPECT_TRUE(sink.take().empty());
  advance_to(kT0 + 11'000);
  EXPECT_EQ(sink.take().size(), 2u);
}

TEST_F(CoreDeliveryTest, ClockSteppingBackDoesNotExpireLeasesEarly) {
  subscribe(1, {"default"}, 10, 5000);
  now = kT0 + 100'000;
  const MessageId id = dispatch_ok();
  deliver();  // deadline kT0 + 105'000
  core().tick(kT0 + 104'000);

  // a touch and a delivery stamped with an older time count from the core's latest time
  const protocol::TouchResultItem t = core().touch(1, id, 5000, kT0 + 1000);
  ASSERT_EQ(t.code, ErrorCode::kOk);
  EXPECT_EQ(t.lease_deadline_ms, kT0 + 109'000);
  now = kT0 + 104'000;
  const MessageId second = dispatch_ok();
  core().deliver(kT0 + 50);
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].id, second);
  EXPECT_EQ(got[1].lease_deadline_ms, kT0 + 109'000);

  core().tick(kT0 + 105'000);
  core().tick(kT0);  // back again: must not matter
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kLeased);
  core().tick(kT0 + 108'999);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kLeased);
  EXPECT_EQ(core().find(second)->state, EnvelopeState::kLeased);
  core().tick(kT0 + 109'000);
  EXPECT_EQ(core().find(id)->state, EnvelopeState::kReady);
  EXPECT_EQ(core().find(second)->state, EnvelopeState::kReady);
}

}  // namespace
}  // namespace symphony::broker::test
