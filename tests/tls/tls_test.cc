// TLS on both ports of the real symphonyd: the client library (pipelining, reconnect-and-resend),
// verification failures, mutual TLS, the admin API over HTTPS, the CLI, and start-up errors. The
// certificates are made at test time (test_pki.h).
#include <gtest/gtest.h>

#include <utility>  // before Asio: see broker/server/asio.h

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <list>
#include <set>
#include <thread>

#include "client/client.h"
#include "tests/e2e/broker_process.h"
#include "tests/tls/test_pki.h"

namespace symphony::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
namespace fs = std::filesystem;
using asio::ip::tcp;
using client::Client;
using client::ClientError;
using client::ClientOptions;
using client::DispatchOptions;
using client::OutgoingMessage;
using nlohmann::json;
using namespace std::chrono_literals;

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "symphony-tls-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

/// Every test gets a fresh PKI (a few milliseconds of EC key generation).
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { pki_ = make_test_pki(dir_); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  /// symphonyd flags for TLS on both ports, optionally requiring client certificates.
  std::vector<std::string> tls_args(bool mutual = false) const {
    std::vector<std::string> args{"--tls-cert", pki_.server_cert, "--tls-key", pki_.server_key};
    if (mutual) args.insert(args.end(), {"--tls-client-ca", pki_.ca_cert});
    return args;
  }

  ClientOptions tls_options(uint16_t port) const {
    ClientOptions o;
    o.port = port;
    o.timeout = 20s;
    o.tls = true;
    o.tls_ca_file = pki_.ca_cert;
    return o;
  }

  std::string dir_ = make_temp_dir();
  TestPki pki_;
};

class TlsE2E : public TlsTest {};
class TlsAdmin : public TlsTest {};
class TlsCli : public TlsTest {};
class TlsStartup : public TlsTest {};

/// The ClientError of a connect that must fail (a transport error, never "the broker refused").
std::string connect_error(const ClientOptions& o) {
  try {
    Client::connect(o);
  } catch (const ClientError& e) {
    EXPECT_TRUE(e.transport()) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "the connection succeeded";
  return {};
}

/// Polls the broker's log (written by another process) until it contains `needle`.
bool log_contains(const BrokerProcess& broker, const std::string& needle) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (broker.log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

/// A working TLS client is the proof that the broker still serves after a bad connection.
void expect_tls_dispatch_works(const ClientOptions& o) {
  auto c = Client::connect(o);
  const auto r = c->dispatch({"Ping", "{}"}, DispatchOptions().with_queue("alive"));
  EXPECT_TRUE(r.ok()) << r.error;
}

// ---- client library ----

TEST_F(TlsE2E, DispatchConsumeAckOverTls) {
  BrokerProcess broker(tls_args());
  auto producer = Client::connect(tls_options(broker.port()));
  const auto first = producer->dispatch({"EmailMessage", R"({"to":"a@b.c"})"},
                                        DispatchOptions().with_queue("tls").with_priority(7));
  ASSERT_TRUE(first.ok()) << first.error;

  // pipelined batches, each far larger than one TLS record (16 KiB)
  const std::string pad(4000, 'x');
  std::vector<uint32_t> requests;
  for (int b = 0; b < 3; ++b) {
    std::vector<OutgoingMessage> batch(50);
    for (int i = 0; i < 50; ++i) {
      batch[i].message = {"Job",
                          R"({"n":)" + std::to_string(b * 50 + i) + R"(,"pad":")" + pad + R"("})"};
      batch[i].options.queue = "tls";
    }
    requests.push_back(producer->send_dispatch(batch));
  }
  std::set<uint64_t> sent{first.id};
  for (uint32_t rid : requests) {
    for (const auto& r : producer->wait_dispatch(rid)) {
      ASSERT_TRUE(r.ok()) << r.error;
      sent.insert(r.id);
    }
  }
  ASSERT_EQ(sent.size(), 151u);

  auto consumer = Client::connect(tls_options(broker.port()));
  consumer->subscribe({"tls"}, 200);
  std::set<uint64_t> received;
  std::vector<uint64_t> to_ack;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (received.size() < sent.size() && std::chrono::steady_clock::now() < deadline) {
    auto d = consumer->receive(1s);
    if (!d) continue;
    if (d->id == first.id) {
      EXPECT_EQ(d->type, "EmailMessage");
      EXPECT_EQ(d->payload, R"({"to":"a@b.c"})");
      EXPECT_EQ(d->priority, 7);
    } else {
      EXPECT_NE(d->payload.find(pad), std::string::npos) << "a large payload arrived whole";
    }
    received.insert(d->id);
    to_ack.push_back(d->id);
  }
  EXPECT_EQ(received, sent);
  const auto acked = consumer->ack(to_ack, /*confirm=*/true);
  EXPECT_EQ(acked.acked, sent.size());
  EXPECT_TRUE(acked.failures.empty());
  const auto stats = consumer->stats("tls");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].acked_total, sent.size());
  EXPECT_EQ(stats[0].ready, 0u);
  EXPECT_EQ(stats[0].in_flight, 0u);

  // a new connection (and handshake) on the same client
  producer->reconnect();
  EXPECT_TRUE(producer->dispatch({"Job", "{}"}, DispatchOptions().with_queue("tls")).ok());
}

TEST_F(TlsE2E, ServerNameOverridesTheVerifiedName) {
  BrokerProcess broker(tls_args());
  auto o = tls_options(broker.port());
  o.tls_server_name = "localhost";  // the certificate's DNS name, and SNI
  expect_tls_dispatch_works(o);
  o.tls_server_name = "broker.example.com";
  const std::string error = connect_error(o);
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
  EXPECT_NE(error.find("hostname mismatch"), std::string::npos) << error;
}

/// Forwards bytes between clients and the broker; cut() drops every open connection, like a
/// network failure, so a client must reconnect (through the proxy again).
class CuttableProxy {
 public:
  explicit CuttableProxy(uint16_t upstream_port)
      : upstream_(asio::ip::address_v4::loopback(), upstream_port),
        acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~CuttableProxy() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  int connections() const { return connections_.load(); }
  void cut() {
    std::promise<void> done;
    asio::post(io_, [&] {
      for (auto& weak : links_) {
        if (auto link = weak.lock()) link->close();
      }
      links_.clear();
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  struct Link {
    Link(tcp::socket c, asio::io_context& io) : client(std::move(c)), server(io) {}
    void close() {
      boost::system::error_code ignored;
      client.close(ignored);
      server.close(ignored);
    }
    tcp::socket client;
    tcp::socket server;
    std::array<char, 16384> up{};
    std::array<char, 16384> down{};
  };

  static void relay(std::shared_ptr<Link> link, tcp::socket& from, tcp::socket& to,
                    std::array<char, 16384>& buf) {
    from.async_read_some(
        asio::buffer(buf), [link, &from, &to, &buf](const boost::system::error_code& ec, size_t n) {
          if (ec) {
            link->close();
            return;
          }
          asio::async_write(to, asio::buffer(buf.data(), n),
                            [link, &from, &to, &buf](const boost::system::error_code& wec, size_t) {
                              if (wec) {
                                link->close();
                                return;
                              }
                              relay(link, from, to, buf);
                            });
        });
  }

  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      auto link = std::make_shared<Link>(std::move(socket), io_);
      boost::system::error_code cec;
      link->server.connect(upstream_, cec);
      if (cec) {
        link->close();
      } else {
        ++connections_;
        links_.push_back(link);
        relay(link, link->client, link->server, link->up);
        relay(link, link->server, link->client, link->down);
      }
      accept();
    });
  }

  asio::io_context io_;
  tcp::endpoint upstream_;
  tcp::acceptor acceptor_;
  std::list<std::weak_ptr<Link>> links_;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

TEST_F(TlsE2E, DispatchReconnectsAndResendsOverTls) {
  BrokerProcess broker(tls_args());
  CuttableProxy proxy(broker.port());
  auto o = tls_options(proxy.port());
  o.reconnect_attempts = 3;
  o.reconnect_backoff = 50ms;
  auto c = Client::connect(o);
  ASSERT_TRUE(c->dispatch({"Job", R"({"n":1})"}, DispatchOptions().with_queue("resend")).ok());
  ASSERT_EQ(proxy.connections(), 1);

  proxy.cut();
  const auto r = c->dispatch({"Job", R"({"n":2})"}, DispatchOptions().with_queue("resend"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(proxy.connections(), 2) << "the client reconnected once, with a new handshake";

  auto direct = Client::connect(tls_options(broker.port()));
  const auto stats = direct->stats("resend");
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].ready, 2u) << "both messages, each once";
}

TEST_F(TlsE2E, PlainClientAgainstTlsPortFailsCleanly) {
  BrokerProcess broker(tls_args());
  ClientOptions plain;
  plain.port = broker.port();
  plain.timeout = 10s;
  const std::string error = connect_error(plain);
  EXPECT_NE(error.find("if the broker uses TLS"), std::string::npos) << error;
  EXPECT_TRUE(log_contains(broker, "TLS handshake failed")) << broker.log();
  expect_tls_dispatch_works(tls_options(broker.port()));
}

TEST_F(TlsE2E, TlsClientAgainstPlainPortFails) {
  BrokerProcess broker;
  ClientOptions o = tls_options(broker.port());
  o.timeout = 10s;
  const std::string error = connect_error(o);
  EXPECT_NE(error.find("TLS handshake"), std::string::npos) << error;
}

TEST_F(TlsE2E, WrongCaFailsVerification) {
  BrokerProcess broker(tls_args());
  auto o = tls_options(broker.port());
  o.tls_ca_file = pki_.other_ca_cert;
  const std::string error = connect_error(o);
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
  expect_tls_dispatch_works(tls_options(broker.port()));
}

TEST_F(TlsE2E, MissingCaFileIsReportedWithItsPath) {
  BrokerProcess broker(tls_args());
  auto o = tls_options(broker.port());
  o.tls_ca_file = dir_ + "/no-such-ca.pem";
  const std::string error = connect_error(o);
  EXPECT_NE(error.find(o.tls_ca_file), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

TEST_F(TlsE2E, MutualTlsRequiresAClientCertificateSignedByTheCa) {
  BrokerProcess broker(tls_args(/*mutual=*/true));
  auto o = tls_options(broker.port());

  // TLS 1.3 reports a refused client certificate after the client's side of the handshake, so
  // the failure may surface on the first read; either way connect() fails
  const std::string without = connect_error(o);
  EXPECT_NE(without.find("certificate"), std::string::npos) << without;

  o.tls_cert_file = pki_.other_client_cert;
  o.tls_key_file = pki_.other_client_key;
  const std::string foreign = connect_error(o);
  EXPECT_FALSE(foreign.empty());

  o.tls_cert_file = pki_.client_cert;
  o.tls_key_file = pki_.client_key;
  expect_tls_dispatch_works(o);
  EXPECT_TRUE(log_contains(broker, "TLS handshake failed")) << broker.log();
}

TEST_F(TlsE2E, ShutdownDrainsTlsClientsPromptly) {
  BrokerProcess broker(tls_args());
  auto consumer = Client::connect(tls_options(broker.port()));
  consumer->subscribe({"drain"}, 10);
  auto producer = Client::connect(tls_options(broker.port()));
  ASSERT_TRUE(producer->dispatch({"Job", "{}"}, DispatchOptions().with_queue("drain")).ok());
  // a connection that never starts its handshake must not hold up the drain either
  asio::io_context io;
  tcp::socket idle(io);
  idle.connect(tcp::endpoint(asio::ip::address_v4::loopback(), broker.port()));

  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(broker.terminate(), 0) << broker.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s) << "the grace period (5 s) ran out";
  EXPECT_EQ(broker.log().find("did not drain"), std::string::npos) << broker.log();
  // the consumer hears GOAWAY, then the end of the stream
  EXPECT_THROW(
      {
        while (!consumer->goaway_received()) consumer->receive(1s);
        consumer->receive(1s);
      },
      ClientError);
  EXPECT_TRUE(consumer->goaway_received());
}

// ---- admin API ----

struct HttpResult {
  boost::system::error_code error;  ///< the first failure (connect, handshake, write, read)
  unsigned status = 0;              ///< 0 unless a response was read
  std::string body;
};

/// GET `target` on 127.0.0.1:`port`, over TLS verified against `ca_file` when it is not empty.
HttpResult http_get(uint16_t port, const std::string& target, const std::string& ca_file) {
  asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  HttpResult result;
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);

  auto exchange = [&](auto& stream) {
    http::async_write(stream, req, [&](beast::error_code ec, size_t) {
      if (ec) {
        result.error = ec;
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code rec, size_t) {
        result.error = rec;
        if (rec) return;  // `res` holds defaults (status 200), not an answer
        result.status = res.result_int();
        result.body = res.body();
      });
    });
  };

  if (ca_file.empty()) {
    beast::tcp_stream stream(io);
    stream.expires_after(10s);
    stream.async_connect(endpoint, [&](beast::error_code ec) {
      if (ec) {
        result.error = ec;
        return;
      }
      exchange(stream);
    });
    io.run();
    return result;
  }
  ctx.load_verify_file(ca_file);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), "127.0.0.1");
  beast::get_lowest_layer(stream).expires_after(10s);
  beast::get_lowest_layer(stream).async_connect(endpoint, [&](beast::error_code ec) {
    if (ec) {
      result.error = ec;
      return;
    }
    stream.async_handshake(ssl::stream_base::client, [&](beast::error_code hec) {
      if (hec) {
        result.error = hec;
        return;
      }
      exchange(stream);
    });
  });
  io.run();
  return result;
}

TEST_F(TlsAdmin, HealthOverHttpsAndPlainHttpRefused) {
  BrokerProcess broker(tls_args());
  ASSERT_NE(broker.admin_port(), 0);
  const auto https = http_get(broker.admin_port(), "/health", pki_.ca_cert);
  ASSERT_FALSE(https.error) << https.error.message();
  EXPECT_EQ(https.status, 200u) << https.body;
  const json body = json::parse(https.body, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(body.is_object()) << https.body;

  const auto plain = http_get(broker.admin_port(), "/health", "");
  EXPECT_TRUE(plain.error) << "a plain HTTP request got HTTP " << plain.status;
  EXPECT_NE(plain.status, 200u);
  EXPECT_TRUE(log_contains(broker, "TLS handshake failed")) << broker.log();

  // the admin port still serves HTTPS after the bad connection
  EXPECT_EQ(http_get(broker.admin_port(), "/health", pki_.ca_cert).status, 200u);
}

TEST_F(TlsAdmin, MutualTlsOnTheAdminPortToo) {
  BrokerProcess broker(tls_args(/*mutual=*/true));
  const auto anonymous = http_get(broker.admin_port(), "/health", pki_.ca_cert);
  EXPECT_TRUE(anonymous.error) << "no client certificate, yet HTTP " << anonymous.status;
  EXPECT_NE(anonymous.status, 200u);
}

// ---- CLI ----

TEST_F(TlsCli, DispatchAndStatsOverTls) {
  BrokerProcess broker(tls_args());
  const auto d = run_cli(broker, {"--tls", "--tls-ca", pki_.ca_cert, "dispatch", "--type", "Job",
                                  "--payload", R"({"n":1})", "--queue", "cli"});
  ASSERT_EQ(d.code, 0) << d.err;
  const json dispatched = json::parse(d.out);
  EXPECT_EQ(dispatched["queue"], "cli");
  EXPECT_EQ(dispatched["status"], "pending");

  // options after the command work too, and --tls-server-name implies --tls
  const auto s =
      run_cli(broker, {"stats", "--tls-ca", pki_.ca_cert, "--tls-server-name", "localhost"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(json::parse(s.out)["queues"]["cli"]["ready"], 1);

  const auto plain = run_cli(broker, {"stats"});
  EXPECT_EQ(plain.code, 1) << plain.out;
  EXPECT_NE(plain.err.find("--tls"), std::string::npos) << plain.err;

  const auto wrong_ca = run_cli(broker, {"--tls", "--tls-ca", pki_.other_ca_cert, "stats"});
  EXPECT_EQ(wrong_ca.code, 1);
  EXPECT_NE(wrong_ca.err.find("certificate verify failed"), std::string::npos) << wrong_ca.err;
}

TEST_F(TlsCli, MutualTlsAndTokenFromFlagsAndEnvironment) {
  std::vector<std::string> args = tls_args(/*mutual=*/true);
  args.insert(args.end(), {"--auth-token", "s3cret"});
  BrokerProcess broker(args);
  const std::vector<std::string> cert{"--tls-cert", pki_.client_cert, "--tls-key", pki_.client_key};

  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> all{"--tls-ca", pki_.ca_cert};
    all.insert(all.end(), extra.begin(), extra.end());
    all.push_back("stats");
    return run_cli(broker, all);
  };
  const auto no_cert = with({"--token", "s3cret"});
  EXPECT_EQ(no_cert.code, 1) << no_cert.out;
  const auto no_token = with(cert);
  EXPECT_EQ(no_token.code, 2) << "the broker refuses a missing token: " << no_token.err;
  auto both = cert;
  both.insert(both.end(), {"--token", "s3cret"});
  const auto ok = with(both);
  EXPECT_EQ(ok.code, 0) << ok.err;

  // SYMPHONY_TOKEN and SYMPHONY_TLS_CA (the CLI inherits this process's environment)
  ::setenv("SYMPHONY_TOKEN", "s3cret", 1);
  ::setenv("SYMPHONY_TLS_CA", pki_.ca_cert.c_str(), 1);
  const auto env = run_cli(
      broker, {"--tls", "--tls-cert", pki_.client_cert, "--tls-key", pki_.client_key, "stats"});
  ::unsetenv("SYMPHONY_TOKEN");
  ::unsetenv("SYMPHONY_TLS_CA");
  EXPECT_EQ(env.code, 0) << env.err;
}

// ---- start-up ----

/// Runs symphonyd with `args` (bounded by timeout(1), in case it wrongly starts serving).
CliResult run_symphonyd(const std::string& data_dir, std::vector<std::string> args) {
  std::vector<std::string> argv{"/usr/bin/timeout", "30",          BrokerProcess::symphonyd_path(),
                                "--listen",         "127.0.0.1:0", "--admin-listen",
                                "127.0.0.1:0",      "--data-dir",  data_dir};
  argv.insert(argv.end(), args.begin(), args.end());
  CliResult r;
  r.code = run_command(argv, r.out, &r.err);
  return r;
}

TEST_F(TlsStartup, BadCertificateKeyOrCaStopsSymphonydNamingTheFile) {
  const std::string data = dir_ + "/data";
  const std::string missing = dir_ + "/missing-cert.pem";
  const auto no_cert = run_symphonyd(data, {"--tls-cert", missing, "--tls-key", pki_.server_key});
  EXPECT_EQ(no_cert.code, 1);
  EXPECT_NE(no_cert.err.find(missing), std::string::npos) << no_cert.err;
  EXPECT_NE(no_cert.err.find("No such file or directory"), std::string::npos) << no_cert.err;

  // a key that is not the certificate's
  const auto wrong_key =
      run_symphonyd(data, {"--tls-cert", pki_.server_cert, "--tls-key", pki_.client_key});
  EXPECT_EQ(wrong_key.code, 1);
  EXPECT_NE(wrong_key.err.find(pki_.client_key), std::string::npos) << wrong_key.err;

  // a key file that is not PEM at all
  const auto not_pem =
      run_symphonyd(data, {"--tls-cert", pki_.server_cert, "--tls-key", pki_.ca_cert});
  EXPECT_EQ(not_pem.code, 1);
  EXPECT_NE(not_pem.err.find(pki_.ca_cert), std::string::npos) << not_pem.err;

  const std::string missing_ca = dir_ + "/missing-ca.pem";
  const auto no_ca = run_symphonyd(data, {"--tls-cert", pki_.server_cert, "--tls-key",
                                          pki_.server_key, "--tls-client-ca", missing_ca});
  EXPECT_EQ(no_ca.code, 1);
  EXPECT_NE(no_ca.err.find(missing_ca), std::string::npos) << no_ca.err;
}

}  // namespace
}  // namespace symphony::testing
