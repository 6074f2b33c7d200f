#pragma once
// The broker core: queues, envelopes, leases, retries, dead letters, idempotency and schedules as
// one deterministic state machine. Commands and the current time go in; deliveries (through
// DeliverySink) and log records (appended to a wal::RecordBuffer) come out. No sockets, no files,
// no clocks, no threads: the server calls it from one thread, tests call it with a fake clock.
//
// The implementation is split by family: core.cc (shared parts, time, queries),
// core_dispatch.cc, core_consume.cc, core_dead_letters.cc, core_schedules.cc, core_recovery.cc.
//
// Not thread-safe: one owner thread.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/core/consumer.h"
#include "broker/core/core_options.h"
#include "broker/core/delivery_sink.h"
#include "broker/core/envelope.h"
#include "broker/core/envelope_store.h"
#include "broker/core/idempotency_index.h"
#include "broker/core/message_validator.h"
#include "broker/core/queue.h"
#include "broker/core/schedule.h"
#include "broker/core/timer_heap.h"
#include "protocol/consume.h"
#include "protocol/dead_letter.h"
#include "protocol/dispatch.h"
#include "protocol/queue_admin.h"
#include "protocol/schedule.h"
#include "protocol/settle.h"
#include "protocol/stats.h"
#include "wal/log_state.h"
#include "wal/record_buffer.h"

namespace symphony::broker {

class Core {
 public:
  Core(CoreOptions options, wal::RecordBuffer& log, DeliverySink& sink);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // ---- commands ----

  /// Validates and enqueues one message: one envelope and one result (appended to `out`, with
  /// `index`) per destination queue. An explicit queue wins over routing; unrouted types go to
  /// the default queue.
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
  /// A consumer whose sink refused more (DeliverySink::on_deliver returned false) can take
  /// deliveries again: the next deliver() fills its credit. Does nothing for one not blocked.
  void resume_delivery(ConsumerId consumer);
  /// True while deliveries to `consumer` are stopped by its sink.
  bool delivery_blocked(ConsumerId consumer) const;
  /// The memory alarm (set by the server above its memory limit, cleared below the low
  /// watermark): while on, every new envelope is refused with MEMORY_LIMIT, whether a client
  /// dispatches it or a schedule fires it (the run counts, with MEMORY_LIMIT as its last_error).
  /// A duplicate of an idempotency key is still answered. Default: off
  void set_memory_alarm(bool on) { memory_alarm_ = on; }
  bool memory_alarm() const { return memory_alarm_; }
  /// Time-driven transitions due at `now`: delayed envelopes become ready, leases expire,
  /// idempotency keys leave their window.
  void tick(TimeMs now);
  /// Leases ready envelopes to consumers with credit. Called once per batch of commands, so that
  /// a batch's messages are ordered by priority before any goes out.
  void deliver(TimeMs now);

  // ---- dead letters, purge, status ----

  protocol::FailedListResult list_dead(const protocol::FailedListRequest& request) const;
  /// kUnknownMessage unless `id` is a dead letter.
  protocol::ErrorCode get_dead(MessageId id, protocol::DeadLetterDetail& out) const;
  /// Moves dead letters back to their queues, ready now, attempts reset (or, on a dry run, only
  /// says which would move).
  protocol::DeadLetterActionResult retry_dead(const protocol::DeadLetterTarget& target,
                                              bool dry_run, TimeMs now);
  /// Deletes dead letters (a filter target is a purge of the dead-letter set).
  protocol::DeadLetterActionResult delete_dead(const protocol::DeadLetterTarget& target,
                                               TimeMs now);
  /// Removes every ready and delayed envelope of `queue` (in-flight ones are left to finish).
  protocol::ErrorCode purge_queue(std::string_view queue, TimeMs now, uint64_t& removed);
  /// pending / processing / failed for live envelopes, completed within the retention, else
  /// kUnknownMessage.
  protocol::MessageStatusItem status(MessageId id) const;

  // ---- schedules ----

  protocol::ErrorCode create_schedule(const protocol::ScheduleSpec& spec, TimeMs now,
                                      protocol::ScheduleInfo& out, std::string& detail);
  std::vector<protocol::ScheduleInfo> list_schedules() const;
  const protocol::ScheduleInfo* find_schedule(uint64_t id) const;
  /// Enable, disable or delete; `out` is the schedule afterwards (unset after a delete).
  protocol::ErrorCode update_schedule(uint64_t id, protocol::ScheduleOp op, TimeMs now,
                                      std::optional<protocol::ScheduleInfo>& out);

  // ---- recovery and compaction ----

  /// Rebuilds the whole state from a replayed log, moving its contents out: ready envelopes in
  /// their exact order, delayed ones with their times, leased ones ready again with the attempt
  /// counted, dead letters, idempotency keys still in their window, and the id counter. A lease
  /// the restart cut ends like a disconnect (return_lease: ready again, or dead-lettered past
  /// max_retries) and that is the only thing it logs. Call once, on an empty core.
  void restore(wal::LogState& state, TimeMs now);
  /// Starts a log rewrite: every envelope live now, and every idempotency key whose envelope is
  /// gone, will be written again as a snapshot record, so that the log written before this point
  /// can be deleted. Does nothing if one is running.
  void begin_log_rewrite();
  /// Appends snapshot records for up to `max_items` envelopes and keys (and at most about
  /// kRewriteChunkBytes of envelopes); true once the rewrite begun by begin_log_rewrite() is
  /// complete.
  bool continue_log_rewrite(size_t max_items);
  bool log_rewrite_running() const { return rewrite_running_; }
  static constexpr size_t kRewriteChunkBytes = 8u << 20;
  /// About how many bytes a full rewrite would write now (the live part of the log).
  uint64_t live_log_bytes() const { return live_bytes_; }

  // ---- queries ----

  /// When tick() next has something to do, if ever.
  std::optional<TimeMs> next_wakeup() const;
  std::vector<protocol::QueueStats> stats(std::string_view queue) const;
  /// Every queue, by name (for metrics, status and health).
  std::vector<const Queue*> queues() const;
  size_t dead_count() const { return dead_index_.size(); }
  size_t schedule_count() const { return schedules_.size(); }
  /// Everything known of a live envelope; views valid until the next command.
  std::optional<EnvelopeView> find(MessageId id) const;
  /// Visits every live envelope (any order), as EnvelopeView.
  template <typename F>
  void for_each_envelope(F&& fn) const {
    envelopes_.for_each([&](const Envelope& e) { fn(view(e)); });
  }
  /// The id the next dispatch will get.
  MessageId next_id() const { return next_id_; }
  size_t envelope_count() const { return envelopes_.size(); }
  /// Timer heap entries, dead ones included (memory accounting, tests).
  size_t timer_count() const { return timers_.size(); }
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
  Queue& queue_of(const Envelope& e) const { return *queue_list_[e.queue]; }
  const EnvelopeExtras* extras_of(MessageId id) const;
  /// Creates the extras on first use.
  EnvelopeExtras& extras_for(MessageId id) { return extras_[id]; }
  std::span<const Failure> failures_of(MessageId id) const;
  /// The failed_at of a dead letter: its last failure, else its creation.
  TimeMs failed_at(const Envelope& e) const;
  EnvelopeView view(const Envelope& e) const;
  const RetryPolicy& policy_for(const Envelope& e) const;
  /// The queue for a dispatch or subscription: QUEUE_NOT_FOUND for an undeclared one in strict
  /// mode.
  Queue* queue_checked(std::string_view name, protocol::ErrorCode& code);
  /// One envelope in one queue (the fan-out loop of dispatch()).
  void enqueue_one(const protocol::DispatchMessage& m, uint32_t index, TimeMs now,
                   std::vector<protocol::DispatchResult>& out, std::string_view queue);
  /// Where a message goes when dispatched without a queue.
  std::span<const std::string> routes_for(std::string_view type) const;
  uint32_t lease_ms_for(const Consumer& c, const Queue& q) const;
  bool dead_matches(const Envelope& e, const protocol::DeadLetterFilter& f) const;
  std::vector<MessageId> dead_targets(const protocol::DeadLetterTarget& t,
                                      protocol::DeadLetterActionResult& out) const;
  void leave_dead(Envelope& e);
  void remember_completed(MessageId id, const Queue& q, TimeMs at);
  void expire_completed(TimeMs now);
  void forget_oldest_completed();
  void fire_schedule(Schedule& s, TimeMs now);
  void log_schedule(const Schedule& s);

  void make_ready(Envelope& e);
  void schedule_available(Envelope& e, TimeMs now);
  Envelope* ready_top(Queue& q);
  void lease(Envelope& e, Consumer& c, TimeMs now);
  void end_lease(Envelope& e);
  /// The lease of `e` if `consumer` holds it, else null: one lookup serves the check and the
  /// settlement that follows.
  Lease* held_lease(const Envelope& e, ConsumerId consumer);
  /// Delivery -> settlement time of the lease, into the queue's metrics.
  void observe_processing(const Envelope& e, const Lease& lease, TimeMs now);
  void return_lease(Envelope& e, wal::ReturnReason reason, TimeMs now);
  void dead_letter(Envelope& e, std::string_view error, std::string_view error_class, TimeMs now);
  void fill_consumer(Consumer& c, TimeMs now);
  void feed_queue(Queue& q, TimeMs now);
  void mark_dirty(Queue& q);
  void mark_dirty(Consumer& c);
  void log_envelope(const Envelope& e, bool snapshot = false);
  void erase_envelope(MessageId id);
  uint64_t record_bytes(const Envelope& e) const;
  /// False when the timer's envelope has since left that state or time (lazy deletion).
  bool timer_live(const TimerHeap::Entry& t) const;

  CoreOptions options_;
  wal::RecordBuffer& log_;
  DeliverySink& sink_;
  MessageValidator validator_;
  IdempotencyIndex idempotency_;
  std::mt19937_64 random_;

  std::unordered_map<std::string, std::unique_ptr<Queue>, Hash, std::equal_to<>> queues_;
  /// Every queue by Queue::index() (an envelope names its queue by index, in 4 bytes).
  std::vector<Queue*> queue_list_;
  EnvelopeStore envelopes_;
  /// One per leased envelope.
  std::unordered_map<MessageId, Lease> leases_;
  /// Idempotency keys and failure histories, for the envelopes that have them.
  std::unordered_map<MessageId, EnvelopeExtras> extras_;
  std::unordered_map<ConsumerId, Consumer> consumers_;
  /// Mutable: next_wakeup() drops stale entries from the top.
  mutable TimerHeap timers_;
  /// tick() prunes dead timers once the heap reaches this size (twice the live ones after the
  /// last prune, at least kMinTimerPruneAt).
  static constexpr size_t kMinTimerPruneAt = 65536;
  size_t timer_prune_at_ = kMinTimerPruneAt;
  std::vector<Queue*> dirty_queues_;
  std::vector<ConsumerId> dirty_consumers_;
  MessageId next_id_ = 1;
  TimeMs last_now_ = 0;
  bool memory_alarm_ = false;
  uint64_t live_bytes_ = 0;
  /// Dead letters newest last: (failed_at, id).
  std::set<std::pair<TimeMs, MessageId>> dead_index_;
  struct Completion {
    const Queue* queue;
    TimeMs at;
  };
  /// Acked envelopes kept for status queries, and their order of completion for expiry.
  std::unordered_map<MessageId, Completion> completed_;
  std::deque<MessageId> completed_order_;
  std::map<uint64_t, Schedule> schedules_;
  // log rewrite in progress
  bool rewrite_running_ = false;
  std::vector<MessageId> rewrite_ids_;
  size_t rewrite_next_ = 0;
  uint64_t rewrite_key_pos_ = 0;
  uint64_t rewrite_key_end_ = 0;
  std::vector<MessageId> rewrite_completed_;
};

}  // namespace symphony::broker
