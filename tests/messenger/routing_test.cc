// Messenger semantics, routing side: fan-out by [routing], an explicit queue over routing, the
// default queue, automatic headers and merged metadata, priorities (per message and per queue),
// max_length and strict queues.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>

#include "protocol/time_text.h"
#include "tests/messenger/messenger_util.h"

namespace symphony::testing::messenger {
namespace {

TEST(MessengerRouting, FanOutRoutingExplicitQueueAndDefaultQueue) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", R"([routing]
CampaignMessage = ["async", "email"]
EmailMessage = "email"
)");
  BrokerProcess broker({"--config", cfg});
  auto c = connect(broker);

  const OutgoingMessage campaign = outgoing("CampaignMessage", R"({"campaign":42})");
  const auto fan = c->dispatch_batch({&campaign, 1});
  ASSERT_EQ(fan.size(), 2u) << "one result per destination queue";
  EXPECT_TRUE(fan[0].ok()) << fan[0].error;
  EXPECT_TRUE(fan[1].ok()) << fan[1].error;
  EXPECT_EQ(fan[0].index, 0u);
  EXPECT_EQ(fan[1].index, 0u);
  EXPECT_NE(fan[0].id, fan[1].id);
  EXPECT_EQ((std::set<std::string>{fan[0].queue, fan[1].queue}),
            (std::set<std::string>{"async", "email"}));
  const uint64_t async_id = fan[0].queue == "async" ? fan[0].id : fan[1].id;
  const uint64_t email_campaign_id = fan[0].queue == "email" ? fan[0].id : fan[1].id;

  const auto email = c->dispatch({"EmailMessage", R"({"to":"a@b.c"})"});
  ASSERT_TRUE(email.ok()) << email.error;
  EXPECT_EQ(email.queue, "email");
  const auto overridden =
      c->dispatch({"EmailMessage", R"({"to":"x@y.z"})"}, DispatchOptions().with_queue("special"));
  ASSERT_TRUE(overridden.ok()) << overridden.error;
  EXPECT_EQ(overridden.queue, "special") << "an explicit queue overrides routing";
  const auto unrouted = c->dispatch({"ReportMessage", "{}"});
  ASSERT_TRUE(unrouted.ok()) << unrouted.error;
  EXPECT_EQ(unrouted.queue, "default");

  EXPECT_EQ(queue_stats(*c, "async").ready, 1u);
  EXPECT_EQ(queue_stats(*c, "email").ready, 2u);
  EXPECT_EQ(queue_stats(*c, "special").ready, 1u);
  EXPECT_EQ(queue_stats(*c, "default").ready, 1u);

  // each queue delivers its own copy of the campaign
  auto async_consumer = connect(broker);
  async_consumer->subscribe({"async"}, 10);
  auto got_async = receive_n(*async_consumer, 1);
  ASSERT_EQ(got_async.size(), 1u);
  EXPECT_EQ(got_async[0].id, async_id);
  EXPECT_EQ(got_async[0].type, "CampaignMessage");
  EXPECT_EQ(got_async[0].queue, "async");
  EXPECT_EQ(json::parse(got_async[0].payload)["campaign"], 42);
  async_consumer->ack(got_async[0].id);

  auto email_consumer = connect(broker);
  email_consumer->subscribe({"email"}, 10);
  auto got_email = receive_n(*email_consumer, 2);
  ASSERT_EQ(got_email.size(), 2u);
  std::map<uint64_t, std::string> by_id;
  for (const auto& d : got_email) {
    EXPECT_EQ(d.queue, "email");
    by_id[d.id] = d.type;
    email_consumer->ack(d.id);
  }
  EXPECT_EQ(by_id[email_campaign_id], "CampaignMessage");
  EXPECT_EQ(by_id[email.id], "EmailMessage");
  EXPECT_FALSE(email_consumer->receive(200ms)) << "nothing else is routed to email";
  EXPECT_FALSE(async_consumer->receive(50ms)) << "nothing else is routed to async";

  // the CLI prints one JSON line per destination queue
  auto r =
      run_cli(broker, {"dispatch", "--type", "CampaignMessage", "--payload", R"({"campaign":7})"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ((std::set<std::string>{lines[0]["queue"], lines[1]["queue"]}),
            (std::set<std::string>{"async", "email"}));
  EXPECT_NE(lines[0]["id"], lines[1]["id"]);
  EXPECT_EQ(lines[0]["duplicate"], false);
  EXPECT_EQ(lines[1]["status"], "pending");
}

TEST(MessengerRouting, AutomaticHeadersNextToCustomOnesAndMergedMetadata) {
  BrokerProcess broker;
  auto c = connect(broker);
  const int64_t before = now_ms();
  Message m("EmailMessage", R"({"to":"a@b.c"})", R"({"a":1,"b":1})");
  const auto r = c->dispatch(m, DispatchOptions()
                                    .with_queue("hdr")
                                    .with_header("tenant", "acme")
                                    .with_header("trace", "xyz")
                                    .with_metadata(R"({"b":2,"c":3})"));
  ASSERT_TRUE(r.ok()) << r.error;
  const int64_t after = now_ms();

  c->subscribe({"hdr"}, 1);
  auto d = c->receive(10s);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->headers.size(), 5u);
  EXPECT_EQ(d->headers[0], (std::pair<std::string, std::string>{"message-type", "EmailMessage"}));
  EXPECT_EQ(d->headers[1],
            (std::pair<std::string, std::string>{"message-id", std::to_string(r.id)}));
  EXPECT_EQ(d->headers[2].first, "dispatched-at");
  const std::string& at = d->headers[2].second;
  EXPECT_TRUE(std::regex_match(at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << at;
  int64_t at_ms = 0;
  ASSERT_TRUE(protocol::parse_time_ms(at, at_ms)) << at;
  EXPECT_GE(at_ms, before - 1000);
  EXPECT_LE(at_ms, after + 1000);
  EXPECT_EQ(d->headers[3], (std::pair<std::string, std::string>{"tenant", "acme"}));
  EXPECT_EQ(d->headers[4], (std::pair<std::string, std::string>{"trace", "xyz"}));
  EXPECT_EQ(json::parse(d->metadata), json::parse(R"({"a":1,"b":2,"c":3})"));
  EXPECT_EQ(json::parse(d->payload)["to"], "a@b.c");
  c->ack(d->id);

  // the automatic headers cannot be forged
  const auto forged = c->dispatch(
      {"EmailMessage", "{}"}, DispatchOptions().with_queue("hdr").with_header("message-id", "123"));
  EXPECT_EQ(forged.code, ErrorCode::kInvalidHeader);
}

TEST(MessengerRouting, PriorityQueueDefaultPriorityAndMaxLength) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", R"([queues.email]
priority = 7

[queues.small]
max_length = 2
)");
  BrokerProcess broker({"--config", cfg});
  auto c = connect(broker);

  // the seeds' case: priority 7 is delivered before 5, whatever the dispatch order
  ASSERT_TRUE(
      c->dispatch({"Low", R"({"n":5})"}, DispatchOptions().with_queue("prio").with_priority(5))
          .ok());
  ASSERT_TRUE(
      c->dispatch({"High", R"({"n":7})"}, DispatchOptions().with_queue("prio").with_priority(7))
          .ok());
  {
    auto consumer = connect(broker);
    consumer->subscribe({"prio"}, 10);
    auto got = receive_n(*consumer, 2);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].type, "High");
    EXPECT_EQ(got[0].priority, 7);
    EXPECT_EQ(got[1].type, "Low");
    EXPECT_EQ(got[1].priority, 5);
  }

  // [queues.email] priority = 7 applies to messages dispatched without a priority only
  const auto plain = c->dispatch({"EmailMessage", "{}"}, DispatchOptions().with_queue("email"));
  const auto explicit3 =
      c->dispatch({"EmailMessage", "{}"}, DispatchOptions().with_queue("email").with_priority(3));
  const auto elsewhere = c->dispatch({"EmailMessage", "{}"}, DispatchOptions().with_queue("other"));
  ASSERT_TRUE(plain.ok() && explicit3.ok() && elsewhere.ok());
  {
    auto consumer = connect(broker);
    consumer->subscribe({"email", "other"}, 10);
    std::map<uint64_t, int> prio;
    for (const auto& d : receive_n(*consumer, 3)) prio[d.id] = d.priority;
    ASSERT_EQ(prio.size(), 3u);
    EXPECT_EQ(prio[plain.id], 7);
    EXPECT_EQ(prio[explicit3.id], 3);
    EXPECT_EQ(prio[elsewhere.id], 5) << "an undeclared queue has the broker default";
  }

  // max_length = 2: the third dispatch is refused
  for (int i = 0; i < 2; ++i) {
    const auto r = c->dispatch({"T", "{}"}, DispatchOptions().with_queue("small"));
    ASSERT_TRUE(r.ok()) << r.error;
  }
  const auto full = c->dispatch({"T", "{}"}, DispatchOptions().with_queue("small"));
  EXPECT_EQ(full.code, ErrorCode::kQueueFull);
  EXPECT_EQ(full.id, 0u);
  EXPECT_NE(full.error.find("small"), std::string::npos) << full.error;
  auto r = run_cli(broker, {"dispatch", "--type", "T", "--queue", "small"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(json::parse(r.err)["error"], "QUEUE_FULL") << r.err;
  EXPECT_EQ(queue_stats(*c, "small").ready, 2u);
  EXPECT_EQ(queue_stats(*c, "small").dispatched_total, 2u);
}

TEST(MessengerRouting, StrictQueuesRefuseUndeclaredQueues) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", R"([defaults]
strict_queues = true

[queues.email]
[queues.async]

[routing]
EmailMessage = "email"
)");
  BrokerProcess broker({"--config", cfg});
  auto c = connect(broker);

  const auto ok = c->dispatch({"EmailMessage", "{}"});
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.queue, "email");
  const auto refused = c->dispatch({"EmailMessage", "{}"}, DispatchOptions().with_queue("nope"));
  EXPECT_EQ(refused.code, ErrorCode::kQueueNotFound) << refused.error;
  EXPECT_EQ(refused.id, 0u);
  EXPECT_FALSE(find_queue(*c, "nope")) << "a refused dispatch creates no queue";
  auto r = run_cli(broker, {"dispatch", "--type", "T", "--queue", "ghost"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(json::parse(r.err)["error"], "QUEUE_NOT_FOUND") << r.err;
  EXPECT_FALSE(find_queue(*c, "ghost"));

  auto consumer = connect(broker);
  try {
    consumer->subscribe({"nope"}, 1);
    ADD_FAILURE() << "subscribe to an undeclared queue succeeded";
  } catch (const client::ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kQueueNotFound) << e.what();
  }
  EXPECT_FALSE(find_queue(*c, "nope"));

  // a route to an undeclared queue stops the broker from starting, naming the key
  TempDir bad;
  const std::string bad_cfg = bad.write("bad.toml", R"([defaults]
strict_queues = true

[queues.email]

[routing]
CampaignMessage = ["email", "undeclared"]
)");
  std::string out, err;
  const int code =
      run_command({BrokerProcess::symphonyd_path(), "--config", bad_cfg, "--listen", "127.0.0.1:0",
                   "--data-dir", bad.path() + "/data", "--port-file", bad.path() + "/port"},
                  out, &err);
  EXPECT_EQ(code, 2) << out << err;
  EXPECT_NE(err.find("routing.CampaignMessage"), std::string::npos) << err;
  EXPECT_NE(err.find("undeclared"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(bad.path() + "/port")) << "it must not listen";
}

}  // namespace
}  // namespace symphony::testing::messenger
