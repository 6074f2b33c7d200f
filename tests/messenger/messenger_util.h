#pragma once
// Shared helpers of the Messenger-semantics tests: a temp directory for config files, the CLI, a
// connected client, queue stats and polling with a deadline.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/e2e/broker_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/text_lines.h"

namespace symphony::testing::messenger {

using client::Client;
using client::ClientOptions;
using client::DispatchOptions;
using client::Message;
using client::OutgoingMessage;
using nlohmann::json;
using protocol::ErrorCode;
using namespace std::chrono_literals;

using symphony::testing::TempDir;

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using symphony::testing::json_lines;

inline std::unique_ptr<Client> connect(const BrokerProcess& broker,
                                       ClientOptions options = ClientOptions{}) {
  options.port = broker.port();
  options.timeout = 20s;
  return Client::connect(options);
}

/// The stats of one queue; nullopt when the broker does not know it.
inline std::optional<protocol::QueueStats> find_queue(Client& c, const std::string& queue) {
  for (auto& s : c.stats()) {
    if (s.name == queue) return s;
  }
  return std::nullopt;
}

/// The stats of one queue, all zero when the broker does not know it.
inline protocol::QueueStats queue_stats(Client& c, const std::string& queue) {
  auto s = find_queue(c, queue);
  return s ? *s : protocol::QueueStats{};
}

/// Polls `pred` every `poll` until it is true or `timeout` passed; returns its last value.
template <typename Pred>
bool wait_for(Pred&& pred, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll = 20ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

inline OutgoingMessage outgoing(std::string type, std::string payload = "{}",
                                DispatchOptions options = DispatchOptions{}) {
  OutgoingMessage m;
  m.message = Message(std::move(type), std::move(payload));
  m.options = std::move(options);
  return m;
}

/// Receives up to `n` deliveries, waiting at most `timeout` in all.
inline std::vector<client::Delivery> receive_n(Client& c, size_t n,
                                               std::chrono::milliseconds timeout = 10s) {
  std::vector<client::Delivery> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    auto d = c.receive(left);
    if (!d) break;
    out.push_back(std::move(*d));
  }
  return out;
}

/// The text of a TOML section of `symphonyd --print-config` ("[retry.default]" up to the next
/// section header).
inline std::string toml_section(const std::string& text, const std::string& header) {
  const auto start = text.find("[" + header + "]\n");
  if (start == std::string::npos) return "";
  const auto end = text.find("\n[", start + 1);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace symphony::testing::messenger
