// The frame decoder (protocol/frame_decoder.h) on a byte stream, as a connection feeds it.
//
// Properties:
//  - each result is consistent: kNeedMore consumes nothing and, once the header is in, names the
//    whole frame size (checked against the limit); kMalformed only with a readable header and a
//    typed error; kComplete consumes header + body, within the input and the limit, with a
//    defined opcode and a body that views the input;
//  - a complete frame re-encoded by FrameBuilder is the same bytes (the header is canonical);
//  - streaming: the input fed in pieces split at arbitrary points (one byte at a time, and
//    pieces whose sizes come from the input's own bytes) gives the same frames, and ends in the
//    same state (malformed with the same error at the same offset, or the same bytes pending),
//    as the whole input at once;
//  - a decoder with a small limit sees the same stream up to the first frame over its limit,
//    which it refuses as FRAME_TOO_LARGE.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/frame.h"
#include "protocol/frame_decoder.h"
#include "protocol/wire.h"
#include "tests/fuzz/fuzz_check.h"

using namespace symphony::protocol;
using symphony::fuzz::inside;

namespace {

struct Seen {
  Opcode opcode;
  uint8_t flags;
  uint32_t request_id;
  std::string body;
  bool operator==(const Seen&) const = default;
};

/// What a connection would make of a stream.
struct Outcome {
  std::vector<Seen> frames;
  bool malformed = false;
  ErrorCode error = ErrorCode::kOk;
  size_t malformed_at = 0;  ///< stream offset of the bad frame
  size_t pending = 0;       ///< bytes received but not yet a frame
  bool operator==(const Outcome&) const = default;
};

void check_result(const FrameDecoder& d, std::string_view in, const FrameDecoder::Result& r) {
  switch (r.status) {
    case FrameDecoder::Status::kNeedMore:
      FUZZ_CHECK(r.consumed == 0);
      if (in.size() < kFrameHeaderBytes) {
        FUZZ_CHECK(r.needed == 0, "no size before the header is in");
      } else {
        FUZZ_CHECK(r.needed > in.size(), "kNeedMore names more than what is there");
        FUZZ_CHECK(r.needed <= kFrameHeaderBytes + d.max_body_bytes(), "needed within the limit");
      }
      break;
    case FrameDecoder::Status::kMalformed:
      FUZZ_CHECK(in.size() >= kFrameHeaderBytes, "only a readable header is malformed");
      FUZZ_CHECK(r.error == ErrorCode::kFrameTooLarge || r.error == ErrorCode::kUnknownOpcode ||
                 r.error == ErrorCode::kMalformedFrame);
      FUZZ_CHECK(r.what != nullptr && *r.what != '\0');
      FUZZ_CHECK(r.consumed == 0);
      break;
    case FrameDecoder::Status::kComplete: {
      FUZZ_CHECK(r.consumed == kFrameHeaderBytes + r.frame.body.size());
      FUZZ_CHECK(r.consumed <= in.size());
      FUZZ_CHECK(r.frame.body.size() <= d.max_body_bytes());
      FUZZ_CHECK(inside(r.frame.body, in) && r.frame.body.data() == in.data() + kFrameHeaderBytes);
      FUZZ_CHECK(to_opcode(static_cast<uint8_t>(r.frame.opcode)).has_value());
      FUZZ_CHECK(r.frame.request_id == r.request_id);
      FUZZ_CHECK(!opcode_name(r.frame.opcode).empty() && !describe(r.frame).empty());
      std::string again;
      FrameBuilder b(again, r.frame.opcode, r.frame.request_id, r.frame.flags);
      again.append(r.frame.body);
      b.finish();
      FUZZ_CHECK(again == in.substr(0, r.consumed), "the frame header is canonical");
      break;
    }
  }
}

/// Feeds `in` in pieces of the sizes `next_piece` returns, decoding whatever is complete after
/// each piece, with a buffer that keeps only the undecoded bytes (as a connection does).
template <typename NextPiece>
Outcome stream(const FrameDecoder& d, std::string_view in, NextPiece&& next_piece) {
  Outcome o;
  std::string buf;
  size_t fed = 0;
  size_t base = 0;  // stream offset of buf[0]
  while (fed < in.size() && !o.malformed) {
    const size_t n = std::min(next_piece(), in.size() - fed);
    buf.append(in.substr(fed, n));
    fed += n;
    size_t at = 0;
    for (;;) {
      const std::string_view rest = std::string_view(buf).substr(at);
      const FrameDecoder::Result r = d.decode(rest);
      check_result(d, rest, r);
      if (r.status == FrameDecoder::Status::kComplete) {
        o.frames.push_back({r.frame.opcode, r.frame.flags, r.frame.request_id,
                            std::string(r.frame.body)});
        at += r.consumed;
        continue;
      }
      if (r.status == FrameDecoder::Status::kMalformed) {
        o.malformed = true;
        o.error = r.error;
        o.malformed_at = base + at;
      }
      break;
    }
    buf.erase(0, at);
    base += at;
  }
  if (!o.malformed) o.pending = buf.size();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = symphony::fuzz::as_view(data, size);
  const FrameDecoder decoder;  // the default limit, 16 MiB

  const Outcome whole = stream(decoder, in, [&] { return in.size(); });
  const Outcome bytewise = stream(decoder, in, [] { return size_t{1}; });
  FUZZ_CHECK(bytewise == whole, "one byte at a time decodes as the whole input");
  size_t i = 0;
  const Outcome pieces = stream(decoder, in, [&] {
    // piece sizes 1..64 from the input's own bytes, so every input has its own split
    const size_t n = 1 + (i < in.size() ? static_cast<uint8_t>(in[in.size() - 1 - i]) % 64 : 7);
    ++i;
    return n;
  });
  FUZZ_CHECK(pieces == whole, "arbitrary pieces decode as the whole input");

  // a small limit refuses the first frame over it and agrees on everything before
  const FrameDecoder small(64);
  const Outcome limited = stream(small, in, [&] { return in.size(); });
  size_t offset = 0;
  for (size_t k = 0; k < limited.frames.size(); ++k) {
    FUZZ_CHECK(k < whole.frames.size() && limited.frames[k] == whole.frames[k]);
    offset += kFrameHeaderBytes + limited.frames[k].body.size();
  }
  if (limited.frames.size() < whole.frames.size()) {
    FUZZ_CHECK(limited.malformed && limited.error == ErrorCode::kFrameTooLarge &&
               limited.malformed_at == offset && whole.frames[limited.frames.size()].body.size() > 64);
  } else if (!limited.malformed) {
    FUZZ_CHECK(limited == whole);
  } else {
    // refused where the whole stream stopped too: malformed there, or a frame still arriving
    FUZZ_CHECK(limited.malformed_at == offset);
    FUZZ_CHECK(whole.malformed ? whole.malformed_at == offset : whole.pending > 0);
  }
  return 0;
}
