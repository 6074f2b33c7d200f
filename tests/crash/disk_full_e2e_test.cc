// A full disk under the real symphonyd: its data directory on a small tmpfs (a real file system
// that really fills up; mounting it needs root, which the project's test command runs as). The
// issue's finding was SIGABRT (a RocksDB assertion) with every consumer cut off. Now:
//   - the dispatch whose write hit the full disk is not confirmed while the disk stays full;
//   - other dispatches get STORAGE_FULL, /health is unhealthy and says why, reads keep working;
//   - once space is freed the broker resumes by itself: the held dispatch is confirmed, new ones
//     are accepted, /health is healthy again;
//   - after a kill -9 and a restart, every confirmed message is there, and nothing else.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "tests/crash/crash_support.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

/// A tmpfs of `mib` MiB mounted on a fresh temporary directory, unmounted at the end.
class SmallFileSystem {
 public:
  explicit SmallFileSystem(int mib) {
    std::string tmpl = (fs::temp_directory_path() / "symphony-full-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
    const std::string options = fmt::format("size={}m,mode=0700", mib);
    if (mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      error_ = fmt::format(
          "mount -t tmpfs -o {} tmpfs {}: {} (the disk-full test mounts a small "
          "file system and needs root, as scripts/test.sh runs)",
          options, path_, std::strerror(errno));
      return;
    }
    mounted_ = true;
  }
  ~SmallFileSystem() {
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string error_;
  bool mounted_ = false;
};

/// Writes `bytes` of real data (tmpfs gives fallocate'd pages back only when written or freed).
void write_ballast(const std::string& file, size_t bytes) {
  std::ofstream out(file, std::ios::binary);
  const std::string chunk(1 << 20, 'b');
  for (size_t done = 0; done < bytes; done += chunk.size()) out.write(chunk.data(), chunk.size());
  out.close();
  if (!out) throw std::runtime_error("could not write the ballast " + file);
}

nlohmann::json health(client::Client& c) {
  return nlohmann::json::parse(c.health());
}

/// 16 KiB of random letters: the log's table files are compressed, so a constant pad would
/// never fill the disk.
std::string random_pad(std::mt19937_64& rng) {
  static constexpr char kLetters[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string pad(16 << 10, ' ');
  for (char& ch : pad) ch = kLetters[rng() % (sizeof(kLetters) - 1)];
  return pad;
}

client::DispatchOutcome dispatch_one(client::Client& c, int n, const std::string& pad) {
  try {
    return c.dispatch({"Fill", fmt::format(R"({{"n":{},"pad":"{}"}})", n, pad)},
                      client::DispatchOptions().with_queue("fill"));
  } catch (const client::ClientError& e) {
    client::DispatchOutcome out;
    out.code = e.code();
    out.error = e.what();
    return out;
  }
}

TEST(DiskFullE2E, AFullDiskRefusesWritesKeepsReadsAndResumesWhenSpaceIsBack) {
  SmallFileSystem disk(96);
  ASSERT_TRUE(disk.mounted()) << disk.error();
  const std::string data_dir = disk.path() + "/data";
  const std::string ballast = disk.path() + "/ballast";
  // 48 MiB held back, to be freed later; the broker gets the rest. RocksDB clears a
  // no-space error only once the free space reaches the size of its memtables (32 MiB here;
  // docs/operations.md), so freeing less would leave it refusing for good.
  write_ballast(ballast, 48u << 20);

  std::mt19937_64 rng(11);
  std::set<uint64_t> confirmed;
  std::set<int> confirmed_n;
  {
    BrokerProcess broker({"--fsync", "always"}, data_dir);
    auto producer = connect_port(broker.port(), 120s);
    auto reader = connect_to(broker);

    // dispatch one at a time until a dispatch is refused or stays unanswered: the disk is full
    std::future<client::DispatchOutcome> held;
    int n = 0;
    for (; n < 10'000; ++n) {  // 160 MiB: more than the disk holds
      auto f = std::async(std::launch::async, [&, n, pad = random_pad(rng)] {
        return dispatch_one(*producer, n, pad);
      });
      if (f.wait_for(5s) != std::future_status::ready) {
        held = std::move(f);  // its write failed: the reply waits for the log
        break;
      }
      const client::DispatchOutcome r = f.get();
      if (!r.ok()) {
        EXPECT_EQ(r.code, protocol::ErrorCode::kStorageFull) << r.error;
        break;
      }
      confirmed.insert(r.id);
      confirmed_n.insert(n);
    }
    ASSERT_LT(n, 10'000) << "the disk never filled";
    ASSERT_GT(confirmed.size(), 100u) << "the disk filled too early to test anything";
    ASSERT_TRUE(broker.running());

    // while it is full: writes are refused with STORAGE_FULL, health says why, reads work
    const nlohmann::json h = health(*reader);
    EXPECT_EQ(h["status"], "unhealthy") << h.dump();
    EXPECT_NE(h["checks"]["storage"], "ok") << h.dump();
    EXPECT_NE(h.dump().find("disk full"), std::string::npos) << h.dump();
    auto other = connect_to(broker);
    const client::DispatchOutcome refused = dispatch_one(*other, -1, "refused");
    EXPECT_EQ(refused.code, protocol::ErrorCode::kStorageFull) << refused.error;
    EXPECT_NE(refused.error.find("out of space"), std::string::npos) << refused.error;
    EXPECT_GE(live_count(*reader, "fill"), confirmed.size()) << "reads answer while full";
    if (held.valid()) {
      EXPECT_EQ(held.wait_for(1s), std::future_status::timeout)
          << "a dispatch was answered while its write could not be done";
    }

    // space is back: the broker resumes by itself
    fs::remove(ballast);
    if (held.valid()) {
      ASSERT_EQ(held.wait_for(60s), std::future_status::ready)
          << "the held dispatch never came\n"
          << broker.log().substr(broker.log().size() > 6000 ? broker.log().size() - 6000 : 0);
      const client::DispatchOutcome r = held.get();
      ASSERT_TRUE(r.ok()) << r.error;
      confirmed.insert(r.id);
      confirmed_n.insert(n);
    }
    client::DispatchOutcome after;
    for (int i = 0; i < 300; ++i) {  // bounded: 30 s
      after = dispatch_one(*other, 100'000, "after");
      if (after.ok()) break;
      EXPECT_EQ(after.code, protocol::ErrorCode::kStorageFull) << after.error;
      std::this_thread::sleep_for(100ms);
    }
    ASSERT_TRUE(after.ok()) << "dispatches were not accepted again once space was back: "
                            << after.error << "\n"
                            << broker.log();
    confirmed.insert(after.id);
    confirmed_n.insert(100'000);
    // healthy but for the free-disk threshold (1 GiB by default: degraded on this small disk)
    const nlohmann::json resumed = health(*reader);
    EXPECT_NE(resumed["status"], "unhealthy") << resumed.dump();
    EXPECT_EQ(resumed["checks"]["storage"], "ok") << resumed.dump();
    EXPECT_EQ(live_count(*reader, "fill"), confirmed.size());

    const std::string log = broker.log();
    EXPECT_NE(log.find("No space left on device"), std::string::npos) << log;
    producer.reset();
    reader.reset();
    other.reset();
    broker.kill9();
  }

  // after a kill -9: every confirmed message is there, and nothing that was refused
  BrokerProcess restarted({}, data_dir);
  auto c = connect_to(restarted);
  ASSERT_EQ(live_count(*c, "fill"), confirmed.size());
  const auto got = consume(*c, "fill", confirmed.size());
  std::set<uint64_t> ids;
  std::set<int> ns;
  for (const auto& d : got) {
    ids.insert(d.id);
    const auto v = payload_n(d.payload);
    ASSERT_TRUE(v.has_value()) << d.payload.substr(0, 40);
    ns.insert(static_cast<int>(*v));
  }
  EXPECT_EQ(ids, confirmed);
  EXPECT_EQ(ns, confirmed_n);
}

}  // namespace
}  // namespace symphony::testing
