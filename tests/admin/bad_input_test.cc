// Bad input on the admin port: oversized bodies and headers, bytes that are not HTTP, unknown
// paths, wrong methods, broken percent-encoding. Each gets a clear answer (or a hang-up), and
// the broker keeps serving both ports.
#include <gtest/gtest.h>

#include "tests/admin/admin_test_support.h"
#include "tests/e2e/raw_socket.h"

namespace symphony::testing {
namespace {

using client::DispatchOptions;

/// Both ports still answer after whatever the test did.
void expect_still_serving(const BrokerProcess& broker, const std::string& queue) {
  HttpClient http(broker.admin_port());
  EXPECT_EQ(http.get("/health").status, 200);
  EXPECT_EQ(http.get("/status").status, 200);
  auto c = connect_client(broker);
  EXPECT_TRUE(c->dispatch({"Still", "{}"}, DispatchOptions().with_queue(queue)).ok());
}

TEST(AdminBadInput, BodyOverOneMebibyteIs413) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  // refused from the announced length: the body need not be sent
  bool closed = false;
  const HttpReply r = http.send_raw(
      "POST /schedules HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048577\r\n\r\n{\"type\":",
      &closed);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_EQ(r.json()["error"], "payload_too_large");
  EXPECT_TRUE(closed) << "the rest of an oversized request cannot be trusted";

  // a chunked body is held to the same limit, from the announced chunk size
  const HttpReply chunked = http.send_raw(
      "POST /schedules HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "100001\r\n{\"type\":",
      &closed);
  EXPECT_EQ(chunked.status, 413) << chunked.body;
  EXPECT_TRUE(closed);

  // exactly 1 MiB is allowed through to the route, which finds it is not JSON
  const HttpReply at_limit = http.post("/schedules", std::string(1u << 20, 'x'));
  EXPECT_EQ(at_limit.status, 400) << at_limit.body;
  EXPECT_EQ(at_limit.json()["field"], "body");
  expect_still_serving(broker, "after-413");
}

TEST(AdminBadInput, HeadersOver16KiBAre431) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  const HttpReply r = http.get("/health", {{"X-Padding", std::string(17 * 1024, 'a')}});
  EXPECT_EQ(r.status, 431) << r.body;
  EXPECT_EQ(r.json()["error"], "headers_too_large");
  EXPECT_EQ(http.get("/health", {{"X-Padding", std::string(8 * 1024, 'a')}}).status, 200);
  expect_still_serving(broker, "after-431");
}

TEST(AdminBadInput, BytesThatAreNotHttpGet400OrAHangUp) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  const std::vector<std::string> garbage = {
      "NOT HTTP AT ALL\r\n\r\n",
      std::string("\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n", 22),
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n",
      "GET /health HTTP/1.1\r\nNo colon here\r\n\r\n",
      std::string("\0\0\0\0\0\0\0\0\r\n\r\n", 12),
  };
  for (const std::string& g : garbage) {
    bool closed = false;
    const HttpReply r = http.send_raw(g, &closed);
    EXPECT_TRUE(r.status == 400 || r.status == 0)
        << r.status << " for " << ::testing::PrintToString(g);
    if (r.status == 400) {
      EXPECT_EQ(r.json()["error"], "bad_request");
    }
    EXPECT_TRUE(closed) << "connection left open after " << ::testing::PrintToString(g);
  }
  expect_still_serving(broker, "after-garbage");
}

TEST(AdminBadInput, UnknownPathsWrongMethodsAndBrokenEncoding) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  for (const char* path : {"/nope", "/failed/1/2/3", "/status/extra", "/queues/x", "/healthz"}) {
    const HttpReply r = http.get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.json()["error"], "not_found") << path;
  }
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"PUT", "/health"},
           {"DELETE", "/status"},
           {"GET", "/backup"},
           {"POST", "/metrics"},
           {"PATCH", "/schedules/1"},
           {"GET", "/failed/retry"},  // "retry" is no id, and GET /failed/{id} wants one
           {"BREW", "/ready"}}) {
    const HttpReply r = http.request(method, path);
    if (method == "GET" && path == "/failed/retry") {
      // matches GET /failed/{id}: the id is what is wrong
      EXPECT_EQ(r.status, 400) << r.body;
      EXPECT_EQ(r.json()["field"], "id");
      continue;
    }
    EXPECT_EQ(r.status, 405) << method << " " << path << ": " << r.body;
    EXPECT_EQ(r.json()["error"], "method_not_allowed") << method << " " << path;
  }
  for (const char* path :
       {"/messages/%zz", "/messages/%4", "/failed?queue=%", "/failed?q%G1=1", "/status%"}) {
    const HttpReply r = http.get(path);
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    EXPECT_EQ(r.json()["field"], "path") << path;
  }
  // valid encoding is decoded before routing
  EXPECT_EQ(http.get("/%73tatus").status, 200);
  EXPECT_EQ(http.get("/messages/%31%32").json()["error"], "not_found");
  // every error above left the keep-alive connection usable
  EXPECT_TRUE(http.connected());
  expect_still_serving(broker, "after-404");
}

TEST(AdminBadInput, BytesThatAreNotUtf8GetA4xxAndTheBrokerLives) {
  BrokerProcess broker({"--auth-token", "secret"});
  struct Case {
    std::string request;
    int status;
  };
  const std::string host = " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer secret\r\n\r\n";
  for (const Case& c : {
           // open routes: no token needed to send these
           Case{"GET /health?%FF=1" + host, 400},
           Case{"GET /ready?%C3%28=1" + host, 400},
           Case{"GET /\xff" + host, 404},
           // with a token
           Case{"GET /messages/%FF" + host, 400},
           Case{"GET /status?%FF=1" + host, 400},
           Case{"GET /failed?since=%FF" + host, 400},
           Case{"POST /queues/%FF/purge HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                "secret\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n",
                404},
       }) {
    HttpClient http(broker.admin_port());
    const HttpReply r = http.send_raw(c.request);
    EXPECT_EQ(r.status, c.status) << ::testing::PrintToString(c.request);
    if (r.status != 0) {
      EXPECT_TRUE(nlohmann::json::accept(r.body)) << r.body;
    }
    HttpClient probe(broker.admin_port());
    bool alive = false;
    try {
      alive = probe.get("/health").status == 200;
    } catch (const std::exception&) {
    }
    if (!alive) {
      // signal 0 only waits: a broker on its way out by itself reports its own exit code
      int code = broker.terminate(2s, 0);
      if (code == -1) code = broker.terminate();
      FAIL() << "symphonyd died (exit code " << code << ") after "
             << ::testing::PrintToString(c.request) << "\n"
             << broker.log();
    }
  }
  auto c = connect_client(broker, "secret");
  EXPECT_TRUE(c->dispatch({"Still", "{}"}).ok());
}

TEST(AdminBadInput, A405ListsTheAllowedMethods) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  EXPECT_EQ(http.request("PUT", "/health").header("allow"), "GET, HEAD");
  EXPECT_EQ(http.request("PUT", "/failed").header("allow"), "GET, HEAD, DELETE");
  EXPECT_EQ(http.request("GET", "/backup").header("allow"), "POST");
}

TEST(AdminBadInput, AnAnswerToHeadHasNoBody) {
  BrokerProcess broker;
  RawSocket s(broker.admin_port());
  s.send("HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  bool closed = false;
  const std::string reply = s.read_until_close(5s, &closed);
  EXPECT_TRUE(closed);
  const size_t end = reply.find("\r\n\r\n");
  ASSERT_NE(end, std::string::npos) << reply;
  EXPECT_EQ(reply.substr(0, 12), "HTTP/1.1 200") << reply;
  EXPECT_NE(reply.find("Content-Length: "), std::string::npos) << "the length GET would send";
  EXPECT_EQ(reply.substr(end + 4), "") << reply;
}

TEST(AdminConnection, KeepAlivePipeliningAndConnectionClose) {
  BrokerProcess broker;
  HttpClient http(broker.admin_port());
  // the client never reconnects silently, so 20 answers mean one connection carried them all
  for (int i = 0; i < 20; ++i) {
    const HttpReply r = http.get(i % 2 ? "/health" : "/status");
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
  // pipelined requests are answered in order on the same connection
  const auto replies = http.send_raw_many(
      "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
      "GET /messages/abc HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      3);
  ASSERT_EQ(replies.size(), 3u);
  EXPECT_EQ(replies[0].status, 200);
  EXPECT_EQ(replies[1].status, 404);
  EXPECT_EQ(replies[2].status, 400);
  // the client can end the connection, in HTTP/1.1 and by default in HTTP/1.0
  for (const char* req : {"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                          "GET /health HTTP/1.0\r\n\r\n"}) {
    bool closed = false;
    const HttpReply r = http.send_raw(req, &closed);
    EXPECT_EQ(r.status, 200) << req;
    EXPECT_FALSE(r.keep_alive) << req;
    EXPECT_TRUE(closed) << req;
  }
}

}  // namespace
}  // namespace symphony::testing
