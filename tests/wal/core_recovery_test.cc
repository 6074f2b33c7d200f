// Recovery equivalence: a core driven through a rich scenario, its records written through the
// LogWriter into RocksDB, recovered and restored into a fresh core, must be the same core (up to
// leases, which a restart ends). The same after a compaction that rewrote the log under churn.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/wal/core_log_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::EnvelopeStatus;
using protocol::ErrorCode;
using protocol::NackMode;
using protocol::NackOutcome;

const char* const kQueues[] = {"alpha", "beta", "gamma"};
const char* const kTypes[] = {"Job", "Flaky", "Email"};

class CoreRecoveryTest : public CoreLogTest {
 protected:
  void SetUp() override {
    options.idempotency_window_ms = 3600 * 1000;
    RetryPolicy flaky;
    flaky.max_retries = 5;
    flaky.delay_ms = 300;
    flaky.multiplier = 2.0;
    flaky.max_delay_ms = 4000;
    flaky.jitter = 0.5;
    options.retry.set("Flaky", flaky);
    open_log();
  }

  /// Dispatches on the original core and remembers its idempotency key.
  MessageId send(const MessageSpec& spec) {
    const protocol::DispatchResult r = dispatch_spec(spec);
    EXPECT_EQ(r.code, ErrorCode::kOk) << r.error;
    EXPECT_FALSE(r.duplicate);
    if (!spec.key.empty()) keys_[{spec.queue, spec.key}] = {r.message_id, spec};
    ++sent_;
    return r.message_id;
  }

  MessageSpec spec_for(int i) {
    MessageSpec s;
    s.queue = kQueues[i % 3];
    s.type = kTypes[(i / 3) % 3];
    s.payload = "{\"n\":" + std::to_string(i) + ",\"text\":\"message " + std::to_string(i) + "\"}";
    s.priority = static_cast<uint8_t>(i % 11);  // 0: the default priority
    if (i % 5 == 0) {
      s.when = protocol::When::kDelayMs;
      s.when_value = 400 * (1 + i % 7);
    } else if (i % 17 == 0) {
      s.when = protocol::When::kAtUnixMs;
      s.when_value = now + 2500;
    }
    if (i % 4 == 1) s.key = "key-" + std::to_string(i);
    if (i % 6 == 0) s.headers = {{"trace-id", "t-" + std::to_string(i)}, {"tenant", "acme"}};
    if (i % 9 == 0) s.metadata = "{\"origin\":\"test\"}";
    return s;
  }

  /// What a consumer does with a delivery: a fixed function of id and attempt.
  void act(const Delivery& d) {
    const uint64_t h = (d.id * 2654435761u + d.attempt * 40503u) % 100;
    if (d.consumer == 2 && h < 35) return;  // consumer 2 sits on its leases (10 min)
    if (d.id % 10 == 3) {                   // always fails: retried until it is dead
      nack(d.consumer, d.id, NackMode::kRetry, "still failing", "FlakyError");
      return;
    }
    if (h < 40) {
      EXPECT_EQ(core().ack(d.consumer, d.id, now), ErrorCode::kOk);
    } else if (h < 62) {
      nack(d.consumer, d.id, NackMode::kRetry, "timeout " + std::to_string(d.attempt),
           "TimeoutError");
    } else if (h < 68) {
      EXPECT_EQ(nack(d.consumer, d.id, NackMode::kFatal, "bad input", "ValueError").outcome,
                NackOutcome::kDeadLettered);
    } else if (h < 76) {
      EXPECT_EQ(nack(d.consumer, d.id, NackMode::kRelease, "", "").outcome, NackOutcome::kReleased);
    }
    // else: held until its lease expires (or its consumer goes)
  }

  void subscribe_consumer(ConsumerId c, std::initializer_list<std::string_view> queues,
                          uint32_t prefetch, uint32_t lease_ms) {
    subscribe(c, queues, prefetch, lease_ms);
    consumers_.insert(c);
  }
  void disconnect(ConsumerId c) {
    core().disconnect(c, now);
    consumers_.erase(c);
  }

  /// Runs the scenario: dispatch, consume with every kind of outcome, expire, disconnect.
  void run_scenario() {
    for (int i = 0; i < 300; ++i) {
      send(spec_for(i));
      if (i % 20 == 19) {
        // a duplicate within the window: no new envelope, no record
        const auto& [key, original] = *keys_.begin();
        const uint32_t before = log.count();
        const protocol::DispatchResult dup = dispatch_spec(original.second);
        EXPECT_TRUE(dup.duplicate);
        EXPECT_EQ(dup.message_id, original.first);
        EXPECT_EQ(log.count(), before);
        submit_turn();
        now += 7;
      }
    }
    subscribe_consumer(1, {"alpha", "beta"}, 40, 5000);
    subscribe_consumer(2, {"gamma"}, 30, 600'000);
    subscribe_consumer(3, {"alpha", "gamma"}, 25, 2000);
    deliver();
    submit_turn();

    for (int round = 0; round < 12; ++round) {
      for (const Delivery& d : sink.take()) act(d);
      if (round == 5) {
        ASSERT_GT(core().stats("alpha").front().in_flight + core().stats("beta").front().in_flight,
                  0u);
        disconnect(1);  // holding leases: they come back with a ConsumerGone failure
        subscribe_consumer(4, {"alpha", "beta"}, 40, 5000);
      }
      submit_turn();
      advance_to(now + 1100);  // delayed messages come due, short leases expire
      submit_turn();
    }
    // pause the consumers and dispatch more, so that some envelopes wait in the ready heaps
    protocol::CreditOk credit;
    for (ConsumerId c : consumers_) ASSERT_EQ(core().set_prefetch(c, 0, credit), ErrorCode::kOk);
    for (int i = 300; i < 360; ++i) send(spec_for(i));
    submit_turn();
    advance_to(now + 1);
    submit_turn();
    sink.take();
  }

  /// Every envelope state occurs, so the comparison means something.
  void expect_every_state() {
    std::map<EnvelopeState, size_t> counts;
    size_t with_failures = 0, multi_failures = 0;
    core().for_each_envelope([&](const EnvelopeView& e) {
      ++counts[e.state];
      with_failures += !e.failures.empty();
      multi_failures += e.failures.size() >= 2;
    });
    EXPECT_GT(counts[EnvelopeState::kReady], 10u);
    EXPECT_GT(counts[EnvelopeState::kDelayed], 5u);
    EXPECT_GT(counts[EnvelopeState::kLeased], 5u);
    EXPECT_GT(counts[EnvelopeState::kDead], 5u);
    EXPECT_GT(with_failures, 20u);
    EXPECT_GT(multi_failures, 5u);
  }

  /// Every key dispatched again finds its original, in both cores alike.
  void expect_keys_remembered(RestoredCore& restored) {
    ASSERT_GT(keys_.size(), 50u);
    const uint32_t records = restored.log.count();
    for (const auto& [qk, original] : keys_) {
      SCOPED_TRACE("key " + qk.second);
      std::vector<protocol::DispatchResult> out;
      restored.core->dispatch(make_message(original.second), 0, now, out);
      ASSERT_EQ(out.size(), 1u);
      EXPECT_EQ(out[0].code, ErrorCode::kOk);
      EXPECT_TRUE(out[0].duplicate);
      EXPECT_EQ(out[0].message_id, original.first);
      const std::optional<EnvelopeView> e = core().find(original.first);
      // a cut lease is pending again, or failed when it was the last attempt allowed
      const EnvelopeStatus expected = !e ? EnvelopeStatus::kCompleted
                                      : e->state != EnvelopeState::kLeased ? status_of(e->state)
                                      : e->attempts > e->max_retries       ? EnvelopeStatus::kFailed
                                                                     : EnvelopeStatus::kPending;
      EXPECT_EQ(out[0].status, expected);
    }
    EXPECT_EQ(restored.log.count(), records) << "duplicates log nothing";
  }

  /// Returns the original's leases (disconnecting every consumer), then lets one consumer with a
  /// huge prefetch take everything ready from both cores: the order must be the same. Leases the
  /// disconnect dead-lettered (attempts over max_retries) are dead in the restored core too: the
  /// restart ends leases by the same rule. The original's drain consumer keeps its leases.
  std::vector<MessageId> expect_same_drain_order(RestoredCore& restored, ConsumerId drain) {
    std::set<MessageId> leased;
    core().for_each_envelope([&](const EnvelopeView& e) {
      if (e.state == EnvelopeState::kLeased) leased.insert(e.id);
    });
    const std::set<ConsumerId> consumers = consumers_;
    for (ConsumerId c : consumers) disconnect(c);
    std::set<MessageId> dead_by_disconnect;
    for (MessageId id : leased) {
      const std::optional<EnvelopeView> e = core().find(id);
      EXPECT_TRUE(e.has_value());
      if (e && e->state == EnvelopeState::kDead) {
        dead_by_disconnect.insert(id);
      } else if (e) {
        EXPECT_EQ(e->state, EnvelopeState::kReady);
      }
    }
    submit_turn();

    sink.take();
    subscribe_consumer(drain, {"alpha", "beta", "gamma"}, 100'000, 600'000);
    deliver();
    submit_turn();
    const std::vector<MessageId> original_order = ids_of(sink.take());

    const std::vector<std::string_view> queues = {"alpha", "beta", "gamma"};
    protocol::Subscribed effective;
    std::string detail;
    EXPECT_EQ(restored.core->subscribe(drain, queues, 100'000, 600'000, effective, detail),
              ErrorCode::kOk);
    restored.core->deliver(now);
    // the restart ended the same leases by the same rule, so the same ones are dead
    const std::vector<MessageId> restored_order = ids_of(restored.sink.take());
    for (MessageId id : dead_by_disconnect) {
      const std::optional<EnvelopeView> r = restored.core->find(id);
      EXPECT_TRUE(r && r->state == EnvelopeState::kDead) << "envelope " << id;
    }
    EXPECT_GT(original_order.size(), 50u);
    EXPECT_EQ(restored_order, original_order);
    return original_order;
  }

  std::map<std::pair<std::string, std::string>, std::pair<MessageId, MessageSpec>> keys_;
  std::set<ConsumerId> consumers_;
  int sent_ = 0;
};

TEST_F(CoreRecoveryTest, RecoveredCoreEqualsTheOriginalBeforeAndAfterCompaction) {
  ASSERT_NO_FATAL_FAILURE(run_scenario());
  expect_every_state();

  // ---- recovery 1: the whole log ----
  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  EXPECT_EQ(report.records, records_written_);
  EXPECT_EQ(state.base_id(), 0u);
  EXPECT_EQ(state.orphans(), 0u);
  EXPECT_EQ(state.envelopes().size(), core().envelope_count());
  std::unique_ptr<RestoredCore> first = restore(state);
  EXPECT_GT(compare_cores(core(), *first), 5u);
  expect_keys_remembered(*first);
  std::vector<MessageId> drained = expect_same_drain_order(*first, 100);
  first.reset();

  // ---- compaction under traffic ----
  const uint64_t records_before = records_written_;
  start_rewrite();
  std::vector<MessageId> held = drained;  // consumer 100 holds these
  size_t turns = 0, next = 0;
  auto take = [&]() -> std::optional<MessageId> {
    while (next < held.size()) {
      const MessageId id = held[next++];
      const std::optional<EnvelopeView> e = core().find(id);
      if (e && e->state == EnvelopeState::kLeased && e->lease_holder == 100) return id;
    }
    return std::nullopt;
  };
  while (core().log_rewrite_running()) {
    for (int i = 0; i < 4; ++i) {
      if (auto id = take()) {
        EXPECT_EQ(core().ack(100, *id, now), ErrorCode::kOk);
      }
    }
    if (auto id = take()) nack(100, *id, NackMode::kRetry, "again", "RetryError");
    if (auto id = take()) nack(100, *id, NackMode::kFatal, "fatal", "FatalError");
    if (auto id = take()) nack(100, *id, NackMode::kRelease);
    for (int i = 0; i < 3; ++i) send(spec_for(1000 + static_cast<int>(turns) * 3 + i));
    advance_to(now + 150);
    for (const Delivery& d : sink.take()) held.push_back(d.id);
    submit_turn(/*rewrite_chunk=*/45);
    ++turns;
    ASSERT_LT(turns, 100u) << "the rewrite never completes";
  }
  EXPECT_GE(turns, 4u) << "the rewrite ran in several chunks";
  // traffic after the rewrite completed
  for (int i = 0; i < 5; ++i) {
    if (auto id = take()) {
      EXPECT_EQ(core().ack(100, *id, now), ErrorCode::kOk);
    }
  }
  advance_to(now + 10);
  submit_turn();
  EXPECT_GT(records_written_, records_before);

  // ---- recovery 2: snapshots, orphans and the records after them ----
  // (how many groups the writer made depends on its speed, so the group count proves nothing;
  // what must hold is that no group wholly before the rewrite survived: checked below)
  const size_t groups_after = group_count();
  wal::LogState state2;
  wal::RecoveryReport report2;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state2, report2));
  EXPECT_EQ(report2.groups, groups_after);
  EXPECT_LT(report2.records, records_written_);
  EXPECT_GT(state2.base_id(), 0u);
  for (const wal::GroupInfo& g : report2.group_infos) {
    EXPECT_GE(g.last_epoch, rewrite_epoch_)
        << "group " << g.seq << " lies wholly before the rewrite";
  }
  std::unique_ptr<RestoredCore> second = restore(state2);
  EXPECT_GT(compare_cores(core(), *second), 50u) << "consumer 100 holds many leases";
  expect_keys_remembered(*second);
  expect_same_drain_order(*second, 101);
}

// A restored core goes on writing the same log (its restore records first): a second restart must
// rebuild it, including the envelopes whose leases the first restart cut and which were leased
// again since.
TEST_F(CoreRecoveryTest, RestoredCoreWritesOnAndSurvivesASecondRestart) {
  ASSERT_NO_FATAL_FAILURE(run_scenario());
  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  std::unique_ptr<RestoredCore> restarted = restore(state);
  EXPECT_GT(compare_cores(core(), *restarted), 5u);
  Core& c = *restarted->core;
  EXPECT_FALSE(restarted->log.empty()) << "the cut leases are logged";
  writer_->submit(++epoch_, restarted->log, c.next_id());

  // the next run: deliver everything ready (the cut leases among it), settle some of it
  const std::vector<std::string_view> queues = {"alpha", "beta", "gamma"};
  protocol::Subscribed effective;
  std::string detail;
  ASSERT_EQ(c.subscribe(7, queues, 150, 60'000, effective, detail), ErrorCode::kOk);
  c.deliver(now);
  const std::vector<Delivery> deliveries = restarted->sink.take();
  EXPECT_GT(deliveries.size(), 100u);
  for (size_t i = 0; i < deliveries.size(); ++i) {
    const Delivery& d = deliveries[i];
    if (i % 3 == 0) {
      EXPECT_EQ(c.ack(7, d.id, now), ErrorCode::kOk);
    } else if (i % 3 == 1) {
      c.nack(7, {d.id, NackMode::kRetry, "after restart", "RestartError"}, now);
    }  // else: leased by the second run when it stops
  }
  writer_->submit(++epoch_, restarted->log, c.next_id());
  now += 2000;
  c.tick(now);
  c.deliver(now);
  restarted->sink.take();
  writer_->submit(++epoch_, restarted->log, c.next_id());

  wal::LogState state2;
  wal::RecoveryReport report2;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state2, report2));
  std::unique_ptr<RestoredCore> second = restore(state2, &c);
  EXPECT_GT(compare_cores(c, *second), 10u);
}

// The smallest case of the scenario above: a rewrite meets a leased envelope, whose ack follows.
TEST_F(CoreLogTest, SnapshotOfALeasedEnvelopeSaysLeased) {
  open_log();
  const MessageId leased = dispatch_ok();
  const MessageId dead = dispatch_ok();
  const MessageId ready = dispatch_ok();
  subscribe(1, {"default"}, 2);
  deliver();
  ASSERT_EQ(nack(1, dead, NackMode::kFatal).outcome, NackOutcome::kDeadLettered);
  submit_turn();
  start_rewrite();
  ASSERT_TRUE(core().continue_log_rewrite(10));
  std::vector<wal::Record> records = take_records();
  const auto snaps = records_of<wal::SnapshotRecord>(records);
  ASSERT_EQ(snaps.size(), 3u);
  EXPECT_EQ(snaps[0].id, leased);
  EXPECT_EQ(snaps[0].state, wal::PersistedState::kLeased);
  EXPECT_EQ(snaps[0].attempts, 1u);
  EXPECT_EQ(snaps[1].id, dead);
  EXPECT_EQ(snaps[1].state, wal::PersistedState::kDead);
  EXPECT_EQ(snaps[2].id, ready);
  EXPECT_EQ(snaps[2].state, wal::PersistedState::kPending);

  // and the log those snapshots are in replays: snapshot, then the ack of the lease
  EXPECT_EQ(group_count(), 1u);  // (waits: the rewrite must not share a group with epoch 1)
  start_rewrite();
  submit_turn();  // the whole rewrite, dropping everything before it
  EXPECT_EQ(core().ack(1, leased, now), ErrorCode::kOk);
  submit_turn();
  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  EXPECT_EQ(report.records, 4u);  // three snapshots and the ack
  EXPECT_EQ(state.envelopes().size(), 2u);
  EXPECT_EQ(state.envelopes().count(leased), 0u);
}

}  // namespace
}  // namespace symphony::broker::test
