// SUBSCRIBE, CREDIT, ACK, NACK, TOUCH.
#include "broker/server/broker_service.h"
#include "protocol/consume.h"
#include "protocol/settle.h"

namespace symphony::server {

using protocol::ErrorCode;
using protocol::Opcode;

namespace {
// A consumer may subscribe to at most this many queues in one SUBSCRIBE.
constexpr uint16_t kMaxSubscribeQueues = 1024;
}  // namespace

void BrokerService::register_consume_ops(OpTable& t) {
  t[static_cast<uint8_t>(Opcode::kSubscribe)] = &BrokerService::op_subscribe;
  t[static_cast<uint8_t>(Opcode::kCredit)] = &BrokerService::op_credit;
  t[static_cast<uint8_t>(Opcode::kAck)] = &BrokerService::op_ack;
  t[static_cast<uint8_t>(Opcode::kNack)] = &BrokerService::op_nack;
  t[static_cast<uint8_t>(Opcode::kTouch)] = &BrokerService::op_touch;
}

// SUBSCRIBE [queue...] prefetch lease_ms -> SUBSCRIBED prefetch lease_ms
void BrokerService::op_subscribe(Session& s, const protocol::Frame& f) {
  protocol::Subscribe sub;
  if (auto st = protocol::decode_subscribe(f.body, kMaxSubscribeQueues, sub); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::Subscribed effective;
  std::string detail;
  const ErrorCode code =
      core_.subscribe(s.conn->id(), sub.queues, sub.prefetch, sub.lease_ms, effective, detail);
  if (code != ErrorCode::kOk) {
    send_error(s, f.request_id, code, detail);
    return;
  }
  protocol::encode_subscribed(s.conn->out(), f.request_id, effective);
  on_output(*s.conn);
}

// CREDIT prefetch -> CREDIT_OK prefetch in_flight
void BrokerService::op_credit(Session& s, const protocol::Frame& f) {
  uint32_t prefetch = 0;
  if (auto st = protocol::decode_credit(f.body, prefetch); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::CreditOk ok;
  if (const ErrorCode code = core_.set_prefetch(s.conn->id(), prefetch, ok);
      code != ErrorCode::kOk) {
    send_error(s, f.request_id, code, "CREDIT before SUBSCRIBE");
    return;
  }
  protocol::encode_credit_ok(s.conn->out(), f.request_id, ok);
  on_output(*s.conn);
}

// ACK [id...] -> ACK_RESULT acked [failed id, code...]
void BrokerService::op_ack(Session& s, const protocol::Frame& f) {
  protocol::IdList ids;
  if (auto st = protocol::decode_ack(f.body, options_.core.limits.max_batch, ids); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const broker::TimeMs now = clock_();
  ack_result_.acked = 0;
  ack_result_.failures.clear();
  for (uint32_t i = 0; i < ids.count; ++i) {
    const ErrorCode code = core_.ack(s.conn->id(), ids[i], now);
    if (code == ErrorCode::kOk) {
      ++ack_result_.acked;
    } else {
      ack_result_.failures.push_back({ids[i], code});
    }
  }
  if (f.flags & protocol::kFlagConfirm) {
    protocol::encode_ack_result(durable_out(s), f.request_id, ack_result_);
    schedule_turn_end();
  } else {
    protocol::encode_ack_result(s.conn->out(), f.request_id, ack_result_);
    on_output(*s.conn);
  }
}

// NACK [id mode error error_class...] -> NACK_RESULT [id code outcome available_at...]
void BrokerService::op_nack(Session& s, const protocol::Frame& f) {
  if (auto st = protocol::decode_nack(f.body, options_.core.limits.max_batch, nack_items_);
      !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const broker::TimeMs now = clock_();
  nack_results_.clear();
  for (const protocol::NackItem& item : nack_items_) {
    nack_results_.push_back(core_.nack(s.conn->id(), item, now));
  }
  protocol::encode_nack_result(s.conn->out(), f.request_id, nack_results_);
  on_output(*s.conn);
}

// TOUCH extend_ms [id...] -> TOUCH_RESULT [id code deadline...]
void BrokerService::op_touch(Session& s, const protocol::Frame& f) {
  uint32_t extend_ms = 0;
  protocol::IdList ids;
  if (auto st = protocol::decode_touch(f.body, options_.core.limits.max_batch, extend_ms, ids);
      !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const broker::TimeMs now = clock_();
  touch_results_.clear();
  for (uint32_t i = 0; i < ids.count; ++i) {
    touch_results_.push_back(core_.touch(s.conn->id(), ids[i], extend_ms, now));
  }
  protocol::encode_touch_result(s.conn->out(), f.request_id, touch_results_);
  on_output(*s.conn);
}

}  // namespace symphony::server
