#include "protocol/handshake.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::decode_single_frame;
using test::inside;

TEST(HandshakeTest, HelloRoundTrip) {
  std::string wire;
  encode_hello(wire, 1, Hello{7, "worker-3", "s3cr3t-token"});
  const Frame frame = decode_single_frame(wire, Opcode::kHello, 1);

  Hello out;
  const DecodeStatus st = decode_hello(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  EXPECT_EQ(out.version, 7);
  EXPECT_EQ(out.client_name, "worker-3");
  EXPECT_EQ(out.auth_token, "s3cr3t-token");
  EXPECT_TRUE(inside(out.client_name, frame.body));
  EXPECT_TRUE(inside(out.auth_token, frame.body));
}

TEST(HandshakeTest, HelloWithEmptyStringsRoundTrip) {
  std::string wire;
  encode_hello(wire, 0xFFFFFFFFu, Hello{});
  const Frame frame = decode_single_frame(wire, Opcode::kHello, 0xFFFFFFFFu);
  EXPECT_EQ(frame.body.size(), 6u);

  Hello out{99, "stale", "stale"};
  ASSERT_TRUE(decode_hello(frame.body, out).ok());
  EXPECT_EQ(out.version, kProtocolVersion);
  EXPECT_TRUE(out.client_name.empty());
  EXPECT_TRUE(out.auth_token.empty());
}

TEST(HandshakeTest, HelloRejectsTruncationAndTrailingBytes) {
  std::string wire;
  encode_hello(wire, 1, Hello{1, "client", "token"});
  const std::string body = wire.substr(kFrameHeaderBytes);
  const test::BodyDecode decode = [](std::string_view b) {
    Hello out;
    return decode_hello(b, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
}

TEST(HandshakeTest, HelloRejectsNameLongerThanBody) {
  std::string body;
  test::put_u16(body, 1);
  test::put_u16(body, 500);  // claims 500 bytes of name
  body.append("short");
  Hello out;
  EXPECT_FALSE(decode_hello(body, out).ok());
}

TEST(HandshakeTest, WelcomeRoundTrip) {
  Welcome in;
  in.version = 3;
  in.server_name = "symphony-01";
  in.session_id = 0xFEDCBA9876543210ull;
  in.limits.max_frame_bytes = 1u << 22;
  in.limits.max_batch = 500;
  in.limits.max_payload_bytes = 123456;
  in.limits.max_metadata_bytes = 4321;
  in.limits.max_headers = 17;
  in.limits.max_type_bytes = 99;
  std::string wire;
  encode_welcome(wire, 1, in);
  const Frame frame = decode_single_frame(wire, Opcode::kWelcome, 1);

  Welcome out;
  const DecodeStatus st = decode_welcome(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  EXPECT_EQ(out.version, 3);
  EXPECT_EQ(out.server_name, "symphony-01");
  EXPECT_TRUE(inside(out.server_name, frame.body));
  EXPECT_EQ(out.session_id, 0xFEDCBA9876543210ull);
  EXPECT_EQ(out.limits.max_frame_bytes, 1u << 22);
  EXPECT_EQ(out.limits.max_batch, 500u);
  EXPECT_EQ(out.limits.max_payload_bytes, 123456u);
  EXPECT_EQ(out.limits.max_metadata_bytes, 4321u);
  EXPECT_EQ(out.limits.max_headers, 17);
  EXPECT_EQ(out.limits.max_type_bytes, 99);
}

TEST(HandshakeTest, WelcomeDefaultsRoundTrip) {
  std::string wire;
  encode_welcome(wire, 2, Welcome{});
  const Frame frame = decode_single_frame(wire, Opcode::kWelcome, 2);
  Welcome out;
  out.limits.max_batch = 1;
  ASSERT_TRUE(decode_welcome(frame.body, out).ok());
  const ServerLimits defaults;
  EXPECT_EQ(out.limits.max_frame_bytes, defaults.max_frame_bytes);
  EXPECT_EQ(out.limits.max_batch, defaults.max_batch);
  EXPECT_EQ(out.limits.max_payload_bytes, defaults.max_payload_bytes);
  EXPECT_EQ(out.limits.max_metadata_bytes, defaults.max_metadata_bytes);
  EXPECT_EQ(out.limits.max_headers, defaults.max_headers);
  EXPECT_EQ(out.limits.max_type_bytes, defaults.max_type_bytes);
}

TEST(HandshakeTest, WelcomeRejectsTruncationAndTrailingBytes) {
  std::string wire;
  encode_welcome(wire, 1, Welcome{1, "srv", 5, ServerLimits{}});
  const std::string body = wire.substr(kFrameHeaderBytes);
  const test::BodyDecode decode = [](std::string_view b) {
    Welcome out;
    return decode_welcome(b, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
}

}  // namespace
}  // namespace symphony::protocol
