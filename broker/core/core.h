#pragma once
// The broker core: queues, envelopes, leases, retries and dead letters as one deterministic state
// machine. Commands and the current time go in; deliveries (through DeliverySink) and log records
// (appended to a wal::RecordBuffer) come out. No sockets, no files, no clocks, no threads: the
// server calls it from one thread, tests call it with a fake clock.
//
// Not thread-safe: one owner thread.
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/core/consumer.h"
#include "broker/core/core_options.h"
#include "broker/core/delivery_sink.h"
#include "broker/core/envelope.h"
#include "broker/core/idempotency_index.h"
#include "broker/core/message_validator.h"
#include "broker/core/queue.h"
#include "broker/core/timer_heap.h"
#include "protocol/consume.h"
#include "protocol/dispatch.h"
#include "protocol/settle.h"
#include "protocol/stats.h"
#include "wal/record_buffer.h"

namespace symphony::broker {

class Core {
 public:
  Core(CoreOptions options, wal::RecordBuffer& log, DeliverySink& sink);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // ---- commands ----

  /// Validates and enqueues one message; appends its result(s) to `out` with `index`.
  void dispatch(const protocol::DispatchMessage& m, uint32_t index, TimeMs now,
                std::vector<protocol::DispatchResult>& out);
  /// Subscribes `consumer` to more queues and sets its prefetch and lease (0: defaults).
  protocol::ErrorCode subscribe(ConsumerId consumer, std::span<const std::string_view> queues,
                                uint32_t prefetch, uint32_t lease_ms,
                                protocol::Subscribed& effective, std::string& detail);
  /// Sets the prefetch window; 0 pauses delivery.
  protocol::ErrorCode set_prefetch(ConsumerId consumer, uint32_t prefetch, protocol::CreditOk& out);
  protocol::ErrorCode ack(ConsumerId consumer, MessageId id, TimeMs now);
  protocol::NackResultItem nack(ConsumerId consumer, const protocol::NackItem& item, TimeMs now);
  protocol::TouchResultItem touch(ConsumerId consumer, MessageId id, uint32_t extend_ms,
                                  TimeMs now);
  /// The consumer's session ended: its leases become available again (attempt counted).
  void disconnect(ConsumerId consumer, TimeMs now);
  /// Time-driven transitions due at `now`: delayed envelopes become ready, leases expire,
  /// idempotency keys leave their window.
  void tick(TimeMs now);
  /// Leases ready envelopes to consumers with credit. Called once per batch of commands, so that
  /// a batch's messages are ordered by priority before any goes out.
  void deliver(TimeMs now);

  // ---- queries ----

  /// When tick() next has something to do, if ever.
  std::optional<TimeMs> next_wakeup() const;
  std::vector<protocol::QueueStats> stats(std::string_view queue) const;
  const Envelope* find(MessageId id) const;
  /// The id the next dispatch will get.
  MessageId next_id() const { return next_id_; }
  size_t envelope_count() const { return envelopes_.size(); }
  const CoreOptions& options() const { return options_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  TimeMs advance(TimeMs now);
  Queue& queue_for(std::string_view name);
  Consumer* find_consumer(ConsumerId id);
  Envelope* find_mutable(MessageId id);
  const RetryPolicy& policy_for(const Envelope& e) const;

  void make_ready(Envelope& e);
  void schedule_available(Envelope& e, TimeMs now);
  Envelope* ready_top(Queue& q);
  void lease(Envelope& e, Consumer& c, TimeMs now);
  void end_lease(Envelope& e);
  void return_lease(Envelope& e, wal::ReturnReason reason, TimeMs now);
  void dead_letter(Envelope& e, std::string_view error, std::string_view error_class, TimeMs now);
  void fill_consumer(Consumer& c, TimeMs now);
  void feed_queue(Queue& q, TimeMs now);
  void mark_dirty(Queue& q);
  void mark_dirty(Consumer& c);
  void log_envelope(const Envelope& e);
  /// False when the timer's envelope has since left that state or time (lazy deletion).
  bool timer_live(const TimerHeap::Entry& t) const;

  CoreOptions options_;
  wal::RecordBuffer& log_;
  DeliverySink& sink_;
  MessageValidator validator_;
  IdempotencyIndex idempotency_;
  std::mt19937_64 random_;

  std::unordered_map<std::string, std::unique_ptr<Queue>, Hash, std::equal_to<>> queues_;
  std::unordered_map<MessageId, Envelope> envelopes_;
  std::unordered_map<ConsumerId, Consumer> consumers_;
  /// Mutable: next_wakeup() drops stale entries from the top.
  mutable TimerHeap timers_;
  std::vector<Queue*> dirty_queues_;
  std::vector<ConsumerId> dirty_consumers_;
  MessageId next_id_ = 1;
  TimeMs last_now_ = 0;
};

}  // namespace symphony::broker
