#include "tests/e2e/broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace symphony::testing {

namespace fs = std::filesystem;

namespace {

std::string make_temp_dir(const char* prefix) {
  std::string tmpl = (fs::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    if (out_fd >= 0) dup2(out_fd, 1);
    if (err_fd >= 0) dup2(err_fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string BrokerProcess::symphonyd_path() {
  return SYMPHONYD_PATH;
}
std::string BrokerProcess::cli_path() {
  return SYMPHONY_CLI_PATH;
}

BrokerProcess::BrokerProcess(std::vector<std::string> extra_args, std::string data_dir)
    : BrokerProcess(std::move(extra_args), std::move(data_dir), symphonyd_path()) {}

BrokerProcess::BrokerProcess(std::vector<std::string> extra_args, std::string data_dir,
                             std::string binary)
    : binary_(std::move(binary)) {
  work_dir_ = make_temp_dir("symphony-test-");
  if (data_dir.empty()) {
    data_dir_ = work_dir_ + "/data";
    own_data_dir_ = true;
  } else {
    data_dir_ = std::move(data_dir);
  }
  try {
    start(extra_args);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(work_dir_, ec);  // the destructor does not run for a failed constructor
    throw;
  }
}

void BrokerProcess::start(const std::vector<std::string>& extra_args) {
  const std::string port_file = work_dir_ + "/port";
  const std::string admin_port_file = work_dir_ + "/admin_port";
  std::vector<std::string> argv{binary_,   "--listen",    "127.0.0.1:0", "--data-dir",
                                data_dir_, "--port-file", port_file};
  // an ephemeral admin port too, so that brokers of parallel tests do not collide on 7401
  if (std::find(extra_args.begin(), extra_args.end(), "--admin-listen") == extra_args.end()) {
    argv.insert(argv.end(), {"--admin-listen", "127.0.0.1:0"});
  }
  argv.insert(argv.end(), {"--admin-port-file", admin_port_file});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  const int log_fd = open((work_dir_ + "/broker.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_ = spawn(argv, log_fd, log_fd);
  close(log_fd);
  // wait for the port file (the broker writes it once listening)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("symphonyd exited at start:\n" + log());
    }
    const std::string text = read_file(port_file);
    if (!text.empty() && text.back() == '\n') {
      port_ = static_cast<uint16_t>(std::stoi(text));
      const std::string admin = read_file(admin_port_file);  // written before the port file
      if (!admin.empty() && admin.back() == '\n') {
        admin_port_ = static_cast<uint16_t>(std::stoi(admin));
      }
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill9();
  throw std::runtime_error("symphonyd did not start listening within 30 s:\n" + log());
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) kill9();
  std::error_code ec;
  fs::remove_all(work_dir_, ec);
}

int BrokerProcess::terminate(std::chrono::milliseconds timeout, int signo) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, signo);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

void BrokerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string BrokerProcess::log() const {
  return read_file(work_dir_ + "/broker.log");
}

int run_command(const std::vector<std::string>& argv, std::string& out, std::string* err) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = spawn(argv, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  // read both pipes; outputs here are small, so drain stdout then stderr
  auto drain = [](int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    close(fd);
    return s;
  };
  out = drain(out_pipe[0]);
  std::string e = drain(err_pipe[0]);
  if (err) *err = std::move(e);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CliResult run_cli(const BrokerProcess& broker, const std::vector<std::string>& args,
                  int timeout_ms) {
  std::vector<std::string> argv{BrokerProcess::cli_path(), "--server", broker.address(),
                                "--timeout-ms", std::to_string(timeout_ms)};
  argv.insert(argv.end(), args.begin(), args.end());
  CliResult r;
  r.code = run_command(argv, r.out, &r.err);
  return r;
}

}  // namespace symphony::testing
