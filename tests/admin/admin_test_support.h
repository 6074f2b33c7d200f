#pragma once
// Shared pieces of the admin API tests: temp directories and config files, binary-protocol
// clients, polling with a deadline, and a reader for the Prometheus text format.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/admin/http_client.h"
#include "tests/e2e/broker_process.h"
#include "tests/support/temp_dir.h"

namespace symphony::testing {

using namespace std::chrono_literals;

/// A broker started with a TOML config (kept alive as long as the broker) and extra flags.
struct ConfiguredBroker {
  explicit ConfiguredBroker(const std::string& toml, std::vector<std::string> extra = {})
      : config_path(dir.write("symphony.toml", toml)), broker([&] {
          extra.insert(extra.begin(), {"--config", config_path});
          return extra;
        }()) {}
  TempDir dir;
  std::string config_path;
  BrokerProcess broker;
};

/// Retries every 10 ms: a failing retry comes back after 10 ms, so tests never wait long.
inline constexpr const char* kFastRetryToml =
    "[retry.default]\nmax_retries = 2\ndelay_ms = 10\nmax_delay_ms = 10\n";

inline std::unique_ptr<client::Client> connect_client(const BrokerProcess& broker,
                                                      const std::string& token = "") {
  client::ClientOptions o;
  o.port = broker.port();
  o.timeout = 10s;
  o.auth_token = token;
  o.reconnect_attempts = 0;
  return client::Client::connect(o);
}

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Polls `pred` every 5 ms until it holds or `timeout` passes; returns its last answer.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
}

/// Receives exactly `n` deliveries (fails the test when they do not come within the deadline).
inline std::vector<client::Delivery> receive_n(client::Client& c, size_t n,
                                               std::chrono::milliseconds timeout = 10s) {
  std::vector<client::Delivery> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    if (auto d = c.receive(100ms)) out.push_back(std::move(*d));
  }
  EXPECT_EQ(out.size(), n) << "deliveries missing";
  return out;
}

/// The samples of a /metrics text: "name{labels}" (exactly as printed) -> value.
inline std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

/// Checks the exposition format: every sample parses, and its family (the name without a
/// histogram's _bucket/_sum/_count) has a # TYPE line before it. Returns "" or what is wrong.
inline std::string metrics_format_problem(const std::string& text) {
  std::map<std::string, std::string> types;  // family -> type
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    const std::string where = "line " + std::to_string(n) + " '" + line + "': ";
    if (line.empty()) return where + "empty line";
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string family, type;
      t >> family >> type;
      if (type != "counter" && type != "gauge" && type != "histogram") {
        return where + "unknown type";
      }
      if (types.count(family)) return where + "a second TYPE line for the family";
      types[family] = type;
      continue;
    }
    if (line[0] == '#') return where + "unknown comment";
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos || name_end == 0) return where + "no metric name";
    const std::string name = line.substr(0, name_end);
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) {
        return where + "bad metric name";
      }
    }
    size_t value_at = name_end;
    if (line[name_end] == '{') {
      const size_t close = line.find("} ", name_end);
      if (close == std::string::npos) return where + "unterminated labels";
      value_at = close + 1;
    }
    if (line[value_at] != ' ') return where + "no space before the value";
    const std::string value = line.substr(value_at + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') return where + "value is not a number";
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0 &&
          types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
        break;
      }
    }
    if (!types.count(family)) return where + "no # TYPE line before it";
  }
  return "";
}

/// GET /metrics, checked for format, as samples.
inline std::map<std::string, double> scrape(HttpClient& http, const HttpClient::Headers& h = {}) {
  const HttpReply r = http.get("/metrics", h);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(metrics_format_problem(r.body), "");
  return parse_metrics(r.body);
}

/// The value of one sample, or -1 (a value no counter or gauge here can have) when absent.
inline double sample(const std::map<std::string, double>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? -1 : it->second;
}

/// A child process whose stdout and stderr go to a file; killed at the end if still running.
/// For symphonyd command lines BrokerProcess cannot make (it always passes its own --listen).
class Spawned {
 public:
  explicit Spawned(const std::vector<std::string>& argv) : out_path_(dir_.path() + "/out") {
    // everything the child needs is prepared before fork: only async-signal-safe calls after it
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int fd = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create " + out_path_);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      execv(args[0], args.data());
      _exit(127);
    }
    ::close(fd);
  }
  ~Spawned() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  /// The exit code once it exited (polled until `timeout`); -1 while still running.
  int wait_exit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return code_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return code_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(5ms);
    }
  }
  void signal(int signo) {
    if (pid_ > 0) ::kill(pid_, signo);
  }
  std::string output() const {
    std::ifstream in(out_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  TempDir dir_;
  std::string out_path_;
  pid_t pid_ = -1;
  int code_ = -1;
};

/// The port a broker wrote to `port_file`, once it did (0 if it did not within `timeout`).
inline uint16_t wait_for_port_file(const std::string& port_file,
                                   std::chrono::milliseconds timeout = 20s) {
  uint16_t port = 0;
  wait_until(
      [&] {
        std::ifstream in(port_file);
        std::string text;
        std::getline(in, text);
        if (text.empty() || !in.good()) return false;  // complete once the newline is there
        port = static_cast<uint16_t>(std::stoi(text));
        return true;
      },
      timeout);
  return port;
}

}  // namespace symphony::testing
