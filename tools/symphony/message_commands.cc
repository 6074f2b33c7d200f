// dispatch, consume, stats, status, purge.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <vector>

#include "tools/symphony/cli.h"

namespace symphony::cli {

namespace {

json delivery_json(const client::Delivery& d) {
  json headers = json::object();
  for (const auto& [k, v] : d.headers) headers[k] = v;
  json j{{"id", d.id},           {"type", d.type},
         {"queue", d.queue},     {"priority", d.priority},
         {"attempt", d.attempt}, {"payload", payload_json(d.payload)},
         {"headers", headers}};
  if (!d.metadata.empty()) j["metadata"] = payload_json(d.metadata);
  return j;
}

struct DispatchArgs {
  std::string type, payload = "{}", metadata, queue, idempotency_key, scheduled_at;
  int priority = 0;
  int64_t delay_ms = -1;
  std::vector<std::string> headers;
};

int run_dispatch(client::Client& c, const DispatchArgs& a) {
  client::DispatchOptions opts;
  opts.queue = a.queue;
  if (a.priority < 0 || a.priority > 255) return fail(1, "--priority must be 1..10");
  opts.priority = static_cast<uint8_t>(a.priority);
  if (a.delay_ms >= 0) opts.delay_ms = a.delay_ms;
  if (!a.scheduled_at.empty())
    opts.scheduled_at_ms = parse_time_arg(a.scheduled_at, "--scheduled-at");
  opts.idempotency_key = a.idempotency_key;
  for (const auto& h : a.headers) {
    const auto eq = h.find('=');
    if (eq == std::string::npos) return fail(1, "--header must be k=v: " + h);
    opts.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
  }
  // a fan-out dispatch has one result per destination queue: one line each
  const client::OutgoingMessage m{{a.type, a.payload, a.metadata}, opts};
  int code = 0;
  for (const auto& r : c.dispatch_batch({&m, 1})) {
    if (!r.ok()) {
      std::fprintf(
          stderr, "%s\n",
          json{{"error", protocol::error_name(r.code)}, {"message", r.error}}.dump().c_str());
      code = 2;
      continue;
    }
    print_line({{"id", r.id},
                {"queue", r.queue},
                {"duplicate", r.duplicate},
                {"status", protocol::status_name(r.status)}});
  }
  return code;
}

struct ConsumeArgs {
  std::string queue;
  int count = 1, prefetch = 0, lease_ms = 0;
  bool nack_retryable = false, nack_fatal = false;
};

int run_consume(client::Client& c, const ConsumeArgs& a, int timeout_ms) {
  if (a.count < 1) return fail(1, "--count must be at least 1");
  const uint32_t window = a.prefetch > 0 ? static_cast<uint32_t>(a.prefetch)
                                         : static_cast<uint32_t>(std::min(a.count, 256));
  c.subscribe({a.queue}, window, static_cast<uint32_t>(a.lease_ms));
  int got = 0;
  while (got < a.count) {
    auto d = c.receive(std::chrono::milliseconds(timeout_ms));
    if (!d) {
      return fail(3,
                  fmt::format("received {} of {} messages within {} ms", got, a.count, timeout_ms));
    }
    print_line(delivery_json(*d));
    if (a.nack_retryable || a.nack_fatal) {
      c.nack(d->id, a.nack_fatal ? protocol::NackMode::kFatal : protocol::NackMode::kRetry,
             "nacked from the CLI", "CliNack");
    } else {
      c.ack(d->id);
    }
    ++got;
  }
  // hand back what was prefetched beyond --count, without counting it as an attempt
  c.credit(0);
  while (auto extra = c.receive(std::chrono::milliseconds(0))) {
    c.nack(extra->id, protocol::NackMode::kRelease, "", "");
  }
  return 0;
}

int run_stats(client::Client& c, const std::string& queue) {
  json queues = json::object();
  for (const auto& s : c.stats(queue)) {
    queues[s.name] = protocol::queue_stats_json(s);
  }
  print_line({{"queues", queues}});
  return 0;
}

int run_status(client::Client& c, const std::vector<uint64_t>& ids, bool as_json) {
  int code = 0;
  for (const auto& s : c.status(ids)) {
    if (s.code != protocol::ErrorCode::kOk) {
      code = 2;
      if (as_json) {
        print_line(protocol::message_status_json(s));
      } else {
        print_text(
            fmt::format("{}  unknown (never existed, or completed and past retention)", s.id));
      }
      continue;
    }
    if (as_json) {
      print_line(protocol::message_status_json(s));
    } else {
      print_text(fmt::format("{}  {}  queue {}  attempts {}  since {}", s.id,
                             protocol::status_name(s.status), s.queue, s.attempts,
                             iso_or_none(s.at_ms)));
    }
  }
  return code;
}

}  // namespace

void add_message_commands(CLI::App& app, Cli& cli) {
  auto* dispatch =
      app.add_subcommand("dispatch", "Dispatch one message (fan-out: a line per queue)");
  auto da = std::make_shared<DispatchArgs>();
  dispatch->add_option("--type", da->type, "Message type")->required();
  dispatch->add_option("--payload", da->payload, "JSON object")->capture_default_str();
  dispatch->add_option("--metadata", da->metadata, "JSON object");
  dispatch->add_option("--queue", da->queue, "Queue (default: routed by type)");
  dispatch->add_option("--priority", da->priority, "1..10 (default: the queue's, 5)");
  dispatch->add_option("--delay-ms", da->delay_ms, "Available after this many ms");
  dispatch->add_option("--scheduled-at", da->scheduled_at,
                       "Available at this time (ms or ISO 8601)");
  dispatch->add_option("--idempotency-key", da->idempotency_key, "Deduplication key");
  dispatch->add_option("--header", da->headers, "Custom header k=v (repeatable)");
  dispatch->callback(
      [&cli, da] { cli.run([&](client::Client& c) { return run_dispatch(c, *da); }); });

  auto* consume = app.add_subcommand("consume", "Receive messages, print them, ack them");
  auto ca = std::make_shared<ConsumeArgs>();
  consume->add_option("--queue", ca->queue, "Queue")->required();
  consume->add_option("--count", ca->count, "How many messages")->capture_default_str();
  consume->add_option("--prefetch", ca->prefetch, "Prefetch window (default: min(count, 256))");
  consume->add_option("--lease-ms", ca->lease_ms, "Lease duration (default: the queue's)");
  auto* nr = consume->add_flag("--nack-retryable", ca->nack_retryable, "Nack (retryable) instead");
  consume->add_flag("--nack-fatal", ca->nack_fatal, "Nack (dead-letter) instead of ack")
      ->excludes(nr);
  consume->callback([&cli, ca] {
    cli.run([&](client::Client& c) { return run_consume(c, *ca, cli.timeout_ms); });
  });

  auto* stats = app.add_subcommand("stats", "Per-queue counts (JSON)");
  auto stats_queue = std::make_shared<std::string>();
  stats->add_option("--queue", *stats_queue, "Only this queue");
  stats->callback([&cli, stats_queue] {
    cli.run([&](client::Client& c) { return run_stats(c, *stats_queue); });
  });

  auto* status =
      app.add_subcommand("status", "Status of messages: pending, processing, completed, failed");
  auto ids = std::make_shared<std::vector<uint64_t>>();
  status->add_option("id", *ids, "Message ids")->required();
  status->callback([&cli, ids] {
    cli.run([&](client::Client& c) { return run_status(c, *ids, cli.json_output); });
  });

  auto* purge = app.add_subcommand("purge", "Remove every ready and delayed message of a queue");
  auto purge_queue = std::make_shared<std::string>();
  purge->add_option("queue", *purge_queue, "Queue")->required();
  purge->callback([&cli, purge_queue] {
    cli.run([&](client::Client& c) {
      const uint64_t removed = c.purge_queue(*purge_queue);
      if (cli.json_output) {
        print_line({{"queue", *purge_queue}, {"removed", removed}});
      } else {
        print_text(fmt::format("removed {} messages from queue {}", removed, *purge_queue));
      }
      return 0;
    });
  });
}

}  // namespace symphony::cli
