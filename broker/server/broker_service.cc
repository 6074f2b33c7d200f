#include "broker/server/broker_service.h"

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

BrokerService::BrokerService(asio::io_context& io, ServiceOptions options, Clock clock)
    : io_(io),
      options_(std::move(options)),
      clock_(std::move(clock)),
      core_(options_.core, log_, *this),
      timer_(io) {}

BrokerService::~BrokerService() = default;

const BrokerService::OpTable& BrokerService::ops() {
  static const OpTable table = [] {
    OpTable t{};
    register_admin_ops(t);
    register_produce_ops(t);
    register_consume_ops(t);
    return t;
  }();
  return table;
}

void BrokerService::adopt(std::shared_ptr<Connection> conn) {
  Session& s = sessions_[conn->id()];
  s.conn = std::move(conn);
}

BrokerService::Session* BrokerService::find_session(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void BrokerService::on_open(Connection& conn) {
  spdlog::debug("connection {} open from {}", conn.id(), conn.remote());
  if (draining_) {
    protocol::encode_goaway(conn.out(), ErrorCode::kShuttingDown, "server is shutting down");
    conn.close_after_flush();
  }
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
  const Op op = ops()[static_cast<uint8_t>(frame.opcode)];
  (this->*op)(*s, frame);
}

void BrokerService::on_malformed(Connection& conn, const protocol::FrameDecoder::Result& bad) {
  spdlog::info("connection {} ({}): {}: {}; closing", conn.id(), conn.remote(),
               protocol::error_name(bad.error), bad.what);
  protocol::encode_error(conn.out(), bad.request_id, bad.error, bad.what);
  on_output(conn);
}

void BrokerService::on_close(Connection& conn) {
  spdlog::debug("connection {} closed", conn.id());
  core_.disconnect(conn.id(), clock_());
  sessions_.erase(conn.id());
  schedule_turn_end();
}

void BrokerService::on_output(Connection& conn) {
  dirty_.push_back(conn.id());
  schedule_turn_end();
}

void BrokerService::send_error(Session& s, uint32_t request_id, ErrorCode code,
                               std::string_view what) {
  protocol::encode_error(s.conn->out(), request_id, code, what);
  on_output(*s.conn);
  if (protocol::error_category(code) == protocol::ErrorCategory::kProtocol ||
      protocol::error_category(code) == protocol::ErrorCategory::kAuth) {
    spdlog::info("connection {} ({}): {}: {}; closing", s.conn->id(), s.conn->remote(),
                 protocol::error_name(code), what);
    s.conn->close_after_flush();
  }
}

void BrokerService::send_decode_error(Session& s, uint32_t request_id,
                                      const protocol::DecodeStatus& st) {
  send_error(s, request_id, st.code, st.what);
}

void BrokerService::on_deliver(broker::ConsumerId consumer, const broker::Envelope& e) {
  Session* s = find_session(consumer);
  if (!s) return;  // cannot happen: the core forgets a consumer when its session closes
  // keep DELIVER frames moderate so a big prefetch does not build one huge frame
  constexpr size_t kDeliverFrameBytes = 256u << 10;
  if (s->deliver && s->conn->out().size() > kDeliverFrameBytes) {
    s->deliver->finish();
    s->deliver.reset();
  }
  if (!s->deliver) {
    s->deliver.emplace(s->conn->out());
    open_delivers_.push_back(consumer);
  }
  protocol::MessageBodyView body;
  protocol::parse_message_body(e.body, body);
  protocol::DeliveryHead head{
      e.id, e.attempts, e.priority, e.queue->name(), e.created_at_ms, e.lease_deadline_ms};
  s->deliver->add(head, body);
}

void BrokerService::schedule_turn_end() {
  if (turn_scheduled_) return;
  turn_scheduled_ = true;
  asio::post(io_, [this] { end_turn(); });
}

void BrokerService::end_turn() {
  turn_scheduled_ = false;
  const broker::TimeMs now = clock_();
  core_.tick(now);
  core_.deliver(now);
  for (uint64_t id : open_delivers_) {
    if (Session* s = find_session(id); s && s->deliver) {
      s->deliver->finish();
      s->deliver.reset();
      dirty_.push_back(id);
    }
  }
  open_delivers_.clear();
  // Persistence arrives with the log writer (wal/); until then records are dropped here.
  log_.clear();
  std::sort(dirty_.begin(), dirty_.end());
  dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
  for (uint64_t id : dirty_) {
    if (Session* s = find_session(id)) s->conn->flush();
  }
  dirty_.clear();
  arm_timer(now);
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
    s.conn->close_after_flush();
  }
}

}  // namespace symphony::server
