#pragma once
// HELLO / WELCOME: the first exchange on every connection. Any other frame before a successful
// HELLO is refused with HELLO_REQUIRED.
//
// HELLO   := u16 version, str16 client_name, str16 auth_token
// WELCOME := u16 version, str16 server_name, u64 session_id, ServerLimits
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/decode_status.h"

namespace symphony::protocol {

inline constexpr uint16_t kProtocolVersion = 1;

struct Hello {
  uint16_t version = kProtocolVersion;
  std::string_view client_name;
  std::string_view auth_token;
};

/// Limits the server enforces; a client should stay under them.
/// ServerLimits := u32 max_frame_bytes, u32 max_batch, u32 max_payload_bytes,
///                 u32 max_metadata_bytes, u16 max_headers, u16 max_type_bytes
struct ServerLimits {
  uint32_t max_frame_bytes = 16u << 20;     ///< Default: 16 MiB
  uint32_t max_batch = 10'000;              ///< messages per DISPATCH, ids per ACK. Default: 10000
  uint32_t max_payload_bytes = 1u << 20;    ///< Default: 1 MiB
  uint32_t max_metadata_bytes = 64u << 10;  ///< Default: 64 KiB
  uint16_t max_headers = 64;                ///< Default: 64
  uint16_t max_type_bytes = 255;            ///< also the limit of queue names. Default: 255
};

struct Welcome {
  uint16_t version = kProtocolVersion;
  std::string_view server_name;
  uint64_t session_id = 0;
  ServerLimits limits;
};

void encode_hello(std::string& out, uint32_t request_id, const Hello& hello);
DecodeStatus decode_hello(std::string_view body, Hello& out);
void encode_welcome(std::string& out, uint32_t request_id, const Welcome& welcome);
DecodeStatus decode_welcome(std::string_view body, Welcome& out);

}  // namespace symphony::protocol
