#include "protocol/dispatch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/headers.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::decode_single_frame;
using test::inside;

constexpr uint32_t kMaxBatch = 10'000;

// Owns the header bytes the batch's views point at.
struct SampleBatch {
  std::string headers_raw = encode_header_pairs({{"trace-id", "t-123"}, {"tenant", "acme"}});
  std::string binary_payload = std::string("{\"b\":\"\0\x01\xff\"}", 11);
  std::vector<DispatchMessage> messages;

  SampleBatch() {
    DispatchMessage minimal;
    minimal.type = "user.created";
    minimal.payload = "{}";

    DispatchMessage full;
    full.type = "order.paid";
    full.payload = R"({"order":42,"total":"9.99"})";
    full.metadata = R"({"source":"checkout"})";
    full.headers = HeadersView{2, headers_raw};
    full.queue = "payments";
    full.priority = kMaxPriority;
    full.when = When::kDelayMs;
    full.when_value = 1500;
    full.idempotency_key = "order-42-paid";

    DispatchMessage scheduled;
    scheduled.type = "report.generate";
    scheduled.payload = binary_payload;
    scheduled.priority = kMinPriority;
    scheduled.when = When::kAtUnixMs;
    scheduled.when_value = 1700000000123;
    scheduled.idempotency_key = "k";

    messages = {minimal, full, scheduled};
  }
};

void expect_same_message(const DispatchMessage& got, const DispatchMessage& want) {
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.payload, want.payload);
  EXPECT_EQ(got.metadata, want.metadata);
  EXPECT_EQ(got.headers.count, want.headers.count);
  EXPECT_EQ(got.headers.raw, want.headers.raw);
  EXPECT_EQ(got.queue, want.queue);
  EXPECT_EQ(got.priority, want.priority);
  EXPECT_EQ(got.when, want.when);
  EXPECT_EQ(got.when_value, want.when_value);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
}

std::string dispatch_body(const std::vector<DispatchMessage>& batch) {
  std::string wire;
  encode_dispatch(wire, 1, batch);
  return wire.substr(kFrameHeaderBytes);
}

// Offset of the `when` byte of a single-message DISPATCH body.
size_t when_offset(const DispatchMessage& m) {
  return 4 + 2 + m.type.size() + 4 + m.payload.size() + 4 + m.metadata.size() + 2 +
         m.headers.raw.size() + 2 + m.queue.size() + 1;
}

TEST(DispatchCodecTest, BatchRoundTrip) {
  const SampleBatch sample;
  std::string wire;
  encode_dispatch(wire, 314, sample.messages);
  const Frame frame = decode_single_frame(wire, Opcode::kDispatch, 314);

  std::vector<DispatchMessage> out;
  const DecodeStatus st = decode_dispatch(frame.body, kMaxBatch, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), sample.messages.size());
  for (size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    expect_same_message(out[i], sample.messages[i]);
    for (std::string_view v : {out[i].type, out[i].payload, out[i].metadata, out[i].headers.raw,
                               out[i].queue, out[i].idempotency_key}) {
      EXPECT_TRUE(inside(v, frame.body));
    }
  }
  const HeaderList headers = to_header_list(out[1].headers);
  ASSERT_EQ(headers.size(), 2u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"trace-id", "t-123"}));
  EXPECT_EQ(headers[1], (std::pair<std::string, std::string>{"tenant", "acme"}));
  EXPECT_EQ(out[2].payload.size(), 11u);  // embedded NUL survives
}

TEST(DispatchCodecTest, EmptyBatchRoundTrip) {
  std::string wire;
  encode_dispatch(wire, 2, std::vector<DispatchMessage>{});
  const Frame frame = decode_single_frame(wire, Opcode::kDispatch, 2);
  EXPECT_EQ(frame.body.size(), 4u);
  std::vector<DispatchMessage> out(3);
  ASSERT_TRUE(decode_dispatch(frame.body, kMaxBatch, out).ok());
  EXPECT_TRUE(out.empty());  // cleared first
}

TEST(DispatchCodecTest, DecodeReplacesPreviousContents) {
  const SampleBatch sample;
  const std::string big = dispatch_body(sample.messages);
  const std::string small = dispatch_body({sample.messages[1]});
  std::vector<DispatchMessage> out;
  ASSERT_TRUE(decode_dispatch(big, kMaxBatch, out).ok());
  ASSERT_EQ(out.size(), 3u);
  ASSERT_TRUE(decode_dispatch(small, kMaxBatch, out).ok());
  ASSERT_EQ(out.size(), 1u);
  expect_same_message(out[0], sample.messages[1]);
}

TEST(DispatchCodecTest, RejectsEveryTruncationAndTrailingBytes) {
  const SampleBatch sample;
  const std::string body = dispatch_body(sample.messages);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<DispatchMessage> out;
    return decode_dispatch(b, kMaxBatch, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
}

TEST(DispatchCodecTest, ImpossibleCountRejectedWithoutAllocating) {
  std::string body;
  test::put_u32(body, 0xFFFFFFFFu);
  body.append(6, '\0');
  ASSERT_EQ(body.size(), 10u);
  std::vector<DispatchMessage> out;
  const DecodeStatus st = decode_dispatch(body, 0xFFFFFFFFu, out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code, ErrorCode::kMalformedFrame);
  EXPECT_EQ(out.capacity(), 0u);  // nothing was reserved for the claimed count
}

TEST(DispatchCodecTest, CountOverMaxBatchIsBatchTooLarge) {
  const SampleBatch sample;
  const std::string body = dispatch_body(sample.messages);
  std::vector<DispatchMessage> out;
  const DecodeStatus st = decode_dispatch(body, 2, out);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code, ErrorCode::kBatchTooLarge);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(decode_dispatch(body, 3, out).ok());

  // the limit is checked before the count is compared with the body
  std::string huge;
  test::put_u32(huge, 10'001);
  EXPECT_EQ(decode_dispatch(huge, kMaxBatch, out).code, ErrorCode::kBatchTooLarge);
}

TEST(DispatchCodecTest, UnknownWhenKindRejected) {
  const SampleBatch sample;
  const DispatchMessage& m = sample.messages[0];
  std::string body = dispatch_body({m});
  const size_t at = when_offset(m);
  ASSERT_EQ(static_cast<uint8_t>(body[at]), static_cast<uint8_t>(When::kNow));

  std::vector<DispatchMessage> out;
  body[at] = static_cast<char>(When::kAtUnixMs);
  ASSERT_TRUE(decode_dispatch(body, kMaxBatch, out).ok());  // the offset really is `when`
  EXPECT_EQ(out[0].when, When::kAtUnixMs);
  for (uint8_t bad : {uint8_t{3}, uint8_t{0x80}, uint8_t{0xFF}}) {
    body[at] = static_cast<char>(bad);
    const DecodeStatus st = decode_dispatch(body, kMaxBatch, out);
    EXPECT_FALSE(st.ok()) << "when kind " << int{bad};
    EXPECT_EQ(st.code, ErrorCode::kMalformedFrame);
  }
}

TEST(DispatchCodecTest, HeaderCountLargerThanBytesRejected) {
  const std::string one_pair = encode_header_pairs({{"k", "v"}});
  DispatchMessage m;
  m.type = "t";
  m.payload = "{}";
  for (uint16_t count : {uint16_t{2}, uint16_t{50}, uint16_t{0xFFFF}}) {
    m.headers = HeadersView{count, one_pair};
    std::vector<DispatchMessage> out;
    EXPECT_FALSE(decode_dispatch(dispatch_body({m}), kMaxBatch, out).ok()) << "count " << count;
  }
  m.headers = HeadersView{1, one_pair};
  std::vector<DispatchMessage> out;
  EXPECT_TRUE(decode_dispatch(dispatch_body({m}), kMaxBatch, out).ok());
}

TEST(HeadersTest, ReadHeadersChecksCountAgainstBytes) {
  std::string bytes;
  test::put_u16(bytes, 2);
  test::put_str16(bytes, "a");
  test::put_str16(bytes, "1");
  test::put_str16(bytes, "bb");
  test::put_str16(bytes, "22");
  {
    ByteReader r(bytes);
    HeadersView h;
    ASSERT_TRUE(read_headers(r, h));
    EXPECT_TRUE(r.at_end());
    EXPECT_EQ(h.count, 2);
    EXPECT_EQ(h.raw, std::string_view(bytes).substr(2));
    const HeaderList list = to_header_list(h);
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[1].first, "bb");
    EXPECT_EQ(list[1].second, "22");
  }
  bytes[0] = 3;  // one pair more than present
  {
    ByteReader r(bytes);
    HeadersView h;
    EXPECT_FALSE(read_headers(r, h));
    EXPECT_FALSE(r.ok());
  }
  bytes[0] = static_cast<char>(0xFF);
  bytes[1] = static_cast<char>(0xFF);
  {
    ByteReader r(bytes);
    HeadersView h;
    EXPECT_FALSE(read_headers(r, h));
  }
}

TEST(DispatchResultCodecTest, RoundTrip) {
  std::vector<DispatchResult> in(3);
  in[0].index = 0;
  in[0].message_id = 1001;
  in[0].queue = "orders";
  in[0].status = EnvelopeStatus::kPending;
  in[1].index = 0;  // fan-out: a second envelope of message 0
  in[1].message_id = 1002;
  in[1].queue = "audit";
  in[1].duplicate = true;
  in[1].status = EnvelopeStatus::kCompleted;
  in[2].index = 1;
  in[2].code = ErrorCode::kPriorityOutOfRange;
  in[2].status = EnvelopeStatus::kFailed;
  in[2].error = "priority 11 is outside 1..10";
  std::string wire;
  encode_dispatch_result(wire, 314, in);
  const Frame frame = decode_single_frame(wire, Opcode::kDispatchResult, 314);

  std::vector<DispatchResult> out;
  const DecodeStatus st = decode_dispatch_result(frame.body, out);
  ASSERT_TRUE(st.ok()) << st.what;
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < out.size(); ++i) {
    SCOPED_TRACE("result " + std::to_string(i));
    EXPECT_EQ(out[i].index, in[i].index);
    EXPECT_EQ(out[i].code, in[i].code);
    EXPECT_EQ(out[i].message_id, in[i].message_id);
    EXPECT_EQ(out[i].queue, in[i].queue);
    EXPECT_TRUE(inside(out[i].queue, frame.body));
    EXPECT_EQ(out[i].duplicate, in[i].duplicate);
    EXPECT_EQ(out[i].status, in[i].status);
    EXPECT_EQ(out[i].error, in[i].error);
  }
}

TEST(DispatchResultCodecTest, RejectsTruncationTrailingAndUnknownStatus) {
  std::vector<DispatchResult> in(2);
  in[0].queue = "q";
  in[0].message_id = 5;
  in[1].index = 1;
  in[1].code = ErrorCode::kEmptyType;
  in[1].error = "type is empty";
  std::string wire;
  encode_dispatch_result(wire, 1, in);
  std::string body = wire.substr(kFrameHeaderBytes);
  const test::BodyDecode decode = [](std::string_view b) {
    std::vector<DispatchResult> out;
    return decode_dispatch_result(b, out);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);

  // status byte of the first result: count, index, code, id, queue, duplicate
  const size_t status_at = 4 + 4 + 2 + 8 + 2 + 1 + 1;
  std::vector<DispatchResult> out;
  body[status_at] = static_cast<char>(EnvelopeStatus::kFailed);
  ASSERT_TRUE(decode_dispatch_result(body, out).ok());
  EXPECT_EQ(out[0].status, EnvelopeStatus::kFailed);
  body[status_at] = 4;
  EXPECT_FALSE(decode_dispatch_result(body, out).ok());
}

TEST(DispatchResultCodecTest, ImpossibleCountRejectedWithoutAllocating) {
  std::string body;
  test::put_u32(body, 0xFFFFFFFFu);
  body.append(30, '\0');
  std::vector<DispatchResult> out;
  EXPECT_FALSE(decode_dispatch_result(body, out).ok());
  EXPECT_EQ(out.capacity(), 0u);
}

TEST(DispatchResultCodecTest, StatusNames) {
  EXPECT_EQ(status_name(EnvelopeStatus::kPending), "pending");
  EXPECT_EQ(status_name(EnvelopeStatus::kProcessing), "processing");
  EXPECT_EQ(status_name(EnvelopeStatus::kCompleted), "completed");
  EXPECT_EQ(status_name(EnvelopeStatus::kFailed), "failed");
}

}  // namespace
}  // namespace symphony::protocol
