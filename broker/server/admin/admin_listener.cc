#include "broker/server/admin/admin_listener.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "broker/server/logging.h"
#include "broker/server/server.h"

namespace symphony::server::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(30);
// Longest wait for our close_notify to be written at the end of an HTTPS connection.
constexpr auto kTlsCloseTimeout = std::chrono::seconds(1);

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

/// One admin connection. Templated on the stream so TLS can wrap the same logic.
template <class Stream>
class AdminSession final : public AdminSessionBase,
                           public std::enable_shared_from_this<AdminSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  AdminSession(Stream stream, AdminApi& api, std::string remote)
      : stream_(std::move(stream)), api_(api), remote_(std::move(remote)) {}

  void start() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = this->shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
    } else {
      do_read();
    }
  }

  void close() override {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close();
  }

 private:
  void on_handshake(beast::error_code ec) {
    if (ec) {
      logs::admin().info("admin connection from {}: TLS handshake failed: {}", remote_,
                         ec.message());
      close();
      return;
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->body_limit(kMaxRequestBodyBytes);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      finish();
      return;
    }
    if (ec == http::error::body_limit) {
      reply_and_close(http::status::payload_too_large, "payload_too_large",
                      "the request body is over 1 MiB");
      return;
    }
    if (ec == http::error::header_limit) {
      reply_and_close(http::status::request_header_fields_too_large, "headers_too_large",
                      "the request headers are over 16 KiB");
      return;
    }
    if (ec) {
      // a malformed request gets one 400 before the hang-up; a dropped or idle one just ends
      if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
          ec != http::error::partial_message) {
        reply_and_close(http::status::bad_request, "bad_request",
                        "malformed HTTP request: " + ec.message());
        return;
      }
      close();
      return;
    }
    beast::get_lowest_layer(stream_).expires_never();  // a reply may wait for the log
    api_.handle(parser_->release(), remote_, [self = this->shared_from_this()](HttpResponse&& res) {
      self->write(std::move(res));
    });
  }

  void reply_and_close(http::status status, std::string_view code, const std::string& message) {
    HttpResponse res{status, 11};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(false);
    res.body() = nlohmann::json{{"error", code}, {"message", message}}.dump() + "\n";
    res.prepare_payload();
    write(std::move(res));
  }

  void write(HttpResponse&& res) {
    auto owned = std::make_shared<HttpResponse>(std::move(res));
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_write(stream_, *owned,
                      [self = this->shared_from_this(), owned](beast::error_code ec, size_t) {
                        if (ec) {
                          self->close();
                          return;
                        }
                        if (!owned->keep_alive()) {
                          self->finish();
                          return;
                        }
                        self->do_read();
                      });
  }

  /// Ends the connection after the last response: HTTPS sends close_notify first, so the client
  /// can tell the end from a truncation.
  void finish() {
    if constexpr (kTls) {
      // the shutdown completes once our close_notify is out (no wait for the client's), bounded
      SSL* native = stream_.native_handle();
      SSL_set_shutdown(native, SSL_get_shutdown(native) | SSL_RECEIVED_SHUTDOWN);
      beast::get_lowest_layer(stream_).expires_after(kTlsCloseTimeout);
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      close();
    }
  }

  Stream stream_;
  AdminApi& api_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

namespace {
/// What a client over kMaxSessions, or refused at the descriptor limit, reads before the close.
std::string busy_response() {
  const std::string body =
      R"({"error":"too_many_connections","message":"the admin API is at its connection limit"})"
      "\n";
  return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: "
         "1\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}
}  // namespace

AdminListener::AdminListener(asio::io_context& io, AdminApi& api)
    : api_(api), acceptor_(io) {}

AdminListener::~AdminListener() = default;

void AdminListener::listen(const std::string& host_port) {
  std::string host;
  uint16_t port = 0;
  if (!parse_host_port(host_port, host, port)) {
    throw std::runtime_error("--admin-listen '" + host_port + "' is not HOST:PORT");
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("--admin-listen: '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + host_port + " (admin): " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void AdminListener::start() {
  AcceptLoop::Options o;
  o.name = "admin";
  o.log = &logs::admin();
  // a TLS client would read plain bytes as a broken handshake: it is just closed
  if (!tls_) o.refusal = busy_response();
  accept_loop_ = std::make_unique<AcceptLoop>(acceptor_, std::move(o),
                                              [this](tcp::socket s) { on_socket(std::move(s)); });
  accept_loop_->start();
}

void AdminListener::stop() {
  boost::system::error_code ignored;
  if (accept_loop_) accept_loop_->stop();
  acceptor_.close(ignored);
  for (auto& weak : sessions_) {
    if (auto s = weak.lock()) s->close();
  }
  sessions_.clear();
}

void AdminListener::on_socket(tcp::socket socket) {
  // forget sessions that ended, so the list tracks the open ones
  sessions_.remove_if([](const std::weak_ptr<AdminSessionBase>& w) { return w.expired(); });
  if (sessions_.size() >= kMaxSessions) {
    AcceptLoop::refuse(socket.release(), tls_ ? std::string() : busy_response());
    return;
  }
  boost::system::error_code rec;
  const auto ep = socket.remote_endpoint(rec);
  std::string remote = rec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  if (tls_) {
    auto session = std::make_shared<AdminSession<TlsStream>>(
        TlsStream(beast::tcp_stream(std::move(socket)), *tls_), api_, std::move(remote));
    sessions_.push_back(session);
    session->start();
  } else {
    auto session = std::make_shared<AdminSession<beast::tcp_stream>>(
        beast::tcp_stream(std::move(socket)), api_, std::move(remote));
    sessions_.push_back(session);
    session->start();
  }
}

}  // namespace symphony::server::admin
