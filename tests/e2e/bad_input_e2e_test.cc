// Bad input of every kind against the real symphonyd: each gets a typed ERROR, the offending
// connection is closed when the byte stream can no longer be trusted, and everyone else keeps
// being served with nothing lost.
#include <gtest/gtest.h>

#include <random>

#include "client/client.h"
#include "protocol/control.h"
#include "protocol/dispatch.h"
#include "protocol/frame_decoder.h"
#include "protocol/handshake.h"
#include "protocol/wire.h"
#include "tests/e2e/broker_process.h"
#include "tests/e2e/raw_socket.h"
#include "tests/e2e/reply_frames.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientOptions;
using client::DispatchOptions;
using protocol::ErrorCode;
using namespace std::chrono_literals;

std::unique_ptr<Client> connect_to(const BrokerProcess& broker) {
  ClientOptions o;
  o.port = broker.port();
  o.timeout = 10s;
  return Client::connect(o);
}

std::string hello_frame(uint32_t rid = 1, uint16_t version = protocol::kProtocolVersion) {
  std::string out;
  protocol::encode_hello(out, rid, {version, "raw-test", ""});
  return out;
}

/// A working producer/consumer pair on `broker`, to show the broker keeps serving.
void expect_broker_still_serves(const BrokerProcess& broker, const std::string& queue) {
  auto c = connect_to(broker);
  const auto r = c->dispatch({"Ping", R"({"ok":true})"}, DispatchOptions().with_queue(queue));
  ASSERT_TRUE(r.ok());
  c->subscribe({queue}, 1);
  auto d = c->receive(5s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->id, r.id);
  EXPECT_EQ(c->ack(d->id).acked, 1u);
}

TEST(BadInputE2E, GarbageGetsAnErrorAndIsDisconnectedWhileAnotherClientKeepsWorking) {
  BrokerProcess broker;
  auto good = connect_to(broker);
  good->subscribe({"steady"}, 10);
  ASSERT_TRUE(good->dispatch({"A", "{}"}, DispatchOptions().with_queue("steady")).ok());
  ASSERT_TRUE(good->receive(5s).has_value());

  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    RawSocket bad(broker.port());
    std::string junk(64 + rng() % 512, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    bad.send(junk);
    bool closed = false;
    const auto reply = bad.read_until_close(5s, &closed);
    EXPECT_TRUE(closed) << "round " << round << ": garbage connection left open";
    const auto frames = frames_of(reply);
    ASSERT_FALSE(frames.empty()) << "round " << round << ": no ERROR before closing";
    EXPECT_EQ(frames.back().opcode, protocol::Opcode::kError);
  }
  // the good client never noticed
  ASSERT_TRUE(good->dispatch({"B", "{}"}, DispatchOptions().with_queue("steady")).ok());
  auto d = good->receive(5s);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->type, "B");
  EXPECT_EQ(good->ping(99).nonce, 99u);
}

TEST(BadInputE2E, HugeLengthIsRefusedFromTheHeaderAlone) {
  BrokerProcess broker;
  RawSocket s(broker.port());
  s.send(hello_frame());
  std::string header;
  protocol::ByteWriter w(header);
  w.u32(0xFFFFFFF0u);  // body length far over the limit; the body never comes
  w.u8(static_cast<uint8_t>(protocol::Opcode::kDispatch));
  w.u8(0);
  w.u16(0);
  w.u32(77);
  s.send(header);
  bool closed = false;
  const auto frames = frames_of(s.read_until_close(5s, &closed));
  EXPECT_TRUE(closed);
  uint32_t rid = 0;
  EXPECT_EQ(error_code_in(frames, &rid), ErrorCode::kFrameTooLarge);
  EXPECT_EQ(rid, 77u);
  expect_broker_still_serves(broker, "after-huge");
}

TEST(BadInputE2E, UnknownOpcodeIsATypedError) {
  BrokerProcess broker;
  RawSocket s(broker.port());
  s.send(hello_frame());
  std::string f;
  protocol::ByteWriter w(f);
  w.u32(0);
  w.u8(0x55);  // not an opcode
  w.u8(0);
  w.u16(0);
  w.u32(5);
  s.send(f);
  bool closed = false;
  const auto frames = frames_of(s.read_until_close(5s, &closed));
  EXPECT_TRUE(closed);
  EXPECT_EQ(error_code_in(frames), ErrorCode::kUnknownOpcode);
}

TEST(BadInputE2E, AnyFrameBeforeHelloIsRefused) {
  BrokerProcess broker;
  RawSocket s(broker.port());
  std::string ping;
  protocol::encode_ping(ping, 3, 1);
  s.send(ping);
  bool closed = false;
  const auto frames = frames_of(s.read_until_close(5s, &closed));
  EXPECT_TRUE(closed);
  uint32_t rid = 0;
  EXPECT_EQ(error_code_in(frames, &rid), ErrorCode::kHelloRequired);
  EXPECT_EQ(rid, 3u);
}

TEST(BadInputE2E, UnsupportedVersionIsRefused) {
  BrokerProcess broker;
  RawSocket s(broker.port());
  s.send(hello_frame(1, 99));
  bool closed = false;
  const auto frames = frames_of(s.read_until_close(5s, &closed));
  EXPECT_TRUE(closed);
  EXPECT_EQ(error_code_in(frames), ErrorCode::kUnsupportedVersion);
}

TEST(BadInputE2E, MalformedDispatchBodyIsAnErrorForThatRequest) {
  BrokerProcess broker;
  RawSocket s(broker.port());
  s.send(hello_frame());
  std::string f;
  protocol::ByteWriter w(f);
  w.u32(8);
  w.u8(static_cast<uint8_t>(protocol::Opcode::kDispatch));
  w.u8(0);
  w.u16(0);
  w.u32(42);
  w.u32(3);  // three messages announced...
  w.u32(0);  // ...but only four more bytes
  s.send(f);
  bool closed = false;
  const auto frames = frames_of(s.read_until_close(5s, &closed));
  EXPECT_TRUE(closed);
  uint32_t rid = 0;
  EXPECT_EQ(error_code_in(frames, &rid), ErrorCode::kMalformedFrame);
  EXPECT_EQ(rid, 42u);
  auto c = connect_to(broker);
  EXPECT_EQ(c->stats().size(), 0u) << "a malformed DISPATCH enqueued something";
}

TEST(BadInputE2E, OversizedBatchIsRefusedButTheConnectionStays) {
  BrokerProcess broker;
  RawSocket s(broker.port());
  s.send(hello_frame());
  std::string f;
  protocol::ByteWriter w(f);
  w.u32(4);
  w.u8(static_cast<uint8_t>(protocol::Opcode::kDispatch));
  w.u8(0);
  w.u16(0);
  w.u32(9);
  w.u32(1'000'000);  // over max_batch
  std::string ping;
  protocol::encode_ping(ping, 10, 123);
  s.send(f + ping);
  const auto frames = frames_of(s.read_until_close(500ms));
  uint32_t rid = 0;
  EXPECT_EQ(error_code_in(frames, &rid), ErrorCode::kBatchTooLarge);
  EXPECT_EQ(rid, 9u);
  bool got_pong = false;
  for (const auto& fr : frames) got_pong |= fr.opcode == protocol::Opcode::kPong;
  EXPECT_TRUE(got_pong) << "the connection should keep serving after a limit error";
}

TEST(BadInputE2E, ClientVanishingMidFrameLosesNothingForOthers) {
  BrokerProcess broker;
  auto producer = connect_to(broker);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(producer->dispatch({"J", "{}"}, DispatchOptions().with_queue("q")).ok());
  {
    RawSocket s(broker.port());
    s.send(hello_frame());
    std::string f;
    std::string headers;
    std::vector<protocol::DispatchMessage> batch(1);
    batch[0].type = "Half";
    batch[0].payload = R"({"x":1})";
    batch[0].queue = "q";
    protocol::encode_dispatch(f, 2, batch);
    s.send(f.substr(0, f.size() / 2));  // half a frame, then gone
  }
  auto consumer = connect_to(broker);
  consumer->subscribe({"q"}, 20);
  int got = 0;
  while (auto d = consumer->receive(500ms)) {
    EXPECT_EQ(d->type, "J");
    consumer->ack(d->id);
    ++got;
  }
  EXPECT_EQ(got, 10);
  expect_broker_still_serves(broker, "after-vanish");
}

TEST(BadInputE2E, InvalidMessagesGetTypedResultsAndTheRestOfTheBatchGoesThrough) {
  BrokerProcess broker;
  auto c = connect_to(broker);
  std::vector<client::OutgoingMessage> batch(6);
  batch[0].message = {"Good", R"({"a":1})"};
  batch[1].message = {"", R"({"a":1})"};
  batch[2].message = {"NotObject", R"([1,2,3])"};
  batch[3].message = {"BadJson", R"({"a":)"};
  batch[4].message = {"Prio", R"({})"};
  batch[4].options.priority = 11;
  batch[5].message = {"AlsoGood", R"({"b":2})"};
  for (auto& m : batch) m.options.queue = "v";
  const auto r = c->dispatch_batch(batch);
  ASSERT_EQ(r.size(), 6u);
  EXPECT_TRUE(r[0].ok());
  EXPECT_EQ(r[1].code, ErrorCode::kEmptyType);
  EXPECT_EQ(r[2].code, ErrorCode::kInvalidPayload);
  EXPECT_EQ(r[3].code, ErrorCode::kInvalidPayload);
  EXPECT_EQ(r[4].code, ErrorCode::kPriorityOutOfRange);
  EXPECT_FALSE(r[4].error.empty());
  EXPECT_TRUE(r[5].ok());
  EXPECT_EQ(c->stats("v")[0].ready, 2u);
}

}  // namespace
}  // namespace symphony::testing
