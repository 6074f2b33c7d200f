// HELLO, PING, QUEUE_STATS.
#include <spdlog/spdlog.h>

#include "broker/server/broker_service.h"
#include "broker/server/logging.h"
#include "protocol/control.h"
#include "protocol/handshake.h"
#include "protocol/stats.h"

namespace symphony::server {

using protocol::ErrorCode;
using protocol::Opcode;

void BrokerService::register_admin_ops(OpTable& t) {
  t[static_cast<uint8_t>(Opcode::kHello)] = &BrokerService::op_hello;
  t[static_cast<uint8_t>(Opcode::kPing)] = &BrokerService::op_ping;
  t[static_cast<uint8_t>(Opcode::kQueueStats)] = &BrokerService::op_queue_stats;
}

// HELLO version client_name auth_token -> WELCOME version server_name session_id limits
void BrokerService::op_hello(Session& s, const protocol::Frame& f) {
  if (s.hello_done) {
    send_error(s, f.request_id, ErrorCode::kUnexpectedFrame, "HELLO was already received");
    return;
  }
  protocol::Hello hello;
  if (auto st = protocol::decode_hello(f.body, hello); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  if (hello.version != protocol::kProtocolVersion) {
    send_error(s, f.request_id, ErrorCode::kUnsupportedVersion,
               "this server speaks protocol version 1");
    return;
  }
  if (!token_ok(hello.auth_token)) {
    ++metrics_.auth_failures;
    send_error(s, f.request_id, ErrorCode::kAuthFailed,
               hello.auth_token.empty() ? "this server requires an auth token"
                                        : "the auth token is not valid");
    return;
  }
  mark_authenticated(s);
  s.client_name.assign(hello.client_name.substr(0, 128));
  logs::net().debug("connection {}: HELLO from '{}'", s.conn->id(), s.client_name);
  protocol::Welcome w;
  w.server_name = options_.server_name;
  w.session_id = s.conn->id();
  w.limits = options_.core.limits;
  protocol::encode_welcome(s.conn->out(), f.request_id, w);
  on_output(*s.conn);
}

// PING nonce -> PONG nonce server_time_ms
void BrokerService::op_ping(Session& s, const protocol::Frame& f) {
  uint64_t nonce = 0;
  if (auto st = protocol::decode_ping(f.body, nonce); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  protocol::encode_pong(s.conn->out(), f.request_id, {nonce, clock_()});
  on_output(*s.conn);
}

// QUEUE_STATS queue -> QUEUE_STATS_RESULT [stats...]
void BrokerService::op_queue_stats(Session& s, const protocol::Frame& f) {
  std::string_view queue;
  if (auto st = protocol::decode_queue_stats(f.body, queue); !st.ok()) {
    send_decode_error(s, f.request_id, st);
    return;
  }
  const auto stats = core_.stats(queue);
  protocol::encode_queue_stats_result(s.conn->out(), f.request_id, stats);
  on_output(*s.conn);
}

}  // namespace symphony::server
