// The broker's log (--log-format, --log-level, the admin access log) and a SIGTERM drain with
// an admin keep-alive connection open, against the real symphonyd.
#include <gtest/gtest.h>

#include <regex>

#include "tests/admin/admin_test_support.h"
#include "tests/support/text_lines.h"

namespace symphony::testing {
namespace {

using nlohmann::json;

/// Every line of `log` as a JSON object with the four fields (test failures for the rest).
std::vector<json> json_log(const std::string& log) {
  static const std::regex kTime(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  std::vector<json> out;
  for (const std::string& line : text_lines(log)) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      ADD_FAILURE() << "not a JSON object: " << line;
      continue;
    }
    for (const char* key : {"time", "level", "logger", "msg"}) {
      EXPECT_TRUE(j.contains(key) && j[key].is_string()) << key << " missing in " << line;
    }
    if (j.size() != 4 || !j["time"].is_string() || !j["logger"].is_string()) continue;
    EXPECT_TRUE(std::regex_match(j["time"].get<std::string>(), kTime)) << line;
    static const std::set<std::string> kLoggers = {"server", "net", "storage", "admin",
                                                   "symphonyd"};
    EXPECT_TRUE(kLoggers.count(j["logger"].get<std::string>())) << line;
    out.push_back(j);
  }
  return out;
}

/// The first entry of `logger` at `level` whose msg contains every one of `parts`.
std::optional<json> find_entry(const std::vector<json>& entries, const std::string& logger,
                               const std::string& level, const std::vector<std::string>& parts) {
  for (const json& j : entries) {
    if (j.value("logger", "") != logger || j.value("level", "") != level) continue;
    const std::string msg = j.value("msg", "");
    bool all = true;
    for (const auto& p : parts) all = all && msg.find(p) != std::string::npos;
    if (all) return j;
  }
  return std::nullopt;
}

TEST(AdminLogging, JsonFormatEscapesAndCarriesTheAccessLog) {
  // a client name holding a quote and a newline: the net log names it at debug level
  const std::string weird = "we\"ird\nname";
  BrokerProcess broker({"--log-format", "json", "--log-level", "debug"});
  HttpClient http(broker.admin_port());
  ASSERT_EQ(http.get("/health").status, 200);
  ASSERT_EQ(http.get("/no%22such%0Apath").status, 404);
  const HttpReply backup = http.post("/backup", json{{"name", "logged"}}.dump());
  ASSERT_EQ(backup.status, 200) << backup.body;
  {
    client::ClientOptions o;
    o.port = broker.port();
    o.client_name = weird;
    ASSERT_TRUE(client::Client::connect(o)->dispatch({"Logged", "{}"}).ok());
  }
  ASSERT_EQ(broker.terminate(), 0);

  const std::string log = broker.log();
  const auto entries = json_log(log);
  ASSERT_FALSE(entries.empty()) << log;
  EXPECT_EQ(entries.size(), text_lines(log).size()) << "every line is one JSON object:\n" << log;

  const auto health = find_entry(entries, "admin", "debug", {"\"GET /health\"", " 200 "});
  EXPECT_TRUE(health.has_value()) << "no access log line for GET /health:\n" << log;
  const auto quoted = find_entry(entries, "admin", "debug", {"\"GET /no%22such%0Apath\"", " 404 "});
  EXPECT_TRUE(quoted.has_value()) << log;
  const auto started = find_entry(entries, "storage", "info", {"backup to ", " started"});
  ASSERT_TRUE(started.has_value()) << log;
  EXPECT_EQ((*started)["msg"], "backup to " + backup.json()["path"].get<std::string>() + " started");
  const auto hello = find_entry(entries, "net", "debug", {"HELLO from '"});
  ASSERT_TRUE(hello.has_value()) << log;
  EXPECT_NE((*hello)["msg"].get<std::string>().find("'" + weird + "'"), std::string::npos)
      << "the quote and the newline survive the JSON round trip: " << (*hello)["msg"];
  EXPECT_TRUE(find_entry(entries, "server", "info", {"listening"}).has_value()) << log;
  EXPECT_TRUE(find_entry(entries, "server", "info", {"stopped"}).has_value()) << log;
}

TEST(AdminLogging, AccessLogIsAtDebugLevelOnly) {
  BrokerProcess quiet;  // default: text at info
  HttpClient q(quiet.admin_port());
  ASSERT_EQ(q.get("/health").status, 200);
  // the access line is written before the response is sent, so it would be there by now
  EXPECT_EQ(quiet.log().find("\"GET /health\""), std::string::npos) << quiet.log();
  EXPECT_NE(quiet.log().find("[server] [info]"), std::string::npos) << quiet.log();

  BrokerProcess verbose({"--log-level", "debug"});
  HttpClient v(verbose.admin_port());
  ASSERT_EQ(v.get("/status?minutes=1").status, 200);
  bool found = false;
  for (const std::string& line : text_lines(verbose.log())) {
    found |= line.find("[admin] [debug]") != std::string::npos &&
             line.find("\"GET /status?minutes=1\" 200") != std::string::npos;
  }
  EXPECT_TRUE(found) << verbose.log();
}

TEST(AdminLogging, AuthFailuresAreLoggedWithAddressAndReasonButNotTheTokenAndCounted) {
  BrokerProcess broker({"--auth-token", "topsecret", "--log-format", "json"});
  HttpClient http(broker.admin_port());
  ASSERT_EQ(http.get("/status", bearer("guess-one")).status, 401);
  ASSERT_EQ(http.get("/status", {{"Authorization", "Basic guess-three"}}).status, 401);
  EXPECT_THROW(connect_client(broker, "guess-two"), client::ClientError);
  EXPECT_THROW(connect_client(broker, ""), client::ClientError);
  // both doors count, in the same counter
  EXPECT_EQ(sample(scrape(http, bearer("topsecret")), "symphony_auth_failures_total"), 4);
  ASSERT_EQ(broker.terminate(), 0);
  const std::string log = broker.log();
  const auto entries = json_log(log);
  for (const auto& [logger, parts] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"admin", {"auth failure from 127.0.0.1:", "(admin API): wrong token"}},
           {"admin", {"auth failure from 127.0.0.1:", "(admin API): Authorization is not Bearer"}},
           {"net", {"auth failure from 127.0.0.1:", "(HELLO): wrong token"}},
           {"net", {"auth failure from 127.0.0.1:", "(HELLO): no token"}},
       }) {
    EXPECT_TRUE(find_entry(entries, logger, "warning", parts).has_value())
        << logger << ": " << parts[1] << "\n"
        << log;
  }
  for (const char* secret : {"topsecret", "guess-one", "guess-two", "guess-three"}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked into the log:\n" << log;
  }
}

TEST(AdminLogging, AStartFailureIsLoggedAsJsonToo) {
  BrokerProcess first;
  // a second broker on the same data directory stops at the lock, after logging is set up
  Spawned second({BrokerProcess::symphonyd_path(), "--listen", "127.0.0.1:0", "--admin-listen",
                  "127.0.0.1:0", "--data-dir", first.data_dir(), "--log-format", "json"});
  EXPECT_EQ(second.wait_exit(20s), 1) << second.output();
  const auto entries = json_log(second.output());
  ASSERT_EQ(entries.size(), text_lines(second.output()).size()) << second.output();
  EXPECT_TRUE(find_entry(entries, "server", "critical", {"in use"}).has_value()) << second.output();
}

TEST(AdminLogging, BytesThatAreNotUtf8KeepEveryLineValidJson) {
  BrokerProcess broker({"--auth-token", "secret", "--log-format", "json"});
  HttpClient http(broker.admin_port());
  // refused for want of a token: logged at info with the raw target
  const HttpReply r = http.send_raw("GET /status?x=\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(r.status, 401);
  ASSERT_EQ(broker.terminate(), 0);
  const std::string log = broker.log();
  const auto entries = json_log(log);
  EXPECT_EQ(entries.size(), text_lines(log).size()) << log;
  EXPECT_TRUE(find_entry(entries, "admin", "warning", {"no Authorization header"}).has_value())
      << log;
}

TEST(AdminShutdown, SigtermDrainsWithAnAdminKeepAliveConnectionOpen) {
  // a long grace period: exiting quickly shows the admin connection does not hold up the drain
  BrokerProcess broker({"--shutdown-grace-ms", "30000"});
  HttpClient http(broker.admin_port());
  ASSERT_EQ(http.get("/health").status, 200);
  ASSERT_TRUE(http.connected()) << "the connection is kept alive";
  auto c = connect_client(broker);
  ASSERT_TRUE(c->dispatch({"Kept", "{}"}).ok());

  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(broker.terminate(std::chrono::seconds(10)), 0) << broker.log();
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, std::chrono::seconds(5)) << broker.log();
  EXPECT_TRUE(http.server_closes_connection(2s));
  EXPECT_EQ(broker.log().find("did not drain"), std::string::npos) << broker.log();
}

}  // namespace
}  // namespace symphony::testing
