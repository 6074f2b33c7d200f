// Authentication on both ports against the real symphonyd: HELLO's token on the binary protocol,
// Authorization: Bearer on the admin API (except the probes and the page), the failure counter,
// and the refusal to listen beyond loopback without a token.
#include <gtest/gtest.h>

#include <cstdlib>

#include "protocol/control.h"
#include "protocol/frame_decoder.h"
#include "protocol/handshake.h"
#include "tests/admin/admin_test_support.h"
#include "tests/e2e/raw_socket.h"

namespace symphony::testing {
namespace {

using client::ClientError;
using client::DispatchOptions;
using protocol::ErrorCode;

/// The next whole frame from `s` (read byte by byte: frames here are tiny; its body views
/// `buffer`), or nullopt when the connection ends or 5 s pass first.
std::optional<protocol::Frame> next_frame(RawSocket& s, std::string& buffer) {
  protocol::FrameDecoder dec;
  for (;;) {
    const auto r = dec.decode(buffer);
    if (r.status == protocol::FrameDecoder::Status::kComplete) return r.frame;
    if (r.status == protocol::FrameDecoder::Status::kMalformed) return std::nullopt;
    const std::string more = s.read_some(1, 5s);
    if (more.empty()) return std::nullopt;
    buffer += more;
  }
}

/// Sends HELLO with `token` on a raw socket. Returns the ERROR code that came back, and whether
/// the broker then closed the connection; or kOk if a WELCOME came and a PING still gets its
/// PONG on the same connection.
ErrorCode raw_hello(const BrokerProcess& broker, const std::string& token, bool& closed) {
  RawSocket s(broker.port());
  std::string out;
  protocol::encode_hello(out, 9, {protocol::kProtocolVersion, "raw", token});
  s.send(out);
  std::string buffer;
  const auto f = next_frame(s, buffer);
  if (!f) {
    ADD_FAILURE() << "no reply to HELLO";
    return ErrorCode::kInternal;
  }
  EXPECT_EQ(f->request_id, 9u);
  if (f->opcode == protocol::Opcode::kError) {
    protocol::ErrorFrame e;
    EXPECT_TRUE(protocol::decode_error(f->body, e).ok());
    EXPECT_FALSE(e.message.empty());
    s.read_until_close(5s, &closed);
    return e.code;
  }
  EXPECT_EQ(f->opcode, protocol::Opcode::kWelcome);
  out.clear();
  protocol::encode_ping(out, 10, 42);
  s.send(out);
  buffer.clear();
  const auto pong = next_frame(s, buffer);
  closed = !pong;
  if (pong) {
    EXPECT_EQ(pong->opcode, protocol::Opcode::kPong);
  }
  return ErrorCode::kOk;
}

/// Connecting with `token` must fail with AUTH_FAILED (not a transport error).
void expect_refused(const BrokerProcess& broker, const std::string& token) {
  try {
    auto c = connect_client(broker, token);
    c->dispatch({"Sneaky", "{}"});
    ADD_FAILURE() << "token '" << token << "' was accepted";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kAuthFailed) << e.what();
    EXPECT_EQ(static_cast<int>(e.code()), 200);
    EXPECT_FALSE(e.transport()) << e.what();
  }
}

TEST(AdminAuth, TokensGuardBothPortsAndFailuresAreCounted) {
  // twenty failures from one address: the throttle (AuthThrottle, tested on its own) is off here
  ConfiguredBroker b("[auth]\nmax_delay_ms = 0\n",
                     {"--auth-token", "secret", "--auth-token", "second"});
  const BrokerProcess& broker = b.broker;
  HttpClient http(broker.admin_port());
  int failures = 0;

  // binary protocol: either configured token works
  for (const char* token : {"secret", "second"}) {
    auto c = connect_client(broker, token);
    const auto r = c->dispatch({"Job", "{}"}, DispatchOptions().with_queue("authq"));
    EXPECT_TRUE(r.ok()) << token;
  }
  for (const char* token : {"wrong", "", "secre", "secrets"}) {
    expect_refused(broker, token);
    ++failures;
  }
  for (const char* token : {"wrong", ""}) {
    bool closed = false;
    EXPECT_EQ(raw_hello(broker, token, closed), ErrorCode::kAuthFailed) << "'" << token << "'";
    EXPECT_TRUE(closed) << "the connection stays open after a failed HELLO";
    ++failures;
  }
  bool closed = false;
  EXPECT_EQ(raw_hello(broker, "secret", closed), ErrorCode::kOk);
  EXPECT_FALSE(closed) << "a good HELLO keeps the connection";

  // admin API: 401 with a challenge without the right bearer token
  const std::vector<HttpClient::Headers> wrong = {
      {},
      bearer("wrong"),
      bearer(""),
      {{"Authorization", "secret"}},
      {{"Authorization", "Basic c2VjcmV0"}},
      {{"Authorization", "bearer secret"}},
  };
  for (const auto& headers : wrong) {
    const HttpReply r = http.get("/status", headers);
    EXPECT_EQ(r.status, 401) << (headers.empty() ? "(none)" : headers[0].second);
    EXPECT_EQ(r.header("www-authenticate"), "Bearer");
    EXPECT_EQ(r.json()["error"], "auth_failed");
    ++failures;
  }
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/metrics"},
                                                        {"GET", "/failed"},
                                                        {"POST", "/failed/retry"},
                                                        {"DELETE", "/failed?all=true"},
                                                        {"POST", "/schedules"},
                                                        {"POST", "/queues/authq/purge"},
                                                        {"GET", "/messages/1"},
                                                        {"POST", "/backup"}}) {
    const HttpReply r = http.request(method, target, "", bearer("nope"));
    EXPECT_EQ(r.status, 401) << method << " " << target;
    ++failures;
  }
  // nothing a refused request asked for happened
  EXPECT_EQ(http.get("/status", bearer("secret")).json()["queues"]["authq"]["ready"], 2);

  for (const char* token : {"secret", "second"}) {
    const HttpReply r = http.get("/status", bearer(token));
    EXPECT_EQ(r.status, 200) << token << ": " << r.body;
  }
  // probes and the page stay open
  EXPECT_EQ(http.get("/health").status, 200);
  EXPECT_EQ(http.get("/ready").status, 200);
  EXPECT_EQ(http.get("/").status, 200);

  const auto m = scrape(http, bearer("secret"));
  EXPECT_EQ(sample(m, "symphony_auth_failures_total"), failures);
  EXPECT_EQ(sample(m, "symphony_auth_throttled_total"), 0) << "the throttle is off";
}

TEST(AdminAuth, TokensFromTheConfigFileAndTheEnvironment) {
  {
    ConfiguredBroker b("[auth]\ntokens = [\"from-toml\"]\n");
    HttpClient http(b.broker.admin_port());
    EXPECT_EQ(http.get("/status", bearer("from-toml")).status, 200);
    EXPECT_EQ(http.get("/status").status, 401);
    EXPECT_TRUE(connect_client(b.broker, "from-toml")->dispatch({"J", "{}"}).ok());
    expect_refused(b.broker, "");
  }
  // each test runs in its own process (ctest), so setting the environment here is contained
  ::setenv("SYMPHONY_AUTH_TOKEN", "from-env", 1);
  BrokerProcess broker;
  ::unsetenv("SYMPHONY_AUTH_TOKEN");
  HttpClient http(broker.admin_port());
  EXPECT_EQ(http.get("/status", bearer("from-env")).status, 200);
  EXPECT_EQ(http.get("/status", bearer("from-toml")).status, 401);
  EXPECT_TRUE(connect_client(broker, "from-env")->dispatch({"J", "{}"}).ok());
  expect_refused(broker, "wrong");
}

TEST(AdminAuth, NonLoopbackListenNeedsATokenOrInsecure) {
  TempDir dir;
  const std::string data = dir.path() + "/data";
  const std::string port_file = dir.path() + "/port";
  const std::string admin_port_file = dir.path() + "/admin_port";
  auto argv = [&](std::vector<std::string> args) {
    std::vector<std::string> v{BrokerProcess::symphonyd_path(),
                               "--data-dir",
                               data,
                               "--port-file",
                               port_file,
                               "--admin-port-file",
                               admin_port_file};
    v.insert(v.end(), args.begin(), args.end());
    return v;
  };
  struct Refusal {
    std::vector<std::string> args;
    std::string names;
  };
  for (const Refusal& r :
       {Refusal{{"--listen", "0.0.0.0:0", "--admin-listen", "127.0.0.1:0"}, "server.listen"},
        Refusal{{"--listen", "127.0.0.1:0", "--admin-listen", "0.0.0.0:0"},
                "server.admin_listen"}}) {
    Spawned p(argv(r.args));
    EXPECT_EQ(p.wait_exit(20s), 2) << p.output();
    EXPECT_NE(p.output().find(r.names), std::string::npos) << p.output();
  }
  EXPECT_FALSE(std::filesystem::exists(data + "/log")) << "a refused start touched the data";

  // with --insecure, or with a token, the same addresses are fine
  for (const std::string extra : {"--insecure", "--auth-token=t0ken"}) {
    std::filesystem::remove(port_file);
    std::filesystem::remove(admin_port_file);
    Spawned p(argv({"--listen", "0.0.0.0:0", "--admin-listen", "0.0.0.0:0", extra}));
    const uint16_t port = wait_for_port_file(port_file);
    ASSERT_NE(port, 0) << extra << ": did not start:\n" << p.output();
    HttpClient http(wait_for_port_file(admin_port_file));
    EXPECT_EQ(http.get("/ready").status, 200) << extra;
    client::ClientOptions o;
    o.port = port;
    o.auth_token = extra == "--insecure" ? "" : "t0ken";
    EXPECT_TRUE(client::Client::connect(o)->dispatch({"J", "{}"}).ok()) << extra;
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait_exit(10s), 0) << extra << ":\n" << p.output();
  }
}

}  // namespace
}  // namespace symphony::testing
