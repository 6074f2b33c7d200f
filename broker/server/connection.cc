#include "broker/server/connection.h"
#include "broker/server/logging.h"

#include <spdlog/spdlog.h>

#include <cstring>

namespace symphony::server {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;

namespace {
// Small first read buffer so idle connections stay cheap; it doubles while reads fill it (once
// authenticated). It holds the largest HELLO, so nothing grows before authentication.
constexpr size_t kInitialReadBytes = protocol::kFrameHeaderBytes + protocol::kMaxHelloBodyBytes;
constexpr size_t kMaxStreamingReadBytes = 1u << 20;
// Longest wait for the last bytes (an ERROR, a TLS close_notify) to be written before the socket
// is closed anyway.
constexpr std::chrono::milliseconds kCloseTimeout{1'000};

std::variant<tcp::socket, Connection::TlsStream> make_stream(tcp::socket socket,
                                                             ssl::context* tls) {
  using Stream = std::variant<tcp::socket, Connection::TlsStream>;
  if (tls) return Stream(std::in_place_type<Connection::TlsStream>, std::move(socket), *tls);
  return Stream(std::in_place_type<tcp::socket>, std::move(socket));
}
}  // namespace

Connection::Connection(tcp::socket socket, uint64_t id, FrameHandler& handler, Options options,
                       ssl::context* tls)
    : stream_(make_stream(std::move(socket), tls)),
      timer_(this->socket().get_executor()),
      id_(id),
      handler_(handler),
      options_(options),
      decoder_(protocol::FrameDecoder::before_hello()) {
  boost::system::error_code ec;
  auto ep = this->socket().remote_endpoint(ec);
  remote_ =
      ec ? std::string("unknown") : ep.address().to_string() + ":" + std::to_string(ep.port());
  this->socket().set_option(tcp::no_delay(true), ec);
  in_.resize(kInitialReadBytes);
}

tcp::socket& Connection::socket() {
  if (auto* plain = std::get_if<tcp::socket>(&stream_)) return *plain;
  return std::get_if<TlsStream>(&stream_)->next_layer();
}

void Connection::start() {
  arm_deadline(Deadline::kHello, options_.hello_timeout);
  auto* tls = std::get_if<TlsStream>(&stream_);
  if (!tls) {
    open();
    return;
  }
  handshaking_ = true;
  tls->async_handshake(
      ssl::stream_base::server,
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_handshake(ec); });
}

void Connection::on_handshake(const boost::system::error_code& ec) {
  handshaking_ = false;
  if (stopped_) return;  // stop(), or the HELLO deadline, ended it first
  if (ec) {
    logs::net().info("connection {} ({}): TLS handshake failed: {}; closing", id_, remote_,
                     ec.message());
    stop();
    return;
  }
  open();
}

void Connection::open() {
  handler_.on_open(*this);
  do_read();
}

void Connection::authenticated() {
  if (authenticated_) return;
  authenticated_ = true;
  decoder_ = protocol::FrameDecoder(options_.max_frame_bytes);
  if (deadline_ == Deadline::kHello) {
    deadline_ = Deadline::kNone;
    ++deadline_gen_;
    timer_.cancel();
  }
  // reading may have stopped on a full pre-authentication buffer; restart it once the current
  // on_read (which may be the caller) has returned
  asio::post(socket().get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void Connection::arm_deadline(Deadline what, std::chrono::milliseconds after) {
  deadline_ = what;
  const uint32_t gen = ++deadline_gen_;
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this(), what, gen](const boost::system::error_code& ec) {
    // a wait that completed just before a re-arm or an authenticated() must not act
    if (ec || gen != self->deadline_gen_ || self->stopped_) return;
    self->on_deadline(what);
  });
}

void Connection::on_deadline(Deadline what) {
  deadline_ = Deadline::kNone;
  if (what == Deadline::kClose || handshaking_ || closing_) {
    if (handshaking_) {
      logs::net().info("connection {} ({}): TLS handshake not done within {} ms; closing", id_,
                       remote_, options_.hello_timeout.count());
    }
    stop();  // nothing more can be said: a handshake unfinished, or the last write stuck
    return;
  }
  // no HELLO in time: say so, then close (bounded, in case the client does not read either)
  protocol::FrameDecoder::Result r;
  r.status = protocol::FrameDecoder::Status::kMalformed;
  r.error = protocol::ErrorCode::kHelloRequired;
  r.what = "no HELLO within the deadline";
  handler_.on_malformed(*this, r);
  close_after_flush();
  if (!stopped_) arm_deadline(Deadline::kClose, kCloseTimeout);
}

void Connection::do_read() {
  if (reading_ || closing_ || stopped_ || read_paused_) return;
  // full before authentication: a HELLO that fits is in, and the client is waiting for WELCOME
  if (filled_ == in_.size()) {
    if (!authenticated_) return;
    in_.resize(in_.size() * 2);
  }
  reading_ = true;
  with_stream([&](auto& stream) {
    stream.async_read_some(asio::buffer(in_.data() + filled_, in_.size() - filled_),
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       size_t n) { self->on_read(ec, n); });
  });
}

void Connection::on_read(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (ec) {
    // stream_truncated: a TLS peer that closed without close_notify, as most clients do
    if (ec != asio::error::eof && ec != asio::error::operation_aborted &&
        ec != ssl::error::stream_truncated) {
      logs::net().debug("connection {} ({}): read error: {}", id_, remote_, ec.message());
    }
    stop();
    return;
  }
  const bool filled_all = filled_ + n == in_.size();
  filled_ += n;
  size_t pos = 0;
  size_t needed = 0;
  while (!closing_ && !stopped_) {
    const auto r = decoder_.decode(std::string_view(in_.data() + pos, filled_ - pos));
    if (r.status == protocol::FrameDecoder::Status::kNeedMore) {
      needed = r.needed;
      break;
    }
    if (r.status == protocol::FrameDecoder::Status::kMalformed) {
      handler_.on_malformed(*this, r);
      close_after_flush();
      break;
    }
    handler_.on_frame(*this, r.frame);
    pos += r.consumed;
  }
  if (pos > 0) {
    std::memmove(in_.data(), in_.data() + pos, filled_ - pos);
    filled_ -= pos;
  }
  // Grow to hold a large frame whose header is in (its length is already within the limit, which
  // is one small HELLO before authentication), or double while reads keep filling the buffer
  // (only once authenticated); shrink back once a large frame has gone.
  if (needed > in_.size()) {
    in_.resize(needed);
  } else if (filled_all && authenticated_ && in_.size() < kMaxStreamingReadBytes) {
    in_.resize(in_.size() * 2);
  } else if (filled_ == 0 && in_.size() > kMaxStreamingReadBytes) {
    in_.resize(kMaxStreamingReadBytes);
    in_.shrink_to_fit();
  }
  if (queued_output_bytes() > kMaxQueuedOutputBytes) read_paused_ = true;
  do_read();
}

void Connection::flush() {
  if (write_in_flight_ || handshaking_ || pending_.empty() || stopped_) return;
  writing_.swap(pending_);
  pending_.clear();
  write_in_flight_ = true;
  with_stream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(writing_),
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        self->on_write(ec);
                      });
  });
}

void Connection::on_write(const boost::system::error_code& ec) {
  write_in_flight_ = false;
  writing_.clear();
  if (ec) {
    stop();
    return;
  }
  handler_.on_write_done(*this);
  if (!pending_.empty()) {
    flush();
    return;
  }
  if (closing_) {
    close_stream();
    return;
  }
  if (read_paused_ && queued_output_bytes() <= kMaxQueuedOutputBytes / 2) {
    read_paused_ = false;
    do_read();
  }
}

void Connection::close_after_flush() {
  if (closing_ || stopped_) return;
  closing_ = true;
  if (handshaking_) {
    stop();  // nothing can be said to a client before its handshake ends
  } else if (write_in_flight_ || !pending_.empty()) {
    flush();
  } else if (std::holds_alternative<TlsStream>(stream_)) {
    close_stream();
  } else {
    stop();
  }
}

void Connection::close_stream() {
  auto* tls = std::get_if<TlsStream>(&stream_);
  if (!tls) {
    boost::system::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_send, ignored);
    stop();
    return;
  }
  // close_notify tells the peer that the stream ended on purpose. Marking the peer's close_notify
  // as received makes the shutdown complete once ours is written, instead of waiting for a reply
  // most clients never send; the timer bounds a peer that does not even read.
  SSL* native = tls->native_handle();
  SSL_set_shutdown(native, SSL_get_shutdown(native) | SSL_RECEIVED_SHUTDOWN);
  write_in_flight_ = true;  // the close_notify is the last write: flush() must not start another
  arm_deadline(Deadline::kClose, kCloseTimeout);
  tls->async_shutdown(
      [self = shared_from_this()](const boost::system::error_code&) { self->stop(); });
}

void Connection::stop() {
  if (stopped_) return;
  stopped_ = true;
  ++deadline_gen_;
  timer_.cancel();
  boost::system::error_code ignored;
  socket().close(ignored);
  asio::post(socket().get_executor(), [self = shared_from_this()] { self->finish_close(); });
}

void Connection::finish_close() {
  if (close_notified_) return;
  close_notified_ = true;
  handler_.on_close(*this);
}

}  // namespace symphony::server
