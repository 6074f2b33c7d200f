#pragma once
// Runs the real symphonyd for integration tests: a fresh temp data directory, port 0 (the
// broker writes the port it bound to a file), stopped with SIGTERM (or SIGKILL) at the end.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace symphony::testing {

class BrokerProcess {
 public:
  /// Starts symphonyd with `extra_args`; reuses `data_dir` when given (for restarts).
  explicit BrokerProcess(std::vector<std::string> extra_args = {}, std::string data_dir = "");
  /// The same with another build of the daemon (a test build that takes symphonyd's options).
  BrokerProcess(std::vector<std::string> extra_args, std::string data_dir, std::string binary);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  uint16_t port() const { return port_; }
  /// The admin HTTP port (0 when the test turned the admin API off).
  uint16_t admin_port() const { return admin_port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  /// Sends `signo` (SIGTERM by default) and waits; returns the exit status (or -1 if it did not
  /// exit within `timeout`).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10), int signo = 15);
  /// SIGKILL and wait.
  void kill9();
  bool running() const { return pid_ > 0; }
  /// Whatever the broker printed (stdout and stderr).
  std::string log() const;

  static std::string symphonyd_path();
  static std::string cli_path();

 private:
  void start(const std::vector<std::string>& extra_args);

  std::string binary_;
  std::string data_dir_;
  std::string work_dir_;
  bool own_data_dir_ = false;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
};

/// Runs a command, returns its exit code and stdout (stderr goes to `err` if given).
int run_command(const std::vector<std::string>& argv, std::string& out, std::string* err = nullptr);

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};
/// Runs `symphony --server <broker> --timeout-ms T args...` (a generous T: sanitizer builds on a
/// loaded machine are slow, and it only bounds a failure).
CliResult run_cli(const BrokerProcess& broker, const std::vector<std::string>& args,
                  int timeout_ms = 20000);

}  // namespace symphony::testing
