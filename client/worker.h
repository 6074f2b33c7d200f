#pragma once
// The worker of Symphony (the seeds' Worker + HandlerRegistry + MessageHandler): consumes queues on
// one connection and runs a handler per message type on a pool of threads.
//
// clang-format off
//   HandlerRegistry registry;
//   registry.register_handler("EmailMessage", [](const Delivery& d, HandlerContext&) {
//     if (!send(d.payload)) throw HandlerError("smtp timeout", /*retryable=*/true, "TimeoutError");
//   });
//   WorkerOptions options;              // 127.0.0.1:7400, queue "default", 10 / 5 / 1000 ms
//   std::string error;
//   if (!options.apply_env(error)) ...  // SYMPHONY_WORKER_BATCH_SIZE, _MAX_CONCURRENCY, _POLL_INTERVAL
//   Worker worker(options, std::move(registry));
//   worker.stop_on_signals();           // SIGINT/SIGTERM: graceful stop
//   WorkerStats stats = worker.run();   // returns after the drain
// clang-format on
//
// Outcomes: a handler that returns has succeeded (ACK). HandlerError(msg, retryable=true) and any
// other exception are retried (NACK RETRY; error class "UnhandledException" for a non-HandlerError
// exception); HandlerError(msg, retryable=false) dead-letters (NACK FATAL). A message whose type
// has no handler is dead-lettered at once (class "UnknownMessageType") without using a thread.
//
// Threads: run() drives the one connection on the calling thread (the Client is not thread-safe);
// handlers run on `max_concurrency` pool threads and hand their results back to it. Handlers may
// run concurrently with each other, so they must be thread-safe. Callbacks in WorkerOptions run on
// the thread that called run().
//
// Leases: every message the worker holds (running or waiting for a thread) is extended with TOUCH
// once half of its remaining lease has passed, so a long handler is not redelivered.
//
// Graceful stop (stop(), or SIGINT/SIGTERM after stop_on_signals()): CREDIT 0, NACK RELEASE of the
// prefetched messages no handler has started (their attempt is not counted), then the running
// handlers finish and are settled, and the connection is closed.
//
// Connection loss: the leases of the lost connection are gone (the broker redelivers), so the
// results of handlers still running for it are dropped (outcome kLost). The worker reconnects every
// `poll_interval` until stop(). Errors that retrying cannot fix (authentication, an invalid queue
// name) are thrown from run() as ClientError.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/client.h"

namespace symphony::client {

/// A handler's failure, as in the seeds: retryable (NACK RETRY) or not (NACK FATAL).
class HandlerError : public std::runtime_error {
 public:
  HandlerError(std::string message, bool retryable, std::string error_class = "HandlerError")
      : std::runtime_error(std::move(message)),
        retryable_(retryable),
        error_class_(std::move(error_class)) {}
  bool retryable() const { return retryable_; }
  const std::string& error_class() const { return error_class_; }

 private:
  bool retryable_;
  std::string error_class_;
};

/// What a handler gets besides the delivery.
struct HandlerContext {
  HandlerContext(const Delivery& d, const std::atomic<bool>& stopping_flag)
      : delivery(d), stopping_(&stopping_flag) {}

  const Delivery& delivery;
  /// True once the worker is shutting down: a long handler may finish early (or throw a retryable
  /// HandlerError to have the message retried).
  bool stopping() const { return stopping_->load(std::memory_order_relaxed); }

 private:
  const std::atomic<bool>* stopping_;
};

/// Returning is success; throwing is failure (see the header comment).
using Handler = std::function<void(const Delivery&, HandlerContext&)>;

/// Handlers by message type.
class HandlerRegistry {
 public:
  /// Replaces an earlier handler of the same type. Throws std::invalid_argument for an empty type
  /// or an empty handler.
  void register_handler(std::string type, Handler handler);
  /// nullptr when no handler is registered for `type`.
  const Handler* find(std::string_view type) const;
  /// The registered types, sorted.
  std::vector<std::string> types() const;
  size_t size() const { return handlers_.size(); }

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
};

/// How one message the worker held was settled.
enum class Outcome : uint8_t {
  kSucceeded,  ///< acked
  kRetried,    ///< nacked retryable; the broker scheduled a retry
  kFailed,     ///< dead-lettered: a fatal failure, retries exhausted, or no handler for the type
  kReleased,   ///< handed back unprocessed at shutdown (attempt not counted)
  kLost,       ///< the lease was lost (connection loss, or the broker refused the settlement); the
               ///< broker redelivers the message
};

/// "succeeded", "retried", "failed", "released", "lost".
std::string_view outcome_name(Outcome outcome);

struct Settlement {
  uint64_t id = 0;
  std::string queue;
  std::string type;
  uint32_t attempt = 0;
  Outcome outcome = Outcome::kSucceeded;
  std::string error;        ///< the failure's message (empty on success)
  std::string error_class;  ///< the failure's class (empty on success)
};

struct WorkerOptions {
  ClientOptions client;
  std::vector<std::string> queues{"default"};
  uint32_t batch_size = 10;      ///< prefetch (SYMPHONY_WORKER_BATCH_SIZE). Default: 10
  uint32_t max_concurrency = 5;  ///< handlers running at once (SYMPHONY_WORKER_MAX_CONCURRENCY).
                                 ///< Default: 5
  uint32_t lease_ms = 30'000;    ///< lease of each delivery; 0: the broker's. Default: 30 s
  /// Longest wait for deliveries in one receive, and the reconnect backoff
  /// (SYMPHONY_WORKER_POLL_INTERVAL, ms). Default: 1000 ms
  std::chrono::milliseconds poll_interval{1000};

  /// Called (on the run() thread) once per message the worker settled, released or lost.
  std::function<void(const Settlement&)> on_settled;
  /// Called (on the run() thread) when a connection attempt failed or a connection was lost.
  std::function<void(const ClientError&)> on_connection_error;

  /// Applies the SYMPHONY_WORKER_* environment variables that are set (and not empty) over the
  /// current values. Each must be a positive integer (batch size at most 100000, concurrency at
  /// most 1024, poll interval at most 3600000 ms). Returns false, with `error` naming the variable,
  /// on a bad value; the options are then unchanged.
  bool apply_env(std::string& error);
};

struct WorkerStats {
  uint64_t succeeded = 0;      ///< acked
  uint64_t retried = 0;        ///< nacked retryable, retry scheduled
  uint64_t failed = 0;         ///< dead-lettered (fatal, retries exhausted, unknown type)
  uint64_t released = 0;       ///< handed back unprocessed at shutdown
  uint64_t extended = 0;       ///< successful lease extensions (TOUCH)
  uint64_t reconnects = 0;     ///< connections made after a lost connection or a failed attempt
  uint64_t lost = 0;           ///< results dropped because their lease was gone
  uint64_t settle_errors = 0;  ///< ACK/NACK/TOUCH items the broker refused (lease gone)
};

class Worker {
 public:
  /// Throws std::invalid_argument for no queue, a zero batch size or a zero concurrency.
  Worker(WorkerOptions options, HandlerRegistry registry);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Processes messages until stop(); returns after a graceful drain. Call it once: a stopped
  /// worker stays stopped (run() after stop() returns at once). Throws ClientError for errors that
  /// reconnecting cannot fix (authentication, an invalid queue name).
  WorkerStats run();
  /// Thread-safe and async-signal-safe (only sets an atomic flag): begins the graceful stop. The
  /// worker notices it within about 100 ms.
  void stop() { stop_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }
  /// Installs SIGINT/SIGTERM handlers that call stop() on this worker (one worker per process; the
  /// previous handlers are restored when the worker is destroyed).
  void stop_on_signals();
  /// A snapshot of the counters; thread-safe.
  WorkerStats stats() const;

 private:
  struct Task {
    uint64_t generation = 0;
    const Handler* handler = nullptr;
    Delivery delivery;
  };
  struct Result {
    uint64_t generation = 0;
    Delivery delivery;
    bool ok = true;
    bool retryable = false;
    std::string error;
    std::string error_class;
  };
  struct Session;

  void pool_main();
  void start_pool();
  void stop_pool();
  Result execute(Task& task);
  /// Runs one connection until the drain is complete; throws ClientError when it is lost.
  void run_session(Session& s);
  void abandon(Session& s);
  void publish_stats();
  void report(const Delivery& d, Outcome outcome, std::string error = {},
              std::string error_class = {});

  WorkerOptions options_;
  HandlerRegistry registry_;
  std::atomic<bool> stop_{false};
  bool signals_installed_ = false;

  // pool: tasks in, results out
  std::mutex mu_;
  std::condition_variable tasks_cv_;
  std::condition_variable results_cv_;
  std::deque<Task> tasks_;
  std::deque<Result> results_;
  bool pool_shutdown_ = false;
  std::vector<std::thread> threads_;

  // loop thread only
  uint32_t busy_ = 0;  ///< handlers submitted and not yet returned, over every connection
  WorkerStats stats_;

  mutable std::mutex stats_mu_;
  WorkerStats published_;
};

}  // namespace symphony::client
