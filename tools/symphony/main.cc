// symphony: command-line client of the Symphony broker. Every result is one JSON line on stdout;
// errors go to stderr with a non-zero exit code (1: transport/usage, 2: the broker refused).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "client/client.h"

namespace {

using nlohmann::json;
using symphony::client::Client;
using symphony::client::ClientError;
using symphony::client::ClientOptions;

json payload_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}

void print_line(const json& j) {
  std::fputs(j.dump().c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "symphony: %s\n", message.c_str());
  return code;
}

json delivery_json(const symphony::client::Delivery& d) {
  json headers = json::object();
  for (const auto& [k, v] : d.headers) headers[k] = v;
  json j{{"id", d.id},           {"type", d.type},
         {"queue", d.queue},     {"priority", d.priority},
         {"attempt", d.attempt}, {"payload", payload_json(d.payload)},
         {"headers", headers}};
  if (!d.metadata.empty()) j["metadata"] = payload_json(d.metadata);
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"symphony: command-line client of the Symphony broker"};
  app.require_subcommand(1);
  std::string server = "127.0.0.1:7400";
  int timeout_ms = 10000;
  app.add_option("--server", server, "Broker HOST:PORT")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "Longest wait for a reply or a message")
      ->capture_default_str();

  // dispatch
  auto* dispatch = app.add_subcommand("dispatch", "Dispatch one message");
  std::string type, payload = "{}", metadata, queue, idempotency_key;
  int priority = 0;
  int64_t delay_ms = -1, scheduled_at_ms = -1;
  std::vector<std::string> headers;
  dispatch->add_option("--type", type, "Message type")->required();
  dispatch->add_option("--payload", payload, "JSON object")->capture_default_str();
  dispatch->add_option("--metadata", metadata, "JSON object");
  dispatch->add_option("--queue", queue, "Queue (default: routed by type)");
  dispatch->add_option("--priority", priority, "1..10 (default: the queue's, 5)");
  dispatch->add_option("--delay-ms", delay_ms, "Available after this many ms");
  dispatch->add_option("--scheduled-at-ms", scheduled_at_ms, "Available at this Unix time, ms");
  dispatch->add_option("--idempotency-key", idempotency_key, "Deduplication key");
  dispatch->add_option("--header", headers, "Custom header k=v (repeatable)");

  // consume
  auto* consume = app.add_subcommand("consume", "Receive messages, print them, ack them");
  std::string consume_queue;
  int count = 1, prefetch = 0, lease_ms = 0;
  bool nack_retryable = false, nack_fatal = false;
  consume->add_option("--queue", consume_queue, "Queue")->required();
  consume->add_option("--count", count, "How many messages")->capture_default_str();
  consume->add_option("--prefetch", prefetch, "Prefetch window (default: min(count, 256))");
  consume->add_option("--lease-ms", lease_ms, "Lease duration (default: the broker's)");
  auto* nr =
      consume->add_flag("--nack-retryable", nack_retryable, "Nack (retryable) instead of ack");
  consume->add_flag("--nack-fatal", nack_fatal, "Nack (dead-letter) instead of ack")->excludes(nr);

  // stats
  auto* stats = app.add_subcommand("stats", "Per-queue counts");
  std::string stats_queue;
  stats->add_option("--queue", stats_queue, "Only this queue");

  CLI11_PARSE(app, argc, argv);

  ClientOptions options;
  options.client_name = "symphony-cli";
  options.timeout = std::chrono::milliseconds(timeout_ms);
  {
    const auto colon = server.rfind(':');
    if (colon == std::string::npos) return fail(1, "--server must be HOST:PORT");
    options.host = server.substr(0, colon);
    if (!options.host.empty() && options.host.front() == '[') {
      options.host = options.host.substr(1, options.host.size() - 2);
    }
    try {
      options.port = static_cast<uint16_t>(std::stoi(server.substr(colon + 1)));
    } catch (const std::exception&) {
      return fail(1, "--server must be HOST:PORT");
    }
  }

  try {
    auto client = Client::connect(options);
    if (*dispatch) {
      symphony::client::DispatchOptions opts;
      opts.queue = queue;
      if (priority < 0 || priority > 255) return fail(1, "--priority must be 1..10");
      opts.priority = static_cast<uint8_t>(priority);
      if (delay_ms >= 0) opts.delay_ms = delay_ms;
      if (scheduled_at_ms >= 0) opts.scheduled_at_ms = scheduled_at_ms;
      opts.idempotency_key = idempotency_key;
      for (const auto& h : headers) {
        const auto eq = h.find('=');
        if (eq == std::string::npos) return fail(1, "--header must be k=v: " + h);
        opts.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
      }
      const auto r = client->dispatch({type, payload, metadata}, opts);
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n",
                     json{{"error", symphony::protocol::error_name(r.code)}, {"message", r.error}}
                         .dump()
                         .c_str());
        return 2;
      }
      print_line({{"id", r.id},
                  {"queue", r.queue},
                  {"duplicate", r.duplicate},
                  {"status", symphony::protocol::status_name(r.status)}});
      return 0;
    }
    if (*consume) {
      if (count < 1) return fail(1, "--count must be at least 1");
      const uint32_t window = prefetch > 0 ? static_cast<uint32_t>(prefetch)
                                           : static_cast<uint32_t>(std::min(count, 256));
      client->subscribe({consume_queue}, window, static_cast<uint32_t>(lease_ms));
      int got = 0;
      while (got < count) {
        auto d = client->receive(std::chrono::milliseconds(timeout_ms));
        if (!d) {
          return fail(3, "received " + std::to_string(got) + " of " + std::to_string(count) +
                             " messages within " + std::to_string(timeout_ms) + " ms");
        }
        print_line(delivery_json(*d));
        if (nack_retryable || nack_fatal) {
          client->nack(d->id,
                       nack_fatal ? symphony::protocol::NackMode::kFatal
                                  : symphony::protocol::NackMode::kRetry,
                       "nacked from the CLI", "CliNack");
        } else {
          client->ack(d->id);
        }
        ++got;
      }
      // hand back what was prefetched beyond --count, without counting it as an attempt
      client->credit(0);
      while (auto extra = client->receive(std::chrono::milliseconds(0))) {
        client->nack(extra->id, symphony::protocol::NackMode::kRelease, "", "");
      }
      return 0;
    }
    if (*stats) {
      json queues = json::object();
      for (const auto& s : client->stats(stats_queue)) {
        queues[s.name] = {{"ready", s.ready},
                          {"delayed", s.delayed},
                          {"in_flight", s.in_flight},
                          {"dead", s.dead},
                          {"consumers", s.consumers},
                          {"dispatched_total", s.dispatched_total},
                          {"delivered_total", s.delivered_total},
                          {"acked_total", s.acked_total},
                          {"retried_total", s.retried_total},
                          {"dead_lettered_total", s.dead_lettered_total},
                          {"expired_total", s.expired_total}};
      }
      print_line({{"queues", queues}});
      return 0;
    }
  } catch (const ClientError& e) {
    return fail(1, e.what());
  }
  return 0;
}
