#include "protocol/frame_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/control.h"
#include "protocol/dispatch.h"
#include "protocol/frame.h"
#include "protocol/handshake.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::ExactBuffer;
using test::frame_header;
using Status = FrameDecoder::Status;

std::string sample_dispatch_frame() {
  const std::string headers = encode_header_pairs({{"trace", "abc"}, {"tenant", "t1"}});
  std::vector<DispatchMessage> batch(2);
  batch[0].type = "order.created";
  batch[0].payload = R"({"id":1})";
  batch[0].headers = HeadersView{2, headers};
  batch[1].type = "order.paid";
  batch[1].payload = "{}";
  batch[1].queue = "payments";
  std::string wire;
  encode_dispatch(wire, 77, batch);
  return wire;
}

TEST(FrameDecoderTest, CompleteFrameReportsHeaderFields) {
  std::string wire;
  encode_ping(wire, 7, 0x1122334455667788ull);
  ASSERT_EQ(wire.size(), kFrameHeaderBytes + 8);

  const FrameDecoder decoder;
  const FrameDecoder::Result r = decoder.decode(wire);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, wire.size());
  EXPECT_EQ(r.frame.opcode, Opcode::kPing);
  EXPECT_EQ(r.frame.request_id, 7u);
  EXPECT_EQ(r.frame.flags, 0);
  EXPECT_EQ(r.error, ErrorCode::kOk);
  // the body is a view into the input, not a copy
  EXPECT_EQ(r.frame.body.data(), wire.data() + kFrameHeaderBytes);
  EXPECT_EQ(r.frame.body.size(), 8u);
}

TEST(FrameDecoderTest, EmptyBodyFrameIsComplete) {
  const std::string wire = frame_header(0, static_cast<uint8_t>(Opcode::kPong), 0, 0, 3);
  const FrameDecoder::Result r = FrameDecoder().decode(wire);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, kFrameHeaderBytes);
  EXPECT_TRUE(r.frame.body.empty());
}

TEST(FrameDecoderTest, EveryTruncationNeedsMore) {
  const std::string wire = sample_dispatch_frame();
  const FrameDecoder decoder;
  for (size_t n = 0; n < wire.size(); ++n) {
    const ExactBuffer buf(std::string_view(wire).substr(0, n));
    const FrameDecoder::Result r = decoder.decode(buf.view());
    EXPECT_EQ(r.status, Status::kNeedMore) << "prefix of " << n << " bytes";
    EXPECT_EQ(r.consumed, 0u) << "prefix of " << n << " bytes";
  }
  EXPECT_EQ(decoder.decode(wire).status, Status::kComplete);
}

TEST(FrameDecoderTest, BackToBackFramesDecodeOneAtATime) {
  std::string wire;
  encode_ping(wire, 1, 42);
  const size_t first_size = wire.size();
  encode_hello(wire, 2, Hello{kProtocolVersion, "client", "token"});
  const size_t second_size = wire.size() - first_size;

  const FrameDecoder decoder;
  std::string_view rest = wire;
  const FrameDecoder::Result a = decoder.decode(rest);
  ASSERT_EQ(a.status, Status::kComplete);
  EXPECT_EQ(a.consumed, first_size);
  EXPECT_EQ(a.frame.opcode, Opcode::kPing);
  EXPECT_EQ(a.frame.request_id, 1u);
  EXPECT_EQ(a.frame.body.size(), 8u);

  rest.remove_prefix(a.consumed);
  const FrameDecoder::Result b = decoder.decode(rest);
  ASSERT_EQ(b.status, Status::kComplete);
  EXPECT_EQ(b.consumed, second_size);
  EXPECT_EQ(b.frame.opcode, Opcode::kHello);
  EXPECT_EQ(b.frame.request_id, 2u);
  Hello hello;
  ASSERT_TRUE(decode_hello(b.frame.body, hello).ok());
  EXPECT_EQ(hello.client_name, "client");

  rest.remove_prefix(b.consumed);
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(decoder.decode(rest).status, Status::kNeedMore);
}

TEST(FrameDecoderTest, CompleteFrameFollowedByPartialOneUsesOnlyTheFirst) {
  std::string wire;
  encode_ping(wire, 1, 42);
  const size_t first_size = wire.size();
  encode_ping(wire, 2, 43);
  wire.resize(wire.size() - 3);  // the second frame is cut short

  const FrameDecoder decoder;
  const FrameDecoder::Result a = decoder.decode(wire);
  ASSERT_EQ(a.status, Status::kComplete);
  EXPECT_EQ(a.consumed, first_size);
  EXPECT_EQ(decoder.decode(std::string_view(wire).substr(a.consumed)).status, Status::kNeedMore);
}

TEST(FrameDecoderTest, OversizedBodyRejectedFromHeaderAlone) {
  const FrameDecoder decoder(1024);
  EXPECT_EQ(decoder.max_body_bytes(), 1024u);
  // only the 12 header bytes: the declared length must not be waited for
  const std::string header = frame_header(1025, static_cast<uint8_t>(Opcode::kDispatch), 0, 0, 42);
  const FrameDecoder::Result r = decoder.decode(header);
  EXPECT_EQ(r.status, Status::kMalformed);
  EXPECT_EQ(r.error, ErrorCode::kFrameTooLarge);
  EXPECT_EQ(r.request_id, 42u);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_STRNE(r.what, "");
}

TEST(FrameDecoderTest, MaximalDeclaredLengthRejectedByDefaultDecoder) {
  const std::string header =
      frame_header(0xFFFFFFFFu, static_cast<uint8_t>(Opcode::kPing), 0, 0, 9);
  const FrameDecoder::Result r = FrameDecoder().decode(header);
  EXPECT_EQ(r.status, Status::kMalformed);
  EXPECT_EQ(r.error, ErrorCode::kFrameTooLarge);
  EXPECT_EQ(r.request_id, 9u);

  const std::string just_over =
      frame_header(kDefaultMaxFrameBytes + 1, static_cast<uint8_t>(Opcode::kPing), 0, 0, 9);
  EXPECT_EQ(FrameDecoder().decode(just_over).error, ErrorCode::kFrameTooLarge);
}

TEST(FrameDecoderTest, BodyAtTheLimitIsAccepted) {
  const FrameDecoder decoder(16);
  std::string wire = frame_header(16, static_cast<uint8_t>(Opcode::kPong), 0, 0, 5);
  EXPECT_EQ(decoder.decode(wire).status, Status::kNeedMore);
  wire.append(16, 'x');
  const FrameDecoder::Result r = decoder.decode(wire);
  EXPECT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.consumed, kFrameHeaderBytes + 16);
}

TEST(FrameDecoderTest, LimitIsCappedAtHardMaximum) {
  EXPECT_EQ(FrameDecoder().max_body_bytes(), kDefaultMaxFrameBytes);
  EXPECT_EQ(FrameDecoder(0xFFFFFFFFu).max_body_bytes(), kHardMaxFrameBytes);
  const std::string header =
      frame_header(kHardMaxFrameBytes + 1, static_cast<uint8_t>(Opcode::kPing), 0, 0, 1);
  EXPECT_EQ(FrameDecoder(0xFFFFFFFFu).decode(header).error, ErrorCode::kFrameTooLarge);
}

TEST(FrameDecoderTest, UnknownOpcodeRejected) {
  const FrameDecoder decoder;
  int unknown = 0;
  for (int raw = 0; raw < 256; ++raw) {
    const std::string header = frame_header(0, static_cast<uint8_t>(raw), 0, 0, 1000 + raw);
    const FrameDecoder::Result r = decoder.decode(header);
    if (to_opcode(static_cast<uint8_t>(raw))) {
      EXPECT_EQ(r.status, Status::kComplete) << "opcode " << raw;
      continue;
    }
    ++unknown;
    EXPECT_EQ(r.status, Status::kMalformed) << "opcode " << raw;
    EXPECT_EQ(r.error, ErrorCode::kUnknownOpcode) << "opcode " << raw;
    EXPECT_EQ(r.request_id, static_cast<uint32_t>(1000 + raw));
  }
  EXPECT_EQ(unknown, 256 - 49);  // 49 opcodes are defined (tests/protocol/codes_test.cc lists them)
}

TEST(FrameDecoderTest, UnknownOpcodeRejectedBeforeBodyArrives) {
  const std::string header = frame_header(500, 0x55, 0, 0, 12);
  const FrameDecoder::Result r = FrameDecoder().decode(header);
  EXPECT_EQ(r.status, Status::kMalformed);
  EXPECT_EQ(r.error, ErrorCode::kUnknownOpcode);
  EXPECT_EQ(r.request_id, 12u);
}

TEST(FrameDecoderTest, NonzeroReservedRejected) {
  for (uint16_t reserved : {uint16_t{0x0001}, uint16_t{0x0100}, uint16_t{0xFFFF}}) {
    std::string wire = frame_header(8, static_cast<uint8_t>(Opcode::kPing), 0, reserved, 31);
    wire.append(8, '\0');
    const FrameDecoder::Result r = FrameDecoder().decode(wire);
    EXPECT_EQ(r.status, Status::kMalformed) << "reserved " << reserved;
    EXPECT_EQ(r.error, ErrorCode::kMalformedFrame) << "reserved " << reserved;
    EXPECT_EQ(r.request_id, 31u);
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(FrameDecoderTest, FlagsAreReported) {
  std::string wire = frame_header(0, static_cast<uint8_t>(Opcode::kAck), kFlagConfirm, 0, 4);
  const FrameDecoder::Result r = FrameDecoder().decode(wire);
  ASSERT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.frame.flags, kFlagConfirm);
}

TEST(FrameDecoderTest, ShortInputHasNoRequestId) {
  const std::string header = frame_header(0, 0x55, 0, 0, 77);
  const FrameDecoder::Result r = FrameDecoder().decode(std::string_view(header).substr(0, 11));
  EXPECT_EQ(r.status, Status::kNeedMore);
  EXPECT_EQ(r.request_id, 0u);
}

TEST(FrameDecoderTest, BeforeHelloAcceptsASmallHello) {
  std::string wire;
  encode_hello(wire, 4, {kProtocolVersion, "client", "token"});
  const FrameDecoder decoder = FrameDecoder::before_hello();
  EXPECT_TRUE(decoder.hello_only());
  EXPECT_EQ(decoder.max_body_bytes(), kMaxHelloBodyBytes);
  const FrameDecoder::Result r = decoder.decode(wire);
  ASSERT_EQ(r.status, Status::kComplete);
  EXPECT_EQ(r.frame.opcode, Opcode::kHello);
  // a HELLO of exactly the limit is accepted once it is all there
  std::string at_limit =
      frame_header(kMaxHelloBodyBytes, static_cast<uint8_t>(Opcode::kHello), 0, 0, 5);
  EXPECT_EQ(decoder.decode(at_limit).status, Status::kNeedMore);
  EXPECT_EQ(decoder.decode(at_limit).needed, kFrameHeaderBytes + kMaxHelloBodyBytes);
  at_limit.append(kMaxHelloBodyBytes, 'x');
  EXPECT_EQ(decoder.decode(at_limit).status, Status::kComplete);
}

TEST(FrameDecoderTest, BeforeHelloRefusesALargeHelloFromTheHeaderAlone) {
  // 16 MiB is within the ordinary limit, but not before authentication
  const std::string header = frame_header(16u << 20, static_cast<uint8_t>(Opcode::kHello), 0, 0, 8);
  EXPECT_EQ(FrameDecoder().decode(header).status, Status::kNeedMore);
  const FrameDecoder::Result r = FrameDecoder::before_hello().decode(header);
  EXPECT_EQ(r.status, Status::kMalformed);
  EXPECT_EQ(r.error, ErrorCode::kFrameTooLarge);
  EXPECT_EQ(r.request_id, 8u);
  EXPECT_EQ(r.needed, 0u);
  const std::string one_over =
      frame_header(kMaxHelloBodyBytes + 1, static_cast<uint8_t>(Opcode::kHello), 0, 0, 8);
  EXPECT_EQ(FrameDecoder::before_hello().decode(one_over).error, ErrorCode::kFrameTooLarge);
}

TEST(FrameDecoderTest, BeforeHelloRefusesEveryOtherOpcodeFromTheHeaderAlone) {
  const FrameDecoder decoder = FrameDecoder::before_hello();
  for (int raw = 0; raw < 256; ++raw) {
    if (raw == static_cast<int>(Opcode::kHello)) continue;
    // a small declared body that has not arrived: the header alone decides
    const std::string header = frame_header(100, static_cast<uint8_t>(raw), 0, 0, 60);
    const FrameDecoder::Result r = decoder.decode(header);
    EXPECT_EQ(r.status, Status::kMalformed) << "opcode " << raw;
    EXPECT_EQ(r.error, ErrorCode::kHelloRequired) << "opcode " << raw;
    EXPECT_EQ(r.request_id, 60u);
  }
}

TEST(FrameBuilderTest, AppendsAfterExistingBytesAndPatchesLength) {
  std::string out = "abc";
  FrameBuilder f(out, Opcode::kPong, 0xDEADBEEF, 0x01);
  out.append("hello");
  f.finish();
  ASSERT_EQ(out.size(), 3 + kFrameHeaderBytes + 5);
  EXPECT_EQ(out.substr(0, 3), "abc");
  const Frame frame =
      test::decode_single_frame(std::string_view(out).substr(3), Opcode::kPong, 0xDEADBEEF, 0x01);
  EXPECT_EQ(frame.body, "hello");
}

TEST(FrameBuilderTest, DescribeFormatsOneLine) {
  const std::string body(1234, 'x');
  const Frame frame{Opcode::kDispatch, 0, 7, body};
  EXPECT_EQ(describe(frame), "DISPATCH id=7 flags=0x00 body=1234B");
  const Frame ack{Opcode::kAck, kFlagConfirm, 12, {}};
  EXPECT_EQ(describe(ack), "ACK id=12 flags=0x01 body=0B");
}

}  // namespace
}  // namespace symphony::protocol
