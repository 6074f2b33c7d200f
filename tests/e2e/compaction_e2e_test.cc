// When the real symphonyd rewrites its log: once its dead bytes reach the live set's size, not
// once as much as the live set was written. A deep queue that is being drained is mostly live, and
// rewriting it costs as much as its fill (at 1M queued, it cut the drain from 514k to 122k
// messages/s).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/e2e/broker_process.h"
#include "tests/support/temp_dir.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientOptions;
using client::OutgoingMessage;
using namespace std::chrono_literals;

constexpr std::string_view kStarted = "log compaction started";

size_t count_of(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(CompactionE2E, AMostlyLiveLogIsNotRewrittenButAMostlyDeadOneIs) {
  TempDir dir;
  // the smallest threshold the configuration allows, so a few MB of log are enough
  const std::string config = dir.write("symphony.toml", "[compaction]\nmin_bytes = 1048576\n");
  BrokerProcess broker({"--config", config, "--log-level", "debug"});
  ClientOptions o;
  o.port = broker.port();
  o.timeout = 20s;
  auto c = Client::connect(o);

  // about 8 MB of envelopes, every one of them live: eight times the threshold
  constexpr int kTotal = 20'000;
  constexpr int kBatch = 500;
  const std::string payload = R"({"pad":")" + std::string(300, 'x') + R"("})";
  for (int b = 0; b < kTotal / kBatch; ++b) {
    std::vector<OutgoingMessage> batch(kBatch);
    for (auto& m : batch) {
      m.message.type = "Filler";
      m.message.payload = payload;
      m.options.queue = "fill";
    }
    for (const auto& r : c->dispatch_batch(batch)) ASSERT_TRUE(r.ok()) << r.error;
  }
  // acks turn envelopes into dead bytes; a quarter of them is too little to rewrite the rest
  c->subscribe({"fill"}, 1000);
  std::vector<uint64_t> ids;
  size_t acked = 0;
  auto ack_up_to = [&](size_t target) {
    while (acked < target) {
      auto d = c->receive(10s);
      ASSERT_TRUE(d.has_value()) << "delivery " << acked + ids.size() << " did not come";
      ids.push_back(d->id);
      if (ids.size() == 500 || acked + ids.size() == target) {
        ASSERT_TRUE(c->ack(ids, /*confirm=*/true).failures.empty());
        acked += ids.size();
        ids.clear();
      }
    }
  };
  ack_up_to(kTotal / 4);
  EXPECT_EQ(count_of(broker.log(), kStarted), 0u)
      << "a log still three quarters live was rewritten:\n"
      << broker.log();

  // all acked, the log is all dead bytes: now it must be rewritten
  ack_up_to(kTotal);
  bool started = false;
  for (int i = 0; i < 100 && !started; ++i) {
    started = count_of(broker.log(), kStarted) > 0;
    if (!started) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(started) << "a log of dead envelopes was not compacted:\n" << broker.log();
  EXPECT_EQ(broker.terminate(), 0);
}

}  // namespace
}  // namespace symphony::testing
