// Simulated power cuts under load (power_cut_fs.h): the test build of the daemon runs with its
// log on SyncJournalFileSystem; a producer dispatches and a consumer acks with CONFIRM while the
// broker is killed at a random moment; then everything the log had not synced is dropped or
// torn, as a power loss would leave it, and the broker is started again on what is left.
//
//   --fsync=always: every confirmed dispatch is still there (pending, leased again, or dead),
//     and every confirmed ack stays done: 0 lost, 0 undone.
//   --fsync=interval:50: confirmed work may be lost, but only what was confirmed within the
//     interval (plus one fsync, and slack for a loaded machine) before the cut (§4.3).
//   --fsync=never: anything unsynced may be lost (§4.3).
//   every policy: the broker starts after every cut (a torn end is cut, not refused), and no id
//     is ever handed out twice, not even the ids of lost messages.
//
// SYMPHONY_POWER_CUTS sets the number of cuts under --fsync=always (default 20; interval gets
// a fifth, never a tenth); SYMPHONY_POWER_CUT_SEED replays a run. scripts/power_cuts.sh runs 200.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <rocksdb/file_system.h>

#include "client/client.h"
#include "tests/crash/crash_support.h"
#include "tests/crash/power_cut_fs.h"
#include "tests/e2e/broker_process.h"
#include "tests/support/read_file.h"

namespace symphony::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- the simulation itself ----

TEST(PowerCutFs, ACutDropsWhatWasNotSyncedAndKeepsWhatWas) {
  TempDir dir;
  fs::create_directories(dir.path());
  const std::string journal = dir.path() + "/journal";
  auto jfs = std::make_shared<SyncJournalFileSystem>(rocksdb::FileSystem::Default(), journal);
  const rocksdb::IOOptions io;
  std::unique_ptr<rocksdb::FSWritableFile> f;
  const std::string tmp = dir.path() + "/a.tmp";
  const std::string a = dir.path() + "/a";
  ASSERT_TRUE(jfs->NewWritableFile(tmp, rocksdb::FileOptions(), &f, nullptr).ok());
  ASSERT_TRUE(f->Append("synced!", io, nullptr).ok());
  ASSERT_TRUE(f->Sync(io, nullptr).ok());
  ASSERT_TRUE(f->Append("lost", io, nullptr).ok());
  ASSERT_TRUE(f->Flush(io, nullptr).ok());
  ASSERT_TRUE(jfs->RenameFile(tmp, a, io, nullptr).ok());  // the sync follows the rename
  std::unique_ptr<rocksdb::FSWritableFile> g;
  const std::string b = dir.path() + "/b";
  ASSERT_TRUE(jfs->NewWritableFile(b, rocksdb::FileOptions(), &g, nullptr).ok());
  ASSERT_TRUE(g->Append("never synced", io, nullptr).ok());
  ASSERT_TRUE(g->Flush(io, nullptr).ok());
  EXPECT_EQ(read_file_bytes(a), "synced!lost");

  std::mt19937_64 rng(1);
  const PowerCutReport r = apply_power_cut(journal, rng, /*tear=*/false);
  EXPECT_EQ(read_file_bytes(a), "synced!");
  EXPECT_EQ(read_file_bytes(b), "");
  EXPECT_EQ(r.files, 2u);
  EXPECT_EQ(r.files_cut, 2u);
  EXPECT_EQ(r.bytes_dropped, 4u + 12u);
  EXPECT_EQ(fs::file_size(journal), 0u) << "the journal starts afresh";

  // a torn cut keeps a prefix of the unsynced part, never more than was written
  std::unique_ptr<rocksdb::FSWritableFile> h;
  const std::string c = dir.path() + "/c";
  ASSERT_TRUE(jfs->NewWritableFile(c, rocksdb::FileOptions(), &h, nullptr).ok());
  ASSERT_TRUE(h->Append("kept", io, nullptr).ok());
  ASSERT_TRUE(h->Sync(io, nullptr).ok());
  ASSERT_TRUE(h->Append("0123456789", io, nullptr).ok());
  ASSERT_TRUE(h->Flush(io, nullptr).ok());
  const PowerCutReport t = apply_power_cut(journal, rng, /*tear=*/true);
  const std::string torn = read_file_bytes(c);
  EXPECT_EQ(t.bytes_dropped + t.bytes_torn_kept, 10u);
  EXPECT_EQ(torn.size(), 4u + t.bytes_torn_kept);
  EXPECT_EQ(std::string("kept0123456789").substr(0, torn.size()), torn);
}

// ---- the broker under cuts ----

std::string power_cut_broker() {
  return (fs::path(BrokerProcess::symphonyd_path()).parent_path() / "symphonyd-power-cut").string();
}

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

std::unique_ptr<client::Client> load_client(uint16_t port) {
  client::ClientOptions o;
  o.port = port;
  o.timeout = 20s;
  o.reconnect_attempts = 0;  // the broker is gone for good: no resend to a later one
  return client::Client::connect(o);
}

/// What the clients were told, across every run of the broker.
struct Told {
  std::mutex mu;
  std::map<uint64_t, Clock::time_point> dispatched;  ///< confirmed dispatches, when confirmed
  std::set<uint64_t> ack_sent;                       ///< acks sent, confirmed or not
  std::set<uint64_t> acked;                          ///< confirmed acks
  std::set<uint64_t> reused;                         ///< ids confirmed twice (must stay empty)
};

struct CutTotals {
  uint64_t cuts = 0;
  uint64_t files_cut = 0;
  uint64_t bytes_dropped = 0;
  uint64_t lost_dispatches = 0;
  uint64_t undone_acks = 0;
  int64_t oldest_lost_ms = 0;  ///< confirmed this long before the cut, at most
};

/// Checks the restarted broker against what was confirmed before the cut at `cut_at`; forgets
/// what the policy allowed the cut to lose (so the next round checks what is left).
///   - a confirmed dispatch never acked must be known and not completed: else it was lost;
///   - a confirmed ack must not be undone (the message live again);
///   - a message acked without confirmation may be anything: the ack may or may not have been
///     written, and a completion is forgotten after a while (unknown then).
void check_after_cut(client::Client& c, Told& told, Clock::time_point cut_at, bool strict,
                     CutTotals& totals) {
  std::vector<uint64_t> ids;
  for (const auto& [id, at] : told.dispatched) ids.push_back(id);
  std::set<uint64_t> lost;
  std::set<uint64_t> undone;
  for (size_t i = 0; i < ids.size(); i += 1000) {
    const size_t n = std::min<size_t>(1000, ids.size() - i);
    const auto items = c.status(std::span<const uint64_t>(ids.data() + i, n));
    ASSERT_EQ(items.size(), n);
    for (const auto& item : items) {
      const bool known = item.code == protocol::ErrorCode::kOk;
      const bool done = known && item.status == protocol::EnvelopeStatus::kCompleted;
      if (told.acked.count(item.id)) {
        if (known && !done) undone.insert(item.id);
      } else if (!told.ack_sent.count(item.id)) {
        ASSERT_FALSE(done) << "message " << item.id << " completed without an ack";
        if (!known) lost.insert(item.id);
      }
    }
  }
  for (uint64_t id : lost) {
    const auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(cut_at - told.dispatched[id]);
    totals.oldest_lost_ms = std::max<int64_t>(totals.oldest_lost_ms, age.count());
    if (strict) ADD_FAILURE() << "confirmed message " << id << " lost";
    told.dispatched.erase(id);
  }
  for (uint64_t id : undone) {
    if (strict) ADD_FAILURE() << "confirmed ack of " << id << " undone";
    told.acked.erase(id);  // live again: it may be delivered and acked anew
    told.ack_sent.erase(id);
  }
  totals.lost_dispatches += lost.size();
  totals.undone_acks += undone.size();
}

/// Confirmed dispatches not yet acked, at most, before producers wait for the consumer.
constexpr size_t kMaxBacklog = 20'000;

/// One broker run: load until the kill at a random moment.
Clock::time_point run_and_kill(BrokerProcess& broker, Told& told, std::mt19937_64& rng,
                               uint64_t& next_n, int min_run_ms, int max_run_ms) {
  std::atomic<bool> stop{false};
  // several producers, so the log writer always has work waiting (a sync must not wait for it
  // to be idle)
  std::mutex n_mu;
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back(
        [&, client = std::shared_ptr<client::Client>(load_client(broker.port()))] {
          try {
            while (!stop.load()) {
              // a bounded backlog: the live set, and with it the log a restart recovers, stays
              // the same size however many cuts a run makes (200 cuts piled up millions, and a
              // restart outgrew its 30 s)
              bool wait = false;
              {
                std::lock_guard lock(told.mu);
                wait = told.dispatched.size() > told.acked.size() + kMaxBacklog;
              }
              if (wait) {
                std::this_thread::sleep_for(2ms);
                continue;
              }
              std::vector<client::OutgoingMessage> batch(20);
              {
                std::lock_guard lock(n_mu);
                for (auto& m : batch) {
                  m.message = {"Cut", fmt::format(R"({{"n":{}}})", next_n++)};
                  m.options.queue = "cuts";
                }
              }
              const auto out = client->dispatch_batch(batch);
              const auto now = Clock::now();
              std::lock_guard lock(told.mu);
              for (const auto& r : out) {
                if (!r.ok()) continue;
                if (!told.dispatched.emplace(r.id, now).second) told.reused.insert(r.id);
              }
            }
          } catch (const client::ClientError&) {
            // the kill: whatever was in flight was never confirmed
          }
        });
  }
  auto consumer = load_client(broker.port());
  std::thread consume([&] {
    try {
      consumer->subscribe({"cuts"}, 64);
      while (!stop.load()) {
        std::vector<uint64_t> ids;
        while (ids.size() < 16) {
          auto d = consumer->receive(50ms);
          if (!d) break;
          ids.push_back(d->id);
        }
        if (ids.empty()) continue;
        {
          std::lock_guard lock(told.mu);
          told.ack_sent.insert(ids.begin(), ids.end());
        }
        const protocol::AckResult r = consumer->ack(ids, /*confirm=*/true);
        std::set<uint64_t> failed;
        for (const auto& f : r.failures) failed.insert(f.message_id);
        std::lock_guard lock(told.mu);
        for (uint64_t id : ids) {
          if (!failed.count(id)) told.acked.insert(id);
        }
      }
    } catch (const client::ClientError&) {
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(
      min_run_ms + static_cast<int>(rng() % static_cast<uint64_t>(max_run_ms - min_run_ms + 1))));
  const auto cut_at = Clock::now();
  broker.kill9();
  stop = true;
  for (auto& t : producers) t.join();
  consume.join();
  return cut_at;
}

struct Policy {
  std::string name;
  std::vector<std::string> args;
  int cuts;
  bool strict;           ///< nothing confirmed may be lost
  int64_t max_loss_ms;   ///< otherwise: lost work was confirmed at most this long before the cut
  int min_run_ms = 150;  ///< each run of the broker lasts this long...
  int max_run_ms = 600;  ///< ...to this, before its cut
};

void run_cuts(const Policy& p) {
  const uint64_t seed = static_cast<uint64_t>(
      env_int("SYMPHONY_POWER_CUT_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  // printed now, not only in the summary: a run that fails half-way must still be replayable
  std::printf("power cuts (%s): seed %llu (SYMPHONY_POWER_CUT_SEED replays it)\n", p.name.c_str(),
              static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  TempDir dir;
  const std::string journal = fs::path(dir.path()).parent_path().string() + "/sync.journal";
  ::setenv("SYMPHONY_SYNC_JOURNAL", journal.c_str(), 1);
  Told told;
  CutTotals totals;
  uint64_t next_n = 0;
  for (int cut = 0; cut < p.cuts && !::testing::Test::HasFatalFailure(); ++cut) {
    BrokerProcess broker(p.args, dir.path(), power_cut_broker());
    const auto cut_at = run_and_kill(broker, told, rng, next_n, p.min_run_ms, p.max_run_ms);
    const PowerCutReport r = apply_power_cut(journal, rng, /*tear=*/true);
    ++totals.cuts;
    totals.files_cut += r.files_cut;
    totals.bytes_dropped += r.bytes_dropped;

    // the broker starts on whatever the cut left, and has lost nothing it may not lose
    BrokerProcess after(p.args, dir.path(), power_cut_broker());
    auto c = connect_to(after);
    std::lock_guard lock(told.mu);
    check_after_cut(*c, told, cut_at, p.strict, totals);
    c.reset();
    after.kill9();  // a process crash loses nothing confirmed: the next run checks that too
    apply_power_cut(journal, rng, /*tear=*/false);  // ...and so does an idle cut
  }
  std::printf(
      "power cuts (%s, seed %llu): %llu cuts, %llu files cut, %llu unsynced bytes dropped; "
      "%zu confirmed dispatches, %zu confirmed acks; %llu confirmed dispatches lost, %llu "
      "confirmed acks undone, oldest lost work confirmed %lld ms before its cut\n",
      p.name.c_str(), static_cast<unsigned long long>(seed),
      static_cast<unsigned long long>(totals.cuts),
      static_cast<unsigned long long>(totals.files_cut),
      static_cast<unsigned long long>(totals.bytes_dropped), told.dispatched.size(),
      told.acked.size(), static_cast<unsigned long long>(totals.lost_dispatches),
      static_cast<unsigned long long>(totals.undone_acks),
      static_cast<long long>(totals.oldest_lost_ms));
  EXPECT_TRUE(told.reused.empty())
      << told.reused.size() << " ids were handed out twice, e.g. " << *told.reused.begin();
  EXPECT_GT(told.dispatched.size(), 0u) << "no load reached the broker";
  if (p.cuts >= 4) {
    EXPECT_GT(totals.bytes_dropped, 0u) << "no cut dropped anything: the test would be vacuous";
  }
  if (p.strict) {
    EXPECT_EQ(totals.lost_dispatches, 0u);
    EXPECT_EQ(totals.undone_acks, 0u);
  } else if (p.max_loss_ms > 0) {
    EXPECT_LE(totals.oldest_lost_ms, p.max_loss_ms) << "lost work older than the policy allows";
  }
}

TEST(PowerCut, FsyncAlwaysLosesNothingConfirmed) {
  const int cuts = env_int("SYMPHONY_POWER_CUTS", 20);
  run_cuts({"always", {"--fsync", "always"}, cuts, /*strict=*/true, 0});
}

TEST(PowerCut, FsyncIntervalLosesOnlyTheInterval) {
  const int cuts = std::max(1, env_int("SYMPHONY_POWER_CUTS", 20) / 5);
  // §4.3: up to the interval plus one fsync; the slack is for a loaded 2-core CI machine. Runs
  // last longer than the bound, so a sync that never comes under load (the bug this found)
  // shows as lost work older than it.
  Policy p{"interval:50", {"--fsync", "interval:50"}, cuts, /*strict=*/false, 50 + 1000};
  p.min_run_ms = 1200;
  p.max_run_ms = 1800;
  run_cuts(p);
}

TEST(PowerCut, FsyncNeverStillStartsAndNeverReusesIds) {
  const int cuts = std::max(1, env_int("SYMPHONY_POWER_CUTS", 20) / 10);
  run_cuts({"never", {"--fsync", "never"}, cuts, /*strict=*/false, 0});
}

}  // namespace
}  // namespace symphony::testing
