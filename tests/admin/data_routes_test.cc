// /messages/{id}, /schedules..., /queues/{name}/purge and /backup against the real symphonyd.
#include <gtest/gtest.h>

#include "protocol/time_text.h"
#include "tests/admin/admin_test_support.h"

namespace symphony::testing {
namespace {

using client::DispatchOptions;
using nlohmann::json;

int64_t iso_ms(const json& v) {
  int64_t ms = 0;
  EXPECT_TRUE(v.is_string() && protocol::parse_time_ms(v.get<std::string>(), ms)) << v.dump();
  return ms;
}

TEST(AdminMessages, StatusFollowsTheLifecycle) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  auto c = connect_client(broker);
  const auto r = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("life"));
  ASSERT_TRUE(r.ok());
  const std::string path = "/messages/" + std::to_string(r.id);

  HttpReply s = http.get(path);
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.json()["id"], r.id);
  EXPECT_EQ(s.json()["status"], "pending");
  EXPECT_EQ(s.json()["queue"], "life");
  EXPECT_EQ(s.json()["attempts"], 0);

  c->subscribe({"life"}, 1);
  const auto d = receive_n(*c, 1);
  ASSERT_EQ(d.size(), 1u);
  s = http.get(path);
  EXPECT_EQ(s.json()["status"], "processing") << s.body;
  EXPECT_EQ(s.json()["attempts"], 1);

  ASSERT_EQ(c->ack(d[0].id, /*confirm=*/true).acked, 1u);
  s = http.get(path);
  ASSERT_EQ(s.status, 200) << "completed messages are remembered: " << s.body;
  EXPECT_EQ(s.json()["status"], "completed");
  EXPECT_GT(iso_ms(s.json()["at"]), 0);

  const HttpReply unknown = http.get("/messages/999999");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.json()["error"], "not_found");
  EXPECT_FALSE(unknown.json()["message"].get<std::string>().empty());
  for (const char* bad : {"abc", "0", "12a"}) {
    const HttpReply b = http.get(std::string("/messages/") + bad);
    EXPECT_EQ(b.status, 400) << bad;
    EXPECT_EQ(b.json()["field"], "id") << bad;
  }
}

class AdminSchedules : public ::testing::Test {
 protected:
  AdminSchedules() : http_(broker_.admin_port()) {}

  /// POST /schedules; expects 400 naming `field`.
  void expect_rejected(const std::string& body, const std::string& field) {
    const HttpReply r = http_.post("/schedules", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    if (r.status == 400) {
      EXPECT_EQ(r.json()["field"], field) << body << ": " << r.body;
      EXPECT_FALSE(r.json()["message"].get<std::string>().empty());
    }
  }

  BrokerProcess broker_;
  HttpClient http_;
};

TEST_F(AdminSchedules, CreateListShowEnableDisableDelete) {
  const HttpReply cron =
      http_.post("/schedules", R"({"name": "nightly", "type": "Report", "payload": {"month": 11},
                        "cron": "30 2 * * *", "timezone": "Europe/Paris", "priority": 7,
                        "headers": {"tenant": "acme"}})");
  ASSERT_EQ(cron.status, 201) << cron.body;
  json c = cron.json();
  EXPECT_GT(c["id"].get<uint64_t>(), 0u);
  EXPECT_EQ(c["name"], "nightly");
  EXPECT_EQ(c["kind"], "cron");
  EXPECT_EQ(c["cron"], "30 2 * * *");
  EXPECT_EQ(c["timezone"], "Europe/Paris");
  EXPECT_EQ(c["enabled"], true);
  EXPECT_EQ(c["run_count"], 0);
  EXPECT_EQ(c["message"]["type"], "Report");
  EXPECT_EQ(c["message"]["payload"], json({{"month", 11}}));
  EXPECT_EQ(c["message"]["priority"], 7);
  EXPECT_EQ(c["message"]["headers"]["tenant"], "acme");
  // 02:30 in Paris is 00:30 UTC in summer and 01:30 UTC in winter
  const std::string next = c["next_run_at"].get<std::string>();
  EXPECT_TRUE(next.find("T00:30:00.000Z") != std::string::npos ||
              next.find("T01:30:00.000Z") != std::string::npos)
      << next;
  EXPECT_GT(iso_ms(c["next_run_at"]), now_ms());
  EXPECT_LE(iso_ms(c["next_run_at"]), now_ms() + 25 * 3600 * 1000);

  const HttpReply interval = http_.post("/schedules", R"({"type": "Tick", "interval_ms": 60000})");
  ASSERT_EQ(interval.status, 201) << interval.body;
  EXPECT_EQ(interval.json()["kind"], "interval");
  EXPECT_EQ(interval.json()["interval_ms"], 60000);
  EXPECT_EQ(interval.json()["timezone"], "UTC");

  const HttpReply once =
      http_.post("/schedules", R"({"type": "Once", "at": "2099-01-01T00:00:00Z"})");
  ASSERT_EQ(once.status, 201) << once.body;
  EXPECT_EQ(once.json()["kind"], "once");
  EXPECT_EQ(once.json()["at"], "2099-01-01T00:00:00.000Z");
  EXPECT_EQ(once.json()["next_run_at"], "2099-01-01T00:00:00.000Z");

  const uint64_t id = c["id"].get<uint64_t>();
  const std::string path = "/schedules/" + std::to_string(id);
  const HttpReply list = http_.get("/schedules");
  ASSERT_EQ(list.status, 200) << list.body;
  std::set<uint64_t> ids;
  json listed = list.json();  // a named value: a range-for over a temporary's member dangles
  for (const auto& s : listed["schedules"]) ids.insert(s["id"].get<uint64_t>());
  EXPECT_EQ(ids, (std::set<uint64_t>{id, interval.json()["id"].get<uint64_t>(),
                                     once.json()["id"].get<uint64_t>()}));
  EXPECT_EQ(http_.get(path).json(), c);
  EXPECT_EQ(http_.get("/status").json()["schedules"], 3);

  const HttpReply off = http_.post(path + "/disable");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.json()["enabled"], false);
  EXPECT_EQ(off.json()["next_run_at"], "-");
  EXPECT_EQ(http_.get(path).json()["enabled"], false);
  const HttpReply on = http_.post(path + "/enable");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(on.json()["enabled"], true);
  EXPECT_EQ(on.json()["next_run_at"], c["next_run_at"]);

  const HttpReply del = http_.del(path);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json(), (json{{"id", id}, {"deleted", true}}));
  EXPECT_EQ(http_.get(path).status, 404);
  EXPECT_EQ(http_.get("/schedules").json()["schedules"].size(), 2u);

  for (const std::string& gone : {path, std::string("/schedules/999999")}) {
    EXPECT_EQ(http_.get(gone).status, 404) << gone;
    EXPECT_EQ(http_.del(gone).status, 404) << gone;
    EXPECT_EQ(http_.post(gone + "/enable").status, 404) << gone;
    EXPECT_EQ(http_.post(gone + "/disable").status, 404) << gone;
  }
  EXPECT_EQ(http_.get("/schedules/abc").json()["field"], "id");
  EXPECT_EQ(http_.post("/schedules/0/enable").json()["field"], "id");
}

TEST_F(AdminSchedules, InvalidSpecsAre400NamingTheField) {
  expect_rejected(R"({"type": "R", "cron": "61 * * * *"})", "cron");
  expect_rejected(R"({"type": "R", "cron": "not a cron"})", "cron");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "timezone": "Mars/Olympus"})", "timezone");
  expect_rejected(R"({"type": "R", "interval_ms": 0})", "interval_ms");
  expect_rejected(R"({"type": "R", "interval_ms": -5})", "interval_ms");
  expect_rejected(R"({"type": "R", "at": "next tuesday"})", "at");
  expect_rejected(R"({"cron": "0 3 * * *"})", "type");
  expect_rejected(R"({"type": 5, "cron": "0 3 * * *"})", "type");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "priority": 11})", "priority");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "priority": 0})", "priority");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "priority": "high"})", "priority");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "colour": "red"})", "colour");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "enabled": "yes"})", "enabled");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "headers": {"a": 1}})", "headers");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "metadata": [1]})", "metadata");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *)", "body");
  expect_rejected(R"(["type"])", "body");
  expect_rejected("", "type");  // an empty body is an empty object: the type is missing first

  // the kind is exactly one of at, interval_ms and cron; the error names one of them
  for (const char* body : {R"({"type": "R"})", R"({"type": "R", "cron": "0 3 * * *",
                                                   "interval_ms": 1000})",
                           R"({"type": "R", "at": 1, "interval_ms": 1000})"}) {
    const HttpReply r = http_.post("/schedules", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    const std::string field = r.json().value("field", "");
    EXPECT_TRUE(field == "at" || field == "interval_ms" || field == "cron") << r.body;
  }
  EXPECT_EQ(http_.get("/schedules").json()["schedules"], json::array()) << "nothing was created";
}

TEST_F(AdminSchedules, CoreValidationErrorsNameTheRequestKey) {
  expect_rejected(R"({"type": "R", "interval_ms": 5})", "interval_ms");  // under the 10 ms minimum
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "payload": [1]})", "payload");
  expect_rejected(R"({"type": "R", "cron": "0 3 * * *", "queue": "bad name!"})", "queue");
  expect_rejected(R"({"type": "", "cron": "0 3 * * *"})", "type");
}

TEST_F(AdminSchedules, AOneOffScheduleInThePastFiresAtOnce) {
  auto c = connect_client(broker_);
  c->subscribe({"fired"}, 1);
  const HttpReply r = http_.post(
      "/schedules",
      json{{"type", "Fire"}, {"queue", "fired"}, {"payload", {{"k", 1}}}, {"at", now_ms() - 1000}}
          .dump());
  ASSERT_EQ(r.status, 201) << r.body;
  const auto d = receive_n(*c, 1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].type, "Fire");
  EXPECT_EQ(d[0].payload, R"({"k":1})");
  const std::string path = "/schedules/" + r.json()["id"].dump();
  json after;
  EXPECT_TRUE(wait_until([&] {
    after = http_.get(path).json();
    return after["run_count"] == 1;
  })) << after.dump();
  EXPECT_EQ(after["next_run_at"], "-") << "a one-off runs once";
  EXPECT_NE(after["last_run_at"], "-");
}

TEST(AdminPurge, RemovesReadyAndDelayedMessages) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  auto c = connect_client(broker);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("pq")).ok());
  }
  ASSERT_TRUE(
      c->dispatch({"Later", "{}"}, DispatchOptions().with_queue("pq").with_delay_ms(600000)).ok());
  ASSERT_TRUE(c->dispatch({"Keep", "{}"}, DispatchOptions().with_queue("other")).ok());
  auto w = connect_client(broker);
  w->subscribe({"pq"}, 1);
  const auto leased = receive_n(*w, 1);  // one in flight: a purge leaves it to its consumer
  ASSERT_EQ(leased.size(), 1u);

  const HttpReply r = http.post("/queues/pq/purge");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), (json{{"queue", "pq"}, {"removed", 4}}));  // 3 ready + 1 delayed
  json q = http.get("/status").json()["queues"];
  EXPECT_EQ(q["pq"]["ready"], 0);
  EXPECT_EQ(q["pq"]["delayed"], 0);
  EXPECT_EQ(q["pq"]["in_flight"], 1);
  EXPECT_EQ(q["other"]["ready"], 1) << "other queues keep their messages";
  EXPECT_EQ(w->ack(leased[0].id).acked, 1u);
  EXPECT_EQ(http.post("/queues/pq/purge").json()["removed"], 0);

  const HttpReply unknown = http.post("/queues/nope/purge");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.json()["error"], "not_found");
  EXPECT_EQ(http.get("/queues/pq/purge").status, 405);
}

TEST(AdminPurge, ADeclaredQueueIsKnownBeforeItsFirstMessage) {
  ConfiguredBroker b("[queues.declared]\nmax_length = 10\n");
  HttpClient http(b.broker.admin_port());
  const HttpReply r = http.post("/queues/declared/purge");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().value("removed", -1), 0) << r.body;
  // the same root: /status leaves it out until then
  EXPECT_TRUE(http.get("/status").json()["queues"].contains("declared"));
}

TEST(AdminBackup, ABackupIsADataDirectoryAnotherBrokerCanStartFrom) {
  TempDir dir;
  const std::string backups = dir.path() + "/backups";
  std::string target;
  std::vector<uint64_t> ids;
  uint64_t dead_id = 0;
  uint64_t schedule_id = 0;
  {
    BrokerProcess broker({"--backup-dir", backups});
    HttpClient http(broker.admin_port());
    auto c = connect_client(broker);
    for (int i = 0; i < 3; ++i) {
      const auto r = c->dispatch({"Saved", "{\"n\":" + std::to_string(i) + "}"},
                                 DispatchOptions().with_queue("bq"));
      ASSERT_TRUE(r.ok());
      ids.push_back(r.id);
    }
    // a dead letter and a schedule go into the backup too
    ASSERT_TRUE(c->dispatch({"Dead", "{}"}, DispatchOptions().with_queue("bdead")).ok());
    auto w = connect_client(broker);
    w->subscribe({"bdead"}, 1);
    const auto d = receive_n(*w, 1);
    ASSERT_EQ(d.size(), 1u);
    w->nack(d[0].id, protocol::NackMode::kFatal, "kept", "Kept");
    dead_id = d[0].id;
    const HttpReply s = http.post("/schedules", R"({"type": "Nightly", "cron": "0 3 * * *"})");
    ASSERT_EQ(s.status, 201) << s.body;
    schedule_id = s.json()["id"].get<uint64_t>();
    const HttpReply r = http.post("/backup", json{{"name", "backup1"}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    target = backups + "/backup1";
    EXPECT_EQ(r.json()["name"], "backup1");
    EXPECT_EQ(r.json()["path"], target);
    EXPECT_GT(r.json()["bytes"].get<uint64_t>(), 0u);
    EXPECT_TRUE(r.json()["millis"].is_number_unsigned());
    // the backup directory was made for it, private to the broker's user
    EXPECT_EQ(std::filesystem::status(backups).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
    // work after the backup is not in it
    ASSERT_TRUE(c->dispatch({"After", "{}"}, DispatchOptions().with_queue("bq")).ok());
    ASSERT_EQ(http.post("/schedules", R"({"type": "After", "interval_ms": 60000})").status, 201);

    const HttpReply again = http.post("/backup", json{{"name", "backup1"}}.dump());
    EXPECT_EQ(again.status, 400) << "the name is taken now: " << again.body;
    EXPECT_EQ(again.json()["field"], "name");
  }
  BrokerProcess restored({}, target);
  HttpClient http(restored.admin_port());
  json bq = http.get("/status").json()["queues"]["bq"];
  EXPECT_EQ(bq["ready"], 3) << bq.dump();
  const HttpReply dead = http.get("/failed/" + std::to_string(dead_id));
  EXPECT_EQ(dead.status, 200) << dead.body;
  json schedules = http.get("/schedules").json()["schedules"];
  ASSERT_EQ(schedules.size(), 1u) << schedules.dump();
  EXPECT_EQ(schedules[0]["id"], schedule_id);
  auto c = connect_client(restored);
  c->subscribe({"bq"}, 10);
  const auto d = receive_n(*c, 3);
  ASSERT_EQ(d.size(), 3u);
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i].id, ids[i]);
    EXPECT_EQ(d[i].payload, "{\"n\":" + std::to_string(i) + "}");
  }
}

TEST(AdminBackup, ByDefaultBackupsGoInsideTheDataDirectory) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  const HttpReply r = http.post("/backup", R"({"name": "first"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string dir =
      std::filesystem::absolute(broker.data_dir()).lexically_normal().string() + "/backups";
  EXPECT_EQ(r.json()["path"], dir + "/first");
  EXPECT_TRUE(std::filesystem::is_directory(dir + "/first/log"));
}

// Before: POST /backup wrote wherever it was told ("..", symlinks, /dev/shm, names with
// newlines). Now anything but a new plain name inside the backup directory is a 400 naming the
// problem, and nothing is written anywhere.
TEST(AdminBackup, AnythingButANewNameIsA400AndWritesNothing) {
  TempDir dir;
  const std::string backups = dir.path() + "/backups";
  const std::string outside = dir.path() + "/outside";
  std::filesystem::create_directories(backups);
  std::filesystem::create_directories(outside);
  // a symlink in the way, pointing out of the backup directory (and a dangling one)
  std::filesystem::create_directory_symlink(outside, backups + "/link");
  std::filesystem::create_symlink(outside + "/nothing-here", backups + "/dangling");
  std::filesystem::create_directories(backups + "/taken");
  BrokerProcess broker({"--backup-dir", backups});
  HttpClient http(broker.admin_port());
  struct Bad {
    json body;
    std::string field;
    std::string says;
  };
  for (const Bad& bad : {
           Bad{{{"name", "../outside/x"}}, "name", "may not start with '.'"},
           Bad{{{"name", ".."}}, "name", "may not start with '.'"},
           Bad{{{"name", "a/../../outside/x"}}, "name", "'/' is not allowed"},
           Bad{{{"name", outside + "/abs"}}, "name", "'/' is not allowed"},
           Bad{{{"name", "/dev/shm/symphony-backup"}}, "name", "'/' is not allowed"},
           Bad{{{"name", "new\nline"}}, "name", "byte 0x0A is not allowed"},
           Bad{{{"name", std::string("nul\0byte", 8)}}, "name", "byte 0x00 is not allowed"},
           Bad{{{"name", ""}}, "name", "give the backup a name"},
           Bad{{{"name", std::string(129, 'n')}}, "name", "at most 128 characters"},
           Bad{{{"name", "link"}}, "name", "exists already in the backup directory (a symlink)"},
           Bad{{{"name", "dangling"}}, "name", "(a symlink)"},
           Bad{{{"name", "taken"}}, "name", "exists already"},
           Bad{{{"path", outside + "/old-style"}}, "path", "takes {\"name\": NAME}"},
           Bad{{{"name", "ok"}, {"compress", true}}, "compress", "unknown key"},
           Bad{json::object(), "name", "is required"},
           Bad{{{"name", 42}}, "name", "is required"},
       }) {
    const HttpReply r = http.post("/backup", bad.body.dump());
    EXPECT_EQ(r.status, 400) << bad.body.dump() << ": " << r.body;
    EXPECT_EQ(r.json()["field"], bad.field) << bad.body.dump() << ": " << r.body;
    EXPECT_NE(r.json()["message"].get<std::string>().find(bad.says), std::string::npos)
        << bad.body.dump() << ": " << r.body;
  }
  EXPECT_EQ(http.post("/backup", "nope").json()["field"], "body");
  EXPECT_TRUE(std::filesystem::is_empty(outside)) << "a refused backup wrote nothing outside";
  EXPECT_FALSE(std::filesystem::exists("/dev/shm/symphony-backup"));
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(backups)) ++entries;
  EXPECT_EQ(entries, 3u) << "only link, dangling and taken";
  // and the broker still takes a good one
  EXPECT_EQ(http.post("/backup", R"({"name": "good.1"})").status, 200);
}

}  // namespace
}  // namespace symphony::testing
