// symphony-wal's read-only commands (stats, verify, dump, history) on logs written by the real
// symphonyd, damaged logs, and the data directory lock.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/tools/wal_tool_util.h"
#include "wal/record_buffer.h"

namespace symphony::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class WalToolInspect : public ::testing::Test {
 protected:
  void SetUp() override {
    w_ = &standard_workload();
    data_ = dir_.sub("data");
    copy_workload(data_);
  }

  ToolResult tool(const std::vector<std::string>& args) { return wal_tool(data_, args); }

  const Workload* w_ = nullptr;
  TempDir dir_;
  std::string data_;
};

TEST_F(WalToolInspect, StatsCountsTheWorkload) {
  const ToolResult r = tool({"stats", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json s = json::parse(r.out);
  const json& types = s["records"]["by_type"];
  EXPECT_EQ(types["enqueued"]["count"], 5);
  EXPECT_EQ(types["leased"]["count"], 4);
  EXPECT_EQ(types["acked"]["count"], 2);
  EXPECT_EQ(types["retry_scheduled"]["count"], 1);
  EXPECT_EQ(types["dead_lettered"]["count"], 1);
  EXPECT_EQ(types["returned"]["count"], 0);
  EXPECT_EQ(types["snapshot"]["count"], 0);
  EXPECT_EQ(s["records"]["count"], 13);
  EXPECT_GT(types["enqueued"]["bytes"].get<uint64_t>(), 1000u);  // m3's payload alone is 1000

  EXPECT_EQ(s["queues"]["email"],
            (json{{"ready", 1}, {"delayed", 0}, {"leased", 0}, {"dead", 0}, {"total", 1}}));
  EXPECT_EQ(s["queues"]["sms"]["delayed"], 1);
  EXPECT_EQ(s["queues"]["sms"]["ready"], 0);
  EXPECT_EQ(s["queues"]["jobs"]["dead"], 1);
  EXPECT_EQ(s["envelopes"]["total"], 3);
  EXPECT_EQ(s["idempotency_keys"], 2);  // k1 outlives its acked envelope, k4 is live
  EXPECT_EQ(s["next_id"], w_->m5 + 1);
  EXPECT_EQ(s["base_id"], 0);
  EXPECT_EQ(s["orphans"], 0);
  EXPECT_EQ(s["wal_tail_torn"], false);
  EXPECT_EQ(s["stopped_cleanly"], true);  // the workload's broker was stopped with SIGTERM
  EXPECT_GT(s["disk_bytes"].get<uint64_t>(), 0u);

  const json& g = s["groups"];
  const auto seqs = group_seqs(data_);
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(g["count"], seqs.size());
  EXPECT_EQ(g["first_seq"], seqs.front());
  EXPECT_EQ(g["last_seq"], seqs.back());
  EXPECT_LE(g["first_written_at"].get<std::string>(), g["last_written_at"].get<std::string>());
  EXPECT_EQ(g["first_written_at"].get<std::string>().back(), 'Z');

  // the human table carries the same numbers
  const ToolResult h = tool({"stats"});
  ASSERT_EQ(h.code, 0) << h.err;
  bool saw_enqueued = false, saw_jobs = false;
  for (const std::string& line : text_lines(h.out)) {
    std::istringstream in(line);
    std::string name;
    in >> name;
    if (name == "enqueued") {
      uint64_t count = 0;
      in >> count;
      EXPECT_EQ(count, 5u) << line;
      saw_enqueued = true;
    }
    if (name == "jobs") {
      uint64_t ready = 9, delayed = 9, leased = 9, dead = 9;
      in >> ready >> delayed >> leased >> dead;
      EXPECT_EQ(std::vector<uint64_t>({ready, delayed, leased, dead}),
                std::vector<uint64_t>({0, 0, 0, 1}))
          << line;
      saw_jobs = true;
    }
  }
  EXPECT_TRUE(saw_enqueued && saw_jobs) << h.out;
}

TEST_F(WalToolInspect, VerifyPassesOnAHealthyLog) {
  const ToolResult r = tool({"verify"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("ok: ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("13 records"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 live envelopes"), std::string::npos) << r.out;
}

TEST_F(WalToolInspect, DamagedMiddleGroupFailsVerifyAndStopsTheBroker) {
  const auto seqs = group_seqs(data_);
  ASSERT_GE(seqs.size(), 3u);
  const uint64_t bad = seqs[1];
  corrupt_group(data_, bad);

  const ToolResult r = tool({"verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("log group " + std::to_string(bad) + " is damaged (checksum mismatch)"),
            std::string::npos)
      << r.out;
  // verify changed nothing: the damaged group is still there, and so is the verdict
  EXPECT_EQ(group_seqs(data_), seqs);
  EXPECT_EQ(tool({"verify"}).out, r.out);
  // the other commands refuse the log too, with the same one-line reason
  const ToolResult st = tool({"stats"});
  EXPECT_EQ(st.code, 1);
  EXPECT_NE(st.err.find("log group " + std::to_string(bad)), std::string::npos) << st.err;

  try {
    BrokerProcess broker({}, data_);
    FAIL() << "symphonyd started on a log damaged before its tail";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("recovery failed"), std::string::npos) << what;
    EXPECT_NE(what.find("log group " + std::to_string(bad)), std::string::npos) << what;
    // and points at this tool, with a --data-dir it accepts
    EXPECT_NE(what.find("symphony-wal verify --data-dir " + data_ + "`"), std::string::npos)
        << what;
  }
}

// RocksDB writes a group atomically, so even the last group is never torn: damage there is
// damage, and it stops the broker like damage anywhere else.
TEST_F(WalToolInspect, DamagedLastGroupFailsVerifyAndStopsTheBroker) {
  const auto seqs = group_seqs(data_);
  const uint64_t last = seqs.back();
  corrupt_group(data_, last);

  const ToolResult r = tool({"verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("log group " + std::to_string(last) + " is damaged"), std::string::npos)
      << r.out;
  EXPECT_EQ(group_seqs(data_), seqs);  // reported, not cut
  EXPECT_EQ(tool({"stats", "--json"}).code, 1);
  try {
    BrokerProcess broker({}, data_);
    FAIL() << "symphonyd started on a log whose last group is damaged";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("log group " + std::to_string(last) + " is damaged"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(group_seqs(data_), seqs);
}

TEST_F(WalToolInspect, MissingGroupFailsVerify) {
  const auto seqs = group_seqs(data_);
  ASSERT_GE(seqs.size(), 3u);
  delete_group(data_, seqs[1]);
  const ToolResult r = tool({"verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("log group " + std::to_string(seqs[1]) + " is missing"), std::string::npos)
      << r.out;
}

TEST_F(WalToolInspect, IllegalRecordIsNamedByGroupIndexTypeAndId) {
  // a well-formed group whose second record acks m3, which was never leased
  wal::RecordBuffer records;
  records.append(wal::IdempotencyKeyRecord{w_->m3, "email", "k3", now_ms()});
  records.append(wal::AckedRecord{w_->m3, now_ms()});
  const uint64_t seq = append_group(data_, records.bytes(), records.count());

  const ToolResult r = tool({"verify"});
  EXPECT_EQ(r.code, 1);
  const std::string id = std::to_string(w_->m3);
  EXPECT_NE(r.out.find("log group " + std::to_string(seq) + " record 1 (acked of message " + id +
                       "): acked of message " + id + " which is pending, not leased"),
            std::string::npos)
      << r.out;
  // dump shows the records up to and including the bad one, then fails
  const ToolResult d = tool({"dump", "--json", "--id", id});
  EXPECT_EQ(d.code, 1);
  const auto lines = json_lines(d.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["type"], "acked");
  EXPECT_NE(d.err.find("log group " + std::to_string(seq) + " record 1"), std::string::npos)
      << d.err;
}

TEST_F(WalToolInspect, UndecodableRecordIsReportedWithWhatCanBeRead) {
  // valid checksum, but the acked record's payload is a byte short
  wal::RecordBuffer records;
  records.append(wal::AckedRecord{w_->m3, now_ms()});
  std::string bytes = records.bytes();
  bytes.pop_back();
  bytes[1] = static_cast<char>(bytes[1] - 1);  // u32 payload length, little-endian
  const uint64_t seq = append_group(data_, bytes, 1);
  const ToolResult r = tool({"verify"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("log group " + std::to_string(seq) + " record 0 (type acked, message " +
                       std::to_string(w_->m3) + ") is damaged"),
            std::string::npos)
      << r.out;
}

TEST_F(WalToolInspect, DumpJsonFiltersByIdQueueTypeAndTime) {
  const ToolResult all = tool({"dump", "--json"});
  ASSERT_EQ(all.code, 0) << all.err;
  const auto records = json_lines(all.out);
  ASSERT_EQ(records.size(), 13u);
  for (const json& j : records) {
    EXPECT_TRUE(j.contains("seq") && j.contains("index") && j.contains("written_at")) << j;
  }

  // --id: the dead message's whole path
  const auto m5 = json_lines(tool({"dump", "--json", "--id", std::to_string(w_->m5)}).out);
  std::vector<std::string> types;
  for (const json& j : m5) {
    EXPECT_EQ(j["id"], w_->m5);
    types.push_back(j["type"]);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"enqueued", "leased", "retry_scheduled", "leased",
                                             "dead_lettered"}));
  ASSERT_EQ(m5.size(), 5u);
  EXPECT_EQ(m5[2]["error"], "smtp timeout");
  EXPECT_EQ(m5[2]["error_class"], "TimeoutError");
  EXPECT_EQ(m5[3]["attempt"], 2);
  EXPECT_EQ(m5[4]["error_class"], "FatalError");

  // the message body: payload and metadata embedded as JSON, headers as an object
  const auto m2 = json_lines(tool({"dump", "--json", "--id", std::to_string(w_->m2)}).out);
  ASSERT_FALSE(m2.empty());
  EXPECT_EQ(m2[0]["type"], "enqueued");
  EXPECT_EQ(m2[0]["queue"], "email");
  EXPECT_EQ(m2[0]["message_type"], "EmailMessage");
  EXPECT_EQ(m2[0]["payload"], (json{{"n", 2}}));
  EXPECT_EQ(m2[0]["metadata"], (json{{"m", 2}}));
  EXPECT_EQ(m2[0]["headers"], (json{{"trace", "t2"}}));

  // --queue: records of envelopes of that queue, though only enqueues name it
  const auto email = json_lines(tool({"dump", "--json", "--queue", "email"}).out);
  EXPECT_EQ(email.size(), 7u);  // 3 enqueued, 2 leased, 2 acked
  for (const json& j : email) {
    EXPECT_TRUE(j["id"] == w_->m1 || j["id"] == w_->m2 || j["id"] == w_->m3) << j;
  }
  EXPECT_EQ(json_lines(tool({"dump", "--json", "--queue", "jobs"}).out).size(), 5u);
  EXPECT_TRUE(json_lines(tool({"dump", "--json", "--queue", "nowhere"}).out).empty());

  // --type
  const auto acked = json_lines(tool({"dump", "--json", "--type", "acked"}).out);
  ASSERT_EQ(acked.size(), 2u);
  EXPECT_EQ(std::set<uint64_t>({acked[0]["id"], acked[1]["id"]}),
            std::set<uint64_t>({w_->m1, w_->m2}));
  EXPECT_TRUE(
      json_lines(tool({"dump", "--json", "--type", "acked", "--queue", "jobs"}).out).empty());

  // --since / --until by group time, as Unix ms or ISO-8601
  const int64_t first = records.front()["written_at_ms"];
  const int64_t last = records.back()["written_at_ms"];
  EXPECT_EQ(json_lines(tool({"dump", "--json", "--since", std::to_string(first)}).out).size(), 13u);
  EXPECT_TRUE(
      json_lines(tool({"dump", "--json", "--until", std::to_string(first - 1)}).out).empty());
  EXPECT_TRUE(json_lines(tool({"dump", "--json", "--since", iso(last + 1)}).out).empty());
  const auto upto_first =
      json_lines(tool({"dump", "--json", "--until", records.front()["written_at"]}).out);
  ASSERT_FALSE(upto_first.empty());
  for (const json& j : upto_first) EXPECT_EQ(j["written_at_ms"], first);

  // bad filters are usage errors, not empty results
  EXPECT_NE(tool({"dump", "--type", "bogus"}).code, 0);
  const ToolResult bad_time = tool({"dump", "--since", "yesterday"});
  EXPECT_NE(bad_time.code, 0);
  EXPECT_NE(bad_time.err.find("is not a time"), std::string::npos) << bad_time.err;
}

TEST_F(WalToolInspect, DumpHumanPrintsOneLinePerRecordWithTruncatedPayloads) {
  const ToolResult r = tool({"dump"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = text_lines(r.out);
  ASSERT_EQ(lines.size(), 13u);
  bool saw_m1 = false, saw_m3 = false;
  for (const std::string& line : lines) {
    if (line.find("enqueued id=" + std::to_string(w_->m1) + " ") != std::string::npos) {
      EXPECT_NE(line.find("queue=email priority=7"), std::string::npos) << line;
      EXPECT_NE(line.find("key=\"k1\""), std::string::npos) << line;
      EXPECT_NE(line.find("type=EmailMessage"), std::string::npos) << line;
      EXPECT_NE(line.find(R"(payload={"n":1})"), std::string::npos) << line;
      saw_m1 = true;
    }
    if (line.find("enqueued id=" + std::to_string(w_->m3) + " ") != std::string::npos) {
      EXPECT_NE(line.find("xxx..."), std::string::npos) << line;
      EXPECT_LT(line.size(), 600u);
      saw_m3 = true;
    }
  }
  EXPECT_TRUE(saw_m1 && saw_m3) << r.out;
}

TEST_F(WalToolInspect, HistoryTellsTheTimelineOfAnAckedAndADeadMessage) {
  const ToolResult acked = tool({"history", std::to_string(w_->m1)});
  ASSERT_EQ(acked.code, 0) << acked.err;
  const auto a = text_lines(acked.out);
  ASSERT_EQ(a.size(), 5u) << acked.out;  // title, 3 events, state
  EXPECT_NE(a[1].find("enqueued to queue email, priority 7"), std::string::npos) << a[1];
  EXPECT_NE(a[2].find("leased to consumer"), std::string::npos) << a[2];
  EXPECT_NE(a[2].find("(attempt 1)"), std::string::npos) << a[2];
  EXPECT_NE(a[3].find("acked"), std::string::npos) << a[3];
  EXPECT_EQ(a[4], "current state: gone (acked)");

  const ToolResult dead = tool({"history", std::to_string(w_->m5)});
  ASSERT_EQ(dead.code, 0) << dead.err;
  EXPECT_NE(dead.out.find("retry scheduled: attempt 1 failed (TimeoutError: smtp timeout), "
                          "available at "),
            std::string::npos)
      << dead.out;
  EXPECT_NE(dead.out.find("(attempt 2)"), std::string::npos) << dead.out;
  EXPECT_NE(dead.out.find("dead-lettered after attempt 2 (FatalError: bad address)"),
            std::string::npos)
      << dead.out;
  EXPECT_NE(dead.out.find("current state: dead in queue jobs (attempts 2, failures 2)"),
            std::string::npos)
      << dead.out;

  const ToolResult delayed = tool({"history", std::to_string(w_->m4)});
  EXPECT_NE(delayed.out.find("current state: pending in queue sms, delayed until"),
            std::string::npos)
      << delayed.out;

  const ToolResult unknown = tool({"history", "999"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_TRUE(unknown.out.empty());
  EXPECT_NE(unknown.err.find("message 999 does not appear"), std::string::npos) << unknown.err;
}

TEST_F(WalToolInspect, EveryCommandRefusesARunningBrokersDirectory) {
  const auto seqs = group_seqs(data_);
  const std::string into = dir_.sub("replayed");
  {
    BrokerProcess broker({}, data_);
    const std::string expected = "is in use by another process (pid " +
                                 std::to_string(broker.pid()) + "): stop that symphonyd first";
    const std::vector<std::vector<std::string>> commands{
        {"stats"},        {"stats", "--json"},        {"verify"}, {"dump"}, {"dump", "--json"},
        {"history", "1"}, {"replay", "--into", into}, {"compact"}};
    for (const auto& command : commands) {
      const ToolResult r = tool(command);
      EXPECT_EQ(r.code, 2) << command[0];
      EXPECT_NE(r.err.find(expected), std::string::npos) << command[0] << ": " << r.err;
      EXPECT_TRUE(r.out.empty()) << command[0] << ": " << r.out;
    }
    EXPECT_FALSE(fs::exists(into));
    EXPECT_EQ(broker.terminate(), 0);
  }
  EXPECT_EQ(group_seqs(data_), seqs);  // compact did not run
}

TEST(WalToolErrors, MissingOrForeignDirectoriesAreOneLineErrorsAndStayUntouched) {
  TempDir dir;
  const std::string missing = dir.sub("missing");
  const ToolResult r = wal_tool(missing, {"stats"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no data directory"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(missing));

  const std::string empty = dir.sub("empty");
  fs::create_directory(empty);
  const ToolResult e = wal_tool(empty, {"verify"});
  EXPECT_EQ(e.code, 1);
  EXPECT_NE(e.err.find("no Symphony log"), std::string::npos) << e.err;
  EXPECT_FALSE(fs::exists(empty + "/log"));

  // the log directory itself instead of the data directory: refused before anything is locked
  const std::string data = dir.sub("data");
  copy_workload(data);
  const ToolResult l = wal_tool(data + "/log", {"verify"});
  EXPECT_EQ(l.code, 1);
  EXPECT_NE(l.err.find("give the data directory that holds it (--data-dir " + data + ")"),
            std::string::npos)
      << l.err;
  EXPECT_FALSE(fs::exists(data + "/log/symphony.lock"));

  // a log directory RocksDB cannot open: an error line, not a crash
  const std::string garbage = dir.sub("garbage");
  fs::create_directories(garbage + "/log");
  std::ofstream(garbage + "/log/CURRENT") << "MANIFEST-000099\n";
  for (const char* command : {"stats", "verify", "dump", "compact"}) {
    const ToolResult g = wal_tool(garbage, {command});
    EXPECT_EQ(g.code, 1) << command;
    EXPECT_EQ(text_lines(g.err).size(), 1u) << command << ": " << g.err;
  }
}

}  // namespace
}  // namespace symphony::testing
