// symphony-worker-example: a worker for the seeds' message types, built on
// symphony::client::Worker. It prints one JSON line per message it settled
// ({"id","type","attempt","outcome"}) and, after a graceful drain on SIGTERM/SIGINT, one stats line
// ({"stats":{...}}), then exits 0.
//
//   EmailMessage     succeeds; payload "fail":"retry" fails retryably (TimeoutError),
//   "fail":"fatal"
//                    fails for good (ValidationError)
//   SMSMessage       succeeds
//   CampaignMessage  succeeds
//
// Defaults of --batch-size, --max-concurrency and --poll-interval-ms come from
// SYMPHONY_WORKER_BATCH_SIZE, SYMPHONY_WORKER_MAX_CONCURRENCY and SYMPHONY_WORKER_POLL_INTERVAL.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "client/worker.h"

namespace {

using nlohmann::json;
using symphony::client::ClientError;
using symphony::client::Delivery;
using symphony::client::HandlerContext;
using symphony::client::HandlerError;
using symphony::client::HandlerRegistry;
using symphony::client::Settlement;
using symphony::client::Worker;
using symphony::client::WorkerOptions;
using symphony::client::WorkerStats;

void print_line(const json& j) {
  std::fputs(j.dump().c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "symphony-worker-example: %s\n", message.c_str());
  return code;
}

/// The "fail" field of a JSON payload, or "".
std::string fail_mode(const Delivery& d) {
  const json payload = json::parse(d.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return {};
  const auto it = payload.find("fail");
  return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
}

HandlerRegistry make_registry(std::chrono::milliseconds work) {
  const auto simulate_work = [work](HandlerContext& ctx) {
    // a long job would check ctx.stopping() between its steps
    if (work.count() > 0 && !ctx.stopping()) std::this_thread::sleep_for(work);
  };
  HandlerRegistry registry;
  registry.register_handler("EmailMessage", [=](const Delivery& d, HandlerContext& ctx) {
    simulate_work(ctx);
    const std::string mode = fail_mode(d);
    if (mode == "retry") throw HandlerError("smtp timeout", true, "TimeoutError");
    if (mode == "fatal") throw HandlerError("invalid address", false, "ValidationError");
  });
  registry.register_handler("SMSMessage",
                            [=](const Delivery&, HandlerContext& ctx) { simulate_work(ctx); });
  registry.register_handler("CampaignMessage",
                            [=](const Delivery&, HandlerContext& ctx) { simulate_work(ctx); });
  return registry;
}

json stats_json(const WorkerStats& s) {
  return json{{"succeeded", s.succeeded}, {"retried", s.retried},
              {"failed", s.failed},       {"released", s.released},
              {"extended", s.extended},   {"reconnects", s.reconnects},
              {"lost", s.lost},           {"settle_errors", s.settle_errors}};
}

}  // namespace

int main(int argc, char** argv) {
  WorkerOptions options;
  options.client.client_name = "symphony-worker-example";
  options.client.timeout = std::chrono::seconds(10);  // bounds a connect that hangs (and stop)
  std::string env_error;
  if (!options.apply_env(env_error)) return fail(1, env_error);

  CLI::App app{"symphony-worker-example: processes the seeds' message types"};
  std::string server = "127.0.0.1:7400";
  std::vector<std::string> queues{"default"};
  int64_t poll_interval_ms = options.poll_interval.count();
  int64_t work_ms = 50;
  app.add_option("--server", server, "Broker HOST:PORT")->capture_default_str();
  app.add_option("--queue", queues, "Queue to consume (repeatable)")->capture_default_str();
  app.add_option("--batch-size", options.batch_size,
                 "Prefetch window (env SYMPHONY_WORKER_BATCH_SIZE)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  app.add_option("--max-concurrency", options.max_concurrency,
                 "Handlers running at once (env SYMPHONY_WORKER_MAX_CONCURRENCY)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--poll-interval-ms", poll_interval_ms,
                 "Receive wait and reconnect backoff (env SYMPHONY_WORKER_POLL_INTERVAL)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{3'600'000}));
  app.add_option("--work-ms", work_ms, "Simulated work per message")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
  CLI11_PARSE(app, argc, argv);

  const auto colon = server.rfind(':');
  if (colon == std::string::npos) return fail(1, "--server must be HOST:PORT");
  options.client.host = server.substr(0, colon);
  if (!options.client.host.empty() && options.client.host.front() == '[') {
    options.client.host = options.client.host.substr(1, options.client.host.size() - 2);
  }
  try {
    const int port = std::stoi(server.substr(colon + 1));
    if (port <= 0 || port > 65535) return fail(1, "--server must be HOST:PORT");
    options.client.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    return fail(1, "--server must be HOST:PORT");
  }
  options.queues = queues;
  options.poll_interval = std::chrono::milliseconds(poll_interval_ms);
  options.on_settled = [](const Settlement& s) {
    json line{{"id", s.id},
              {"type", s.type},
              {"attempt", s.attempt},
              {"outcome", symphony::client::outcome_name(s.outcome)}};
    if (!s.error.empty()) line["error"] = s.error;
    if (!s.error_class.empty()) line["error_class"] = s.error_class;
    print_line(line);
  };
  options.on_connection_error = [](const ClientError& e) {
    std::fprintf(stderr, "symphony-worker-example: %s (retrying)\n", e.what());
  };

  try {
    Worker worker(options, make_registry(std::chrono::milliseconds(work_ms)));
    worker.stop_on_signals();
    const WorkerStats stats = worker.run();
    print_line(json{{"stats", stats_json(stats)}});
    return 0;
  } catch (const ClientError& e) {
    return fail(1, e.what());
  } catch (const std::exception& e) {
    return fail(1, e.what());
  }
}
