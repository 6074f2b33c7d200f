// LogStore on a real RocksDB directory, and the group-commit LogWriter in front of it.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/fsync_policy.h"
#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/log_writer.h"
#include "wal/record_buffer.h"
#include "wal/record_codec.h"
#include "wal/recovery.h"

namespace symphony::wal {
namespace {

using test::CommitLog;
using test::TempDir;

constexpr int64_t kNow = 1'700'000'000'000;

FsyncPolicy policy(const char* text) {
  auto p = FsyncPolicy::parse(text);
  EXPECT_TRUE(p) << text;
  return p.value_or(FsyncPolicy{});
}

struct Recovered {
  bool ok = false;
  std::string error;
  LogState state;
  RecoveryReport report;
};

Recovered recover_dir(const std::string& dir) {
  Recovered r;
  std::unique_ptr<LogStore> store = test::open_store(dir);
  if (!store) return r;
  r.ok = recover(*store, r.state, r.report, r.error);
  EXPECT_TRUE(r.ok) << r.error;
  return r;
}

class LogWriterTest : public ::testing::Test {
 protected:
  void open(FsyncPolicy p = FsyncPolicy{FsyncPolicy::Mode::kNever, 0},
            std::vector<GroupInfo> existing = {}) {
    store = test::open_store(dir.path());
    ASSERT_TRUE(store);
    writer = std::make_unique<LogWriter>(
        *store, p, std::move(existing), [] { return kNow; }, commits.callback());
    writer->start();
  }
  /// Stops the writer and closes the store.
  void close() {
    if (writer) writer->stop();
    writer.reset();
    store.reset();
  }
  /// Submits `n` enqueues (fresh ids) as `epoch`.
  void submit(uint64_t epoch, int n, std::optional<uint64_t> drop = std::nullopt) {
    RecordBuffer buf;
    for (int i = 0; i < n; ++i) test::append_enqueue(buf, next_id++, "q");
    submitted += static_cast<uint64_t>(n);
    writer->submit(epoch, buf, next_id, drop);
    EXPECT_TRUE(buf.empty()) << "submit leaves the buffer empty";
  }

  TempDir dir;
  CommitLog commits;
  std::unique_ptr<LogStore> store;
  std::unique_ptr<LogWriter> writer;
  uint64_t next_id = 1;
  uint64_t submitted = 0;
};

TEST_F(LogWriterTest, QuickSubmitsMayMergeButEveryRecordSurvives) {
  open();
  constexpr uint64_t kEpochs = 300;
  for (uint64_t e = 1; e <= kEpochs; ++e) submit(e, 1 + static_cast<int>(e % 3));
  ASSERT_TRUE(commits.wait_for(kEpochs));
  const size_t groups = writer->group_count();
  close();

  const std::vector<LogWriter::Commit> cs = commits.commits();
  EXPECT_TRUE(commits.errors().empty());
  EXPECT_EQ(commits.last_epoch(), kEpochs);
  ASSERT_FALSE(cs.empty());
  EXPECT_LE(cs.size(), kEpochs);
  EXPECT_EQ(cs.size(), groups);
  uint64_t records = 0, prev = 0;
  for (const auto& c : cs) {
    EXPECT_TRUE(c.status.ok) << c.status.message;
    EXPECT_GT(c.last_epoch, prev) << "commits are reported in order";
    prev = c.last_epoch;
    records += c.records;
    EXPECT_GT(c.bytes, kGroupHeaderBytes);
  }
  EXPECT_EQ(records, submitted);

  Recovered r = recover_dir(dir.path());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.report.records, submitted);
  EXPECT_EQ(r.report.groups, cs.size());
  EXPECT_EQ(r.report.last_epoch, kEpochs);
  EXPECT_EQ(r.state.envelopes().size(), submitted);
  for (uint64_t id = 1; id < next_id; ++id) EXPECT_TRUE(r.state.envelopes().count(id)) << id;
  EXPECT_EQ(r.state.next_id(), next_id);
  // the groups hold contiguous epoch ranges, seqs from 1 without a gap
  ASSERT_EQ(r.report.group_infos.size(), cs.size());
  uint64_t expected_first = 1;
  for (size_t i = 0; i < r.report.group_infos.size(); ++i) {
    const GroupInfo& g = r.report.group_infos[i];
    EXPECT_EQ(g.seq, i + 1);
    EXPECT_EQ(g.first_epoch, expected_first);
    EXPECT_GE(g.last_epoch, g.first_epoch);
    EXPECT_EQ(g.last_epoch, cs[i].last_epoch);
    expected_first = g.last_epoch + 1;
  }
  EXPECT_EQ(expected_first, kEpochs + 1);
}

TEST_F(LogWriterTest, DropBelowEpochDeletesExactlyTheOlderGroups) {
  open();
  // one group per epoch: wait for each commit before the next submit
  for (uint64_t e = 1; e <= 6; ++e) {
    submit(e, 3);
    ASSERT_TRUE(commits.wait_for(e));
  }
  EXPECT_EQ(writer->group_count(), 6u);
  // groups 1..6 hold ids 1..18; group 3 was written with next_message_id 10
  submit(7, 1, /*drop=*/4);
  ASSERT_TRUE(commits.wait_for(7));
  EXPECT_EQ(writer->group_count(), 4u);
  close();

  store = test::open_store(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(test::group_seqs(*store), (std::vector<uint64_t>{4, 5, 6, 7}));
  uint64_t base = 0;
  ASSERT_TRUE(read_base_id(*store, base).ok);
  EXPECT_EQ(base, 10u) << "the next_message_id of the last dropped group";
  std::optional<std::string> raw;
  ASSERT_TRUE(store->get_meta("base_id", raw).ok);
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->size(), 8u);
  store.reset();

  Recovered r = recover_dir(dir.path());
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.state.base_id(), 10u);
  std::set<uint64_t> ids;
  for (const auto& [id, e] : r.state.envelopes()) ids.insert(id);
  std::set<uint64_t> expected;
  for (uint64_t id = 10; id <= 19; ++id) expected.insert(id);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(r.report.groups, 4u);
  EXPECT_EQ(r.report.last_epoch, 7u);
  EXPECT_EQ(r.state.next_id(), 20u);
}

TEST_F(LogWriterTest, DropWithNothingOlderDeletesNothing) {
  open();
  submit(5, 2);
  ASSERT_TRUE(commits.wait_for(5));
  submit(6, 2, /*drop=*/5);  // group 1 holds epoch 5: not below 5
  ASSERT_TRUE(commits.wait_for(6));
  submit(7, 0, /*drop=*/2);
  close();
  store = test::open_store(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(test::group_seqs(*store), (std::vector<uint64_t>{1, 2, 3}));
  uint64_t base = 99;
  ASSERT_TRUE(read_base_id(*store, base).ok);
  EXPECT_EQ(base, 0u) << "no group was dropped, so no base id";
}

class LogWriterPolicyTest : public LogWriterTest,
                            public ::testing::WithParamInterface<const char*> {};

TEST_P(LogWriterPolicyTest, StopLeavesEverythingReadableAndReopenContinues) {
  open(policy(GetParam()));
  EXPECT_EQ(writer->policy().to_string(), GetParam());
  for (uint64_t e = 1; e <= 40; ++e) submit(e, 2);
  close();  // no waiting: stop() writes what is pending
  EXPECT_EQ(commits.last_epoch(), 40u);
  EXPECT_TRUE(commits.errors().empty());

  Recovered first = recover_dir(dir.path());
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.report.records, 80u);
  EXPECT_EQ(first.report.last_epoch, 40u);
  EXPECT_EQ(first.state.envelopes().size(), 80u);
  const uint64_t last_seq = first.report.group_infos.back().seq;

  // a new writer continues the log after the recovered groups
  open(policy(GetParam()), first.report.group_infos);
  EXPECT_EQ(writer->group_count(), first.report.groups);
  for (uint64_t e = 41; e <= 45; ++e) {
    submit(e, 1);
    ASSERT_TRUE(commits.wait_for(e));
  }
  close();
  store = test::open_store(dir.path());
  ASSERT_TRUE(store);
  const std::vector<uint64_t> seqs = test::group_seqs(*store);
  store.reset();
  ASSERT_EQ(seqs.size(), first.report.groups + 5);
  for (size_t i = 1; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], seqs[i - 1] + 1);
  EXPECT_EQ(seqs[seqs.size() - 5], last_seq + 1);

  Recovered second = recover_dir(dir.path());
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.report.records, 85u);
  EXPECT_EQ(second.report.last_epoch, 45u);
  EXPECT_EQ(second.state.envelopes().size(), 85u);
  EXPECT_EQ(second.state.next_id(), 86u);

  // and a drop after the reopen knows the groups written before it
  open(policy(GetParam()), second.report.group_infos);
  submit(46, 1, /*drop=*/46);
  close();
  Recovered third = recover_dir(dir.path());
  ASSERT_TRUE(third.ok);
  EXPECT_EQ(third.report.groups, 1u);
  EXPECT_EQ(third.state.base_id(), 86u);
  EXPECT_EQ(third.state.envelopes().size(), 1u);
  EXPECT_EQ(third.state.envelopes().count(86), 1u);
}

INSTANTIATE_TEST_SUITE_P(Policies, LogWriterPolicyTest,
                         ::testing::Values("always", "never", "interval:20"));

TEST_F(LogWriterTest, StopIsIdempotentAndWorksWithoutStart) {
  store = test::open_store(dir.path());
  ASSERT_TRUE(store);
  {
    LogWriter idle(
        *store, FsyncPolicy{}, {}, [] { return kNow; }, commits.callback());
    idle.stop();
    idle.stop();
  }
  store.reset();
  open();
  submit(1, 1);
  writer->stop();
  writer->stop();
  EXPECT_EQ(commits.last_epoch(), 1u);
  close();
}

TEST(LogStoreTest, GroupsMetaAndDeletes) {
  TempDir dir;
  std::unique_ptr<LogStore> store = test::open_store(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->dir(), dir.path());
  std::optional<std::string> meta = "stale";
  ASSERT_TRUE(store->get_meta("base_id", meta).ok);
  EXPECT_FALSE(meta);

  for (uint64_t seq = 1; seq <= 5; ++seq) {
    ASSERT_TRUE(store->write_group(seq, "value-" + std::to_string(seq), false).ok);
  }
  ASSERT_TRUE(store->write_group(6, "value-6", true, GroupRange{1, 3}, {{"x", "y"}}).ok);
  EXPECT_EQ(test::group_seqs(*store), (std::vector<uint64_t>{3, 4, 5, 6}));
  ASSERT_TRUE(store->get_meta("x", meta).ok);
  EXPECT_EQ(meta, "y");
  ASSERT_TRUE(store->delete_group(5).ok);
  EXPECT_EQ(test::group_seqs(*store), (std::vector<uint64_t>{3, 4, 6}));
  ASSERT_TRUE(store->sync_wal().ok);
  ASSERT_TRUE(store->compact(0, 10).ok);

  // for_each_group stops when told to
  std::vector<std::pair<uint64_t, std::string>> seen;
  ASSERT_TRUE(store
                  ->for_each_group([&](uint64_t seq, std::string_view v) {
                    seen.emplace_back(seq, std::string(v));
                    return seen.size() < 2;
                  })
                  .ok);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], (std::pair<uint64_t, std::string>{3, "value-3"}));
  EXPECT_EQ(seen[1], (std::pair<uint64_t, std::string>{4, "value-4"}));
  EXPECT_GT(store->disk_bytes(), 0u);

  // everything survives a reopen
  store.reset();
  store = test::open_store(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(test::read_groups(*store), (std::vector<std::pair<uint64_t, std::string>>{
                                           {3, "value-3"}, {4, "value-4"}, {6, "value-6"}}));
  ASSERT_TRUE(store->get_meta("x", meta).ok);
  EXPECT_EQ(meta, "y");
}

TEST(LogStoreTest, OpenFailsWhileAnotherStoreHasTheDirectory) {
  TempDir dir;
  std::unique_ptr<LogStore> first = test::open_store(dir.path());
  ASSERT_TRUE(first);
  std::unique_ptr<LogStore> second;
  const StoreStatus st = LogStore::open(dir.path(), second);
  EXPECT_FALSE(st.ok);
  EXPECT_FALSE(second);
  EXPECT_NE(st.message.find("cannot open the log"), std::string::npos) << st.message;
}

}  // namespace
}  // namespace symphony::wal
