// The log writer's --fsync=interval:N under a load that never lets it idle, watched through
// SyncJournalFileSystem (power_cut_fs.h), which journals every sync RocksDB makes.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include "tests/crash/power_cut_fs.h"
#include "tests/support/read_file.h"
#include "tests/support/temp_dir.h"
#include "tests/wal/wal_test_util.h"
#include "wal/fsync_policy.h"
#include "wal/log_store.h"
#include "wal/log_writer.h"
#include "wal/record_buffer.h"

namespace symphony::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// --fsync=interval:N promises a sync at least every N ms while there are unsynced writes. The
// log writer used to sync only when it found nothing to write, so under a load that kept it
// busy it never synced at all, and a power cut lost everything since the load began.
TEST(IntervalSync, TheSyncComesEvenWhenTheWriterIsNeverIdle) {
  TempDir dir;
  const std::string journal = dir.sub("journal");
  auto jfs = std::make_shared<SyncJournalFileSystem>(rocksdb::FileSystem::Default(), journal);
  const std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(jfs);
  wal::LogStoreOptions o;
  o.env = env.get();
  std::unique_ptr<wal::LogStore> store;
  ASSERT_TRUE(wal::LogStore::open(dir.path() + "/log", store, o).ok);
  wal::test::CommitLog commits;
  auto policy = wal::FsyncPolicy::parse("interval:20");
  ASSERT_TRUE(policy);
  wal::LogWriter writer(
      *store, *policy, {}, [] { return int64_t{1'700'000'000'000}; }, commits.callback());
  writer.start();
  // submit far faster than RocksDB writes, for 400 ms: the writer always has work waiting
  uint64_t id = 1;
  uint64_t epoch = 1;
  const auto until = Clock::now() + 400ms;
  while (Clock::now() < until) {
    wal::RecordBuffer buf;
    for (int i = 0; i < 50; ++i) wal::test::append_enqueue(buf, id++, "q");
    writer.submit(epoch++, buf, id);
  }
  const std::string text = read_file_bytes(journal);
  writer.stop();
  size_t wal_syncs = 0;
  for (size_t at = text.find("sync "); at != std::string::npos; at = text.find("sync ", at + 1)) {
    const size_t eol = text.find('\n', at);
    const std::string line = text.substr(at, eol - at);
    if (line.find(".log ") != std::string::npos) ++wal_syncs;
  }
  // Groups grow while the writer is busy (everything submitted during a write joins the next),
  // so a loaded writer makes few, long writes and syncs between them: at least one in 400 ms.
  // Before the fix it made none until the stop.
  EXPECT_GE(wal_syncs, 1u) << text.substr(0, 2000);
}

}  // namespace
}  // namespace symphony::testing
