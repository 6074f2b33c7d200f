#pragma once
// BrokerService: the broker behind the network seam. It takes decoded frames from connections,
// runs them through the core, writes replies and deliveries into the connections' output
// buffers, and at the end of every event-loop turn lets the core deliver, then flushes each
// connection that has output with one write.
//
// Ops are grouped by family, one .cc each: produce_ops.cc (DISPATCH), consume_ops.cc (SUBSCRIBE,
// CREDIT, ACK, NACK, TOUCH, deliveries), admin_ops.cc (HELLO, PING, QUEUE_STATS),
// admin_data_ops.cc (dead letters, purge, status, schedules), observe_ops.cc (OVERVIEW, HEALTH,
// METRICS, BACKUP).
//
// Thread-safety: none; everything runs on the io_context's one thread.
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker/core/core.h"
#include "broker/server/asio.h"
#include "broker/server/connection.h"
#include "broker/server/frame_handler.h"
#include "broker/server/health_options.h"
#include "broker/server/limit_options.h"
#include "broker/server/log_health.h"
#include "broker/server/memory_guard.h"
#include "broker/server/server_metrics.h"
#include "protocol/consume.h"
#include "protocol/decode_status.h"
#include "protocol/dispatch.h"
#include "protocol/settle.h"
#include "wal/fsync_policy.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/log_writer.h"
#include "wal/record_buffer.h"
#include "wal/recovery.h"

namespace symphony::server {

class AuthGate;
class BackupRunner;

struct ServiceOptions {
  broker::CoreOptions core;
  std::string server_name = "symphonyd/0.1.0";
  /// Tokens a client may present in HELLO (and the admin API as Bearer); empty: no auth.
  std::vector<std::string> auth_tokens;
  /// When commit groups reach stable storage. Default: always
  wal::FsyncPolicy fsync;
  /// Compaction starts once the log holds this many dead bytes... Default: 64 MiB
  uint64_t compaction_min_bytes = 64u << 20;
  /// ...and at least this multiple of the live set. Default: 1.0
  double compaction_ratio = 1.0;
  /// Envelopes rewritten per event-loop turn while compacting (bounds the pause). Default: 20000
  size_t compaction_chunk = 20'000;
  /// The data directory (HEALTH reads its free space); set by Server from ServerOptions.
  std::string data_dir;
  /// Thresholds of HEALTH (and GET /health); set by Server from ServerOptions.
  HealthOptions health;
  /// Connection cap, HELLO deadline, memory limit, consumer output bound. Server resolves a
  /// derived max_connections (0) before the service is built.
  LimitOptions limits;
  /// The memory limit in bytes (limits.max_memory resolved for this machine); 0: none. Set by
  /// Server.
  uint64_t memory_limit_bytes = 0;
};

class BrokerService final : public FrameHandler, public broker::DeliverySink {
 public:
  using Clock = std::function<broker::TimeMs()>;

  BrokerService(boost::asio::io_context& io, ServiceOptions options, Clock clock,
                wal::LogStore& store);
  ~BrokerService() override;

  /// Loads the state recovered from the log into the core. May run on another thread, as long
  /// as nothing else uses the service yet.
  void restore(wal::LogState& recovered, const wal::RecoveryReport& report);
  /// The log writer keeps <data_dir>/log.guard from `state` on (after restore(), before start()).
  void set_log_guard(std::string data_dir, wal::LogGuardState state);
  /// Starts the log writer and the timers (on the event loop's thread, after restore()).
  void start();
  /// Writes everything submitted, syncs and stops the log writer. Call once the event loop has
  /// ended. Idempotent. Not ok when the log was failing and records were never written.
  wal::StoreStatus stop_log();
  /// True while log writes fail (see LogHealth): requests that need the log are refused.
  bool storage_failed() const { return !log_health_.writable(); }
  const LogHealth& log_health() const { return log_health_; }
  const broker::Core& core() const { return core_; }

  // FrameHandler
  void on_open(Connection& conn) override;
  void on_frame(Connection& conn, const protocol::Frame& frame) override;
  void on_malformed(Connection& conn, const protocol::FrameDecoder::Result& bad) override;
  void on_close(Connection& conn) override;
  void on_output(Connection& conn) override;
  void on_write_done(Connection& conn) override;

  // DeliverySink
  bool on_deliver(broker::ConsumerId consumer, const broker::Delivery& delivery) override;

  // ---- for the admin API (same thread as everything else) ----

  /// The core, for commands the admin API runs; call end_turn_soon() after changing state.
  broker::Core& mutable_core() { return core_; }
  broker::TimeMs now() const { return clock_(); }
  /// Runs `fn` on the event loop once every log record appended so far is durable (so an HTTP
  /// reply confirms what a crash cannot undo), and ends the turn that submits them.
  void after_durable(std::function<void()> fn);
  void end_turn_soon() { schedule_turn_end(); }
  const ServerMetrics& metrics() const { return metrics_; }
  ServerMetrics& mutable_metrics() { return metrics_; }
  /// True when `token` is one of the configured ones, or none is configured.
  bool token_ok(std::string_view token) const;
  bool auth_required() const { return !options_.auth_tokens.empty(); }
  wal::LogStore& store() { return store_; }
  bool draining() const { return draining_; }
  /// The server's backup runner, for BACKUP (owned by Server; without one BACKUP is INTERNAL).
  void set_backup_runner(BackupRunner* runner) { backup_ = runner; }
  /// Where HELLO reports its auth outcome (owned by Server; without one, answers are never
  /// delayed and failures not counted).
  void set_auth_gate(AuthGate* gate) { auth_gate_ = gate; }
  const AuthGate* auth_gate() const { return auth_gate_; }

  /// Starts draining: GOAWAY to every client, each connection closes once its output is out.
  void shutdown();
  size_t connection_count() const { return sessions_.size(); }
  /// The memory figure, limit and alarm (health, metrics).
  const MemoryGuard& memory() const { return memory_; }
  /// Consumers whose deliveries are stopped because their output is over the bound.
  size_t blocked_consumers() const { return blocked_consumers_; }
  /// Unsent output (queued, being written, held for the log) over all connections, and the
  /// largest of one connection (metrics).
  uint64_t buffered_output_bytes() const;
  uint64_t max_buffered_output_bytes() const;
  /// Keeps the connection alive until on_close (the service owns open connections).
  void adopt(std::shared_ptr<Connection> conn);

 private:
  struct Session {
    std::shared_ptr<Connection> conn;
    bool hello_done = false;
    bool hello_pending = false;  ///< HELLO's answer is held back by the auth throttle
    std::string client_name;
    /// DELIVER frame being filled during this turn's core.deliver(), if any.
    std::optional<protocol::DeliverWriter> deliver;
    /// Replies of this turn that may only leave once this turn's records are durable.
    std::string held_now;
    /// Earlier turns' held replies, oldest first, each waiting for its epoch to be written.
    std::deque<std::pair<uint64_t, std::string>> held;
    /// Bytes in `held`.
    uint64_t held_bytes = 0;
    bool close_when_released = false;
    /// Refused over max_connections: closing, not counted against the cap.
    bool refused = false;
    /// Deliveries stopped: unsent output went over limits.max_consumer_output_bytes.
    bool delivery_blocked = false;
  };
  using Op = void (BrokerService::*)(Session&, const protocol::Frame&);
  using OpTable = std::array<Op, 256>;

  static const OpTable& ops();
  static void register_admin_ops(OpTable& table);
  static void register_produce_ops(OpTable& table);
  static void register_consume_ops(OpTable& table);
  static void register_admin_data_ops(OpTable& table);
  static void register_observe_ops(OpTable& table);

  // admin_ops.cc
  void op_hello(Session& s, const protocol::Frame& f);
  void answer_hello(Session& s, uint32_t request_id, bool accepted, bool token_missing);
  void op_ping(Session& s, const protocol::Frame& f);
  void op_queue_stats(Session& s, const protocol::Frame& f);
  // produce_ops.cc
  void op_dispatch(Session& s, const protocol::Frame& f);
  // consume_ops.cc
  void op_subscribe(Session& s, const protocol::Frame& f);
  void op_credit(Session& s, const protocol::Frame& f);
  void op_ack(Session& s, const protocol::Frame& f);
  void op_nack(Session& s, const protocol::Frame& f);
  void op_touch(Session& s, const protocol::Frame& f);
  // admin_data_ops.cc
  void op_queue_purge(Session& s, const protocol::Frame& f);
  void op_message_status(Session& s, const protocol::Frame& f);
  void op_failed_list(Session& s, const protocol::Frame& f);
  void op_failed_get(Session& s, const protocol::Frame& f);
  void op_failed_retry(Session& s, const protocol::Frame& f);
  void op_failed_delete(Session& s, const protocol::Frame& f);
  void op_schedule_create(Session& s, const protocol::Frame& f);
  void op_schedule_list(Session& s, const protocol::Frame& f);
  void op_schedule_get(Session& s, const protocol::Frame& f);
  void op_schedule_update(Session& s, const protocol::Frame& f);
  // observe_ops.cc
  void op_overview(Session& s, const protocol::Frame& f);
  void op_health(Session& s, const protocol::Frame& f);
  void op_metrics(Session& s, const protocol::Frame& f);
  void op_backup(Session& s, const protocol::Frame& f);

  /// ERROR addressed to `request_id`; protocol-class errors (1xx) also close the connection.
  void send_error(Session& s, uint32_t request_id, protocol::ErrorCode code, std::string_view what);
  void send_decode_error(Session& s, uint32_t request_id, const protocol::DecodeStatus& st);
  /// HELLO succeeded: the session may send anything, and its connection reads full frames.
  void mark_authenticated(Session& s);
  /// Unsent output of a session: queued and being written on its connection, held for the log.
  uint64_t unsent_bytes(const Session& s) const;
  /// Samples memory when due and acts on an alarm change (end of turn, and the idle timer).
  void check_memory(broker::TimeMs now);
  /// Logs and tells the core about a crossing of the memory watermarks.
  void on_memory_change(MemoryGuard::Change change);
  Session* find_session(uint64_t id);
  /// Where a reply goes that must wait until this turn's log records are durable.
  std::string& durable_out(Session& s);
  void on_log_commit(const wal::LogWriter::Commit& c);
  /// Refuses a request that would add log records while the log takes no writes; true if so.
  bool refuse_without_log(Session& s, const protocol::Frame& f);
  void release_durable();
  void submit_log();
  void schedule_turn_end();
  void end_turn();
  void arm_timer(broker::TimeMs now);

  boost::asio::io_context& io_;
  ServiceOptions options_;
  Clock clock_;
  wal::LogStore& store_;
  std::unique_ptr<wal::LogWriter> writer_;
  wal::RecordBuffer log_;
  uint64_t epoch_ = 1;          ///< the epoch this turn's records will be submitted as
  uint64_t durable_epoch_ = 0;  ///< every epoch up to this one is written
  /// Bytes submitted since the last log rewrite began (its snapshots included): what the log
  /// holds once that rewrite has dropped the prefix. Since start, if none began yet (a recovered
  /// log's earlier bytes are not counted, so its first compaction comes late, not early).
  uint64_t log_bytes_since_compaction_ = 0;
  uint64_t compaction_epoch_ = 0;  ///< set while a log rewrite runs
  LogHealth log_health_;
  std::optional<std::pair<std::string, wal::LogGuardState>> log_guard_;  ///< restore() to start()
  std::vector<uint64_t> held_now_;                        ///< sessions with a held reply this turn
  std::vector<uint64_t> waiting_;                         ///< sessions whose `held` is not empty
  std::vector<std::function<void()>> after_durable_now_;  ///< registered this turn
  /// Earlier turns' callbacks, oldest first, each waiting for its epoch to be written.
  std::deque<std::pair<uint64_t, std::function<void()>>> after_durable_;
  ServerMetrics metrics_;
  std::vector<wal::GroupInfo> recovered_groups_;  ///< from restore() to start()
  broker::Core core_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::vector<uint64_t> dirty_;          ///< sessions with output to flush this turn
  std::vector<uint64_t> open_delivers_;  ///< sessions with a DELIVER frame being filled
  bool turn_scheduled_ = false;
  std::unique_ptr<MemoryGuard::Probe> memory_probe_;
  MemoryGuard memory_;
  size_t refused_open_ = 0;       ///< sessions refused over max_connections, still closing
  size_t blocked_consumers_ = 0;  ///< sessions with delivery_blocked
  bool draining_ = false;
  BackupRunner* backup_ = nullptr;
  AuthGate* auth_gate_ = nullptr;
  boost::asio::steady_timer timer_;
  broker::TimeMs timer_due_ = 0;  ///< 0: not armed

  // scratch, reused across frames so the hot path does not allocate
  std::vector<protocol::DispatchMessage> dispatch_batch_;
  std::vector<protocol::DispatchResult> dispatch_results_;
  std::vector<protocol::NackItem> nack_items_;
  std::vector<protocol::NackResultItem> nack_results_;
  std::vector<protocol::TouchResultItem> touch_results_;
  protocol::AckResult ack_result_;
};

}  // namespace symphony::server
