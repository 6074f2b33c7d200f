// HELLO, PING, QUEUE_STATS.
#include <spdlog/spdlog.h>

#include "broker/server/auth_gate.h"
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
//   (or ERROR AUTH_FAILED, possibly delayed: docs/protocol.md 5.1)
void BrokerService::op_hello(Session& s, const protocol::Frame& f) {
  if (s.hello_done || s.hello_pending) {
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
  s.client_name.assign(hello.client_name.substr(0, 128));
  const bool accepted = token_ok(hello.auth_token);
  const bool missing = hello.auth_token.empty();
  if (!auth_gate_ || !auth_required()) {
    answer_hello(s, f.request_id, accepted, missing);
    return;
  }
  // The gate may hold the answer back (AuthThrottle). Meanwhile any other frame is
  // HELLO_REQUIRED and closes the connection, and a second HELLO is UNEXPECTED_FRAME: nothing
  // the client sends can tell it sooner whether its token was right.
  s.hello_pending = true;
  const uint64_t id = s.conn->id();
  const uint32_t request_id = f.request_id;
  auth_gate_->admit(
      {AuthDoor::kHello, s.conn->remote(), accepted, missing ? "no token" : "wrong token", missing},
      [this, id, request_id, accepted, missing] {
        Session* later = find_session(id);
        if (!later || later->conn->closing()) return;
        later->hello_pending = false;
        answer_hello(*later, request_id, accepted, missing);
      });
}

void BrokerService::answer_hello(Session& s, uint32_t request_id, bool accepted,
                                 bool token_missing) {
  if (!accepted) {
    // the gate logged the failure with its address; send_error would log it a second time
    protocol::encode_error(
        s.conn->out(), request_id, ErrorCode::kAuthFailed,
        token_missing ? "this server requires an auth token" : "the auth token is not valid");
    on_output(*s.conn);
    s.conn->close_after_flush();
    return;
  }
  mark_authenticated(s);
  logs::net().debug("connection {}: HELLO from '{}'", s.conn->id(), s.client_name);
  protocol::Welcome w;
  w.server_name = options_.server_name;
  w.session_id = s.conn->id();
  w.limits = options_.core.limits;
  protocol::encode_welcome(s.conn->out(), request_id, w);
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
