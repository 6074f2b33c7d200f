#include "bench/bench_target.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>

namespace symphony::bench {

namespace {

std::runtime_error sys_error(const char* what) {
  return std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

BlockingSocket::BlockingSocket(const std::string& host, uint16_t port) : buf_(64 * 1024) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0) {
    throw std::runtime_error(std::string("resolve ") + host + ": " + gai_strerror(rc));
  }
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd_ < 0) continue;
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd_);
    fd_ = -1;
  }
  freeaddrinfo(res);
  if (fd_ < 0) throw sys_error("connect");
  // Pipelined batches go out in one write; Nagle would only hold back the last partial segment.
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval timeout{60, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

BlockingSocket::~BlockingSocket() {
  if (fd_ >= 0) ::close(fd_);
}

void BlockingSocket::write_all(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("send");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void BlockingSocket::fill() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (end_ == buf_.size()) {
    // Compact first; grow only when a single line or bulk value is larger than the buffer.
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    } else {
      buf_.resize(buf_.size() * 2);
    }
  }
  for (;;) {
    const ssize_t n = ::recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      return;
    }
    if (n == 0) throw std::runtime_error("connection closed by the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) throw std::runtime_error("no reply for 60 s");
    throw sys_error("recv");
  }
}

std::string_view BlockingSocket::read_line() {
  size_t scanned = begin_;
  for (;;) {
    const std::string_view avail(buf_.data() + scanned, end_ - scanned);
    if (const auto pos = avail.find("\r\n"); pos != std::string_view::npos) {
      const size_t line_end = scanned + pos;
      const std::string_view line(buf_.data() + begin_, line_end - begin_);
      begin_ = line_end + 2;
      return line;
    }
    // Rescan from one byte back in case "\r" ended the data so far; fill() may move the data.
    const size_t offset = end_ > begin_ ? end_ - begin_ - 1 : 0;
    fill();
    scanned = begin_ + offset;
  }
}

std::string_view BlockingSocket::read_exact(size_t n) {
  while (end_ - begin_ < n) {
    // A value larger than the buffer: make room for all of it (fill() compacts when needed).
    if (n > buf_.size()) buf_.resize(n);
    fill();
  }
  const std::string_view out(buf_.data() + begin_, n);
  begin_ += n;
  return out;
}

int64_t parse_int(std::string_view text, const char* what) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size()) {
    throw std::runtime_error(std::string(what) + ": not a number: " + std::string(text));
  }
  return v;
}

}  // namespace symphony::bench
