// A flipped byte anywhere in a stopped broker's data directory is detected or provably harmless:
// never a silent loss of a confirmed message.
//
// The fixture is made by the real symphonyd: two runs, so the log holds table files (the first
// run's write-ahead log, flushed at the second start), a write-ahead log (the second run), a
// compaction's dropped prefix, acks, dead letters and idempotency keys. Each case copies it,
// flips one byte at a random offset of a file of one kind (RocksDB's write-ahead logs, table
// files, MANIFEST, CURRENT, OPTIONS, IDENTITY, log.guard, symphony.lock), and opens and recovers
// the copy exactly as symphonyd does (wal/open_log.h). The outcome must be an error that names
// the damage and the tool to run, or a state identical to the undamaged one.
//
// SYMPHONY_BYTE_FLIP_CASES sets the number of cases (default 1000), SYMPHONY_BYTE_FLIP_SEED the
// seed (default: random, printed, so a failure can be replayed).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/crash/crash_support.h"
#include "tests/e2e/broker_process.h"
#include "tests/wal/state_dump.h"
#include "wal/open_log.h"

namespace symphony::testing {
namespace {

namespace fs = std::filesystem;
using client::DispatchOptions;
using client::OutgoingMessage;

std::string file_kind(const fs::path& p) {
  const std::string name = p.filename().string();
  if (p.extension() == ".log") return "wal";
  if (p.extension() == ".sst") return "sst";
  if (name.rfind("MANIFEST-", 0) == 0) return "manifest";
  if (name.rfind("OPTIONS-", 0) == 0) return "options";
  return name;  // CURRENT, IDENTITY, log.guard, symphony.lock
}

/// Dispatches `n` messages to `queue` in batches of 100 (every fifth with an idempotency key);
/// returns the confirmed ids.
std::vector<uint64_t> dispatch_n(client::Client& c, const std::string& queue, int n, int from) {
  std::vector<uint64_t> ids;
  for (int i = 0; i < n; i += 100) {
    std::vector<OutgoingMessage> batch;
    for (int j = i; j < std::min(n, i + 100); ++j) {
      OutgoingMessage m;
      m.message = {"Job", fmt::format(R"({{"n":{},"pad":"{}"}})", from + j, std::string(150, 'x'))};
      m.options.queue = queue;
      if ((from + j) % 5 == 0) m.options.idempotency_key = fmt::format("k{}", from + j);
      batch.push_back(std::move(m));
    }
    for (const auto& r : c.dispatch_batch(batch)) {
      EXPECT_TRUE(r.ok()) << r.error;
      ids.push_back(r.id);
    }
  }
  return ids;
}

class ByteFlip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new TempDir();
    const std::string config = fs::path(fixture_->path()).parent_path() / "symphony.toml";
    std::ofstream(config) << "[compaction]\nmin_bytes = 1048576\n";
    const std::vector<std::string> args = {"--config", config};
    {
      BrokerProcess broker(args, fixture_->path());
      auto c = connect_to(broker);
      dispatch_n(*c, "jobs", 8000, 0);
      const auto got = consume(*c, "jobs", 7000, /*ack=*/false);
      std::vector<uint64_t> ack_ids;
      for (size_t i = 0; i < got.size(); ++i) {
        if (i % 500 == 7) {
          c->nack(got[i].id, protocol::NackMode::kFatal, "bad input", "ValueError");
        } else {
          ack_ids.push_back(got[i].id);
        }
      }
      EXPECT_EQ(c->ack(ack_ids, /*confirm=*/true).acked, ack_ids.size());
      c.reset();
      ASSERT_EQ(broker.terminate(), 0) << broker.log();
    }
    {
      BrokerProcess broker(args, fixture_->path());
      auto c = connect_to(broker);
      dispatch_n(*c, "mail", 600, 100000);
      consume(*c, "mail", 200, /*ack=*/true);
      c.reset();
      ASSERT_EQ(broker.terminate(), 0) << broker.log();
    }
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }

  /// Opens and recovers `dir` as symphonyd does: "" and the state's dump, or the error.
  static std::string recover(const std::string& dir, std::string& dump) {
    wal::OpenedLog log;
    wal::OpenLogOptions o;
    o.store.on_message = [](wal::StoreMessageLevel, std::string_view) {};
    if (wal::StoreStatus st = wal::open_log(dir, o, log); !st.ok) return st.message;
    wal::LogState state;
    wal::RecoveryReport report;
    std::string error;
    if (!wal::recover_opened(log, state, report, error)) return error;
    dump = wal::test::dump(state);
    return "";
  }

  static TempDir* fixture_;
};

TempDir* ByteFlip::fixture_ = nullptr;

TEST_F(ByteFlip, EveryFlipIsDetectedOrHarmless) {
  const char* cases_env = std::getenv("SYMPHONY_BYTE_FLIP_CASES");
  const int cases = cases_env ? std::atoi(cases_env) : 1000;
  const char* seed_env = std::getenv("SYMPHONY_BYTE_FLIP_SEED");
  const uint64_t seed = seed_env ? std::strtoull(seed_env, nullptr, 10) : std::random_device{}();
  RecordProperty("seed", std::to_string(seed));
  std::printf("byte flips: seed %llu (SYMPHONY_BYTE_FLIP_SEED replays it)\n",
              static_cast<unsigned long long>(seed));

  const std::string source = fixture_->path();
  std::string baseline;
  {
    // recovery of a copy: a read-write open changes files (RocksDB flushes its log)
    TempDir copy;
    fs::copy(source, copy.path(), fs::copy_options::recursive);
    ASSERT_EQ(recover(copy.path(), baseline), "");
  }
  ASSERT_NE(baseline.find(" s=dead "), std::string::npos) << "the fixture has dead letters";
  ASSERT_NE(baseline.find("key mail/"), std::string::npos) << "the fixture has idempotency keys";

  // every non-empty file, by kind
  std::map<std::string, std::vector<fs::path>> kinds;
  for (const auto& e : fs::recursive_directory_iterator(source)) {
    if (e.is_regular_file() && e.file_size() > 0) {
      kinds[file_kind(e.path())].push_back(fs::relative(e.path(), source));
    }
  }
  for (const char* k : {"wal", "sst", "manifest", "CURRENT", "options", "IDENTITY", "log.guard"}) {
    EXPECT_TRUE(kinds.count(k)) << "the fixture has no " << k << " file";
  }
  std::vector<std::string> kind_names;
  for (const auto& [k, files] : kinds) kind_names.push_back(k);

  struct Tally {
    int cases = 0, detected = 0, harmless = 0;
  };
  std::map<std::string, Tally> tally;
  std::mt19937_64 rng(seed);
  for (int i = 0; i < cases; ++i) {
    const std::string& kind = kind_names[static_cast<size_t>(i) % kind_names.size()];
    const auto& files = kinds[kind];
    const fs::path rel = files[rng() % files.size()];
    TempDir copy;
    fs::copy(source, copy.path(), fs::copy_options::recursive);
    const fs::path target = fs::path(copy.path()) / rel;
    const uint64_t size = fs::file_size(target);
    const uint64_t offset = rng() % size;
    const auto mask = static_cast<char>(1 + rng() % 255);
    {
      std::fstream f(target, std::ios::in | std::ios::out | std::ios::binary);
      f.seekg(static_cast<std::streamoff>(offset));
      char b = 0;
      f.read(&b, 1);
      b = static_cast<char>(b ^ mask);
      f.seekp(static_cast<std::streamoff>(offset));
      f.write(&b, 1);
    }
    std::string dump;
    const std::string error = recover(copy.path(), dump);
    Tally& t = tally[kind];
    ++t.cases;
    const std::string where = fmt::format("{} offset {} of {}", rel.string(), offset, size);
    if (!error.empty()) {
      ++t.detected;
      EXPECT_NE(error.find("symphony-wal"), std::string::npos)
          << where << ": the error does not say what to run: " << error;
    } else if (dump == baseline) {
      ++t.harmless;
    } else {
      ADD_FAILURE() << "SILENT LOSS: a flip at " << where << " (seed " << seed
                    << ") recovered a different state with no error";
    }
  }
  int detected = 0, harmless = 0;
  for (const auto& [kind, t] : tally) {
    std::printf("byte flips: %-14s %4d cases, %4d detected, %4d harmless\n", kind.c_str(), t.cases,
                t.detected, t.harmless);
    detected += t.detected;
    harmless += t.harmless;
  }
  std::printf("byte flips: all            %4d cases, %4d detected, %4d harmless\n", cases, detected,
              harmless);
  EXPECT_EQ(detected + harmless, cases);
}

}  // namespace
}  // namespace symphony::testing
