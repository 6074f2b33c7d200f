// symphony-wal's writing commands (replay --into, compact): a broker started on what they write
// has the state the log described.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/tools/wal_tool_util.h"

namespace symphony::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

const std::map<std::string, QueueCounts> kWorkloadQueues{
    {"email", {1, 0, 0, 0}}, {"sms", {0, 1, 0, 0}}, {"jobs", {0, 0, 0, 1}}};

json stats_json(const std::string& data_dir) {
  const ToolResult r = wal_tool(data_dir, {"stats", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  return json::parse(r.out);
}

client::DispatchOutcome dispatch_keyed(const BrokerProcess& broker, const std::string& queue,
                                       const std::string& key) {
  return connect_to(broker)->dispatch(
      {"Again", "{}"}, client::DispatchOptions().with_queue(queue).with_idempotency_key(key));
}

TEST(WalToolReplay, ReplayIntoANewDirectoryGivesABrokerTheSameState) {
  const Workload& w = standard_workload();
  TempDir dir;
  const std::string data = dir.sub("data");
  copy_workload(data);
  const std::string into = dir.sub("replayed");

  const ToolResult r = wal_tool(data, {"replay", "--into", into});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 1 group into " + into + "/log"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 live envelopes"), std::string::npos) << r.out;

  const json s = stats_json(into);
  EXPECT_EQ(s["groups"]["count"], 1);
  EXPECT_EQ(s["records"]["by_type"]["snapshot"]["count"], 3);
  EXPECT_EQ(s["records"]["by_type"]["idempotency_key"]["count"], 1);  // k1 of the acked m1
  EXPECT_EQ(s["next_id"], w.m5 + 1);
  EXPECT_EQ(wal_tool(into, {"verify"}).code, 0);

  std::map<std::string, QueueCounts> original;
  {
    BrokerProcess broker({}, data);
    original = queue_counts(broker);
    EXPECT_EQ(broker.terminate(), 0);
  }
  EXPECT_EQ(original, kWorkloadQueues);
  {
    BrokerProcess broker({}, into);
    EXPECT_EQ(queue_counts(broker), original);
    const auto again = dispatch_keyed(broker, "email", "k1");
    ASSERT_TRUE(again.ok()) << again.error;
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.id, w.m1);
    const auto fresh = connect_to(broker)->dispatch({"New", "{}"});
    EXPECT_EQ(fresh.id, w.m5 + 1);  // ids are never reused
    EXPECT_EQ(broker.terminate(), 0);
  }
  EXPECT_EQ(wal_tool(into, {"verify"}).code, 0);

  // the target must be new or empty: a second replay into it touches nothing
  const auto seqs = group_seqs(into);
  const ToolResult twice = wal_tool(data, {"replay", "--into", into});
  EXPECT_EQ(twice.code, 1);
  EXPECT_NE(twice.err.find("must not exist or be an empty directory"), std::string::npos)
      << twice.err;
  EXPECT_EQ(group_seqs(into), seqs);
}

TEST(WalToolReplay, ReplayUntilATimeKeepsOnlyWhatWasWrittenBefore) {
  TempDir dir;
  const std::string data = dir.sub("data");
  int64_t middle = 0;
  {
    BrokerProcess broker({}, data);
    auto producer = connect_to(broker);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(
          producer->dispatch({"First", "{}"}, client::DispatchOptions().with_queue("first")).ok());
    }
    // a dispatch returns once its group is written, so every group so far is at or before this
    middle = now_ms();
    std::this_thread::sleep_for(50ms);
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(
          producer->dispatch({"Second", "{}"}, client::DispatchOptions().with_queue("second"))
              .ok());
    }
    auto consumer = connect_to(broker);
    consumer->subscribe({"first"}, 1);
    auto d = consumer->receive(10s);
    ASSERT_TRUE(d.has_value());
    consumer->credit(0);
    consumer->ack(d->id);
    consumer.reset();
    producer.reset();
    ASSERT_EQ(broker.terminate(), 0);
  }

  auto replayed_queues = [&](const std::string& name, std::vector<std::string> args) {
    const std::string into = dir.sub(name);
    args.insert(args.begin(), {"replay", "--into", into});
    const ToolResult r = wal_tool(data, args);
    EXPECT_EQ(r.code, 0) << r.err;
    BrokerProcess broker({}, into);
    auto counts = queue_counts(broker);
    EXPECT_EQ(broker.terminate(), 0);
    return counts;
  };
  const std::map<std::string, QueueCounts> first_half{{"first", {3, 0, 0, 0}}};
  EXPECT_EQ(replayed_queues("by-ms", {"--until", std::to_string(middle)}), first_half);
  EXPECT_EQ(replayed_queues("by-iso", {"--until", iso(middle)}), first_half);
  const std::map<std::string, QueueCounts> everything{{"first", {2, 0, 0, 0}},
                                                      {"second", {2, 0, 0, 0}}};
  EXPECT_EQ(replayed_queues("all", {}), everything);
}

TEST(WalToolCompact, CompactLeavesOneGroupAndTheSameLiveMessages) {
  const Workload& w = standard_workload();
  TempDir dir;
  const std::string data = dir.sub("data");
  copy_workload(data);
  const auto before = group_seqs(data);
  ASSERT_GT(before.size(), 1u);

  const ToolResult r = wal_tool(data, {"compact"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(std::to_string(before.size()) + " groups ("), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(") -> 1 (seq " + std::to_string(before.back() + 1)), std::string::npos)
      << r.out;

  EXPECT_EQ(group_seqs(data), std::vector<uint64_t>{before.back() + 1});
  const json s = stats_json(data);
  EXPECT_EQ(s["groups"]["count"], 1);
  EXPECT_EQ(s["records"]["by_type"]["snapshot"]["count"], 3);
  EXPECT_EQ(s["records"]["by_type"]["idempotency_key"]["count"], 1);
  EXPECT_EQ(s["records"]["by_type"]["enqueued"]["count"], 0);
  EXPECT_EQ(s["envelopes"]["total"], 3);
  EXPECT_EQ(s["idempotency_keys"], 2);
  EXPECT_EQ(s["base_id"], w.m5 + 1);
  EXPECT_EQ(wal_tool(data, {"verify"}).code, 0);
  // the dead message's failures survive in its snapshot
  const ToolResult h = wal_tool(data, {"history", std::to_string(w.m5)});
  EXPECT_NE(h.out.find("snapshot (log compaction): dead in queue jobs"), std::string::npos)
      << h.out;
  EXPECT_NE(h.out.find("failures 2"), std::string::npos) << h.out;

  {
    BrokerProcess broker({}, data);
    EXPECT_EQ(queue_counts(broker), kWorkloadQueues);
    const auto k1 = dispatch_keyed(broker, "email", "k1");  // its envelope was acked
    ASSERT_TRUE(k1.ok()) << k1.error;
    EXPECT_TRUE(k1.duplicate);
    EXPECT_EQ(k1.id, w.m1);
    const auto k4 = dispatch_keyed(broker, "sms", "k4");  // still live
    ASSERT_TRUE(k4.ok()) << k4.error;
    EXPECT_TRUE(k4.duplicate);
    EXPECT_EQ(k4.id, w.m4);
    // new work after the compaction: its records must replay on top of the snapshot
    auto c = connect_to(broker);
    c->subscribe({"email"}, 1);
    auto d = c->receive(10s);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->id, w.m3);
    c->credit(0);
    c->ack(d->id);
    c.reset();
    EXPECT_EQ(broker.terminate(), 0);
  }
  const ToolResult v = wal_tool(data, {"verify"});
  EXPECT_EQ(v.code, 0) << v.out;
  const ToolResult again = wal_tool(data, {"history", std::to_string(w.m3)});
  EXPECT_NE(again.out.find("current state: gone (acked)"), std::string::npos) << again.out;
}

TEST(WalToolCompact, CompactRefusesADamagedGroupAndChangesNothing) {
  TempDir dir;
  const std::string data = dir.sub("data");
  copy_workload(data);
  const auto seqs = group_seqs(data);
  corrupt_group(data, seqs.back());
  const ToolResult r = wal_tool(data, {"compact"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is damaged"), std::string::npos) << r.err;
  EXPECT_EQ(group_seqs(data), seqs);
}

// A crash leaves a lease in the log with no verdict after it; the restarted broker delivers the
// message again, and that second lease must replay too.
TEST(WalToolCrash, ALeaseCutByACrashReplaysAfterTheNextDelivery) {
  TempDir dir;
  const std::string data = dir.sub("data");
  uint64_t id = 0;
  {
    BrokerProcess broker({}, data);
    auto p = connect_to(broker);
    const auto r = p->dispatch({"Job", "{}"}, client::DispatchOptions().with_queue("jobs"));
    ASSERT_TRUE(r.ok());
    id = r.id;
    auto c = connect_to(broker);
    c->subscribe({"jobs"}, 1);
    auto d = c->receive(10s);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->attempt, 1u);
    broker.kill9();
  }
  {
    BrokerProcess broker({}, data);
    auto c = connect_to(broker);
    c->subscribe({"jobs"}, 1);
    auto d = c->receive(10s);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->id, id);
    EXPECT_EQ(d->attempt, 2u);
    c->credit(0);
    c->ack(id);
    c.reset();
    EXPECT_EQ(broker.terminate(), 0);
  }
  const ToolResult v = wal_tool(data, {"verify"});
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_NO_THROW({
    BrokerProcess broker({}, data);
    broker.terminate();
  });
}

}  // namespace
}  // namespace symphony::testing
