#include "client/client.h"

#include <utility>  // before Asio: see broker/server/asio.h

#include <fmt/format.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "protocol/frame.h"
#include "protocol/frame_decoder.h"

namespace symphony::client {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using protocol::Opcode;

namespace {

/// A setup problem (unreadable file, bad option): reported like a failed connection, so the CLI
/// exits 1 and never blames the broker.
ClientError tls_setup_error(const std::string& what) {
  return ClientError(ErrorCode::kInternal, "tls: " + what, true);
}

ClientError tls_file_error(const char* what, const std::string& file,
                           const boost::system::error_code& ec) {
  // OpenSSL 3 reports a file it cannot open as a bare "asio.ssl error": errno says why
  std::string why = ec.message();
  if (FILE* f = std::fopen(file.c_str(), "r")) {
    std::fclose(f);
  } else {
    why = std::strerror(errno);
  }
  return tls_setup_error(fmt::format("cannot load {} '{}': {}", what, file, why));
}

std::unique_ptr<ssl::context> make_tls_context(const ClientOptions& o) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  ctx->set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (o.tls_ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) throw tls_setup_error("cannot load the system's CA certificates: " + ec.message());
  } else {
    ctx->load_verify_file(o.tls_ca_file, ec);
    if (ec) throw tls_file_error("CA bundle", o.tls_ca_file, ec);
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    throw tls_setup_error("a client certificate needs its key, and the other way round");
  }
  if (!o.tls_cert_file.empty()) {
    ctx->use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) throw tls_file_error("certificate", o.tls_cert_file, ec);
    // also checks that the key is the certificate's ("key values mismatch")
    ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) throw tls_file_error("private key", o.tls_key_file, ec);
  }
  return ctx;
}

}  // namespace

struct Client::Io {
  asio::io_context ctx{1};
  tcp::socket socket{ctx};
  /// TLS only: the context and the stream over `socket` (declared after it: destroyed first).
  std::unique_ptr<ssl::context> tls_ctx;
  std::unique_ptr<ssl::stream<tcp::socket&>> tls;
  protocol::FrameDecoder decoder{protocol::kHardMaxFrameBytes};
  std::vector<char> in = std::vector<char>(64 * 1024);
  size_t filled = 0;

  /// Calls `fn` with the stream that carries frames: the socket, or TLS over it.
  template <typename Fn>
  void with_stream(Fn&& fn) {
    if (tls) {
      fn(*tls);
    } else {
      fn(socket);
    }
  }

  /// True when a read would not wait. With TLS, bytes may already sit decrypted in OpenSSL or
  /// undecrypted in its input BIO, where the socket cannot see them.
  bool readable_now() {
    if (tls) {
      SSL* native = tls->native_handle();
      if (SSL_pending(native) > 0 || BIO_ctrl_pending(SSL_get_rbio(native)) > 0) return true;
    }
    boost::system::error_code ec;
    return socket.available(ec) > 0 && !ec;
  }

  /// Runs the io_context until `done` or the deadline; cancels the operation on timeout.
  bool run_until(bool& done, std::chrono::steady_clock::time_point deadline) {
    ctx.restart();
    while (!done) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline || ctx.run_one_for(deadline - now) == 0) {
        if (done) break;
        if (std::chrono::steady_clock::now() < deadline) continue;
        boost::system::error_code ignored;
        socket.cancel(ignored);
        ctx.restart();
        ctx.run();  // let the cancelled handler run
        return done;
      }
    }
    return true;
  }
};

Client::Client(const ClientOptions& options) : options_(options), io_(std::make_unique<Io>()) {}
Client::~Client() = default;

std::unique_ptr<Client> Client::connect(const ClientOptions& options) {
  std::unique_ptr<Client> c(new Client(options));
  c->open_connection();
  return c;
}

void Client::open_connection() {
  Io& io = *io_;
  boost::system::error_code ec;
  tcp::resolver resolver(io.ctx);
  const auto endpoints = resolver.resolve(options_.host, std::to_string(options_.port), ec);
  if (ec) {
    throw ClientError(ErrorCode::kInternal,
                      fmt::format("cannot resolve {}: {}", options_.host, ec.message()), true);
  }
  bool done = false;
  boost::system::error_code connect_ec;
  asio::async_connect(io.socket, endpoints,
                      [&](const boost::system::error_code& e, const tcp::endpoint&) {
                        connect_ec = e;
                        done = true;
                      });
  if (!io.run_until(done, std::chrono::steady_clock::now() + options_.timeout) || connect_ec) {
    throw ClientError(ErrorCode::kInternal,
                      fmt::format("cannot connect to {}:{}: {}", options_.host, options_.port,
                                  connect_ec ? connect_ec.message() : "timed out"),
                      true);
  }
  io.socket.set_option(tcp::no_delay(true), ec);
  if (options_.tls) start_tls();

  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_hello(out_, rid,
                         {protocol::kProtocolVersion, options_.client_name, options_.auth_token});
  send(out_);
  Frame reply = [&] {
    try {
      return wait_reply(rid, Opcode::kWelcome);
    } catch (const ClientError& e) {
      // a TLS port hangs up on a plain client without a word: say what may be wrong
      if (!e.transport() || options_.tls) throw;
      throw ClientError(e.code(),
                        std::string(e.what()) +
                            " before WELCOME (if the broker uses TLS, enable it in the client: "
                            "ClientOptions::tls, symphony --tls)",
                        true);
    }
  }();
  if (auto st = protocol::decode_welcome(reply.body, welcome_); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  server_name_.assign(welcome_.server_name);
  welcome_.server_name = server_name_;
  goaway_ = false;
}

void Client::start_tls() {
  Io& io = *io_;
  io.tls_ctx = make_tls_context(options_);
  io.tls = std::make_unique<ssl::stream<tcp::socket&>>(io.socket, *io.tls_ctx);
  SSL* native = io.tls->native_handle();
  const std::string& name =
      options_.tls_server_name.empty() ? options_.host : options_.tls_server_name;
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  if (ec) {
    // a DNS name: sent as SNI (which never carries an address) and matched against the SANs
    SSL_set_tlsext_host_name(native, name.c_str());
    SSL_set1_host(native, name.c_str());
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(native), name.c_str());
  }
  bool done = false;
  boost::system::error_code hs_ec;
  io.tls->async_handshake(ssl::stream_base::client, [&](const boost::system::error_code& e) {
    hs_ec = e;
    done = true;
  });
  if (!io.run_until(done, std::chrono::steady_clock::now() + options_.timeout) || hs_ec) {
    // run_until() cancels a handshake that runs out of time
    std::string why = hs_ec && hs_ec != asio::error::operation_aborted ? hs_ec.message()
                                                                       : std::string("timed out");
    if (const long verify = SSL_get_verify_result(native); verify != X509_V_OK) {
      why += fmt::format(" ({})", X509_verify_cert_error_string(verify));
    }
    throw ClientError(
        ErrorCode::kInternal,
        fmt::format("TLS handshake with {}:{} failed: {}", options_.host, options_.port, why),
        true);
  }
}

void Client::reconnect() {
  lost_up_to_ = last_request_id_;
  replies_.clear();
  discard_.clear();
  deliver_frames_.clear();
  deliveries_.clear();
  io_ = std::make_unique<Io>();
  open_connection();
}

uint32_t Client::next_request_id() {
  if (++last_request_id_ == 0) ++last_request_id_;  // 0 addresses the connection, never a request
  return last_request_id_;
}

void Client::send(const std::string& bytes) {
  bool done = false;
  boost::system::error_code ec;
  io_->with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(bytes), [&](const boost::system::error_code& e, size_t) {
      ec = e;
      done = true;
    });
  });
  if (!io_->run_until(done, std::chrono::steady_clock::now() + options_.timeout) || ec) {
    throw ClientError(ErrorCode::kInternal,
                      fmt::format("send failed: {}", ec ? ec.message() : "timed out"), true);
  }
}

bool Client::pump_one(std::chrono::steady_clock::time_point deadline) {
  Io& io = *io_;
  for (;;) {
    const auto r = io.decoder.decode(std::string_view(io.in.data(), io.filled));
    if (r.status == protocol::FrameDecoder::Status::kMalformed) {
      throw ClientError(r.error, fmt::format("malformed frame from server: {}", r.what));
    }
    if (r.status == protocol::FrameDecoder::Status::kComplete) {
      Frame f{r.frame.opcode, r.frame.flags, r.frame.request_id, std::string(r.frame.body)};
      std::memmove(io.in.data(), io.in.data() + r.consumed, io.filled - r.consumed);
      io.filled -= r.consumed;
      route(std::move(f));
      return true;
    }
    if (deadline <= std::chrono::steady_clock::now()) {
      // a poll: read only what is already there, without arming and cancelling a read
      if (!io.readable_now()) return false;
    }
    if (r.needed > io.in.size()) io.in.resize(r.needed);
    if (io.filled == io.in.size()) io.in.resize(io.in.size() * 2);
    bool done = false;
    boost::system::error_code ec;
    size_t n = 0;
    io.with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(io.in.data() + io.filled, io.in.size() - io.filled),
                             [&](const boost::system::error_code& e, size_t got) {
                               ec = e;
                               n = got;
                               done = true;
                             });
    });
    if (!io.run_until(done, deadline)) return false;
    if (ec == asio::error::operation_aborted) return false;
    if (ec) {
      // a lost connection is a transport failure: dispatch_batch() reconnects and resends
      // stream_truncated: the TCP connection ended without a TLS close_notify
      const bool closed = ec == asio::error::eof || ec == ssl::error::stream_truncated;
      throw ClientError(ErrorCode::kInternal,
                        closed ? std::string("connection closed by the server")
                               : fmt::format("read failed: {}", ec.message()),
                        true);
    }
    io.filled += n;
  }
}

void Client::route(Frame f) {
  switch (f.opcode) {
    case Opcode::kDeliver: deliver_frames_.push_back(std::move(f.body)); return;
    case Opcode::kGoaway: goaway_ = true; return;
    case Opcode::kError:
      if (f.request_id == 0) {
        protocol::ErrorFrame e;
        protocol::decode_error(f.body, e);
        throw ClientError(e.code, fmt::format("server closed the connection: {}: {}",
                                              protocol::error_name(e.code), e.message));
      }
      break;
    default: break;
  }
  if (discard_.erase(f.request_id) > 0) return;
  replies_.emplace(f.request_id, std::move(f));
}

Client::Frame Client::wait_reply(uint32_t request_id, Opcode expected) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  for (;;) {
    auto it = replies_.find(request_id);
    if (it != replies_.end()) {
      Frame f = std::move(it->second);
      replies_.erase(it);
      if (f.opcode == Opcode::kError) {
        protocol::ErrorFrame e;
        protocol::decode_error(f.body, e);
        throw ClientError(e.code, fmt::format("{}: {}", protocol::error_name(e.code), e.message));
      }
      if (f.opcode != expected) {
        throw ClientError(ErrorCode::kUnexpectedFrame,
                          fmt::format("expected {}, got {}", protocol::opcode_name(expected),
                                      protocol::opcode_name(f.opcode)));
      }
      return f;
    }
    if (request_id <= lost_up_to_) {
      throw ClientError(ErrorCode::kInternal, "the connection this request went on was lost", true);
    }
    if (!pump_one(deadline)) {
      throw ClientError(ErrorCode::kInternal,
                        fmt::format("no reply to {} within {} ms", protocol::opcode_name(expected),
                                    options_.timeout.count()),
                        true);
    }
  }
}

protocol::DispatchMessage to_wire(const OutgoingMessage& m, std::string& header_bytes) {
  protocol::DispatchMessage w;
  w.type = m.message.type;
  w.payload = m.message.payload;
  w.metadata = m.message.metadata;
  header_bytes = protocol::encode_header_pairs(m.options.headers);
  w.headers = {static_cast<uint16_t>(m.options.headers.size()), header_bytes};
  w.queue = m.options.queue;
  w.priority = m.options.priority;
  if (m.options.scheduled_at_ms) {
    w.when = protocol::When::kAtUnixMs;
    w.when_value = *m.options.scheduled_at_ms;
  } else if (m.options.delay_ms) {
    w.when = protocol::When::kDelayMs;
    w.when_value = *m.options.delay_ms;
  }
  w.idempotency_key = m.options.idempotency_key;
  return w;
}

uint32_t Client::send_dispatch(std::span<const OutgoingMessage> batch) {
  std::vector<std::string> header_bytes(batch.size());
  std::vector<protocol::DispatchMessage> wire;
  wire.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) wire.push_back(to_wire(batch[i], header_bytes[i]));
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_dispatch(out_, rid, wire);
  send(out_);
  return rid;
}

std::vector<DispatchOutcome> Client::wait_dispatch(uint32_t request_id) {
  Frame f = wait_reply(request_id, Opcode::kDispatchResult);
  std::vector<protocol::DispatchResult> results;
  if (auto st = protocol::decode_dispatch_result(f.body, results); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  std::vector<DispatchOutcome> out;
  out.reserve(results.size());
  for (auto& r : results) {
    out.push_back({r.index, r.code, r.message_id, std::string(r.queue), r.duplicate, r.status,
                   std::move(r.error)});
  }
  return out;
}

namespace {

std::string random_key() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

/// The message's metadata with the options' metadata merged over it (both JSON objects).
std::string merged_metadata(const OutgoingMessage& m) {
  using nlohmann::json;
  const json extra = json::parse(m.options.metadata, nullptr, false);
  if (extra.is_discarded() || !extra.is_object()) {
    throw ClientError(ErrorCode::kInvalidMetadata, "options metadata must be a JSON object");
  }
  json base =
      m.message.metadata.empty() ? json::object() : json::parse(m.message.metadata, nullptr, false);
  if (base.is_discarded() || !base.is_object()) {
    return m.message.metadata;  // the broker reports INVALID_METADATA for it
  }
  base.update(extra);
  return base.dump();
}

}  // namespace

std::vector<DispatchOutcome> Client::dispatch_batch(std::span<const OutgoingMessage> batch) {
  // Fix each message's idempotency key before the first send, so every resend carries the same
  // keys and the broker answers "duplicate" for whatever the lost attempt already enqueued.
  std::vector<OutgoingMessage> prepared;
  bool needs_copy = false;
  for (const OutgoingMessage& m : batch) {
    needs_copy |= (options_.auto_idempotency_keys && m.options.idempotency_key.empty()) ||
                  !m.options.metadata.empty();
  }
  if (needs_copy) {
    prepared.assign(batch.begin(), batch.end());
    for (OutgoingMessage& m : prepared) {
      if (options_.auto_idempotency_keys && m.options.idempotency_key.empty()) {
        m.options.idempotency_key = random_key();
      }
      if (!m.options.metadata.empty()) {
        m.message.metadata = merged_metadata(m);
        m.options.metadata.clear();
      }
    }
    batch = prepared;
  }
  auto backoff = options_.reconnect_backoff;
  for (int attempt = 0;; ++attempt) {
    try {
      return wait_dispatch(send_dispatch(batch));
    } catch (const ClientError& e) {
      if (!e.transport() || attempt >= options_.reconnect_attempts) throw;
    }
    // the connection is gone: reconnect (retrying while the broker is down) and resend
    for (;;) {
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
      try {
        reconnect();
        break;
      } catch (const ClientError& e) {
        if (!e.transport() || ++attempt >= options_.reconnect_attempts) throw;
      }
    }
  }
}

DispatchOutcome Client::dispatch(const Message& message, const DispatchOptions& options) {
  const OutgoingMessage m{message, options};
  auto results = dispatch_batch({&m, 1});
  if (results.empty()) throw ClientError(ErrorCode::kInternal, "DISPATCH_RESULT was empty");
  return std::move(results.front());
}

protocol::Subscribed Client::subscribe(const std::vector<std::string>& queues, uint32_t prefetch,
                                       uint32_t lease_ms) {
  protocol::Subscribe s;
  for (const auto& q : queues) s.queues.push_back(q);
  s.prefetch = prefetch;
  s.lease_ms = lease_ms;
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_subscribe(out_, rid, s);
  send(out_);
  Frame f = wait_reply(rid, Opcode::kSubscribed);
  protocol::Subscribed result;
  if (auto st = protocol::decode_subscribed(f.body, result); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  return result;
}

void Client::decode_next_deliver_frame() {
  std::vector<protocol::DeliveryView> views;
  if (auto st = protocol::decode_deliver(deliver_frames_.front(), views); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  for (const auto& v : views) {
    Delivery d;
    d.id = v.head.message_id;
    d.attempt = v.head.attempt;
    d.priority = v.head.priority;
    d.queue.assign(v.head.queue);
    d.type.assign(v.message.type);
    d.created_at_ms = v.head.created_at_ms;
    d.lease_deadline_ms = v.head.lease_deadline_ms;
    d.headers = protocol::to_header_list(v.message.headers);
    d.metadata.assign(v.message.metadata);
    d.payload.assign(v.message.payload);
    deliveries_.push_back(std::move(d));
  }
  deliver_frames_.pop_front();
}

size_t Client::receive_batch(std::chrono::milliseconds timeout,
                             const std::function<void(const protocol::DeliveryView&)>& fn) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (deliveries_.empty() && deliver_frames_.empty()) {
    if (!pump_one(deadline)) return 0;
  }
  // take what else has already arrived, without waiting
  while (pump_one(std::chrono::steady_clock::now())) {
  }
  size_t n = 0;
  for (const Delivery& d : deliveries_) {
    protocol::DeliveryView v;
    v.head = {d.id, d.attempt, d.priority, d.queue, d.created_at_ms, d.lease_deadline_ms};
    v.message.type = d.type;
    v.message.metadata = d.metadata;
    v.message.payload = d.payload;
    fn(v);
    ++n;
  }
  deliveries_.clear();
  std::vector<protocol::DeliveryView> views;
  while (!deliver_frames_.empty()) {
    if (auto st = protocol::decode_deliver(deliver_frames_.front(), views); !st.ok()) {
      throw ClientError(st.code, st.what);
    }
    for (const auto& v : views) fn(v);
    n += views.size();
    deliver_frames_.pop_front();
  }
  return n;
}

std::optional<Delivery> Client::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (deliveries_.empty()) {
    if (!deliver_frames_.empty()) {
      decode_next_deliver_frame();
      continue;
    }
    if (!pump_one(deadline)) return std::nullopt;
  }
  Delivery d = std::move(deliveries_.front());
  deliveries_.pop_front();
  return d;
}

protocol::AckResult Client::ack(std::span<const uint64_t> ids, bool confirm) {
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_ack(out_, rid, ids, confirm);
  send(out_);
  Frame f = wait_reply(rid, Opcode::kAckResult);
  protocol::AckResult result;
  if (auto st = protocol::decode_ack_result(f.body, result); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  return result;
}

void Client::ack_async(std::span<const uint64_t> ids) {
  const uint32_t rid = next_request_id();
  discard_.insert(rid);
  out_.clear();
  protocol::encode_ack(out_, rid, ids, false);
  send(out_);
}

std::vector<protocol::NackResultItem> Client::nack(std::span<const protocol::NackItem> items) {
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_nack(out_, rid, items);
  send(out_);
  Frame f = wait_reply(rid, Opcode::kNackResult);
  std::vector<protocol::NackResultItem> result;
  if (auto st = protocol::decode_nack_result(f.body, result); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  return result;
}

protocol::NackResultItem Client::nack(uint64_t id, protocol::NackMode mode, std::string_view error,
                                      std::string_view error_class) {
  const protocol::NackItem item{id, mode, error, error_class};
  auto results = nack({&item, 1});
  if (results.size() != 1) throw ClientError(ErrorCode::kInternal, "NACK_RESULT size mismatch");
  return results.front();
}

protocol::TouchResultItem Client::touch(uint64_t id, uint32_t extend_ms) {
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_touch(out_, rid, extend_ms, {&id, 1});
  send(out_);
  Frame f = wait_reply(rid, Opcode::kTouchResult);
  std::vector<protocol::TouchResultItem> result;
  if (auto st = protocol::decode_touch_result(f.body, result); !st.ok() || result.size() != 1) {
    throw ClientError(ErrorCode::kMalformedFrame, "bad TOUCH_RESULT");
  }
  return result.front();
}

protocol::CreditOk Client::credit(uint32_t prefetch) {
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_credit(out_, rid, prefetch);
  send(out_);
  Frame f = wait_reply(rid, Opcode::kCreditOk);
  protocol::CreditOk result;
  if (auto st = protocol::decode_credit_ok(f.body, result); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  return result;
}

std::vector<protocol::QueueStats> Client::stats(std::string_view queue) {
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_queue_stats(out_, rid, queue);
  send(out_);
  Frame f = wait_reply(rid, Opcode::kQueueStatsResult);
  std::vector<protocol::QueueStats> result;
  if (auto st = protocol::decode_queue_stats_result(f.body, result); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  return result;
}

template <typename Encode>
Client::Frame Client::call(Opcode expected, Encode&& encode) {
  const uint32_t rid = next_request_id();
  out_.clear();
  encode(out_, rid);
  send(out_);
  return wait_reply(rid, expected);
}

namespace {
/// Throws on a reply that does not decode. (Decode first, then return: never both in one call's
/// arguments, whose evaluation order C++ leaves open.)
void expect_ok(const protocol::DecodeStatus& st) {
  if (!st.ok()) throw ClientError(st.code, st.what);
}
}  // namespace

uint64_t Client::purge_queue(std::string_view queue) {
  Frame f = call(Opcode::kQueuePurgeResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_queue_purge(out, rid, queue);
  });
  uint64_t removed = 0;
  expect_ok(protocol::decode_queue_purge_result(f.body, removed));
  return removed;
}

std::vector<protocol::MessageStatusItem> Client::status(std::span<const uint64_t> ids) {
  Frame f = call(Opcode::kMessageStatusResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_message_status(out, rid, ids);
  });
  std::vector<protocol::MessageStatusItem> items;
  expect_ok(protocol::decode_message_status_result(f.body, items));
  return items;
}

protocol::FailedListResult Client::failed_list(const protocol::FailedListRequest& request) {
  Frame f = call(Opcode::kFailedListResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_failed_list(out, rid, request);
  });
  protocol::FailedListResult r;
  expect_ok(protocol::decode_failed_list_result(f.body, r));
  return r;
}

protocol::DeadLetterDetail Client::failed_get(uint64_t id) {
  Frame f = call(Opcode::kFailedGetResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_failed_get(out, rid, id);
  });
  protocol::DeadLetterDetail d;
  expect_ok(protocol::decode_failed_get_result(f.body, d));
  return d;
}

protocol::DeadLetterActionResult Client::failed_retry(const protocol::DeadLetterTarget& target,
                                                      bool dry_run) {
  Frame f = call(Opcode::kFailedRetryResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_failed_retry(out, rid, target, dry_run);
  });
  protocol::DeadLetterActionResult r;
  expect_ok(protocol::decode_dead_letter_action_result(f.body, r));
  return r;
}

protocol::DeadLetterActionResult Client::failed_delete(const protocol::DeadLetterTarget& target) {
  Frame f = call(Opcode::kFailedDeleteResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_failed_delete(out, rid, target);
  });
  protocol::DeadLetterActionResult r;
  expect_ok(protocol::decode_dead_letter_action_result(f.body, r));
  return r;
}

protocol::ScheduleInfo Client::schedule_create(const protocol::ScheduleSpec& spec) {
  Frame f = call(Opcode::kScheduleCreateResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_schedule_create(out, rid, spec);
  });
  protocol::ScheduleInfo info;
  expect_ok(protocol::decode_schedule_result(f.body, info));
  return info;
}

std::vector<protocol::ScheduleInfo> Client::schedule_list() {
  Frame f = call(Opcode::kScheduleListResult,
                 [&](std::string& out, uint32_t rid) { protocol::encode_schedule_list(out, rid); });
  std::vector<protocol::ScheduleInfo> list;
  expect_ok(protocol::decode_schedule_list_result(f.body, list));
  return list;
}

protocol::ScheduleInfo Client::schedule_get(uint64_t id) {
  Frame f = call(Opcode::kScheduleGetResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_schedule_get(out, rid, id);
  });
  protocol::ScheduleInfo info;
  expect_ok(protocol::decode_schedule_result(f.body, info));
  return info;
}

std::optional<protocol::ScheduleInfo> Client::schedule_update(uint64_t id,
                                                              protocol::ScheduleOp op) {
  Frame f = call(Opcode::kScheduleUpdateResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_schedule_update(out, rid, id, op);
  });
  bool exists = false;
  protocol::ScheduleInfo info;
  expect_ok(protocol::decode_schedule_update_result(f.body, exists, info));
  if (!exists) return std::nullopt;
  return info;
}

std::string Client::overview(uint8_t minutes) {
  Frame f = call(Opcode::kOverviewResult, [&](std::string& out, uint32_t rid) {
    protocol::encode_overview(out, rid, minutes);
  });
  std::string_view doc;
  expect_ok(protocol::decode_document_result(f.body, doc));
  return std::string(doc);
}

std::string Client::health() {
  Frame f = call(Opcode::kHealthResult,
                 [&](std::string& out, uint32_t rid) { protocol::encode_health(out, rid); });
  std::string_view doc;
  expect_ok(protocol::decode_document_result(f.body, doc));
  return std::string(doc);
}

std::string Client::metrics() {
  Frame f = call(Opcode::kMetricsResult,
                 [&](std::string& out, uint32_t rid) { protocol::encode_metrics(out, rid); });
  std::string_view text;
  expect_ok(protocol::decode_document_result(f.body, text));
  return std::string(text);
}

std::string Client::backup(std::string_view name) {
  Frame f = call(Opcode::kBackupResult,
                 [&](std::string& out, uint32_t rid) { protocol::encode_backup(out, rid, name); });
  std::string_view doc;
  expect_ok(protocol::decode_document_result(f.body, doc));
  return std::string(doc);
}

protocol::Pong Client::ping(uint64_t nonce) {
  const uint32_t rid = next_request_id();
  out_.clear();
  protocol::encode_ping(out_, rid, nonce);
  send(out_);
  Frame f = wait_reply(rid, Opcode::kPong);
  protocol::Pong pong;
  if (auto st = protocol::decode_pong(f.body, pong); !st.ok()) {
    throw ClientError(st.code, st.what);
  }
  return pong;
}

}  // namespace symphony::client
