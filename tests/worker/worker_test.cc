// The worker (client/worker.h) against the real symphonyd: outcomes and their settlement, the
// concurrency limit, lease extension, graceful stop, reconnection, the environment, and the
// symphony-worker-example binary.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "client/worker.h"
#include "tests/e2e/broker_process.h"

extern char** environ;

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientOptions;
using client::Delivery;
using client::DispatchOptions;
using client::HandlerContext;
using client::HandlerError;
using client::HandlerRegistry;
using client::Outcome;
using client::Settlement;
using client::Worker;
using client::WorkerOptions;
using client::WorkerStats;
using nlohmann::json;
using namespace std::chrono_literals;

std::unique_ptr<Client> connect_to(uint16_t port) {
  ClientOptions o;
  o.port = port;
  o.timeout = 10s;
  return Client::connect(o);
}

void dispatch_n(Client& c, const std::string& queue, const std::string& type, int n) {
  for (int i = 0; i < n; ++i) {
    const auto r = c.dispatch({type, R"({"n":)" + std::to_string(i) + "}"},
                              DispatchOptions().with_queue(queue));
    ASSERT_TRUE(r.ok()) << r.error;
  }
}

protocol::QueueStats queue_stats(Client& c, const std::string& queue) {
  const auto s = c.stats(queue);
  return s.empty() ? protocol::QueueStats{} : s.front();
}

/// Polls the queue's stats (a round trip each) until `pred` holds; false after `timeout`. For
/// what the broker does on another connection (it sees a closed socket a moment later).
bool stats_become(Client& c, const std::string& queue,
                  const std::function<bool(const protocol::QueueStats&)>& pred,
                  std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred(queue_stats(c, queue))) {
    if (std::chrono::steady_clock::now() > deadline) return false;
  }
  return true;
}

/// Waits on a predicate over shared state, with a timeout; thread-safe.
class Monitor {
 public:
  template <typename F>
  void update(F&& f) {
    {
      std::lock_guard lock(mu_);
      f();
    }
    cv_.notify_all();
  }
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, pred);
  }
  template <typename F>
  auto read(F&& f) {
    std::lock_guard lock(mu_);
    return f();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
};

/// Collects the worker's settlements.
struct Recorder {
  Monitor m;
  std::vector<Settlement> settled;

  void add(const Settlement& s) {
    m.update([&] { settled.push_back(s); });
  }
  size_t count_unlocked(Outcome o) const {
    return static_cast<size_t>(std::count_if(settled.begin(), settled.end(),
                                             [&](const Settlement& s) { return s.outcome == o; }));
  }
  bool wait_for(Outcome o, size_t n, std::chrono::milliseconds timeout = 10s) {
    return m.wait([&] { return count_unlocked(o) >= n; }, timeout);
  }
  std::vector<Settlement> snapshot() {
    return m.read([&] { return settled; });
  }
};

WorkerOptions options_for(uint16_t port, const std::string& queue, Recorder& recorder) {
  WorkerOptions o;
  o.client.port = port;
  o.client.timeout = 10s;
  o.queues = {queue};
  o.poll_interval = 100ms;
  o.on_settled = [&recorder](const Settlement& s) { recorder.add(s); };
  return o;
}

/// Runs a worker on its own thread.
class WorkerThread {
 public:
  WorkerThread(WorkerOptions options, HandlerRegistry registry)
      : worker_(std::move(options), std::move(registry)), thread_([this] {
          try {
            stats_ = worker_.run();
          } catch (...) {
            error_ = std::current_exception();
          }
        }) {}
  ~WorkerThread() {
    worker_.stop();
    if (thread_.joinable()) thread_.join();
  }
  Worker& worker() { return worker_; }
  WorkerStats stop_and_join() {
    worker_.stop();
    thread_.join();
    if (error_) std::rethrow_exception(error_);
    return stats_;
  }

 private:
  Worker worker_;
  WorkerStats stats_;
  std::exception_ptr error_;
  std::thread thread_;  // last: starts once the rest is built
};

/// Sets environment variables for a scope.
class EnvGuard {
 public:
  void set(const char* name, const char* value) {
    names_.insert(name);
    ::setenv(name, value, 1);
  }
  ~EnvGuard() {
    for (const auto& n : names_) ::unsetenv(n.c_str());
  }

 private:
  std::set<std::string> names_;
};

// ---- registry, options, environment ----

TEST(HandlerRegistry, FindsReplacesAndListsTypes) {
  HandlerRegistry r;
  int which = 0;
  r.register_handler("SMSMessage", [&](const Delivery&, HandlerContext&) { which = 1; });
  r.register_handler("EmailMessage", [&](const Delivery&, HandlerContext&) { which = 2; });
  r.register_handler("SMSMessage", [&](const Delivery&, HandlerContext&) { which = 3; });
  EXPECT_EQ(r.types(), (std::vector<std::string>{"EmailMessage", "SMSMessage"}));
  EXPECT_EQ(r.find("Nope"), nullptr);
  const auto* h = r.find("SMSMessage");
  ASSERT_NE(h, nullptr);
  Delivery d;
  std::atomic<bool> stopping{false};
  HandlerContext ctx(d, stopping);
  (*h)(d, ctx);
  EXPECT_EQ(which, 3) << "a second registration replaces the first";
  EXPECT_THROW(r.register_handler("", [](const Delivery&, HandlerContext&) {}),
               std::invalid_argument);
  EXPECT_THROW(r.register_handler("X", nullptr), std::invalid_argument);
}

TEST(WorkerOptions, ApplyEnvParsesTheThreeVariables) {
  EnvGuard env;
  env.set("SYMPHONY_WORKER_BATCH_SIZE", "25");
  env.set("SYMPHONY_WORKER_MAX_CONCURRENCY", "7");
  env.set("SYMPHONY_WORKER_POLL_INTERVAL", "250");
  WorkerOptions o;
  std::string error;
  ASSERT_TRUE(o.apply_env(error)) << error;
  EXPECT_EQ(o.batch_size, 25u);
  EXPECT_EQ(o.max_concurrency, 7u);
  EXPECT_EQ(o.poll_interval, 250ms);
}

TEST(WorkerOptions, ApplyEnvKeepsDefaultsWhenUnsetOrEmpty) {
  EnvGuard env;
  env.set("SYMPHONY_WORKER_BATCH_SIZE", "");
  ::unsetenv("SYMPHONY_WORKER_MAX_CONCURRENCY");
  ::unsetenv("SYMPHONY_WORKER_POLL_INTERVAL");
  WorkerOptions o;
  std::string error;
  ASSERT_TRUE(o.apply_env(error)) << error;
  EXPECT_EQ(o.batch_size, 10u);
  EXPECT_EQ(o.max_concurrency, 5u);
  EXPECT_EQ(o.poll_interval, 1000ms);
}

TEST(WorkerOptions, ApplyEnvRejectsBadValuesNamingTheVariable) {
  for (const char* name : {"SYMPHONY_WORKER_BATCH_SIZE", "SYMPHONY_WORKER_MAX_CONCURRENCY",
                           "SYMPHONY_WORKER_POLL_INTERVAL"}) {
    for (const char* bad : {"abc", "0", "-3", "12x", "99999999999999999999"}) {
      EnvGuard env;
      env.set("SYMPHONY_WORKER_BATCH_SIZE", "20");  // valid, but not applied when another fails
      env.set(name, bad);
      WorkerOptions o;
      std::string error;
      EXPECT_FALSE(o.apply_env(error)) << name << "=" << bad;
      EXPECT_NE(error.find(name), std::string::npos) << error;
      EXPECT_NE(error.find(bad), std::string::npos) << error;
      EXPECT_EQ(o.batch_size, 10u) << "options changed by a failed apply_env";
    }
  }
}

TEST(WorkerOptions, ConstructorRejectsImpossibleOptions) {
  WorkerOptions o;
  o.batch_size = 0;
  EXPECT_THROW(Worker(o, HandlerRegistry{}), std::invalid_argument);
  o = WorkerOptions{};
  o.max_concurrency = 0;
  EXPECT_THROW(Worker(o, HandlerRegistry{}), std::invalid_argument);
  o = WorkerOptions{};
  o.queues.clear();
  EXPECT_THROW(Worker(o, HandlerRegistry{}), std::invalid_argument);
}

TEST(Worker, RunReturnsAtOnceWhenStoppedBeforehand) {
  WorkerOptions o;
  o.client.port = 1;  // never contacted
  Worker w(o, HandlerRegistry{});
  w.stop();
  const auto stats = w.run();
  EXPECT_EQ(stats.succeeded + stats.reconnects, 0u);
}

// ---- against the broker ----

TEST(Worker, SuccessfulHandlersAreAcked) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "ok", "Job", 20);

  Recorder rec;
  Monitor m;
  std::set<std::string> payloads;
  HandlerRegistry r;
  r.register_handler("Job", [&](const Delivery& d, HandlerContext& ctx) {
    EXPECT_EQ(&ctx.delivery, &d);
    EXPECT_FALSE(ctx.stopping());
    EXPECT_EQ(d.queue, "ok");
    EXPECT_EQ(d.attempt, 1u);
    m.update([&] { payloads.insert(d.payload); });
  });
  WorkerThread w(options_for(broker.port(), "ok", rec), std::move(r));
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 20));
  const auto stats = w.stop_and_join();
  EXPECT_EQ(stats.succeeded, 20u);
  EXPECT_EQ(stats.retried + stats.failed + stats.released + stats.lost + stats.settle_errors, 0u);
  EXPECT_EQ(m.read([&] { return payloads.size(); }), 20u);
  const auto s = queue_stats(*producer, "ok");
  EXPECT_EQ(s.acked_total, 20u);
  EXPECT_EQ(s.ready + s.delayed + s.in_flight + s.dead, 0u);
}

TEST(Worker, RetryableFailuresAreRedeliveredThenSucceed) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "flaky", "Flaky", 1);
  dispatch_n(*producer, "flaky", "Crashy", 1);

  Recorder rec;
  HandlerRegistry r;
  r.register_handler("Flaky", [](const Delivery& d, HandlerContext&) {
    if (d.attempt == 1) throw HandlerError("smtp timeout", true, "TimeoutError");
  });
  r.register_handler("Crashy", [](const Delivery& d, HandlerContext&) {
    if (d.attempt == 1) throw std::runtime_error("boom");
  });
  WorkerThread w(options_for(broker.port(), "flaky", rec), std::move(r));
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 2, 15s));
  const auto stats = w.stop_and_join();
  EXPECT_EQ(stats.retried, 2u);
  EXPECT_EQ(stats.succeeded, 2u);

  std::map<std::string, std::vector<Settlement>> by_type;
  for (const auto& s : rec.snapshot()) by_type[s.type].push_back(s);
  ASSERT_EQ(by_type["Flaky"].size(), 2u);
  EXPECT_EQ(by_type["Flaky"][0].outcome, Outcome::kRetried);
  EXPECT_EQ(by_type["Flaky"][0].attempt, 1u);
  EXPECT_EQ(by_type["Flaky"][0].error, "smtp timeout");
  EXPECT_EQ(by_type["Flaky"][0].error_class, "TimeoutError");
  EXPECT_EQ(by_type["Flaky"][1].outcome, Outcome::kSucceeded);
  EXPECT_EQ(by_type["Flaky"][1].attempt, 2u);
  ASSERT_EQ(by_type["Crashy"].size(), 2u);
  EXPECT_EQ(by_type["Crashy"][0].outcome, Outcome::kRetried);
  EXPECT_EQ(by_type["Crashy"][0].error, "boom");
  EXPECT_EQ(by_type["Crashy"][0].error_class, "UnhandledException");
  EXPECT_EQ(by_type["Crashy"][1].attempt, 2u);

  const auto s = queue_stats(*producer, "flaky");
  EXPECT_EQ(s.retried_total, 2u);
  EXPECT_EQ(s.acked_total, 2u);
  EXPECT_EQ(s.dead, 0u);
}

TEST(Worker, FatalFailureAndUnknownTypeAreDeadLetteredWithoutTakingAThread) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "dl", "Slow", 1);
  dispatch_n(*producer, "dl", "Nobody", 1);
  dispatch_n(*producer, "dl", "Bad", 1);

  Recorder rec;
  Monitor gate;
  bool slow_started = false, slow_may_finish = false;
  HandlerRegistry r;
  r.register_handler("Slow", [&](const Delivery&, HandlerContext&) {
    gate.update([&] { slow_started = true; });
    ASSERT_TRUE(gate.wait([&] { return slow_may_finish; }));
  });
  r.register_handler("Bad", [](const Delivery&, HandlerContext&) {
    throw HandlerError("invalid address", false, "ValidationError");
  });
  auto options = options_for(broker.port(), "dl", rec);
  options.max_concurrency = 1;
  WorkerThread w(std::move(options), std::move(r));

  // the only thread is busy with Slow, and the unknown type is settled all the same
  ASSERT_TRUE(gate.wait([&] { return slow_started; }));
  ASSERT_TRUE(rec.wait_for(Outcome::kFailed, 1));
  {
    const auto first = rec.snapshot();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].type, "Nobody");
    EXPECT_EQ(first[0].error, "no handler for message type Nobody");
    EXPECT_EQ(first[0].error_class, "UnknownMessageType");
  }
  gate.update([&] { slow_may_finish = true; });
  ASSERT_TRUE(rec.wait_for(Outcome::kFailed, 2));
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 1));
  const auto stats = w.stop_and_join();
  EXPECT_EQ(stats.failed, 2u);
  EXPECT_EQ(stats.succeeded, 1u);
  EXPECT_EQ(stats.retried, 0u);
  for (const auto& s : rec.snapshot()) {
    if (s.type == "Bad") {
      EXPECT_EQ(s.outcome, Outcome::kFailed);
      EXPECT_EQ(s.error, "invalid address");
      EXPECT_EQ(s.error_class, "ValidationError");
    }
  }
  const auto s = queue_stats(*producer, "dl");
  EXPECT_EQ(s.dead, 2u);
  EXPECT_EQ(s.dead_lettered_total, 2u);
  EXPECT_EQ(s.acked_total, 1u);
  EXPECT_EQ(s.retried_total, 0u);
}

TEST(Worker, ConcurrencyNeverExceedsMaxConcurrency) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "busy", "Job", 30);

  Recorder rec;
  std::atomic<int> running{0}, high_water{0};
  HandlerRegistry r;
  r.register_handler("Job", [&](const Delivery&, HandlerContext&) {
    const int now = ++running;
    int seen = high_water.load();
    while (now > seen && !high_water.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(30ms);
    --running;
  });
  auto options = options_for(broker.port(), "busy", rec);
  options.batch_size = 10;
  options.max_concurrency = 3;
  WorkerThread w(std::move(options), std::move(r));
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 30));
  const auto stats = w.stop_and_join();
  EXPECT_EQ(stats.succeeded, 30u);
  EXPECT_EQ(high_water.load(), 3);
  EXPECT_EQ(queue_stats(*producer, "busy").acked_total, 30u);
}

TEST(Worker, MessagesWaitingForAThreadStartInArrivalOrder) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "fifo", "Job", 12);

  Recorder rec;
  Monitor m;
  std::vector<uint64_t> started;
  HandlerRegistry r;
  r.register_handler("Job", [&](const Delivery& d, HandlerContext&) {
    m.update([&] { started.push_back(d.id); });
    std::this_thread::sleep_for(5ms);
  });
  auto options = options_for(broker.port(), "fifo", rec);
  options.batch_size = 10;
  options.max_concurrency = 1;
  WorkerThread w(std::move(options), std::move(r));
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 12));
  w.stop_and_join();
  const auto order = m.read([&] { return started; });
  ASSERT_EQ(order.size(), 12u);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(Worker, LongHandlerKeepsItsLeaseByTouching) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "long", "Job", 1);

  Recorder rec;
  Monitor m;
  std::vector<uint32_t> attempts;
  HandlerRegistry r;
  r.register_handler("Job", [&](const Delivery& d, HandlerContext&) {
    m.update([&] { attempts.push_back(d.attempt); });
    std::this_thread::sleep_for(1200ms);  // 3x the lease
  });
  auto options = options_for(broker.port(), "long", rec);
  options.lease_ms = 400;
  WorkerThread w(std::move(options), std::move(r));
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 1));
  const auto stats = w.stop_and_join();
  EXPECT_EQ(m.read([&] { return attempts; }), std::vector<uint32_t>{1}) << "redelivered";
  EXPECT_GE(stats.extended, 2u);
  EXPECT_EQ(stats.settle_errors, 0u);
  const auto s = queue_stats(*producer, "long");
  EXPECT_EQ(s.expired_total, 0u);
  EXPECT_EQ(s.acked_total, 1u);
  EXPECT_EQ(s.delivered_total, 1u);
}

TEST(Worker, GracefulStopFinishesRunningHandlersAndReleasesThePrefetched) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  constexpr int kTotal = 20;
  dispatch_n(*producer, "drain", "Job", kTotal);

  Recorder rec;
  Monitor m;
  int started = 0, saw_stopping = 0;
  HandlerRegistry r;
  r.register_handler("Job", [&](const Delivery&, HandlerContext& ctx) {
    m.update([&] { ++started; });
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (!ctx.stopping() && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(5ms);
    }
    std::this_thread::sleep_for(100ms);  // still working after the stop began
    m.update([&] { saw_stopping += ctx.stopping() ? 1 : 0; });
  });
  auto options = options_for(broker.port(), "drain", rec);
  options.batch_size = 10;
  options.max_concurrency = 2;
  WorkerThread w(std::move(options), std::move(r));
  ASSERT_TRUE(m.wait([&] { return started == 2; }));
  // the whole prefetch window is held by the worker
  ASSERT_TRUE(stats_become(*producer, "drain", [](const auto& s) { return s.in_flight == 10; }))
      << "the worker did not prefetch 10";

  const auto stats = w.stop_and_join();
  EXPECT_EQ(m.read([&] { return started; }), 2);
  EXPECT_EQ(m.read([&] { return saw_stopping; }), 2);
  EXPECT_EQ(stats.succeeded, 2u);
  EXPECT_EQ(stats.released, 8u);
  EXPECT_EQ(stats.lost + stats.settle_errors + stats.failed + stats.retried, 0u);
  auto s = queue_stats(*producer, "drain");
  EXPECT_EQ(s.acked_total, 2u);
  EXPECT_EQ(s.ready, static_cast<uint64_t>(kTotal) - 2);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_TRUE(stats_become(*producer, "drain", [](const auto& x) { return x.consumers == 0; }))
      << "the worker's connection was not closed";

  // the released ones come back as first attempts
  auto c = connect_to(broker.port());
  c->subscribe({"drain"}, 50);
  for (int i = 0; i < kTotal - 2; ++i) {
    auto d = c->receive(5s);
    ASSERT_TRUE(d.has_value()) << "got " << i;
    EXPECT_EQ(d->attempt, 1u) << "a release counted as an attempt";
    c->ack(d->id);
  }
}

TEST(Worker, StopWithNothingToDoReturnsPromptly) {
  BrokerProcess broker;
  Recorder rec;
  HandlerRegistry r;
  r.register_handler("Job", [](const Delivery&, HandlerContext&) {});
  auto options = options_for(broker.port(), "idle", rec);
  options.poll_interval = 5000ms;
  WorkerThread w(std::move(options), std::move(r));
  auto c = connect_to(broker.port());
  dispatch_n(*c, "idle", "Job", 1);
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 1));
  const auto t0 = std::chrono::steady_clock::now();
  w.stop_and_join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1000ms);
}

/// A TCP proxy to the broker whose connections the test can cut.
class TcpProxy {
 public:
  explicit TcpProxy(uint16_t target) : target_(target) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      throw std::runtime_error("proxy: bind/listen failed");
    }
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (::pipe(wake_) != 0) throw std::runtime_error("proxy: pipe failed");
    thread_ = std::thread([this] { loop(); });
  }
  ~TcpProxy() {
    stop_ = true;
    poke();
    thread_.join();
    for (auto [a, b] : pairs_) {
      ::close(a);
      ::close(b);
    }
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  uint16_t port() const { return port_; }
  /// Closes every proxied connection (new ones are accepted as before).
  void cut() {
    drop_ = true;
    poke();
  }

 private:
  void poke() {
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(wake_[1], &c, 1);
  }
  void close_pair(size_t i) {
    ::close(pairs_[i].first);
    ::close(pairs_[i].second);
    pairs_.erase(pairs_.begin() + static_cast<ptrdiff_t>(i));
  }
  void loop() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      for (auto [a, b] : pairs_) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
      if (fds[1].revents) {
        char buf[16];
        [[maybe_unused]] const auto n = ::read(wake_[0], buf, sizeof buf);
        if (drop_.exchange(false)) {
          while (!pairs_.empty()) close_pair(0);
          continue;
        }
      }
      if (fds[0].revents & POLLIN) {
        const int in = ::accept(listen_fd_, nullptr, nullptr);
        const int out = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(target_);
        if (in >= 0 && ::connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          pairs_.emplace_back(in, out);
        } else {
          if (in >= 0) ::close(in);
          ::close(out);
        }
        continue;  // the fd list changed
      }
      for (size_t i = 2; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        const size_t pair = (i - 2) / 2;
        const int from = fds[i].fd;
        const int to = (i % 2 == 0) ? pairs_[pair].second : pairs_[pair].first;
        char buf[65536];
        const ssize_t n = ::read(from, buf, sizeof buf);
        bool ok = n > 0;
        for (ssize_t off = 0; ok && off < n;) {
          const ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
          ok = w > 0;
          off += w;
        }
        if (!ok) {
          close_pair(pair);
          break;  // the fd list changed
        }
      }
    }
  }

  uint16_t target_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false}, drop_{false};
  std::vector<std::pair<int, int>> pairs_;  // proxy thread only
  std::thread thread_;
};

TEST(Worker, ReconnectsAfterAConnectionLossAndDropsTheStaleResult) {
  BrokerProcess broker;
  TcpProxy proxy(broker.port());
  auto producer = connect_to(broker.port());
  dispatch_n(*producer, "net", "Job", 1);

  Recorder rec;
  Monitor m;
  int first_started = 0, connection_errors = 0;
  HandlerRegistry r;
  r.register_handler("Job", [&](const Delivery& d, HandlerContext&) {
    if (d.attempt > 1) return;
    m.update([&] { ++first_started; });
    // finish only once the worker has noticed that the connection is gone
    ASSERT_TRUE(m.wait([&] { return connection_errors > 0; }));
  });
  auto options = options_for(proxy.port(), "net", rec);
  options.max_concurrency = 2;
  options.on_connection_error = [&](const client::ClientError&) {
    m.update([&] { ++connection_errors; });
  };
  WorkerThread w(std::move(options), std::move(r));
  ASSERT_TRUE(m.wait([&] { return first_started == 1; }));
  proxy.cut();
  ASSERT_TRUE(rec.wait_for(Outcome::kSucceeded, 1));
  ASSERT_TRUE(rec.wait_for(Outcome::kLost, 1));
  const auto stats = w.stop_and_join();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.lost, 1u);
  EXPECT_EQ(stats.succeeded, 1u);
  for (const auto& s : rec.snapshot()) {
    EXPECT_EQ(s.attempt, s.outcome == Outcome::kLost ? 1u : 2u);
  }
  const auto s = queue_stats(*producer, "net");
  EXPECT_EQ(s.acked_total, 1u);
  EXPECT_EQ(s.ready + s.in_flight + s.delayed + s.dead, 0u);
}

TEST(Worker, PermanentErrorsAreThrownFromRun) {
  BrokerProcess broker;
  Recorder rec;
  auto options = options_for(broker.port(), "bad queue name!", rec);
  Worker w(options, HandlerRegistry{});
  EXPECT_THROW(w.run(), client::ClientError);
}

// ---- the example binary ----

/// A child process whose stdout the test reads line by line.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> env_strings(extra_env);
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    std::vector<char*> args, env;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env_strings) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      ::execve(args[0], args.data(), env.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  void signal(int signo) { ::kill(pid_, signo); }
  /// The next stdout line; nullopt at the end of the output or on timeout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      if (eof_) return std::nullopt;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(out_, buf, sizeof buf);
      if (n <= 0) {
        eof_ = true;
      } else {
        buffer_.append(buf, static_cast<size_t>(n));
      }
    }
  }
  bool at_eof() const { return eof_; }
  /// Exit code (128 + signal when killed); call after the output ended.
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

TEST(WorkerExample, ProcessesTheSeedMessageTypesAndDrainsOnSigterm) {
  BrokerProcess broker;
  auto producer = connect_to(broker.port());
  // no queue: routed to "default", which the example consumes by default
  const std::vector<std::pair<std::string, std::string>> messages{
      {"EmailMessage", R"({"to":"a@b.c"})"},
      {"SMSMessage", R"({"to":"+15550100"})"},
      {"CampaignMessage", R"({"campaignId":"c1","recipientId":"r1","stepId":"s1"})"},
      {"EmailMessage", R"({"to":"bad","fail":"fatal"})"},
      {"EmailMessage", R"({"to":"slow@b.c","fail":"retry"})"}};
  for (const auto& [type, payload] : messages) {
    ASSERT_TRUE(producer->dispatch({type, payload}).ok());
  }

  Child child({WORKER_EXAMPLE_PATH, "--server", broker.address(), "--work-ms", "10",
               "--poll-interval-ms", "100"},
              {"SYMPHONY_WORKER_MAX_CONCURRENCY=2"});
  std::map<std::string, int> outcomes;
  std::set<std::string> types;
  while (outcomes["succeeded"] < 3 || outcomes["failed"] < 1 || outcomes["retried"] < 1) {
    const auto line = child.read_line(10s);
    ASSERT_TRUE(line.has_value()) << "outcomes so far: " << json(outcomes).dump();
    const json j = json::parse(*line);
    for (const char* key : {"id", "type", "attempt", "outcome"}) {
      ASSERT_TRUE(j.contains(key)) << *line;
    }
    ++outcomes[j["outcome"].get<std::string>()];
    types.insert(j["type"].get<std::string>());
    if (j["outcome"] == "failed") {
      EXPECT_EQ(j["error_class"], "ValidationError") << *line;
    }
    if (j["outcome"] == "retried") {
      EXPECT_EQ(j["error_class"], "TimeoutError") << *line;
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"EmailMessage", "SMSMessage", "CampaignMessage"}));

  const auto t0 = std::chrono::steady_clock::now();
  child.signal(SIGTERM);
  std::string last;
  while (auto line = child.read_line(5s)) last = *line;
  ASSERT_TRUE(child.at_eof()) << "the example did not exit within 5 s of SIGTERM";
  EXPECT_EQ(child.wait(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  const json stats = json::parse(last);
  ASSERT_TRUE(stats.contains("stats")) << last;
  EXPECT_EQ(stats["stats"]["succeeded"], 3);
  EXPECT_EQ(stats["stats"]["failed"], 1);
  EXPECT_GE(stats["stats"]["retried"], 1);
  const auto s = queue_stats(*producer, "default");
  EXPECT_EQ(s.acked_total, 3u);
  EXPECT_EQ(s.dead, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_TRUE(stats_become(*producer, "default", [](const auto& x) { return x.consumers == 0; }));
}

TEST(WorkerExample, RejectsABadEnvironmentValue) {
  Child child({WORKER_EXAMPLE_PATH, "--server", "127.0.0.1:1"}, {"SYMPHONY_WORKER_BATCH_SIZE=abc"});
  while (child.read_line(10s)) {
  }
  ASSERT_TRUE(child.at_eof());
  EXPECT_EQ(child.wait(), 1);
}

}  // namespace
}  // namespace symphony::testing
