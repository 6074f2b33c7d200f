#pragma once
// A broker core whose records go through a real LogWriter into a LogStore in a temporary
// directory, the way the server runs it: after every command batch the core's RecordBuffer is
// submitted as the next epoch, and a log rewrite adds its next chunk at submit time. Recovery
// reopens the store, replays it and restores a fresh core; compare_cores() checks the two field by
// field.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "broker/core/core.h"
#include "tests/broker/core_fixture.h"
#include "tests/wal/wal_test_util.h"
#include "wal/fsync_policy.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/log_writer.h"
#include "wal/recovery.h"

namespace symphony::broker::test {

/// A core rebuilt from the log, with its own record buffer and sink.
struct RestoredCore {
  TimeMs restored_at = 0;
  wal::RecordBuffer log;
  RecordingSink sink;
  std::unique_ptr<Core> core;
};

inline const char* envelope_state_name(EnvelopeState s) {
  switch (s) {
    case EnvelopeState::kDelayed: return "delayed";
    case EnvelopeState::kReady: return "ready";
    case EnvelopeState::kLeased: return "leased";
    case EnvelopeState::kDead: return "dead";
  }
  return "?";
}

/// Every persisted field of every envelope of `original` equals the restored one; a lease of the
/// original is a ready envelope in the restored core, with the same attempts and one more failure
/// (the restart cut the lease: consumer gone). Queue depths and the id counter agree too.
/// Returns how many leases the original holds.
inline size_t compare_cores(const Core& original, const RestoredCore& restored_core) {
  const Core& restored = *restored_core.core;
  size_t leased = 0;
  original.for_each_envelope([&](const EnvelopeView& e) {
    SCOPED_TRACE(::testing::Message()
                 << "envelope " << e.id << " (" << envelope_state_name(e.state) << ")");
    const std::optional<EnvelopeView> r = restored.find(e.id);
    ASSERT_TRUE(r.has_value()) << "missing after recovery";
    EXPECT_EQ(r->id, e.id);
    EXPECT_EQ(r->queue, e.queue);
    EXPECT_EQ(r->priority, e.priority);
    EXPECT_EQ(r->created_at_ms, e.created_at_ms);
    EXPECT_EQ(r->available_at_ms, e.available_at_ms);
    EXPECT_EQ(r->attempts, e.attempts);
    EXPECT_EQ(r->max_retries, e.max_retries);
    EXPECT_EQ(r->body, e.body);
    EXPECT_EQ(r->idempotency_key, e.idempotency_key);
    const bool cut = e.state == EnvelopeState::kLeased;
    ASSERT_EQ(r->failures.size(), e.failures.size() + (cut ? 1 : 0));
    for (size_t i = 0; i < e.failures.size(); ++i) {
      SCOPED_TRACE(::testing::Message() << "failure " << i);
      EXPECT_EQ(r->failures[i].attempt, e.failures[i].attempt);
      EXPECT_EQ(r->failures[i].failed_at_ms, e.failures[i].failed_at_ms);
      EXPECT_EQ(r->failures[i].error, e.failures[i].error);
      EXPECT_EQ(r->failures[i].error_class, e.failures[i].error_class);
    }
    if (cut) {
      const Failure& f = r->failures.back();
      EXPECT_EQ(f.attempt, e.attempts);
      EXPECT_EQ(f.failed_at_ms, restored_core.restored_at);
      EXPECT_EQ(f.error, "consumer disconnected while holding the lease");
      EXPECT_EQ(f.error_class, "ConsumerGone");
    }
    if (e.state == EnvelopeState::kLeased) {
      ++leased;
      // a lease does not survive a restart: it ends like a disconnect, dead past max_retries
      EXPECT_EQ(envelope_state_name(r->state),
                envelope_state_name(e.attempts > e.max_retries ? EnvelopeState::kDead
                                                               : EnvelopeState::kReady));
    } else {
      EXPECT_EQ(envelope_state_name(r->state), envelope_state_name(e.state));
    }
    EXPECT_EQ(r->lease_holder, 0u);
  });
  EXPECT_EQ(restored.envelope_count(), original.envelope_count());
  restored.for_each_envelope([&](const EnvelopeView& r) {
    EXPECT_NE(original.find(r.id), std::nullopt)
        << "envelope " << r.id << " came back from the dead";
  });
  for (const protocol::QueueStats& o : original.stats("")) {
    SCOPED_TRACE("queue " + o.name);
    const std::vector<protocol::QueueStats> rs = restored.stats(o.name);
    const protocol::QueueStats r = rs.empty() ? protocol::QueueStats{} : rs.front();
    uint64_t cut_dead = 0;  // leases the restart cut past max_retries
    original.for_each_envelope([&](const EnvelopeView& e) {
      if (e.queue == o.name && e.state == EnvelopeState::kLeased && e.attempts > e.max_retries) {
        ++cut_dead;
      }
    });
    EXPECT_EQ(r.ready, o.ready + o.in_flight - cut_dead);
    EXPECT_EQ(r.delayed, o.delayed);
    EXPECT_EQ(r.dead, o.dead + cut_dead);
    EXPECT_EQ(r.in_flight, 0u);
  }
  EXPECT_EQ(restored.next_id(), original.next_id());
  return leased;
}

class CoreLogTest : public CoreTest {
 protected:
  void TearDown() override { close_log(); }

  void open_log(std::vector<wal::GroupInfo> existing = {}) {
    store_ = wal::test::open_store(log_dir());
    ASSERT_TRUE(store_);
    writer_ = std::make_unique<wal::LogWriter>(
        *store_, wal::FsyncPolicy{wal::FsyncPolicy::Mode::kNever, 0}, std::move(existing),
        [] { return kT0; }, commits_.callback());
    writer_->start();
  }
  /// The server's layout: the log is <data-dir>/log.
  std::string log_dir() const { return dir_.sub("log"); }
  void close_log() {
    if (writer_) writer_->stop();
    writer_.reset();
    store_.reset();
  }

  /// One event-loop turn's end: the next rewrite chunk (if one runs) joins the turn's records,
  /// and the buffer goes to the writer as the next epoch; the chunk that completes the rewrite
  /// drops every group before the rewrite began.
  void submit_turn(size_t rewrite_chunk = 40) {
    std::optional<uint64_t> drop;
    if (core().log_rewrite_running() && core().continue_log_rewrite(rewrite_chunk)) {
      drop = rewrite_epoch_;
    }
    if (log.empty() && !drop) return;
    records_written_ += log.count();
    writer_->submit(++epoch_, log, core().next_id(), drop);
    EXPECT_TRUE(log.empty());
  }
  /// Starts a log rewrite that begins with the next epoch.
  void start_rewrite() {
    ASSERT_FALSE(core().log_rewrite_running());
    rewrite_epoch_ = epoch_ + 1;
    core().begin_log_rewrite();
    ASSERT_TRUE(core().log_rewrite_running());
  }
  /// Groups in the log once everything submitted is written.
  size_t group_count() {
    EXPECT_TRUE(commits_.wait_for(epoch_));
    return writer_->group_count();
  }

  /// Stops the writer, reopens the store, recovers it into `state`, and carries on writing with a
  /// new writer after the recovered groups.
  void reopen_and_recover(wal::LogState& state, wal::RecoveryReport& report) {
    close_log();
    EXPECT_TRUE(commits_.errors().empty());
    EXPECT_EQ(commits_.last_epoch(), epoch_) << "every submitted epoch was committed";
    store_ = wal::test::open_store(log_dir());
    ASSERT_TRUE(store_);
    std::string error;
    ASSERT_TRUE(wal::recover(*store_, state, report, error)) << error;
    EXPECT_EQ(report.last_epoch, epoch_);
    store_.reset();
    open_log(report.group_infos);
  }

  /// A fresh core with the same options, restored from `state` at `now`, checked against the
  /// core that wrote the log (default: core()). The only records a restore emits, left in the
  /// restored core's buffer: for each lease the restart cut, in id order, a `returned` (consumer
  /// gone), or a `dead_lettered` when the attempt was the last one allowed.
  std::unique_ptr<RestoredCore> restore(wal::LogState& state, const Core* writer = nullptr) {
    if (!writer) writer = &core();
    struct Cut {
      MessageId id;
      uint32_t attempts;
      bool dead;
      bool operator<(const Cut& o) const { return id < o.id; }
    };
    std::vector<Cut> cut;
    writer->for_each_envelope([&](const EnvelopeView& e) {
      if (e.state == EnvelopeState::kLeased) {
        cut.push_back({e.id, e.attempts, e.attempts > e.max_retries});
      }
    });
    std::sort(cut.begin(), cut.end());
    auto r = std::make_unique<RestoredCore>();
    r->core = std::make_unique<Core>(options, r->log, r->sink);
    r->restored_at = now;
    r->core->restore(state, now);
    EXPECT_TRUE(state.envelopes().empty()) << "restore moves the envelopes out";
    EXPECT_TRUE(r->sink.deliveries.empty());
    wal::RecordReader reader(r->log.bytes());
    wal::Record rec;
    size_t i = 0;
    while (reader.next(rec)) {
      if (i >= cut.size()) {
        ADD_FAILURE() << "more records than cut leases";
        break;
      }
      if (cut[i].dead) {
        const auto* dead = std::get_if<wal::DeadLetteredRecord>(&rec);
        EXPECT_NE(dead, nullptr) << "restore emitted " << wal::record_type_name(wal::type_of(rec));
        if (dead) {
          EXPECT_EQ(dead->id, cut[i].id);
          EXPECT_EQ(dead->attempt, cut[i].attempts);
          EXPECT_EQ(dead->error_class, "ConsumerGone");
          EXPECT_EQ(dead->failed_at_ms, now);
        }
      } else {
        const auto* ret = std::get_if<wal::ReturnedRecord>(&rec);
        EXPECT_NE(ret, nullptr) << "restore emitted " << wal::record_type_name(wal::type_of(rec));
        if (ret) {
          EXPECT_EQ(ret->id, cut[i].id);
          EXPECT_EQ(ret->attempts, cut[i].attempts);
          EXPECT_EQ(ret->reason, wal::ReturnReason::kConsumerGone);
          EXPECT_EQ(ret->at_ms, now);
        }
      }
      ++i;
    }
    EXPECT_TRUE(reader.at_end()) << reader.error();
    EXPECT_EQ(i, cut.size()) << "one returned record per cut lease";
    return r;
  }

  /// The ids of the original core's envelopes.
  std::set<MessageId> live_ids() {
    std::set<MessageId> ids;
    core().for_each_envelope([&](const EnvelopeView& e) { ids.insert(e.id); });
    return ids;
  }

  wal::test::TempDir dir_;
  wal::test::CommitLog commits_;
  std::unique_ptr<wal::LogStore> store_;
  std::unique_ptr<wal::LogWriter> writer_;
  uint64_t epoch_ = 0;  ///< the last epoch submitted
  uint64_t rewrite_epoch_ = 0;
  uint64_t records_written_ = 0;
};

}  // namespace symphony::broker::test
