// End-to-end delivery through the real symphonyd: ordering, exactly-once delivery of a large mixed
// batch, lease release on disconnect and expiry, retries, pipelining and graceful shutdown.
#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "client/client.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientOptions;
using client::DispatchOptions;
using client::OutgoingMessage;
using namespace std::chrono_literals;

std::unique_ptr<Client> connect_to(const BrokerProcess& broker) {
  ClientOptions o;
  o.port = broker.port();
  o.timeout = 20s;
  return Client::connect(o);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(DeliveryE2E, TenThousandMixedPrioritiesAndDelaysDeliveredOnceInPriorityOrder) {
  BrokerProcess broker;
  auto producer = connect_to(broker);
  struct Sent {
    int priority;
    int64_t delay_ms;
  };
  std::map<uint64_t, Sent> sent;
  std::mt19937 rng(42);
  constexpr int kTotal = 10'000;
  constexpr int kBatch = 500;
  for (int b = 0; b < kTotal / kBatch; ++b) {
    std::vector<OutgoingMessage> batch(kBatch);
    for (int i = 0; i < kBatch; ++i) {
      auto& m = batch[i];
      m.message.type = "Job";
      m.message.payload = R"({"n":)" + std::to_string(b * kBatch + i) + "}";
      m.options.queue = "mixed";
      m.options.priority = static_cast<uint8_t>(1 + rng() % 10);
      if (rng() % 10 == 0) m.options.delay_ms = 200 + static_cast<int64_t>(rng() % 400);
    }
    const auto results = producer->dispatch_batch(batch);
    ASSERT_EQ(results.size(), batch.size());
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.error;
      const auto& m = batch[r.index];
      sent[r.id] = {m.options.priority, m.options.delay_ms.value_or(0)};
    }
  }
  ASSERT_EQ(sent.size(), static_cast<size_t>(kTotal));

  auto consumer = connect_to(broker);
  consumer->subscribe({"mixed"}, 200);
  std::vector<uint64_t> order;
  std::set<uint64_t> seen;
  std::vector<uint64_t> to_ack;
  while (order.size() < static_cast<size_t>(kTotal)) {
    auto d = consumer->receive(10s);
    ASSERT_TRUE(d.has_value()) << "only " << order.size() << " delivered";
    ASSERT_TRUE(sent.count(d->id)) << "unknown id " << d->id;
    ASSERT_TRUE(seen.insert(d->id).second) << "duplicate delivery of " << d->id;
    EXPECT_EQ(d->attempt, 1u);
    const Sent& s = sent[d->id];
    EXPECT_EQ(d->priority, s.priority);
    if (s.delay_ms > 0) {
      EXPECT_GE(now_ms(), d->created_at_ms + s.delay_ms) << "delayed message delivered early";
    }
    order.push_back(d->id);
    to_ack.push_back(d->id);
    if (to_ack.size() >= 100) {
      consumer->ack_async(to_ack);
      to_ack.clear();
    }
  }
  if (!to_ack.empty()) consumer->ack(to_ack);
  EXPECT_FALSE(consumer->receive(300ms).has_value()) << "a message was delivered twice";

  // Every message that was ready before the consumer came went out highest priority first, FIFO
  // (dispatch order = id order) within one priority.
  std::vector<uint64_t> immediate;
  for (uint64_t id : order) {
    if (sent[id].delay_ms == 0) immediate.push_back(id);
  }
  ASSERT_GT(immediate.size(), 8000u);
  for (size_t i = 1; i < immediate.size(); ++i) {
    const Sent& a = sent[immediate[i - 1]];
    const Sent& b = sent[immediate[i]];
    ASSERT_TRUE(a.priority > b.priority ||
                (a.priority == b.priority && immediate[i - 1] < immediate[i]))
        << "out of order at " << i << ": id " << immediate[i - 1] << " (p" << a.priority
        << ") before id " << immediate[i] << " (p" << b.priority << ")";
  }
  const auto stats = producer->stats("mixed");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].acked_total, static_cast<uint64_t>(kTotal));
  EXPECT_EQ(stats[0].ready + stats[0].delayed + stats[0].in_flight, 0u);
}

TEST(DeliveryE2E, DisconnectedConsumerLeasesGoToAnotherConsumer) {
  BrokerProcess broker;
  auto producer = connect_to(broker);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(producer->dispatch({"Job", "{}"}, DispatchOptions().with_queue("work")).ok());
  }
  std::set<uint64_t> held;
  {
    auto a = connect_to(broker);
    a->subscribe({"work"}, 5);
    while (held.size() < 5) {
      auto d = a->receive(5s);
      ASSERT_TRUE(d.has_value());
      held.insert(d->id);
    }
    auto st = producer->stats("work");
    EXPECT_EQ(st[0].in_flight, 5u);
  }  // a's connection closes holding 5 leases
  auto b = connect_to(broker);
  b->subscribe({"work"}, 50);
  std::set<uint64_t> got;
  int redelivered = 0;
  while (got.size() < 20) {
    auto d = b->receive(5s);
    ASSERT_TRUE(d.has_value()) << "got " << got.size();
    ASSERT_TRUE(got.insert(d->id).second);
    if (held.count(d->id)) {
      EXPECT_EQ(d->attempt, 2u) << "a released lease counts as an attempt";
      ++redelivered;
    } else {
      EXPECT_EQ(d->attempt, 1u);
    }
    b->ack(d->id);
  }
  EXPECT_EQ(redelivered, 5);
}

TEST(DeliveryE2E, ExpiredLeaseIsRedeliveredWithTheAttemptCounted) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  ASSERT_TRUE(c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("slow")).ok());
  c->subscribe({"slow"}, 1, /*lease_ms=*/300);
  auto first = c->receive(5s);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->attempt, 1u);
  auto second = c->receive(5s);  // not acked: the lease runs out and the message comes back
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->id, first->id);
  EXPECT_EQ(second->attempt, 2u);
  EXPECT_GE(second->lease_deadline_ms - first->lease_deadline_ms, 300);
  EXPECT_EQ(c->ack(second->id).acked, 1u);
  EXPECT_EQ(c->stats("slow")[0].expired_total, 1u);
}

TEST(DeliveryE2E, TouchKeepsTheLease) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  ASSERT_TRUE(c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("touchy")).ok());
  c->subscribe({"touchy"}, 1, /*lease_ms=*/400);
  auto d = c->receive(5s);
  ASSERT_TRUE(d.has_value());
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(200ms);
    const auto t = c->touch(d->id, 400);
    ASSERT_EQ(t.code, protocol::ErrorCode::kOk);
  }
  EXPECT_FALSE(c->receive(100ms).has_value()) << "touched lease expired";
  EXPECT_EQ(c->ack(d->id).acked, 1u);
  EXPECT_EQ(c->stats("touchy")[0].expired_total, 0u);
}

TEST(DeliveryE2E, NackRetryableComesBackAfterBackoffAndFatalGoesToDeadLetters) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  const auto retry_id =
      c->dispatch({"Job", R"({"k":"retry"})"}, DispatchOptions().with_queue("n")).id;
  const auto fatal_id =
      c->dispatch({"Job", R"({"k":"fatal"})"}, DispatchOptions().with_queue("n")).id;
  c->subscribe({"n"}, 10);
  for (int i = 0; i < 2; ++i) {
    auto d = c->receive(5s);
    ASSERT_TRUE(d.has_value());
    if (d->id == retry_id) {
      const auto r = c->nack(d->id, protocol::NackMode::kRetry, "smtp timeout", "TimeoutError");
      EXPECT_EQ(r.outcome, protocol::NackOutcome::kRetryScheduled);
      EXPECT_NEAR(static_cast<double>(r.available_at_ms - now_ms()), 1000.0, 200.0);
    } else {
      ASSERT_EQ(d->id, fatal_id);
      const auto r = c->nack(d->id, protocol::NackMode::kFatal, "bad address", "ValidationError");
      EXPECT_EQ(r.outcome, protocol::NackOutcome::kDeadLettered);
    }
  }
  const int64_t nacked_at = now_ms();
  auto again = c->receive(5s);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, retry_id);
  EXPECT_EQ(again->attempt, 2u);
  EXPECT_GE(now_ms() - nacked_at, 900) << "retried before its 1000 ms backoff";
  c->ack(again->id);
  const auto s = c->stats("n")[0];
  EXPECT_EQ(s.dead, 1u);
  EXPECT_EQ(s.retried_total, 1u);
  EXPECT_EQ(s.acked_total, 1u);
}

TEST(DeliveryE2E, PipelinedBatchesAreMatchedByRequestId) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  std::vector<uint32_t> rids;
  for (int b = 0; b < 50; ++b) {
    std::vector<OutgoingMessage> batch(20);
    for (int i = 0; i < 20; ++i) {
      batch[i].message = {"Job", "{\"b\":" + std::to_string(b) + "}"};
      batch[i].options.queue = "pipe";
    }
    rids.push_back(c->send_dispatch(batch));
  }
  // collect out of order: the last request first
  std::set<uint64_t> ids;
  for (auto it = rids.rbegin(); it != rids.rend(); ++it) {
    const auto results = c->wait_dispatch(*it);
    ASSERT_EQ(results.size(), 20u);
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok());
      ids.insert(r.id);
    }
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(*ids.begin(), 1u);
  EXPECT_EQ(*ids.rbegin(), 1000u);
}

TEST(DeliveryE2E, SigintDrainsLikeSigterm) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  const auto id = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("int")).id;
  EXPECT_EQ(broker.terminate(std::chrono::seconds(10), SIGINT), 0);
  EXPECT_THROW(c->receive(5s), client::ClientError);
  EXPECT_TRUE(c->goaway_received());
  EXPECT_NE(broker.log().find("signal 2 received"), std::string::npos) << broker.log();
  // and nothing confirmed was lost by the drain
  BrokerProcess again({}, broker.data_dir());
  auto c2 = connect_to(again);
  c2->subscribe({"int"}, 1);
  auto d = c2->receive(5s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->id, id);
}

TEST(DeliveryE2E, SigtermSendsGoawayAndExitsZero) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  c->subscribe({"idle"}, 1);
  EXPECT_EQ(broker.terminate(), 0);
  EXPECT_THROW(c->receive(5s), client::ClientError);
  EXPECT_TRUE(c->goaway_received());
}

}  // namespace
}  // namespace symphony::testing
