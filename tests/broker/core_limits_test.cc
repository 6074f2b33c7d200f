// Bounded resources in the core: a consumer whose output backs up (the sink refuses more) gets
// nothing until resume_delivery(), and the memory alarm refuses new envelopes, client dispatches
// and schedule runs alike, while everything else goes on.
#include <gtest/gtest.h>

#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::ErrorCode;

using CoreLimitsTest = CoreTest;

TEST_F(CoreLimitsTest, BackedUpConsumerGetsNothingUntilResumed) {
  for (int i = 0; i < 10; ++i) dispatch_ok();
  sink.room[1] = 3;  // the third delivery fills its output
  subscribe(1, {"default"}, 100);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{1, 2, 3}));
  EXPECT_TRUE(core().delivery_blocked(1));
  EXPECT_EQ(stats().in_flight, 3u);

  // neither new messages nor acks (more credit) restart it while it is blocked
  dispatch_ok();
  ASSERT_EQ(core().ack(1, 1, now), ErrorCode::kOk);
  deliver();
  advance_to(now + 10);
  deliver();
  EXPECT_TRUE(sink.take().empty());

  // its output drained: delivery resumes at once, in order
  sink.room.erase(1);
  core().resume_delivery(1);
  EXPECT_FALSE(core().delivery_blocked(1));
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST_F(CoreLimitsTest, ResumedConsumerIsHungryAgainForLaterMessages) {
  sink.room[1] = 1;
  subscribe(1, {"default"}, 100);
  deliver();
  dispatch_ok();
  deliver();
  ASSERT_EQ(sink.take().size(), 1u);
  ASSERT_TRUE(core().delivery_blocked(1));
  sink.room.erase(1);
  core().resume_delivery(1);
  deliver();  // nothing is ready: it must be listed as hungry for what comes next
  EXPECT_TRUE(sink.take().empty());
  const MessageId later = dispatch_ok();
  deliver();
  EXPECT_EQ(ids_of(sink.take()), std::vector<MessageId>{later});
}

TEST_F(CoreLimitsTest, BlockedConsumerLeavesMessagesToTheOthers) {
  sink.room[1] = 1;
  subscribe(1, {"q"}, 100);
  subscribe(2, {"q"}, 100);
  deliver();
  for (int i = 0; i < 6; ++i) dispatch_ok("Job", 0, "q");
  deliver();
  std::vector<ConsumerId> who;
  for (const Delivery& d : sink.take()) who.push_back(d.consumer);
  EXPECT_EQ(who, (std::vector<ConsumerId>{1, 2, 2, 2, 2, 2}));
}

TEST_F(CoreLimitsTest, ResumeOfAnUnknownOrUnblockedConsumerDoesNothing) {
  core().resume_delivery(42);
  EXPECT_FALSE(core().delivery_blocked(42));
  subscribe(1, {"default"}, 2);
  core().resume_delivery(1);
  dispatch_ok();
  deliver();
  EXPECT_EQ(sink.take().size(), 1u);
}

TEST_F(CoreLimitsTest, MemoryAlarmRefusesNewEnvelopesAndLetsTheRestWork) {
  const MessageId first = dispatch_ok("Job", 0, "q");
  const protocol::DispatchResult keyed = dispatch("Job", "{}", 0, 0, "q", "key-1");
  ASSERT_EQ(keyed.code, ErrorCode::kOk);
  take_records();

  core().set_memory_alarm(true);
  EXPECT_TRUE(core().memory_alarm());
  const protocol::DispatchResult refused = dispatch("Job", "{}", 0, 0, "q");
  EXPECT_EQ(refused.code, ErrorCode::kMemoryLimit);
  EXPECT_EQ(refused.message_id, 0u);
  EXPECT_FALSE(refused.error.empty());
  // a resend of a message already held is answered from the idempotency window
  const protocol::DispatchResult again = dispatch("Job", "{}", 0, 0, "q", "key-1");
  EXPECT_EQ(again.code, ErrorCode::kOk);
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message_id, keyed.message_id);
  EXPECT_TRUE(take_records().empty()) << "a refused dispatch logs nothing";

  // consumers are still served, and acks still work
  subscribe(1, {"q"}, 10);
  deliver();
  EXPECT_EQ(ids_of(sink.take()), (std::vector<MessageId>{first, keyed.message_id}));
  EXPECT_EQ(core().ack(1, first, now), ErrorCode::kOk);

  core().set_memory_alarm(false);
  EXPECT_EQ(dispatch("Job", "{}", 0, 0, "q").code, ErrorCode::kOk);
}

TEST_F(CoreLimitsTest, FanOutIsRefusedForEveryDestination) {
  options.routing["Fan"] = {"a", "b"};
  core().set_memory_alarm(true);
  std::vector<protocol::DispatchResult> out;
  MessageSpec spec;
  spec.type = "Fan";
  core().dispatch(make_message(spec), 0, now, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].code, ErrorCode::kMemoryLimit);
  EXPECT_EQ(out[1].code, ErrorCode::kMemoryLimit);
}

TEST_F(CoreLimitsTest, ScheduleRunDuringTheAlarmIsRefusedAndTheNextOneFires) {
  protocol::ScheduleSpec spec;
  spec.name = "every";
  spec.kind = protocol::ScheduleKind::kInterval;
  spec.interval_ms = 1000;
  spec.start_at_ms = now + 1000;
  spec.type = "TickMessage";
  protocol::ScheduleInfo info;
  std::string detail;
  ASSERT_EQ(core().create_schedule(spec, now, info, detail), ErrorCode::kOk) << detail;

  core().set_memory_alarm(true);
  advance_to(now + 1000);
  core().tick(now);
  const protocol::ScheduleInfo* s = core().find_schedule(info.id);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->run_count, 1u);
  EXPECT_NE(s->last_error.find("MEMORY_LIMIT"), std::string::npos) << s->last_error;
  EXPECT_EQ(s->next_run_at_ms, now + 1000) << "the schedule goes on";
  EXPECT_EQ(stats("default").ready, 0u);

  core().set_memory_alarm(false);
  advance_to(now + 1000);
  core().tick(now);
  s = core().find_schedule(info.id);
  EXPECT_EQ(s->run_count, 2u);
  EXPECT_TRUE(s->last_error.empty());
  EXPECT_EQ(stats("default").ready, 1u);
}

}  // namespace
}  // namespace symphony::broker::test
