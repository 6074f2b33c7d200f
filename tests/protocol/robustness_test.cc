// Seeded fuzzing of the frame decoder and every body decoder. Runs under AddressSanitizer in CI:
// inputs live in exact-size heap buffers, so any read past the end is reported.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "protocol/consume.h"
#include "protocol/control.h"
#include "protocol/dispatch.h"
#include "protocol/handshake.h"
#include "protocol/headers.h"
#include "protocol/message_body.h"
#include "protocol/settle.h"
#include "protocol/stats.h"
#include "tests/protocol/test_util.h"

namespace symphony::protocol {
namespace {

using test::ExactBuffer;
using test::inside;

constexpr int kIterations = 20'000;
constexpr uint32_t kNoLimit = 0xFFFFFFFFu;

// A body decoder: decodes `body`, checks every view of an ok() result, returns ok().
struct Target {
  const char* name;
  std::function<bool(std::string_view)> run;
};

void check_view(std::string_view v, std::string_view body, const char* what) {
  EXPECT_TRUE(inside(v, body)) << what << " points outside the input";
}

// The pair bytes must lie in the body and hold exactly `count` pairs.
void check_headers(const HeadersView& h, std::string_view body, const char* what) {
  check_view(h.raw, body, what);
  ByteReader r(h.raw);
  for (uint16_t i = 0; i < h.count; ++i) {
    check_view(r.str16(), h.raw, what);
    check_view(r.str16(), h.raw, what);
  }
  EXPECT_TRUE(r.at_end()) << what << ": header count does not match header bytes";
}

void check_ids(const IdList& ids, std::string_view body, const char* what) {
  check_view(ids.raw, body, what);
  ASSERT_EQ(ids.raw.size(), static_cast<size_t>(ids.count) * 8) << what;
  for (uint32_t i = 0; i < ids.count; ++i) {
    uint64_t want = 0;  // little-endian, assembled byte by byte
    for (int b = 7; b >= 0; --b) want = (want << 8) | static_cast<uint8_t>(ids.raw[i * 8 + b]);
    EXPECT_EQ(ids[i], want) << what;
  }
}

std::vector<Target> make_targets() {
  std::vector<Target> t;
  t.push_back({"HELLO", [](std::string_view b) {
                 Hello h;
                 if (!decode_hello(b, h).ok()) return false;
                 check_view(h.client_name, b, "HELLO client_name");
                 check_view(h.auth_token, b, "HELLO auth_token");
                 return true;
               }});
  t.push_back({"WELCOME", [](std::string_view b) {
                 Welcome w;
                 if (!decode_welcome(b, w).ok()) return false;
                 check_view(w.server_name, b, "WELCOME server_name");
                 return true;
               }});
  for (uint32_t max_batch : {uint32_t{10'000}, kNoLimit}) {
    // the output vector is reused across calls, as a connection would
    t.push_back(
        {"DISPATCH", [max_batch, out = std::vector<DispatchMessage>()](std::string_view b) mutable {
           if (!decode_dispatch(b, max_batch, out).ok()) return false;
           for (const DispatchMessage& m : out) {
             check_view(m.type, b, "DISPATCH type");
             check_view(m.payload, b, "DISPATCH payload");
             check_view(m.metadata, b, "DISPATCH metadata");
             check_headers(m.headers, b, "DISPATCH headers");
             check_view(m.queue, b, "DISPATCH queue");
             check_view(m.idempotency_key, b, "DISPATCH idempotency_key");
             EXPECT_LE(static_cast<uint8_t>(m.when), static_cast<uint8_t>(When::kAtUnixMs));
           }
           return true;
         }});
    t.push_back({"ACK", [max_batch](std::string_view b) {
                   IdList ids;
                   if (!decode_ack(b, max_batch, ids).ok()) return false;
                   check_ids(ids, b, "ACK ids");
                   return true;
                 }});
    t.push_back({"NACK", [max_batch](std::string_view b) {
                   std::vector<NackItem> out;
                   if (!decode_nack(b, max_batch, out).ok()) return false;
                   for (const NackItem& it : out) {
                     check_view(it.error, b, "NACK error");
                     check_view(it.error_class, b, "NACK error_class");
                     EXPECT_LE(static_cast<uint8_t>(it.mode),
                               static_cast<uint8_t>(NackMode::kRelease));
                   }
                   return true;
                 }});
    t.push_back({"TOUCH", [max_batch](std::string_view b) {
                   uint32_t extend_ms = 0;
                   IdList ids;
                   if (!decode_touch(b, max_batch, extend_ms, ids).ok()) return false;
                   check_ids(ids, b, "TOUCH ids");
                   return true;
                 }});
  }
  t.push_back(
      {"DISPATCH_RESULT", [out = std::vector<DispatchResult>()](std::string_view b) mutable {
         if (!decode_dispatch_result(b, out).ok()) return false;
         for (const DispatchResult& r : out) check_view(r.queue, b, "DISPATCH_RESULT queue");
         return true;
       }});
  for (uint16_t max_queues : {uint16_t{64}, uint16_t{0xFFFF}}) {
    t.push_back({"SUBSCRIBE", [max_queues](std::string_view b) {
                   Subscribe s;
                   if (!decode_subscribe(b, max_queues, s).ok()) return false;
                   EXPECT_LE(s.queues.size(), max_queues);
                   for (std::string_view q : s.queues) check_view(q, b, "SUBSCRIBE queue");
                   return true;
                 }});
  }
  t.push_back({"SUBSCRIBED", [](std::string_view b) {
                 Subscribed s;
                 return decode_subscribed(b, s).ok();
               }});
  t.push_back({"CREDIT", [](std::string_view b) {
                 uint32_t prefetch = 0;
                 return decode_credit(b, prefetch).ok();
               }});
  t.push_back({"CREDIT_OK", [](std::string_view b) {
                 CreditOk c;
                 return decode_credit_ok(b, c).ok();
               }});
  t.push_back({"DELIVER", [out = std::vector<DeliveryView>()](std::string_view b) mutable {
                 if (!decode_deliver(b, out).ok()) return false;
                 for (const DeliveryView& d : out) {
                   check_view(d.head.queue, b, "DELIVER queue");
                   check_view(d.message.type, b, "DELIVER type");
                   check_headers(d.message.headers, b, "DELIVER headers");
                   check_view(d.message.metadata, b, "DELIVER metadata");
                   check_view(d.message.payload, b, "DELIVER payload");
                 }
                 return true;
               }});
  t.push_back({"ACK_RESULT", [](std::string_view b) {
                 AckResult r;
                 return decode_ack_result(b, r).ok();
               }});
  t.push_back({"NACK_RESULT", [](std::string_view b) {
                 std::vector<NackResultItem> out;
                 if (!decode_nack_result(b, out).ok()) return false;
                 for (const NackResultItem& it : out) {
                   EXPECT_LE(static_cast<uint8_t>(it.outcome),
                             static_cast<uint8_t>(NackOutcome::kReleased));
                 }
                 return true;
               }});
  t.push_back({"TOUCH_RESULT", [](std::string_view b) {
                 std::vector<TouchResultItem> out;
                 return decode_touch_result(b, out).ok();
               }});
  t.push_back({"QUEUE_STATS", [](std::string_view b) {
                 std::string_view queue;
                 if (!decode_queue_stats(b, queue).ok()) return false;
                 check_view(queue, b, "QUEUE_STATS queue");
                 return true;
               }});
  t.push_back({"QUEUE_STATS_RESULT", [](std::string_view b) {
                 std::vector<QueueStats> out;
                 return decode_queue_stats_result(b, out).ok();
               }});
  t.push_back({"PING", [](std::string_view b) {
                 uint64_t nonce = 0;
                 return decode_ping(b, nonce).ok();
               }});
  t.push_back({"PONG", [](std::string_view b) {
                 Pong p;
                 return decode_pong(b, p).ok();
               }});
  t.push_back({"ERROR", [](std::string_view b) {
                 ErrorFrame e;
                 if (!decode_error(b, e).ok()) return false;
                 check_view(e.message, b, "ERROR message");
                 return true;
               }});
  t.push_back({"GOAWAY", [](std::string_view b) {
                 ErrorFrame e;
                 if (!decode_goaway(b, e).ok()) return false;
                 check_view(e.message, b, "GOAWAY message");
                 return true;
               }});
  t.push_back({"MessageBody", [](std::string_view b) {
                 MessageBodyView m;
                 if (!parse_message_body(b, m)) return false;
                 check_view(m.type, b, "MessageBody type");
                 check_headers(m.headers, b, "MessageBody headers");
                 check_view(m.metadata, b, "MessageBody metadata");
                 check_view(m.payload, b, "MessageBody payload");
                 return true;
               }});
  t.push_back({"Headers", [](std::string_view b) {
                 ByteReader r(b);
                 HeadersView h;
                 if (!read_headers(r, h)) return false;
                 check_headers(h, b, "Headers");
                 return true;
               }});
  return t;
}

// One valid frame of every opcode, plus a stored message body.
std::vector<std::string> make_corpus() {
  std::vector<std::string> c;
  auto add = [&c](auto&& encode) {
    std::string wire;
    encode(wire);
    c.push_back(std::move(wire));
  };
  const std::string headers = encode_header_pairs({{"trace-id", "t-1"}, {"tenant", "acme"}});
  add([](std::string& w) { encode_hello(w, 1, Hello{1, "client", "token"}); });
  add([](std::string& w) { encode_welcome(w, 1, Welcome{1, "srv", 9, ServerLimits{}}); });
  add([&](std::string& w) {
    std::vector<DispatchMessage> batch(2);
    batch[0].type = "order.created";
    batch[0].payload = R"({"id":1})";
    batch[0].metadata = R"({"m":true})";
    batch[0].headers = HeadersView{2, headers};
    batch[0].queue = "orders";
    batch[0].priority = 7;
    batch[0].when = When::kDelayMs;
    batch[0].when_value = 250;
    batch[0].idempotency_key = "idem";
    batch[1].type = "t";
    batch[1].payload = "{}";
    encode_dispatch(w, 2, batch);
  });
  add([](std::string& w) {
    std::vector<DispatchResult> res(2);
    res[0].queue = "orders";
    res[0].message_id = 77;
    res[1].index = 1;
    res[1].code = ErrorCode::kEmptyType;
    res[1].status = EnvelopeStatus::kFailed;
    res[1].error = "empty type";
    encode_dispatch_result(w, 2, res);
  });
  add([](std::string& w) { encode_subscribe(w, 3, Subscribe{{"orders", "audit"}, 10, 30'000}); });
  add([](std::string& w) { encode_subscribed(w, 3, Subscribed{10, 30'000}); });
  add([](std::string& w) { encode_credit(w, 4, 20); });
  add([](std::string& w) { encode_credit_ok(w, 4, CreditOk{20, 3}); });
  add([&](std::string& w) {
    DeliverWriter d(w);
    d.add(DeliveryHead{1, 1, 5, "orders", 1700000000123, 1700000030123},
          MessageBodyView{"order.created", HeadersView{2, headers}, "{}", R"({"id":1})"});
    d.add(DeliveryHead{2, 3, 1, "q", 0, 0}, MessageBodyView{"t", {}, "", "{}"});
    d.finish();
  });
  const std::vector<uint64_t> ids = {1, 2, 3};
  add([&](std::string& w) { encode_ack(w, 5, ids, true); });
  add([](std::string& w) {
    encode_ack_result(w, 5, AckResult{2, {{3, ErrorCode::kUnknownMessage}}});
  });
  add([](std::string& w) {
    const std::vector<NackItem> items = {{1, NackMode::kRetry, "boom", "Err"},
                                         {2, NackMode::kFatal, "", ""}};
    encode_nack(w, 6, items);
  });
  add([](std::string& w) {
    const std::vector<NackResultItem> items = {{1, ErrorCode::kOk, NackOutcome::kReleased, 5}};
    encode_nack_result(w, 6, items);
  });
  add([&](std::string& w) { encode_touch(w, 7, 1000, ids); });
  add([](std::string& w) {
    const std::vector<TouchResultItem> items = {{1, ErrorCode::kOk, 99}};
    encode_touch_result(w, 7, items);
  });
  add([](std::string& w) { encode_queue_stats(w, 8, "orders"); });
  add([](std::string& w) {
    std::vector<QueueStats> stats(1);
    stats[0].name = "orders";
    stats[0].ready = 4;
    encode_queue_stats_result(w, 8, stats);
  });
  add([](std::string& w) { encode_ping(w, 9, 123); });
  add([](std::string& w) { encode_pong(w, 9, Pong{123, 456}); });
  add([](std::string& w) { encode_error(w, 10, ErrorCode::kInvalidHeader, "bad header"); });
  add([](std::string& w) { encode_goaway(w, ErrorCode::kShuttingDown, "bye"); });
  // a stored message body, framed as if it were a body so the mutator treats it alike
  add([&](std::string& w) {
    w.assign(kFrameHeaderBytes, '\0');
    append_message_body(w, MessageBodyView{"order.created", HeadersView{2, headers}, "{}", "{}"});
  });
  return c;
}

std::string random_bytes(std::mt19937& rng, size_t n) {
  std::string s(n, '\0');
  for (char& ch : s) ch = static_cast<char>(rng() & 0xFF);
  return s;
}

// 1..4 random edits: bit flip, byte overwrite, byte insertion, truncation.
std::string mutate(std::string s, std::mt19937& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 8) {
      case 0:
      case 1:
      case 2:
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 3:
      case 4:
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng() & 0xFF);
        break;
      case 5:
      case 6:
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(rng() % (s.size() + 1)),
                 static_cast<char>(rng() & 0xFF));
        break;
      default: s.resize(rng() % (s.size() + 1)); break;
    }
  }
  return s;
}

// Checks the frame decoder's result invariants; returns the body of a complete frame.
std::optional<std::string_view> check_frame(const FrameDecoder& decoder, std::string_view in) {
  const FrameDecoder::Result r = decoder.decode(in);
  switch (r.status) {
    case FrameDecoder::Status::kNeedMore: EXPECT_EQ(r.consumed, 0u); return std::nullopt;
    case FrameDecoder::Status::kMalformed:
      EXPECT_NE(r.error, ErrorCode::kOk);
      EXPECT_GE(in.size(), kFrameHeaderBytes);  // only a readable header can be malformed
      return std::nullopt;
    case FrameDecoder::Status::kComplete:
      EXPECT_EQ(r.consumed, kFrameHeaderBytes + r.frame.body.size());
      EXPECT_LE(r.consumed, in.size());
      EXPECT_LE(r.frame.body.size(), decoder.max_body_bytes());
      EXPECT_TRUE(inside(r.frame.body, in));
      EXPECT_TRUE(to_opcode(static_cast<uint8_t>(r.frame.opcode)).has_value());
      return r.frame.body;
  }
  ADD_FAILURE() << "unexpected status";
  return std::nullopt;
}

// Runs every target on its own exact-size copy of `body`; returns how many accepted it.
int run_targets(std::vector<Target>& targets, std::string_view body) {
  const ExactBuffer buf(body);
  int accepted = 0;
  for (Target& t : targets) {
    SCOPED_TRACE(t.name);
    if (t.run(buf.view())) ++accepted;
  }
  return accepted;
}

TEST(RobustnessTest, CorpusIsValid) {
  // every corpus entry decodes cleanly, so mutations start from real frames
  std::vector<Target> targets = make_targets();
  const FrameDecoder decoder;
  for (const std::string& wire : make_corpus()) {
    if (wire.compare(0, kFrameHeaderBytes, std::string(kFrameHeaderBytes, '\0')) == 0) {
      EXPECT_GE(run_targets(targets, std::string_view(wire).substr(kFrameHeaderBytes)), 1);
      continue;
    }
    const FrameDecoder::Result r = decoder.decode(wire);
    ASSERT_EQ(r.status, FrameDecoder::Status::kComplete);
    EXPECT_EQ(r.consumed, wire.size());
    EXPECT_GE(run_targets(targets, r.frame.body), 1) << opcode_name(r.frame.opcode);
  }
}

TEST(RobustnessTest, RandomBytes) {
  std::mt19937 rng(0x5EED0001u);
  std::vector<Target> targets = make_targets();
  const FrameDecoder decoder;
  const FrameDecoder small_decoder(64);
  int complete = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string bytes = random_bytes(rng, rng() % 301);
    const ExactBuffer buf(bytes);
    if (check_frame(decoder, buf.view())) ++complete;
    check_frame(small_decoder, buf.view());
    run_targets(targets, bytes);
    if (::testing::Test::HasFailure()) FAIL() << "first failure at iteration " << i;
  }
  // random headers almost never name a valid opcode with zero reserved bits and a small length
  EXPECT_LT(complete, kIterations / 10);
}

TEST(RobustnessTest, MutatedFrames) {
  std::mt19937 rng(0x5EED0002u);
  std::vector<Target> targets = make_targets();
  const std::vector<std::string> corpus = make_corpus();
  const FrameDecoder decoder;
  int complete = 0;
  int accepted = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = mutate(corpus[rng() % corpus.size()], rng);
    const ExactBuffer buf(input);
    if (const auto body = check_frame(decoder, buf.view())) {
      ++complete;
      accepted += run_targets(targets, *body) > 0 ? 1 : 0;
    }
    // the body decoders also see bodies whose frame header was broken
    if (input.size() >= kFrameHeaderBytes) {
      accepted += run_targets(targets, std::string_view(input).substr(kFrameHeaderBytes)) > 0;
    }
    if (::testing::Test::HasFailure()) FAIL() << "first failure at iteration " << i;
  }
  // a fuzz loop in which nothing decodes proves nothing
  EXPECT_GT(complete, kIterations / 10);
  EXPECT_GT(accepted, kIterations / 10);
}

TEST(RobustnessTest, MutatedFramesWithFixedUpLength) {
  // patch the length after mutating so the mutation reaches the body decoders as a complete frame
  std::mt19937 rng(0x5EED0003u);
  std::vector<Target> targets = make_targets();
  const std::vector<std::string> corpus = make_corpus();
  const FrameDecoder decoder;
  int complete = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string& original = corpus[rng() % corpus.size()];
    std::string body = mutate(original.substr(kFrameHeaderBytes), rng);
    std::string input = test::frame_header(static_cast<uint32_t>(body.size()),
                                           static_cast<uint8_t>(original[4]), 0, 0, i) +
                        body;
    const ExactBuffer buf(input);
    if (const auto frame_body = check_frame(decoder, buf.view())) {
      ++complete;
      EXPECT_EQ(frame_body->size(), body.size());
      run_targets(targets, *frame_body);
    }
    if (::testing::Test::HasFailure()) FAIL() << "first failure at iteration " << i;
  }
  EXPECT_GT(complete, kIterations / 2);
}

}  // namespace
}  // namespace symphony::protocol
