#include "broker/server/accept_loop.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace symphony::server {

namespace asio = boost::asio;
using asio::ip::tcp;

AcceptLoop::AcceptLoop(tcp::acceptor& acceptor, Options options, OnSocket on_socket)
    : acceptor_(acceptor),
      options_(std::move(options)),
      on_socket_(std::move(on_socket)),
      pause_(acceptor.get_executor()) {
  reopen_spare();
}

AcceptLoop::~AcceptLoop() {
  if (spare_fd_ >= 0) ::close(spare_fd_);
}

void AcceptLoop::reopen_spare() {
  if (spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void AcceptLoop::start() {
  stopped_ = false;
  do_accept();
}

void AcceptLoop::stop() {
  stopped_ = true;
  pause_.cancel();
}

void AcceptLoop::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      on_error(ec);
      return;
    }
    backoff_.on_success();
    on_socket_(std::move(socket));
    do_accept();
  });
}

void AcceptLoop::on_error(const boost::system::error_code& ec) {
  if (options_.stats) ++options_.stats->errors;
  const bool out_of_descriptors = ec.value() == EMFILE || ec.value() == ENFILE;
  const bool refused = out_of_descriptors && refuse_with_spare();
  if (refused) {
    ++refused_since_log_;
    if (options_.stats) ++options_.stats->refused;
  }
  if (auto held_back = log_throttle_.admit(std::chrono::steady_clock::now())) {
    if (options_.log) {
      options_.log->warn(
          "{} port: accept failed: {}; {} more accept errors since the last report; {} clients "
          "refused at the descriptor limit",
          options_.name, ec.message(), *held_back, refused_since_log_);
    }
    refused_since_log_ = 0;
  }
  if (refused) {
    // the waiting client got its answer; the next one is worth a try at once
    do_accept();
    return;
  }
  pause_.expires_after(backoff_.on_error());
  pause_.async_wait([this](const boost::system::error_code& wait_ec) {
    if (wait_ec || stopped_) return;
    do_accept();
  });
}

bool AcceptLoop::refuse_with_spare() {
  if (spare_fd_ < 0) {
    reopen_spare();  // another thread may have freed one since
    return false;
  }
  ::close(spare_fd_);
  spare_fd_ = -1;
  const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
  const bool accepted = fd >= 0;
  if (accepted) refuse(fd, options_.refusal);
  reopen_spare();
  return accepted;
}

void AcceptLoop::refuse(int fd, const std::string& bytes) {
  char sink[4096];
  // what the client sent already (its HELLO, say) would make close() send a reset
  while (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
  }
  if (!bytes.empty()) ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

}  // namespace symphony::server
