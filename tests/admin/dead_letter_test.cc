// /failed: list with filters and paging, detail with the attempt history, retry, delete and
// purge, against the real symphonyd.
#include <gtest/gtest.h>

#include "protocol/time_text.h"
#include "tests/admin/admin_test_support.h"

namespace symphony::testing {
namespace {

using client::DispatchOptions;
using nlohmann::json;
using protocol::NackMode;

/// A broker with fast retries, a producer and a worker.
class AdminFailed : public ::testing::Test {
 protected:
  AdminFailed()
      : b_(kFastRetryToml), http_(b_.broker.admin_port()), producer_(connect_client(b_.broker)) {}

  /// Dispatches one message and dead-letters it at once with a fatal nack; returns its id.
  uint64_t dead_now(const std::string& queue, const std::string& type,
                    const std::string& error_class, const std::string& payload = "{}") {
    const auto r = producer_->dispatch({type, payload}, DispatchOptions().with_queue(queue));
    EXPECT_TRUE(r.ok());
    auto w = connect_client(b_.broker);
    w->subscribe({queue}, 1);
    const auto d = receive_n(*w, 1);
    if (d.empty()) return 0;
    EXPECT_EQ(d[0].id, r.id);
    EXPECT_EQ(w->nack(d[0].id, NackMode::kFatal, "failed: " + type, error_class).outcome,
              protocol::NackOutcome::kDeadLettered);
    return r.id;
  }

  /// Dispatches one message and fails it retryably until its retries (2) are exhausted.
  uint64_t dead_after_retries(const std::string& queue, const std::string& type,
                              const std::string& error_class) {
    const auto r = producer_->dispatch(
        {type, R"({"n":7})"}, DispatchOptions().with_queue(queue).with_header("tenant", "acme"));
    EXPECT_TRUE(r.ok());
    auto w = connect_client(b_.broker);
    w->subscribe({queue}, 1);
    for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
      const auto d = receive_n(*w, 1);
      if (d.empty()) return 0;
      EXPECT_EQ(d[0].attempt, attempt);
      const auto res = w->nack(d[0].id, NackMode::kRetry,
                               "attempt " + std::to_string(attempt) + " timed out", error_class);
      EXPECT_EQ(res.outcome, attempt < 3 ? protocol::NackOutcome::kRetryScheduled
                                         : protocol::NackOutcome::kDeadLettered);
    }
    return r.id;
  }

  std::vector<uint64_t> listed_ids(const std::string& query) {
    const HttpReply r = http_.get("/failed" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::vector<uint64_t> ids;
    json j = r.json();  // a named value: a range-for over a temporary's member dangles
    for (const auto& item : j["items"]) ids.push_back(item["id"].get<uint64_t>());
    return ids;
  }

  ConfiguredBroker b_;
  HttpClient http_;
  std::unique_ptr<client::Client> producer_;
};

TEST_F(AdminFailed, ListFiltersByQueueTypeClassAndTime) {
  const uint64_t a1 = dead_now("fa", "Email", "SmtpError");
  const uint64_t a2 = dead_now("fa", "Email", "SmtpError");
  // everything above failed at or before `mid`, everything below after it
  const int64_t mid = now_ms();
  ASSERT_TRUE(wait_until([&] { return now_ms() > mid; }));
  const uint64_t b1 = dead_now("fb", "Sms", "GatewayError");
  const uint64_t b2 = dead_after_retries("fa", "Sms", "TimeoutError");

  const HttpReply all = http_.get("/failed");
  ASSERT_EQ(all.status, 200) << all.body;
  json j = all.json();
  EXPECT_EQ(j["total"], 4);
  EXPECT_EQ(j["next_cursor"], "");
  // newest first
  std::vector<uint64_t> ids;
  for (const auto& item : j["items"]) ids.push_back(item["id"].get<uint64_t>());
  EXPECT_EQ(ids, (std::vector<uint64_t>{b2, b1, a2, a1}));
  json& newest = j["items"][0];
  EXPECT_EQ(newest["queue"], "fa");
  EXPECT_EQ(newest["type"], "Sms");
  EXPECT_EQ(newest["attempts"], 3);
  EXPECT_EQ(newest["error"], "attempt 3 timed out");
  EXPECT_EQ(newest["error_class"], "TimeoutError");
  EXPECT_EQ(newest["priority"], 5);

  EXPECT_EQ(listed_ids("?queue=fa"), (std::vector<uint64_t>{b2, a2, a1}));
  EXPECT_EQ(listed_ids("?type=Sms"), (std::vector<uint64_t>{b2, b1}));
  EXPECT_EQ(listed_ids("?error_class=SmtpError"), (std::vector<uint64_t>{a2, a1}));
  EXPECT_EQ(listed_ids("?queue=fa&type=Sms"), (std::vector<uint64_t>{b2}));
  EXPECT_EQ(listed_ids("?queue=nothing"), (std::vector<uint64_t>{}));
  EXPECT_EQ(http_.get("/failed?queue=fa").json()["total"], 3);

  const std::string mid_ms = std::to_string(mid);
  const std::string after_ms = std::to_string(mid + 1);
  EXPECT_EQ(listed_ids("?until=" + mid_ms), (std::vector<uint64_t>{a2, a1}));
  EXPECT_EQ(listed_ids("?since=" + after_ms), (std::vector<uint64_t>{b2, b1}));
  // the same bounds as ISO 8601
  const std::string mid_iso = protocol::format_iso8601_ms(mid);
  const std::string after_iso = protocol::format_iso8601_ms(mid + 1);
  EXPECT_EQ(listed_ids("?until=" + mid_iso), (std::vector<uint64_t>{a2, a1})) << mid_iso;
  EXPECT_EQ(listed_ids("?since=" + after_iso), (std::vector<uint64_t>{b2, b1})) << after_iso;
  EXPECT_EQ(listed_ids("?since=" + after_ms + "&type=Email"), (std::vector<uint64_t>{}));

  for (const char* bad : {"?since=yesterday", "?until=2026-13-45", "?limit=0", "?limit=1001",
                          "?limit=x", "?cursor=abc", "?cursor=5:0", "?sort=asc"}) {
    const HttpReply r = http_.get(std::string("/failed") + bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    const std::string q(bad + 1);
    EXPECT_EQ(r.json()["field"], q.substr(0, q.find('='))) << bad << ": " << r.body;
  }
}

TEST_F(AdminFailed, PagingWithACursorVisitsEveryDeadLetterOnce) {
  constexpr int kCount = 7;
  std::set<uint64_t> expected;
  // a batch failed in one go: many share a failed_at millisecond, so the cursor's id tie-break
  // matters
  std::vector<client::OutgoingMessage> batch(kCount);
  for (auto& m : batch) {
    m.message = {"Page", "{}"};
    m.options.queue = "page";
  }
  for (const auto& r : producer_->dispatch_batch(batch)) {
    ASSERT_TRUE(r.ok());
    expected.insert(r.id);
  }
  auto w = connect_client(b_.broker);
  w->subscribe({"page"}, kCount);
  for (const auto& d : receive_n(*w, kCount)) w->nack(d.id, NackMode::kFatal, "no", "Page");
  dead_now("other", "Other", "X");  // filtered out below

  std::set<uint64_t> seen;
  std::vector<size_t> page_sizes;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    std::string q = "/failed?queue=page&limit=3";
    if (!cursor.empty()) q += "&cursor=" + cursor;
    const HttpReply r = http_.get(q);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = r.json();
    EXPECT_EQ(j["total"], kCount) << "total counts every match, whatever the page";
    page_sizes.push_back(j["items"].size());
    for (const auto& item : j["items"]) {
      EXPECT_TRUE(seen.insert(item["id"].get<uint64_t>()).second)
          << "id " << item["id"] << " listed twice";
    }
    cursor = j["next_cursor"].get<std::string>();
    if (cursor.empty()) break;
  }
  EXPECT_EQ(page_sizes, (std::vector<size_t>{3, 3, 1}));
  EXPECT_EQ(seen, expected);
}

TEST_F(AdminFailed, DetailShowsEveryAttempt) {
  const uint64_t id = dead_after_retries("hist", "Report", "TimeoutError");
  const HttpReply r = http_.get("/failed/" + std::to_string(id));
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["id"], id);
  EXPECT_EQ(j["queue"], "hist");
  EXPECT_EQ(j["type"], "Report");
  EXPECT_EQ(j["attempts"], 3);
  EXPECT_EQ(j["payload"], json({{"n", 7}}));
  EXPECT_EQ(j["headers"].value("tenant", ""), "acme") << r.body;
  // the broker's own headers, as the worker saw them
  EXPECT_EQ(j["headers"].value("message-type", ""), "Report") << r.body;
  EXPECT_EQ(j["headers"].value("message-id", ""), std::to_string(id)) << r.body;
  EXPECT_EQ(j["headers"].value("dispatched-at", ""), j["created_at"]) << r.body;
  ASSERT_EQ(j["failures"].size(), 3u) << r.body;
  for (int i = 0; i < 3; ++i) {
    json& f = j["failures"][i];
    EXPECT_EQ(f["attempt"], i + 1);
    EXPECT_EQ(f["error"], "attempt " + std::to_string(i + 1) + " timed out");
    EXPECT_EQ(f["error_class"], "TimeoutError");
    int64_t at = 0;
    EXPECT_TRUE(protocol::parse_time_ms(f["failed_at"].get<std::string>(), at)) << f.dump();
  }
  EXPECT_EQ(j["failed_at"], j["failures"][2]["failed_at"]);

  const HttpReply missing = http_.get("/failed/999999");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"], "not_found");
  for (const char* bad : {"abc", "0", "-1", "1x", "99999999999999999999999"}) {
    const HttpReply b = http_.get(std::string("/failed/") + bad);
    EXPECT_EQ(b.status, 400) << bad << ": " << b.body;
    EXPECT_EQ(b.json()["field"], "id") << bad;
  }
  // a live (not dead) message is not a dead letter
  const auto live = producer_->dispatch({"Live", "{}"}, DispatchOptions().with_queue("hist"));
  EXPECT_EQ(http_.get("/failed/" + std::to_string(live.id)).status, 404);
}

TEST_F(AdminFailed, RetryOneSendsItBackToItsQueue) {
  const uint64_t id = dead_now("rq", "Job", "Boom", R"({"x":1})");
  const std::string path = "/failed/" + std::to_string(id);

  const HttpReply dry = http_.post(path + "/retry?dry_run=true");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.json()["ids"], json::array({id}));
  EXPECT_EQ(dry.json()["count"], 1);
  EXPECT_EQ(dry.json()["dry_run"], true);
  EXPECT_EQ(http_.get(path).status, 200) << "a dry run changes nothing";
  EXPECT_EQ(http_.get("/messages/" + std::to_string(id)).json()["status"], "failed");

  const HttpReply r = http_.post(path + "/retry");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["ids"], json::array({id}));
  EXPECT_EQ(r.json()["dry_run"], false);
  EXPECT_EQ(http_.get(path).status, 404) << "no longer a dead letter";
  json st = http_.get("/messages/" + std::to_string(id)).json();
  EXPECT_EQ(st["status"], "pending");
  EXPECT_EQ(st["queue"], "rq");
  EXPECT_EQ(st["attempts"], 0) << "the retry count starts again";
  EXPECT_EQ(http_.post(path + "/retry").status, 404) << "retrying it twice";

  auto w = connect_client(b_.broker);
  w->subscribe({"rq"}, 1);
  const auto d = receive_n(*w, 1);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, id);
  EXPECT_EQ(d[0].attempt, 1u);
  EXPECT_EQ(d[0].payload, R"({"x":1})");

  EXPECT_EQ(http_.post("/failed/999999/retry").status, 404);
  const HttpReply bad = http_.post("/failed/abc/retry");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["field"], "id");
  const HttpReply bad_flag = http_.post(path + "/retry?dry_run=maybe");
  EXPECT_EQ(bad_flag.status, 400);
  EXPECT_EQ(bad_flag.json()["field"], "dry_run");
}

TEST_F(AdminFailed, RetryManyByFilterOrIds) {
  const uint64_t a = dead_now("ma", "Job", "E");
  const uint64_t b = dead_now("mb", "Job", "E");
  const uint64_t c = dead_now("mb", "Job", "E");
  const uint64_t d = dead_now("mc", "Job", "E");

  // a dry run of everything lists everything and moves nothing
  const HttpReply dry = http_.post("/failed/retry", R"({"all": true, "dry_run": true})");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.json()["count"], 4);
  EXPECT_EQ(http_.get("/failed").json()["total"], 4);

  const HttpReply by_queue = http_.post("/failed/retry", R"({"queue": "mb"})");
  ASSERT_EQ(by_queue.status, 200) << by_queue.body;
  std::set<uint64_t> retried;
  json by_queue_json = by_queue.json();
  for (const auto& v : by_queue_json["ids"]) retried.insert(v.get<uint64_t>());
  EXPECT_EQ(retried, (std::set<uint64_t>{b, c}));
  EXPECT_EQ(http_.get("/messages/" + std::to_string(b)).json()["status"], "pending");

  const HttpReply by_ids = http_.post("/failed/retry", json{{"ids", {a, 999999}}}.dump());
  ASSERT_EQ(by_ids.status, 200) << by_ids.body;
  EXPECT_EQ(by_ids.json()["ids"], json::array({a}));
  ASSERT_EQ(by_ids.json()["failures"].size(), 1u) << by_ids.body;
  EXPECT_EQ(by_ids.json()["failures"][0]["id"], 999999);
  EXPECT_EQ(by_ids.json()["failures"][0]["error"], "UNKNOWN_MESSAGE");
  EXPECT_EQ(listed_ids(""), (std::vector<uint64_t>{d}));

  // nothing to say what to retry is refused, not "retry everything"
  for (const char* body : {"", "{}", R"({"dry_run": true})"}) {
    const HttpReply r = http_.post("/failed/retry", body);
    EXPECT_EQ(r.status, 400) << "body '" << body << "': " << r.body;
    EXPECT_EQ(r.json()["field"], "body") << body;
  }
  struct Bad {
    const char* body;
    const char* field;
  };
  for (const Bad& bad : {Bad{R"({"ids": []})", "ids"}, Bad{R"({"ids": [0]})", "ids"},
                         Bad{R"({"ids": ["1"]})", "ids"}, Bad{R"({"queue": 5})", "queue"},
                         Bad{R"({"since": "soon"})", "since"}, Bad{R"({"bogus": 1})", "bogus"},
                         Bad{R"({"all": true, "dry_run": "yes"})", "dry_run"}, Bad{"[1,2]", "body"},
                         Bad{"{not json", "body"}}) {
    const HttpReply r = http_.post("/failed/retry", bad.body);
    EXPECT_EQ(r.status, 400) << bad.body << ": " << r.body;
    EXPECT_EQ(r.json()["field"], bad.field) << bad.body << ": " << r.body;
  }
  EXPECT_EQ(listed_ids(""), (std::vector<uint64_t>{d})) << "refused requests changed nothing";
}

TEST_F(AdminFailed, DeleteOnePurgeByFilterAndPurgeAll) {
  const uint64_t a = dead_now("da", "Job", "E");
  dead_now("db", "Job", "E");
  dead_now("db", "Job", "E");
  const uint64_t c = dead_now("dc", "Job", "E");
  dead_now("dd", "Job", "E");

  const HttpReply one = http_.del("/failed/" + std::to_string(a));
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["ids"], json::array({a}));
  EXPECT_EQ(http_.get("/failed/" + std::to_string(a)).status, 404);
  EXPECT_EQ(http_.get("/messages/" + std::to_string(a)).status, 404) << "deleted for good";
  EXPECT_EQ(http_.del("/failed/" + std::to_string(a)).status, 404) << "deleting it twice";
  EXPECT_EQ(http_.del("/failed/0").json()["field"], "id");

  const HttpReply by_queue = http_.del("/failed?queue=db");
  ASSERT_EQ(by_queue.status, 200) << by_queue.body;
  EXPECT_EQ(by_queue.json()["count"], 2);
  EXPECT_EQ(http_.get("/failed?queue=db").json()["total"], 0);
  EXPECT_EQ(http_.get("/failed").json()["total"], 2);

  const HttpReply unfiltered = http_.del("/failed");
  EXPECT_EQ(unfiltered.status, 400) << unfiltered.body;
  EXPECT_EQ(unfiltered.json()["field"], "all");
  EXPECT_EQ(http_.del("/failed?all=false").status, 400);
  EXPECT_EQ(http_.del("/failed?all=perhaps").json()["field"], "all");
  EXPECT_EQ(http_.get("/failed").json()["total"], 2) << "refused purges deleted nothing";
  EXPECT_EQ(http_.get("/failed/" + std::to_string(c)).status, 200);

  const HttpReply everything = http_.del("/failed?all=true");
  ASSERT_EQ(everything.status, 200) << everything.body;
  EXPECT_EQ(everything.json()["count"], 2);
  EXPECT_EQ(http_.get("/failed").json()["total"], 0);
  EXPECT_EQ(http_.get("/failed").json()["items"], json::array());
}

TEST_F(AdminFailed, ErrorTextThatIsNotUtf8DoesNotBreakTheListing) {
  // a worker passing on a C library's Latin-1 message: "café" with é as the single byte 0xE9
  const auto r = producer_->dispatch({"Job", "{}"}, DispatchOptions().with_queue("latin1"));
  ASSERT_TRUE(r.ok());
  auto w = connect_client(b_.broker);
  w->subscribe({"latin1"}, 1);
  ASSERT_EQ(receive_n(*w, 1).size(), 1u);
  w->nack(r.id, NackMode::kFatal, "caf\xe9 closed", "Latin1\xe9");

  for (const std::string& target : {std::string("/failed"), "/failed/" + std::to_string(r.id)}) {
    HttpReply res;
    try {
      res = http_.get(target);
    } catch (const std::exception& e) {
      // signal 0 only waits: a broker on its way out by itself reports its own exit code
      int code = b_.broker.terminate(2s, 0);
      if (code == -1) code = b_.broker.terminate();
      FAIL() << target << ": " << e.what() << "; symphonyd exit code " << code << "\n"
             << b_.broker.log();
    }
    EXPECT_EQ(res.status, 200) << target;
    EXPECT_TRUE(nlohmann::json::accept(res.body)) << res.body;
  }
  EXPECT_EQ(HttpClient(b_.broker.admin_port()).get("/health").status, 200);
}

}  // namespace
}  // namespace symphony::testing
