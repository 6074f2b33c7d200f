// The worked hex examples of docs/protocol.md are the real encoder's output: this test encodes
// each example and compares it with the block under its `<!-- hex:NAME -->` marker.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "protocol/consume.h"
#include "protocol/dispatch.h"
#include "protocol/handshake.h"
#include "protocol/settle.h"

namespace symphony::protocol {
namespace {

std::map<std::string, std::string> hex_blocks_of(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, std::string> blocks;
  std::string line;
  std::string name;
  bool inside = false;
  std::string bytes;
  while (std::getline(in, line)) {
    if (line.rfind("<!-- hex:", 0) == 0) {
      name = line.substr(9, line.find(" -->") - 9);
      continue;
    }
    if (!name.empty() && line.rfind("```", 0) == 0) {
      if (inside) {
        blocks[name] = bytes;
        name.clear();
        bytes.clear();
      }
      inside = !inside;
      continue;
    }
    if (inside) {
      std::istringstream ls(line.substr(std::min<size_t>(line.size(), 6)));  // skip the offset
      std::string tok;
      while (ls >> tok) bytes.push_back(static_cast<char>(std::stoi(tok, nullptr, 16)));
    }
  }
  return blocks;
}

class ProtocolDocTest : public ::testing::Test {
 protected:
  void SetUp() override { blocks_ = hex_blocks_of(SYMPHONY_SOURCE_DIR "/docs/protocol.md"); }
  void expect_block(const std::string& name, const std::string& encoded) {
    ASSERT_TRUE(blocks_.count(name)) << "docs/protocol.md has no hex:" << name << " block";
    EXPECT_EQ(blocks_[name], encoded) << "docs/protocol.md hex:" << name << " is out of date";
  }
  std::map<std::string, std::string> blocks_;
  const std::string header_bytes_ = encode_header_pairs({{"trace", "t1"}});
};

TEST_F(ProtocolDocTest, HelloAndWelcome) {
  std::string hello;
  encode_hello(hello, 1, {1, "example", ""});
  expect_block("hello", hello);
  Welcome w;
  w.server_name = "symphonyd/0.1.0";
  w.session_id = 1;
  std::string welcome;
  encode_welcome(welcome, 1, w);
  expect_block("welcome", welcome);
}

TEST_F(ProtocolDocTest, DispatchAndResult) {
  DispatchMessage m;
  m.type = "Email";
  m.payload = R"({"to":"a@b.c"})";
  m.headers = {1, header_bytes_};
  m.queue = "email";
  m.priority = 7;
  std::string dispatch;
  encode_dispatch(dispatch, 2, {&m, 1});
  expect_block("dispatch", dispatch);
  DispatchResult r;
  r.message_id = 1;
  r.queue = "email";
  std::string result;
  encode_dispatch_result(result, 2, {&r, 1});
  expect_block("dispatch_result", result);
}

TEST_F(ProtocolDocTest, DeliverAndAck) {
  std::string deliver;
  DeliverWriter w(deliver);
  w.add({1, 1, 7, "email", 1700000000000, 1700000030000},
        {"Email", {1, header_bytes_}, "", R"({"to":"a@b.c"})"});
  w.finish();
  expect_block("deliver", deliver);
  const uint64_t id = 1;
  std::string ack;
  encode_ack(ack, 3, {&id, 1}, false);
  expect_block("ack", ack);
}

}  // namespace
}  // namespace symphony::protocol
