#include "broker/server/server.h"
#include "broker/server/logging.h"
#include "broker/server/system_memory.h"
#include "broker/server/tls_context.h"
#include "protocol/control.h"

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
  resolve_limits();
  std::string host;
  uint16_t port = 0;
  if (!parse_host_port(options_.listen, host, port)) {
    throw std::runtime_error("--listen '" + options_.listen + "' is not HOST:PORT");
  }
  // before the data directory is touched: a bad certificate must stop symphonyd at once
  if (options_.tls.enabled()) tls_ = make_server_tls_context(options_.tls);
  std::string error;
  if (!wal::DataDirLock::acquire(options_.data_dir, lock_, error)) throw std::runtime_error(error);
  wal::OpenLogOptions open;
  open.verify_tables = false;  // recover_opened() does it, while /health answers
  open.store.env = options_.test_log_env;
  open.store.on_message = [](wal::StoreMessageLevel level, std::string_view line) {
    switch (level) {
      case wal::StoreMessageLevel::kError: logs::storage().error("rocksdb: {}", line); break;
      case wal::StoreMessageLevel::kWarn: logs::storage().warn("rocksdb: {}", line); break;
      default: logs::storage().debug("rocksdb: {}", line); break;
    }
  };
  if (auto st = wal::open_log(options_.data_dir, open, log_); !st.ok) {
    throw std::runtime_error(st.message);
  }
  store_ = log_.store.get();
  if (log_.opened.tail_cut) {
    logs::storage().warn(
        "the log's write-ahead file ended in a write torn by the crash or power loss that "
        "stopped the broker ({}); it was cut. Nothing in it had been confirmed{}",
        log_.opened.detail,
        options_.service.fsync.mode == wal::FsyncPolicy::Mode::kAlways
            ? std::string()
            : " under --fsync=always; under the configured policy it may have held confirmed "
              "writes of the loss window docs/architecture.md §4.3 describes");
  }
  backup_ = std::make_unique<BackupRunner>(
      io_, *store_,
      options_.admin.backup_dir.empty() ? options_.data_dir + "/backups" : options_.admin.backup_dir);
  auth_gate_ = std::make_unique<AuthGate>(io_, options_.auth_throttle);
  admin_state_.options = &options_;
  admin_state_.backup = backup_.get();
  admin_state_.auth = auth_gate_.get();
  admin_state_.log_disk_bytes = [this] { return store_->disk_bytes(); };
  if (!options_.admin_listen.empty()) {
    admin_api_ = std::make_unique<admin::AdminApi>(admin_state_);
    admin_ = std::make_unique<admin::AdminListener>(io_, *admin_api_);
    admin_->set_tls(tls_.get());
    admin_->listen(options_.admin_listen);
  }
}

void Server::resolve_limits() {
  LimitOptions& limits = options_.service.limits;
  const uint64_t nofile = open_file_limit();
  if (limits.max_connections == 0) {
    limits.max_connections = LimitOptions::derived_max_connections(nofile);
    logs::server().info(
        "max_connections {} (derived from the open-file limit {}, keeping descriptors for the "
        "log and the admin port)",
        limits.max_connections, nofile);
  } else if (limits.max_connections + uint64_t{LimitOptions::kReservedDescriptors} > nofile) {
    logs::server().warn(
        "max_connections {} with an open-file limit of {}: at the descriptor limit new clients "
        "are refused (raise the limit, e.g. LimitNOFILE in systemd)",
        limits.max_connections, nofile);
  }
  const MachineMemory machine = machine_memory();
  options_.service.memory_limit_bytes = limits.max_memory.resolve(machine.bytes);
  if (options_.service.memory_limit_bytes == 0) {
    logs::server().info("memory limit off");
  } else {
    logs::server().info("memory limit {} ({} of {} {})",
                        format_bytes(options_.service.memory_limit_bytes),
                        limits.max_memory.to_string(), format_bytes(machine.bytes), machine.source);
  }
}

void Server::recover_in_background() {
  recovering_.emplace(io_.get_executor());
  service_ = std::make_unique<BrokerService>(io_, options_.service, system_now_ms, *store_);
  service_->set_backup_runner(backup_.get());
  service_->set_auth_gate(auth_gate_.get());
  recovery_ = std::thread([this] {
    // recovery time covers replay and rebuilding the core, until the broker could serve
    const auto t0 = std::chrono::steady_clock::now();
    std::string error;
    wal::LogState recovered;
    wal::RecoveryReport report;
    auto fail = [this](const std::string& why) {
      asio::post(io_, [this, why] { on_recovery_failed("recovery failed: " + why); });
    };
    if (!wal::recover_opened(log_, recovered, report, error)) {
      fail(error);
      return;
    }
    const std::optional<wal::LogGuardState>& guard_ = log_.guard;
    if (!guard_ && report.groups > 0) {
      logs::storage().warn(
          "no {} beside the log (a data directory from before it, or a restored backup): ids "
          "continue from the log's own counter",
          wal::log_guard_path(options_.data_dir));
    }
    // From here on the log is being written: the guard says so (a crash is then not mistaken
    // for a clean stop) and reserves ids ahead of the ones this run will hand out.
    wal::LogGuardState running;
    running.stopped_cleanly = false;
    running.id_ceiling = wal::raised_id_ceiling(
        std::max(guard_ ? guard_->id_ceiling : 0, recovered.next_id()), recovered.next_id());
    if (wal::StoreStatus g = wal::write_log_guard(options_.data_dir, running); !g.ok) {
      fail(g.message);
      return;
    }
    service_->set_log_guard(options_.data_dir, running);
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
  AcceptLoop::Options accept;
  accept.name = "protocol";
  accept.log = &logs::server();
  protocol::encode_error(accept.refusal, 0, protocol::ErrorCode::kTooManyConnections,
                         "the broker is out of file descriptors; try again later");
  accept.stats = &service_->mutable_metrics().accept;
  accept_loop_ = std::make_unique<AcceptLoop>(acceptor_, std::move(accept),
                                              [this](tcp::socket s) { on_socket(std::move(s)); });
  accept_loop_->start();
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
  const wal::StoreStatus stopped = service_ ? service_->stop_log() : wal::StoreStatus{};
  if (exit_code_ != 0) return exit_code_;
  if (!stopped.ok) {
    logs::server().critical(
        "symphonyd stopped with its log failing ({}): what it could not write was never "
        "confirmed, and the next start recovers as after a crash",
        stopped.message);
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
  if (accept_loop_) accept_loop_->stop();
  acceptor_.close(ignored);
  signals_.cancel(ignored);
  if (admin_) admin_->stop();
  auth_gate_->stop();  // answers held back by the auth throttle are dropped with their clients
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

void Server::on_socket(tcp::socket socket) {
  Connection::Options o;
  o.max_frame_bytes = options_.service.core.limits.max_frame_bytes;
  o.hello_timeout = std::chrono::milliseconds(options_.service.limits.hello_timeout_ms);
  auto conn =
      std::make_shared<Connection>(std::move(socket), next_session_id_++, *service_, o, tls_.get());
  service_->adopt(conn);
  conn->start();
}

}  // namespace symphony::server
