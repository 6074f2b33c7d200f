// Messenger semantics, state side: queue purge, message status (with completed retention) and
// idempotency (across kill -9, the window, and the client's resend after a lost reply).
#include <gtest/gtest.h>

#include <set>

#include "tests/messenger/messenger_util.h"
#include "tests/messenger/tcp_proxy.h"

namespace symphony::testing::messenger {
namespace {

using protocol::EnvelopeStatus;
using protocol::NackMode;

TEST(MessengerPurge, PurgeRemovesReadyAndDelayedKeepsLeasedAndSurvivesRestart) {
  BrokerProcess broker;
  auto c = connect(broker);
  std::vector<uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    const auto r = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("pq"));
    ASSERT_TRUE(r.ok());
    ids.push_back(r.id);
  }
  for (int i = 0; i < 2; ++i) {
    const auto r =
        c->dispatch({"Later", "{}"}, DispatchOptions().with_queue("pq").with_delay_ms(60'000));
    ASSERT_TRUE(r.ok());
    ids.push_back(r.id);
  }
  auto consumer = connect(broker);
  consumer->subscribe({"pq"}, 1);
  auto leased = consumer->receive(10s);
  ASSERT_TRUE(leased);
  auto st = queue_stats(*c, "pq");
  ASSERT_EQ(st.ready, 2u);
  ASSERT_EQ(st.delayed, 2u);
  ASSERT_EQ(st.in_flight, 1u);

  auto r = run_cli(broker, {"purge", "pq"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("removed 4 messages from queue pq"), std::string::npos) << r.out;
  st = queue_stats(*c, "pq");
  EXPECT_EQ(st.ready, 0u);
  EXPECT_EQ(st.delayed, 0u);
  EXPECT_EQ(st.in_flight, 1u) << "a leased message is not purged";
  for (const auto& s : c->status(ids)) {
    if (s.id == leased->id) {
      EXPECT_EQ(s.status, EnvelopeStatus::kProcessing);
    } else {
      EXPECT_EQ(s.code, ErrorCode::kUnknownMessage) << s.id;
    }
  }
  EXPECT_EQ(consumer->ack(leased->id).acked, 1u);
  EXPECT_FALSE(consumer->receive(100ms)) << "nothing left to deliver";
  auto again = run_cli(broker, {"purge", "pq", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["removed"], 0);

  // one message dispatched after the purge, then kill -9: the purge holds, the new one stays
  const auto kept = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("pq"));
  ASSERT_TRUE(kept.ok());
  consumer.reset();
  c.reset();
  broker.kill9();
  BrokerProcess restarted({}, broker.data_dir());
  auto c2 = connect(restarted);
  st = queue_stats(*c2, "pq");
  EXPECT_EQ(st.ready, 1u);
  EXPECT_EQ(st.delayed, 0u);
  EXPECT_EQ(st.in_flight, 0u);
  for (const auto& s : c2->status(ids)) {
    if (s.id == leased->id) {
      EXPECT_EQ(s.status, EnvelopeStatus::kCompleted) << s.id;
    } else {
      EXPECT_EQ(s.code, ErrorCode::kUnknownMessage) << s.id << " came back after the restart";
    }
  }
  c2->subscribe({"pq"}, 10);
  auto d = c2->receive(10s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, kept.id);
  EXPECT_FALSE(c2->receive(100ms));
}

TEST(MessengerStatus, PendingProcessingCompletedFailedUnknownAndRetention) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", "[retention]\ncompleted_count = 2\n");
  BrokerProcess broker({"--config", cfg});
  auto c = connect(broker);
  auto status_of = [&](uint64_t id) {
    auto r = run_cli(broker, {"status", std::to_string(id), "--json"});
    EXPECT_TRUE(r.code == 0 || r.code == 2) << r.err;
    const auto lines = json_lines(r.out);
    EXPECT_EQ(lines.size(), 1u) << r.out;
    return lines.empty() ? json() : lines[0];
  };

  const auto a = c->dispatch({"Job", R"({"n":1})"}, DispatchOptions().with_queue("st"));
  ASSERT_TRUE(a.ok());
  json s = status_of(a.id);
  EXPECT_EQ(s["status"], "pending");
  EXPECT_EQ(s["queue"], "st");
  EXPECT_EQ(s["attempts"], 0);

  auto consumer = connect(broker);
  consumer->subscribe({"st"}, 1);
  auto d = consumer->receive(10s);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->id, a.id);
  s = status_of(a.id);
  EXPECT_EQ(s["status"], "processing");
  EXPECT_EQ(s["attempts"], 1);
  auto human = run_cli(broker, {"status", std::to_string(a.id)});
  EXPECT_EQ(human.code, 0);
  EXPECT_NE(human.out.find("processing"), std::string::npos) << human.out;

  consumer->ack(d->id);
  EXPECT_EQ(status_of(a.id)["status"], "completed");

  const auto b = c->dispatch({"Job", R"({"n":2})"}, DispatchOptions().with_queue("st"));
  ASSERT_TRUE(b.ok());
  d = consumer->receive(10s);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->id, b.id);
  consumer->nack(d->id, NackMode::kFatal, "bad input", "Validation");
  s = status_of(b.id);
  EXPECT_EQ(s["status"], "failed");
  EXPECT_EQ(s["attempts"], 1);

  auto unknown = run_cli(broker, {"status", "987654321", "--json"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(json::parse(unknown.out)["error"], "UNKNOWN_MESSAGE") << unknown.out;
  auto unknown_human = run_cli(broker, {"status", "987654321"});
  EXPECT_EQ(unknown_human.code, 2);
  EXPECT_NE(unknown_human.out.find("unknown"), std::string::npos) << unknown_human.out;

  // completed_count = 2: completing two more forgets the oldest completed id
  std::vector<uint64_t> later;
  for (int i = 0; i < 2; ++i) {
    const auto r = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("st"));
    ASSERT_TRUE(r.ok());
    later.push_back(r.id);
    d = consumer->receive(10s);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->id, r.id);
    consumer->ack(d->id);
  }
  EXPECT_EQ(status_of(later[0])["status"], "completed");
  EXPECT_EQ(status_of(later[1])["status"], "completed");
  auto forgotten = run_cli(broker, {"status", std::to_string(a.id), "--json"});
  EXPECT_EQ(forgotten.code, 2) << forgotten.out;
  EXPECT_EQ(json::parse(forgotten.out)["error"], "UNKNOWN_MESSAGE") << forgotten.out;
  EXPECT_EQ(status_of(b.id)["status"], "failed") << "retention concerns completed ones only";
  // several ids in one call: one line each, exit 2 because one is unknown
  auto several =
      run_cli(broker, {"status", std::to_string(a.id), std::to_string(later[1]), "--json"});
  EXPECT_EQ(several.code, 2);
  EXPECT_EQ(json_lines(several.out).size(), 2u) << several.out;
}

TEST(MessengerIdempotency, DuplicateKeyAcrossKill9ReturnsTheOriginal) {
  BrokerProcess broker;
  auto c = connect(broker);
  const auto done =
      c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("idem").with_idempotency_key("k1"));
  const auto pending =
      c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("idem").with_idempotency_key("k2"));
  ASSERT_TRUE(done.ok() && pending.ok());
  EXPECT_FALSE(done.duplicate);
  const auto dup =
      c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("idem").with_idempotency_key("k2"));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.id, pending.id);
  {
    auto consumer = connect(broker);
    consumer->subscribe({"idem"}, 1);
    auto d = consumer->receive(10s);
    ASSERT_TRUE(d);
    ASSERT_EQ(d->id, done.id);
    consumer->ack(d->id, /*confirm=*/true);
  }
  c.reset();
  broker.kill9();

  BrokerProcess restarted({}, broker.data_dir());
  auto c2 = connect(restarted);
  const auto again1 =
      c2->dispatch({"Job", "{}"}, DispatchOptions().with_queue("idem").with_idempotency_key("k1"));
  EXPECT_TRUE(again1.ok());
  EXPECT_TRUE(again1.duplicate);
  EXPECT_EQ(again1.id, done.id);
  EXPECT_EQ(again1.status, EnvelopeStatus::kCompleted);
  const auto again2 =
      c2->dispatch({"Job", "{}"}, DispatchOptions().with_queue("idem").with_idempotency_key("k2"));
  EXPECT_TRUE(again2.duplicate);
  EXPECT_EQ(again2.id, pending.id);
  EXPECT_EQ(again2.status, EnvelopeStatus::kPending);
  // the CLI shows the same
  auto r = run_cli(restarted,
                   {"dispatch", "--type", "Job", "--queue", "idem", "--idempotency-key", "k2"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json j = json::parse(r.out);
  EXPECT_EQ(j["duplicate"], true);
  EXPECT_EQ(j["id"], pending.id);
  EXPECT_EQ(j["status"], "pending");
  const auto st = queue_stats(*c2, "idem");
  EXPECT_EQ(st.ready, 1u);
  EXPECT_EQ(st.dispatched_total, 0u) << "a duplicate enqueues nothing";
}

TEST(MessengerIdempotency, KeyIsForgottenAfterTheWindow) {
  TempDir dir;
  const std::string cfg = dir.write("symphony.toml", "[idempotency]\nwindow_ms = 2000\n");
  BrokerProcess broker({"--config", cfg});
  auto c = connect(broker);
  const auto opts = DispatchOptions().with_queue("win").with_idempotency_key("once");
  const auto first = c->dispatch({"Job", "{}"}, opts);
  const int64_t first_done = now_ms();
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first.duplicate);
  const auto second = c->dispatch({"Job", "{}"}, opts);
  if (now_ms() < first_done + 1500) {  // (a very slow machine could take the window itself)
    EXPECT_TRUE(second.duplicate);
    EXPECT_EQ(second.id, first.id);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(first_done + 2200 - now_ms()));
  const auto third = c->dispatch({"Job", "{}"}, opts);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third.duplicate) << "the window has passed";
  EXPECT_NE(third.id, first.id);
  const auto fourth = c->dispatch({"Job", "{}"}, opts);
  EXPECT_TRUE(fourth.duplicate);
  EXPECT_EQ(fourth.id, third.id);
  EXPECT_EQ(queue_stats(*c, "win").ready, 2u);
}

TEST(MessengerIdempotency, AutomaticKeyMakesTheResendAfterALostReplyADuplicate) {
  BrokerProcess broker;
  DroppingProxy proxy(broker.port());
  ClientOptions options;
  options.port = proxy.port();
  options.timeout = 20s;
  options.reconnect_attempts = 3;
  options.reconnect_backoff = 50ms;
  ASSERT_TRUE(options.auto_idempotency_keys);
  auto c = Client::connect(options);

  const auto r = c->dispatch({"Job", R"({"n":1})"}, DispatchOptions().with_queue("lost"));
  EXPECT_TRUE(proxy.dropped()) << "the proxy never saw a DISPATCH_RESULT";
  EXPECT_EQ(proxy.connections(), 2) << "the client reconnected once";
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.duplicate) << "the resend found the message of the lost reply";

  auto direct = connect(broker);
  const auto st = queue_stats(*direct, "lost");
  EXPECT_EQ(st.dispatched_total, 1u);
  EXPECT_EQ(st.ready, 1u);
  direct->subscribe({"lost"}, 10);
  auto d = direct->receive(10s);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->id, r.id);
  EXPECT_FALSE(direct->receive(300ms)) << "a second message was enqueued";

  // the proxy forwards normally after that: a new dispatch is a new message
  const auto next = c->dispatch({"Job", R"({"n":2})"}, DispatchOptions().with_queue("lost"));
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next.duplicate);
  EXPECT_NE(next.id, r.id);
}

}  // namespace
}  // namespace symphony::testing::messenger
