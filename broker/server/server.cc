#include "broker/server/server.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <stdexcept>

namespace symphony::server {

namespace asio = boost::asio;
using asio::ip::tcp;

bool parse_host_port(const std::string& text, std::string& host, uint16_t& port) {
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty() || port_text.empty() || port_text.size() > 5) return false;
  unsigned long value = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

namespace {
broker::TimeMs system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      signals_(io_, SIGINT, SIGTERM),
      acceptor_(io_),
      grace_timer_(io_),
      drain_poll_(io_) {
  // recovery time covers everything from here until the broker could serve: lock, open, replay
  const auto t0 = std::chrono::steady_clock::now();
  std::string error;
  if (!wal::DataDirLock::acquire(options_.data_dir, lock_, error)) throw std::runtime_error(error);
  if (auto st = wal::LogStore::open(options_.data_dir + "/log", store_); !st.ok) {
    throw std::runtime_error(st.message);
  }
  wal::LogState recovered;
  wal::RecoveryReport report;
  if (!wal::recover(*store_, recovered, report, error)) {
    throw std::runtime_error("recovery failed: " + error);
  }
  if (report.tail_cut) spdlog::warn("recovery: {}", report.warning);
  const size_t envelopes = recovered.envelopes().size();
  service_ = std::make_unique<BrokerService>(io_, options_.service, system_now_ms, *store_);
  service_->start(recovered, report);
  spdlog::info(
      "recovered {} live envelopes from {} records in {} log groups ({} bytes) in {} ms; next id "
      "{}",
      envelopes, report.records, report.groups, report.bytes,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count(),
      service_->core().next_id());

  std::string host;
  uint16_t port = 0;
  if (!parse_host_port(options_.listen, host, port)) {
    throw std::runtime_error("--listen '" + options_.listen + "' is not HOST:PORT");
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("--listen: '" + host + "' is not an IP address");
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + options_.listen + ": " + ec.message());
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

int Server::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("signal {} received: draining", signo);
    stop();
  });
  do_accept();
  spdlog::info("symphonyd listening on {}:{} (data dir {})",
               acceptor_.local_endpoint().address().to_string(), port_, options_.data_dir);
  if (!options_.port_file.empty()) {
    std::ofstream(options_.port_file) << port_ << "\n";
  }
  io_.run();
  service_->stop_log();
  if (service_->storage_failed()) {
    spdlog::critical("symphonyd stopped after a log write failure");
    return 1;
  }
  spdlog::info("symphonyd stopped");
  return 0;
}

Server::~Server() {
  if (service_) service_->stop_log();
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  service_->shutdown();
  grace_timer_.expires_after(std::chrono::milliseconds(options_.shutdown_grace_ms));
  grace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spdlog::warn("clients did not drain within {} ms; closing", options_.shutdown_grace_ms);
    io_.stop();
  });
  asio::post(io_, [this] { check_drained(); });
}

void Server::check_drained() {
  // once the last connection is gone, nothing but the grace timer keeps run() going
  if (service_->connection_count() == 0) {
    grace_timer_.cancel();
    return;
  }
  drain_poll_.expires_after(std::chrono::milliseconds(10));
  drain_poll_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check_drained();
  });
}

void Server::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      auto conn = std::make_shared<Connection>(std::move(socket), next_session_id_++, *service_,
                                               options_.service.core.limits.max_frame_bytes);
      service_->adopt(conn);
      conn->start();
    }
    do_accept();
  });
}

}  // namespace symphony::server
