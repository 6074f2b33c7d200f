#include "broker/server/broker_service.h"
#include "broker/server/auth_token.h"
#include "broker/server/logging.h"
#include "broker/server/system_memory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "protocol/control.h"
#include "protocol/opcode.h"

namespace symphony::server {

namespace asio = boost::asio;
using protocol::ErrorCode;

namespace {
// Housekeeping (idempotency expiry) runs at least this often even when no timer is due.
constexpr broker::TimeMs kMaxTimerIntervalMs = 1000;
}  // namespace

BrokerService::BrokerService(asio::io_context& io, ServiceOptions options, Clock clock,
                             wal::LogStore& store)
    : io_(io),
      options_(std::move(options)),
      clock_(std::move(clock)),
      store_(store),
      core_(options_.core, log_, *this),
      memory_probe_(std::make_unique<ProcessMemoryProbe>()),
      memory_(options_.memory_limit_bytes, *memory_probe_),
      timer_(io) {}

BrokerService::~BrokerService() {
  stop_log();
}

void BrokerService::restore(wal::LogState& recovered, const wal::RecoveryReport& report) {
  core_.restore(recovered, clock_());
  epoch_ = report.last_epoch + 1;
  durable_epoch_ = report.last_epoch;
  recovered_groups_ = report.group_infos;
}

void BrokerService::set_log_guard(std::string data_dir, wal::LogGuardState state) {
  log_guard_.emplace(std::move(data_dir), state);
}

void BrokerService::start() {
  writer_ = std::make_unique<wal::LogWriter>(store_, options_.fsync, std::move(recovered_groups_),
                                             clock_, [this](const wal::LogWriter::Commit& c) {
                                               asio::post(io_, [this, c] { on_log_commit(c); });
                                             });
  if (log_guard_) writer_->set_guard(log_guard_->first, log_guard_->second);
  writer_->start();
  arm_timer(clock_());
}

wal::StoreStatus BrokerService::stop_log() {
  if (!writer_) return {};
  return writer_->stop();
}

std::string& BrokerService::durable_out(Session& s) {
  if (s.held_now.empty()) held_now_.push_back(s.conn->id());
  return s.held_now;
}

void BrokerService::on_log_commit(const wal::LogWriter::Commit& c) {
  const broker::TimeMs now = clock_();
  if (c.sync_only) {
    // a background sync (--fsync=interval) failed: what it covered may not survive a power
    // loss; the next write meets the same error and takes the retry path
    logs::storage().error("log sync failed: {}", c.status.message);
    return;
  }
  switch (log_health_.on_write(c.status, c.records, now)) {
    case LogHealth::Change::kFailed:
      logs::storage().error(
          "log write failed: {}; {} records are kept and retried, nothing of them is confirmed "
          "meanwhile, and requests that need the log get {}",
          c.status.message, c.records, protocol::error_name(log_health_.refusal()));
      break;
    case LogHealth::Change::kRecovered:
      logs::storage().warn("log writes succeed again after {} ms and {} failed attempts",
                           now - log_health_.failing_since(), log_health_.failures());
      break;
    case LogHealth::Change::kNone: break;
  }
  if (!c.status.ok) return;
  durable_epoch_ = std::max(durable_epoch_, c.last_epoch);
  if (c.records > 0) {
    ++metrics_.log_commits;
    metrics_.log_records += c.records;
    metrics_.log_bytes_written += c.bytes;
    metrics_.log_commit_seconds.observe(static_cast<double>(c.micros) / 1e6);
    metrics_.log_group_records.observe(c.records);
  }
  release_durable();
  for (uint64_t id : dirty_) {
    if (Session* s = find_session(id)) s->conn->flush();
  }
  dirty_.clear();
}

void BrokerService::after_durable(std::function<void()> fn) {
  after_durable_now_.push_back(std::move(fn));
  schedule_turn_end();
}

bool BrokerService::token_ok(std::string_view token) const {
  return token_accepted(options_.auth_tokens, token);
}

void BrokerService::release_durable() {
  while (!after_durable_.empty() && after_durable_.front().first <= durable_epoch_) {
    auto fn = std::move(after_durable_.front().second);
    after_durable_.pop_front();
    fn();
  }
  // only sessions holding replies are visited: idle connections cost nothing per commit
  size_t keep = 0;
  for (uint64_t id : waiting_) {
    Session* s = find_session(id);
    if (!s) continue;  // closed while waiting: its replies went with it
    bool moved = false;
    while (!s->held.empty() && s->held.front().first <= durable_epoch_) {
      s->conn->out().append(s->held.front().second);
      s->held_bytes -= s->held.front().second.size();
      s->held.pop_front();
      moved = true;
    }
    if (moved) dirty_.push_back(id);
    if (!s->held.empty()) {
      waiting_[keep++] = id;
    } else if (s->close_when_released) {
      s->close_when_released = false;
      s->conn->close_after_flush();
    }
  }
  waiting_.resize(keep);
}

void BrokerService::submit_log() {
  // A log rewrite in progress adds its next chunk of snapshots to this turn's records; when it
  // completes, the same write drops every group that lies wholly before it began.
  std::optional<uint64_t> drop;
  if (log_health_.writable() && core_.log_rewrite_running() &&
      core_.continue_log_rewrite(options_.compaction_chunk)) {
    drop = compaction_epoch_;
    logs::storage().debug("log compaction: groups before epoch {} are dropped", compaction_epoch_);
  }
  const bool has_records = !log_.empty();
  if (has_records || drop) {
    log_bytes_since_compaction_ += log_.bytes().size();
    writer_->submit(epoch_, log_, core_.next_id(), drop);
    ++epoch_;
  }
  // replies held this turn wait for the last epoch submitted (this one, or an earlier one
  // still in flight that their answer depends on)
  for (uint64_t id : held_now_) {
    if (Session* s = find_session(id); s && !s->held_now.empty()) {
      if (s->held.empty()) waiting_.push_back(id);
      s->held_bytes += s->held_now.size();
      s->held.emplace_back(epoch_ - 1, std::move(s->held_now));
      s->held_now.clear();
    }
  }
  held_now_.clear();
  for (auto& fn : after_durable_now_) after_durable_.emplace_back(epoch_ - 1, std::move(fn));
  after_durable_now_.clear();
  // Compact once the log's dead bytes (what was written since the last rewrite began, which is
  // what the log holds, less the live set) reach max(min_bytes, ratio x live). Counting dead
  // bytes rather than bytes written spares a log that is already compact, such as a queue just
  // filled with millions of messages: rewriting it would cost as much as the fill, for nothing.
  const uint64_t live = core_.live_log_bytes();
  const uint64_t dead = log_bytes_since_compaction_ > live ? log_bytes_since_compaction_ - live : 0;
  if (log_health_.writable() && !core_.log_rewrite_running() &&
      dead >= std::max<uint64_t>(
                  options_.compaction_min_bytes,
                  static_cast<uint64_t>(options_.compaction_ratio * static_cast<double>(live)))) {
    compaction_epoch_ = epoch_;
    log_bytes_since_compaction_ = 0;
    core_.begin_log_rewrite();
    logs::storage().debug("log compaction started at epoch {} (live about {} bytes)", epoch_,
                          core_.live_log_bytes());
  }
}

const BrokerService::OpTable& BrokerService::ops() {
  static const OpTable table = [] {
    OpTable t{};
    register_admin_ops(t);
    register_produce_ops(t);
    register_consume_ops(t);
    register_admin_data_ops(t);
    register_observe_ops(t);
    return t;
  }();
  return table;
}

void BrokerService::adopt(std::shared_ptr<Connection> conn) {
  Session& s = sessions_[conn->id()];
  s.conn = std::move(conn);
  ++metrics_.connections_accepted;
}

BrokerService::Session* BrokerService::find_session(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void BrokerService::on_open(Connection& conn) {
  logs::net().debug("connection {} open from {}", conn.id(), conn.remote());
  if (draining_) {
    protocol::encode_goaway(conn.out(), ErrorCode::kShuttingDown, "server is shutting down");
    conn.close_after_flush();
    return;
  }
  const uint32_t cap = options_.limits.max_connections;
  Session* s = find_session(conn.id());
  if (s && cap != 0 && sessions_.size() - refused_open_ > cap) {
    s->refused = true;
    ++refused_open_;
    ++metrics_.connections_over_limit;
    // logged at debug: a flood of them must not flood the log; the metric counts them
    logs::net().debug("connection {} ({}): over max_connections {}; refused", conn.id(),
                      conn.remote(), cap);
    protocol::encode_error(conn.out(), 0, ErrorCode::kTooManyConnections,
                           fmt::format("the broker serves at most {} connections", cap));
    conn.close_after_flush();
  }
}

void BrokerService::mark_authenticated(Session& s) {
  s.hello_done = true;
  s.conn->authenticated();
}

void BrokerService::on_frame(Connection& conn, const protocol::Frame& frame) {
  Session* s = find_session(conn.id());
  if (!s) return;
  if (!protocol::is_request(frame.opcode)) {
    send_error(*s, frame.request_id, ErrorCode::kUnexpectedFrame,
               "a client may not send this opcode");
    return;
  }
  if (!s->hello_done && frame.opcode != protocol::Opcode::kHello) {
    send_error(*s, frame.request_id, ErrorCode::kHelloRequired,
               "the first frame on a connection must be HELLO");
    return;
  }
  if (refuse_without_log(*s, frame)) return;
  const Op op = ops()[static_cast<uint8_t>(frame.opcode)];
  (this->*op)(*s, frame);
}

bool BrokerService::refuse_without_log(Session& s, const protocol::Frame& f) {
  if (log_health_.writable()) return false;
  using protocol::Opcode;
  switch (f.opcode) {
    // what appends log records; everything else (reads, subscriptions, credit, touch) goes on
    case Opcode::kDispatch:
    case Opcode::kAck:
    case Opcode::kNack:
    case Opcode::kQueuePurge:
    case Opcode::kFailedRetry:
    case Opcode::kFailedDelete:
    case Opcode::kScheduleCreate:
    case Opcode::kScheduleUpdate:
      send_error(s, f.request_id, log_health_.refusal(), log_health_.refusal_text());
      return true;
    default: return false;
  }
}

void BrokerService::on_malformed(Connection& conn, const protocol::FrameDecoder::Result& bad) {
  ++metrics_.protocol_errors;
  if (!conn.is_authenticated() && bad.error == ErrorCode::kHelloRequired && bad.request_id == 0) {
    ++metrics_.hello_timeouts;
  }
  logs::net().info("connection {} ({}): {}: {}; closing", conn.id(), conn.remote(),
                   protocol::error_name(bad.error), bad.what);
  protocol::encode_error(conn.out(), bad.request_id, bad.error, bad.what);
  on_output(conn);
}

void BrokerService::on_close(Connection& conn) {
  logs::net().debug("connection {} closed", conn.id());
  if (Session* s = find_session(conn.id())) {
    if (s->refused) --refused_open_;
    if (s->delivery_blocked) --blocked_consumers_;
  }
  core_.disconnect(conn.id(), clock_());
  sessions_.erase(conn.id());
  schedule_turn_end();
}

void BrokerService::on_output(Connection& conn) {
  dirty_.push_back(conn.id());
  schedule_turn_end();
}

uint64_t BrokerService::unsent_bytes(const Session& s) const {
  return s.conn->queued_output_bytes() + s.held_now.size() + s.held_bytes;
}

uint64_t BrokerService::buffered_output_bytes() const {
  uint64_t total = 0;
  for (const auto& [id, s] : sessions_) total += unsent_bytes(s);
  return total;
}

uint64_t BrokerService::max_buffered_output_bytes() const {
  uint64_t most = 0;
  for (const auto& [id, s] : sessions_) most = std::max(most, unsent_bytes(s));
  return most;
}

void BrokerService::on_write_done(Connection& conn) {
  Session* s = find_session(conn.id());
  if (!s || !s->delivery_blocked) return;
  // resume under half the bound, so a consumer that reads slowly gets deliveries in batches
  if (unsent_bytes(*s) > options_.limits.max_consumer_output_bytes / 2) return;
  s->delivery_blocked = false;
  --blocked_consumers_;
  core_.resume_delivery(conn.id());
  schedule_turn_end();
}

void BrokerService::send_error(Session& s, uint32_t request_id, ErrorCode code,
                               std::string_view what) {
  protocol::encode_error(s.conn->out(), request_id, code, what);
  on_output(*s.conn);
  if (protocol::error_category(code) == protocol::ErrorCategory::kProtocol ||
      protocol::error_category(code) == protocol::ErrorCategory::kAuth) {
    logs::net().info("connection {} ({}): {}: {}; closing", s.conn->id(), s.conn->remote(),
                     protocol::error_name(code), what);
    s.conn->close_after_flush();
  }
}

void BrokerService::send_decode_error(Session& s, uint32_t request_id,
                                      const protocol::DecodeStatus& st) {
  send_error(s, request_id, st.code, st.what);
}

bool BrokerService::on_deliver(broker::ConsumerId consumer, const broker::Delivery& d) {
  Session* s = find_session(consumer);
  if (!s) return true;  // cannot happen: the core forgets a consumer when its session closes
  // keep DELIVER frames moderate so a big prefetch does not build one huge frame
  constexpr size_t kDeliverFrameBytes = 256u << 10;
  if (s->deliver && s->held_now.size() > kDeliverFrameBytes) {
    s->deliver->finish();
    s->deliver.reset();
  }
  if (!s->deliver) {
    // A delivery waits for the log like a reply: until this turn's records (the lease, and the
    // enqueue of a message dispatched in this turn) are durable, no client may see a message
    // or an id that a crash could take back and hand out again.
    s->deliver.emplace(durable_out(*s));
    open_delivers_.push_back(consumer);
  }
  const broker::Envelope& e = d.envelope;
  protocol::MessageBodyView body;
  protocol::parse_message_body(e.body(), body);
  protocol::DeliveryHead head{e.id,    e.attempts,      e.priority,
                              d.queue, e.created_at_ms, d.lease_deadline_ms};
  s->deliver->add(head, body);
  // Output for one consumer is bounded in bytes, not only by its prefetch: past the bound it
  // gets nothing more until its socket drains (on_write_done). A reader that stops reading
  // altogether is then also no longer read from at Connection::kMaxQueuedOutputBytes.
  if (unsent_bytes(*s) <= options_.limits.max_consumer_output_bytes) return true;
  s->delivery_blocked = true;
  ++blocked_consumers_;
  ++metrics_.consumer_output_blocks;
  return false;
}

void BrokerService::schedule_turn_end() {
  if (turn_scheduled_) return;
  turn_scheduled_ = true;
  asio::post(io_, [this] { end_turn(); });
}

void BrokerService::end_turn() {
  turn_scheduled_ = false;
  const broker::TimeMs now = clock_();
  // While the log takes no writes, time stands still for the core: no lease expires, no
  // schedule fires, nothing is delivered (a delivery is a lease record). It catches up on the
  // first turn after the log recovers.
  if (log_health_.writable()) {
    core_.tick(now);
    core_.deliver(now);
  }
  for (uint64_t id : open_delivers_) {
    if (Session* s = find_session(id); s && s->deliver) {
      s->deliver->finish();
      s->deliver.reset();
      dirty_.push_back(id);
    }
  }
  open_delivers_.clear();
  submit_log();
  release_durable();
  check_memory(now);
  std::sort(dirty_.begin(), dirty_.end());
  dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  for (uint64_t id : dirty_) {
    if (Session* s = find_session(id)) s->conn->flush();
  }
  dirty_.clear();
  arm_timer(now);
}

void BrokerService::check_memory(broker::TimeMs now) {
  on_memory_change(memory_.maybe_sample(now));
}

void BrokerService::on_memory_change(MemoryGuard::Change change) {
  if (change == MemoryGuard::Change::kNone) return;
  const bool on = change == MemoryGuard::Change::kRaised;
  core_.set_memory_alarm(on);
  if (on) {
    ++metrics_.memory_alarms;
    logs::server().warn(
        "memory alarm: {} is at the limit of {}; new messages are refused with MEMORY_LIMIT "
        "until memory is under {}",
        format_bytes(memory_.used()), format_bytes(memory_.limit()),
        format_bytes(memory_.low_watermark()));
  } else {
    logs::server().info("memory alarm cleared: {} is under {}; messages are accepted again",
                        format_bytes(memory_.used()), format_bytes(memory_.low_watermark()));
  }
}

void BrokerService::arm_timer(broker::TimeMs now) {
  if (draining_) return;
  broker::TimeMs due = now + kMaxTimerIntervalMs;
  if (auto next = core_.next_wakeup()) due = std::min(due, std::max(*next, now));
  if (timer_due_ != 0 && timer_due_ <= due) return;  // an earlier or equal wake is armed
  timer_due_ = due;
  timer_.expires_after(std::chrono::milliseconds(due - now));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || draining_) return;  // cancelled by a re-arm or by shutdown
    timer_due_ = 0;
    end_turn();
  });
}

void BrokerService::shutdown() {
  draining_ = true;
  timer_.cancel();
  timer_due_ = 0;
  for (auto& [id, s] : sessions_) {
    protocol::encode_goaway(s.conn->out(), ErrorCode::kShuttingDown, "server is shutting down");
    // replies still waiting for the log go out before the connection closes
    if (s.held.empty() && s.held_now.empty()) {
      s.conn->close_after_flush();
    } else {
      s.close_when_released = true;
      s.conn->flush();
    }
  }
}

}  // namespace symphony::server
