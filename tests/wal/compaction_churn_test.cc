// Compaction under churn: a log that keeps being rewritten holds about the live set, however much
// went through it.
#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "tests/wal/core_log_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::ErrorCode;

class CompactionChurnTest : public CoreLogTest {
 protected:
  void SetUp() override { open_log(); }
};

TEST_F(CompactionChurnTest, RewritesKeepTheLogNearTheLiveSet) {
  // this test is about envelopes: completed ones are not kept for status queries here (they
  // would be live too, and rewritten by each compaction)
  options.completed_retention_count = 0;
  constexpr int kTotal = 20'000;
  constexpr int kBatch = 25;
  constexpr int kRewriteEvery = 2'000;
  subscribe(1, {"churn"}, 1000, 3'600'000);
  // Each turn's deliveries are acked two turns later, so that a rewrite meets leased envelopes
  // (their snapshots are followed by acks) as well as envelopes acked before their chunk.
  std::deque<std::vector<MessageId>> leased;
  auto ack_oldest = [&] {
    for (MessageId id : leased.front()) ASSERT_EQ(core().ack(1, id, now), ErrorCode::kOk);
    leased.pop_front();
  };
  size_t max_live = 0, rewrites = 0, max_groups = 0;
  for (int sent = 0; sent < kTotal;) {
    for (int i = 0; i < kBatch; ++i, ++sent) {
      MessageSpec s;
      s.queue = "churn";
      s.payload = "{\"n\":" + std::to_string(sent) + "}";
      if (sent % 100 == 0) s.key = "k" + std::to_string(sent);  // a few keys outlive their envelope
      ASSERT_EQ(dispatch_spec(s).code, ErrorCode::kOk);
    }
    max_live = std::max(max_live, core().envelope_count());
    if (leased.size() >= 2) {
      ASSERT_NO_FATAL_FAILURE(ack_oldest());
    }
    now += 3;
    advance_to(now);
    leased.push_back(ids_of(sink.take()));
    submit_turn(/*rewrite_chunk=*/40);
    if (sent % kRewriteEvery == 0 && !core().log_rewrite_running()) {
      start_rewrite();
      ++rewrites;
      max_groups = std::max(max_groups, group_count());
    }
  }
  // let the last rewrite finish, acking on the way
  while (core().log_rewrite_running()) {
    if (!leased.empty()) {
      ASSERT_NO_FATAL_FAILURE(ack_oldest());
    }
    submit_turn(/*rewrite_chunk=*/40);
  }
  EXPECT_LE(max_live, 100u);
  EXPECT_EQ(rewrites, static_cast<size_t>(kTotal / kRewriteEvery));
  EXPECT_GE(records_written_, 3u * kTotal);  // enqueued + leased + acked each
  EXPECT_LT(group_count(), max_groups);

  wal::LogState state;
  wal::RecoveryReport report;
  ASSERT_NO_FATAL_FAILURE(reopen_and_recover(state, report));
  EXPECT_LT(report.records * 10, records_written_)
      << report.records << " records in the log of " << records_written_ << " written";
  EXPECT_GT(state.base_id(), static_cast<uint64_t>(kTotal - 200));

  std::set<MessageId> recovered;
  for (const auto& [id, e] : state.envelopes()) recovered.insert(id);
  EXPECT_EQ(recovered, live_ids());
  EXPECT_EQ(state.next_id(), core().next_id());
  // keys whose envelopes are long gone are still known
  EXPECT_EQ(state.keys().size(), static_cast<size_t>(kTotal / 100));

  std::unique_ptr<RestoredCore> restored = restore(state);
  compare_cores(core(), *restored);
}

}  // namespace
}  // namespace symphony::broker::test
