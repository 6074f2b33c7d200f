#include "broker/server/metrics_text.h"

#include <fmt/format.h>

#include <functional>
#include <string_view>
#include <vector>

#include "broker/server/auth_gate.h"
#include "broker/server/broker_service.h"

namespace symphony::server {

namespace {

/// A label value with \, " and newline escaped as the format asks.
std::string label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void family(std::string_view name, std::string_view type, std::string_view help) {
    fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                   type);
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    if (labels.empty()) {
      fmt::format_to(std::back_inserter(out_), "{} {}\n", name, value);
    } else {
      fmt::format_to(std::back_inserter(out_), "{}{{{}}} {}\n", name, labels, value);
    }
  }
  void histogram(std::string_view name, std::string_view labels, const broker::PromHistogram& h) {
    const std::string sep = labels.empty() ? "" : std::string(labels) + ",";
    const auto bounds = h.bounds();
    for (size_t i = 0; i < bounds.size(); ++i) {
      fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}le=\"{}\"}} {}\n", name, sep,
                     bounds[i], h.cumulative(i));
    }
    fmt::format_to(std::back_inserter(out_), "{}_bucket{{{}le=\"+Inf\"}} {}\n", name, sep,
                   h.count());
    sample(std::string(name) + "_sum", labels, h.sum());
    sample(std::string(name) + "_count", labels, static_cast<double>(h.count()));
  }

 private:
  std::string& out_;
};

}  // namespace

MetricsInputs metrics_inputs(const BrokerService* service, bool draining, uint64_t log_disk_bytes) {
  MetricsInputs in;
  in.ready = service != nullptr && !draining;
  if (service) {
    in.core = &service->core();
    in.server = &service->metrics();
    in.connections = service->connection_count();
    in.memory = &service->memory();
    in.blocked_consumers = service->blocked_consumers();
    in.buffered_output_bytes = service->buffered_output_bytes();
    in.max_buffered_output_bytes = service->max_buffered_output_bytes();
    if (const AuthGate* gate = service->auth_gate()) {
      in.auth_failures = gate->failures();
      in.auth_throttled = gate->throttled();
    }
  }
  in.log_disk_bytes = log_disk_bytes;
  return in;
}

std::string metrics_text(const MetricsInputs& in) {
  std::string out;
  Writer w(out);
  w.family("symphony_ready", "gauge", "1 once recovery finished and the broker serves, else 0.");
  w.sample("symphony_ready", "", in.ready ? 1 : 0);

  std::vector<const broker::Queue*> queues;
  if (in.core) queues = in.core->queues();
  std::vector<std::string> labels;
  labels.reserve(queues.size());
  for (const broker::Queue* q : queues) labels.push_back("queue=\"" + label(q->name()) + "\"");

  using Get = std::function<double(const broker::Queue&)>;
  auto per_queue = [&](std::string_view name, std::string_view type, std::string_view help,
                       const Get& get) {
    w.family(name, type, help);
    for (size_t i = 0; i < queues.size(); ++i) w.sample(name, labels[i], get(*queues[i]));
  };
  auto count = [](uint64_t v) { return static_cast<double>(v); };

  per_queue("symphony_messages_dispatched_total", "counter",
            "Messages enqueued (one per destination queue).",
            [&](const broker::Queue& q) { return count(q.metrics.dispatched); });
  per_queue("symphony_messages_delivered_total", "counter", "Deliveries to consumers.",
            [&](const broker::Queue& q) { return count(q.metrics.delivered); });
  per_queue("symphony_messages_acked_total", "counter", "Messages acknowledged.",
            [&](const broker::Queue& q) { return count(q.metrics.acked); });
  w.family("symphony_messages_nacked_total", "counter",
           "Negative acknowledgements, by whether the failure was retryable.");
  for (size_t i = 0; i < queues.size(); ++i) {
    w.sample("symphony_messages_nacked_total", labels[i] + ",retryable=\"true\"",
             count(queues[i]->metrics.nacked_retryable));
    w.sample("symphony_messages_nacked_total", labels[i] + ",retryable=\"false\"",
             count(queues[i]->metrics.nacked_fatal));
  }
  per_queue("symphony_messages_released_total", "counter",
            "Deliveries handed back unprocessed (no attempt counted).",
            [&](const broker::Queue& q) { return count(q.metrics.released); });
  per_queue("symphony_messages_retried_total", "counter", "Retries scheduled after a failure.",
            [&](const broker::Queue& q) { return count(q.metrics.retried); });
  per_queue("symphony_messages_dead_lettered_total", "counter",
            "Messages moved to the dead-letter set.",
            [&](const broker::Queue& q) { return count(q.metrics.dead_lettered); });
  per_queue("symphony_leases_expired_total", "counter",
            "Leases that ran out before an ack or nack.",
            [&](const broker::Queue& q) { return count(q.metrics.expired); });
  per_queue("symphony_duplicates_total", "counter",
            "Dispatches answered from the idempotency window (nothing enqueued).",
            [&](const broker::Queue& q) { return count(q.metrics.duplicates); });

  per_queue("symphony_queue_ready", "gauge", "Messages ready for delivery.",
            [&](const broker::Queue& q) { return count(q.ready.size()); });
  per_queue("symphony_queue_delayed", "gauge", "Messages waiting for their time (delay, retry).",
            [&](const broker::Queue& q) { return count(q.delayed); });
  per_queue("symphony_queue_in_flight", "gauge", "Messages leased to consumers.",
            [&](const broker::Queue& q) { return count(q.in_flight); });
  per_queue("symphony_queue_dead", "gauge", "Dead letters of the queue.",
            [&](const broker::Queue& q) { return count(q.dead); });
  per_queue("symphony_queue_consumers", "gauge", "Consumers subscribed.",
            [&](const broker::Queue& q) { return count(q.subscribers.size()); });

  w.family("symphony_processing_seconds", "histogram",
           "Delivery to ack or nack, per attempt (handler time plus network).");
  for (size_t i = 0; i < queues.size(); ++i) {
    w.histogram("symphony_processing_seconds", labels[i], queues[i]->metrics.processing);
  }
  w.family("symphony_end_to_end_seconds", "histogram",
           "Dispatch to first delivery (includes any delay the producer asked for).");
  for (size_t i = 0; i < queues.size(); ++i) {
    w.histogram("symphony_end_to_end_seconds", labels[i], queues[i]->metrics.end_to_end);
  }

  w.family("symphony_schedules", "gauge", "Schedules defined.");
  w.sample("symphony_schedules", "", in.core ? count(in.core->schedule_count()) : 0);
  w.family("symphony_connections", "gauge", "Open binary-protocol connections.");
  w.sample("symphony_connections", "", count(in.connections));
  if (const MemoryGuard* m = in.memory) {
    w.family("symphony_memory_bytes", "gauge",
             "The broker's memory figure: resident set at the last sample plus the estimate of "
             "messages accepted since.");
    w.sample("symphony_memory_bytes", "", count(m->used()));
    w.family("symphony_memory_limit_bytes", "gauge",
             "The memory limit (limits.max_memory); 0: no limit.");
    w.sample("symphony_memory_limit_bytes", "", count(m->limit()));
    w.family("symphony_memory_alarm", "gauge",
             "1 while new messages are refused with MEMORY_LIMIT, else 0.");
    w.sample("symphony_memory_alarm", "", m->alarm() ? 1 : 0);
    w.family("symphony_consumers_blocked", "gauge",
             "Consumers whose deliveries are stopped until their unsent output drains.");
    w.sample("symphony_consumers_blocked", "", count(in.blocked_consumers));
    w.family("symphony_output_buffered_bytes", "gauge",
             "Unsent output over all connections (queued, being written, held for the log).");
    w.sample("symphony_output_buffered_bytes", "", count(in.buffered_output_bytes));
    w.family("symphony_output_buffered_bytes_max", "gauge",
             "Unsent output of the connection that has the most.");
    w.sample("symphony_output_buffered_bytes_max", "", count(in.max_buffered_output_bytes));
  }
  w.family("symphony_log_bytes", "gauge", "Bytes of the log directory on disk.");
  w.sample("symphony_log_bytes", "", count(in.log_disk_bytes));
  if (const ServerMetrics* s = in.server) {
    w.family("symphony_connections_accepted_total", "counter", "Connections accepted.");
    w.sample("symphony_connections_accepted_total", "", count(s->connections_accepted));
    w.family("symphony_connections_refused_total", "counter",
             "Clients refused with TOO_MANY_CONNECTIONS, by reason.");
    w.sample("symphony_connections_refused_total", "reason=\"max_connections\"",
             count(s->connections_over_limit));
    w.sample("symphony_connections_refused_total", "reason=\"descriptors\"",
             count(s->accept.refused));
    w.family("symphony_accept_errors_total", "counter",
             "Accept errors on the protocol port (EMFILE, ENFILE, ENOBUFS, ENOMEM, ...).");
    w.sample("symphony_accept_errors_total", "", count(s->accept.errors));
    w.family("symphony_hello_timeouts_total", "counter",
             "Connections closed for sending no HELLO within limits.hello_timeout_ms.");
    w.sample("symphony_hello_timeouts_total", "", count(s->hello_timeouts));
    w.family("symphony_messages_refused_memory_total", "counter",
             "Messages refused with MEMORY_LIMIT.");
    w.sample("symphony_messages_refused_memory_total", "", count(s->dispatches_refused_memory));
    w.family("symphony_memory_alarms_total", "counter", "Times the memory alarm was raised.");
    w.sample("symphony_memory_alarms_total", "", count(s->memory_alarms));
    w.family("symphony_consumer_output_blocks_total", "counter",
             "Times deliveries to a consumer stopped because its unsent output was over the "
             "bound.");
    w.sample("symphony_consumer_output_blocks_total", "", count(s->consumer_output_blocks));
    w.family("symphony_auth_failures_total", "counter",
             "Wrong or missing auth tokens (binary protocol and admin API).");
    w.sample("symphony_auth_failures_total", "", count(in.auth_failures));
    w.family("symphony_auth_throttled_total", "counter",
             "Answers to an authentication held back because its address had failed before.");
    w.sample("symphony_auth_throttled_total", "", count(in.auth_throttled));
    w.family("symphony_protocol_errors_total", "counter",
             "Connections closed for a malformed or illegal frame.");
    w.sample("symphony_protocol_errors_total", "", count(s->protocol_errors));
    w.family("symphony_log_commits_total", "counter", "Commit groups written to the log.");
    w.sample("symphony_log_commits_total", "", count(s->log_commits));
    w.family("symphony_log_records_total", "counter", "Records in those groups.");
    w.sample("symphony_log_records_total", "", count(s->log_records));
    w.family("symphony_log_written_bytes_total", "counter", "Bytes of commit groups written.");
    w.sample("symphony_log_written_bytes_total", "", count(s->log_bytes_written));
    w.family("symphony_log_commit_seconds", "histogram",
             "Time to write (and, under --fsync=always, sync) one commit group.");
    w.histogram("symphony_log_commit_seconds", "", s->log_commit_seconds);
    w.family("symphony_log_commit_group_records", "histogram", "Records per commit group.");
    w.histogram("symphony_log_commit_group_records", "", s->log_group_records);
  }
  return out;
}

}  // namespace symphony::server
