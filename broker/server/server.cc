#include "broker/server/server.h"
#include "broker/server/logging.h"
#include "broker/server/tls_context.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>

#include <fmt/format.h>
#include <stdexcept>

namespace symphony::server {

namespace asio = boost::asio;
using asio::ip::tcp;

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
  // the service answers HEALTH over the protocol with the same inputs GET /health uses
  options_.service.data_dir = options_.data_dir;
  options_.service.health = options_.health;
  std::string host;
  uint16_t port = 0;
  if (!parse_host_port(options_.listen, host, port)) {
    throw std::runtime_error("--listen '" + options_.listen + "' is not HOST:PORT");
  }
  // before the data directory is touched: a bad certificate must stop symphonyd at once
  if (options_.tls.enabled()) tls_ = make_server_tls_context(options_.tls);
  std::string error;
  if (!wal::DataDirLock::acquire(options_.data_dir, lock_, error)) throw std::runtime_error(error);
  if (auto st = wal::LogStore::open(options_.data_dir + "/log", store_); !st.ok) {
    throw std::runtime_error(st.message);
  }
  backup_ = std::make_unique<BackupRunner>(io_, *store_);
  admin_state_.options = &options_;
  admin_state_.backup = backup_.get();
  admin_state_.log_disk_bytes = [this] { return store_->disk_bytes(); };
  if (!options_.admin_listen.empty()) {
    admin_api_ = std::make_unique<admin::AdminApi>(admin_state_);
    admin_ = std::make_unique<admin::AdminListener>(io_, *admin_api_);
    admin_->set_tls(tls_.get());
    admin_->listen(options_.admin_listen);
  }
}

void Server::recover_in_background() {
  recovering_.emplace(io_.get_executor());
  service_ = std::make_unique<BrokerService>(io_, options_.service, system_now_ms, *store_);
  service_->set_backup_runner(backup_.get());
  recovery_ = std::thread([this] {
    // recovery time covers replay and rebuilding the core, until the broker could serve
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    wal::LogState recovered;
    wal::RecoveryReport report;
    if (!wal::recover(*store_, recovered, report, error)) {
      asio::post(io_, [this, error] { on_recovery_failed("recovery failed: " + error); });
      return;
    }
    if (report.tail_cut) logs::server().warn("recovery: {}", report.warning);
    const size_t envelopes = recovered.envelopes().size();
    service_->restore(recovered, report);
    const std::string summary = fmt::format(
        "recovered {} live envelopes from {} records in {} log groups ({} bytes) in {} ms; next "
        "id {}",
        envelopes, report.records, report.groups, report.bytes,
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count(),
        service_->core().next_id());
    asio::post(io_, [this, summary] { on_recovered(summary); });
  });
}

void Server::on_recovery_failed(const std::string& error) {
  recovering_.reset();
  logs::server().critical("{}", error);
  exit_code_ = 1;
  service_.reset();
  if (admin_) admin_->stop();
  signals_.cancel();
}

void Server::on_recovered(const std::string& summary) {
  recovering_.reset();
  logs::server().info("{}", summary);
  if (stopping_) return;  // a signal arrived while recovering: nothing was served or drained
  std::string host;
  uint16_t port = 0;
  parse_host_port(options_.listen, host, port);  // checked in the constructor
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    on_recovery_failed("--listen: '" + host + "' is not an IP address");
    return;
  }
  const tcp::endpoint endpoint(address, port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    on_recovery_failed("cannot listen on " + options_.listen + ": " + ec.message());
    return;
  }
  port_ = acceptor_.local_endpoint().port();
  service_->start();
  admin_state_.service = service_.get();
  do_accept();
  logs::server().info("symphonyd listening on {}:{} (data dir {})",
                      acceptor_.local_endpoint().address().to_string(), port_, options_.data_dir);
  if (!options_.port_file.empty()) {
    std::ofstream(options_.port_file) << port_ << "\n";
  }
}

int Server::run() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    logs::server().info("signal {} received: draining", signo);
    stop();
  });
  if (admin_) {
    admin_->start();
    logs::server().info("admin API on {}://{}:{}/", tls_ ? "https" : "http",
                        options_.admin_listen.substr(0, options_.admin_listen.rfind(':')),
                        admin_->port());
    if (!options_.admin_port_file.empty()) {
      std::ofstream(options_.admin_port_file) << admin_->port() << "\n";
    }
  }
  recover_in_background();
  io_.run();
  if (recovery_.joinable()) recovery_.join();
  if (service_) service_->stop_log();
  if (exit_code_ != 0) return exit_code_;
  if (service_ && service_->storage_failed()) {
    logs::server().critical("symphonyd stopped after a log write failure");
    return 1;
  }
  logs::server().info("symphonyd stopped");
  return 0;
}

Server::~Server() {
  if (recovery_.joinable()) recovery_.join();
  if (service_) service_->stop_log();
}

void Server::stop() {
  if (stopping_) return;
  stopping_ = true;
  admin_state_.draining = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  if (admin_) admin_->stop();
  if (!admin_state_.service) return;  // still recovering: run() ends once recovery does
  service_->shutdown();
  grace_timer_.expires_after(std::chrono::milliseconds(options_.shutdown_grace_ms));
  grace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    logs::server().warn("clients did not drain within {} ms; closing", options_.shutdown_grace_ms);
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
      logs::server().warn("accept failed: {}", ec.message());
    } else {
      auto conn =
          std::make_shared<Connection>(std::move(socket), next_session_id_++, *service_,
                                       options_.service.core.limits.max_frame_bytes, tls_.get());
      service_->adopt(conn);
      conn->start();
    }
    do_accept();
  });
}

}  // namespace symphony::server
