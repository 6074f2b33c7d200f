// OVERVIEW, HEALTH, METRICS, BACKUP and their results: round trips, and every kind of bad body
// (truncated, trailing bytes, lengths larger than the body, random garbage) is a typed error.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "protocol/observe.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::decode_single_frame;
using test::ExactBuffer;
using test::inside;

const std::vector<Opcode> kResultOps = {Opcode::kOverviewResult, Opcode::kHealthResult,
                                        Opcode::kMetricsResult, Opcode::kBackupResult};

TEST(ObserveCodecTest, RepliesAreTheirRequestsWithTheHighBit) {
  EXPECT_EQ(reply_of(Opcode::kOverview), Opcode::kOverviewResult);
  EXPECT_EQ(reply_of(Opcode::kHealth), Opcode::kHealthResult);
  EXPECT_EQ(reply_of(Opcode::kMetrics), Opcode::kMetricsResult);
  EXPECT_EQ(reply_of(Opcode::kBackup), Opcode::kBackupResult);
  for (Opcode op : {Opcode::kOverview, Opcode::kHealth, Opcode::kMetrics, Opcode::kBackup}) {
    EXPECT_TRUE(is_request(op)) << opcode_name(op);
    EXPECT_EQ(to_opcode(static_cast<uint8_t>(op)), op);
  }
  EXPECT_EQ(opcode_name(Opcode::kOverview), "OVERVIEW");
  EXPECT_EQ(opcode_name(Opcode::kBackupResult), "BACKUP_RESULT");
}

TEST(ObserveCodecTest, BackupRunningIsAStateError) {
  EXPECT_EQ(error_name(ErrorCode::kBackupRunning), "BACKUP_RUNNING");
  EXPECT_EQ(static_cast<uint16_t>(ErrorCode::kBackupRunning), 405);
  EXPECT_EQ(error_category(ErrorCode::kBackupRunning), ErrorCategory::kState);
  EXPECT_TRUE(is_known_error(405));
}

TEST(ObserveCodecTest, OverviewRoundTrip) {
  for (uint8_t minutes : {uint8_t{0}, uint8_t{1}, uint8_t{5}, uint8_t{60}}) {
    std::string wire;
    encode_overview(wire, 9, minutes);
    const Frame frame = decode_single_frame(wire, Opcode::kOverview, 9);
    ASSERT_EQ(frame.body.size(), 1u);
    uint8_t out = 0xEE;
    ASSERT_TRUE(decode_overview(frame.body, out).ok()) << int{minutes};
    EXPECT_EQ(out, minutes);
  }
}

TEST(ObserveCodecTest, OverviewBadBodies) {
  std::string wire;
  encode_overview(wire, 1, 5);
  const std::string body = wire.substr(kFrameHeaderBytes);
  const test::BodyDecode decode = [](std::string_view b) {
    uint8_t m = 0;
    return decode_overview(b, m);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
  // a well-formed frame with an out-of-range window is an argument error, which keeps the
  // connection open, not a broken stream
  for (int minutes : {61, 100, 255}) {
    std::string b;
    test::put_u8(b, static_cast<uint8_t>(minutes));
    uint8_t out = 0;
    const DecodeStatus st = decode_overview(ExactBuffer(b).view(), out);
    EXPECT_EQ(st.code, ErrorCode::kInvalidArgument) << minutes;
    EXPECT_NE(std::string(st.what).find("1..60"), std::string::npos) << st.what;
  }
}

TEST(ObserveCodecTest, HealthAndMetricsHaveEmptyBodies) {
  std::string wire;
  encode_health(wire, 3);
  EXPECT_TRUE(decode_single_frame(wire, Opcode::kHealth, 3).body.empty());
  EXPECT_TRUE(decode_health({}).ok());
  wire.clear();
  encode_metrics(wire, 4);
  EXPECT_TRUE(decode_single_frame(wire, Opcode::kMetrics, 4).body.empty());
  EXPECT_TRUE(decode_metrics({}).ok());
  for (std::string_view extra : {std::string_view("\0", 1), std::string_view("{}")}) {
    EXPECT_EQ(decode_health(ExactBuffer(extra).view()).code, ErrorCode::kMalformedFrame);
    EXPECT_EQ(decode_metrics(ExactBuffer(extra).view()).code, ErrorCode::kMalformedFrame);
  }
}

TEST(ObserveCodecTest, BackupRoundTrip) {
  std::string long_path = "/tmp/";
  long_path.append(4000, 'x');
  for (const std::string& path :
       {std::string("/var/backups/symphony-1"), std::string(), long_path}) {
    std::string wire;
    encode_backup(wire, 77, path);
    const Frame frame = decode_single_frame(wire, Opcode::kBackup, 77);
    std::string_view out;
    ASSERT_TRUE(decode_backup(frame.body, out).ok());
    EXPECT_EQ(out, path);
    EXPECT_TRUE(inside(out, frame.body)) << "the path is a view into the frame";
  }
}

TEST(ObserveCodecTest, BackupBadBodies) {
  std::string wire;
  encode_backup(wire, 1, "/srv/backup");
  const std::string body = wire.substr(kFrameHeaderBytes);
  const test::BodyDecode decode = [](std::string_view b) {
    std::string_view p;
    return decode_backup(b, p);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
  std::string oversized;
  test::put_u16(oversized, 0xFFFF);  // declares far more than follows
  oversized += "/short";
  std::string_view p = "unchanged";
  EXPECT_EQ(decode_backup(ExactBuffer(oversized).view(), p).code, ErrorCode::kMalformedFrame);
}

TEST(ObserveCodecTest, DocumentResultRoundTrip) {
  const std::string json = R"({"status":"healthy","reasons":[],"checks":{"storage":"ok"}})";
  const std::string binary("a\0b\xff\n", 5);  // the codec does not care what the bytes are
  const std::string big(1u << 20, 'm');
  uint32_t rid = 100;
  for (Opcode op : kResultOps) {
    for (const std::string& doc : {json, binary, big, std::string()}) {
      std::string wire;
      encode_document_result(wire, op, ++rid, doc);
      const Frame frame = decode_single_frame(wire, op, rid);
      EXPECT_EQ(frame.body.size(), 4 + doc.size());
      std::string_view out;
      ASSERT_TRUE(decode_document_result(frame.body, out).ok()) << opcode_name(op);
      EXPECT_EQ(out, doc);
      EXPECT_TRUE(inside(out, frame.body));
    }
  }
}

TEST(ObserveCodecTest, DocumentResultBadBodies) {
  std::string wire;
  encode_document_result(wire, Opcode::kHealthResult, 1, R"({"status":"degraded"})");
  const std::string body = wire.substr(kFrameHeaderBytes);
  const test::BodyDecode decode = [](std::string_view b) {
    std::string_view d;
    return decode_document_result(b, d);
  };
  test::expect_every_truncation_fails(body, decode);
  test::expect_trailing_bytes_fail(body, decode);
  // a length near 4 GiB over a few bytes fails on the bounds check, before anything is allocated
  std::string oversized;
  test::put_u32(oversized, 0xFFFFFFFFu);
  oversized += "{}";
  std::string_view d;
  EXPECT_EQ(decode_document_result(ExactBuffer(oversized).view(), d).code,
            ErrorCode::kMalformedFrame);
  EXPECT_TRUE(d.empty());
}

// Random bodies: each decoder accepts exactly the bodies whose layout matches, and every view it
// returns lies inside the input (ExactBuffer lets AddressSanitizer catch any over-read).
TEST(ObserveCodecTest, GarbageBodiesAreTypedErrors) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 24);
  int accepted_documents = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string raw(static_cast<size_t>(length(rng)), '\0');
    for (char& c : raw) c = static_cast<char>(byte(rng));
    // now and then, a length prefix that matches, so the accepting path is exercised too
    if (round % 4 == 0 && raw.size() >= 4) {
      const uint32_t n = static_cast<uint32_t>(raw.size() - 4);
      for (int i = 0; i < 4; ++i) raw[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
    }
    if (round % 4 == 1 && raw.size() >= 2) {
      raw[0] = static_cast<char>(raw.size() - 2);
      raw[1] = 0;
    }
    const ExactBuffer buf(raw);
    const std::string_view b = buf.view();

    std::string_view doc;
    const DecodeStatus d = decode_document_result(b, doc);
    const bool doc_fits =
        b.size() >= 4 && (static_cast<uint32_t>(static_cast<uint8_t>(b[0])) |
                          static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 8 |
                          static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 16 |
                          static_cast<uint32_t>(static_cast<uint8_t>(b[3])) << 24) == b.size() - 4;
    EXPECT_EQ(d.ok(), doc_fits) << "round " << round;
    if (d.ok()) {
      ++accepted_documents;
      EXPECT_TRUE(inside(doc, b));
    } else {
      EXPECT_EQ(d.code, ErrorCode::kMalformedFrame);
    }

    std::string_view path;
    const DecodeStatus p = decode_backup(b, path);
    const bool path_fits =
        b.size() >= 2 && (static_cast<size_t>(static_cast<uint8_t>(b[0])) |
                          static_cast<size_t>(static_cast<uint8_t>(b[1])) << 8) == b.size() - 2;
    EXPECT_EQ(p.ok(), path_fits) << "round " << round;
    if (p.ok()) {
      EXPECT_TRUE(inside(path, b));
    }

    uint8_t minutes = 0;
    const DecodeStatus o = decode_overview(b, minutes);
    EXPECT_EQ(o.ok(), b.size() == 1 && static_cast<uint8_t>(b[0]) <= 60) << "round " << round;
    EXPECT_EQ(decode_health(b).ok(), b.empty());
    EXPECT_EQ(decode_metrics(b).ok(), b.empty());
  }
  EXPECT_GT(accepted_documents, 0) << "the generator never produced a valid body";
}

}  // namespace
}  // namespace symphony::protocol
