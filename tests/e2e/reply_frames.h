#pragma once
// What the broker sent on a raw socket, as frames: for tests that speak the protocol by hand
// (tests/e2e/raw_socket.h) and look for the ERROR frame a refusal must carry.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/control.h"
#include "protocol/error_code.h"
#include "protocol/frame_decoder.h"
#include "protocol/opcode.h"

namespace symphony::testing {

struct ReplyFrame {
  protocol::Opcode opcode;
  uint32_t request_id;
  std::string body;
};

/// Splits what the broker sent into frames (a partial last frame is left out).
inline std::vector<ReplyFrame> frames_of(const std::string& bytes) {
  std::vector<ReplyFrame> out;
  protocol::FrameDecoder dec;
  size_t pos = 0;
  for (;;) {
    auto r = dec.decode(std::string_view(bytes).substr(pos));
    if (r.status != protocol::FrameDecoder::Status::kComplete) break;
    out.push_back({r.frame.opcode, r.frame.request_id, std::string(r.frame.body)});
    pos += r.consumed;
  }
  return out;
}

/// The code of the ERROR frame among `frames` (fails the test if there is none, or if it does not
/// say what was wrong).
inline protocol::ErrorCode error_code_in(const std::vector<ReplyFrame>& frames,
                                         uint32_t* rid = nullptr) {
  for (const auto& f : frames) {
    if (f.opcode == protocol::Opcode::kError) {
      protocol::ErrorFrame e;
      EXPECT_TRUE(protocol::decode_error(f.body, e).ok());
      EXPECT_FALSE(e.message.empty()) << "an ERROR should say what was wrong";
      if (rid) *rid = f.request_id;
      return e.code;
    }
  }
  ADD_FAILURE() << "no ERROR frame among " << frames.size() << " frames";
  return protocol::ErrorCode::kOk;
}

}  // namespace symphony::testing
