// Schedules in the core: validation, once / interval / cron firing driven by tick() with a fake
// clock, dispatch through the normal path, enable / disable / delete, and the records they log.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::ErrorCode;
using protocol::ScheduleInfo;
using protocol::ScheduleKind;
using protocol::ScheduleOp;
using protocol::ScheduleSpec;

class ScheduleTest : public CoreTest {
 protected:
  static ScheduleSpec once_at(TimeMs at, std::string type = "ReportMessage") {
    ScheduleSpec s;
    s.name = "once";
    s.kind = ScheduleKind::kOnce;
    s.at_ms = at;
    s.type = std::move(type);
    s.payload = R"({"report":"daily"})";
    return s;
  }
  static ScheduleSpec every(int64_t interval_ms, TimeMs start_at, uint64_t max_runs = 0) {
    ScheduleSpec s;
    s.name = "every";
    s.kind = ScheduleKind::kInterval;
    s.interval_ms = interval_ms;
    s.start_at_ms = start_at;
    s.max_runs = max_runs;
    s.type = "TickMessage";
    return s;
  }
  static ScheduleSpec cron(std::string expr, std::string tz = "UTC") {
    ScheduleSpec s;
    s.name = "cron";
    s.kind = ScheduleKind::kCron;
    s.cron = std::move(expr);
    s.timezone = std::move(tz);
    s.type = "CronMessage";
    return s;
  }

  /// Creates `spec` at `now` (dropping earlier records); expects success and exactly one
  /// schedule_set record equal to it.
  ScheduleInfo create(const ScheduleSpec& spec) {
    take_records();  // earlier commands' records
    ScheduleInfo info;
    std::string detail;
    EXPECT_EQ(core().create_schedule(spec, now, info, detail), ErrorCode::kOk) << detail;
    const std::vector<wal::Record> records = take_records();
    const auto sets = records_of<wal::ScheduleSetRecord>(records);
    EXPECT_EQ(records.size(), 1u);
    if (sets.size() == 1) expect_same_schedule(sets[0].info, info);
    return info;
  }
  /// Expects create to fail with `code` and a detail starting with `prefix`, changing nothing.
  void expect_rejected(const ScheduleSpec& spec, ErrorCode code, std::string_view prefix) {
    SCOPED_TRACE(testing::Message() << "expecting " << protocol::error_name(code) << " " << prefix);
    const MessageId next = core().next_id();
    ScheduleInfo info;
    std::string detail;
    EXPECT_EQ(core().create_schedule(spec, now, info, detail), code) << detail;
    EXPECT_EQ(detail.substr(0, prefix.size()), prefix) << detail;
    EXPECT_TRUE(take_records().empty());
    EXPECT_TRUE(core().list_schedules().empty());
    EXPECT_EQ(core().next_id(), next) << "no id is used";
  }
  ScheduleInfo info(uint64_t id) {
    const ScheduleInfo* s = core().find_schedule(id);
    EXPECT_NE(s, nullptr) << "no schedule " << id;
    return s ? *s : ScheduleInfo{};
  }
  /// Enqueue records since the last take_records(); also checks each set record against the
  /// schedule as it is now.
  std::vector<wal::EnvelopeRecord> fired(uint64_t schedule_id) {
    const std::vector<wal::Record> records = take_records();
    const wal::ScheduleSetRecord* last = nullptr;
    for (const wal::Record& r : records) {
      const auto* set = std::get_if<wal::ScheduleSetRecord>(&r);
      if (set && set->info.id == schedule_id) last = set;
    }
    if (last) expect_same_schedule(last->info, info(schedule_id));
    return records_of<wal::EnvelopeRecord>(records);
  }
  std::optional<ScheduleInfo> update(uint64_t id, ScheduleOp op,
                                     ErrorCode expected = ErrorCode::kOk) {
    std::optional<ScheduleInfo> out;
    EXPECT_EQ(core().update_schedule(id, op, now, out), expected);
    return out;
  }
};

// ---- validation ----

TEST_F(ScheduleTest, InvalidTimingIsRejectedNamingTheField) {
  expect_rejected(cron("61 * * * *"), ErrorCode::kInvalidSchedule, "cron: ");
  expect_rejected(cron("* * *"), ErrorCode::kInvalidSchedule, "cron: ");
  expect_rejected(cron("*/5 * * * *", "Mars/Olympus_Mons"), ErrorCode::kInvalidSchedule,
                  "timezone: ");
  expect_rejected(every(5, 0), ErrorCode::kInvalidSchedule, "interval: ");
  expect_rejected(every(0, 0), ErrorCode::kInvalidSchedule, "interval: ");
  expect_rejected(once_at(0), ErrorCode::kInvalidSchedule, "at: ");
  expect_rejected(once_at(-5), ErrorCode::kInvalidSchedule, "at: ");
  ScheduleSpec named = once_at(now + 1000);
  named.name = std::string(256, 'n');
  expect_rejected(named, ErrorCode::kInvalidArgument, "name: ");
}

TEST_F(ScheduleTest, InvalidMessageIsRejectedWithTheMessageErrorCode) {
  ScheduleSpec s = once_at(now + 1000, "");
  expect_rejected(s, ErrorCode::kEmptyType, "message: ");
  s = once_at(now + 1000);
  s.payload = "[1, 2]";
  expect_rejected(s, ErrorCode::kInvalidPayload, "message: ");
  s = once_at(now + 1000);
  s.priority = 11;
  expect_rejected(s, ErrorCode::kPriorityOutOfRange, "message: ");
  s = once_at(now + 1000);
  s.queue = "no spaces allowed";
  expect_rejected(s, ErrorCode::kInvalidQueueName, "message: ");
  s = once_at(now + 1000);
  s.metadata = "nope";
  expect_rejected(s, ErrorCode::kInvalidMetadata, "message: ");
}

TEST_F(ScheduleTest, StrictQueuesRejectAnUndeclaredDestination) {
  options.strict_queues = true;
  options.queues["email"] = QueueSettings{};
  options.routing["CampaignMessage"] = {"email", "ghost"};
  ScheduleSpec s = once_at(now + 1000);
  s.queue = "ghost";
  expect_rejected(s, ErrorCode::kQueueNotFound, "message: ");
  // a routed type with an undeclared destination
  expect_rejected(once_at(now + 1000, "CampaignMessage"), ErrorCode::kQueueNotFound, "message: ");
  // declared and default queues are fine
  s.queue = "email";
  create(s);
  create(once_at(now + 1000));
  EXPECT_EQ(core().list_schedules().size(), 2u);
}

// ---- once ----

TEST_F(ScheduleTest, OnceFiresOnceAtItsTime) {
  const TimeMs at = kT0 + 5000;
  const ScheduleInfo created = create(once_at(at));
  EXPECT_EQ(created.next_run_at_ms, at);
  EXPECT_EQ(created.run_count, 0u);
  EXPECT_EQ(created.created_at_ms, kT0);
  EXPECT_EQ(created.spec.timezone, "UTC");
  EXPECT_EQ(core().next_wakeup(), at);

  advance_to(at - 1);
  EXPECT_TRUE(fired(created.id).empty());
  EXPECT_EQ(info(created.id).run_count, 0u);

  advance_to(at);
  const std::vector<wal::EnvelopeRecord> enq = fired(created.id);
  ASSERT_EQ(enq.size(), 1u);
  EXPECT_EQ(enq[0].queue, "default");
  EXPECT_EQ(enq[0].created_at_ms, at);
  const ScheduleInfo after = info(created.id);
  EXPECT_EQ(after.run_count, 1u);
  EXPECT_EQ(after.last_run_at_ms, at);
  EXPECT_EQ(after.next_run_at_ms, 0);
  EXPECT_EQ(after.updated_at_ms, at);
  EXPECT_TRUE(after.last_error.empty());
  EXPECT_EQ(stats().ready, 1u);

  advance_to(at + 3600 * 1000);
  EXPECT_TRUE(fired(created.id).empty()) << "a once schedule never fires again";
  EXPECT_EQ(info(created.id).run_count, 1u);
  EXPECT_EQ(core().envelope_count(), 1u);
}

TEST_F(ScheduleTest, OnceInThePastFiresAtTheNextTick) {
  const ScheduleInfo created = create(once_at(kT0 - 60'000));
  EXPECT_EQ(created.next_run_at_ms, kT0);
  advance_to(kT0);
  EXPECT_EQ(fired(created.id).size(), 1u);
  EXPECT_EQ(info(created.id).next_run_at_ms, 0);
}

// ---- interval ----

TEST_F(ScheduleTest, IntervalFiresAtEachSlotUntilMaxRuns) {
  const TimeMs start = kT0 + 500;
  const ScheduleInfo created = create(every(1000, start, 3));
  EXPECT_EQ(created.next_run_at_ms, start);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(testing::Message() << "run " << k + 1);
    const TimeMs slot = start + 1000 * k;
    advance_to(slot - 1);
    EXPECT_TRUE(fired(created.id).empty());
    advance_to(slot);
    EXPECT_EQ(fired(created.id).size(), 1u);
    const ScheduleInfo s = info(created.id);
    EXPECT_EQ(s.run_count, static_cast<uint64_t>(k + 1));
    EXPECT_EQ(s.last_run_at_ms, slot);
    EXPECT_EQ(s.next_run_at_ms, k < 2 ? slot + 1000 : 0);
  }
  advance_to(start + 10'000);
  EXPECT_TRUE(fired(created.id).empty()) << "max_runs reached";
  EXPECT_EQ(info(created.id).run_count, 3u);
  EXPECT_EQ(core().envelope_count(), 3u);
}

TEST_F(ScheduleTest, IntervalStartsOneIntervalAfterCreationByDefault) {
  const ScheduleInfo created = create(every(2000, 0));
  EXPECT_EQ(created.spec.start_at_ms, kT0 + 2000);
  EXPECT_EQ(created.next_run_at_ms, kT0 + 2000);
}

TEST_F(ScheduleTest, IntervalLateTickFiresOnceAndSkipsToTheNextSlotAfterNow) {
  const TimeMs start = kT0 + 1000;
  const ScheduleInfo created = create(every(1000, start));
  advance_to(start + 3500);  // slots start .. start+3000 are all due
  EXPECT_EQ(fired(created.id).size(), 1u);
  const ScheduleInfo s = info(created.id);
  EXPECT_EQ(s.run_count, 1u);
  EXPECT_EQ(s.last_run_at_ms, start + 3500);
  EXPECT_EQ(s.next_run_at_ms, start + 4000);
}

// ---- cron ----

TEST_F(ScheduleTest, CronEveryFiveMinutesInUtc) {
  const TimeMs five = 5 * 60 * 1000;
  const TimeMs first = kT0 - kT0 % five + five;
  const ScheduleInfo created = create(cron("*/5 * * * *"));
  EXPECT_EQ(created.next_run_at_ms, first);
  for (int k = 0; k < 3; ++k) {
    SCOPED_TRACE(testing::Message() << "run " << k + 1);
    const TimeMs slot = first + five * k;
    advance_to(slot - 1);
    EXPECT_TRUE(fired(created.id).empty());
    advance_to(slot);
    ASSERT_EQ(fired(created.id).size(), 1u);
    EXPECT_EQ(slot % five, 0);
    EXPECT_EQ(info(created.id).next_run_at_ms, slot + five);
    EXPECT_EQ(info(created.id).last_run_at_ms, slot);
  }
}

// ---- the firing's dispatch ----

TEST_F(ScheduleTest, FiringDispatchesThroughRoutingAndPriority) {
  options.routing["CampaignMessage"] = {"async", "email"};
  options.queues["email"].default_priority = 7;
  ScheduleSpec spec = once_at(kT0 + 1000, "CampaignMessage");
  spec.payload = R"({"campaign":7})";
  spec.metadata = R"({"from":"schedule"})";
  spec.headers = {{"tenant", "acme"}};
  const ScheduleInfo created = create(spec);
  advance_to(kT0 + 1000);
  const std::vector<wal::EnvelopeRecord> enq = fired(created.id);
  ASSERT_EQ(enq.size(), 2u);
  const std::string key =
      "schedule:" + std::to_string(created.id) + ":" + std::to_string(kT0 + 1000);
  EXPECT_EQ(enq[0].queue, "async");
  EXPECT_EQ(enq[0].priority, 5);
  EXPECT_EQ(enq[1].queue, "email");
  EXPECT_EQ(enq[1].priority, 7);
  for (const auto& e : enq) {
    EXPECT_EQ(e.idempotency_key, key);
    protocol::MessageBodyView body;
    ASSERT_TRUE(protocol::parse_message_body(e.body, body));
    EXPECT_EQ(body.type, "CampaignMessage");
    EXPECT_EQ(body.payload, R"({"campaign":7})");
    EXPECT_EQ(body.metadata, R"({"from":"schedule"})");
    EXPECT_EQ(protocol::to_header_list(body.headers), (protocol::HeaderList{{"tenant", "acme"}}));
  }
  // a consumer receives it like any message
  subscribe(1, {"email"}, 10);
  deliver();
  const std::vector<Delivery> got = sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, "CampaignMessage");
  EXPECT_EQ(got[0].priority, 7);
}

TEST_F(ScheduleTest, FiringUsesTheSpecQueueAndPriority) {
  options.routing["CampaignMessage"] = {"async", "email"};
  ScheduleSpec spec = every(1000, kT0 + 1000);
  spec.type = "CampaignMessage";
  spec.queue = "direct";
  spec.priority = 9;
  const ScheduleInfo created = create(spec);
  advance_to(kT0 + 1000);
  advance_to(kT0 + 2000);
  const std::vector<wal::EnvelopeRecord> enq = fired(created.id);
  ASSERT_EQ(enq.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(enq[i].queue, "direct");
    EXPECT_EQ(enq[i].priority, 9);
    EXPECT_EQ(enq[i].idempotency_key, "schedule:" + std::to_string(created.id) + ":" +
                                          std::to_string(kT0 + 1000 * (i + 1)));
  }
}

TEST_F(ScheduleTest, ScheduleIdsComeFromTheMessageIdCounter) {
  const MessageId m1 = dispatch_ok();
  const ScheduleInfo s = create(once_at(kT0 + 10));
  const MessageId m2 = dispatch_ok();
  EXPECT_EQ(s.id, m1 + 1);
  EXPECT_EQ(m2, s.id + 1);
  const ScheduleInfo s2 = create(once_at(kT0 + 10));
  EXPECT_EQ(s2.id, m2 + 1);
  advance_to(kT0 + 10);
  const std::vector<wal::EnvelopeRecord> enq = records_of<wal::EnvelopeRecord>(take_records());
  ASSERT_EQ(enq.size(), 2u);
  for (const auto& e : enq) {
    EXPECT_GT(e.id, s2.id);
    EXPECT_NE(e.id, s.id);
  }
  EXPECT_EQ(core().status(s.id).code, ErrorCode::kUnknownMessage) << "a schedule is no message";
}

TEST_F(ScheduleTest, FailedFiringRecordsLastErrorAndStillAdvances) {
  options.queues["tiny"].max_length = 1;
  const MessageId blocker = dispatch_ok("Job", 0, "tiny");
  ScheduleSpec spec = every(1000, kT0 + 1000);
  spec.queue = "tiny";
  const ScheduleInfo created = create(spec);
  advance_to(kT0 + 1000);
  const std::vector<wal::Record> records = take_records();
  EXPECT_TRUE(records_of<wal::EnvelopeRecord>(records).empty());
  const auto sets = records_of<wal::ScheduleSetRecord>(records);
  ASSERT_EQ(sets.size(), 1u);
  ScheduleInfo s = info(created.id);
  expect_same_schedule(sets[0].info, s);
  EXPECT_NE(s.last_error.find("QUEUE_FULL"), std::string::npos) << s.last_error;
  EXPECT_NE(s.last_error.find("tiny"), std::string::npos) << s.last_error;
  EXPECT_EQ(s.run_count, 1u);
  EXPECT_EQ(s.last_run_at_ms, kT0 + 1000);
  EXPECT_EQ(s.next_run_at_ms, kT0 + 2000);

  // once there is room again the next firing succeeds and clears the error
  subscribe(1, {"tiny"}, 1);
  deliver();
  ASSERT_EQ(core().ack(1, blocker, now), ErrorCode::kOk);
  sink.take();
  take_records();
  advance_to(kT0 + 2000);
  EXPECT_EQ(fired(created.id).size(), 1u);
  s = info(created.id);
  EXPECT_TRUE(s.last_error.empty()) << s.last_error;
  EXPECT_EQ(s.run_count, 2u);
}

// ---- enable, disable, delete ----

TEST_F(ScheduleTest, DisabledScheduleDoesNotFireAndEnableResumesAfterNow) {
  const TimeMs start = kT0 + 1000;
  const ScheduleInfo created = create(every(1000, start));
  advance_to(start);
  ASSERT_EQ(fired(created.id).size(), 1u);

  now = start + 100;
  std::optional<ScheduleInfo> out = update(created.id, ScheduleOp::kDisable);
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE(out->spec.enabled);
  EXPECT_EQ(out->next_run_at_ms, 0);
  EXPECT_EQ(out->updated_at_ms, now);
  expect_same_schedule(*out, info(created.id));
  std::vector<wal::Record> records = take_records();
  auto sets = records_of<wal::ScheduleSetRecord>(records);
  ASSERT_EQ(sets.size(), 1u);
  expect_same_schedule(sets[0].info, *out);

  for (TimeMs t = start + 1000; t <= start + 5000; t += 1000) advance_to(t);
  EXPECT_TRUE(fired(created.id).empty()) << "a disabled schedule does not fire";
  EXPECT_EQ(info(created.id).run_count, 1u);

  now = start + 5250;
  out = update(created.id, ScheduleOp::kEnable);
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(out->spec.enabled);
  EXPECT_EQ(out->next_run_at_ms, start + 6000) << "the first slot after now";
  sets = records_of<wal::ScheduleSetRecord>(take_records());
  ASSERT_EQ(sets.size(), 1u);
  expect_same_schedule(sets[0].info, *out);
  advance_to(start + 5999);
  EXPECT_TRUE(fired(created.id).empty());
  advance_to(start + 6000);
  EXPECT_EQ(fired(created.id).size(), 1u);
  EXPECT_EQ(info(created.id).run_count, 2u);
}

TEST_F(ScheduleTest, OnceWhoseTimePassedWhileDisabledFiresWhenEnabled) {
  const ScheduleInfo created = create(once_at(kT0 + 1000));
  update(created.id, ScheduleOp::kDisable);
  advance_to(kT0 + 5000);
  EXPECT_TRUE(fired(created.id).empty());
  std::optional<ScheduleInfo> out = update(created.id, ScheduleOp::kEnable);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->next_run_at_ms, now);
  take_records();
  advance_to(now);
  EXPECT_EQ(fired(created.id).size(), 1u);
  EXPECT_EQ(info(created.id).run_count, 1u);
  EXPECT_EQ(info(created.id).next_run_at_ms, 0);
  // enabled again after it ran: nothing more
  update(created.id, ScheduleOp::kDisable);
  out = update(created.id, ScheduleOp::kEnable);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->next_run_at_ms, 0);
  advance_to(now + 10'000);
  EXPECT_TRUE(fired(created.id).empty());
}

TEST_F(ScheduleTest, CreatedDisabledHasNoNextRun) {
  ScheduleSpec spec = every(1000, kT0 + 1000);
  spec.enabled = false;
  const ScheduleInfo created = create(spec);
  EXPECT_EQ(created.next_run_at_ms, 0);
  advance_to(kT0 + 5000);
  EXPECT_TRUE(fired(created.id).empty());
  EXPECT_EQ(core().next_wakeup(), std::nullopt);
}

TEST_F(ScheduleTest, DeleteRemovesItForGood) {
  const ScheduleInfo keep = create(every(1000, kT0 + 1000));
  const ScheduleInfo doomed = create(every(1000, kT0 + 1000));
  now += 10;
  std::optional<ScheduleInfo> out = update(doomed.id, ScheduleOp::kDelete);
  EXPECT_FALSE(out.has_value());
  const auto deleted = records_of<wal::ScheduleDeletedRecord>(take_records());
  ASSERT_EQ(deleted.size(), 1u);
  EXPECT_EQ(deleted[0].schedule_id, doomed.id);
  EXPECT_EQ(deleted[0].at_ms, now);
  EXPECT_EQ(core().find_schedule(doomed.id), nullptr);
  ASSERT_EQ(core().list_schedules().size(), 1u);
  EXPECT_EQ(core().list_schedules()[0].id, keep.id);
  update(doomed.id, ScheduleOp::kDelete, ErrorCode::kUnknownSchedule);
  update(doomed.id, ScheduleOp::kEnable, ErrorCode::kUnknownSchedule);
  update(424242, ScheduleOp::kDisable, ErrorCode::kUnknownSchedule);
  EXPECT_TRUE(take_records().empty());

  advance_to(kT0 + 1000);
  const std::vector<wal::Record> records = take_records();
  const auto sets = records_of<wal::ScheduleSetRecord>(records);
  ASSERT_EQ(sets.size(), 1u) << "only the kept schedule fires";
  EXPECT_EQ(sets[0].info.id, keep.id);
  EXPECT_EQ(records_of<wal::EnvelopeRecord>(records).size(), 1u);
}

TEST_F(ScheduleTest, ListAndFindReturnTheCurrentState) {
  const ScheduleInfo a = create(once_at(kT0 + 1000));
  const ScheduleInfo b = create(cron("0 9 * * 1-5", "Europe/Paris"));
  const ScheduleInfo c = create(every(60'000, 0));
  const std::vector<ScheduleInfo> all = core().list_schedules();
  ASSERT_EQ(all.size(), 3u);
  expect_same_schedule(all[0], a);
  expect_same_schedule(all[1], b);
  expect_same_schedule(all[2], c);
  EXPECT_EQ(b.spec.timezone, "Europe/Paris");
  EXPECT_GT(b.next_run_at_ms, kT0);
  advance_to(kT0 + 1000);
  EXPECT_EQ(info(a.id).run_count, 1u);
  EXPECT_EQ(core().list_schedules()[0].run_count, 1u);
  EXPECT_EQ(core().find_schedule(999999), nullptr);
}

}  // namespace
}  // namespace symphony::broker::test
