#pragma once
// Helpers shared by the durability and crash tests: a data directory that outlives the broker
// processes started on it, connecting to a port, and draining a queue.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {

/// A temporary directory removed at the end of the test. The brokers of one test are started on
/// it one after another, so it must not belong to any one BrokerProcess (a BrokerProcess that
/// created its own data directory deletes it when destroyed).
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "symphony-crash-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl + "/data";
    root_ = std::move(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  /// The data directory (created by the broker).
  const std::string& path() const { return path_; }

 private:
  std::string root_;
  std::string path_;
};

inline int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Generous timeouts: these tests run on loaded 2-core machines under sanitizers.
inline std::unique_ptr<client::Client> connect_port(
    uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  client::ClientOptions o;
  o.port = port;
  o.timeout = timeout;
  return client::Client::connect(o);
}

inline std::unique_ptr<client::Client> connect_to(const BrokerProcess& broker) {
  return connect_port(broker.port());
}

/// The value of `"n":<number>` in a payload such as {"n":42}; nullopt when absent.
inline std::optional<uint64_t> payload_n(std::string_view payload) {
  const auto pos = payload.find("\"n\":");
  if (pos == std::string_view::npos) return std::nullopt;
  uint64_t v = 0;
  bool any = false;
  for (size_t i = pos + 4; i < payload.size() && payload[i] >= '0' && payload[i] <= '9'; ++i) {
    v = v * 10 + static_cast<uint64_t>(payload[i] - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return v;
}

/// ready + delayed + in_flight of `queue` (0 for a queue the broker does not know).
inline uint64_t live_count(client::Client& c, const std::string& queue) {
  const auto stats = c.stats(queue);
  if (stats.empty()) return 0;
  return stats[0].ready + stats[0].delayed + stats[0].in_flight;
}

/// Subscribes `c` to `queue` and receives exactly `expected` deliveries (in arrival order),
/// acking each with CONFIRM when `ack`. Fails the test when one does not come within
/// `per_message`.
inline std::vector<client::Delivery> consume(
    client::Client& c, const std::string& queue, size_t expected, bool ack = true,
    std::chrono::milliseconds per_message = std::chrono::seconds(20)) {
  c.subscribe({queue}, /*prefetch=*/static_cast<uint32_t>(expected + 10));
  std::vector<client::Delivery> got;
  while (got.size() < expected) {
    auto d = c.receive(per_message);
    if (!d) {
      ADD_FAILURE() << "only " << got.size() << " of " << expected << " deliveries from " << queue;
      break;
    }
    got.push_back(std::move(*d));
  }
  if (ack && !got.empty()) {
    std::vector<uint64_t> ids;
    for (const auto& d : got) ids.push_back(d.id);
    const auto r = c.ack(ids, /*confirm=*/true);
    EXPECT_EQ(r.acked, ids.size());
  }
  return got;
}

}  // namespace symphony::testing
