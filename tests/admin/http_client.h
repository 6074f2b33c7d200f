#pragma once
// A small synchronous HTTP/1.1 client for the admin API tests (Boost.Beast). One keep-alive
// connection, reopened when the server closed it. Every operation has a deadline, so a broker
// that stops answering fails the test instead of hanging it. send_raw() writes arbitrary bytes
// on a fresh connection, for requests no well-behaved client would send.
#include "broker/server/asio.h"  // before Beast: the GCC 12 workaround

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace symphony::testing {

struct HttpReply {
  int status = 0;  ///< 0: no response came (the server closed the connection first)
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  bool keep_alive = false;

  /// The body as JSON; throws (a test failure, not a crash) when it is not. Keep the result in a
  /// non-const value: a const json's operator[] aborts on a missing key, which would leave the
  /// broker process running, where a non-const one gives null and a readable failure.
  nlohmann::json json() const {
    auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw std::runtime_error("response body is not JSON: " + body);
    return j;
  }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : port_(port), timeout_(timeout) {}

  /// Sends `method target` with `body` and `headers`; returns the response. Throws on transport
  /// failures (connect, timeout, connection reset).
  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = "", const Headers& headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req;
    const http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
      req.method_string(method);
    } else {
      req.method(verb);
    }
    req.target(target);
    req.version(11);
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(true);
    for (const auto& [k, v] : headers) req.set(k, v);
    // a change needs the JSON type even without a body (the broker's cross-site guard)
    const bool safe = verb == http::verb::get || verb == http::verb::head ||
                      verb == http::verb::options;
    if ((!body.empty() || !safe) && req.find(http::field::content_type) == req.end()) {
      req.set(http::field::content_type, "application/json");
    }
    req.body() = body;
    if (!body.empty() || verb == http::verb::post) req.prepare_payload();
    // no silent retry on a reused connection: a server that wrongly drops one must show
    if (!stream_) open();
    try {
      return exchange(req);
    } catch (...) {
      stream_.reset();
      throw;
    }
  }

  HttpReply get(const std::string& target, const Headers& headers = {}) {
    return request("GET", target, "", headers);
  }
  HttpReply post(const std::string& target, const std::string& body = "",
                 const Headers& headers = {}) {
    return request("POST", target, body, headers);
  }
  HttpReply del(const std::string& target, const Headers& headers = {}) {
    return request("DELETE", target, "", headers);
  }

  /// Writes `bytes` on a new connection and reads one response. status 0 when the server closed
  /// without answering; `closed_after` tells whether it closed the connection after the answer.
  HttpReply send_raw(const std::string& bytes, bool* closed_after = nullptr) {
    return send_raw_many(bytes, 1, closed_after).front();
  }

  /// send_raw() for `count` pipelined requests: up to `count` responses, in order (fewer when
  /// the server hangs up first; a status-0 reply stands for "no answer" then).
  std::vector<HttpReply> send_raw_many(const std::string& bytes, size_t count,
                                       bool* closed_after = nullptr) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context io;
    beast::tcp_stream s(io);
    connect(io, s);
    beast::error_code ec;
    s.expires_after(timeout_);
    boost::asio::async_write(s, boost::asio::buffer(bytes),
                             [&](beast::error_code e, size_t) { ec = e; });
    run(io);
    // a write error is fine: the server may have answered and hung up before reading it all
    std::vector<HttpReply> replies;
    beast::flat_buffer buffer;
    while (replies.size() < count) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      s.expires_after(timeout_);
      http::async_read(s, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
      run(io);
      if (ec == beast::error::timeout) throw std::runtime_error("send_raw: no answer in time");
      if (ec) break;
      replies.push_back(to_reply(parser.release()));
    }
    // waits out the timeout when the server keeps the connection: only when asked
    if (closed_after) *closed_after = wait_closed(io, s, buffer);
    if (replies.empty()) replies.emplace_back();
    return replies;
  }

  /// True when the server closes the keep-alive connection within `timeout` (false when there is
  /// none open).
  bool server_closes_connection(std::chrono::milliseconds timeout) {
    if (!stream_) return false;
    const auto saved = timeout_;
    timeout_ = timeout;
    boost::beast::flat_buffer buffer;
    const bool closed = wait_closed(io_, *stream_, buffer);
    timeout_ = saved;
    if (closed) stream_.reset();
    return closed;
  }

  bool connected() const { return stream_.has_value(); }
  void disconnect() { stream_.reset(); }

 private:
  void run(boost::asio::io_context& io) {
    io.restart();
    io.run();
  }

  void connect(boost::asio::io_context& io, boost::beast::tcp_stream& s) {
    boost::beast::error_code ec;
    s.expires_after(timeout_);
    s.async_connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_),
        [&](boost::beast::error_code e) { ec = e; });
    run(io);
    if (ec) throw std::runtime_error("connect to admin port failed: " + ec.message());
  }

  void open() {
    stream_.emplace(io_);
    try {
      connect(io_, *stream_);
    } catch (...) {
      stream_.reset();
      throw;
    }
  }

  HttpReply exchange(boost::beast::http::request<boost::beast::http::string_body>& req) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    beast::error_code ec;
    stream_->expires_after(timeout_);
    http::async_write(*stream_, req, [&](beast::error_code e, size_t) { ec = e; });
    run(io_);
    if (ec) throw std::runtime_error("HTTP write failed: " + ec.message());
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    stream_->expires_after(timeout_);
    http::async_read(*stream_, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    run(io_);
    if (ec) throw std::runtime_error("HTTP read failed: " + ec.message());
    HttpReply reply = to_reply(parser.release());
    if (!reply.keep_alive) stream_.reset();
    return reply;
  }

  static HttpReply to_reply(boost::beast::http::response<boost::beast::http::string_body>&& res) {
    HttpReply r;
    r.status = static_cast<int>(res.result_int());
    r.keep_alive = res.keep_alive();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(field.value());
    }
    r.body = std::move(res.body());
    return r;
  }

  /// Reads until the peer closes (true) or the timeout passes (false).
  bool wait_closed(boost::asio::io_context& io, boost::beast::tcp_stream& s,
                   boost::beast::flat_buffer& buffer) {
    boost::beast::error_code ec;
    s.expires_after(timeout_);
    for (;;) {
      s.async_read_some(buffer.prepare(4096), [&](boost::beast::error_code e, size_t n) {
        ec = e;
        buffer.commit(n);
      });
      run(io);
      if (ec == boost::beast::error::timeout) return false;
      if (ec) return true;  // end of stream or reset: closed either way
      buffer.consume(buffer.size());
    }
  }

  uint16_t port_;
  std::chrono::milliseconds timeout_;
  boost::asio::io_context io_;
  std::optional<boost::beast::tcp_stream> stream_;
};

/// "Bearer <token>" as a header list for HttpClient.
inline HttpClient::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

}  // namespace symphony::testing
