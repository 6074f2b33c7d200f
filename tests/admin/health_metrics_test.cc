// GET /, /health, /ready, /metrics and /status against the real symphonyd: the numbers must be
// exactly what the test did through the binary protocol.
#include <gtest/gtest.h>

#include "tests/admin/admin_test_support.h"

namespace symphony::testing {
namespace {

using client::DispatchOptions;
using nlohmann::json;
using protocol::NackMode;

// The default threshold (1 GiB) would make "healthy" depend on the test machine's disk.
constexpr const char* kSmallDiskThreshold = "[health]\nmin_free_disk_mb = 1\n";

TEST(AdminHealth, FreshBrokerIsHealthyAndReady) {
  ConfiguredBroker b(kSmallDiskThreshold);
  HttpClient http(b.broker.admin_port());
  const HttpReply h = http.get("/health");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(h.header("content-type"), "application/json");
  json j = h.json();
  EXPECT_EQ(j["status"], "healthy") << h.body;
  EXPECT_TRUE(j["reasons"].empty()) << h.body;
  EXPECT_EQ(j["checks"]["storage"], "ok");
  EXPECT_GT(j["checks"]["free_disk_bytes"].get<uint64_t>(), 0u);
  EXPECT_TRUE(j["checks"]["full_queues"].empty());

  const HttpReply r = http.get("/ready");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), (json{{"ready", true}}));

  const HttpReply page = http.get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.header("content-type").find("text/html"), std::string::npos);
  EXPECT_FALSE(page.body.empty());

  // probes take no parameters: a typo is an error, not silently ignored
  const HttpReply bad = http.get("/health?verbose=1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["field"], "verbose");
}

TEST(AdminHealth, DegradedWhileAQueueIsAtItsMaxLength) {
  ConfiguredBroker b(std::string(kSmallDiskThreshold) + "[queues.q]\nmax_length = 2\n");
  HttpClient http(b.broker.admin_port());
  auto c = connect_client(b.broker);
  ASSERT_TRUE(c->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).ok());
  EXPECT_EQ(http.get("/health").json()["status"], "healthy") << "one below the limit";
  ASSERT_TRUE(c->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).ok());
  EXPECT_EQ(c->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).code,
            protocol::ErrorCode::kQueueFull);

  const HttpReply h = http.get("/health");
  ASSERT_EQ(h.status, 200) << "degraded still serves: " << h.body;
  json j = h.json();
  EXPECT_EQ(j["status"], "degraded");
  ASSERT_EQ(j["reasons"].size(), 1u) << h.body;
  EXPECT_NE(j["reasons"][0].get<std::string>().find("'q'"), std::string::npos) << h.body;
  EXPECT_EQ(j["checks"]["full_queues"], json::array({"q"}));
  EXPECT_EQ(http.get("/ready").status, 200);

  // it is the current state, not a latch: one consumed message makes room again
  c->subscribe({"q"}, 1);
  auto d = receive_n(*c, 1);
  ASSERT_EQ(d.size(), 1u);
  c->ack(d[0].id);
  EXPECT_EQ(http.get("/health").json()["status"], "healthy");
}

TEST(AdminHealth, DegradedWhenFreeDiskIsUnderTheThreshold) {
  ConfiguredBroker b("[health]\nmin_free_disk_mb = 1073741824\n");  // 1 PiB
  HttpClient http(b.broker.admin_port());
  const HttpReply h = http.get("/health");
  ASSERT_EQ(h.status, 200) << h.body;
  json j = h.json();
  EXPECT_EQ(j["status"], "degraded");
  ASSERT_EQ(j["reasons"].size(), 1u) << h.body;
  EXPECT_NE(j["reasons"][0].get<std::string>().find("free disk"), std::string::npos) << h.body;
  EXPECT_EQ(http.get("/ready").status, 200) << "low disk does not take the broker out";
}

TEST(AdminHealth, DegradedAfterLeaseExpiriesOverTheThreshold) {
  // a 20 ms lease that nobody acks, no retries: one expiry, and the message is dead
  ConfiguredBroker b(std::string(kSmallDiskThreshold) +
                     "max_expired_per_minute = 0\n[queues.lq]\nlease_ms = 20\n"
                     "[retry.default]\nmax_retries = 0\n");
  HttpClient http(b.broker.admin_port());
  auto c = connect_client(b.broker);
  const auto r = c->dispatch({"Slow", "{}"}, DispatchOptions().with_queue("lq"));
  ASSERT_TRUE(r.ok());
  c->subscribe({"lq"}, 1);
  ASSERT_EQ(receive_n(*c, 1).size(), 1u);
  std::map<std::string, double> m;
  EXPECT_TRUE(wait_until([&] {
    m = scrape(http);
    return sample(m, "symphony_leases_expired_total{queue=\"lq\"}") == 1;
  })) << "the lease never expired";
  EXPECT_EQ(sample(m, "symphony_queue_dead{queue=\"lq\"}"), 1);
  EXPECT_EQ(sample(m, "symphony_queue_in_flight{queue=\"lq\"}"), 0);

  json h = http.get("/health").json();
  EXPECT_EQ(h["status"], "degraded") << h.dump();
  EXPECT_EQ(h["checks"]["expired_leases_last_minute"], 1) << h.dump();
  json failed = http.get("/failed?error_class=LeaseExpired").json();
  ASSERT_EQ(failed["items"].size(), 1u) << failed.dump();
  EXPECT_EQ(failed["items"][0]["id"], r.id);
  EXPECT_EQ(failed["items"][0]["error"], "lease expired");
  EXPECT_EQ(http.get("/status").json()["queues"]["lq"]["rates"]["1m"]["expired"], 1);
}

TEST(AdminMetrics, CountersGaugesAndHistogramsMatchWhatHappened) {
  ConfiguredBroker b(kFastRetryToml);
  HttpClient http(b.broker.admin_port());
  {
    const HttpReply r = http.get("/metrics");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(metrics_format_problem(r.body), "") << r.body;
  }
  auto producer = connect_client(b.broker);
  auto worker = connect_client(b.broker);
  std::vector<uint64_t> ids;
  for (int i = 1; i <= 5; ++i) {
    const auto r = producer->dispatch(
        {"Job", "{}"},
        DispatchOptions().with_queue("mq").with_idempotency_key("k" + std::to_string(i)));
    ASSERT_TRUE(r.ok());
    ids.push_back(r.id);
  }
  const auto dup = producer->dispatch(
      {"Job", "{}"}, DispatchOptions().with_queue("mq").with_idempotency_key("k1"));
  ASSERT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.id, ids[0]);

  worker->subscribe({"mq"}, 10);
  const auto first = receive_n(*worker, 5);
  ASSERT_EQ(first.size(), 5u);
  EXPECT_EQ(worker->ack(first[0].id).acked, 1u);
  EXPECT_EQ(worker->ack(first[1].id).acked, 1u);
  EXPECT_EQ(worker->nack(first[2].id, NackMode::kRetry, "try again", "Timeout").outcome,
            protocol::NackOutcome::kRetryScheduled);
  EXPECT_EQ(worker->nack(first[3].id, NackMode::kFatal, "broken", "Invalid").outcome,
            protocol::NackOutcome::kDeadLettered);
  // first[4] stays leased; the retried one comes back after 10 ms
  const auto again = receive_n(*worker, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, first[2].id);
  EXPECT_EQ(again[0].attempt, 2u);
  EXPECT_EQ(worker->ack(again[0].id).acked, 1u);

  const auto m = scrape(http);
  const std::string q = "{queue=\"mq\"}";
  EXPECT_EQ(sample(m, "symphony_ready"), 1);
  EXPECT_EQ(sample(m, "symphony_messages_dispatched_total" + q), 5);
  EXPECT_EQ(sample(m, "symphony_messages_delivered_total" + q), 6);
  EXPECT_EQ(sample(m, "symphony_messages_acked_total" + q), 3);
  EXPECT_EQ(sample(m, "symphony_messages_nacked_total{queue=\"mq\",retryable=\"true\"}"), 1);
  EXPECT_EQ(sample(m, "symphony_messages_nacked_total{queue=\"mq\",retryable=\"false\"}"), 1);
  EXPECT_EQ(sample(m, "symphony_messages_released_total" + q), 0);
  EXPECT_EQ(sample(m, "symphony_messages_retried_total" + q), 1);
  EXPECT_EQ(sample(m, "symphony_messages_dead_lettered_total" + q), 1);
  EXPECT_EQ(sample(m, "symphony_leases_expired_total" + q), 0);
  EXPECT_EQ(sample(m, "symphony_duplicates_total" + q), 1);
  EXPECT_EQ(sample(m, "symphony_queue_ready" + q), 0);
  EXPECT_EQ(sample(m, "symphony_queue_delayed" + q), 0);
  EXPECT_EQ(sample(m, "symphony_queue_in_flight" + q), 1);
  EXPECT_EQ(sample(m, "symphony_queue_dead" + q), 1);
  EXPECT_EQ(sample(m, "symphony_queue_consumers" + q), 1);
  // an attempt ends in an ack or a (non-release) nack: 3 + 2; first deliveries only: 5
  EXPECT_EQ(sample(m, "symphony_processing_seconds_count" + q), 5);
  EXPECT_EQ(sample(m, "symphony_processing_seconds_bucket{queue=\"mq\",le=\"+Inf\"}"), 5);
  EXPECT_GE(sample(m, "symphony_processing_seconds_sum" + q), 0);
  EXPECT_EQ(sample(m, "symphony_end_to_end_seconds_count" + q), 5);
  EXPECT_EQ(sample(m, "symphony_end_to_end_seconds_bucket{queue=\"mq\",le=\"+Inf\"}"), 5);
  // buckets are cumulative
  double previous = 0;
  for (const char* le : {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "+Inf"}) {
    const double v = sample(
        m, std::string("symphony_processing_seconds_bucket{queue=\"mq\",le=\"") + le + "\"}");
    EXPECT_GE(v, previous) << "le=" << le;
    previous = v;
  }
  EXPECT_GT(sample(m, "symphony_log_commits_total"), 0);
  EXPECT_GT(sample(m, "symphony_log_commit_seconds_count"), 0);
  EXPECT_GT(sample(m, "symphony_log_records_total"), 0);
  EXPECT_EQ(sample(m, "symphony_connections"), 2);
  EXPECT_GE(sample(m, "symphony_connections_accepted_total"), 2);
  EXPECT_EQ(sample(m, "symphony_auth_failures_total"), 0);
  EXPECT_EQ(sample(m, "symphony_schedules"), 0);

  // closing the worker hands its lease back, and the connection gauge follows
  worker.reset();
  producer.reset();
  std::map<std::string, double> after;
  EXPECT_TRUE(wait_until([&] {
    after = scrape(http);
    return sample(after, "symphony_connections") == 0;
  })) << "symphony_connections stayed at "
      << sample(after, "symphony_connections");
  EXPECT_EQ(sample(after, "symphony_queue_in_flight" + q), 0);
  EXPECT_EQ(sample(after, "symphony_queue_ready" + q), 1);
  EXPECT_EQ(sample(after, "symphony_queue_consumers" + q), 0);
}

TEST(AdminStatus, CountsAndRatesMatchWhatHappened) {
  ConfiguredBroker b(kFastRetryToml);
  HttpClient http(b.broker.admin_port());
  auto c = connect_client(b.broker);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("sq")).ok());
  }
  ASSERT_TRUE(c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("idle")).ok());
  c->subscribe({"sq"}, 10);
  const auto d = receive_n(*c, 4);
  ASSERT_EQ(d.size(), 4u);
  c->ack(d[0].id);
  c->ack(d[1].id);
  c->nack(d[2].id, NackMode::kRetry, "later");
  c->nack(d[3].id, NackMode::kFatal, "never");
  const auto again = receive_n(*c, 1);
  ASSERT_EQ(again.size(), 1u);
  c->ack(again[0].id);

  const HttpReply r = http.get("/status");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.json();
  EXPECT_EQ(j["schedules"], 0);
  EXPECT_TRUE(j["time"].is_string());
  json& sq = j["queues"]["sq"];
  EXPECT_EQ(sq["ready"], 0);
  EXPECT_EQ(sq["delayed"], 0);
  EXPECT_EQ(sq["in_flight"], 0);
  EXPECT_EQ(sq["dead"], 1);
  EXPECT_EQ(sq["consumers"], 1);
  EXPECT_EQ(sq["dispatched_total"], 4);
  EXPECT_EQ(sq["delivered_total"], 5);
  EXPECT_EQ(sq["acked_total"], 3);
  EXPECT_EQ(sq["retried_total"], 1);
  EXPECT_EQ(sq["dead_lettered_total"], 1);
  EXPECT_EQ(sq["max_length"], 0);
  ASSERT_EQ(sq["rates"].size(), 3u) << "1m, 5m and 60m by default: " << sq["rates"].dump();
  for (const char* w : {"1m", "5m", "60m"}) {
    json& rate = sq["rates"][w];
    EXPECT_EQ(rate["dispatched"], 4) << w;
    EXPECT_EQ(rate["acked"], 3) << w;
    EXPECT_EQ(rate["retried"], 1) << w;
    EXPECT_EQ(rate["dead_lettered"], 1) << w;
    EXPECT_EQ(rate["expired"], 0) << w;
    // settled for good: 3 acked of 3 + 1 dead; attempts: 3 acked + 1 retried + 1 dead
    EXPECT_DOUBLE_EQ(rate["success_rate"].get<double>(), 0.75) << w;
    EXPECT_DOUBLE_EQ(rate["retry_rate"].get<double>(), 0.2) << w;
    EXPECT_TRUE(rate["avg_processing_ms"].is_number()) << w;
  }
  EXPECT_DOUBLE_EQ(sq["rates"]["1m"]["dispatch_per_s"].get<double>(), 4.0 / 60);
  EXPECT_DOUBLE_EQ(sq["rates"]["1m"]["ack_per_s"].get<double>(), 3.0 / 60);
  EXPECT_DOUBLE_EQ(sq["rates"]["5m"]["dispatch_per_s"].get<double>(), 4.0 / 300);
  // nothing settled on "idle": no made-up rates
  json& idle = j["queues"]["idle"]["rates"]["1m"];
  EXPECT_EQ(idle["dispatched"], 1);
  EXPECT_TRUE(idle["success_rate"].is_null()) << idle.dump();
  EXPECT_TRUE(idle["retry_rate"].is_null()) << idle.dump();
  // totals add the queues up
  EXPECT_EQ(j["totals"]["dispatched_total"], 5);
  EXPECT_EQ(j["totals"]["ready"], 1);
  EXPECT_EQ(j["totals"]["rates"]["1m"]["dispatched"], 5);
  EXPECT_EQ(j["totals"]["rates"]["1m"]["acked"], 3);

  const HttpReply five = http.get("/status?minutes=5");
  ASSERT_EQ(five.status, 200) << five.body;
  json rates5 = five.json()["queues"]["sq"]["rates"];
  ASSERT_EQ(rates5.size(), 1u) << rates5.dump();
  EXPECT_EQ(rates5["5m"]["dispatched"], 4);
  EXPECT_EQ(rates5["5m"]["acked"], 3);
}

TEST(AdminStatus, BadParametersAre400NamingThem) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  for (const char* bad : {"0", "61", "abc", "", "5x", "-1"}) {
    const HttpReply r = http.get(std::string("/status?minutes=") + bad);
    EXPECT_EQ(r.status, 400) << "minutes=" << bad << ": " << r.body;
    EXPECT_EQ(r.json()["error"], "bad_request");
    EXPECT_EQ(r.json()["field"], "minutes") << r.body;
    EXPECT_FALSE(r.json()["message"].get<std::string>().empty());
  }
  for (const char* good : {"1", "60"}) {
    EXPECT_EQ(http.get(std::string("/status?minutes=") + good).status, 200) << good;
  }
  const HttpReply unknown = http.get("/status?window=5");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.json()["field"], "window");
}

}  // namespace
}  // namespace symphony::testing
