#pragma once
// The properties every frame body codec of protocol/ must have, checked by the per-family
// harnesses (handshake_fuzzer.cc, dispatch_fuzzer.cc, ...).
//
// A harness input is one frame as it arrives on the wire (12-byte header, then the body); the
// opcode picks the decoder and the request id doubles as the decoder's batch limit, so the
// mutator explores both the bodies and the limits. Committed seeds are real frames written by
// the encoders (make_corpus.cc).
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/decode_status.h"
#include "protocol/frame.h"
#include "protocol/frame_decoder.h"
#include "tests/fuzz/fuzz_check.h"

namespace symphony::fuzz {

/// The frame the input holds, if it holds exactly one complete frame.
inline bool input_frame(std::string_view input, protocol::Frame& frame) {
  const protocol::FrameDecoder decoder(protocol::kHardMaxFrameBytes);
  const protocol::FrameDecoder::Result r = decoder.decode(input);
  if (r.status != protocol::FrameDecoder::Status::kComplete || r.consumed != input.size()) {
    return false;
  }
  frame = r.frame;
  return true;
}

/// How a decoder may refuse a body.
enum class Refusals {
  kMalformedOnly,   ///< MALFORMED_FRAME only
  kBatchLimit,      ///< also BATCH_TOO_LARGE (the decoder takes a max_batch)
  kInvalidArgument  ///< also INVALID_ARGUMENT (a well-formed body with a bad value)
};

/// Whether re-encoding a decoded body gives back the very bytes.
enum class Canonical {
  kYes,  ///< encode(decode(body)) == body
  kNo    ///< a field is normalized (a bool byte other than 0/1): same size, and a fixpoint
};

/// Checks one decoder on `body`:
///  - a refusal carries an allowed code and an explanation;
///  - an accepted body re-encodes (through `encode`, a whole frame of opcode `op`) to the same
///    bytes (Canonical::kYes) or to bytes of the same size that decode and re-encode to
///    themselves (Canonical::kNo);
///  - the accepted body cut short by one byte, or followed by one more, is refused as
///    MALFORMED_FRAME (every layout is self-delimiting and exact).
/// `decode(b)` decodes `b` into the harness's value and checks that its views lie inside `b`;
/// `encode(out)` appends that value as a frame. Returns whether `body` was accepted.
template <typename Decode, typename Encode>
bool check_codec(std::string_view body, protocol::Opcode op, Refusals refusals,
                 Canonical canonical, Decode&& decode, Encode&& encode) {
  using protocol::ErrorCode;
  const protocol::DecodeStatus st = decode(body);
  if (!st.ok()) {
    FUZZ_CHECK(st.what != nullptr && *st.what != '\0', "a refusal says why");
    FUZZ_CHECK(st.code == ErrorCode::kMalformedFrame ||
                   (refusals == Refusals::kBatchLimit && st.code == ErrorCode::kBatchTooLarge) ||
                   (refusals == Refusals::kInvalidArgument &&
                    st.code == ErrorCode::kInvalidArgument),
               "a refusal has an allowed code");
    return false;
  }
  std::string wire1;
  encode(wire1);
  protocol::Frame f1;
  FUZZ_CHECK(input_frame(wire1, f1), "the encoder writes one whole frame");
  FUZZ_CHECK(f1.opcode == op, "the encoder writes the opcode of the decoder");
  if (canonical == Canonical::kYes) {
    FUZZ_CHECK(f1.body == body, "encode(decode(body)) == body");
  } else {
    FUZZ_CHECK(f1.body.size() == body.size(), "encode(decode(body)) has the body's size");
  }
  // decode(encode(decode(body))) is the same value: it encodes to the same bytes again
  const std::string body1(f1.body);
  FUZZ_CHECK(decode(body1).ok(), "a re-encoded body decodes");
  std::string wire2;
  encode(wire2);
  FUZZ_CHECK(wire2 == wire1, "decode(encode(v)) == v");

  if (!body.empty()) {
    const protocol::DecodeStatus cut = decode(body.substr(0, body.size() - 1));
    FUZZ_CHECK(cut.code == ErrorCode::kMalformedFrame, "a body cut short is malformed");
  }
  std::string longer(body);
  longer.push_back('\0');
  const protocol::DecodeStatus more = decode(longer);
  FUZZ_CHECK(more.code == ErrorCode::kMalformedFrame, "a body with a trailing byte is malformed");
  return true;
}

/// For decoders with no encoder (DELIVER, the empty requests): refusals and the exact layout.
template <typename Decode>
bool check_decoder(std::string_view body, Decode&& decode) {
  const protocol::DecodeStatus st = decode(body);
  if (!st.ok()) {
    FUZZ_CHECK(st.what != nullptr && *st.what != '\0', "a refusal says why");
    FUZZ_CHECK(st.code == protocol::ErrorCode::kMalformedFrame, "a refusal is MALFORMED_FRAME");
    return false;
  }
  if (!body.empty()) {
    FUZZ_CHECK(!decode(body.substr(0, body.size() - 1)).ok(), "a body cut short is refused");
  }
  std::string longer(body);
  longer.push_back('\0');
  FUZZ_CHECK(!decode(longer).ok(), "a body with a trailing byte is refused");
  return true;
}

}  // namespace symphony::fuzz
