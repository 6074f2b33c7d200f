// THE crash test: the real symphonyd under continuous load (one producer, one consumer acking
// with CONFIRM), killed with SIGKILL at random moments at least 20 times and restarted on the same
// data directory each time. The client threads reconnect on their own. At the end:
//   (i)   none lost: every confirmed dispatch was delivered at least once;
//   (ii)  no confirmed ack undone: no id is delivered after its confirmed ack returned;
//   (iii) ids are unique across restarts: an id never carries two different payloads;
//   (iv)  the run was not vacuous: enough kills, enough messages.
// The seed of the kill schedule is printed with the result; SYMPHONY_CRASH_SEED replays one.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client/client.h"
#include "tests/crash/crash_support.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientError;
using client::OutgoingMessage;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int kKills = 24;  ///< kills planned (at least 20 must happen)
constexpr int kMinKills = 20;
constexpr size_t kBatch = 50;  ///< messages per DISPATCH
constexpr uint32_t kPrefetch = 100;
constexpr size_t kAckBatch = 20;             ///< ids per confirmed ACK, at most
constexpr uint64_t kMaxBacklog = kPrefetch;  ///< producer waits while the queue holds this many
constexpr size_t kMinConfirmed = 3000;       ///< below this, the run proves too little
constexpr auto kRunBudget = 45s;             ///< no new kill after this much time
const std::string kQueue = "crash";

/// Where the broker is, and what the client threads have done since it last started.
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  uint16_t port = 0;
  uint64_t generation = 0;         ///< incremented by every restart
  uint64_t producer_progress = 0;  ///< generation of the producer's last confirmed batch
  uint64_t consumer_progress = 0;  ///< generation of the consumer's last confirmed ack
  bool stop_producer = false;
  bool stop_consumer = false;
  bool producer_stopped = false;  ///< the producer has returned: nothing more will be sent
  bool drained = false;           ///< the consumer saw the queue empty after the producer
  std::atomic<uint64_t> acked{0};

  void publish(uint16_t new_port) {
    {
      std::lock_guard lk(mu);
      port = new_port;
      ++generation;
    }
    cv.notify_all();
  }
  /// Connects to the current broker; on failure waits for the next restart (or a while) and
  /// tries again. nullptr once `stop` is set.
  std::unique_ptr<Client> connect(const bool& stop, uint64_t& gen) {
    for (;;) {
      uint16_t p = 0;
      {
        std::unique_lock lk(mu);
        if (stop) return nullptr;
        p = port;
        gen = generation;
      }
      try {
        return connect_port(p);
      } catch (const ClientError&) {
      }
      std::unique_lock lk(mu);
      cv.wait_for(lk, 1s, [&] { return stop || generation != gen; });
    }
  }
};

struct DeliveryRec {
  uint64_t id = 0;
  uint32_t attempt = 0;
  uint64_t n = 0;
  uint64_t event = 0;  ///< position in the consumer's event sequence
  Clock::time_point at;
};

struct AckRec {
  std::vector<uint64_t> ids;  ///< acked for good: requested minus failures
  uint64_t event = 0;         ///< position in the consumer's event sequence, after every
                              ///< delivery received before the ack returned
  Clock::time_point at;
};

/// Confirmed dispatches: id and payload n.
struct Producer {
  explicit Producer(Shared& s) : shared(s) {}
  Shared& shared;
  std::vector<std::pair<uint64_t, uint64_t>> confirmed;
  uint64_t failed_batches = 0;
  uint64_t rejected = 0;  ///< per-message errors in a DISPATCH_RESULT (none expected)
  uint64_t reconnects = 0;

  void run() {
    uint64_t next_n = 0;
    std::unique_ptr<Client> c;
    uint64_t gen = 0;
    for (;;) {
      {
        std::lock_guard lk(shared.mu);
        if (shared.stop_producer) break;
      }
      if (!c) {
        c = shared.connect(shared.stop_producer, gen);
        if (!c) break;
        ++reconnects;
      }
      // Bounded backlog, so that the consumer keeps up and often receives a batch while it is
      // still being logged (the moment a crash could take its ids back). The broker's own count
      // is the truth: after a kill, counting on the client side drifts (lost ack replies).
      try {
        const uint64_t acked_before = shared.acked.load();
        if (live_count(*c, kQueue) >= kMaxBacklog) {
          std::unique_lock lk(shared.mu);
          shared.cv.wait_for(lk, 500ms, [&] {
            return shared.stop_producer || shared.acked.load() != acked_before;
          });
          continue;
        }
      } catch (const ClientError&) {
        c.reset();
        continue;
      }
      std::vector<OutgoingMessage> batch(kBatch);
      for (auto& m : batch) {
        m.message = {"Crash", R"({"n":)" + std::to_string(next_n++) + "}"};
        m.options.queue = kQueue;
      }
      try {
        const auto results = c->dispatch_batch(batch);
        for (const auto& r : results) {
          if (!r.ok()) {
            ++rejected;
            continue;
          }
          confirmed.emplace_back(r.id, *payload_n(batch[r.index].message.payload));
        }
        {
          std::lock_guard lk(shared.mu);
          shared.producer_progress = gen;
        }
        shared.cv.notify_all();
      } catch (const ClientError&) {
        ++failed_batches;  // unconfirmed: may or may not have been logged
        c.reset();
      }
    }
    std::lock_guard lk(shared.mu);
    shared.producer_stopped = true;
    shared.cv.notify_all();
  }
};

/// Every delivery and every confirmed ack, in one event sequence.
struct Consumer {
  explicit Consumer(Shared& s) : shared(s) {}
  Shared& shared;
  std::vector<DeliveryRec> deliveries;
  std::vector<AckRec> acks;
  uint64_t ack_failures = 0;  ///< ids a confirmed ACK reported as failed
  uint64_t lost_acks = 0;     ///< ACKs whose reply never came (connection died)
  uint64_t reconnects = 0;
  uint64_t bad_payloads = 0;
  uint64_t event = 0;

  void run() {
    std::unique_ptr<Client> c;
    uint64_t gen = 0;
    std::vector<uint64_t> pending;
    for (;;) {
      if (!c) {
        pending.clear();  // leases of a dead connection are gone
        c = shared.connect(shared.stop_consumer, gen);
        if (!c) return;
        try {
          c->subscribe({kQueue}, kPrefetch);
          ++reconnects;
        } catch (const ClientError&) {
          c.reset();
          continue;
        }
      }
      try {
        auto d = c->receive(pending.empty() ? 200ms : 5ms);
        if (d) {
          const auto n = payload_n(d->payload);
          if (!n) ++bad_payloads;
          deliveries.push_back({d->id, d->attempt, n.value_or(0), ++event, Clock::now()});
          pending.push_back(d->id);
        }
        if (pending.size() >= kAckBatch || (!d && !pending.empty())) {
          const auto r = c->ack(pending, /*confirm=*/true);
          AckRec rec;
          rec.event = ++event;
          rec.at = Clock::now();
          std::set<uint64_t> failed;
          for (const auto& f : r.failures) failed.insert(f.message_id);
          ack_failures += failed.size();
          for (uint64_t id : pending) {
            if (!failed.count(id)) rec.ids.push_back(id);
          }
          shared.acked += rec.ids.size();
          acks.push_back(std::move(rec));
          pending.clear();
          {
            std::lock_guard lk(shared.mu);
            shared.consumer_progress = gen;
          }
          shared.cv.notify_all();
        } else if (!d && pending.empty() && producer_done() && live_count(*c, kQueue) == 0) {
          // the producer is gone and nothing is ready, delayed or leased: drained
          std::unique_lock lk(shared.mu);
          shared.drained = true;
          shared.cv.notify_all();
          shared.cv.wait(lk, [&] { return shared.stop_consumer; });
          return;
        }
      } catch (const ClientError&) {
        if (!pending.empty()) ++lost_acks;
        c.reset();
      }
    }
  }

  bool producer_done() {
    std::lock_guard lk(shared.mu);
    return shared.producer_stopped;
  }
};

TEST(CrashTest, RandomKill9UnderLoadLosesNothingConfirmed) {
  uint32_t seed = 20240611;
  if (const char* s = std::getenv("SYMPHONY_CRASH_SEED")) {
    seed = static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  }
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pause_ms(50, 400);

  TempDir dir;
  Shared shared;
  auto broker = std::make_unique<BrokerProcess>(std::vector<std::string>{}, dir.path());
  shared.publish(broker->port());

  Producer producer(shared);
  Consumer consumer(shared);
  std::thread producer_thread([&] { producer.run(); });
  std::thread consumer_thread([&] { consumer.run(); });
  // whatever happens below, the threads are stopped and joined before the test returns
  struct Joiner {
    Shared& s;
    std::thread& a;
    std::thread& b;
    ~Joiner() {
      {
        std::lock_guard lk(s.mu);
        s.stop_producer = s.stop_consumer = true;
      }
      s.cv.notify_all();
      if (a.joinable()) a.join();
      if (b.joinable()) b.join();
    }
  } joiner{shared, producer_thread, consumer_thread};

  // both threads have done confirmed work against the broker that is running now
  auto wait_for_progress = [&](std::chrono::seconds timeout) {
    std::unique_lock lk(shared.mu);
    return shared.cv.wait_for(lk, timeout, [&] {
      return shared.producer_progress == shared.generation &&
             shared.consumer_progress == shared.generation;
    });
  };

  const auto start = Clock::now();
  int kills = 0;
  std::string last_log;
  Clock::duration restarting{}, waiting{};
  while (kills < kKills && Clock::now() - start < kRunBudget) {
    const auto w0 = Clock::now();
    ASSERT_TRUE(wait_for_progress(60s))
        << "no confirmed dispatch and ack within 60 s after restart " << kills << "\n"
        << broker->log();
    waiting += Clock::now() - w0;
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    broker->kill9();
    const auto r0 = Clock::now();
    ++kills;
    broker.reset();
    try {
      broker = std::make_unique<BrokerProcess>(std::vector<std::string>{}, dir.path());
    } catch (const std::exception& e) {
      FAIL() << "restart " << kills << " failed: " << e.what();
    }
    restarting += Clock::now() - r0;
    shared.publish(broker->port());
  }
  ASSERT_TRUE(wait_for_progress(60s)) << "no progress after the last restart\n" << broker->log();

  // stop producing, let the consumer drain the queue
  {
    std::lock_guard lk(shared.mu);
    shared.stop_producer = true;
  }
  shared.cv.notify_all();
  producer_thread.join();
  {
    std::unique_lock lk(shared.mu);
    ASSERT_TRUE(shared.cv.wait_for(lk, 120s, [&] { return shared.drained; }))
        << "the queue did not drain within 120 s\n"
        << broker->log();
    shared.stop_consumer = true;
  }
  shared.cv.notify_all();
  consumer_thread.join();
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  const auto final_stats = connect_to(*broker)->stats(kQueue);
  EXPECT_EQ(broker->terminate(), 0);

  // ---- the checks ----
  std::unordered_map<uint64_t, uint64_t> confirmed_n;  // id -> n
  for (const auto& [id, n] : producer.confirmed) {
    const auto [it, fresh] = confirmed_n.emplace(id, n);
    EXPECT_TRUE(fresh) << "id " << id << " confirmed for n " << it->second << " and n " << n;
  }
  std::unordered_map<uint64_t, uint64_t> delivered_n;  // id -> n
  std::unordered_map<uint64_t, const DeliveryRec*> last_delivery;
  std::unordered_map<uint64_t, uint64_t> n_to_id;  // n -> id
  size_t reused_ids = 0, redelivered = 0, mismatched = 0;
  for (const auto& d : consumer.deliveries) {
    const auto [it, fresh] = delivered_n.emplace(d.id, d.n);
    if (!fresh) {
      ++redelivered;
      if (it->second != d.n) {
        if (++reused_ids <= 5) {
          ADD_FAILURE() << "(iii) id " << d.id << " delivered with n " << it->second
                        << " and later with n " << d.n << " (attempt " << d.attempt << ")";
        }
      }
    }
    last_delivery[d.id] = &d;
    const auto [jt, fresh_n] = n_to_id.emplace(d.n, d.id);
    if (!fresh_n && jt->second != d.id && ++mismatched <= 5) {
      ADD_FAILURE() << "payload n " << d.n << " delivered as id " << jt->second << " and id "
                    << d.id;
    }
    if (auto c = confirmed_n.find(d.id); c != confirmed_n.end() && c->second != d.n) {
      if (++mismatched <= 5) {
        ADD_FAILURE() << "(iii) id " << d.id << " was confirmed for n " << c->second
                      << " but delivered with n " << d.n;
      }
    }
  }
  EXPECT_EQ(reused_ids, 0u) << "(iii) ids reused with a different payload";
  EXPECT_EQ(mismatched, 0u);
  EXPECT_EQ(consumer.bad_payloads, 0u);
  EXPECT_EQ(producer.rejected, 0u) << "dispatches refused by the broker";

  // (i) none lost
  size_t lost = 0;
  for (const auto& [id, n] : confirmed_n) {
    if (!delivered_n.count(id) && ++lost <= 5) {
      ADD_FAILURE() << "(i) confirmed id " << id << " (n " << n << ") was never delivered";
    }
  }
  EXPECT_EQ(lost, 0u) << "(i) confirmed dispatches lost";

  // (ii) no confirmed ack undone
  size_t undone = 0;
  uint64_t acked_ids = 0;
  for (const auto& a : consumer.acks) {
    acked_ids += a.ids.size();
    for (uint64_t id : a.ids) {
      const DeliveryRec* last = last_delivery[id];
      if (last && last->event > a.event && ++undone <= 5) {
        ADD_FAILURE()
            << "(ii) id " << id << " delivered again (attempt " << last->attempt << ") "
            << std::chrono::duration_cast<std::chrono::milliseconds>(last->at - a.at).count()
            << " ms after its ack was confirmed";
      }
    }
  }
  EXPECT_EQ(undone, 0u) << "(ii) confirmed acks undone";

  auto ms = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  const std::string summary =
      "seed=" + std::to_string(seed) + " kills=" + std::to_string(kills) +
      " elapsed_ms=" + std::to_string(elapsed.count()) +
      " confirmed=" + std::to_string(confirmed_n.size()) +
      " unconfirmed_batches=" + std::to_string(producer.failed_batches) +
      " deliveries=" + std::to_string(consumer.deliveries.size()) +
      " distinct_delivered=" + std::to_string(delivered_n.size()) +
      " redelivered=" + std::to_string(redelivered) + " acked=" + std::to_string(acked_ids) +
      " ack_failures=" + std::to_string(consumer.ack_failures) +
      " lost_ack_replies=" + std::to_string(consumer.lost_acks) +
      " dead=" + std::to_string(final_stats.empty() ? 0 : final_stats[0].dead) +
      " restart_ms=" + std::to_string(ms(restarting)) +
      " progress_wait_ms=" + std::to_string(ms(waiting)) +
      " reconnects=" + std::to_string(producer.reconnects) + "/" +
      std::to_string(consumer.reconnects);
  RecordProperty("crash_summary", summary);
  SUCCEED() << summary;

  // (iv) not vacuous
  EXPECT_GE(kills, kMinKills) << "the run budget ran out before enough kills; " << summary;
  EXPECT_GE(confirmed_n.size(), kMinConfirmed) << summary;
  ASSERT_EQ(final_stats.size(), 1u);
  EXPECT_EQ(final_stats[0].ready + final_stats[0].delayed + final_stats[0].in_flight, 0u);
}

}  // namespace
}  // namespace symphony::testing
