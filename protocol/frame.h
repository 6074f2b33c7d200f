#pragma once
// Frame layout (docs/protocol.md, "Framing"): a fixed 12-byte little-endian header, then the body.
//
//   offset size field
//   0      4    body_length   bytes of body after the header (not counting the header)
//   4      1    opcode
//   5      1    flags         per-opcode bits; a receiver ignores bits it does not know
//   6      2    reserved      must be 0
//   8      4    request_id    chosen by the client, echoed in the reply; 0 on server pushes
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/opcode.h"

namespace symphony::protocol {

inline constexpr size_t kFrameHeaderBytes = 12;
/// Default and hard ceiling of a frame body. Servers announce their own (lower or equal) limit in
/// WELCOME. Default: 16 MiB.
inline constexpr uint32_t kDefaultMaxFrameBytes = 16u << 20;
inline constexpr uint32_t kHardMaxFrameBytes = 64u << 20;
/// Largest HELLO body a server accepts before authentication (the negotiated limit applies only
/// after WELCOME). Default and ceiling: 4 KiB.
inline constexpr uint32_t kMaxHelloBodyBytes = 4096;

/// ACK flag: reply only after the acks are durable under the server's fsync policy.
inline constexpr uint8_t kFlagConfirm = 0x01;

/// A decoded frame. `body` points into the decoder's input and lives as long as it does.
struct Frame {
  Opcode opcode;
  uint8_t flags = 0;
  uint32_t request_id = 0;
  std::string_view body;
};

/// Starts a frame in `out` (appending) and, on finish(), patches its body length. Encoders use
/// it so that a frame is written straight into a connection's output buffer with no copy.
class FrameBuilder {
 public:
  FrameBuilder(std::string& out, Opcode op, uint32_t request_id, uint8_t flags = 0);
  std::string& out() { return out_; }
  void finish();

 private:
  std::string& out_;
  size_t start_;
};

/// Printable one-line form for logs: "DISPATCH id=7 flags=0x00 body=1234B".
std::string describe(const Frame& frame);

}  // namespace symphony::protocol
