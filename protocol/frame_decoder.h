#pragma once
// The frame decoder: pure, socket-free, allocation-free. Feed it the bytes received so far; it
// says whether a whole frame is there (and how many bytes it used), more bytes are needed, or the
// stream is broken. Every check on the header (length over the limit, unknown opcode, reserved
// bits) happens before the caller would buffer or allocate the declared length.
#include <cstdint>
#include <string_view>

#include "protocol/error_code.h"
#include "protocol/frame.h"

namespace symphony::protocol {

class FrameDecoder {
 public:
  enum class Status { kComplete, kNeedMore, kMalformed };

  struct Result {
    Status status = Status::kNeedMore;
    /// Bytes of input the frame used (kComplete only).
    size_t consumed = 0;
    /// Whole size of the frame being received, once its header is in (kNeedMore), else 0. The
    /// length was already checked against the limit, so a caller may grow its buffer to it.
    size_t needed = 0;
    Frame frame{};
    /// Why the stream is malformed; a static string.
    ErrorCode error = ErrorCode::kOk;
    const char* what = "";
    /// Request id of the bad frame when the header was readable (to address the ERROR), else 0.
    uint32_t request_id = 0;
  };

  /// `max_body_bytes` is this side's limit; it is capped at kHardMaxFrameBytes.
  explicit FrameDecoder(uint32_t max_body_bytes = kDefaultMaxFrameBytes);

  /// The decoder of a server connection before its client has authenticated: it accepts only a
  /// HELLO of at most kMaxHelloBodyBytes. Any other opcode is HELLO_REQUIRED and a longer HELLO
  /// is FRAME_TOO_LARGE, both decided from the 12-byte header alone, so an unauthenticated peer
  /// can never make the server buffer more than one small frame.
  static FrameDecoder before_hello();

  Result decode(std::string_view input) const;
  uint32_t max_body_bytes() const { return max_body_bytes_; }
  /// True for a before_hello() decoder.
  bool hello_only() const { return hello_only_; }

 private:
  uint32_t max_body_bytes_;
  bool hello_only_ = false;
};

}  // namespace symphony::protocol
