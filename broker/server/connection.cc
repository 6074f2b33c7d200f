#include "broker/server/connection.h"

#include <spdlog/spdlog.h>

#include <cstring>

namespace symphony::server {

namespace asio = boost::asio;

namespace {
// Small first read buffer so idle connections stay cheap; it doubles while reads fill it.
constexpr size_t kInitialReadBytes = 4096;
constexpr size_t kMaxStreamingReadBytes = 1u << 20;
}  // namespace

Connection::Connection(asio::ip::tcp::socket socket, uint64_t id, FrameHandler& handler,
                       uint32_t max_frame_bytes)
    : socket_(std::move(socket)), id_(id), handler_(handler), decoder_(max_frame_bytes) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  remote_ =
      ec ? std::string("unknown") : ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  in_.resize(kInitialReadBytes);
}

void Connection::start() {
  handler_.on_open(*this);
  do_read();
}

void Connection::do_read() {
  if (reading_ || closing_ || stopped_ || read_paused_) return;
  if (filled_ == in_.size()) in_.resize(in_.size() * 2);
  reading_ = true;
  socket_.async_read_some(asio::buffer(in_.data() + filled_, in_.size() - filled_),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      size_t n) { self->on_read(ec, n); });
}

void Connection::on_read(const boost::system::error_code& ec, size_t n) {
  reading_ = false;
  if (ec) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted) {
      spdlog::debug("connection {} ({}): read error: {}", id_, remote_, ec.message());
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
  // Grow to hold a large frame whose header is in (its length is already within the limit), or
  // double while reads keep filling the buffer; shrink back once a large frame has gone.
  if (needed > in_.size()) {
    in_.resize(needed);
  } else if (filled_all && in_.size() < kMaxStreamingReadBytes) {
    in_.resize(in_.size() * 2);
  } else if (filled_ == 0 && in_.size() > kMaxStreamingReadBytes) {
    in_.resize(kMaxStreamingReadBytes);
    in_.shrink_to_fit();
  }
  if (queued_output_bytes() > kMaxQueuedOutputBytes) read_paused_ = true;
  do_read();
}

void Connection::flush() {
  if (write_in_flight_ || pending_.empty() || stopped_) return;
  writing_.swap(pending_);
  pending_.clear();
  write_in_flight_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                      self->on_write(ec);
                    });
}

void Connection::on_write(const boost::system::error_code& ec) {
  write_in_flight_ = false;
  writing_.clear();
  if (ec) {
    stop();
    return;
  }
  if (!pending_.empty()) {
    flush();
    return;
  }
  if (closing_) {
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stop();
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
  if (!write_in_flight_ && pending_.empty()) {
    stop();
  } else {
    flush();
  }
}

void Connection::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->finish_close(); });
}

void Connection::finish_close() {
  if (close_notified_) return;
  close_notified_ = true;
  handler_.on_close(*this);
}

}  // namespace symphony::server
