#pragma once
// Connection control: PING/PONG (liveness and clock), ERROR (a typed error addressed to a request,
// or to the connection when request_id is 0), GOAWAY (the server is shutting down: finish what is
// in flight, reconnect elsewhere or later).
//
// PING   := u64 nonce
// PONG   := u64 nonce, i64 server_time_ms
// ERROR  := u16 error_code, str16 message
// GOAWAY := u16 error_code, str16 reason
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/decode_status.h"

namespace symphony::protocol {

struct Pong {
  uint64_t nonce = 0;
  int64_t server_time_ms = 0;
};

struct ErrorFrame {
  ErrorCode code = ErrorCode::kOk;
  std::string_view message;
};

void encode_ping(std::string& out, uint32_t request_id, uint64_t nonce);
DecodeStatus decode_ping(std::string_view body, uint64_t& nonce);
void encode_pong(std::string& out, uint32_t request_id, const Pong& p);
DecodeStatus decode_pong(std::string_view body, Pong& out);
void encode_error(std::string& out, uint32_t request_id, ErrorCode code, std::string_view message);
DecodeStatus decode_error(std::string_view body, ErrorFrame& out);
void encode_goaway(std::string& out, ErrorCode code, std::string_view reason);
DecodeStatus decode_goaway(std::string_view body, ErrorFrame& out);

}  // namespace symphony::protocol
