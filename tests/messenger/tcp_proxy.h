#pragma once
// A TCP proxy for the tests: listens on 127.0.0.1 (an ephemeral port), and for each client opens
// a connection to the broker and forwards both ways. The first time it sees a DISPATCH_RESULT
// frame (opcode 0x90) coming back from the broker, it drops both connections instead of
// forwarding it: the client's dispatch was done by the broker but its reply is lost.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace symphony::testing::messenger {

class DroppingProxy {
 public:
  static constexpr uint8_t kDispatchResult = 0x90;
  static constexpr size_t kHeaderBytes = 12;

  explicit DroppingProxy(uint16_t broker_port) : broker_port_(broker_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket failed");
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr = loopback(0);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0) {
      ::close(listen_fd_);
      throw std::runtime_error("bind/listen failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~DroppingProxy() {
    stop_ = true;
    acceptor_.join();
    std::vector<std::thread> sessions;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sessions.swap(sessions_);
    }
    for (auto& t : sessions) t.join();
    ::close(listen_fd_);
  }
  DroppingProxy(const DroppingProxy&) = delete;
  DroppingProxy& operator=(const DroppingProxy&) = delete;

  uint16_t port() const { return port_; }
  /// True once a DISPATCH_RESULT was dropped.
  bool dropped() const { return dropped_; }
  /// Connections accepted so far.
  int connections() const { return connections_; }

 private:
  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    return addr;
  }

  static bool send_all(int fd, const char* data, size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr = loopback(broker_port_);
      if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(upstream);
        ::close(client);
        continue;
      }
      ++connections_;
      std::lock_guard<std::mutex> lock(mu_);
      sessions_.emplace_back([this, client, upstream] { session(client, upstream); });
    }
  }

  /// Forwards until either side closes, the proxy stops, or the first DISPATCH_RESULT.
  void session(int client, int upstream) {
    std::string from_broker;  // bytes of an incomplete frame from the broker
    char buf[64 * 1024];
    bool open = true;
    while (open && !stop_) {
      pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0 || !send_all(upstream, buf, static_cast<size_t>(n))) open = false;
      }
      if (open && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        const ssize_t n = ::recv(upstream, buf, sizeof buf, 0);
        if (n <= 0) {
          open = false;
        } else {
          from_broker.append(buf, static_cast<size_t>(n));
          open = forward_frames(client, from_broker);
        }
      }
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(upstream, SHUT_RDWR);
    ::close(client);
    ::close(upstream);
  }

  /// Sends every complete frame of `pending` to the client; false to drop the connections.
  bool forward_frames(int client, std::string& pending) {
    size_t pos = 0;
    while (pending.size() - pos >= kHeaderBytes) {
      uint32_t body_len = 0;
      std::memcpy(&body_len, pending.data() + pos, 4);  // little-endian, as the host
      const size_t frame_len = kHeaderBytes + body_len;
      if (pending.size() - pos < frame_len) break;
      const auto opcode = static_cast<uint8_t>(pending[pos + 4]);
      if (opcode == kDispatchResult && !dropped_.exchange(true)) return false;
      if (!send_all(client, pending.data() + pos, frame_len)) return false;
      pos += frame_len;
    }
    pending.erase(0, pos);
    return true;
  }

  uint16_t broker_port_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<bool> dropped_{false};
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::vector<std::thread> sessions_;
  std::thread acceptor_;
};

}  // namespace symphony::testing::messenger
