// The admin API against browsers (cross-site requests, DNS rebinding), --insecure's warning and
// the auth throttle, against the real symphonyd. Each test replays a finding of issue 11 that
// the broker got wrong before.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "protocol/control.h"
#include "protocol/frame_decoder.h"
#include "protocol/handshake.h"
#include "tests/admin/admin_test_support.h"
#include "tests/e2e/raw_socket.h"
#include "tests/support/text_lines.h"

namespace symphony::testing {
namespace {

using nlohmann::json;
using protocol::ErrorCode;

/// One raw HTTP/1.1 request with exactly the headers given (plus Content-Length).
std::string raw_request(const std::string& method, const std::string& target,
                        const std::vector<std::string>& headers, const std::string& body = "") {
  std::string r = method + " " + target + " HTTP/1.1\r\n";
  for (const auto& h : headers) r += h + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return r;
}

size_t schedule_count(HttpClient& http) {
  return http.get("/schedules").json()["schedules"].size();
}

// Before: with no token (the loopback default) a text/plain POST with a foreign Origin created a
// schedule (201): any web page open on the machine could do what the admin API does.
TEST(AdminCrossSite, ABrowserOnAnotherOriginChangesNothing) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  const std::string host = "Host: 127.0.0.1:" + std::to_string(broker.admin_port());
  const std::string schedule = R"({"type": "Evil", "interval_ms": 1000})";
  ASSERT_TRUE(connect_client(broker)
                  ->dispatch({"Kept", "{}"}, client::DispatchOptions().with_queue("kept"))
                  .ok());

  struct Case {
    std::string request;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           // what a form or fetch(no-cors) on evil.example sends: no preflight needed
           {raw_request("POST", "/schedules",
                        {host, "Origin: http://evil.example", "Content-Type: text/plain"},
                        schedule),
            "Origin"},
           {raw_request("POST", "/schedules", {host, "Content-Type: text/plain"}, schedule),
            "Content-Type"},
           {raw_request("POST", "/schedules",
                        {host, "Content-Type: application/x-www-form-urlencoded"}, schedule),
            "Content-Type"},
           {raw_request("POST", "/schedules", {host, "Content-Type: multipart/form-data; b=x"},
                        schedule),
            "Content-Type"},
           {raw_request("POST", "/schedules", {host}, schedule), "Content-Type"},
           // a JSON body from a foreign origin, or one the browser marks as another site's
           {raw_request("POST", "/schedules",
                        {host, "Origin: http://evil.example", "Content-Type: application/json"},
                        schedule),
            "Origin"},
           {raw_request("POST", "/schedules",
                        {host, "Origin: null", "Content-Type: application/json"}, schedule),
            "Origin"},
           {raw_request("POST", "/schedules",
                        {host, "Sec-Fetch-Site: same-site", "Content-Type: application/json"},
                        schedule),
            "Sec-Fetch-Site"},
           // bodiless changes need the type too
           {raw_request("POST", "/queues/kept/purge", {host}), "Content-Type"},
           {raw_request("DELETE", "/failed?all=true", {host, "Content-Type: text/plain"}),
            "Content-Type"},
           {raw_request("POST", "/backup",
                        {host, "Origin: http://evil.example", "Content-Type: text/plain"},
                        R"({"name": "stolen"})"),
            "Origin"},
       }) {
    const HttpReply r = http.send_raw(c.request);
    EXPECT_EQ(r.status, 403) << c.request << "\n" << r.body;
    EXPECT_EQ(r.json()["error"], c.field == "Content-Type" ? "content_type" : "cross_site");
    EXPECT_EQ(r.json()["field"], c.field) << r.body;
  }
  EXPECT_EQ(schedule_count(http), 0u) << "a refused request created a schedule";
  EXPECT_EQ(http.get("/status").json()["queues"]["kept"]["ready"], 1) << "a refused purge ran";
  EXPECT_FALSE(std::filesystem::exists(broker.data_dir() + "/backups/stolen"));

  // another site may link to the dashboard, but not load the API from its page
  EXPECT_EQ(
      http.send_raw(raw_request("GET", "/",
                                {host, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: navigate"}))
          .status,
      200);
  EXPECT_EQ(
      http.send_raw(raw_request("GET", "/status",
                                {host, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors"}))
          .status,
      403);

  // the broker's own page (same origin, JSON) and curl-like clients (no Origin) still work
  const HttpReply own = http.send_raw(
      raw_request("POST", "/schedules",
                  {host, "Origin: http://127.0.0.1:" + std::to_string(broker.admin_port()),
                   "Sec-Fetch-Site: same-origin", "Content-Type: application/json; charset=utf-8"},
                  schedule));
  EXPECT_EQ(own.status, 201) << own.body;
  EXPECT_EQ(http.post("/queues/kept/purge").status, 200) << "HttpClient sends the JSON type";
  EXPECT_EQ(schedule_count(http), 1u);
}

// Before: a page on evil.example whose DNS name was re-pointed at 127.0.0.1 was same-origin with
// the admin API as far as the browser could tell, and was answered.
TEST(AdminCrossSite, DnsRebindingIsRefusedByTheHostHeader) {
  BrokerProcess broker;
  const std::string port = std::to_string(broker.admin_port());
  HttpClient http(broker.admin_port());
  // the rebinding page's own requests: Host and Origin agree, both evil.example
  for (const std::string& evil : {std::string("evil.example"), "evil.example:" + port}) {
    for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/status"}, {"GET", "/health"}, {"GET", "/"}, {"POST", "/schedules"}}) {
      const HttpReply r = http.request(
          method, target, method == "POST" ? R"({"type": "Evil", "interval_ms": 1000})" : "",
          {{"Host", evil}, {"Origin", "http://" + evil}});
      EXPECT_EQ(r.status, 421) << method << " " << target << " Host " << evil << ": " << r.body;
      EXPECT_EQ(r.json()["error"], "misdirected_request");
      EXPECT_EQ(r.json()["field"], "Host");
    }
  }
  EXPECT_EQ(schedule_count(http), 0u);
  // addresses and localhost, with or without the port, are the broker's own
  for (const std::string& ok : {std::string("127.0.0.1"), "127.0.0.1:" + port,
                                std::string("localhost"), "localhost:" + port, "[::1]:" + port}) {
    EXPECT_EQ(http.get("/status", {{"Host", ok}}).status, 200) << ok;
  }
  EXPECT_EQ(http.send_raw("GET /health HTTP/1.1\r\n\r\n").status, 400) << "HTTP/1.1 needs Host";

  // a name the operator lists is served; others still are not
  BrokerProcess named({"--admin-allowed-host", "broker.internal"});
  HttpClient n(named.admin_port());
  EXPECT_EQ(
      n.get("/status", {{"Host", "broker.internal:" + std::to_string(named.admin_port())}}).status,
      200);
  EXPECT_EQ(n.get("/status", {{"Host", "evil.example"}}).status, 421);
  ConfiguredBroker toml("[admin]\nallowed_hosts = [\"Symphony.Lan\"]\n");
  HttpClient t(toml.broker.admin_port());
  EXPECT_EQ(t.get("/status", {{"Host", "symphony.lan"}}).status, 200);
  EXPECT_EQ(t.get("/status", {{"Host", "broker.internal"}}).status, 421);
}

// Before: --insecure on 0.0.0.0 started without a word.
TEST(AdminInsecure, InsecureWarnsOnEveryStart) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  auto start = [&](const std::vector<std::string>& extra) {
    const std::string port_file = dir.path() + "/port";
    std::filesystem::remove(port_file);
    std::vector<std::string> argv{BrokerProcess::symphonyd_path(), "--data-dir", data,
                                  "--port-file", port_file};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto p = std::make_unique<Spawned>(argv);
    EXPECT_NE(wait_for_port_file(port_file), 0) << p->output();
    p->signal(SIGTERM);
    EXPECT_EQ(p->wait_exit(10s), 0) << p->output();
    return p->output();
  };
  const std::vector<std::string> exposed{"--listen", "0.0.0.0:0", "--admin-listen", "0.0.0.0:0",
                                         "--insecure"};
  for (int run = 0; run < 2; ++run) {  // every start, not only the first
    const std::string log = start(exposed);
    bool warned = false;
    for (const std::string& line : text_lines(log)) {
      warned |= line.find("[server] [warning]") != std::string::npos &&
                line.find("WITHOUT AUTHENTICATION on 0.0.0.0:0 and 0.0.0.0:0 (admin API)") !=
                    std::string::npos &&
                line.find("only safe on a network where every host and user is trusted") !=
                    std::string::npos;
    }
    EXPECT_TRUE(warned) << "start " << run << ":\n" << log;
  }
  // with a token the flag changes nothing, and it still says so
  const std::string with_token = start({"--listen", "0.0.0.0:0", "--admin-listen", "0.0.0.0:0",
                                        "--insecure", "--auth-token", "t0ken"});
  EXPECT_NE(with_token.find("changes nothing now (auth tokens are set)"), std::string::npos)
      << with_token;
  const std::string quiet = start({"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"});
  EXPECT_EQ(quiet.find("insecure"), std::string::npos) << quiet;
}

/// The next whole frame from `s` (its body views `buffer`), or nullopt when the connection ends
/// or 10 s pass first.
std::optional<protocol::Frame> next_frame(RawSocket& s, std::string& buffer) {
  protocol::FrameDecoder dec;
  for (;;) {
    const auto r = dec.decode(buffer);
    if (r.status == protocol::FrameDecoder::Status::kComplete) return r.frame;
    if (r.status == protocol::FrameDecoder::Status::kMalformed) return std::nullopt;
    const std::string more = s.read_some(1, 10s);
    if (more.empty()) return std::nullopt;
    buffer += more;
  }
}

/// HELLO with `token` on a fresh connection: the code of its answer (kOk for WELCOME).
ErrorCode hello(const BrokerProcess& broker, const std::string& token) {
  RawSocket s(broker.port());
  std::string out;
  protocol::encode_hello(out, 1, {protocol::kProtocolVersion, "guesser", token});
  s.send(out);
  std::string buffer;
  const auto f = next_frame(s, buffer);
  if (!f) return ErrorCode::kInternal;
  if (f->opcode == protocol::Opcode::kWelcome) return ErrorCode::kOk;
  protocol::ErrorFrame e;
  if (!protocol::decode_error(f->body, e).ok()) return ErrorCode::kInternal;
  return e.code;
}

/// The `net`/`admin` warning lines about auth failures, in order.
std::vector<std::string> auth_failure_lines(const std::string& log) {
  std::vector<std::string> out;
  for (const std::string& line : text_lines(log)) {
    if (line.find("auth failure from ") != std::string::npos) out.push_back(line);
  }
  return out;
}

// Before: nothing slowed a client that guessed tokens. Now, after 3 failures from one address,
// each answer waits 250 ms, 500 ms, 1 s, ... (AuthThrottle has the exact schedule under an
// injected clock); here the broker's own report of each delay is checked, and time only as a
// generous lower bound.
TEST(AdminAuthThrottle, RepeatedWrongHellosFromOneAddressAreAnsweredSlower) {
  BrokerProcess broker({"--auth-token", "secret"});
  std::vector<std::chrono::milliseconds> took;
  for (int i = 0; i < 6; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(hello(broker, "guess-" + std::to_string(i)), ErrorCode::kAuthFailed) << i;
    took.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0));
  }
  EXPECT_GE(took[5], 500ms) << "the sixth answer was to wait 1000 ms";
  std::vector<std::string> lines = auth_failure_lines(broker.log());
  ASSERT_EQ(lines.size(), 6u) << broker.log();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(lines[i].find("delayed"), std::string::npos) << lines[i];
  EXPECT_NE(lines[3].find("4 recent failures from 127.0.0.1; answer delayed 250 ms"),
            std::string::npos)
      << lines[3];
  EXPECT_NE(lines[4].find("answer delayed 500 ms"), std::string::npos) << lines[4];
  EXPECT_NE(lines[5].find("answer delayed 1000 ms"), std::string::npos) << lines[5];

  // the right token still works from the slowed address (after its delay), and resets it
  const auto t0 = std::chrono::steady_clock::now();
  auto c = connect_client(broker, "secret");
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1000ms) << "it waited like a wrong one";
  EXPECT_TRUE(c->dispatch({"Allowed", "{}"}).ok());
  EXPECT_NE(broker.log().find("accepted after a delay of 2000 ms"), std::string::npos)
      << broker.log();
  EXPECT_EQ(hello(broker, "wrong-again"), ErrorCode::kAuthFailed);
  lines = auth_failure_lines(broker.log());
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_NE(lines[6].find("1 recent failures"), std::string::npos) << lines[6];
  EXPECT_EQ(lines[6].find("delayed"), std::string::npos) << lines[6];

  // the admin API shares the count per address
  HttpClient http(broker.admin_port());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(http.get("/status", bearer("nope")).status, 401);
  lines = auth_failure_lines(broker.log());
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_NE(lines[9].find("(admin API): wrong token; 4 recent failures from 127.0.0.1; answer "
                          "delayed 250 ms"),
            std::string::npos)
      << lines[9];
  // a request with no token at all is refused and counted, but it guesses nothing: it is
  // answered at once and adds nothing to the address's count (a dashboard's first request)
  EXPECT_EQ(http.get("/status").status, 401);
  lines = auth_failure_lines(broker.log());
  ASSERT_EQ(lines.size(), 11u);
  EXPECT_NE(lines[10].find("(admin API): no Authorization header"), std::string::npos) << lines[10];
  EXPECT_EQ(lines[10].find("delayed"), std::string::npos) << lines[10];

  // while an answer is held, the connection can do nothing else: a pipelined frame ends it
  // before the HELLO is answered
  {
    RawSocket s(broker.port());
    std::string out;
    protocol::encode_hello(out, 1, {protocol::kProtocolVersion, "pipeliner", "guess-p"});
    protocol::encode_ping(out, 2, 7);
    s.send(out);
    std::string buffer;
    const auto f = next_frame(s, buffer);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->opcode, protocol::Opcode::kError);
    EXPECT_EQ(f->request_id, 2u) << "the PING's error, not the HELLO's answer";
    buffer.erase(0, protocol::kFrameHeaderBytes + f->body.size());
    EXPECT_FALSE(next_frame(s, buffer).has_value()) << "nothing after it: the connection closed";
  }

  // both doors' failures (6 + 1 HELLOs, 3 + 1 admin, the pipelined HELLO), and the answers held
  // back: HELLOs 4-6, the good HELLO, the third admin 401, the pipelined HELLO and this scrape
  const auto m = scrape(http, bearer("secret"));
  EXPECT_EQ(sample(m, "symphony_auth_failures_total"), 12);
  EXPECT_EQ(sample(m, "symphony_auth_throttled_total"), 7);
  EXPECT_EQ(broker.log().find("secret"), std::string::npos) << "a token reached the log";
}

}  // namespace
}  // namespace symphony::testing
