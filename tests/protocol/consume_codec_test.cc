#include "protocol/consume.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "protocol/control.h"
#include "protocol/headers.h"
#include "protocol/message_body.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::decode_single_frame;
using test::inside;
using Pair = std::pair<std::string, std::string>;

std::string body_of(const std::string& wire) {
  return wire.substr(kFrameHeaderBytes);
}

TEST(SubscribeCodecTest, RoundTrip) {
  Subscribe in;
  in.queues = {"orders", "payments", "emails.high"};
  in.prefetch = 25;
  in.lease_ms = 60'000;
  std::string wire;
  encode_subscribe(wire, 11, in);
  const Frame frame = decode_single_frame(wire, Opcode::kSubscribe, 11);

  Subscribe out;
  out.queues = {"stale"};
  const DecodeStatus st = decode_subscribe(frame.body, 64, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.queues.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out.queues[i], in.queues[i]);
    EXPECT_TRUE(inside(out.queues[i], frame.body));
  }
  EXPECT_EQ(out.prefetch, 25u);
  EXPECT_EQ(out.lease_ms, 60'000u);
}

TEST(SubscribeCodecTest, NoQueuesAndDefaultsRoundTrip) {
  std::string wire;
  encode_subscribe(wire, 12, Subscribe{});
  const Frame frame = decode_single_frame(wire, Opcode::kSubscribe, 12);
  Subscribe out{{"x"}, 1, 2};
  ASSERT_TRUE(decode_subscribe(frame.body, 64, out).ok());
  EXPECT_TRUE(out.queues.empty());
  EXPECT_EQ(out.prefetch, 0u);
  EXPECT_EQ(out.lease_ms, 0u);
}

TEST(SubscribeCodecTest, QueueCountOverLimitRejected) {
  Subscribe in;
  in.queues = {"a", "b", "c"};
  std::string wire;
  encode_subscribe(wire, 1, in);
  const std::string body = body_of(wire);
  Subscribe out;
  EXPECT_EQ(decode_subscribe(body, 2, out).code, ErrorCode::kMalformedFrame);
  EXPECT_TRUE(decode_subscribe(body, 3, out).ok());
}

TEST(SubscribeCodecTest, ImpossibleQueueCountRejectedWithoutAllocating) {
  std::string body;
  test::put_u16(body, 0xFFFF);
  body.append(8, '\0');
  Subscribe out;
  EXPECT_FALSE(decode_subscribe(body, 0xFFFF, out).ok());
  EXPECT_EQ(out.queues.capacity(), 0u);
}

TEST(SubscribeCodecTest, RejectsTruncationAndTrailingBytes) {
  Subscribe in;
  in.queues = {"orders", "payments"};
  in.prefetch = 1;
  in.lease_ms = 2;
  std::string wire;
  encode_subscribe(wire, 1, in);
  const test::BodyDecode decode = [](std::string_view b) {
    Subscribe out;
    return decode_subscribe(b, 64, out);
  };
  test::expect_every_truncation_fails(body_of(wire), decode);
  test::expect_trailing_bytes_fail(body_of(wire), decode);
}

TEST(SubscribedCodecTest, RoundTripAndBadInput) {
  std::string wire;
  encode_subscribed(wire, 13, Subscribed{10, 30'000});
  const Frame frame = decode_single_frame(wire, Opcode::kSubscribed, 13);
  Subscribed out;
  ASSERT_TRUE(decode_subscribed(frame.body, out).ok());
  EXPECT_EQ(out.prefetch, 10u);
  EXPECT_EQ(out.lease_ms, 30'000u);

  const test::BodyDecode decode = [](std::string_view b) {
    Subscribed s;
    return decode_subscribed(b, s);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);
}

TEST(CreditCodecTest, RoundTripAndBadInput) {
  std::string wire;
  encode_credit(wire, 14, 0);  // 0 pauses delivery
  Frame frame = decode_single_frame(wire, Opcode::kCredit, 14);
  uint32_t prefetch = 99;
  ASSERT_TRUE(decode_credit(frame.body, prefetch).ok());
  EXPECT_EQ(prefetch, 0u);

  wire.clear();
  encode_credit(wire, 15, 0xFFFFFFFFu);
  frame = decode_single_frame(wire, Opcode::kCredit, 15);
  ASSERT_TRUE(decode_credit(frame.body, prefetch).ok());
  EXPECT_EQ(prefetch, 0xFFFFFFFFu);

  const test::BodyDecode decode = [](std::string_view b) {
    uint32_t p = 0;
    return decode_credit(b, p);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);
}

TEST(CreditOkCodecTest, RoundTripAndBadInput) {
  std::string wire;
  encode_credit_ok(wire, 16, CreditOk{50, 7});
  const Frame frame = decode_single_frame(wire, Opcode::kCreditOk, 16);
  CreditOk out;
  ASSERT_TRUE(decode_credit_ok(frame.body, out).ok());
  EXPECT_EQ(out.prefetch, 50u);
  EXPECT_EQ(out.in_flight, 7u);

  const test::BodyDecode decode = [](std::string_view b) {
    CreditOk c;
    return decode_credit_ok(b, c);
  };
  test::expect_every_truncation_fails(frame.body, decode);
  test::expect_trailing_bytes_fail(frame.body, decode);
}

// Two stored messages and the DELIVER frame written for them.
struct SampleDeliver {
  std::string stored_headers = encode_header_pairs({{"trace-id", "t-9"}, {"lang", "en"}});
  MessageBodyView first{"order.created", HeadersView{2, stored_headers}, R"({"src":"web"})",
                        R"({"order":42})"};
  MessageBodyView second{"ping", HeadersView{}, "", "{}"};
  DeliveryHead first_head{123456789, 1, 7, "orders", 1700000000123, 1700000030123};
  DeliveryHead second_head{0xFFFFFFFFFFFFFFFFull, 4, 1, "misc", 0, -5};
  std::string wire;

  SampleDeliver() {
    DeliverWriter w(wire);
    w.add(first_head, first);
    w.add(second_head, second);
    EXPECT_EQ(w.count(), 2u);
    w.finish();
  }
};

void expect_head(const DeliveryHead& got, const DeliveryHead& want) {
  EXPECT_EQ(got.message_id, want.message_id);
  EXPECT_EQ(got.attempt, want.attempt);
  EXPECT_EQ(got.priority, want.priority);
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.created_at_ms, want.created_at_ms);
  EXPECT_EQ(got.lease_deadline_ms, want.lease_deadline_ms);
}

TEST(DeliverCodecTest, WriterRoundTripWithAutomaticHeadersFirst) {
  const SampleDeliver sample;
  const Frame frame = decode_single_frame(sample.wire, Opcode::kDeliver, 0);

  std::vector<DeliveryView> out;
  const DecodeStatus st = decode_deliver(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), 2u);

  expect_head(out[0].head, sample.first_head);
  EXPECT_EQ(out[0].message.type, "order.created");
  EXPECT_EQ(out[0].message.metadata, R"({"src":"web"})");
  EXPECT_EQ(out[0].message.payload, R"({"order":42})");
  EXPECT_EQ(out[0].message.headers.count, 2 + kAutomaticHeaderCount);
  const HeaderList h0 = to_header_list(out[0].message.headers);
  const HeaderList want0 = {Pair{"message-type", "order.created"}, Pair{"message-id", "123456789"},
                            Pair{"dispatched-at", "2023-11-14T22:13:20.123Z"},
                            Pair{"trace-id", "t-9"}, Pair{"lang", "en"}};
  EXPECT_EQ(h0, want0);

  expect_head(out[1].head, sample.second_head);
  EXPECT_EQ(out[1].message.type, "ping");
  EXPECT_EQ(out[1].message.metadata, "");
  EXPECT_EQ(out[1].message.payload, "{}");
  const HeaderList h1 = to_header_list(out[1].message.headers);
  const HeaderList want1 = {Pair{"message-type", "ping"},
                            Pair{"message-id", "18446744073709551615"},
                            Pair{"dispatched-at", "1970-01-01T00:00:00.000Z"}};
  EXPECT_EQ(h1, want1);

  for (const DeliveryView& d : out) {
    for (std::string_view v : {d.head.queue, d.message.type, d.message.headers.raw,
                               d.message.metadata, d.message.payload}) {
      EXPECT_TRUE(inside(v, frame.body));
    }
  }
}

TEST(DeliverCodecTest, EmptyWriterProducesEmptyDeliver) {
  std::string wire;
  DeliverWriter w(wire);
  EXPECT_EQ(w.count(), 0u);
  w.finish();
  const Frame frame = decode_single_frame(wire, Opcode::kDeliver, 0);
  std::vector<DeliveryView> out(2);
  ASSERT_TRUE(decode_deliver(frame.body, out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(DeliverCodecTest, WriterAppendsAfterExistingFrames) {
  std::string wire;
  encode_ping(wire, 5, 1);
  const size_t ping_size = wire.size();
  DeliverWriter w(wire);
  w.add(DeliveryHead{9, 1, 5, "q", 1000, 2000}, MessageBodyView{"t", {}, "", "{}"});
  w.finish();

  const FrameDecoder decoder;
  const FrameDecoder::Result a = decoder.decode(wire);
  ASSERT_EQ(a.status, FrameDecoder::Status::kComplete);
  EXPECT_EQ(a.consumed, ping_size);
  EXPECT_EQ(a.frame.opcode, Opcode::kPing);
  const Frame frame =
      decode_single_frame(std::string_view(wire).substr(ping_size), Opcode::kDeliver, 0);
  std::vector<DeliveryView> out;
  ASSERT_TRUE(decode_deliver(frame.body, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].head.message_id, 9u);
  EXPECT_EQ(to_header_list(out[0].message.headers)[2].second, "1970-01-01T00:00:01.000Z");
}

TEST(DeliverCodecTest, RejectsTruncationAndTrailingBytes) {
  const SampleDeliver sample;
  const std::string body = body_of(sample.wire);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<DeliveryView> out;
    return decode_deliver(b, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
}

TEST(DeliverCodecTest, ImpossibleCountRejectedWithoutAllocating) {
  std::string body;
  test::put_u32(body, 0x10000000u);
  body.append(80, '\0');
  std::vector<DeliveryView> out;
  EXPECT_FALSE(decode_deliver(body, out).ok());
  EXPECT_EQ(out.capacity(), 0u);
}

TEST(DeliverCodecTest, HeaderCountLargerThanBytesRejected) {
  const SampleDeliver sample;
  std::string body = body_of(sample.wire);
  // first delivery's header count: count, id, attempt, priority, queue, created, deadline, type
  const size_t at =
      4 + 8 + 4 + 1 + 2 + sample.first_head.queue.size() + 8 + 8 + 2 + sample.first.type.size();
  ASSERT_EQ(static_cast<uint8_t>(body[at]), 2 + kAutomaticHeaderCount);
  std::vector<DeliveryView> out;
  body[at] = static_cast<char>(0xFF);
  body[at + 1] = static_cast<char>(0x7F);
  EXPECT_FALSE(decode_deliver(body, out).ok());
}

}  // namespace
}  // namespace symphony::protocol
