// Durability through the real symphonyd: what a broker confirmed survives kill -9 (and SIGTERM)
// and a restart on the same data directory. Order, delays, leases, dead letters, the id counter,
// idempotency keys and acks are each checked against a fresh process reading the log.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/crash/crash_support.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::Delivery;
using client::DispatchOptions;
using client::OutgoingMessage;
using namespace std::chrono_literals;

std::vector<uint64_t> ids_of(const std::vector<Delivery>& ds) {
  std::vector<uint64_t> ids;
  for (const auto& d : ds) ids.push_back(d.id);
  return ids;
}

/// 50 messages, 5 per priority 1..10, priorities shuffled, sent in batches of different sizes
/// (so available_at differs between batches). Returns id -> priority.
std::map<uint64_t, int> dispatch_priorities(Client& c, const std::string& queue) {
  std::vector<int> priorities;
  for (int round = 0; round < 5; ++round) {
    for (int p = 1; p <= 10; ++p) priorities.push_back(p);
  }
  std::mt19937 rng(7);
  std::shuffle(priorities.begin(), priorities.end(), rng);
  std::map<uint64_t, int> sent;
  size_t pos = 0;
  for (size_t size : {1u, 7u, 12u, 1u, 20u, 9u}) {
    std::vector<OutgoingMessage> batch;
    for (size_t i = 0; i < size; ++i, ++pos) {
      OutgoingMessage m;
      m.message = {"Job", R"({"n":)" + std::to_string(pos) + "}"};
      m.options.queue = queue;
      m.options.priority = static_cast<uint8_t>(priorities[pos]);
      batch.push_back(std::move(m));
    }
    const auto results = c.dispatch_batch(batch);
    EXPECT_EQ(results.size(), batch.size());
    for (const auto& r : results) {
      EXPECT_TRUE(r.ok()) << r.error;
      sent[r.id] = batch[r.index].options.priority;
    }
  }
  EXPECT_EQ(pos, priorities.size());
  return sent;
}

// (a) kill -9 with 50 ready messages of mixed priority: after the restart they come out in exactly
// the order a broker that never crashed gives, which is priority, then FIFO.
TEST(DurabilityE2E, ReadyMessagesKeepPriorityAndFifoOrderAcrossKill9) {
  std::vector<uint64_t> control_order;
  std::map<uint64_t, int> control_sent;
  {
    BrokerProcess control;
    auto c = connect_to(control);
    control_sent = dispatch_priorities(*c, "prio");
    control_order = ids_of(consume(*c, "prio", control_sent.size()));
  }

  TempDir dir;
  std::map<uint64_t, int> sent;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    sent = dispatch_priorities(*c, "prio");
    broker.kill9();
  }
  ASSERT_EQ(sent, control_sent) << "a fresh broker hands out the same ids";

  std::vector<uint64_t> expected;
  for (const auto& [id, p] : sent) expected.push_back(id);
  std::stable_sort(expected.begin(), expected.end(),
                   [&](uint64_t a, uint64_t b) { return sent[a] > sent[b]; });
  EXPECT_EQ(control_order, expected);

  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  const auto stats = c->stats("prio");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].ready, sent.size());
  const auto got = consume(*c, "prio", sent.size());
  EXPECT_EQ(ids_of(got), expected) << "order after the crash differs from the order without it";
  for (const auto& d : got) {
    EXPECT_EQ(d.attempt, 1u) << "id " << d.id;
    EXPECT_EQ(d.priority, sent[d.id]) << "id " << d.id;
    EXPECT_EQ(d.payload, R"({"n":)" + std::to_string(d.id - 1) + "}");
  }
  EXPECT_FALSE(c->receive(300ms).has_value()) << "more messages than were dispatched";
}

// (b) a delayed message keeps its time across kill -9: it is not delivered before it.
TEST(DurabilityE2E, DelayedMessageSurvivesKill9AndKeepsItsTime) {
  TempDir dir;
  uint64_t id = 0;
  int64_t sent_before_ms = 0;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    sent_before_ms = wall_ms();
    const auto r = c->dispatch({"Job", R"({"k":"later"})"},
                               DispatchOptions().with_queue("later").with_delay_ms(1500));
    ASSERT_TRUE(r.ok()) << r.error;
    id = r.id;
    EXPECT_EQ(c->stats("later")[0].delayed, 1u);
    broker.kill9();
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  const auto stats = c->stats("later");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].delayed + stats[0].ready, 1u);
  c->subscribe({"later"}, 10);
  auto d = c->receive(30s);
  const int64_t received_ms = wall_ms();
  ASSERT_TRUE(d.has_value()) << "the delayed message was lost";
  EXPECT_EQ(d->id, id);
  EXPECT_EQ(d->attempt, 1u);
  EXPECT_EQ(d->payload, R"({"k":"later"})");
  EXPECT_GE(d->created_at_ms, sent_before_ms);
  EXPECT_GE(received_ms, d->created_at_ms + 1500) << "delivered before its time";
  EXPECT_EQ(c->ack(d->id, true).acked, 1u);
}

// (c) messages leased at the kill are ready again after the restart, the cut attempt counted; and
// again after a second and a third kill (each restart's log must replay after the next crash).
TEST(DurabilityE2E, LeasedMessagesComeBackWithTheAttemptCounted) {
  TempDir dir;
  std::vector<uint64_t> all;
  std::map<uint64_t, uint32_t> deliveries;  // id -> deliveries so far
  for (int cycle = 0; cycle < 3; ++cycle) {
    SCOPED_TRACE(::testing::Message() << "cycle " << cycle);
    BrokerProcess broker({}, dir.path());
    auto producer = connect_to(broker);
    if (cycle == 0) {
      std::vector<OutgoingMessage> batch(6);
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i].message = {"Job", R"({"n":)" + std::to_string(i) + "}"};
        batch[i].options.queue = "held";
      }
      for (const auto& r : producer->dispatch_batch(batch)) {
        ASSERT_TRUE(r.ok()) << r.error;
        all.push_back(r.id);
      }
    }
    auto consumer = connect_to(broker);
    consumer->subscribe({"held"}, /*prefetch=*/3);
    for (int i = 0; i < 3; ++i) {
      auto d = consumer->receive(20s);
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d->attempt, deliveries[d->id] + 1) << "id " << d->id;
      ++deliveries[d->id];
    }
    const auto st = producer->stats("held")[0];
    EXPECT_EQ(st.in_flight, 3u);
    EXPECT_EQ(st.ready, 3u);
    broker.kill9();  // the consumer still holds its three leases
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  const auto st = c->stats("held")[0];
  EXPECT_EQ(st.ready, 6u) << "leases do not survive a restart; their messages are ready again";
  EXPECT_EQ(st.in_flight, 0u);
  const auto got = consume(*c, "held", all.size());
  EXPECT_EQ(ids_of(got), all) << "returned leases keep their place at the front";
  for (const auto& d : got) {
    EXPECT_EQ(d.attempt, deliveries[d.id] + 1) << "id " << d.id;
  }
  EXPECT_EQ(deliveries[all[0]], 3u) << "the first three were leased at every kill";
}

// (d) a dead letter stays dead across kill -9 and is not delivered.
TEST(DurabilityE2E, DeadLetterStaysDeadAcrossKill9) {
  TempDir dir;
  uint64_t dead_id = 0;
  uint64_t live_id = 0;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    dead_id = c->dispatch({"Job", R"({"k":"poison"})"}, DispatchOptions().with_queue("dl")).id;
    live_id = c->dispatch({"Job", R"({"k":"fine"})"}, DispatchOptions().with_queue("dl")).id;
    c->subscribe({"dl"}, 10);
    std::set<uint64_t> got;
    for (int i = 0; i < 2; ++i) {
      auto d = c->receive(20s);
      ASSERT_TRUE(d.has_value());
      got.insert(d->id);
    }
    ASSERT_EQ(got, (std::set<uint64_t>{dead_id, live_id}));
    const auto r = c->nack(dead_id, protocol::NackMode::kFatal, "bad input", "ValidationError");
    ASSERT_EQ(r.code, protocol::ErrorCode::kOk);
    EXPECT_EQ(r.outcome, protocol::NackOutcome::kDeadLettered);
    // NACK has no CONFIRM flag: the confirmed ACK after it (a later log epoch on the same
    // connection) is what makes the dead-letter record durable before the kill.
    EXPECT_EQ(c->ack(live_id, /*confirm=*/true).acked, 1u);
    EXPECT_EQ(c->stats("dl")[0].dead, 1u);
    broker.kill9();
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  const auto st = c->stats("dl");
  ASSERT_EQ(st.size(), 1u);
  EXPECT_EQ(st[0].dead, 1u);
  EXPECT_EQ(st[0].ready + st[0].delayed + st[0].in_flight, 0u);
  c->subscribe({"dl"}, 10);
  auto d = c->receive(500ms);
  EXPECT_FALSE(d.has_value()) << "id " << d->id << " delivered after the restart";
}

// (e) ids handed out after a restart are above every id confirmed before it, over several kills.
TEST(DurabilityE2E, IdsAfterRestartAreAboveEveryEarlierId) {
  TempDir dir;
  std::set<uint64_t> seen;
  uint64_t max_before = 0;
  for (int cycle = 0; cycle < 4; ++cycle) {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    std::vector<OutgoingMessage> batch(10);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].message = {"Job", R"({"n":)" + std::to_string(i) + "}"};
      batch[i].options.queue = "ids";
    }
    for (const auto& r : c->dispatch_batch(batch)) {
      ASSERT_TRUE(r.ok()) << r.error;
      EXPECT_GT(r.id, max_before) << "cycle " << cycle << ": an id at or below one used before";
      EXPECT_TRUE(seen.insert(r.id).second) << "id " << r.id << " reused";
    }
    // consume some, so that the log holds acks too (the counter must not come from live ids)
    const auto got = consume(*c, "ids", 10);
    ASSERT_EQ(got.size(), 10u);
    max_before = *seen.rbegin();
    broker.kill9();
  }
  EXPECT_EQ(seen.size(), 40u);
}

// (e) continued: a message a consumer has seen is never taken back by a crash, and its id is
// never handed out again. A large write keeps the log busy (tens of MB to write and fsync) while a
// small message is dispatched behind it; the consumer receives that message, and the broker is
// killed at once. Had it been delivered before its enqueue was durable, the restarted broker
// would have lost it and given its id to the next message.
TEST(DurabilityE2E, DeliveredMessageIsNeverTakenBackByACrash) {
  TempDir dir;
  client::Delivery seen;
  {
    BrokerProcess broker({}, dir.path());
    auto producer = connect_to(broker);
    auto consumer = connect_to(broker);
    consumer->subscribe({"seen"}, 10);
    const std::string pad(60 * 1024, 'x');
    const size_t per_frame = producer->limits().max_frame_bytes / (pad.size() + 200);
    for (int frame = 0; frame < 4; ++frame) {
      std::vector<OutgoingMessage> bulk(per_frame);
      for (auto& m : bulk) {
        m.message = {"Bulk", R"({"pad":")" + pad + "\"}"};
        m.options.queue = "bulk";
      }
      producer->send_dispatch(bulk);  // not awaited: the log is busy with these
    }
    std::vector<OutgoingMessage> small(1);
    small[0].message = {"Job", R"({"n":7})"};
    small[0].options.queue = "seen";
    producer->send_dispatch(small);
    auto d = consumer->receive(60s);
    ASSERT_TRUE(d.has_value());
    broker.kill9();  // at once: the log may still be writing
    seen = std::move(*d);
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  const auto fresh = c->dispatch({"Job", R"({"n":8})"}, DispatchOptions().with_queue("other"));
  ASSERT_TRUE(fresh.ok()) << fresh.error;
  EXPECT_GT(fresh.id, seen.id) << "the id of a delivered message was handed out again";
  const auto got = consume(*c, "seen", 1, true, 20s);
  ASSERT_EQ(got.size(), 1u) << "a delivered message was lost in the crash";
  EXPECT_EQ(got[0].id, seen.id);
  EXPECT_EQ(got[0].payload, seen.payload);
  EXPECT_EQ(got[0].attempt, 2u) << "its lease was cut by the crash";
}

// (f) an idempotency key used before kill -9 is still known after it.
TEST(DurabilityE2E, IdempotencyKeySurvivesKill9) {
  TempDir dir;
  uint64_t original = 0;
  {
    BrokerProcess broker({}, dir.path());
    auto c = connect_to(broker);
    const auto opts = DispatchOptions().with_queue("orders").with_idempotency_key("order-42");
    const auto r = c->dispatch({"Order", R"({"n":42})"}, opts);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_FALSE(r.duplicate);
    original = r.id;
    broker.kill9();
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  const auto again =
      c->dispatch({"Order", R"({"n":42})"},
                  DispatchOptions().with_queue("orders").with_idempotency_key("order-42"));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.id, original);
  const auto other =
      c->dispatch({"Order", R"({"n":43})"},
                  DispatchOptions().with_queue("orders").with_idempotency_key("order-43"));
  ASSERT_TRUE(other.ok()) << other.error;
  EXPECT_FALSE(other.duplicate);
  EXPECT_GT(other.id, original);
  const auto got = consume(*c, "orders", 2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, original);
  EXPECT_EQ(got[1].id, other.id);
  EXPECT_FALSE(c->receive(300ms).has_value()) << "the duplicate was enqueued";
}

// (g) SIGTERM, then a restart: ready order, delays, leases, dead letters, keys, acks and the id
// counter all survive a graceful stop too.
TEST(DurabilityE2E, GracefulSigtermPreservesEverything) {
  TempDir dir;
  std::map<uint64_t, int> ready;  // id -> priority
  uint64_t delayed_id = 0, dead_id = 0, keyed_id = 0, max_id = 0;
  std::set<uint64_t> held, acked;
  {
    BrokerProcess broker({}, dir.path());
    auto producer = connect_to(broker);
    ready = dispatch_priorities(*producer, "g-ready");
    delayed_id = producer
                     ->dispatch({"Job", R"({"k":"delayed"})"},
                                DispatchOptions().with_queue("g-delayed").with_delay_ms(1500))
                     .id;
    keyed_id = producer
                   ->dispatch({"Job", R"({"k":"keyed"})"},
                              DispatchOptions().with_queue("g-keyed").with_idempotency_key("k1"))
                   .id;
    std::vector<OutgoingMessage> batch(8);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].message = {"Job", R"({"n":)" + std::to_string(i) + "}"};
      batch[i].options.queue = "g-work";
    }
    std::vector<uint64_t> work;
    for (const auto& r : producer->dispatch_batch(batch)) work.push_back(r.id);
    max_id = work.back();

    auto consumer = connect_to(broker);
    consumer->subscribe({"g-work"}, 6);
    std::vector<uint64_t> got;
    while (got.size() < 6) {
      auto d = consumer->receive(20s);
      ASSERT_TRUE(d.has_value());
      got.push_back(d->id);
    }
    consumer->credit(0);  // no more deliveries: the last two stay ready, never leased
    dead_id = got[0];
    EXPECT_EQ(consumer->nack(dead_id, protocol::NackMode::kFatal, "bad", "ValidationError").outcome,
              protocol::NackOutcome::kDeadLettered);
    const std::vector<uint64_t> to_ack{got[1], got[2]};
    EXPECT_EQ(consumer->ack(to_ack, /*confirm=*/true).acked, 2u);
    acked = {got[1], got[2]};
    held = {got[3], got[4], got[5]};
    EXPECT_EQ(broker.terminate(), 0) << broker.log();
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);

  std::vector<uint64_t> expected;
  for (const auto& [id, p] : ready) expected.push_back(id);
  std::stable_sort(expected.begin(), expected.end(),
                   [&](uint64_t a, uint64_t b) { return ready[a] > ready[b]; });
  EXPECT_EQ(ids_of(consume(*c, "g-ready", ready.size())), expected);

  const auto dup = c->dispatch({"Job", R"({"k":"keyed"})"},
                               DispatchOptions().with_queue("g-keyed").with_idempotency_key("k1"));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.id, keyed_id);
  const auto fresh = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("g-fresh"));
  EXPECT_GT(fresh.id, max_id);

  const auto work_stats = c->stats("g-work")[0];
  EXPECT_EQ(work_stats.dead, 1u);
  EXPECT_EQ(work_stats.ready, 5u);  // 3 leased at the stop + 2 never delivered
  EXPECT_EQ(work_stats.in_flight, 0u);
  auto worker = connect_to(restarted);
  const auto work = consume(*worker, "g-work", 5);
  std::set<uint64_t> work_ids;
  for (const auto& d : work) {
    work_ids.insert(d.id);
    EXPECT_FALSE(acked.count(d.id)) << "acked id " << d.id << " came back";
    EXPECT_NE(d.id, dead_id) << "the dead letter was delivered";
    EXPECT_EQ(d.attempt, held.count(d.id) ? 2u : 1u) << "id " << d.id;
  }
  EXPECT_EQ(work_ids.size(), 5u);

  auto late = connect_to(restarted);
  late->subscribe({"g-delayed"}, 1);
  auto d = late->receive(30s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->id, delayed_id);
  EXPECT_GE(wall_ms(), d->created_at_ms + 1500);
}

// (h) an ack confirmed before kill -9 is never undone: the acked messages do not come back, the
// others do, exactly.
TEST(DurabilityE2E, ConfirmedAcksNeverComeBack) {
  TempDir dir;
  std::set<uint64_t> acked, remaining;
  {
    BrokerProcess broker({}, dir.path());
    auto producer = connect_to(broker);
    std::vector<OutgoingMessage> batch(100);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].message = {"Job", R"({"n":)" + std::to_string(i) + "}"};
      batch[i].options.queue = "acked";
    }
    for (const auto& r : producer->dispatch_batch(batch)) {
      ASSERT_TRUE(r.ok());
      remaining.insert(r.id);
    }
    auto consumer = connect_to(broker);
    consumer->subscribe({"acked"}, 100);
    std::vector<uint64_t> pending;
    while (acked.size() < 60) {
      auto d = consumer->receive(20s);
      ASSERT_TRUE(d.has_value());
      pending.push_back(d->id);
      if (pending.size() == 10) {
        const auto r = consumer->ack(pending, /*confirm=*/true);
        ASSERT_EQ(r.acked, 10u);
        for (uint64_t id : pending) {
          acked.insert(id);
          remaining.erase(id);
        }
        pending.clear();
      }
    }
    broker.kill9();  // at once after the last confirmed ack returned
  }
  BrokerProcess restarted({}, dir.path());
  auto c = connect_to(restarted);
  EXPECT_EQ(live_count(*c, "acked"), remaining.size());
  const auto got = consume(*c, "acked", remaining.size());
  std::set<uint64_t> got_ids;
  for (const auto& d : got) {
    EXPECT_FALSE(acked.count(d.id)) << "acked id " << d.id << " came back";
    got_ids.insert(d.id);
  }
  EXPECT_EQ(got_ids, remaining);
  EXPECT_FALSE(c->receive(300ms).has_value());
}

// (i) every fsync policy survives a process crash (kill -9: the OS keeps what was written) for
// confirmed dispatches and confirmed acks.
class FsyncPolicyE2E : public ::testing::TestWithParam<std::vector<std::string>> {};

TEST_P(FsyncPolicyE2E, ConfirmedWorkSurvivesKill9) {
  const std::vector<std::string> args = GetParam();
  TempDir dir;
  std::map<uint64_t, uint64_t> confirmed;  // id -> n
  std::set<uint64_t> acked;
  {
    BrokerProcess broker(args, dir.path());
    auto producer = connect_to(broker);
    auto consumer = connect_to(broker);
    consumer->subscribe({"policy"}, 50);
    uint64_t n = 0;
    std::vector<uint64_t> pending;
    for (int b = 0; b < 20; ++b) {
      std::vector<OutgoingMessage> batch(25);
      for (auto& m : batch) {
        m.message = {"Job", R"({"n":)" + std::to_string(n++) + "}"};
        m.options.queue = "policy";
      }
      for (const auto& r : producer->dispatch_batch(batch)) {
        ASSERT_TRUE(r.ok()) << r.error;
        confirmed[r.id] = *payload_n(batch[r.index].message.payload);
      }
      // settle some as they come: 150 acks spread over the run
      while (acked.size() + pending.size() < static_cast<size_t>(b + 1) * 150 / 20) {
        auto d = consumer->receive(20s);
        ASSERT_TRUE(d.has_value());
        pending.push_back(d->id);
      }
      if (!pending.empty()) {
        ASSERT_EQ(consumer->ack(pending, /*confirm=*/true).acked, pending.size());
        acked.insert(pending.begin(), pending.end());
        pending.clear();
      }
    }
    broker.kill9();
  }
  ASSERT_EQ(confirmed.size(), 500u);
  ASSERT_EQ(acked.size(), 150u);
  BrokerProcess restarted(args, dir.path());
  auto c = connect_to(restarted);
  EXPECT_EQ(live_count(*c, "policy"), 350u);
  const auto got = consume(*c, "policy", 350);
  std::set<uint64_t> got_ids;
  for (const auto& d : got) {
    ASSERT_TRUE(confirmed.count(d.id)) << "unknown id " << d.id;
    EXPECT_FALSE(acked.count(d.id)) << "acked id " << d.id << " came back";
    EXPECT_EQ(payload_n(d.payload), confirmed[d.id]) << "id " << d.id;
    got_ids.insert(d.id);
  }
  EXPECT_EQ(got_ids.size(), 350u);
  EXPECT_FALSE(c->receive(300ms).has_value());
}

INSTANTIATE_TEST_SUITE_P(Policies, FsyncPolicyE2E,
                         ::testing::Values(std::vector<std::string>{"--fsync=never"},
                                           std::vector<std::string>{"--fsync", "interval:50"},
                                           std::vector<std::string>{"--fsync", "always"}),
                         [](const ::testing::TestParamInfo<std::vector<std::string>>& info) {
                           const std::string& v = info.param.back();
                           if (v.find("never") != std::string::npos) return std::string("Never");
                           if (v.find("interval") != std::string::npos)
                             return std::string("Interval50");
                           return std::string("Always");
                         });

}  // namespace
}  // namespace symphony::testing
