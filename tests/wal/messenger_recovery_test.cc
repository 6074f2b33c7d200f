// Recovery of the messenger state through a real log: fan-out envelopes, dead letters (some
// retried, one deleted), completions, a purge and schedules (fired, disabled, deleted) survive a
// restart and a compaction rewrite; a schedule missed while the broker was down fires once.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tests/wal/core_log_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::EnvelopeStatus;
using protocol::ErrorCode;
using protocol::NackMode;
using protocol::NackOutcome;
using protocol::ScheduleInfo;
using protocol::ScheduleKind;
using protocol::ScheduleOp;
using protocol::ScheduleSpec;

void expect_same_schedules(const Core& a, const Core& b) {
  const std::vector<ScheduleInfo> sa = a.list_schedules();
  const std::vector<ScheduleInfo> sb = b.list_schedules();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) expect_same_schedule(sa[i], sb[i]);
}

void expect_same_dead_letters(const Core& a, const Core& b) {
  protocol::FailedListRequest req;
  req.limit = 1000;
  const protocol::FailedListResult la = a.list_dead(req);
  const protocol::FailedListResult lb = b.list_dead(req);
  EXPECT_EQ(la.total, lb.total);
  ASSERT_EQ(la.items.size(), lb.items.size());
  for (size_t i = 0; i < la.items.size(); ++i) {
    SCOPED_TRACE(::testing::Message() << "dead letter #" << i);
    const protocol::DeadLetterSummary& x = la.items[i];
    const protocol::DeadLetterSummary& y = lb.items[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.queue, y.queue);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.priority, y.priority);
    EXPECT_EQ(x.created_at_ms, y.created_at_ms);
    EXPECT_EQ(x.failed_at_ms, y.failed_at_ms);
    EXPECT_EQ(x.attempts, y.attempts);
    EXPECT_EQ(x.error, y.error);
    EXPECT_EQ(x.error_class, y.error_class);
  }
}

class MessengerRecoveryTest : public CoreLogTest {
 protected:
  void SetUp() override {
    options.routing["CampaignMessage"] = {"async", "email"};
    options.queues["email"].default_priority = 7;
    RetryPolicy& p = options.retry.default_policy();
    p.max_retries = 3;
    p.delay_ms = 60'000;  // retries stay delayed across the restarts below
    p.max_delay_ms = 600'000;
    open_log();
  }

  static ScheduleSpec every(int64_t interval_ms, TimeMs start_at, std::string queue = "ticks") {
    ScheduleSpec s;
    s.name = "every " + std::to_string(interval_ms);
    s.kind = ScheduleKind::kInterval;
    s.interval_ms = interval_ms;
    s.start_at_ms = start_at;
    s.type = "TickMessage";
    s.queue = std::move(queue);
    s.payload = R"({"tick":true})";
    return s;
  }
  static ScheduleSpec once_at(TimeMs at, std::string type = "ReportMessage",
                              std::string queue = "ticks") {
    ScheduleSpec s;
    s.name = "once";
    s.kind = ScheduleKind::kOnce;
    s.at_ms = at;
    s.type = std::move(type);
    s.queue = std::move(queue);
    s.headers = {{"tenant", "acme"}};
    s.metadata = R"({"k":1})";
    return s;
  }
  static ScheduleSpec every_five_minutes() {
    ScheduleSpec s;
    s.name = "cron";
    s.kind = ScheduleKind::kCron;
    s.cron = "*/5 * * * *";
    s.timezone = "UTC";
    s.type = "CronMessage";
    s.queue = "ticks";
    s.priority = 9;
    return s;
  }
  uint64_t create(const ScheduleSpec& spec) {
    ScheduleInfo info;
    std::string detail;
    EXPECT_EQ(core().create_schedule(spec, now, info, detail), ErrorCode::kOk) << detail;
    return info.id;
  }
  void step(TimeMs t) {
    advance_to(t);
    submit_turn();
  }
  /// Decodes a copy of `bytes` (the buffer itself is left alone).
  std::vector<wal::Record> decode(const std::string& bytes) {
    const std::string_view kept = keep(bytes);
    std::vector<wal::Record> out;
    wal::RecordReader reader(kept);
    wal::Record rec;
    while (reader.next(rec)) out.push_back(rec);
    EXPECT_TRUE(reader.at_end()) << reader.error();
    return out;
  }
  /// Schedule firings in `records`: (schedule id, idempotency key of its enqueues).
  static std::vector<std::string> firing_keys(const std::vector<wal::Record>& records) {
    std::vector<std::string> keys;
    for (const auto& e : records_of<wal::EnvelopeRecord>(records)) {
      keys.push_back(std::string(e.idempotency_key));
    }
    return keys;
  }
  static std::string key_of(uint64_t schedule, TimeMs slot) {
    return "schedule:" + std::to_string(schedule) + ":" + std::to_string(slot);
  }
  /// The deliveries of `id` since the last take, exactly one expected.
  void expect_delivered(MessageId id) {
    const std::vector<Delivery> got = sink.take();
    EXPECT_EQ(ids_of(got), std::vector<MessageId>{id});
  }

  void run_scenario();

  // the scenario's cast
  std::vector<Delivery> campaign_;  ///< 12 envelopes of 6 fanned-out campaigns
  std::vector<Delivery> work_;      ///< 10 jobs
  std::vector<MessageId> acked_;
  uint64_t s_int_ = 0, s_cron_ = 0, s_once_fired_ = 0, s_disabled_ = 0, s_deleted_ = 0,
           s_once_missed_ = 0, s_campaign_ = 0;
};

void MessengerRecoveryTest::run_scenario() {
  now = kT0;
  subscribe(1, {"async", "email", "work"}, 1000, 600'000);
  s_int_ = create(every(1000, kT0 + 1000));
  s_cron_ = create(every_five_minutes());
  s_once_fired_ = create(once_at(kT0 + 2000));
  s_disabled_ = create(every(500, kT0 + 500));
  s_deleted_ = create(every(700, kT0 + 700, "default"));
  s_once_missed_ = create(once_at(kT0 + 8000));
  s_campaign_ = create(once_at(kT0 + 3000, "CampaignMessage", ""));
  submit_turn();

  for (int i = 0; i < 6; ++i) {
    MessageSpec s;
    s.type = "CampaignMessage";
    s.payload = R"({"campaign":)" + std::to_string(i) + "}";
    std::vector<protocol::DispatchResult> out;
    core().dispatch(make_message(s), static_cast<uint32_t>(i), now, out);
    ASSERT_EQ(out.size(), 2u);
  }
  for (int i = 0; i < 10; ++i) {
    MessageSpec s;
    s.queue = "work";
    s.payload = R"({"job":)" + std::to_string(i) + "}";
    if (i % 3 == 0) s.key = "job-" + std::to_string(i);
    ASSERT_EQ(dispatch_spec(s).code, ErrorCode::kOk);
  }
  for (int i = 0; i < 5; ++i) dispatch_ok("Job", 0, "scratch");
  ASSERT_EQ(dispatch("Job", "{}", 0, 30'000, "scratch").code, ErrorCode::kOk);
  deliver();
  submit_turn();
  for (const Delivery& d : sink.take()) (d.queue == "work" ? work_ : campaign_).push_back(d);
  ASSERT_EQ(campaign_.size(), 12u);
  ASSERT_EQ(work_.size(), 10u);

  // t+500: completions
  step(kT0 + 500);  // s_disabled fires
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(core().ack(1, campaign_[i].id, now), ErrorCode::kOk);
    acked_.push_back(campaign_[i].id);
  }
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(core().ack(1, work_[i].id, now), ErrorCode::kOk);
    acked_.push_back(work_[i].id);
  }
  submit_turn();

  // t+1000: s_deleted (700), s_disabled and s_int fire; then disable one, delete one
  step(kT0 + 1000);
  std::optional<ScheduleInfo> out;
  ASSERT_EQ(core().update_schedule(s_disabled_, ScheduleOp::kDisable, now, out), ErrorCode::kOk);
  ASSERT_EQ(core().update_schedule(s_deleted_, ScheduleOp::kDelete, now, out), ErrorCode::kOk);
  ASSERT_EQ(nack(1, work_[4].id, NackMode::kFatal, "bad job", "ValueError").outcome,
            NackOutcome::kDeadLettered);
  ASSERT_EQ(nack(1, work_[5].id, NackMode::kFatal, "bad job", "ValueError").outcome,
            NackOutcome::kDeadLettered);
  submit_turn();

  // t+1500: more dead letters, a retry
  step(kT0 + 1500);
  ASSERT_EQ(nack(1, work_[6].id, NackMode::kFatal, "slow", "TimeoutError").outcome,
            NackOutcome::kDeadLettered);
  ASSERT_EQ(nack(1, work_[7].id, NackMode::kFatal, "bad job", "ValueError").outcome,
            NackOutcome::kDeadLettered);
  ASSERT_EQ(nack(1, work_[8].id, NackMode::kRetry, "later", "TimeoutError").outcome,
            NackOutcome::kRetryScheduled);
  for (int i = 3; i < 6; ++i) {
    ASSERT_EQ(nack(1, campaign_[i].id, NackMode::kFatal, "bounce", "SmtpError").outcome,
              NackOutcome::kDeadLettered);
    now += 1;
  }
  submit_turn();

  // t+2000: a dead letter retried (delivered again), one deleted
  step(kT0 + 2000);  // s_int, s_once_fired
  sink.take();
  protocol::DeadLetterActionResult r = core().retry_dead({false, {work_[4].id}, {}}, false, now);
  ASSERT_EQ(r.ids.size(), 1u);
  deliver();
  expect_delivered(work_[4].id);
  r = core().delete_dead({false, {work_[5].id}, {}}, now);
  ASSERT_EQ(r.ids.size(), 1u);
  submit_turn();

  // t+2500: purge scratch, then new messages there and in work
  step(kT0 + 2500);
  uint64_t removed = 0;
  ASSERT_EQ(core().purge_queue("scratch", now, removed), ErrorCode::kOk);
  ASSERT_EQ(removed, 6u);
  dispatch_ok("Job", 0, "scratch");
  dispatch_ok("Job", 0, "scratch");
  ASSERT_EQ(dispatch("Job", "{}", 0, 0, "work", "late-1").code, ErrorCode::kOk);
  deliver();
  sink.take();
  submit_turn();

  // t+3000: the campaign schedule fans out; one copy acked, the other dead
  step(kT0 + 3000);
  const std::vector<Delivery> fired = sink.take();
  ASSERT_EQ(fired.size(), 2u);
  ASSERT_EQ(core().ack(1, fired[0].id, now), ErrorCode::kOk);
  acked_.push_back(fired[0].id);
  ASSERT_EQ(nack(1, fired[1].id, NackMode::kFatal, "campaign failed", "CampaignError").outcome,
            NackOutcome::kDeadLettered);
  submit_turn();

  // t+3500: retry by filter
  step(kT0 + 3500);
  protocol::DeadLetterFilter f;
  f.error_class = "TimeoutError";
  r = core().retry_dead({true, {}, f}, false, now);
  ASSERT_EQ(r.ids, std::vector<MessageId>{work_[6].id});
  deliver();
  expect_delivered(work_[6].id);
  submit_turn();

  step(kT0 + 4000);  // s_int's fourth run
  sink.take();

  // the scenario reached every state it should
  const ScheduleInfo* s = core().find_schedule(s_int_);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->run_count, 4u);
  EXPECT_EQ(s->next_run_at_ms, kT0 + 5000);
  EXPECT_EQ(core().find_schedule(s_once_fired_)->run_count, 1u);
  EXPECT_EQ(core().find_schedule(s_disabled_)->run_count, 2u);
  EXPECT_FALSE(core().find_schedule(s_disabled_)->spec.enabled);
  EXPECT_EQ(core().find_schedule(s_deleted_), nullptr);
  EXPECT_EQ(core().find_schedule(s_cron_)->run_count, 0u);
  protocol::FailedListRequest all;
  EXPECT_EQ(core().list_dead(all).total, 5u);  // work 7, campaign 3..5, the scheduled campaign
  EXPECT_EQ(stats("scratch").ready, 2u);
  EXPECT_EQ(stats("work").delayed, 1u);
}

TEST_F(MessengerRecoveryTest, MessengerStateSurvivesRestartAndCompaction) {
  ASSERT_NO_FATAL_FAILURE(run_scenario());
  const TimeMs scenario_end = now;

  // ---- recovery 1, with the broker down for 5.5 s ----
  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  EXPECT_EQ(state.schedules().size(), 6u);
  now = scenario_end + 5500;
  std::unique_ptr<RestoredCore> first = restore(state);
  Core& c = *first->core;
  EXPECT_GT(compare_cores(core(), *first), 5u);
  expect_same_dead_letters(core(), c);
  expect_same_schedules(core(), c);
  EXPECT_EQ(c.find_schedule(s_deleted_), nullptr);
  for (MessageId id : acked_) {
    SCOPED_TRACE(::testing::Message() << "acked " << id);
    const protocol::MessageStatusItem st = c.status(id);
    EXPECT_EQ(st.code, ErrorCode::kOk);
    EXPECT_EQ(st.status, EnvelopeStatus::kCompleted);
    EXPECT_EQ(st.at_ms, core().status(id).at_ms);
    EXPECT_EQ(st.queue, core().status(id).queue);
  }
  EXPECT_EQ(c.status(work_[5].id).code, ErrorCode::kUnknownMessage) << "deleted";
  EXPECT_EQ(c.status(work_[4].id).status, EnvelopeStatus::kPending) << "retried, cut lease";

  // the schedules missed while it was down fire once each at the first tick: s_int (slots
  // 5000..9000 missed) and s_once_missed (8000); the cron one and the disabled one do not
  const ScheduleInfo int_before = *c.find_schedule(s_int_);
  ASSERT_LT(int_before.next_run_at_ms, now);
  first->log.clear();  // the restore's own records (cut leases) were checked by restore()
  c.tick(now);
  const std::vector<wal::Record> tick_records = decode(first->log.bytes());
  first->log.clear();
  EXPECT_EQ(
      firing_keys(tick_records),
      (std::vector<std::string>{key_of(s_int_, kT0 + 5000), key_of(s_once_missed_, kT0 + 8000)}));
  const auto sets = records_of<wal::ScheduleSetRecord>(tick_records);
  ASSERT_EQ(sets.size(), 2u);
  EXPECT_EQ(sets[0].info.id, s_int_);
  EXPECT_EQ(sets[1].info.id, s_once_missed_);
  const ScheduleInfo& int_after = *c.find_schedule(s_int_);
  EXPECT_EQ(int_after.run_count, int_before.run_count + 1) << "once, not once per missed slot";
  EXPECT_EQ(int_after.last_run_at_ms, now);
  EXPECT_GT(int_after.next_run_at_ms, now);
  EXPECT_EQ(int_after.next_run_at_ms, kT0 + 10'000);
  EXPECT_EQ(c.find_schedule(s_once_missed_)->run_count, 1u);
  EXPECT_EQ(c.find_schedule(s_once_missed_)->next_run_at_ms, 0);
  EXPECT_EQ(c.find_schedule(s_disabled_)->run_count, 2u);
  EXPECT_EQ(c.find_schedule(s_cron_)->run_count, 0u);
  c.tick(now);
  EXPECT_TRUE(first->log.empty()) << "nothing more is due";
  c.tick(kT0 + 10'000);
  EXPECT_EQ(firing_keys(decode(first->log.bytes())),
            std::vector<std::string>{key_of(s_int_, kT0 + 10'000)});
  first->log.clear();

  // the original, running on through the same time, does exactly the same
  const MessageId next_before = core().next_id();
  advance_to(scenario_end + 5500);
  const std::vector<wal::Record> original_records = decode(log.bytes());
  EXPECT_EQ(firing_keys(original_records), firing_keys(tick_records));
  ASSERT_EQ(records_of<wal::EnvelopeRecord>(original_records).size(), 2u);
  EXPECT_EQ(records_of<wal::EnvelopeRecord>(original_records)[0].id, next_before);
  submit_turn();
  {
    // (the restored core went one slot further: compare with the state before that)
    const ScheduleInfo* o = core().find_schedule(s_int_);
    EXPECT_EQ(o->run_count, int_after.run_count - 1);
    EXPECT_EQ(o->next_run_at_ms, kT0 + 10'000);
  }
  first.reset();

  // ---- compaction under traffic ----
  const uint64_t records_before = records_written_;
  start_rewrite();
  uint64_t s_new = 0;
  size_t turns = 0;
  size_t next_campaign = 6;  // leased campaign envelopes still held by consumer 1
  while (core().log_rewrite_running()) {
    if (turns == 0) s_new = create(every(250, now + 250, "ticks"));
    if (next_campaign < campaign_.size()) {
      ASSERT_EQ(core().ack(1, campaign_[next_campaign].id, now), ErrorCode::kOk);
      acked_.push_back(campaign_[next_campaign].id);
      ++next_campaign;
    }
    advance_to(now + 100);
    sink.take();
    submit_turn(/*rewrite_chunk=*/3);
    ++turns;
    ASSERT_LT(turns, 200u) << "the rewrite never completes";
  }
  EXPECT_GE(turns, 3u) << "the rewrite ran in several chunks";
  step(now + 10);
  EXPECT_GT(records_written_, records_before);
  ASSERT_NE(core().find_schedule(s_new), nullptr);
  EXPECT_GT(core().find_schedule(s_new)->run_count, 0u);

  // ---- recovery 2: only the rewrite and what followed it are left ----
  group_count();
  wal::LogState state2;
  wal::RecoveryReport report2;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state2, report2));
  EXPECT_GT(state2.base_id(), 0u);
  for (const wal::GroupInfo& g : report2.group_infos) {
    EXPECT_GE(g.last_epoch, rewrite_epoch_) << "group " << g.seq << " lies wholly before";
  }
  std::unique_ptr<RestoredCore> second = restore(state2);
  Core& c2 = *second->core;
  compare_cores(core(), *second);
  expect_same_schedules(core(), c2);
  EXPECT_EQ(c2.list_schedules().size(), 7u);
  EXPECT_EQ(c2.find_schedule(s_deleted_), nullptr);
  expect_same_dead_letters(core(), c2);
  for (MessageId id : acked_) {
    SCOPED_TRACE(::testing::Message() << "acked " << id);
    const protocol::MessageStatusItem st = c2.status(id);
    EXPECT_EQ(st.code, ErrorCode::kOk);
    EXPECT_EQ(st.status, EnvelopeStatus::kCompleted);
    EXPECT_EQ(st.at_ms, core().status(id).at_ms);
  }
  // a job key dispatched before the compaction is still a duplicate of its completed original
  std::vector<protocol::DispatchResult> dup;
  MessageSpec again;
  again.queue = "work";
  again.payload = R"({"job":0})";
  again.key = "job-0";
  c2.dispatch(make_message(again), 0, now, dup);
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_TRUE(dup[0].duplicate);
  EXPECT_EQ(dup[0].message_id, work_[0].id);
  EXPECT_EQ(dup[0].status, EnvelopeStatus::kCompleted);
}

TEST_F(MessengerRecoveryTest, MissedSchedulesFireOnceAfterARestart) {
  const TimeMs five = 5 * 60 * 1000;
  const TimeMs first_cron = kT0 - kT0 % five + five;
  const uint64_t interval = create(every(1000, kT0 + 1000));
  const uint64_t cron = create(every_five_minutes());
  const uint64_t once = create(once_at(kT0 + 60'000));
  ScheduleSpec off = every(1000, kT0 + 1000);
  off.enabled = false;
  const uint64_t disabled = create(off);
  submit_turn();

  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  now = first_cron + 3 * five + 1234;  // three cron slots and hundreds of interval slots missed
  std::unique_ptr<RestoredCore> restored = restore(state);
  Core& c = *restored->core;
  expect_same_schedules(core(), c);
  EXPECT_EQ(c.next_wakeup(), kT0 + 1000) << "the earliest missed run is due at once";

  c.tick(now);
  const std::vector<wal::Record> records = decode(restored->log.bytes());
  restored->log.clear();
  EXPECT_EQ(firing_keys(records),
            (std::vector<std::string>{key_of(interval, kT0 + 1000), key_of(once, kT0 + 60'000),
                                      key_of(cron, first_cron)}));
  const ScheduleInfo& i = *c.find_schedule(interval);
  EXPECT_EQ(i.run_count, 1u);
  EXPECT_EQ(i.last_run_at_ms, now);
  EXPECT_GT(i.next_run_at_ms, now);
  EXPECT_EQ((i.next_run_at_ms - (kT0 + 1000)) % 1000, 0) << "still on its grid";
  EXPECT_LE(i.next_run_at_ms, now + 1000);
  const ScheduleInfo& cr = *c.find_schedule(cron);
  EXPECT_EQ(cr.run_count, 1u);
  EXPECT_EQ(cr.next_run_at_ms, first_cron + 4 * five);
  EXPECT_EQ(c.find_schedule(once)->next_run_at_ms, 0);
  EXPECT_EQ(c.find_schedule(disabled)->run_count, 0u);
  EXPECT_EQ(c.find_schedule(disabled)->next_run_at_ms, 0);

  c.tick(now);
  EXPECT_TRUE(restored->log.empty()) << "each fired once";
  EXPECT_EQ(c.next_wakeup(), i.next_run_at_ms);
}

// An envelope acked while a rewrite runs, before the rewrite reached it: its enqueue lies in the
// dropped part of the log and replay skips its `acked` record, so the rewrite must write its
// completion (as it does for the completions it found when it began).
TEST_F(MessengerRecoveryTest, CompletionOfAnEnvelopeAckedDuringARewriteSurvivesIt) {
  subscribe(1, {"default"}, 10, 600'000);
  const MessageId before = dispatch_ok();
  const MessageId a = dispatch_ok();
  const MessageId b = dispatch_ok();
  deliver();
  ASSERT_EQ(sink.take().size(), 3u);
  ASSERT_EQ(core().ack(1, before, now), ErrorCode::kOk);
  submit_turn();
  EXPECT_EQ(group_count(), 1u);  // (waits: the rewrite must not share a group with epoch 1)
  now += 100;
  start_rewrite();
  ASSERT_EQ(core().ack(1, b, now), ErrorCode::kOk);  // before the rewrite reached b
  submit_turn(/*rewrite_chunk=*/1);                  // a's snapshot
  now += 100;
  ASSERT_EQ(core().ack(1, a, now), ErrorCode::kOk);  // after its snapshot
  while (core().log_rewrite_running()) submit_turn(1);
  submit_turn();

  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  EXPECT_GT(state.base_id(), b) << "the enqueues were dropped";
  std::unique_ptr<RestoredCore> restored = restore(state);
  for (MessageId id : {before, a, b}) {
    SCOPED_TRACE(::testing::Message() << "message " << id);
    const protocol::MessageStatusItem st = restored->core->status(id);
    EXPECT_EQ(st.code, ErrorCode::kOk);
    EXPECT_EQ(st.status, EnvelopeStatus::kCompleted);
    EXPECT_EQ(st.at_ms, core().status(id).at_ms);
    EXPECT_EQ(st.queue, "default");
  }
}

}  // namespace
}  // namespace symphony::broker::test
