// Recovery: verification of every group; any damaged or missing group stops the broker, the
// last one included (RocksDB writes a group atomically, so a bad group is never a torn write).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/wal/wal_test_util.h"
#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/record_buffer.h"
#include "wal/recovery.h"
#include "wal/state_writer.h"

namespace symphony::wal {
namespace {

using test::TempDir;

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = test::open_store(dir.sub("log"));  // the server's layout: <data-dir>/log
    ASSERT_TRUE(store);
  }

  /// Writes groups 1..n; group g enqueues ids 2g-1 and 2g and leases 2g-1 (epoch 10g).
  void write_log(uint64_t n) {
    for (uint64_t g = 1; g <= n; ++g) {
      RecordBuffer buf;
      test::append_enqueue(buf, 2 * g - 1, "q", "key-" + std::to_string(g));
      test::append_enqueue(buf, 2 * g);
      buf.append(LeasedRecord{2 * g - 1, 5, 1'000'000, 1});
      test::put_group(*store, g, 10 * g, 2 * g + 1, buf);
    }
  }

  /// Replaces group `seq` by its value with one byte flipped.
  void damage(uint64_t seq, size_t at = kGroupHeaderBytes + 3) {
    for (const auto& [s, value] : test::read_groups(*store)) {
      if (s != seq) continue;
      std::string bad = value;
      ASSERT_LT(at, bad.size());
      bad[at] = static_cast<char>(bad[at] ^ 0x20);
      ASSERT_TRUE(store->write_group(seq, bad, true).ok);
      return;
    }
    FAIL() << "no group " << seq;
  }

  bool run() {
    error.clear();
    report = RecoveryReport{};
    return recover(*store, state, report, error);
  }

  TempDir dir;
  std::unique_ptr<LogStore> store;
  LogState state;
  RecoveryReport report;
  std::string error;
};

TEST_F(RecoveryTest, HealthyLogIsReportedAndReplayed) {
  write_log(4);
  ASSERT_TRUE(run()) << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(report.groups, 4u);
  EXPECT_EQ(report.records, 12u);
  EXPECT_GT(report.bytes, 4 * kGroupHeaderBytes);
  EXPECT_EQ(report.last_epoch, 40u);
  ASSERT_EQ(report.group_infos.size(), 4u);
  for (uint64_t g = 1; g <= 4; ++g) {
    const GroupInfo& info = report.group_infos[g - 1];
    EXPECT_EQ(info.seq, g);
    EXPECT_EQ(info.first_epoch, 10 * g);
    EXPECT_EQ(info.last_epoch, 10 * g);
    EXPECT_EQ(info.next_message_id, 2 * g + 1);
  }
  EXPECT_EQ(state.envelopes().size(), 8u);
  EXPECT_EQ(state.envelopes().at(7).state, RecoveredEnvelope::State::kLeased);
  EXPECT_EQ(state.envelopes().at(8).state, RecoveredEnvelope::State::kPending);
  EXPECT_EQ(state.keys().size(), 4u);
  EXPECT_EQ(state.next_id(), 9u);
  EXPECT_EQ(state.base_id(), 0u);
}

TEST_F(RecoveryTest, EmptyLogRecoversToNothing) {
  ASSERT_TRUE(run()) << error;
  EXPECT_EQ(report.groups, 0u);
  EXPECT_EQ(report.last_epoch, 0u);
  EXPECT_TRUE(state.envelopes().empty());
  EXPECT_EQ(state.next_id(), 1u);
}

TEST_F(RecoveryTest, RecoveryStartsFromAFreshState) {
  write_log(1);
  state = LogState(77);
  ASSERT_EQ(state.apply(AckedRecord{3, 0}), "");  // an orphan in the old state
  ASSERT_TRUE(run()) << error;
  EXPECT_EQ(state.base_id(), 0u);
  EXPECT_EQ(state.orphans(), 0u);
  EXPECT_EQ(state.envelopes().size(), 2u);
}

TEST_F(RecoveryTest, DamagedLastGroupIsFatalAndChangesNothing) {
  write_log(3);
  damage(3);
  const auto before = test::read_groups(*store);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 3 is damaged (checksum mismatch)"), std::string::npos) << error;
  EXPECT_NE(error.find("symphony-wal salvage"), std::string::npos) << error;
  EXPECT_EQ(test::read_groups(*store), before) << "nothing is cut";
  damage(3, 10);  // in the header as well
  EXPECT_FALSE(run());
}

TEST_F(RecoveryTest, TruncatedOrMislabelledLastGroupIsFatal) {
  write_log(2);
  // a half-written value
  const std::string full = test::read_groups(*store).back().second;
  ASSERT_TRUE(store->write_group(2, full.substr(0, full.size() - 7), true).ok);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("length does not match"), std::string::npos) << error;

  // a good group stored under the wrong key
  write_log(1);
  const std::string group1 = test::read_groups(*store).front().second;
  ASSERT_TRUE(store->write_group(2, group1, true).ok);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("its header names group 1"), std::string::npos) << error;
}

TEST_F(RecoveryTest, MissingFirstGroupsAreFatal) {
  write_log(4);
  ASSERT_TRUE(store->delete_group(1).ok);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log groups 1 to 1 are missing"), std::string::npos) << error;
}

TEST_F(RecoveryTest, DamagedGroupBeforeTheTailIsFatal) {
  write_log(5);
  damage(3);
  const auto before = test::read_groups(*store);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 3 is damaged"), std::string::npos) << error;
  EXPECT_NE(error.find("symphony-wal verify"), std::string::npos) << error;
  EXPECT_NE(error.find("--data-dir " + dir.path() + "`"), std::string::npos) << error;
  EXPECT_EQ(test::read_groups(*store), before) << "nothing is cut";
}

TEST_F(RecoveryTest, MissingGroupInTheMiddleIsFatal) {
  write_log(5);
  ASSERT_TRUE(store->delete_group(3).ok);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 3 is missing"), std::string::npos) << error;
  EXPECT_NE(error.find("group 4 follows group 2"), std::string::npos) << error;
  EXPECT_NE(error.find("symphony-wal verify"), std::string::npos) << error;
}

TEST_F(RecoveryTest, LogMayStartAfterSeqOneAfterCompaction) {
  write_log(5);
  // group 6 drops groups 1..3 (ids 1..6; group 3 was written with next id 7) in its own write
  RecordBuffer buf;
  buf.append(AckedRecord{1, 5});  // about an id whose history was dropped: an orphan
  GroupHeader h;
  h.seq = 6;
  h.first_epoch = h.last_epoch = 60;
  h.next_message_id = 11;
  h.record_count = buf.count();
  std::string value;
  encode_group(value, h, buf.bytes());
  std::string base(8, '\0');
  base[0] = 7;
  ASSERT_TRUE(store->write_group(6, value, true, GroupRange{1, 4}, {{"base_id", base}}).ok);
  ASSERT_TRUE(run()) << error;
  EXPECT_EQ(report.groups, 3u);
  EXPECT_EQ(report.group_infos.front().seq, 4u);
  EXPECT_EQ(report.last_epoch, 60u);
  EXPECT_EQ(state.base_id(), 7u);
  EXPECT_EQ(state.orphans(), 1u);
  EXPECT_EQ(state.envelopes().size(), 4u);  // ids 7..10
  EXPECT_EQ(state.envelopes().count(7), 1u);
  EXPECT_EQ(state.next_id(), 11u);
}

TEST_F(RecoveryTest, IllegalRecordNamesGroupAndRecord) {
  write_log(2);
  RecordBuffer buf;
  test::append_enqueue(buf, 5);
  buf.append(LeasedRecord{5, 1, 0, 1});
  buf.append(AckedRecord{999, 1});  // unknown, above the base
  buf.append(AckedRecord{5, 1});
  test::put_group(*store, 3, 30, 6, buf);
  test::put_group(*store, 4, 40, 6, RecordBuffer{});
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 3 record 2"), std::string::npos) << error;
  EXPECT_NE(error.find("acked of message 999"), std::string::npos) << error;
  EXPECT_NE(error.find("unknown message 999"), std::string::npos) << error;
  EXPECT_NE(error.find("symphony-wal verify"), std::string::npos) << error;
}

TEST_F(RecoveryTest, IllegalRecordInTheLastGroupIsNotCut) {
  write_log(2);
  RecordBuffer buf;
  buf.append(LeasedRecord{2, 1, 0, 2});  // attempt 2 of a message never leased
  test::put_group(*store, 3, 30, 6, buf);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 3 record 0"), std::string::npos) << error;
  EXPECT_EQ(test::group_seqs(*store), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(RecoveryTest, UndecodableRecordOrWrongCountIsFatal) {
  write_log(1);
  RecordBuffer buf;
  test::append_enqueue(buf, 3);
  buf.append_encoded(std::string("\x63\x00\x00\x00\x00", 5), 1);  // type 99
  test::put_group(*store, 2, 20, 4, buf);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 2 record 1 (type byte 99) is damaged: unknown record type"),
            std::string::npos)
      << error;

  RecordBuffer short_count;
  test::append_enqueue(short_count, 3);
  GroupHeader h;
  h.seq = 2;
  h.record_count = 2;  // says two, holds one
  std::string value;
  encode_group(value, h, short_count.bytes());
  ASSERT_TRUE(store->write_group(2, value, true).ok);
  EXPECT_FALSE(run());
  EXPECT_NE(error.find("log group 2 holds 1 records but its header says 2"), std::string::npos)
      << error;
}

TEST_F(RecoveryTest, WriteStateRewritesALogInPlace) {
  write_log(4);
  ASSERT_TRUE(run()) << error;
  // a lease's holder and deadline are not persisted by a snapshot; everything else is
  auto persisted = [](LogState s) {
    for (auto& [id, e] : s.envelopes()) {
      e.lease_consumer = 0;
      e.lease_deadline_ms = 0;
    }
    const std::string d = test::dump(s);
    return d.substr(d.find('\n'));  // without the base/next/orphans line
  };
  const std::string before = persisted(state);
  const uint64_t next_id = state.next_id();
  StateWriteOptions o;
  o.first_seq = 5;
  o.epoch = 41;
  o.now_ms = 123;
  o.drop_older = true;
  o.max_group_bytes = 100;  // several groups
  uint64_t groups = 0;
  ASSERT_TRUE(write_state(*store, state, o, groups).ok);
  EXPECT_GT(groups, 1u);
  EXPECT_EQ(test::group_seqs(*store).front(), 5u);
  ASSERT_TRUE(run()) << error;
  EXPECT_EQ(report.groups, groups);
  EXPECT_EQ(report.last_epoch, 41u);
  EXPECT_EQ(state.base_id(), next_id);
  EXPECT_EQ(state.next_id(), next_id);
  EXPECT_EQ(persisted(state), before);
  EXPECT_EQ(state.envelopes().at(1).state, RecoveredEnvelope::State::kLeased);
}

}  // namespace
}  // namespace symphony::wal
