#include "protocol/settle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::decode_single_frame;
using test::inside;

constexpr uint32_t kMaxBatch = 10'000;

std::string body_of(const std::string& wire) {
  return wire.substr(kFrameHeaderBytes);
}

TEST(AckCodecTest, RoundTripWithoutConfirm) {
  const std::vector<uint64_t> ids = {1, 0x0102030405060708ull, 0xFFFFFFFFFFFFFFFFull};
  std::string wire;
  encode_ack(wire, 21, ids, false);
  const Frame frame = decode_single_frame(wire, Opcode::kAck, 21, 0);

  IdList out;
  const DecodeStatus st = decode_ack(frame.body, kMaxBatch, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.count, 3u);
  EXPECT_EQ(out.raw.size(), 24u);
  EXPECT_TRUE(inside(out.raw, frame.body));
  for (uint32_t i = 0; i < out.count; ++i) EXPECT_EQ(out[i], ids[i]);
}

TEST(AckCodecTest, ConfirmSetsFrameFlag) {
  const std::vector<uint64_t> ids = {42};
  std::string wire;
  encode_ack(wire, 22, ids, true);
  const Frame frame = decode_single_frame(wire, Opcode::kAck, 22, kFlagConfirm);
  IdList out;
  ASSERT_TRUE(decode_ack(frame.body, kMaxBatch, out).ok());
  ASSERT_EQ(out.count, 1u);
  EXPECT_EQ(out[0], 42u);
}

TEST(AckCodecTest, EmptyAckRoundTrip) {
  std::string wire;
  encode_ack(wire, 23, std::vector<uint64_t>{}, false);
  const Frame frame = decode_single_frame(wire, Opcode::kAck, 23);
  IdList out{5, "stale"};
  ASSERT_TRUE(decode_ack(frame.body, kMaxBatch, out).ok());
  EXPECT_EQ(out.count, 0u);
  EXPECT_TRUE(out.raw.empty());
}

TEST(AckCodecTest, BadInputRejected) {
  const std::vector<uint64_t> ids = {1, 2, 3};
  std::string wire;
  encode_ack(wire, 1, ids, false);
  const std::string body = body_of(wire);
  const test::BodyDecode decode = [](std::string_view b) {
    IdList out;
    return decode_ack(b, kMaxBatch, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);

  IdList out;
  EXPECT_EQ(decode_ack(body, 2, out).code, ErrorCode::kBatchTooLarge);
  EXPECT_TRUE(decode_ack(body, 3, out).ok());

  std::string huge;
  test::put_u32(huge, 0xFFFFFFFFu);
  huge.append(16, '\0');
  EXPECT_EQ(decode_ack(huge, 0xFFFFFFFFu, out).code, ErrorCode::kMalformedFrame);
}

TEST(AckResultCodecTest, RoundTrip) {
  AckResult in;
  in.acked = 98;
  in.failures = {{1001, ErrorCode::kUnknownMessage}, {1002, ErrorCode::kNotLeaseHolder}};
  std::string wire;
  encode_ack_result(wire, 24, in);
  const Frame frame = decode_single_frame(wire, Opcode::kAckResult, 24);

  AckResult out;
  out.failures = {{7, ErrorCode::kInternal}, {8, ErrorCode::kInternal}, {9, ErrorCode::kInternal}};
  const DecodeStatus st = decode_ack_result(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  EXPECT_EQ(out.acked, 98u);
  ASSERT_EQ(out.failures.size(), 2u);
  EXPECT_EQ(out.failures[0].message_id, 1001u);
  EXPECT_EQ(out.failures[0].code, ErrorCode::kUnknownMessage);
  EXPECT_EQ(out.failures[1].message_id, 1002u);
  EXPECT_EQ(out.failures[1].code, ErrorCode::kNotLeaseHolder);
}

TEST(AckResultCodecTest, BadInputRejected) {
  AckResult in;
  in.acked = 3;
  in.failures = {{5, ErrorCode::kUnknownMessage}};
  std::string wire;
  encode_ack_result(wire, 1, in);
  const test::BodyDecode decode = [](std::string_view b) {
    AckResult out;
    return decode_ack_result(b, out);
  };
  test::expect_every_truncation_fails(body_of(wire), decode);
  test::expect_trailing_bytes_fail(body_of(wire), decode);

  std::string huge;
  test::put_u32(huge, 0);
  test::put_u32(huge, 0xFFFFFFFFu);
  huge.append(20, '\0');
  AckResult out;
  EXPECT_FALSE(decode_ack_result(huge, out).ok());
  EXPECT_EQ(out.failures.capacity(), 0u);
}

TEST(NackCodecTest, RoundTripAllModes) {
  const std::vector<NackItem> in = {
      {11, NackMode::kFatal, "card declined", "PaymentError"},
      {12, NackMode::kRetry, "timeout talking to smtp", "TimeoutError"},
      {13, NackMode::kRelease, "", ""},
  };
  std::string wire;
  encode_nack(wire, 25, in);
  const Frame frame = decode_single_frame(wire, Opcode::kNack, 25);

  std::vector<NackItem> out;
  const DecodeStatus st = decode_nack(frame.body, kMaxBatch, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE("item " + std::to_string(i));
    EXPECT_EQ(out[i].message_id, in[i].message_id);
    EXPECT_EQ(out[i].mode, in[i].mode);
    EXPECT_EQ(out[i].error, in[i].error);
    EXPECT_EQ(out[i].error_class, in[i].error_class);
    EXPECT_TRUE(inside(out[i].error, frame.body));
    EXPECT_TRUE(inside(out[i].error_class, frame.body));
  }
}

TEST(NackCodecTest, BadInputRejected) {
  const std::vector<NackItem> in = {{11, NackMode::kRetry, "e", "C"},
                                    {12, NackMode::kFatal, "", "X"}};
  std::string wire;
  encode_nack(wire, 1, in);
  std::string body = body_of(wire);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<NackItem> out;
    return decode_nack(b, kMaxBatch, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);

  std::vector<NackItem> out;
  EXPECT_EQ(decode_nack(body, 1, out).code, ErrorCode::kBatchTooLarge);

  const size_t mode_at = 4 + 8;  // first item's mode byte
  body[mode_at] = static_cast<char>(NackMode::kRelease);
  ASSERT_TRUE(decode_nack(body, kMaxBatch, out).ok());
  EXPECT_EQ(out[0].mode, NackMode::kRelease);
  for (uint8_t bad : {uint8_t{3}, uint8_t{0xFF}}) {
    body[mode_at] = static_cast<char>(bad);
    const DecodeStatus st = decode_nack(body, kMaxBatch, out);
    EXPECT_FALSE(st.ok()) << "mode " << int{bad};
    EXPECT_EQ(st.code, ErrorCode::kMalformedFrame);
  }

  std::string huge;
  test::put_u32(huge, 0xFFFFFFFFu);
  huge.append(12, '\0');
  std::vector<NackItem> fresh;
  EXPECT_EQ(decode_nack(huge, 0xFFFFFFFFu, fresh).code, ErrorCode::kMalformedFrame);
  EXPECT_EQ(fresh.capacity(), 0u);
}

TEST(NackResultCodecTest, RoundTrip) {
  const std::vector<NackResultItem> in = {
      {11, ErrorCode::kOk, NackOutcome::kDeadLettered, 0},
      {12, ErrorCode::kOk, NackOutcome::kRetryScheduled, 1700000005000},
      {13, ErrorCode::kOk, NackOutcome::kReleased, -1},
      {14, ErrorCode::kUnknownMessage, NackOutcome::kRetryScheduled, 0},
  };
  std::string wire;
  encode_nack_result(wire, 26, in);
  const Frame frame = decode_single_frame(wire, Opcode::kNackResult, 26);

  std::vector<NackResultItem> out;
  const DecodeStatus st = decode_nack_result(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE("item " + std::to_string(i));
    EXPECT_EQ(out[i].message_id, in[i].message_id);
    EXPECT_EQ(out[i].code, in[i].code);
    EXPECT_EQ(out[i].outcome, in[i].outcome);
    EXPECT_EQ(out[i].available_at_ms, in[i].available_at_ms);
  }
}

TEST(NackResultCodecTest, BadInputRejected) {
  const std::vector<NackResultItem> in = {{11, ErrorCode::kOk, NackOutcome::kReleased, 5}};
  std::string wire;
  encode_nack_result(wire, 1, in);
  std::string body = body_of(wire);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<NackResultItem> out;
    return decode_nack_result(b, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);

  const size_t outcome_at = 4 + 8 + 2;
  body[outcome_at] = 3;
  std::vector<NackResultItem> out;
  EXPECT_FALSE(decode_nack_result(body, out).ok());

  std::string huge;
  test::put_u32(huge, 0xFFFFFFFFu);
  huge.append(18, '\0');
  std::vector<NackResultItem> fresh;
  EXPECT_FALSE(decode_nack_result(huge, fresh).ok());
  EXPECT_EQ(fresh.capacity(), 0u);
}

TEST(TouchCodecTest, RoundTrip) {
  const std::vector<uint64_t> ids = {7, 8, 9, 10};
  std::string wire;
  encode_touch(wire, 27, 45'000, ids);
  const Frame frame = decode_single_frame(wire, Opcode::kTouch, 27);

  uint32_t extend_ms = 0;
  IdList out;
  const DecodeStatus st = decode_touch(frame.body, kMaxBatch, extend_ms, out);
  ASSERT_TRUE(st.ok()) << st.what;
  EXPECT_EQ(extend_ms, 45'000u);
  ASSERT_EQ(out.count, 4u);
  EXPECT_TRUE(inside(out.raw, frame.body));
  for (uint32_t i = 0; i < out.count; ++i) EXPECT_EQ(out[i], ids[i]);
}

TEST(TouchCodecTest, BadInputRejected) {
  const std::vector<uint64_t> ids = {7, 8};
  std::string wire;
  encode_touch(wire, 1, 100, ids);
  const std::string body = body_of(wire);
  const test::BodyDecode decode = [](std::string_view b) {
    uint32_t extend_ms = 0;
    IdList out;
    return decode_touch(b, kMaxBatch, extend_ms, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);

  uint32_t extend_ms = 0;
  IdList out;
  EXPECT_EQ(decode_touch(body, 1, extend_ms, out).code, ErrorCode::kBatchTooLarge);

  std::string huge;
  test::put_u32(huge, 100);
  test::put_u32(huge, 0x20000000u);
  huge.append(8, '\0');
  EXPECT_EQ(decode_touch(huge, 0xFFFFFFFFu, extend_ms, out).code, ErrorCode::kMalformedFrame);
}

TEST(TouchResultCodecTest, RoundTrip) {
  const std::vector<TouchResultItem> in = {
      {7, ErrorCode::kOk, 1700000045000},
      {8, ErrorCode::kNotLeaseHolder, 0},
  };
  std::string wire;
  encode_touch_result(wire, 28, in);
  const Frame frame = decode_single_frame(wire, Opcode::kTouchResult, 28);

  std::vector<TouchResultItem> out;
  const DecodeStatus st = decode_touch_result(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), 2u);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].message_id, in[i].message_id);
    EXPECT_EQ(out[i].code, in[i].code);
    EXPECT_EQ(out[i].lease_deadline_ms, in[i].lease_deadline_ms);
  }
}

TEST(TouchResultCodecTest, BadInputRejected) {
  const std::vector<TouchResultItem> in = {{7, ErrorCode::kOk, 1}, {8, ErrorCode::kOk, 2}};
  std::string wire;
  encode_touch_result(wire, 1, in);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<TouchResultItem> out;
    return decode_touch_result(b, out);
  };
  test::expect_every_truncation_fails(body_of(wire), decode);
  test::expect_trailing_bytes_fail(body_of(wire), decode);

  std::string huge;
  test::put_u32(huge, 0xFFFFFFFFu);
  huge.append(17, '\0');
  std::vector<TouchResultItem> fresh;
  EXPECT_FALSE(decode_touch_result(huge, fresh).ok());
  EXPECT_EQ(fresh.capacity(), 0u);
}

}  // namespace
}  // namespace symphony::protocol
