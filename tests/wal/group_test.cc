// Commit groups (header, checksum, keys), the fsync policy parser and the data directory lock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "protocol/wire.h"
#include "tests/wal/wal_test_util.h"
#include "wal/data_dir_lock.h"
#include "wal/fsync_policy.h"
#include "wal/group.h"
#include "wal/record.h"
#include "wal/record_buffer.h"
#include "wal/record_codec.h"

namespace symphony::wal {
namespace {

GroupHeader sample_header() {
  GroupHeader h;
  h.seq = 0x0102030405060708;
  h.first_epoch = 17;
  h.last_epoch = 23;
  h.next_message_id = 9001;
  h.written_at_ms = 1'700'000'000'321;
  return h;
}

RecordBuffer sample_records() {
  RecordBuffer buf;
  for (uint64_t id = 1; id <= 6; ++id) test::append_enqueue(buf, id, "queue", "key");
  buf.append(LeasedRecord{1, 7, 1'700'000'030'000, 1});
  buf.append(AckedRecord{1, 1'700'000'031'000});
  buf.append(RetryScheduledRecord{2, 1, 5, 6, "error text", "ErrorClass"});
  return buf;
}

std::string sample_group() {
  const RecordBuffer records = sample_records();
  GroupHeader h = sample_header();
  h.record_count = records.count();
  std::string value;
  encode_group(value, h, records.bytes());
  return value;
}

TEST(GroupTest, EncodeDecodeRoundTrip) {
  const RecordBuffer records = sample_records();
  GroupHeader h = sample_header();
  h.record_count = records.count();
  h.records_bytes = 12345;  // ignored: the encoder writes the real length
  h.checksum = 777;         // ignored: the encoder computes it
  std::string value = "previous contents are replaced";
  encode_group(value, h, records.bytes());
  ASSERT_EQ(value.size(), kGroupHeaderBytes + records.bytes().size());

  GroupHeader got;
  std::string_view got_records;
  ASSERT_EQ(decode_group(value, got, got_records), GroupCheck::kOk);
  EXPECT_EQ(got.format_version, kRecordFormatVersion);
  EXPECT_EQ(got.seq, h.seq);
  EXPECT_EQ(got.first_epoch, h.first_epoch);
  EXPECT_EQ(got.last_epoch, h.last_epoch);
  EXPECT_EQ(got.next_message_id, h.next_message_id);
  EXPECT_EQ(got.written_at_ms, h.written_at_ms);
  EXPECT_EQ(got.record_count, records.count());
  EXPECT_EQ(got.records_bytes, records.bytes().size());
  EXPECT_NE(got.checksum, 777u);
  EXPECT_EQ(got_records, records.bytes());

  // the records inside are readable
  RecordReader reader(got_records);
  Record r;
  uint32_t n = 0;
  while (reader.next(r)) ++n;
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(n, got.record_count);

  // the documented layout: magic "SYMW" first, the checksum at offset 56
  EXPECT_EQ(value.substr(0, 4), "SYMW");
  protocol::ByteReader at56(std::string_view(value).substr(56, 8));
  EXPECT_EQ(at56.u64(), got.checksum);
}

TEST(GroupTest, EmptyGroupRoundTrips) {
  GroupHeader h = sample_header();
  std::string value;
  encode_group(value, h, "");
  EXPECT_EQ(value.size(), kGroupHeaderBytes);
  GroupHeader got;
  std::string_view records = "not empty";
  ASSERT_EQ(decode_group(value, got, records), GroupCheck::kOk);
  EXPECT_EQ(records, "");
  EXPECT_EQ(got.record_count, 0u);
  EXPECT_EQ(got.seq, h.seq);
}

TEST(GroupTest, AFlippedBitAnywhereIsCaught) {
  const std::string good = sample_group();
  GroupHeader h;
  std::string_view records;
  ASSERT_EQ(decode_group(good, h, records), GroupCheck::kOk);
  size_t checksum_failures = 0;
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      const GroupCheck c = decode_group(bad, h, records);
      ASSERT_NE(c, GroupCheck::kOk) << "byte " << byte << " bit " << bit;
      // what each header field's damage is reported as
      if (byte < 4) {
        EXPECT_EQ(c, GroupCheck::kBadMagic) << byte;
      } else if (byte < 6) {
        EXPECT_EQ(c, GroupCheck::kUnknownVersion) << byte;
      } else if (byte >= 52 && byte < 56) {
        EXPECT_EQ(c, GroupCheck::kLengthMismatch) << byte;  // records_bytes
      } else {
        EXPECT_EQ(c, GroupCheck::kBadChecksum) << byte;
        ++checksum_failures;
      }
    }
  }
  EXPECT_EQ(checksum_failures, (good.size() - 10) * 8);
}

TEST(GroupTest, ReplacedRecordBytesOfTheSameLengthAreCaught) {
  const std::string good = sample_group();
  std::string bad = good;
  // swap two record bytes that differ: the length is right, the content is not
  size_t i = kGroupHeaderBytes;
  while (i + 1 < bad.size() && bad[i] == bad[i + 1]) ++i;
  ASSERT_LT(i + 1, bad.size());
  std::swap(bad[i], bad[i + 1]);
  GroupHeader h;
  std::string_view records;
  EXPECT_EQ(decode_group(bad, h, records), GroupCheck::kBadChecksum);
}

TEST(GroupTest, TruncationIsTooShortOrLengthMismatch) {
  const std::string good = sample_group();
  GroupHeader h;
  std::string_view records;
  for (size_t len = 0; len < good.size(); ++len) {
    const GroupCheck c = decode_group(std::string_view(good).substr(0, len), h, records);
    if (len < kGroupHeaderBytes) {
      EXPECT_EQ(c, GroupCheck::kTooShort) << len;
    } else {
      EXPECT_EQ(c, GroupCheck::kLengthMismatch) << len;
    }
  }
  EXPECT_EQ(decode_group(good + "x", h, records), GroupCheck::kLengthMismatch);
}

TEST(GroupTest, WrongMagicAndUnknownVersion) {
  const std::string good = sample_group();
  GroupHeader h;
  std::string_view records;
  std::string bad = good;
  bad.replace(0, 4, "SYMX");
  EXPECT_EQ(decode_group(bad, h, records), GroupCheck::kBadMagic);
  bad = std::string(kGroupHeaderBytes + 10, '\0');
  EXPECT_EQ(decode_group(bad, h, records), GroupCheck::kBadMagic);

  for (uint16_t version : {uint16_t{0}, uint16_t{kRecordFormatVersion + 1}, uint16_t{0xffff}}) {
    bad = good;
    bad[4] = static_cast<char>(version & 0xff);
    bad[5] = static_cast<char>(version >> 8);
    EXPECT_EQ(decode_group(bad, h, records), GroupCheck::kUnknownVersion) << version;
    EXPECT_EQ(h.format_version, version);
  }
  for (GroupCheck c :
       {GroupCheck::kOk, GroupCheck::kTooShort, GroupCheck::kBadMagic, GroupCheck::kUnknownVersion,
        GroupCheck::kLengthMismatch, GroupCheck::kBadChecksum}) {
    EXPECT_NE(group_check_name(c), "unknown");
    EXPECT_FALSE(group_check_name(c).empty());
  }
  EXPECT_EQ(group_check_name(GroupCheck::kBadChecksum), "checksum mismatch");
}

TEST(GroupTest, GroupKeysSortLikeSeqsAndParseBack) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  std::vector<uint64_t> seqs = {
      0, 1, 2, 255, 256, 257, 65535, 65536, (1ull << 32) - 1, 1ull << 32, 1ull << 56, max - 1, max};
  for (uint64_t i = 0; i < 200; ++i) seqs.push_back(i * 0x9E3779B97F4A7C15ull);
  std::vector<std::string> keys;
  for (uint64_t seq : seqs) {
    const std::string key = group_key(seq);
    EXPECT_EQ(key.size(), 9u);
    EXPECT_EQ(key[0], 'g');
    uint64_t back = 12345;
    ASSERT_TRUE(parse_group_key(key, back));
    EXPECT_EQ(back, seq);
    keys.push_back(key);
  }
  for (size_t i = 0; i < seqs.size(); ++i) {
    for (size_t j = 0; j < seqs.size(); ++j) {
      EXPECT_EQ(seqs[i] < seqs[j], keys[i] < keys[j]) << seqs[i] << " vs " << seqs[j];
    }
  }
  // every group key sorts before every metadata key ('m' + name)
  EXPECT_LT(group_key(max), std::string("mbase_id"));

  uint64_t seq = 0;
  EXPECT_FALSE(parse_group_key("", seq));
  EXPECT_FALSE(parse_group_key("g", seq));
  EXPECT_FALSE(parse_group_key(group_key(5).substr(0, 8), seq));
  EXPECT_FALSE(parse_group_key(group_key(5) + "x", seq));
  std::string meta = group_key(5);
  meta[0] = 'm';
  EXPECT_FALSE(parse_group_key(meta, seq));
}

// ---- FsyncPolicy ----

TEST(FsyncPolicyTest, ParsesTheThreeModes) {
  auto always = FsyncPolicy::parse("always");
  ASSERT_TRUE(always);
  EXPECT_EQ(always->mode, FsyncPolicy::Mode::kAlways);
  auto never = FsyncPolicy::parse("never");
  ASSERT_TRUE(never);
  EXPECT_EQ(never->mode, FsyncPolicy::Mode::kNever);
  auto interval = FsyncPolicy::parse("interval:50");
  ASSERT_TRUE(interval);
  EXPECT_EQ(interval->mode, FsyncPolicy::Mode::kInterval);
  EXPECT_EQ(interval->interval_ms, 50u);
  auto one = FsyncPolicy::parse("interval:1");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->interval_ms, 1u);
  EXPECT_EQ(FsyncPolicy{}.mode, FsyncPolicy::Mode::kAlways);  // the default
}

TEST(FsyncPolicyTest, RejectsEverythingElse) {
  for (const char* bad : {"interval:0", "interval:", "interval:x", "interval:50ms", "interval:-5",
                          "interval: 5", "interval:99999999999", "sometimes", "", "Always",
                          "always ", "never!", "interval", "interval50"}) {
    EXPECT_FALSE(FsyncPolicy::parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(FsyncPolicyTest, ToStringRoundTrips) {
  for (const char* text : {"always", "never", "interval:50", "interval:1", "interval:4294967295"}) {
    auto p = FsyncPolicy::parse(text);
    ASSERT_TRUE(p) << text;
    EXPECT_EQ(p->to_string(), text);
    auto again = FsyncPolicy::parse(p->to_string());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->mode, p->mode);
    EXPECT_EQ(again->interval_ms, p->interval_ms);
  }
}

// ---- DataDirLock ----

TEST(DataDirLockTest, SecondAcquireFailsUntilTheFirstIsReleased) {
  test::TempDir tmp;
  const std::string dir = tmp.sub("data/nested");  // created by acquire
  std::string error;
  auto first = std::make_unique<DataDirLock>();
  ASSERT_TRUE(DataDirLock::acquire(dir, *first, error)) << error;
  EXPECT_TRUE(first->held());
  EXPECT_TRUE(std::filesystem::exists(dir + "/symphony.lock"));

  DataDirLock second;
  error.clear();
  EXPECT_FALSE(DataDirLock::acquire(dir, second, error));
  EXPECT_FALSE(second.held());
  EXPECT_NE(error.find("in use"), std::string::npos) << error;
  EXPECT_NE(error.find(std::to_string(::getpid())), std::string::npos) << error;

  // moving the lock keeps it held
  DataDirLock moved(std::move(*first));
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(first->held());
  first.reset();
  EXPECT_FALSE(DataDirLock::acquire(dir, second, error));

  {
    DataDirLock released = std::move(moved);
  }  // destroyed: the flock goes with the file descriptor
  error.clear();
  EXPECT_TRUE(DataDirLock::acquire(dir, second, error)) << error;
  EXPECT_TRUE(second.held());
}

TEST(DataDirLockTest, UncreatableDirectoryIsAnError) {
  test::TempDir tmp;
  const std::string file = tmp.sub("a-file");
  {
    DataDirLock lock;
    std::string error;
    ASSERT_TRUE(DataDirLock::acquire(tmp.path(), lock, error)) << error;
  }
  // a regular file where the directory should be
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  DataDirLock lock;
  std::string error;
  EXPECT_FALSE(DataDirLock::acquire(file + "/sub", lock, error));
  EXPECT_FALSE(lock.held());
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace symphony::wal
