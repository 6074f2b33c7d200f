// The numbers behind /status, /health and /metrics, computed from a core driven by a fake clock.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "broker/core/metrics.h"
#include "broker/server/health.h"
#include "broker/server/metrics_text.h"
#include "broker/server/status_report.h"
#include "tests/broker/core_fixture.h"

namespace symphony::broker::test {
namespace {

using protocol::NackMode;
using server::evaluate_health;
using server::HealthInputs;
using server::HealthOptions;

TEST(PromHistogramTest, CountsCumulativelyPerBound) {
  PromHistogram h;
  h.observe(0.0004);  // <= 0.0005
  h.observe(0.0005);  // on the bound: counted in it
  h.observe(0.003);   // <= 0.005
  h.observe(100);     // above every bound
  const auto b = h.bounds();
  ASSERT_EQ(b.size(), PromHistogram::kSeconds.size());
  EXPECT_EQ(h.cumulative(0), 2u);
  EXPECT_EQ(h.cumulative(2), 2u);  // 0.0025
  EXPECT_EQ(h.cumulative(3), 3u);  // 0.005
  EXPECT_EQ(h.cumulative(b.size() - 1), 3u);
  EXPECT_EQ(h.cumulative(b.size()), 4u);  // +Inf
  EXPECT_EQ(h.count(), 4u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.0004 + 0.0005 + 0.003 + 100);

  PromHistogram sizes(PromHistogram::kCounts);
  sizes.observe(1);
  sizes.observe(7);
  sizes.observe(250000);
  EXPECT_EQ(sizes.bounds().size(), PromHistogram::kCounts.size());
  EXPECT_EQ(sizes.cumulative(0), 1u);  // <= 1
  EXPECT_EQ(sizes.cumulative(1), 2u);  // <= 10
  EXPECT_EQ(sizes.cumulative(sizes.bounds().size()), 3u);
}

TEST(RateWindowTest, WindowsCountOnlyTheirSpan) {
  RateWindow w;
  const TimeMs t0 = 1'700'000'000'000;
  w.add(t0, RateWindow::Event::kDispatched, 5);
  w.add(t0 + 3 * 60'000, RateWindow::Event::kDispatched, 7);
  w.add(t0 + 3 * 60'000, RateWindow::Event::kAcked, 2);
  w.add(t0 + 3 * 60'000, RateWindow::Event::kExpired);
  w.add_processing(t0 + 3 * 60'000, 120);
  w.add_processing(t0 + 3 * 60'000, 80);
  const TimeMs now = t0 + 3 * 60'000 + 5'000;
  EXPECT_EQ(w.over(now, 1).dispatched, 7u);
  EXPECT_EQ(w.over(now, 1).acked, 2u);
  EXPECT_EQ(w.over(now, 1).expired, 1u);
  EXPECT_EQ(w.over(now, 1).processed, 2u);
  EXPECT_EQ(w.over(now, 1).processing_ms, 200u);
  EXPECT_EQ(w.over(now, 5).dispatched, 12u);
  EXPECT_EQ(w.over(now, 60).dispatched, 12u);
  // an hour and more later everything has aged out, even though the slots were never reused
  EXPECT_EQ(w.over(t0 + 65 * 60'000, 60).dispatched, 0u);
  EXPECT_EQ(w.over(t0 + 65 * 60'000, 5).dispatched, 0u);
  // a slot reused on a later lap starts again from zero
  w.add(t0 + 61 * 60'000, RateWindow::Event::kDispatched, 1);
  EXPECT_EQ(w.over(t0 + 61 * 60'000, 1).dispatched, 1u);
}

class ObservabilityTest : public CoreTest {};

TEST_F(ObservabilityTest, StatusReportHasCountsAndRates) {
  options.retry.default_policy().max_retries = 1;
  options.retry.default_policy().delay_ms = 1000;
  const MessageId a = dispatch_ok("Job", 0, "work");
  const MessageId b = dispatch_ok("Job", 0, "work");
  const MessageId c = dispatch_ok("Job", 0, "work");
  dispatch_ok("Job", 0, "other");
  subscribe(1, {"work"}, 10);
  deliver();
  ASSERT_EQ(sink.take().size(), 3u);
  now += 200;
  ASSERT_EQ(core().ack(1, a, now), protocol::ErrorCode::kOk);
  now += 200;
  ASSERT_EQ(core().ack(1, b, now), protocol::ErrorCode::kOk);
  ASSERT_EQ(nack(1, c, NackMode::kRetry).code, protocol::ErrorCode::kOk);  // 400 ms, a retry

  const nlohmann::json r = server::status_report(core(), now);
  const nlohmann::json& work = r["queues"]["work"];
  EXPECT_EQ(work["ready"], 0);
  EXPECT_EQ(work["delayed"], 1);
  EXPECT_EQ(work["acked_total"], 2);
  EXPECT_EQ(work["dispatched_total"], 3);
  const nlohmann::json& m1 = work["rates"]["1m"];
  EXPECT_EQ(m1["dispatched"], 3);
  EXPECT_EQ(m1["acked"], 2);
  EXPECT_EQ(m1["retried"], 1);
  EXPECT_DOUBLE_EQ(m1["dispatch_per_s"].get<double>(), 3.0 / 60);
  EXPECT_DOUBLE_EQ(m1["success_rate"].get<double>(), 1.0) << "acked / (acked + dead-lettered)";
  EXPECT_DOUBLE_EQ(m1["retry_rate"].get<double>(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(m1["avg_processing_ms"].get<double>(), (200 + 400 + 400) / 3.0);
  EXPECT_DOUBLE_EQ(work["rates"]["60m"]["dispatch_per_s"].get<double>(), 3.0 / 3600);
  EXPECT_TRUE(r["queues"]["other"]["rates"]["1m"]["success_rate"].is_null())
      << "no outcome yet: no rate";
  EXPECT_EQ(r["totals"]["dispatched_total"], 4);
  EXPECT_EQ(r["totals"]["rates"]["5m"]["dispatched"], 4);

  // a custom window only
  const nlohmann::json five = server::status_report(core(), now, {5});
  EXPECT_TRUE(five["queues"]["work"]["rates"].contains("5m"));
  EXPECT_FALSE(five["queues"]["work"]["rates"].contains("1m"));

  // two hours on, the rates are empty but the totals stay
  advance_to(now + 2 * 3600'000);
  const nlohmann::json later = server::status_report(core(), now);
  EXPECT_EQ(later["queues"]["work"]["rates"]["60m"]["dispatched"], 0);
  EXPECT_EQ(later["queues"]["work"]["dispatched_total"], 3);
}

TEST_F(ObservabilityTest, HealthIsHealthyThenDegradedThenUnhealthy) {
  options.queues["tiny"].max_length = 2;
  HealthOptions ho;
  ho.min_free_disk_bytes = 1000;
  ho.max_expired_per_minute = 1;
  HealthInputs in;
  in.core = &core();
  in.now = now;
  in.free_disk_bytes = 5000;
  auto r = evaluate_health(in, ho);
  EXPECT_EQ(r.status, "healthy");
  EXPECT_EQ(r.http_status(), 200);
  EXPECT_TRUE(r.reasons.empty());

  dispatch_ok("Job", 0, "tiny");
  dispatch_ok("Job", 0, "tiny");
  r = evaluate_health(in, ho);
  EXPECT_EQ(r.status, "degraded");
  EXPECT_EQ(r.http_status(), 200);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_NE(r.reasons[0].find("tiny"), std::string::npos);
  EXPECT_EQ(r.checks["full_queues"], nlohmann::json::array({"tiny"}));

  in.free_disk_bytes = 999;
  r = evaluate_health(in, ho);
  EXPECT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.status, "degraded");

  in.storage_failed = true;
  r = evaluate_health(in, ho);
  EXPECT_EQ(r.status, "unhealthy");
  EXPECT_EQ(r.http_status(), 503);
  EXPECT_EQ(r.to_json()["checks"]["storage"], "failed");

  HealthInputs recovering;
  recovering.recovering = true;
  recovering.free_disk_bytes = 5000;
  EXPECT_EQ(evaluate_health(recovering, ho).status, "unhealthy");
}

TEST_F(ObservabilityTest, HealthCountsLeaseExpiriesOfTheLastMinute) {
  HealthOptions ho;
  ho.min_free_disk_bytes = 0;
  ho.max_expired_per_minute = 1;
  dispatch_ok();
  dispatch_ok();
  subscribe(1, {"default"}, 10, 1000);
  deliver();
  ASSERT_EQ(sink.take().size(), 2u);
  protocol::CreditOk credit;
  ASSERT_EQ(core().set_prefetch(1, 0, credit), protocol::ErrorCode::kOk);  // no redelivery
  advance_to(now + 1001);                                                  // both leases expire
  HealthInputs in;
  in.core = &core();
  in.now = now;
  in.free_disk_bytes = 1;
  auto r = evaluate_health(in, ho);
  EXPECT_EQ(r.checks["expired_leases_last_minute"], 2);
  EXPECT_EQ(r.status, "degraded");
  in.now = now + 2 * 60'000;  // out of the window
  EXPECT_EQ(evaluate_health(in, ho).status, "healthy");
}

/// name{labels} -> value for every sample line; checks each sample's family has a # TYPE.
std::map<std::string, double> parse_samples(const std::string& text) {
  std::map<std::string, double> out;
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      types[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    const std::string key = line.substr(0, space);
    std::string family = key.substr(0, key.find('{'));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (!types.count(family) && family.size() > s.size() &&
          family.compare(family.size() - s.size(), s.size(), s) == 0) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    EXPECT_TRUE(types.count(family)) << "no # TYPE before " << line;
    out[key] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST_F(ObservabilityTest, MetricsTextHasEveryFamilyWithExactValues) {
  const MessageId a = dispatch_ok("Job", 0, "work");
  const MessageId b = dispatch_ok("Job", 0, "work");
  dispatch_ok("Job", 0, "work");
  subscribe(1, {"work"}, 2);
  deliver();
  now += 30;  // 30 ms of processing
  ASSERT_EQ(core().ack(1, a, now), protocol::ErrorCode::kOk);
  ASSERT_EQ(nack(1, b, NackMode::kFatal).code, protocol::ErrorCode::kOk);
  deliver();  // c, into the credit a and b freed
  server::ServerMetrics sm;
  sm.log_commit_seconds.observe(0.002);
  sm.log_group_records.observe(42);
  server::MetricsInputs in;
  in.core = &core();
  in.server = &sm;
  in.connections = 7;
  in.auth_failures = 3;
  in.log_disk_bytes = 12345;
  in.ready = true;
  const std::string text = server::metrics_text(in);
  const auto s = parse_samples(text);
  SCOPED_TRACE(text);
  EXPECT_EQ(s.at("symphony_ready"), 1);
  EXPECT_EQ(s.at("symphony_messages_dispatched_total{queue=\"work\"}"), 3);
  EXPECT_EQ(s.at("symphony_messages_delivered_total{queue=\"work\"}"), 3);
  EXPECT_EQ(s.at("symphony_messages_acked_total{queue=\"work\"}"), 1);
  EXPECT_EQ(s.at("symphony_messages_nacked_total{queue=\"work\",retryable=\"false\"}"), 1);
  EXPECT_EQ(s.at("symphony_messages_nacked_total{queue=\"work\",retryable=\"true\"}"), 0);
  EXPECT_EQ(s.at("symphony_messages_dead_lettered_total{queue=\"work\"}"), 1);
  EXPECT_EQ(s.at("symphony_queue_in_flight{queue=\"work\"}"), 1);
  EXPECT_EQ(s.at("symphony_queue_dead{queue=\"work\"}"), 1);
  EXPECT_EQ(s.at("symphony_queue_consumers{queue=\"work\"}"), 1);
  EXPECT_EQ(s.at("symphony_processing_seconds_count{queue=\"work\"}"), 2);
  EXPECT_EQ(s.at("symphony_processing_seconds_bucket{queue=\"work\",le=\"0.025\"}"), 0);
  EXPECT_EQ(s.at("symphony_processing_seconds_bucket{queue=\"work\",le=\"0.05\"}"), 2);
  EXPECT_EQ(s.at("symphony_processing_seconds_bucket{queue=\"work\",le=\"+Inf\"}"), 2);
  EXPECT_EQ(s.at("symphony_end_to_end_seconds_count{queue=\"work\"}"), 3);
  EXPECT_EQ(s.at("symphony_connections"), 7);
  EXPECT_EQ(s.at("symphony_log_bytes"), 12345);
  EXPECT_EQ(s.at("symphony_auth_failures_total"), 3);
  EXPECT_EQ(s.at("symphony_log_commit_seconds_count"), 1);
  EXPECT_EQ(s.at("symphony_log_commit_seconds_bucket{le=\"0.0025\"}"), 1);
  EXPECT_EQ(s.at("symphony_log_commit_group_records_bucket{le=\"50\"}"), 1);
  EXPECT_EQ(s.at("symphony_log_commit_group_records_bucket{le=\"10\"}"), 0);

  // while recovering there is no core: the text is still valid and says not ready
  server::MetricsInputs empty;
  const auto e = parse_samples(server::metrics_text(empty));
  EXPECT_EQ(e.at("symphony_ready"), 0);
}

}  // namespace
}  // namespace symphony::broker::test
