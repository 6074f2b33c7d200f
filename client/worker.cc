#include "client/worker.h"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <utility>

namespace symphony::client {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// Longest the loop goes without looking at the stop flag (stop() cannot wake it: it has to stay
/// async-signal-safe).
constexpr milliseconds kStopCheck{100};
/// How often results are picked up while the loop waits on the socket for deliveries (the socket
/// wait cannot be woken by the pool): every 2 ms while things happen, slowing down to every 25 ms
/// while nothing does (a long handler).
constexpr milliseconds kMinResultTick{2};
constexpr milliseconds kMaxResultTick{25};
/// Failure texts are sent as str16; keep them well below that.
constexpr size_t kMaxErrorBytes = 4096;

std::string truncate_utf8(std::string s) {
  if (s.size() <= kMaxErrorBytes) return s;
  size_t n = kMaxErrorBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not mid-character
  s.resize(n);
  return s;
}

int64_t wall_now_ms() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Errors a reconnect cannot fix: run() throws them.
bool is_permanent(const ClientError& e) {
  switch (protocol::error_category(e.code())) {
    case protocol::ErrorCategory::kAuth:
    case protocol::ErrorCategory::kValidation: return true;
    default:
      return e.code() == ErrorCode::kUnsupportedVersion || e.code() == ErrorCode::kQueueNotFound;
  }
}

/// Parses a positive integer no larger than `max`.
std::optional<uint64_t> parse_positive(std::string_view text, uint64_t max) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v == 0 || v > max) {
    return std::nullopt;
  }
  return v;
}

std::atomic<Worker*> g_signal_worker{nullptr};
struct sigaction g_old_sigint;
struct sigaction g_old_sigterm;

extern "C" void on_stop_signal(int) {
  if (Worker* w = g_signal_worker.load()) w->stop();
}

}  // namespace

// ---- HandlerRegistry ----

void HandlerRegistry::register_handler(std::string type, Handler handler) {
  if (type.empty()) throw std::invalid_argument("handler type is empty");
  if (!handler) throw std::invalid_argument("handler for " + type + " is empty");
  handlers_.insert_or_assign(std::move(type), std::move(handler));
}

const Handler* HandlerRegistry::find(std::string_view type) const {
  const auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::types() const {
  std::vector<std::string> out;
  out.reserve(handlers_.size());
  for (const auto& [type, handler] : handlers_) out.push_back(type);
  return out;
}

std::string_view outcome_name(Outcome outcome) {
  switch (outcome) {
    case Outcome::kSucceeded: return "succeeded";
    case Outcome::kRetried: return "retried";
    case Outcome::kFailed: return "failed";
    case Outcome::kReleased: return "released";
    case Outcome::kLost: return "lost";
  }
  return "unknown";
}

// ---- WorkerOptions ----

bool WorkerOptions::apply_env(std::string& error) {
  struct Var {
    const char* name;
    uint64_t max;
    uint64_t value = 0;
    bool set = false;
  };
  Var vars[] = {{"SYMPHONY_WORKER_BATCH_SIZE", 100'000},
                {"SYMPHONY_WORKER_MAX_CONCURRENCY", 1024},
                {"SYMPHONY_WORKER_POLL_INTERVAL", 3'600'000}};
  for (Var& v : vars) {
    const char* text = std::getenv(v.name);
    if (text == nullptr || *text == '\0') continue;
    const auto parsed = parse_positive(text, v.max);
    if (!parsed) {
      error = std::string(v.name) + ": expected an integer from 1 to " + std::to_string(v.max) +
              ", got \"" + text + "\"";
      return false;
    }
    v.value = *parsed;
    v.set = true;
  }
  if (vars[0].set) batch_size = static_cast<uint32_t>(vars[0].value);
  if (vars[1].set) max_concurrency = static_cast<uint32_t>(vars[1].value);
  if (vars[2].set) poll_interval = milliseconds(vars[2].value);
  return true;
}

// ---- Worker ----

/// The state of one connection; only the run() thread touches it.
struct Worker::Session {
  struct Lease {
    Clock::time_point deadline;  ///< local estimate of the broker's lease deadline
    Clock::time_point touch_at;  ///< when to extend it
    bool running = false;        ///< a handler has it (else it waits in `waiting`)
    bool lost = false;           ///< a TOUCH said the lease is gone: drop the handler's result
  };
  struct Nack {
    Delivery delivery;
    protocol::NackMode mode;
    std::string error;
    std::string error_class;
  };

  std::unique_ptr<Client> client;
  uint64_t generation = 0;
  uint32_t lease_ms = 0;  ///< in effect
  uint32_t max_batch = 1;
  bool draining = false;
  std::chrono::steady_clock::time_point last_event;  ///< last delivery or result
  uint32_t running = 0;                        ///< this connection's handlers not yet returned
  std::unordered_map<uint64_t, Lease> leases;  ///< every message held (waiting or running)
  std::deque<Delivery> waiting;                ///< prefetched, not started, in arrival order
  std::vector<Delivery> to_ack;                ///< settled by their handlers, not yet sent
  std::vector<Nack> to_nack;
};

Worker::Worker(WorkerOptions options, HandlerRegistry registry)
    : options_(std::move(options)), registry_(std::move(registry)) {
  if (options_.queues.empty()) throw std::invalid_argument("a worker needs at least one queue");
  if (options_.batch_size == 0) throw std::invalid_argument("batch_size must be positive");
  if (options_.max_concurrency == 0)
    throw std::invalid_argument("max_concurrency must be positive");
  if (options_.poll_interval < milliseconds(1)) options_.poll_interval = milliseconds(1);
}

Worker::~Worker() {
  if (signals_installed_) {
    sigaction(SIGINT, &g_old_sigint, nullptr);
    sigaction(SIGTERM, &g_old_sigterm, nullptr);
    Worker* self = this;
    g_signal_worker.compare_exchange_strong(self, nullptr);
  }
  stop_pool();
}

void Worker::stop_on_signals() {
  if (signals_installed_) return;
  g_signal_worker.store(this);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &g_old_sigint);
  sigaction(SIGTERM, &sa, &g_old_sigterm);
  signals_installed_ = true;
}

WorkerStats Worker::stats() const {
  std::lock_guard lock(stats_mu_);
  return published_;
}

void Worker::publish_stats() {
  std::lock_guard lock(stats_mu_);
  published_ = stats_;
}

void Worker::report(const Delivery& d, Outcome outcome, std::string error,
                    std::string error_class) {
  switch (outcome) {
    case Outcome::kSucceeded: ++stats_.succeeded; break;
    case Outcome::kRetried: ++stats_.retried; break;
    case Outcome::kFailed: ++stats_.failed; break;
    case Outcome::kReleased: ++stats_.released; break;
    case Outcome::kLost: ++stats_.lost; break;
  }
  if (options_.on_settled) {
    options_.on_settled(Settlement{d.id, d.queue, d.type, d.attempt, outcome, std::move(error),
                                   std::move(error_class)});
  }
}

// ---- the pool ----

void Worker::start_pool() {
  std::lock_guard lock(mu_);
  pool_shutdown_ = false;
  threads_.reserve(options_.max_concurrency);
  for (uint32_t i = 0; i < options_.max_concurrency; ++i) {
    threads_.emplace_back([this] { pool_main(); });
  }
}

void Worker::stop_pool() {
  {
    std::lock_guard lock(mu_);
    pool_shutdown_ = true;
  }
  tasks_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Worker::pool_main() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      tasks_cv_.wait(lock, [&] { return pool_shutdown_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    Result result = execute(task);
    {
      std::lock_guard lock(mu_);
      results_.push_back(std::move(result));
    }
    results_cv_.notify_one();
  }
}

Worker::Result Worker::execute(Task& task) {
  Result r;
  r.generation = task.generation;
  HandlerContext context(task.delivery, stop_);
  try {
    (*task.handler)(task.delivery, context);
  } catch (const HandlerError& e) {
    r.ok = false;
    r.retryable = e.retryable();
    r.error = e.what();
    r.error_class = e.error_class();
  } catch (const std::exception& e) {
    r.ok = false;
    r.retryable = true;
    r.error = e.what();
    r.error_class = "UnhandledException";
  } catch (...) {
    r.ok = false;
    r.retryable = true;
    r.error = "unknown exception";
    r.error_class = "UnhandledException";
  }
  r.delivery = std::move(task.delivery);
  return r;
}

// ---- the loop ----

WorkerStats Worker::run() {
  start_pool();
  struct PoolGuard {
    Worker* w;
    ~PoolGuard() { w->stop_pool(); }
  } guard{this};

  // Results of handlers whose connection is gone: their leases went with it.
  const auto drop_stale_results = [this](Clock::time_point until) {
    std::deque<Result> got;
    {
      std::unique_lock lock(mu_);
      results_cv_.wait_until(lock, until, [&] { return !results_.empty(); });
      got.swap(results_);
    }
    for (Result& r : got) {
      --busy_;
      report(r.delivery, Outcome::kLost);
    }
    publish_stats();
  };
  // Waits `poll_interval` before the next connection attempt, unless stop() comes first.
  const auto backoff = [&] {
    const auto until = Clock::now() + options_.poll_interval;
    for (auto now = Clock::now(); now < until && !stop_requested(); now = Clock::now()) {
      drop_stale_results(std::min(until, now + kStopCheck));
    }
  };

  uint64_t generation = 0;
  bool failed_before = false;
  while (!stop_requested()) {
    Session s;
    try {
      s.client = Client::connect(options_.client);
      const auto sub = s.client->subscribe(options_.queues, options_.batch_size, options_.lease_ms);
      s.lease_ms = sub.lease_ms;
      s.max_batch = std::max<uint32_t>(1, s.client->limits().max_batch);
    } catch (const ClientError& e) {
      if (is_permanent(e)) throw;
      if (options_.on_connection_error) options_.on_connection_error(e);
      failed_before = true;
      backoff();
      continue;
    }
    if (failed_before) ++stats_.reconnects;
    failed_before = false;
    s.generation = ++generation;
    try {
      run_session(s);
      break;  // drained
    } catch (const ClientError& e) {
      abandon(s);
      s.client.reset();
      if (options_.on_connection_error) options_.on_connection_error(e);
      failed_before = true;
      backoff();
    }
  }
  // handlers still running for a lost connection
  while (busy_ > 0) drop_stale_results(Clock::now() + kStopCheck);
  publish_stats();
  return stats_;
}

void Worker::abandon(Session& s) {
  for (const Delivery& d : s.waiting) report(d, Outcome::kLost);
  for (const Delivery& d : s.to_ack) report(d, Outcome::kLost);
  for (const auto& n : s.to_nack) report(n.delivery, Outcome::kLost);
  s.waiting.clear();
  s.to_ack.clear();
  s.to_nack.clear();
  s.leases.clear();
  // the running handlers' results come back with an old generation and are dropped
  publish_stats();
}

void Worker::run_session(Session& s) {
  // Takes the handlers' results: ACK or NACK them at the next flush.
  const auto collect = [&](std::deque<Result>& got) {
    for (Result& r : got) {
      --busy_;
      if (r.generation != s.generation) {
        report(r.delivery, Outcome::kLost);
        continue;
      }
      --s.running;
      const auto it = s.leases.find(r.delivery.id);
      const bool lost = it == s.leases.end() || it->second.lost;
      if (it != s.leases.end()) s.leases.erase(it);
      if (lost) {
        report(r.delivery, Outcome::kLost);
      } else if (r.ok) {
        s.to_ack.push_back(std::move(r.delivery));
      } else {
        s.to_nack.push_back({std::move(r.delivery),
                             r.retryable ? protocol::NackMode::kRetry : protocol::NackMode::kFatal,
                             truncate_utf8(std::move(r.error)),
                             truncate_utf8(std::move(r.error_class))});
      }
    }
    got.clear();
  };
  const auto take_results = [&] {
    std::deque<Result> got;
    {
      std::lock_guard lock(mu_);
      got.swap(results_);
    }
    if (!got.empty()) s.last_event = Clock::now();
    collect(got);
  };

  // Sends the pending ACKs and NACKs, in batches of at most max_batch.
  const auto flush = [&] {
    while (!s.to_ack.empty()) {
      const size_t n = std::min<size_t>(s.to_ack.size(), s.max_batch);
      std::vector<uint64_t> ids;
      ids.reserve(n);
      for (size_t i = 0; i < n; ++i) ids.push_back(s.to_ack[i].id);
      const auto result = s.client->ack(ids);
      for (size_t i = 0; i < n; ++i) {
        const Delivery& d = s.to_ack[i];
        const bool refused = std::any_of(result.failures.begin(), result.failures.end(),
                                         [&](const auto& f) { return f.message_id == d.id; });
        if (refused) ++stats_.settle_errors;
        report(d, refused ? Outcome::kLost : Outcome::kSucceeded);
      }
      s.to_ack.erase(s.to_ack.begin(), s.to_ack.begin() + static_cast<ptrdiff_t>(n));
    }
    while (!s.to_nack.empty()) {
      const size_t n = std::min<size_t>(s.to_nack.size(), s.max_batch);
      std::vector<protocol::NackItem> items;
      items.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        const auto& x = s.to_nack[i];
        items.push_back({x.delivery.id, x.mode, x.error, x.error_class});
      }
      const auto results = s.client->nack(items);
      for (size_t i = 0; i < n; ++i) {
        auto& x = s.to_nack[i];
        const auto r = std::find_if(results.begin(), results.end(),
                                    [&](const auto& y) { return y.message_id == x.delivery.id; });
        Outcome outcome = Outcome::kLost;
        if (r == results.end() || r->code != ErrorCode::kOk) {
          ++stats_.settle_errors;
        } else if (r->outcome == protocol::NackOutcome::kRetryScheduled) {
          outcome = Outcome::kRetried;
        } else if (r->outcome == protocol::NackOutcome::kDeadLettered) {
          outcome = Outcome::kFailed;
        } else {
          outcome = Outcome::kReleased;
        }
        report(x.delivery, outcome, std::move(x.error), std::move(x.error_class));
      }
      s.to_nack.erase(s.to_nack.begin(), s.to_nack.begin() + static_cast<ptrdiff_t>(n));
    }
  };

  const auto release = [&](Delivery d) {
    s.to_nack.push_back({std::move(d), protocol::NackMode::kRelease, "worker shutting down", ""});
  };

  // A delivery arrived: queue it for a handler (or settle it at once).
  const auto accept = [&](Delivery d) {
    s.last_event = Clock::now();
    if (s.draining) {
      release(std::move(d));
      return;
    }
    if (registry_.find(d.type) == nullptr) {
      std::string error = truncate_utf8("no handler for message type " + d.type);
      s.to_nack.push_back(
          {std::move(d), protocol::NackMode::kFatal, std::move(error), "UnknownMessageType"});
      return;
    }
    // The lease left the broker a moment ago; its deadline is on the broker's clock, so only the
    // remaining time is used, from the local receipt, and never more than the lease itself.
    const auto now = Clock::now();
    const int64_t remaining =
        std::clamp<int64_t>(d.lease_deadline_ms - wall_now_ms(), 0, s.lease_ms);
    const Session::Lease lease{now + milliseconds(remaining), now + milliseconds(remaining / 2)};
    const auto [it, inserted] = s.leases.try_emplace(d.id, lease);
    if (!inserted) {
      // Redelivered while still held (the lease had run out): the new lease is ours, and the copy
      // already held settles it.
      it->second.deadline = lease.deadline;
      it->second.touch_at = lease.touch_at;
      it->second.lost = false;
      return;
    }
    s.waiting.push_back(std::move(d));
  };

  // Reads deliveries for up to `timeout`, then whatever else has already arrived.
  const auto receive = [&](milliseconds timeout) {
    auto d = s.client->receive(std::max(timeout, milliseconds(0)));
    while (d) {
      accept(std::move(*d));
      d = s.client->receive(milliseconds(0));
    }
  };

  const auto start_handlers = [&] {
    while (!s.draining && !s.waiting.empty() && busy_ < options_.max_concurrency) {
      Task task{s.generation, registry_.find(s.waiting.front().type), std::move(s.waiting.front())};
      s.waiting.pop_front();
      s.leases[task.delivery.id].running = true;
      ++s.running;
      ++busy_;
      {
        std::lock_guard lock(mu_);
        tasks_.push_back(std::move(task));
      }
      tasks_cv_.notify_one();
    }
  };

  // Extends every held lease past half of its remaining time.
  const auto touch_due = [&] {
    std::vector<uint64_t> due;
    const auto now = Clock::now();
    for (const auto& [id, lease] : s.leases) {
      if (!lease.lost && lease.touch_at <= now) due.push_back(id);
    }
    for (uint64_t id : due) {
      const auto sent = Clock::now();
      const auto r = s.client->touch(id, s.lease_ms);
      auto it = s.leases.find(id);
      if (it == s.leases.end()) continue;
      if (r.code == ErrorCode::kOk) {
        ++stats_.extended;
        it->second.deadline = sent + milliseconds(s.lease_ms);
        it->second.touch_at = sent + milliseconds(s.lease_ms / 2);
        continue;
      }
      ++stats_.settle_errors;
      if (it->second.running) {
        it->second.lost = true;  // the handler goes on; its result is dropped
        continue;
      }
      s.leases.erase(it);
      const auto w = std::find_if(s.waiting.begin(), s.waiting.end(),
                                  [&](const Delivery& d) { return d.id == id; });
      if (w != s.waiting.end()) {
        report(*w, Outcome::kLost);
        s.waiting.erase(w);
      }
    }
  };

  const auto begin_drain = [&] {
    s.draining = true;
    s.client->credit(0);
    receive(milliseconds(0));  // what the broker sent before it paused: released below
    for (Delivery& d : s.waiting) {
      s.leases.erase(d.id);
      release(std::move(d));
    }
    s.waiting.clear();
  };

  // Waits for the next thing to do: a delivery, a handler's result, a lease to extend, or the
  // periodic look at the stop flag.
  const auto wait_for_work = [&] {
    const auto now = Clock::now();
    auto until = now + std::min(options_.poll_interval, kStopCheck);
    for (const auto& [id, lease] : s.leases) {
      if (!lease.lost) until = std::min(until, lease.touch_at);
    }
    const bool want_deliveries =
        !s.draining && s.waiting.empty() && busy_ < options_.max_concurrency;
    const auto left = [&](Clock::time_point t) {
      return std::chrono::ceil<milliseconds>(std::max(t - Clock::now(), Clock::duration::zero()));
    };
    if (busy_ == 0) {
      receive(left(until));  // no result can come
    } else if (want_deliveries) {
      const auto tick =
          std::clamp<Clock::duration>((now - s.last_event) / 8, kMinResultTick, kMaxResultTick);
      receive(left(std::min(until, now + tick)));
    } else {
      // all threads busy (or draining): wake on a result, and take in the deliveries that came
      {
        std::unique_lock lock(mu_);
        results_cv_.wait_until(lock, until, [&] { return !results_.empty(); });
      }
      receive(milliseconds(0));
    }
  };

  for (;;) {
    take_results();
    if (stop_requested() && !s.draining) begin_drain();
    flush();
    publish_stats();
    if (s.draining && s.running == 0) return;  // drained: the caller closes the connection
    start_handlers();
    touch_due();
    wait_for_work();
  }
}

}  // namespace symphony::client
