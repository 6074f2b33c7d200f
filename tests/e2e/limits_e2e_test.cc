// The resource limits of [limits] against the real symphonyd (docs/operations.md, "Limits and
// overload"): a client that never says HELLO is closed at the deadline, a connection over
// max_connections gets TOO_MANY_CONNECTIONS, and a producer flood with no consumer meets
// MEMORY_LIMIT, not the machine's memory. Each refusal is a typed ERROR, and everyone inside the
// limits keeps being served.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "protocol/handshake.h"
#include "protocol/wire.h"
#include "tests/e2e/broker_process.h"
#include "tests/e2e/raw_socket.h"
#include "tests/e2e/reply_frames.h"
#include "tests/support/temp_dir.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientError;
using client::ClientOptions;
using client::DispatchOptions;
using client::OutgoingMessage;
using protocol::ErrorCode;
using namespace std::chrono_literals;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

/// symphonyd with a [limits] table (and a low disk threshold, so health does not depend on the
/// machine's disk).
struct LimitedBroker {
  explicit LimitedBroker(const std::string& limits)
      : config(dir.write("symphony.toml",
                         "[health]\nmin_free_disk_mb = 1\n[limits]\n" + limits + "\n")),
        broker({"--config", config}) {}
  TempDir dir;
  std::string config;
  BrokerProcess broker;
};

std::unique_ptr<Client> connect_to(const BrokerProcess& broker) {
  ClientOptions o;
  o.port = broker.port();
  o.timeout = 10s;
  o.reconnect_attempts = 0;
  return Client::connect(o);
}

/// Resident memory of a process in bytes (VmRSS), 0 if unreadable.
uint64_t resident_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

nlohmann::json health_of(const BrokerProcess& broker) {
  const CliResult r = run_cli(broker, {"health", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

TEST(LimitsE2E, AClientThatNeverSaysHelloIsClosedAtTheDeadline) {
  LimitedBroker b("hello_timeout_ms = 300");
  auto good = connect_to(b.broker);  // said HELLO in time: the deadline is not its concern

  const auto start = std::chrono::steady_clock::now();
  RawSocket silent(b.broker.port());
  RawSocket half(b.broker.port());
  half.send(std::string("\x00\x00\x00", 3));  // a third of a frame header, then nothing
  bool closed = false;
  const auto frames = frames_of(silent.read_until_close(10s, &closed));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(closed) << "a connection that never said HELLO is still open";
  EXPECT_EQ(error_code_in(frames), ErrorCode::kHelloRequired);
  EXPECT_GE(waited, 250ms) << "closed before the deadline";
  EXPECT_LT(waited, 8s);
  bool half_closed = false;
  half.read_until_close(10s, &half_closed);
  EXPECT_TRUE(half_closed) << "a connection stuck in its first header is still open";

  std::this_thread::sleep_for(400ms);  // past the deadline for `good` too, had it applied
  EXPECT_EQ(good->ping(7).nonce, 7u);
  EXPECT_TRUE(good->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).ok());
}

TEST(LimitsE2E, AConnectionOverTheCapGetsTooManyConnectionsAndTheNextOneAfterAFreedSlotWorks) {
  LimitedBroker b("max_connections = 3");
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_to(b.broker));

  RawSocket fourth(b.broker.port());
  bool closed = false;
  const auto frames = frames_of(fourth.read_until_close(10s, &closed));
  EXPECT_TRUE(closed);
  EXPECT_EQ(error_code_in(frames), ErrorCode::kTooManyConnections);
  try {
    connect_to(b.broker);
    ADD_FAILURE() << "a client over the cap was let in";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kTooManyConnections) << e.what();
  }
  // the three inside the cap are served as before
  for (auto& c : clients) {
    EXPECT_TRUE(c->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).ok());
  }

  // a freed slot is free again once the broker has seen the close
  clients.pop_back();
  std::unique_ptr<Client> later;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!later && std::chrono::steady_clock::now() < deadline) {
    try {
      later = connect_to(b.broker);
    } catch (const ClientError& e) {
      ASSERT_EQ(e.code(), ErrorCode::kTooManyConnections) << e.what();
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(later) << "the freed slot never came back";
  EXPECT_EQ(later->stats("q").at(0).ready, 3u);
}

/// CPU seconds (user + system) a process has used so far.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // the fields after the command name, which is in parentheses and may hold spaces
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Starts `make()` with a soft open-file limit of `nofile` (the child inherits it), then gives
/// this process its own limit back.
template <typename Make>
auto with_nofile_limit(rlim_t nofile, Make make) {
  rlimit old{};
  ::getrlimit(RLIMIT_NOFILE, &old);
  rlimit low = old;
  low.rlim_cur = nofile;
  ::setrlimit(RLIMIT_NOFILE, &low);
  struct Restore {
    rlimit limit;
    ~Restore() { ::setrlimit(RLIMIT_NOFILE, &limit); }
  } restore{old};
  return make();
}

TEST(LimitsE2E, AtTheDescriptorLimitClientsAreRefusedExistingOnesServedAndTheCpuStaysIdle) {
  if (kAddressSanitizer) {
    // The sanitizers' runtime needs descriptors of its own (UBSan's vptr check opens a pipe to
    // probe memory): out of them, it reports a false "invalid vptr" in simdjson and stops the
    // broker. The Release build runs this test.
    GTEST_SKIP() << "sanitizer runtimes misfire without file descriptors";
  }
  // 128 descriptors; a cap above that and a long HELLO deadline, so the descriptors run out first
  // and the silent connections keep theirs
  auto b = with_nofile_limit(128, [] {
    return std::make_unique<LimitedBroker>("max_connections = 100000\nhello_timeout_ms = 600000");
  });
  auto good = connect_to(b->broker);

  std::vector<std::unique_ptr<RawSocket>> hogs;
  for (int i = 0; i < 200; ++i) hogs.push_back(std::make_unique<RawSocket>(b->broker.port()));
  // those past the limit were accepted on the spare descriptor, told why, and closed
  int refused = 0;
  for (auto& h : hogs) {
    bool closed = false;
    const auto frames = frames_of(h->read_until_close(20ms, &closed));
    if (closed) {
      EXPECT_EQ(error_code_in(frames), ErrorCode::kTooManyConnections);
      ++refused;
    }
  }
  EXPECT_GT(refused, 0) << "200 connections fit in 128 descriptors?";
  EXPECT_LT(refused, 200) << "none of the connections was accepted";

  // out of descriptors: no spinning. The accept loop waits for a connection, and one that comes
  // is refused at once; idle, the broker uses next to no CPU.
  const double cpu_before = cpu_seconds(b->broker.pid());
  std::this_thread::sleep_for(2s);
  const double cpu_used = cpu_seconds(b->broker.pid()) - cpu_before;
  EXPECT_LT(cpu_used, 0.5) << "the broker burnt " << cpu_used << " s of CPU in 2 s, idle";
  std::printf(
      "[ figures  ] %d of 200 extra connections refused at 128 descriptors; %.2f s CPU "
      "in 2 s while out of descriptors\n",
      refused, cpu_used);

  // the client connected before is served as usual, and a new one is told to come back later
  EXPECT_EQ(good->ping(5).nonce, 5u);
  EXPECT_TRUE(good->dispatch({"T", "{}"}, DispatchOptions().with_queue("q")).ok());
  try {
    connect_to(b->broker);
    ADD_FAILURE() << "a client got in with no descriptor left";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kTooManyConnections) << e.what();
  }

  // descriptors freed: new clients get in at once
  hogs.clear();
  std::unique_ptr<Client> later;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!later && std::chrono::steady_clock::now() < deadline) {
    try {
      later = connect_to(b->broker);
    } catch (const ClientError&) {
      std::this_thread::sleep_for(20ms);
    }
  }
  ASSERT_TRUE(later) << "no client got in after the descriptors were freed";
  EXPECT_EQ(later->stats("q").at(0).ready, 1u);
  // and the log says so without flooding: one line per 10 s at most
  const std::string log = b->broker.log();
  size_t lines = 0;
  for (size_t at = log.find("accept failed"); at != std::string::npos;
       at = log.find("accept failed", at + 1)) {
    ++lines;
  }
  EXPECT_GE(lines, 1u) << "running out of descriptors was not logged";
  EXPECT_LE(lines, 3u) << "the accept errors flood the log";
}

TEST(LimitsE2E, AProducerFloodMeetsTheMemoryLimitNotTheMachinesMemory) {
  constexpr uint64_t kLimit = 160ull << 20;
  if (kAddressSanitizer) {
    // ASan holds freed blocks in a quarantine (256 MiB by default) that counts in the resident
    // set the guard reads; a small one keeps the broker's figure about its live memory.
    const char* had = std::getenv("ASAN_OPTIONS");
    ::setenv("ASAN_OPTIONS", (std::string(had ? had : "") + ":quarantine_size_mb=16").c_str(),
             /*overwrite=*/1);
  }
  LimitedBroker b("max_memory = \"160MiB\"");

  // 4 producers and no consumer, each sending batches of 64 messages of 16 KiB, and after a
  // refusal retrying 5 ms later, as a producer with a backoff would; at most 256 MiB each
  const std::string payload = R"({"blob":")" + std::string(16 * 1024, 'x') + R"("})";
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refusals{0};
  std::atomic<int> producers_refused{0};
  std::atomic<int> other_errors{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&] {
      try {
        auto c = connect_to(b.broker);
        std::vector<OutgoingMessage> batch(64);
        for (auto& m : batch) m = {{"Blob", payload}, DispatchOptions().with_queue("flood")};
        bool was_refused = false;
        for (int sent_mib = 0; sent_mib < 256 && !stop.load();) {
          bool refused = false;
          for (const auto& r : c->dispatch_batch(batch)) {
            if (r.ok()) {
              ++accepted;
            } else if (r.code == ErrorCode::kMemoryLimit && !r.error.empty()) {
              refused = true;
              ++refusals;
            } else if (other_errors++ == 0) {
              ADD_FAILURE() << "dispatch: " << protocol::error_name(r.code) << ": " << r.error;
            }
          }
          if (refused) {
            if (!was_refused) ++producers_refused;
            was_refused = true;
            std::this_thread::sleep_for(5ms);
          } else {
            ++sent_mib;
          }
        }
      } catch (const std::exception& e) {
        ++other_errors;  // a lost connection or a connection-level ERROR
        ADD_FAILURE() << e.what();
      }
    });
  }
  uint64_t peak_rss = 0;
  const auto sample_rss_until = [&](const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      peak_rss = std::max(peak_rss, resident_bytes(b.broker.pid()));
      if (done()) return true;  // asked once per round: the answer may change between asks
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(2ms);
    }
  };
  const bool all_refused = sample_rss_until([&] { return producers_refused.load() == 4; });

  // while the flood goes on: the broker says why it refuses, and consumers are still served
  nlohmann::json h;
  const bool degraded = all_refused && sample_rss_until([&] {
                          h = health_of(b.broker);
                          return h["status"] == "degraded" && h["checks"]["memory_alarm"] == true;
                        });
  std::optional<client::Delivery> d;
  std::unique_ptr<Client> consumer;
  if (all_refused) {
    consumer = connect_to(b.broker);
    consumer->subscribe({"flood"}, 16);
    d = consumer->receive(10s);
    if (d) {
      EXPECT_EQ(consumer->ack(d->id).acked, 1u);
    }
  }
  stop = true;
  for (auto& t : producers) t.join();
  peak_rss = std::max(peak_rss, resident_bytes(b.broker.pid()));

  ASSERT_EQ(other_errors.load(), 0) << "a dispatch failed with something else than MEMORY_LIMIT";
  ASSERT_TRUE(all_refused) << accepted.load() << " messages of 16 KiB accepted, "
                           << producers_refused.load() << " of 4 producers ever refused";
  EXPECT_GT(accepted.load(), 1000u) << "refused long before the limit";
  EXPECT_TRUE(degraded) << "health never said degraded during the flood: " << h.dump();
  EXPECT_EQ(h["checks"]["memory_limit_bytes"], kLimit) << h.dump();
  ASSERT_TRUE(d.has_value()) << "a consumer was not served during the flood";
  // The guard samples the resident set every 50 ms and adds an estimate of what was accepted
  // since, so producers are stopped before the limit is crossed by more than a little. Under ASan
  // the resident set also holds shadow memory and the quarantine: a looser bound.
  const uint64_t bound = kAddressSanitizer ? kLimit + kLimit / 2 : kLimit + kLimit / 10;
  EXPECT_LT(peak_rss, bound) << "the broker grew past its limit + 10 %";
  std::printf(
      "[ figures  ] 4 producers: %llu messages of 16 KiB accepted, %llu refused; peak RSS "
      "%.1f MiB for a limit of %.0f MiB\n",
      static_cast<unsigned long long>(accepted.load()),
      static_cast<unsigned long long>(refusals.load()), peak_rss / 1048576.0, kLimit / 1048576.0);

  // refused, not dropped: every accepted message is there
  auto producer = connect_to(b.broker);
  const auto st = producer->stats("flood").at(0);
  EXPECT_EQ(st.ready + st.in_flight + st.acked_total, accepted.load());

  if (kAddressSanitizer) {
    // ASan keeps freed memory in its quarantine and never gives it back to the OS, so the
    // resident set cannot fall; the watermark logic itself is tests/broker/memory_guard_test.cc.
    return;
  }
  // freeing memory (here by purging the queue) clears the alarm and producers are let in again
  const uint64_t purged = producer->purge_queue("flood");
  const auto left = producer->stats("flood").at(0);
  EXPECT_EQ(left.ready, 0u);
  EXPECT_EQ(purged + left.in_flight, accepted.load() - 1) << "one acked, the rest purged or leased";
  bool accepted_again = false;
  const auto clear_deadline = std::chrono::steady_clock::now() + 15s;
  while (!accepted_again && std::chrono::steady_clock::now() < clear_deadline) {
    const auto r = producer->dispatch({"Small", "{}"}, DispatchOptions().with_queue("after"));
    if (r.ok()) {
      accepted_again = true;
    } else {
      ASSERT_EQ(r.code, ErrorCode::kMemoryLimit) << r.error;
      std::this_thread::sleep_for(50ms);
    }
  }
  EXPECT_TRUE(accepted_again) << "the alarm never cleared after the queue was purged; rss "
                              << (resident_bytes(b.broker.pid()) >> 20) << " MiB";
  const nlohmann::json after = health_of(b.broker);
  EXPECT_EQ(after["checks"]["memory_alarm"], false) << after.dump();
}

}  // namespace
}  // namespace symphony::testing
