// `symphony health | overview | metrics | backup` against the real symphonyd: over the binary
// protocol they must say exactly what the admin HTTP API says for the same state, and a backup
// must be a data directory another broker serves.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/control.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "protocol/observe.h"
#include "tests/admin/admin_test_support.h"
#include "tests/admin/http_client.h"
#include "tests/e2e/broker_process.h"
#include "tests/e2e/raw_socket.h"

namespace symphony::testing {
namespace {

using client::DispatchOptions;
using nlohmann::json;

// The default threshold (1 GiB) would make "healthy" depend on the test machine's disk.
constexpr const char* kSmallDiskThreshold = "[health]\nmin_free_disk_mb = 1\n";

json parse_or_fail(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

/// The health document without what changes from one reading to the next.
json stable_health(json j) {
  j["checks"].erase("free_disk_bytes");
  return j;
}

/// Some traffic, so that the documents have numbers worth comparing: 3 dispatched to "email"
/// (one acked, one dead-lettered), 2 to "sms".
void make_traffic(const BrokerProcess& broker) {
  auto c = connect_client(broker);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        c->dispatch({"Email", json{{"n", i}}.dump()}, DispatchOptions().with_queue("email")).ok());
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(c->dispatch({"Sms", "{}"}, DispatchOptions().with_queue("sms")).ok());
  }
  c->subscribe({"email"}, 2);
  auto d = receive_n(*c, 2);
  ASSERT_EQ(d.size(), 2u);
  c->ack(d[0].id, /*confirm=*/true);
  c->nack(d[1].id, protocol::NackMode::kFatal, "boom", "TestError");
  c->credit(0);
}

TEST(ObserveCliE2E, HealthIsTheAdminApiDocument) {
  ConfiguredBroker b(std::string(kSmallDiskThreshold) + "[queues.q]\nmax_length = 1\n");
  HttpClient http(b.broker.admin_port());

  const CliResult healthy = run_cli(b.broker, {"health", "--json"});
  ASSERT_EQ(healthy.code, 0) << healthy.err;
  const json h1 = parse_or_fail(healthy.out);
  EXPECT_EQ(h1["status"], "healthy");
  EXPECT_GT(h1["checks"]["free_disk_bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ(stable_health(h1), stable_health(http.get("/health").json()));

  // a full queue degrades the broker; the CLI still exits 0, as GET /health still answers 200
  auto c = connect_client(b.broker);
  ASSERT_TRUE(c->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).ok());
  const CliResult degraded = run_cli(b.broker, {"health", "--json"});
  ASSERT_EQ(degraded.code, 0) << degraded.err;
  const json h2 = parse_or_fail(degraded.out);
  EXPECT_EQ(h2["status"], "degraded");
  EXPECT_EQ(h2["checks"]["full_queues"], json::array({"q"}));
  const HttpReply over_http = http.get("/health");
  EXPECT_EQ(over_http.status, 200);
  EXPECT_EQ(stable_health(h2), stable_health(over_http.json()));

  const CliResult text = run_cli(b.broker, {"health"});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("degraded\n", 0), 0u) << text.out;
  EXPECT_NE(text.out.find("queue 'q' is at its max length 1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("full queues: q"), std::string::npos) << text.out;
}

TEST(ObserveCliE2E, OverviewIsTheStatusDocument) {
  ConfiguredBroker b(kSmallDiskThreshold);
  make_traffic(b.broker);
  HttpClient http(b.broker.admin_port());

  const CliResult all = run_cli(b.broker, {"overview", "--json"});
  ASSERT_EQ(all.code, 0) << all.err;
  json over_cli = parse_or_fail(all.out);
  json over_http = http.get("/status").json();
  ASSERT_TRUE(over_cli.contains("time"));
  over_cli.erase("time");
  over_http.erase("time");
  EXPECT_EQ(over_cli, over_http);
  EXPECT_EQ(over_cli["queues"]["email"]["ready"], 1);
  EXPECT_EQ(over_cli["queues"]["email"]["dead"], 1);
  EXPECT_EQ(over_cli["queues"]["sms"]["ready"], 2);
  EXPECT_EQ(over_cli["totals"]["rates"]["1m"]["dispatched"], 5);
  EXPECT_TRUE(over_cli["totals"]["rates"].contains("60m"));

  const CliResult five = run_cli(b.broker, {"overview", "--minutes", "5", "--json"});
  ASSERT_EQ(five.code, 0) << five.err;
  json five_cli = parse_or_fail(five.out);
  json five_http = http.get("/status?minutes=5").json();
  five_cli.erase("time");
  five_http.erase("time");
  EXPECT_EQ(five_cli, five_http);
  EXPECT_EQ(five_cli["totals"]["rates"].size(), 1u);
  EXPECT_EQ(five_cli["totals"]["rates"]["5m"]["acked"], 1);

  const CliResult table = run_cli(b.broker, {"overview"});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_EQ(table.out.rfind("QUEUE", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("DISPATCH/S 60m"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\nemail "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\nsms "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("schedules: 0"), std::string::npos) << table.out;
}

TEST(ObserveCliE2E, OverviewMinutesOutOfRange) {
  BrokerProcess broker;
  for (const char* minutes : {"0", "61"}) {
    const CliResult r = run_cli(broker, {"overview", "--minutes", minutes});
    EXPECT_EQ(r.code, 1) << minutes;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("--minutes must be a whole number 1..60"), std::string::npos) << r.err;
  }
  // the broker checks too, and a bad window does not cost the connection
  auto c = connect_client(broker);
  try {
    c->overview(61);
    ADD_FAILURE() << "OVERVIEW 61 was accepted";
  } catch (const client::ClientError& e) {
    EXPECT_EQ(e.code(), protocol::ErrorCode::kInvalidArgument) << e.what();
    EXPECT_FALSE(e.transport());
  }
  EXPECT_EQ(c->ping(7).nonce, 7u);
  EXPECT_TRUE(json::parse(c->overview(60))["totals"]["rates"].contains("60m"));
}

TEST(ObserveCliE2E, MetricsAreTheAdminApiText) {
  ConfiguredBroker b(kSmallDiskThreshold);
  make_traffic(b.broker);
  HttpClient http(b.broker.admin_port());

  const CliResult r = run_cli(b.broker, {"metrics"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(metrics_format_problem(r.out), "");
  const HttpReply over_http = http.get("/metrics");
  ASSERT_EQ(over_http.status, 200);
  const auto via_cli = parse_metrics(r.out);
  const auto via_http = parse_metrics(over_http.body);
  for (const std::string key :
       {"symphony_ready", "symphony_messages_dispatched_total{queue=\"email\"}",
        "symphony_messages_dispatched_total{queue=\"sms\"}",
        "symphony_messages_acked_total{queue=\"email\"}",
        "symphony_messages_dead_lettered_total{queue=\"email\"}",
        "symphony_queue_ready{queue=\"sms\"}", "symphony_log_records_total"}) {
    ASSERT_TRUE(via_cli.count(key)) << key << " missing from:\n" << r.out;
    EXPECT_EQ(via_cli.at(key), sample(via_http, key)) << key;
  }
  EXPECT_EQ(via_cli.at("symphony_messages_dispatched_total{queue=\"email\"}"), 3);
  EXPECT_EQ(via_cli.at("symphony_ready"), 1);
  // the CLI asked over its own protocol connection, which the broker counts as open
  EXPECT_GE(via_cli.at("symphony_connections"), 1);
  // the same families, in the same order
  auto families = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("# TYPE ", 0) == 0) out.push_back(line);
    }
    return out;
  };
  EXPECT_EQ(families(r.out), families(over_http.body));
}

TEST(ObserveCliE2E, BackupIsADataDirectoryAnotherBrokerServes) {
  TempDir backups;
  const std::string target = backups.path() + "/backup-1";
  std::map<uint64_t, int> pending;  // id -> the "n" of its payload
  {
    ConfiguredBroker b(std::string(kSmallDiskThreshold) + "[admin]\nbackup_dir = \"" +
                       backups.path() + "\"\n");
    auto c = connect_client(b.broker);
    for (int i = 0; i < 4; ++i) {
      auto r = c->dispatch({"Job", json{{"n", i}}.dump()}, DispatchOptions().with_queue("jobs"));
      ASSERT_TRUE(r.ok());
      pending[r.id] = i;
    }
    c->subscribe({"jobs"}, 1);
    auto d = receive_n(*c, 1);
    ASSERT_EQ(d.size(), 1u);
    c->ack(d[0].id, /*confirm=*/true);
    pending.erase(d[0].id);
    c->credit(0);

    const CliResult r = run_cli(b.broker, {"backup", "backup-1", "--json"});
    ASSERT_EQ(r.code, 0) << r.err;
    const json doc = parse_or_fail(r.out);
    EXPECT_EQ(doc["name"], "backup-1");
    EXPECT_EQ(doc["path"], target);
    EXPECT_GT(doc["bytes"].get<uint64_t>(), 0u);
    EXPECT_TRUE(doc["millis"].is_number_unsigned());
    EXPECT_TRUE(std::filesystem::is_directory(target + "/log"));

    // readable form, and a second backup (the runner is free again)
    const CliResult text = run_cli(b.broker, {"backup", "backup-1-2"});
    ASSERT_EQ(text.code, 0) << text.err;
    EXPECT_NE(text.out.find("backup written to " + target + "-2"), std::string::npos) << text.out;
  }  // the first broker stops: the copy must not need it

  BrokerProcess restored({}, target);
  auto c = connect_client(restored);
  const auto stats = c->stats("jobs");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].ready, 3u);
  c->subscribe({"jobs"}, 10);
  auto got = receive_n(*c, 3);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& d : got) {
    ASSERT_TRUE(pending.count(d.id)) << "message " << d.id << " was acked before the backup";
    EXPECT_EQ(d.type, "Job");
    EXPECT_EQ(json::parse(d.payload)["n"], pending[d.id]) << "payload of " << d.id;
    pending.erase(d.id);
  }
  EXPECT_TRUE(pending.empty());
}

// The BACKUP frame takes a name, as POST /backup does: a path, "..", a newline or a name that
// is taken is INVALID_ARGUMENT naming the problem, and nothing is written.
TEST(ObserveCliE2E, BackupBadNamesAreClearErrors) {
  TempDir dir;
  const std::string backups = dir.path() + "/backups";
  std::filesystem::create_directories(backups + "/taken");
  std::filesystem::create_directory_symlink(dir.path(), backups + "/link");
  BrokerProcess broker({"--backup-dir", backups});
  struct Case {
    std::string name;
    std::string says;
  };
  for (const Case& k : {Case{"relative/dir", "'/' is not allowed"},
                        Case{dir.path() + "/abs", "'/' is not allowed"},
                        Case{"..", "may not start with '.'"},
                        Case{"two\nlines", "byte 0x0A is not allowed"},
                        Case{"taken", "exists already"},
                        Case{"link", "(a symlink)"}}) {
    const CliResult r = run_cli(broker, {"backup", k.name});
    EXPECT_EQ(r.code, 2) << k.name << ": " << r.out;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("INVALID_ARGUMENT"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(k.says), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/abs"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/log")) << "nothing through the symlink";
  EXPECT_EQ(run_cli(broker, {"health", "--json"}).code, 0) << "the broker still serves";
}

// The reply of a backup goes to the connection that asked, looked up when the backup ends: one
// that has closed by then is skipped, and the broker carries on.
TEST(ObserveCliE2E, BackupOutlivesItsConnection) {
  TempDir dir;
  const std::string target = dir.path() + "/orphan";
  BrokerProcess broker({"--backup-dir", dir.path()});
  {
    RawSocket s(broker.port());
    std::string frames;
    protocol::encode_hello(frames, 1, {protocol::kProtocolVersion, "observe-test", ""});
    protocol::encode_backup(frames, 2, "orphan");
    s.send(frames);
  }  // closed at once, before the checkpoint can have answered
  ASSERT_TRUE(wait_until([&] {
    return broker.log().find("backup to " + target + " done") != std::string::npos;
  })) << broker.log();
  EXPECT_TRUE(std::filesystem::is_directory(target + "/log"));
  const CliResult again = run_cli(broker, {"backup", "orphan-next", "--json"});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(parse_or_fail(again.out)["path"], target + "-next");
}

}  // namespace
}  // namespace symphony::testing
