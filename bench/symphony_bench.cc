// symphony-bench: load generator for Symphony, and for Redis Streams and beanstalkd as peers
// (--target), so the same shapes can be compared (bench/peers.sh).
//
//   produce  P producers dispatch --count messages; latency = send (or intended send) -> confirm
//   consume  C consumers drain --count messages already queued, acking in batches
//   e2e      producers and consumers at once; latency = send (or intended send) -> delivery
//
// With --rate the load is open-loop: every batch has an intended send time on a fixed schedule
// and latency is measured from it, so a stall shows up in the percentiles instead of slowing
// the sender down (no coordinated omission). Without --rate, it runs as fast as it can, with
// --pipeline batches in flight per producer.
//
// Against a peer, --batch is the pipelining depth: a producer writes `batch` commands, then reads
// their replies, and each message's latency runs from its batch's (intended) send time to its own
// reply. Consumers acknowledge each batch they get (Redis: one XACK per XREADGROUP; beanstalkd:
// a delete per reserve) with their next request. --pipeline, --queues, --priorities, --delay-ms,
// --ack-batch, --token and --tls-ca are Symphony's only.
//
// Output: a readable table on stderr, or with --json one JSON object on stdout.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/beanstalkd_target.h"
#include "bench/bench_target.h"
#include "bench/latency_histogram.h"
#include "bench/redis_target.h"
#include "client/client.h"

namespace {

using symphony::bench::LatencyHistogram;
using symphony::bench::PeerTarget;
using symphony::client::Client;
using symphony::client::ClientOptions;
using symphony::client::OutgoingMessage;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string server = "127.0.0.1:7400";
  std::string mode = "e2e";
  std::string queue = "bench";
  int queues = 1;  // > 1: messages spread round robin over <queue>-0 .. <queue>-(queues-1)
  std::string target = "symphony";  // or "redis", "beanstalkd"
  std::string token;                // sent in HELLO, for a broker with auth tokens
  bool idempotency_keys = true;     // the client default: a random key per message
  std::string tls_ca;  // non-empty: connect with TLS, verifying the broker against this CA
  uint64_t count = 100'000;
  double max_seconds = 60;
  int producers = 1;
  int consumers = 1;
  size_t size = 100;
  int batch = 100;
  int pipeline = 8;
  double rate = 0;  // messages per second, all producers together; 0: as fast as possible
  int prefetch = 1000;
  int ack_batch = 100;
  uint64_t max_live = 0;  // e2e: producers wait while more than this many are unacked
  std::string priorities = "5";
  int64_t delay_ms = 0;
  bool json = false;
  bool progress = true;
};

int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// {"t":<ns>,"p":"xxxx"} padded to exactly `size` bytes (at least the JSON skeleton).
std::string make_payload(int64_t t_ns, size_t size) {
  std::string s = fmt::format("{{\"t\":{},\"p\":\"", t_ns);
  const size_t tail = 2;  // "}
  if (s.size() + tail < size) s.append(size - s.size() - tail, 'x');
  s += "\"}";
  return s;
}

/// The send timestamp a producer put in the payload.
int64_t payload_time(std::string_view payload) {
  const auto pos = payload.find("\"t\":");
  if (pos == std::string_view::npos) return 0;
  int64_t t = 0;
  const char* b = payload.data() + pos + 4;
  std::from_chars(b, payload.data() + payload.size(), t);
  return t;
}

struct Shared {
  std::atomic<uint64_t> confirmed{0};
  std::atomic<uint64_t> consumed{0};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> to_send{0};  // messages handed out to producers
  std::atomic<bool> stop{false};
  std::mutex mu;
  LatencyHistogram latency;  // merged at the end of each thread
};

std::vector<std::string> queue_names(const Config& c) {
  if (c.queues <= 1) return {c.queue};
  std::vector<std::string> out;
  for (int i = 0; i < c.queues; ++i) out.push_back(fmt::format("{}-{}", c.queue, i));
  return out;
}

ClientOptions client_options(const Config& c) {
  ClientOptions o;
  const auto colon = c.server.rfind(':');
  o.host = c.server.substr(0, colon);
  o.port = static_cast<uint16_t>(std::stoi(c.server.substr(colon + 1)));
  o.client_name = "symphony-bench";
  o.auth_token = c.token;
  o.auto_idempotency_keys = c.idempotency_keys;
  o.tls = !c.tls_ca.empty();
  o.tls_ca_file = c.tls_ca;
  o.timeout = std::chrono::seconds(60);
  return o;
}

std::vector<uint8_t> parse_priorities(const std::string& text) {
  std::vector<uint8_t> out;
  const auto dash = text.find('-');
  if (dash != std::string::npos) {
    const int lo = std::stoi(text.substr(0, dash));
    const int hi = std::stoi(text.substr(dash + 1));
    for (int p = lo; p <= hi; ++p) out.push_back(static_cast<uint8_t>(p));
  } else {
    size_t start = 0;
    while (start < text.size()) {
      const auto comma = text.find(',', start);
      out.push_back(static_cast<uint8_t>(std::stoi(text.substr(start, comma - start))));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

/// The open-loop schedule shared by both producer paths: when batch number `batches_sent` (of
/// `batch` messages) is meant to go out, sleeping until then. Without --rate: now.
Clock::time_point pace(const Config& cfg, Clock::time_point start, uint64_t batches_sent) {
  if (cfg.rate <= 0) return Clock::now();
  const double per_producer_rate = cfg.rate / cfg.producers;
  const auto intended =
      start + std::chrono::nanoseconds(static_cast<int64_t>(
                  1e9 * static_cast<double>(batches_sent * static_cast<uint64_t>(cfg.batch)) /
                  per_producer_rate));
  std::this_thread::sleep_until(intended);
  return intended;
}

/// The wall-clock time that corresponds to the steady-clock `intended`, for the payload.
int64_t intended_wall_ns(Clock::time_point intended) {
  return wall_ns() -
         std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - intended).count();
}

void run_producer(const Config& cfg, Shared& sh, int index, Clock::time_point start) {
  LatencyHistogram hist;
  try {
    auto client = Client::connect(client_options(cfg));
    const auto prios = parse_priorities(cfg.priorities);
    std::mt19937 rng(static_cast<unsigned>(index) * 7919u + 1);
    const std::vector<std::string> queues = queue_names(cfg);
    std::vector<OutgoingMessage> batch(static_cast<size_t>(cfg.batch));
    for (auto& m : batch) {
      m.message.type = "BenchMessage";
      if (cfg.delay_ms > 0) m.options.delay_ms = cfg.delay_ms;
    }
    struct InFlight {
      uint32_t rid;
      Clock::time_point intended;
      size_t n;
    };
    std::deque<InFlight> inflight;
    uint64_t batches_sent = 0;
    auto collect_one = [&] {
      const InFlight f = inflight.front();
      inflight.pop_front();
      const auto results = client->wait_dispatch(f.rid);
      const auto now = Clock::now();
      uint64_t ok = 0;
      for (const auto& r : results) ok += r.ok() ? 1 : 0;
      sh.errors += results.size() - ok;
      sh.confirmed += ok;
      if (cfg.mode == "produce") {
        hist.record(
            static_cast<uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(now - f.intended).count()),
            ok);
      }
    };
    for (;;) {
      if (sh.stop) break;
      // claim the next batch of the total count
      const uint64_t claimed = sh.to_send.fetch_add(batch.size());
      if (claimed >= cfg.count) break;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(batch.size(), cfg.count - claimed));
      const Clock::time_point intended = pace(cfg, start, batches_sent);
      while (cfg.max_live > 0 && sh.confirmed.load() > sh.acked.load() + cfg.max_live && !sh.stop) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      // the payload carries the intended send time, so e2e latency includes any queueing
      const int64_t t_ns = intended_wall_ns(intended);
      for (size_t i = 0; i < n; ++i) {
        batch[i].message.payload = make_payload(t_ns, cfg.size);
        batch[i].options.priority = prios[rng() % prios.size()];
        batch[i].options.queue = queues[(claimed + i) % queues.size()];
      }
      const uint32_t rid = client->send_dispatch(std::span<const OutgoingMessage>(batch.data(), n));
      inflight.push_back({rid, intended, n});
      ++batches_sent;
      while (inflight.size() >= static_cast<size_t>(cfg.pipeline)) collect_one();
    }
    while (!inflight.empty()) collect_one();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "producer %d: %s\n", index, e.what());
    ++sh.errors;
  }
  std::lock_guard lk(sh.mu);
  sh.latency.merge(hist);
}

void run_consumer(const Config& cfg, Shared& sh, int index) {
  LatencyHistogram hist;
  try {
    auto client = Client::connect(client_options(cfg));
    client->subscribe(queue_names(cfg), static_cast<uint32_t>(cfg.prefetch));
    std::vector<uint64_t> ids;
    ids.reserve(static_cast<size_t>(cfg.ack_batch) * 2);
    const bool e2e = cfg.mode == "e2e";
    while (!sh.stop && sh.consumed.load() < cfg.count) {
      client->receive_batch(
          std::chrono::milliseconds(100), [&](const symphony::protocol::DeliveryView& d) {
            ids.push_back(d.head.message_id);
            if (e2e) {
              const int64_t lat = wall_ns() - payload_time(d.message.payload);
              hist.record(static_cast<uint64_t>(std::max<int64_t>(lat, 0)) / 1000);
            }
          });
      if (ids.size() >= static_cast<size_t>(cfg.ack_batch) ||
          (!ids.empty() && sh.consumed.load() + ids.size() >= cfg.count)) {
        client->ack_async(ids);
        sh.consumed += ids.size();
        sh.acked += ids.size();
        ids.clear();
      }
    }
    if (!ids.empty()) {
      client->ack_async(ids);
      sh.consumed += ids.size();
      sh.acked += ids.size();
    }
    client->ping();  // every ack before it has been processed
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer %d: %s\n", index, e.what());
    ++sh.errors;
  }
  std::lock_guard lk(sh.mu);
  sh.latency.merge(hist);
}

void run_peer_producer(const Config& cfg, PeerTarget& target, Shared& sh, int index,
                       Clock::time_point start) {
  LatencyHistogram hist;
  try {
    auto conn = target.producer(index);
    std::vector<std::string> payloads(static_cast<size_t>(cfg.batch));
    const bool produce = cfg.mode == "produce";
    for (uint64_t batches_sent = 0; !sh.stop; ++batches_sent) {
      const uint64_t claimed = sh.to_send.fetch_add(payloads.size());
      if (claimed >= cfg.count) break;
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(payloads.size(), cfg.count - claimed));
      const Clock::time_point intended = pace(cfg, start, batches_sent);
      while (cfg.max_live > 0 && sh.confirmed.load() > sh.acked.load() + cfg.max_live && !sh.stop) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      const int64_t t_ns = intended_wall_ns(intended);
      for (size_t i = 0; i < n; ++i) payloads[i] = make_payload(t_ns, cfg.size);
      conn->send(std::span<const std::string>(payloads.data(), n));
      uint64_t ok = 0;
      conn->collect(n, [&](bool reply_ok) {
        if (!reply_ok) return;
        ++ok;
        if (produce) {
          hist.record(static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - intended)
                  .count()));
        }
      });
      sh.errors += n - ok;
      sh.confirmed += ok;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "producer %d: %s\n", index, e.what());
    ++sh.errors;
  }
  std::lock_guard lk(sh.mu);
  sh.latency.merge(hist);
}

void run_peer_consumer(const Config& cfg, PeerTarget& target, Shared& sh, int index) {
  LatencyHistogram hist;
  try {
    auto conn = target.consumer(index);
    const bool e2e = cfg.mode == "e2e";
    while (!sh.stop && sh.consumed.load() < cfg.count) {
      const size_t n = conn->receive([&](std::string_view payload) {
        if (e2e) {
          const int64_t lat = wall_ns() - payload_time(payload);
          hist.record(static_cast<uint64_t>(std::max<int64_t>(lat, 0)) / 1000);
        }
      });
      // Counted once delivered: the acknowledgement goes out with the next receive (or finish),
      // as the Symphony path counts its asynchronous ACKs when sent.
      sh.consumed += n;
      sh.acked += n;
    }
    conn->finish();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer %d: %s\n", index, e.what());
    ++sh.errors;
  }
  std::lock_guard lk(sh.mu);
  sh.latency.merge(hist);
}

std::unique_ptr<PeerTarget> make_peer(const Config& cfg) {
  symphony::bench::PeerOptions o;
  const auto colon = cfg.server.rfind(':');
  o.host = cfg.server.substr(0, colon);
  o.port = static_cast<uint16_t>(std::stoi(cfg.server.substr(colon + 1)));
  o.key = cfg.queue;
  o.prefetch = static_cast<size_t>(cfg.prefetch);
  if (cfg.target == "redis") return symphony::bench::make_redis_target(o);
  return symphony::bench::make_beanstalkd_target(o);
}

/// --mode idle: opens `n` connections (HELLO done), prints one JSON line when all are up, then
/// holds them for --max-seconds. The broker's memory per connection is measured from outside
/// (bench/memory.sh reads its VmRSS while they are held).
int run_idle(const Config& cfg, int n) {
  std::vector<std::unique_ptr<Client>> held;
  held.reserve(static_cast<size_t>(n));
  const auto start = Clock::now();
  try {
    for (int i = 0; i < n; ++i) {
      held.push_back(Client::connect(client_options(cfg)));
      if (cfg.progress && (i + 1) % 1000 == 0) std::fprintf(stderr, "%d connected\n", i + 1);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "symphony-bench: connection %zu: %s\n", held.size() + 1, e.what());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%s\n", nlohmann::json{{"target", cfg.target},
                                     {"mode", "idle"},
                                     {"connections", n},
                                     {"seconds", seconds},
                                     {"connections_per_s", n / seconds}}
                          .dump()
                          .c_str());
  std::fflush(stdout);
  std::this_thread::sleep_until(start + std::chrono::duration<double>(cfg.max_seconds));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  CLI::App app{"symphony-bench: load generator for Symphony, Redis Streams and beanstalkd"};
  auto* server_opt =
      app.add_option("--server", cfg.server,
                     "Broker HOST:PORT (default: 127.0.0.1:7400; redis :6379, beanstalkd :11300)");
  app.add_option("--mode", cfg.mode,
                 "produce, consume, e2e, or idle (open --connections and hold them "
                 "--max-seconds)")
      ->check(CLI::IsMember({"produce", "consume", "e2e", "idle"}))
      ->capture_default_str();
  app.add_option("--target", cfg.target, "Broker to drive: symphony, redis or beanstalkd")
      ->check(CLI::IsMember({"symphony", "redis", "beanstalkd"}))
      ->capture_default_str();
  app.add_option("--queue", cfg.queue, "Queue to use")->capture_default_str();
  app.add_option("--queues", cfg.queues, "Spread messages over this many queues")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--token", cfg.token, "Auth token sent in HELLO");
  app.add_flag("!--no-idempotency-keys", cfg.idempotency_keys,
               "Send messages without the client's automatic idempotency keys");
  app.add_option("--tls-ca", cfg.tls_ca, "Connect with TLS, verifying the broker against this CA");
  app.add_option("--count", cfg.count, "Messages in all")->capture_default_str();
  app.add_option("--max-seconds", cfg.max_seconds, "Stop after this long")->capture_default_str();
  int connections = 1000;
  app.add_option("--connections", connections, "idle: connections to open and hold")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--producers", cfg.producers, "Producer connections")->capture_default_str();
  app.add_option("--consumers", cfg.consumers, "Consumer connections")->capture_default_str();
  app.add_option("--size", cfg.size, "Payload bytes")->capture_default_str();
  app.add_option("--batch", cfg.batch, "Messages per DISPATCH; peers: commands pipelined")
      ->capture_default_str();
  app.add_option("--pipeline", cfg.pipeline, "DISPATCH batches in flight per producer")
      ->capture_default_str();
  app.add_option("--rate", cfg.rate, "Messages/s for all producers (open loop); 0: flat out")
      ->capture_default_str();
  app.add_option("--prefetch", cfg.prefetch, "Consumer prefetch; redis: XREADGROUP COUNT")
      ->capture_default_str();
  app.add_option("--ack-batch", cfg.ack_batch, "Ids per ACK")->capture_default_str();
  app.add_option("--max-live", cfg.max_live, "e2e: most unacked messages (0: no limit)")
      ->capture_default_str();
  app.add_option("--priorities", cfg.priorities, "Priority mix: 5, 1-10 or 1,5,9")
      ->capture_default_str();
  app.add_option("--delay-ms", cfg.delay_ms, "Delay every message by this much");
  app.add_flag("--json", cfg.json, "One JSON object on stdout");
  bool quiet = false;
  app.add_flag("--quiet", quiet, "No progress lines");
  CLI11_PARSE(app, argc, argv);
  cfg.progress = !quiet;
  if (cfg.producers < 1 || cfg.consumers < 1 || cfg.batch < 1 || cfg.pipeline < 1) {
    std::fprintf(stderr, "symphony-bench: producers, consumers, batch and pipeline must be >= 1\n");
    return 1;
  }
  const bool peer = cfg.target != "symphony";
  if (cfg.mode == "idle") {
    if (peer) {
      std::fprintf(stderr, "symphony-bench: --mode idle is for --target symphony only\n");
      return 1;
    }
    return run_idle(cfg, connections);
  }
  if (peer) cfg.pipeline = 1;  // --batch is the whole pipelining depth: the JSON then says 1
  if (peer && (cfg.queues > 1 || cfg.delay_ms > 0 || !cfg.token.empty() || !cfg.tls_ca.empty() ||
               cfg.prefetch < 1)) {
    // Silently dropping them would make the comparison look like the same shape when it is not.
    std::fprintf(stderr,
                 "symphony-bench: --queues, --delay-ms, --token and --tls-ca are for "
                 "--target symphony only, and --prefetch must be >= 1\n");
    return 1;
  }
  if (server_opt->count() == 0 && peer) {
    cfg.server = cfg.target == "redis" ? "127.0.0.1:6379" : "127.0.0.1:11300";
  }
  std::unique_ptr<PeerTarget> peer_target;
  if (peer) {
    try {
      peer_target = make_peer(cfg);
      if (cfg.mode != "produce") peer_target->prepare_consumers(cfg.mode == "consume");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "symphony-bench: %s: %s\n", cfg.target.c_str(), e.what());
      return 1;
    }
  }

  Shared sh;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  if (cfg.mode == "produce" || cfg.mode == "e2e") {
    for (int i = 0; i < cfg.producers; ++i) {
      threads.emplace_back([&, i] {
        if (peer_target) {
          run_peer_producer(cfg, *peer_target, sh, i, start);
        } else {
          run_producer(cfg, sh, i, start);
        }
      });
    }
  }
  if (cfg.mode == "consume" || cfg.mode == "e2e") {
    for (int i = 0; i < cfg.consumers; ++i) {
      threads.emplace_back([&, i] {
        if (peer_target) {
          run_peer_consumer(cfg, *peer_target, sh, i);
        } else {
          run_consumer(cfg, sh, i);
        }
      });
    }
  }
  // progress and the time limit
  std::thread watchdog([&] {
    auto next_report = start + std::chrono::seconds(3);
    uint64_t last = 0;
    auto last_t = start;
    while (!sh.stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const auto now = Clock::now();
      const uint64_t done = cfg.mode == "produce" ? sh.confirmed.load() : sh.consumed.load();
      if (done >= cfg.count) break;
      if (std::chrono::duration<double>(now - start).count() > cfg.max_seconds) {
        sh.stop = true;
        break;
      }
      if (cfg.progress && now >= next_report) {
        const double dt = std::chrono::duration<double>(now - last_t).count();
        std::fprintf(stderr, "[%5.1fs] %llu/%llu  %.0f msg/s\n",
                     std::chrono::duration<double>(now - start).count(),
                     static_cast<unsigned long long>(done),
                     static_cast<unsigned long long>(cfg.count),
                     static_cast<double>(done - last) / dt);
        last = done;
        last_t = now;
        next_report = now + std::chrono::seconds(3);
      }
    }
  });
  for (auto& t : threads) t.join();
  // the clock stops when the work does, not when the watchdog next wakes (up to 50 ms later)
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  sh.stop = true;
  watchdog.join();
  const uint64_t msgs = cfg.mode == "produce" ? sh.confirmed.load() : sh.consumed.load();
  const auto& h = sh.latency;

  nlohmann::json j{{"target", cfg.target},
                   {"mode", cfg.mode},
                   {"msgs", msgs},
                   {"seconds", seconds},
                   {"msgs_per_s", static_cast<double>(msgs) / seconds},
                   {"p50_us", h.percentile(50)},
                   {"p90_us", h.percentile(90)},
                   {"p99_us", h.percentile(99)},
                   {"p999_us", h.percentile(99.9)},
                   {"max_us", h.max()},
                   {"producers", cfg.producers},
                   {"consumers", cfg.consumers},
                   {"size", cfg.size},
                   {"batch", cfg.batch},
                   {"pipeline", cfg.pipeline},
                   {"rate", cfg.rate},
                   {"errors", sh.errors.load()}};
  if (cfg.json) {
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::fprintf(stderr,
                 "%-10s %-8s %10s %8s %12s %8s %8s %8s %8s %9s\n"
                 "%-10s %-8s %10llu %8.2f %12.0f %8llu %8llu %8llu %8llu %9llu\n",
                 "target", "mode", "msgs", "seconds", "msgs/s", "p50 us", "p90 us", "p99 us",
                 "p99.9 us", "max us", cfg.target.c_str(), cfg.mode.c_str(),
                 static_cast<unsigned long long>(msgs), seconds,
                 static_cast<double>(msgs) / seconds,
                 static_cast<unsigned long long>(h.percentile(50)),
                 static_cast<unsigned long long>(h.percentile(90)),
                 static_cast<unsigned long long>(h.percentile(99)),
                 static_cast<unsigned long long>(h.percentile(99.9)),
                 static_cast<unsigned long long>(h.max()));
  }
  return sh.errors.load() == 0 ? 0 : 1;
}
