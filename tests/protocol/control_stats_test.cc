#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "protocol/control.h"
#include "protocol/stats.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::decode_single_frame;
using test::inside;

std::string body_of(const std::string& wire) {
  return wire.substr(kFrameHeaderBytes);
}

TEST(PingPongCodecTest, PingRoundTripAndBadInput) {
  std::string wire;
  encode_ping(wire, 31, 0xCAFEBABEDEADBEEFull);
  const Frame frame = decode_single_frame(wire, Opcode::kPing, 31);
  uint64_t nonce = 0;
  ASSERT_TRUE(decode_ping(frame.body, nonce).ok());
  EXPECT_EQ(nonce, 0xCAFEBABEDEADBEEFull);

  const test::BodyDecode decode = [](std::string_view b) {
    uint64_t n = 0;
    return decode_ping(b, n);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);
}

TEST(PingPongCodecTest, PongRoundTripAndBadInput) {
  std::string wire;
  encode_pong(wire, 31, Pong{77, 1700000000123});
  const Frame frame = decode_single_frame(wire, Opcode::kPong, 31);
  Pong out;
  ASSERT_TRUE(decode_pong(frame.body, out).ok());
  EXPECT_EQ(out.nonce, 77u);
  EXPECT_EQ(out.server_time_ms, 1700000000123);

  wire.clear();
  encode_pong(wire, 32, Pong{0, -42});  // signed time survives
  ASSERT_TRUE(decode_pong(decode_single_frame(wire, Opcode::kPong, 32).body, out).ok());
  EXPECT_EQ(out.server_time_ms, -42);

  const test::BodyDecode decode = [](std::string_view b) {
    Pong p;
    return decode_pong(b, p);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);
}

TEST(ErrorCodecTest, ErrorRoundTrip) {
  std::string wire;
  encode_error(wire, 33, ErrorCode::kQueueNotFound, "queue 'nope' does not exist");
  const Frame frame = decode_single_frame(wire, Opcode::kError, 33);
  ErrorFrame out;
  ASSERT_TRUE(decode_error(frame.body, out).ok());
  EXPECT_EQ(out.code, ErrorCode::kQueueNotFound);
  EXPECT_EQ(out.message, "queue 'nope' does not exist");
  EXPECT_TRUE(inside(out.message, frame.body));
}

TEST(ErrorCodecTest, ConnectionErrorUsesRequestIdZero) {
  std::string wire;
  encode_error(wire, 0, ErrorCode::kMalformedFrame, "");
  const Frame frame = decode_single_frame(wire, Opcode::kError, 0);
  ErrorFrame out{ErrorCode::kInternal, "stale"};
  ASSERT_TRUE(decode_error(frame.body, out).ok());
  EXPECT_EQ(out.code, ErrorCode::kMalformedFrame);
  EXPECT_TRUE(out.message.empty());
}

TEST(ErrorCodecTest, OverlongMessageIsCutToFit) {
  const std::string text(70'000, 'e');
  std::string wire;
  encode_error(wire, 34, ErrorCode::kInternal, text);
  const Frame frame = decode_single_frame(wire, Opcode::kError, 34);
  ErrorFrame out;
  ASSERT_TRUE(decode_error(frame.body, out).ok());
  EXPECT_EQ(out.message.size(), 0xFFFFu);
  EXPECT_EQ(out.message, std::string_view(text).substr(0, 0xFFFF));
}

TEST(ErrorCodecTest, ErrorRejectsBadInput) {
  std::string wire;
  encode_error(wire, 1, ErrorCode::kInvalidHeader, "bad header");
  const test::BodyDecode decode = [](std::string_view b) {
    ErrorFrame e;
    return decode_error(b, e);
  };
  test::expect_every_truncation_fails(body_of(wire), decode);
  test::expect_trailing_bytes_fail(body_of(wire), decode);
}

TEST(GoawayCodecTest, RoundTripAndBadInput) {
  std::string wire;
  encode_goaway(wire, ErrorCode::kShuttingDown, "draining for deploy");
  const Frame frame = decode_single_frame(wire, Opcode::kGoaway, 0);
  ErrorFrame out;
  ASSERT_TRUE(decode_goaway(frame.body, out).ok());
  EXPECT_EQ(out.code, ErrorCode::kShuttingDown);
  EXPECT_EQ(out.message, "draining for deploy");
  EXPECT_TRUE(inside(out.message, frame.body));

  const test::BodyDecode decode = [](std::string_view b) {
    ErrorFrame e;
    return decode_goaway(b, e);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);
}

TEST(QueueStatsCodecTest, RequestRoundTripAndBadInput) {
  std::string wire;
  encode_queue_stats(wire, 35, "orders");
  Frame frame = decode_single_frame(wire, Opcode::kQueueStats, 35);
  std::string_view queue;
  ASSERT_TRUE(decode_queue_stats(frame.body, queue).ok());
  EXPECT_EQ(queue, "orders");
  EXPECT_TRUE(inside(queue, frame.body));

  const test::BodyDecode decode = [](std::string_view b) {
    std::string_view q;
    return decode_queue_stats(b, q);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);

  std::string all;
  encode_queue_stats(all, 36, "");  // empty: every queue
  frame = decode_single_frame(all, Opcode::kQueueStats, 36);
  queue = "stale";
  ASSERT_TRUE(decode_queue_stats(frame.body, queue).ok());
  EXPECT_TRUE(queue.empty());
}

QueueStats make_stats(std::string name, uint64_t base) {
  QueueStats s;
  s.name = std::move(name);
  // distinct values catch swapped fields
  s.ready = base + 1;
  s.delayed = base + 2;
  s.in_flight = base + 3;
  s.dead = base + 4;
  s.consumers = base + 5;
  s.dispatched_total = base + 6;
  s.delivered_total = base + 7;
  s.acked_total = base + 8;
  s.retried_total = base + 9;
  s.dead_lettered_total = base + 10;
  s.expired_total = base + 11;
  return s;
}

void expect_same_stats(const QueueStats& got, const QueueStats& want) {
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.ready, want.ready);
  EXPECT_EQ(got.delayed, want.delayed);
  EXPECT_EQ(got.in_flight, want.in_flight);
  EXPECT_EQ(got.dead, want.dead);
  EXPECT_EQ(got.consumers, want.consumers);
  EXPECT_EQ(got.dispatched_total, want.dispatched_total);
  EXPECT_EQ(got.delivered_total, want.delivered_total);
  EXPECT_EQ(got.acked_total, want.acked_total);
  EXPECT_EQ(got.retried_total, want.retried_total);
  EXPECT_EQ(got.dead_lettered_total, want.dead_lettered_total);
  EXPECT_EQ(got.expired_total, want.expired_total);
}

TEST(QueueStatsCodecTest, ResultRoundTrip) {
  const std::vector<QueueStats> in = {make_stats("orders", 100),
                                      make_stats("payments", 0xFFFFFFFFFFFFFF00ull)};
  std::string wire;
  encode_queue_stats_result(wire, 37, in);
  const Frame frame = decode_single_frame(wire, Opcode::kQueueStatsResult, 37);

  std::vector<QueueStats> out;
  const DecodeStatus st = decode_queue_stats_result(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), 2u);
  expect_same_stats(out[0], in[0]);
  expect_same_stats(out[1], in[1]);
}

TEST(QueueStatsCodecTest, ResultRejectsBadInput) {
  const std::vector<QueueStats> in = {make_stats("a", 1), make_stats("", 50)};
  std::string wire;
  encode_queue_stats_result(wire, 1, in);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<QueueStats> out;
    return decode_queue_stats_result(b, out);
  };
  test::expect_every_truncation_fails(body_of(wire), decode);
  test::expect_trailing_bytes_fail(body_of(wire), decode);

  std::string huge;
  test::put_u32(huge, 0xFFFFFFFFu);
  huge.append(100, '\0');
  std::vector<QueueStats> fresh;
  EXPECT_FALSE(decode_queue_stats_result(huge, fresh).ok());
  EXPECT_EQ(fresh.capacity(), 0u);
}

}  // namespace
}  // namespace symphony::protocol
