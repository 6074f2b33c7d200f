// The issue's finding, rerun against the real symphonyd: one byte flipped near the start of the
// write-ahead log of a stopped broker holding 3,000 confirmed messages. The broker used to start
// without a word, with all 3,000 gone and ids restarting at 1. Now it refuses to start and names
// the damage, `symphony-wal verify` fails, and `symphony-wal salvage` keeps every intact
// message, reports what was lost, and continues ids above every id handed out before.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "tests/crash/crash_support.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {
namespace {

namespace fs = std::filesystem;

std::string wal_tool_path() {
  return (fs::path(BrokerProcess::symphonyd_path()).parent_path() / "symphony-wal").string();
}

/// The write-ahead log file of a stopped broker's data directory (exactly one after a clean stop).
fs::path wal_file(const std::string& data_dir) {
  std::vector<fs::path> logs;
  for (const auto& e : fs::directory_iterator(data_dir + "/log")) {
    if (e.path().extension() == ".log" && e.file_size() > 0) logs.push_back(e.path());
  }
  if (logs.size() != 1) throw std::runtime_error("expected one non-empty WAL file");
  return logs[0];
}

void flip_byte(const fs::path& file, uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char b = 0;
  f.read(&b, 1);
  b = static_cast<char>(b ^ 0x40);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&b, 1);
}

std::set<uint64_t> dispatch_3000(client::Client& c) {
  std::set<uint64_t> ids;
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<client::OutgoingMessage> msgs(100);
    for (int i = 0; i < 100; ++i) {
      msgs[static_cast<size_t>(i)].message = {"Job", fmt::format(R"({{"n":{}}})", batch * 100 + i)};
      msgs[static_cast<size_t>(i)].options.queue = "jobs";
    }
    for (const auto& r : c.dispatch_batch(msgs)) {
      EXPECT_TRUE(r.ok()) << r.error;
      ids.insert(r.id);
    }
  }
  return ids;
}

TEST(LogDamageE2E, AFlippedByteNearTheStartOfTheWalStopsTheBrokerAndSalvageKeepsTheRest) {
  TempDir dir;
  std::set<uint64_t> confirmed;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    confirmed = dispatch_3000(*c);
    c.reset();
    ASSERT_EQ(broker.terminate(), 0) << broker.log();
  }
  ASSERT_EQ(confirmed.size(), 3000u);
  flip_byte(wal_file(dir.path()), 100);

  // the broker refuses, naming the damage and what to run
  try {
    BrokerProcess broker({}, dir.path());
    FAIL() << "symphonyd started on a damaged log:\n" << broker.log();
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("write-ahead file"), std::string::npos) << what;
    EXPECT_NE(what.find("is damaged"), std::string::npos) << what;
    EXPECT_NE(what.find("intact entries follow the damage"), std::string::npos) << what;
    EXPECT_NE(what.find("symphony-wal salvage --data-dir " + dir.path()), std::string::npos)
        << what;
  }
  std::string out, err;
  EXPECT_EQ(run_command({wal_tool_path(), "--data-dir", dir.path(), "verify"}, out, &err), 1);
  EXPECT_NE(out.find("FAILED"), std::string::npos) << out << err;
  EXPECT_NE(err.find("is damaged"), std::string::npos) << err;

  // salvage: every intact message, an account of the rest, ids above all handed out
  const std::string salvaged = dir.path() + "-salvaged";
  ASSERT_EQ(run_command({wal_tool_path(), "--data-dir", dir.path(), "salvage", "--into", salvaged,
                         "--json"},
                        out, &err),
            0)
      << err;
  const auto report = nlohmann::json::parse(out);
  EXPECT_EQ(report["intact"], false);
  ASSERT_EQ(report["lost_groups"].size(), 1u) << out;
  const auto& lost = report["lost_groups"][0];
  EXPECT_EQ(lost["from_seq"], 1);
  EXPECT_EQ(lost["ids_from"], 1);
  EXPECT_TRUE(lost["written_before"].is_string()) << out;
  const uint64_t lost_to = lost["ids_to"].get<uint64_t>();
  const uint64_t kept = report["envelopes"].get<uint64_t>();
  EXPECT_GT(kept, 0u);
  EXPECT_EQ(kept + lost_to, 3000u) << "every message is either kept or in the reported range";
  {
    BrokerProcess broker({}, salvaged);
    auto c = connect_to(broker);
    EXPECT_EQ(live_count(*c, "jobs"), kept);
    const auto fresh = c->dispatch({"New", "{}"});
    ASSERT_TRUE(fresh.ok()) << fresh.error;
    EXPECT_GT(fresh.id, *confirmed.rbegin()) << "an id a client holds is never handed out again";
    const auto got = consume(*c, "jobs", kept);
    for (const auto& d : got) {
      EXPECT_TRUE(confirmed.count(d.id)) << d.id;
      EXPECT_GT(d.id, lost_to) << "a kept message lies outside the reported lost range";
    }
    c.reset();
    EXPECT_EQ(broker.terminate(), 0);
  }
  std::error_code ec;
  fs::remove_all(salvaged, ec);
}

TEST(LogDamageE2E, AfterACleanStopTheLastGroupMustBeThere) {
  TempDir dir;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    dispatch_3000(*c);
    c.reset();
    ASSERT_EQ(broker.terminate(), 0) << broker.log();
  }
  // the last 2 bytes of the last write-ahead record: to RocksDB this is a torn write, which a
  // crash can leave; after a clean stop it is lost confirmed work
  const fs::path wal = wal_file(dir.path());
  fs::resize_file(wal, fs::file_size(wal) - 2);
  try {
    BrokerProcess broker({}, dir.path());
    FAIL() << "symphonyd started on a log that lost its last confirmed write:\n" << broker.log();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the broker stopped cleanly"), std::string::npos)
        << e.what();
  }
}

TEST(LogDamageE2E, AfterAKill9ATornEndIsCutWithAWarningAndIdsSkipAhead) {
  TempDir dir;
  std::set<uint64_t> confirmed;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    confirmed = dispatch_3000(*c);
    c.reset();
    broker.kill9();
  }
  // a write torn at the very end: a half-written record beyond the last confirmed one
  const fs::path wal = wal_file(dir.path());
  {
    std::ofstream f(wal, std::ios::binary | std::ios::app);
    f << std::string("\x12\x34\x56\x78\xff\x00\x01", 7) << std::string(40, 'z');
  }
  BrokerProcess broker({}, dir.path());
  const std::string log = broker.log();
  EXPECT_NE(log.find("torn by the crash or power loss"), std::string::npos) << log;
  auto c = connect_to(broker);
  EXPECT_EQ(live_count(*c, "jobs"), 3000u) << "nothing confirmed was cut";
  const auto fresh = c->dispatch({"New", "{}"});
  ASSERT_TRUE(fresh.ok()) << fresh.error;
  EXPECT_GT(fresh.id, *confirmed.rbegin() + 1'000'000)
      << "after a crash ids continue from the guard's ceiling";
  c.reset();
  EXPECT_EQ(broker.terminate(), 0);
}

}  // namespace
}  // namespace symphony::testing
