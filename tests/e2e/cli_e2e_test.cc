// The `symphony` CLI against the real symphonyd: dispatch, consume and stats print JSON lines;
// errors go to stderr with a non-zero exit.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/broker_process.h"
#include "tests/support/text_lines.h"

namespace symphony::testing {
namespace {

using nlohmann::json;

TEST(CliE2E, DispatchConsumeAndStats) {
  BrokerProcess broker;
  auto d1 = run_cli(broker, {"dispatch", "--type", "EmailMessage", "--payload", R"({"to":"a@b.c"})",
                             "--queue", "email", "--priority", "7", "--header", "trace=xyz"});
  ASSERT_EQ(d1.code, 0) << d1.err;
  const auto r1 = json::parse(d1.out);
  EXPECT_EQ(r1["queue"], "email");
  EXPECT_EQ(r1["duplicate"], false);
  EXPECT_EQ(r1["status"], "pending");
  auto d2 = run_cli(broker, {"dispatch", "--type", "Low", "--payload", R"({"n":2})", "--queue",
                             "email", "--priority", "2"});
  ASSERT_EQ(d2.code, 0) << d2.err;

  auto st = run_cli(broker, {"stats"});
  ASSERT_EQ(st.code, 0) << st.err;
  const auto stats = json::parse(st.out);
  EXPECT_EQ(stats["queues"]["email"]["ready"], 2);
  EXPECT_EQ(stats["queues"]["email"]["delayed"], 0);
  EXPECT_EQ(stats["queues"]["email"]["in_flight"], 0);
  EXPECT_EQ(stats["queues"]["email"]["dead"], 0);

  auto c = run_cli(broker, {"consume", "--queue", "email", "--count", "2"});
  ASSERT_EQ(c.code, 0) << c.err;
  const auto lines = json_lines(c.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["type"], "EmailMessage");  // priority 7 before 2
  EXPECT_EQ(lines[0]["priority"], 7);
  EXPECT_EQ(lines[0]["attempt"], 1);
  EXPECT_EQ(lines[0]["id"], r1["id"]);
  EXPECT_EQ(lines[0]["payload"]["to"], "a@b.c");
  EXPECT_EQ(lines[0]["headers"]["trace"], "xyz");
  EXPECT_EQ(lines[0]["headers"]["message-type"], "EmailMessage");
  EXPECT_EQ(lines[0]["headers"]["message-id"], std::to_string(r1["id"].get<uint64_t>()));
  EXPECT_TRUE(lines[0]["headers"].contains("dispatched-at"));
  EXPECT_EQ(lines[1]["type"], "Low");

  const auto after = json::parse(run_cli(broker, {"stats", "--queue", "email"}).out);
  EXPECT_EQ(after["queues"]["email"]["ready"], 0);
  EXPECT_EQ(after["queues"]["email"]["acked_total"], 2);
}

TEST(CliE2E, ConsumeWithNackFatalDeadLetters) {
  BrokerProcess broker;
  ASSERT_EQ(run_cli(broker, {"dispatch", "--type", "T", "--queue", "f"}).code, 0);
  auto c = run_cli(broker, {"consume", "--queue", "f", "--count", "1", "--nack-fatal"});
  ASSERT_EQ(c.code, 0) << c.err;
  const auto stats = json::parse(run_cli(broker, {"stats", "--queue", "f"}).out);
  EXPECT_EQ(stats["queues"]["f"]["dead"], 1);
}

TEST(CliE2E, ConsumeReleasesWhatItPrefetchedBeyondCount) {
  BrokerProcess broker;
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(run_cli(broker, {"dispatch", "--type", "T", "--queue", "p"}).code, 0);
  auto c = run_cli(broker, {"consume", "--queue", "p", "--count", "2", "--prefetch", "5"});
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(json_lines(c.out).size(), 2u);
  const auto stats = json::parse(run_cli(broker, {"stats", "--queue", "p"}).out);
  EXPECT_EQ(stats["queues"]["p"]["ready"], 3);
  EXPECT_EQ(stats["queues"]["p"]["in_flight"], 0);
  auto rest = run_cli(broker, {"consume", "--queue", "p", "--count", "3"});
  ASSERT_EQ(rest.code, 0) << rest.err;
  for (const auto& line : json_lines(rest.out)) {
    EXPECT_EQ(line["attempt"], 1) << "a released prefetch must not count as an attempt";
  }
}

TEST(CliE2E, SymphonydHelpShowsTheFlagsWithTheirDefaults) {
  std::string out;
  ASSERT_EQ(run_command({BrokerProcess::symphonyd_path(), "--help"}, out), 0);
  for (const char* expected : {"--listen", "127.0.0.1:7400", "--data-dir", "./data", "--log-level",
                               "info", "--fsync", "always"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << "--help lacks " << expected << ":\n" << out;
  }
}

TEST(CliE2E, ErrorsGoToStderrWithNonZeroExit) {
  BrokerProcess broker;
  auto bad = run_cli(broker, {"dispatch", "--type", "T", "--payload", "[1]"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(bad.out.empty());
  EXPECT_EQ(json::parse(bad.err)["error"], "INVALID_PAYLOAD");
  auto prio = run_cli(broker, {"dispatch", "--type", "T", "--priority", "0"});
  EXPECT_EQ(prio.code, 0) << "priority 0 means the default";
  auto prio11 = run_cli(broker, {"dispatch", "--type", "T", "--priority", "11"});
  EXPECT_EQ(prio11.code, 2);
  EXPECT_EQ(json::parse(prio11.err)["error"], "PRIORITY_OUT_OF_RANGE");

  auto none = run_cli(broker, {"consume", "--queue", "empty", "--count", "1"}, 300);
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("received 0 of 1"), std::string::npos) << none.err;

  std::string out, err;
  const int code = run_command(
      {BrokerProcess::cli_path(), "--server", "127.0.0.1:1", "--timeout-ms", "2000", "stats"}, out,
      &err);
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("cannot connect"), std::string::npos) << err;
}

}  // namespace
}  // namespace symphony::testing
