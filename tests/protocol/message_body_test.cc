#include "protocol/message_body.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "protocol/headers.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::inside;

TEST(MessageBodyTest, RoundTrip) {
  const std::string headers = encode_header_pairs({{"trace-id", "abc"}, {"x", ""}});
  const MessageBodyView in{"invoice.sent", HeadersView{2, headers}, R"({"m":1})",
                           R"({"invoice":"INV-1"})"};
  std::string blob = "prefix";  // appends, does not overwrite
  append_message_body(blob, in);
  ASSERT_EQ(blob.size(), 6 + message_body_size(in));
  EXPECT_EQ(blob.substr(0, 6), "prefix");

  const std::string_view stored = std::string_view(blob).substr(6);
  MessageBodyView out;
  ASSERT_TRUE(parse_message_body(stored, out));
  EXPECT_EQ(out.type, in.type);
  EXPECT_EQ(out.headers.count, 2);
  EXPECT_EQ(out.headers.raw, headers);
  EXPECT_EQ(out.metadata, in.metadata);
  EXPECT_EQ(out.payload, in.payload);
  for (std::string_view v : {out.type, out.headers.raw, out.metadata, out.payload}) {
    EXPECT_TRUE(inside(v, stored));
  }
  const HeaderList list = to_header_list(out.headers);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].first, "trace-id");
  EXPECT_EQ(list[1].second, "");
}

TEST(MessageBodyTest, EmptyFieldsRoundTrip) {
  const MessageBodyView in{};
  std::string blob;
  append_message_body(blob, in);
  EXPECT_EQ(blob.size(), message_body_size(in));
  EXPECT_EQ(message_body_size(in), 2u + 2 + 4 + 4 + 4);
  MessageBodyView out{"x", HeadersView{1, "y"}, "z", "w"};
  ASSERT_TRUE(parse_message_body(blob, out));
  EXPECT_TRUE(out.type.empty());
  EXPECT_EQ(out.headers.count, 0);
  EXPECT_TRUE(out.headers.raw.empty());
  EXPECT_TRUE(out.metadata.empty());
  EXPECT_TRUE(out.payload.empty());
}

TEST(MessageBodyTest, SizeMatchesAppendedBytes) {
  const std::string headers = encode_header_pairs({{"a", "1"}, {"bb", "22"}, {"ccc", "333"}});
  const std::string payload(5000, 'p');
  const MessageBodyView in{"t", HeadersView{3, headers}, "", payload};
  std::string blob;
  append_message_body(blob, in);
  EXPECT_EQ(blob.size(), message_body_size(in));
}

TEST(MessageBodyTest, ParseRejectsTruncationAndTrailingBytes) {
  const std::string headers = encode_header_pairs({{"k", "v"}});
  std::string blob;
  append_message_body(blob, MessageBodyView{"type", HeadersView{1, headers}, "{}", "{\"a\":1}"});
  for (size_t n = 0; n < blob.size(); ++n) {
    const test::ExactBuffer buf(std::string_view(blob).substr(0, n));
    MessageBodyView out;
    EXPECT_FALSE(parse_message_body(buf.view(), out)) << "prefix of " << n << " bytes";
  }
  MessageBodyView out;
  EXPECT_FALSE(parse_message_body(blob + "!", out));
}

TEST(MessageBodyTest, ParseRejectsHeaderCountMismatch) {
  const std::string one_pair = encode_header_pairs({{"k", "v"}});
  MessageBodyView out;
  std::string blob;
  append_message_body(blob, MessageBodyView{"t", HeadersView{1, one_pair}, "", "{}"});
  ASSERT_TRUE(parse_message_body(blob, out));

  for (uint16_t wrong : {uint16_t{0}, uint16_t{2}, uint16_t{0xFFFF}}) {
    blob.clear();
    append_message_body(blob, MessageBodyView{"t", HeadersView{wrong, one_pair}, "", "{}"});
    EXPECT_FALSE(parse_message_body(blob, out)) << "count " << wrong;
  }
  // one pair plus a stray byte inside header_bytes
  blob.clear();
  append_message_body(blob, MessageBodyView{"t", HeadersView{1, one_pair + "?"}, "", "{}"});
  EXPECT_FALSE(parse_message_body(blob, out));
}

TEST(MessageBodyTest, AutomaticHeaderNames) {
  EXPECT_TRUE(is_automatic_header("message-type"));
  EXPECT_TRUE(is_automatic_header("message-id"));
  EXPECT_TRUE(is_automatic_header("dispatched-at"));
  EXPECT_FALSE(is_automatic_header("Message-Type"));
  EXPECT_FALSE(is_automatic_header("trace-id"));
  EXPECT_FALSE(is_automatic_header(""));
}

TEST(FormatIso8601Test, KnownInstants) {
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_iso8601_ms(999), "1970-01-01T00:00:00.999Z");
  EXPECT_EQ(format_iso8601_ms(951782400000), "2000-02-29T00:00:00.000Z");  // leap day
  EXPECT_EQ(format_iso8601_ms(86'399'999), "1970-01-01T23:59:59.999Z");
  // outside years 0000..9999 the fixed-width fast path hands over to fmt
  EXPECT_EQ(format_iso8601_ms(253'402'300'800'000), "10000-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(-62'167'219'200'001), "-001-12-31T23:59:59.999Z");
  char buf[kIso8601MsMaxBytes];
  EXPECT_EQ(std::string_view(buf, format_iso8601_ms_to(1700000000123, buf)),
            "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");  // floors, not truncates
}

TEST(FormatIso8601Test, EveryInt64Formats) {
  // found by tests/fuzz/time_text_fuzzer: date::year_month_day counts days in an int, which
  // overflowed (undefined behaviour, then a wrong date) for times past the year ~5.8 million; a
  // schedule's "at" or a log record can carry any int64
  EXPECT_EQ(format_iso8601_ms(INT64_MAX), "292278994-08-17T07:12:55.807Z");
  EXPECT_EQ(format_iso8601_ms(INT64_MIN), "-292275055-05-16T16:47:04.192Z");
  // the first day whose count overflowed date's int arithmetic
  EXPECT_EQ(format_iso8601_ms(int64_t{185'480'425'152'000'000}), "5879610-09-10T00:00:00.000Z");
  char buf[kIso8601MsMaxBytes];
  EXPECT_LE(format_iso8601_ms_to(INT64_MIN, buf), kIso8601MsMaxBytes);
}

}  // namespace
}  // namespace symphony::protocol
