#include "tests/dashboard/headless_browser.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

// <utility> before Asio: Boost 1.74's Asio needs std::exchange (asio issue 944)
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace symphony::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

asio::ip::tcp::endpoint loopback(uint16_t port) {
  return {asio::ip::make_address("127.0.0.1"), port};
}

bool truthy(const json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty();
  return true;
}

}  // namespace

HttpReply http_request(uint16_t port, std::string_view method, std::string_view target,
                       std::string_view bearer_token, std::chrono::milliseconds timeout) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  // Boost 1.74's Beast takes boost::string_view, not std::string_view
  http::request<http::string_body> req{
      http::string_to_verb(beast::string_view(method.data(), method.size())),
      beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!bearer_token.empty()) {
    req.set(http::field::authorization, "Bearer " + std::string(bearer_token));
  }
  req.prepare_payload();
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code ec;
  // async with the stream's deadline, so a hung server fails the test instead of hanging it
  stream.expires_after(timeout);
  stream.async_connect(loopback(port), [&](beast::error_code e) {
    if ((ec = e)) return;
    http::async_write(stream, req, [&](beast::error_code e2, size_t) {
      if ((ec = e2)) return;
      http::async_read(stream, buffer, res, [&](beast::error_code e3, size_t) { ec = e3; });
    });
  });
  ioc.run();
  if (ec) {
    throw std::runtime_error(std::string(method) + " " + std::string(target) + " on port " +
                             std::to_string(port) + ": " + ec.message());
  }
  return {static_cast<int>(res.result_int()), std::move(res.body())};
}

std::string find_chromium() {
  if (const char* env = std::getenv("SYMPHONY_CHROMIUM"); env && *env) return env;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/chromium";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct HeadlessBrowser::Connection {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};

  /// Runs one asynchronous operation to completion or `deadline`; throws on either failure.
  template <class Start>
  void run(Start&& start, Clock::time_point deadline, const char* what) {
    beast::error_code ec;
    beast::get_lowest_layer(ws).expires_at(deadline);
    start([&ec](beast::error_code e, auto&&...) { ec = e; });
    ioc.restart();
    ioc.run();
    if (ec) throw std::runtime_error(std::string("devtools ") + what + ": " + ec.message());
  }
};

HeadlessBrowser::HeadlessBrowser(const std::string& chromium_path) {
  std::string tmpl = (fs::temp_directory_path() / "symphony-chromium-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  work_dir_ = tmpl;
  try {
    const std::string profile = work_dir_ + "/profile";
    fs::create_directories(profile);
    // --no-sandbox: CI runs as root, where chromium's sandbox refuses to start. The rest keeps a
    // test browser quiet and offline: no first-run UI, no background fetches, no GPU.
    const std::vector<std::string> args{chromium_path,
                                        "--headless=new",
                                        "--no-sandbox",
                                        "--disable-gpu",
                                        "--disable-dev-shm-usage",
                                        "--disable-extensions",
                                        "--disable-background-networking",
                                        "--disable-component-update",
                                        "--disable-sync",
                                        "--disable-default-apps",
                                        "--no-first-run",
                                        "--no-default-browser-check",
                                        "--mute-audio",
                                        "--window-size=1280,900",
                                        "--remote-debugging-address=127.0.0.1",
                                        "--remote-debugging-port=0",
                                        "--user-data-dir=" + profile,
                                        "about:blank"};
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string log_path = work_dir_ + "/chromium.log";
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log_path);
    pid_ = ::fork();
    if (pid_ == 0) {
      // its own process group, so that stop() also reaches the renderer and helper processes
      ::setpgid(0, 0);
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
      ::execv(argv[0], argv.data());
      _exit(127);
    }
    ::close(log_fd);
    if (pid_ < 0) throw std::runtime_error("fork failed");

    // chromium writes the port it bound to DevToolsActivePort in the profile once it listens
    const auto deadline = Clock::now() + 30s;
    while (devtools_port_ == 0) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("chromium exited at start:\n" + log());
      }
      const std::string text = read_text(profile + "/DevToolsActivePort");
      if (const auto nl = text.find('\n'); nl != std::string::npos) {
        devtools_port_ = static_cast<uint16_t>(std::stoi(text.substr(0, nl)));
        break;
      }
      if (Clock::now() > deadline) {
        throw std::runtime_error("chromium did not open its DevTools port within 30 s:\n" + log());
      }
      std::this_thread::sleep_for(20ms);
    }

    // the page target that about:blank opened
    std::string ws_url;
    while (ws_url.empty()) {
      const HttpReply r = http_request(devtools_port_, "GET", "/json/list");
      if (r.status == 200) {
        for (const json& t : json::parse(r.body)) {
          if (t.value("type", "") == "page" && t.contains("webSocketDebuggerUrl")) {
            ws_url = t["webSocketDebuggerUrl"].get<std::string>();
            break;
          }
        }
      }
      if (ws_url.empty()) {
        if (Clock::now() > deadline) {
          throw std::runtime_error("chromium lists no page target:\n" + r.body);
        }
        std::this_thread::sleep_for(20ms);
      }
    }
    // ws://127.0.0.1:PORT/devtools/page/ID: connect to our port, ask for the path
    const auto path_at = ws_url.find('/', ws_url.find("//") + 2);
    if (path_at == std::string::npos) throw std::runtime_error("odd page url " + ws_url);
    const std::string path = ws_url.substr(path_at);
    conn_ = std::make_unique<Connection>();
    // CDP answers with screenshots of a few MiB as one message
    conn_->ws.read_message_max(64u << 20);
    const auto connect_deadline = Clock::now() + 10s;
    conn_->run(
        [&](auto handler) {
          beast::get_lowest_layer(conn_->ws).async_connect(loopback(devtools_port_), handler);
        },
        connect_deadline, "connect");
    conn_->run(
        [&](auto handler) {
          conn_->ws.async_handshake("127.0.0.1:" + std::to_string(devtools_port_), path, handler);
        },
        connect_deadline, "handshake");
  } catch (...) {
    stop();
    throw;
  }
}

HeadlessBrowser::~HeadlessBrowser() {
  stop();
}

void HeadlessBrowser::stop() {
  if (conn_) {
    beast::error_code ec;
    beast::get_lowest_layer(conn_->ws).socket().close(ec);
    conn_.reset();
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + 5s;
    int status = 0;
    bool exited = false;
    while (Clock::now() < deadline) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited = true;
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    // whatever is left of the group we created: helpers that outlived the browser, or all of it
    ::kill(-pid_, SIGKILL);
    if (!exited) ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  if (!work_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(work_dir_, ec);
    work_dir_.clear();
  }
}

std::string HeadlessBrowser::log() const {
  return read_text(work_dir_ + "/chromium.log");
}

json HeadlessBrowser::call(const std::string& method, json params,
                           std::chrono::milliseconds timeout) {
  const int id = next_id_++;
  const std::string out =
      json{{"id", id}, {"method", method}, {"params", std::move(params)}}.dump();
  const auto deadline = Clock::now() + timeout;
  conn_->ws.text(true);
  conn_->run([&](auto handler) { conn_->ws.async_write(asio::buffer(out), handler); }, deadline,
             "write");
  for (;;) {
    beast::flat_buffer buffer;
    conn_->run([&](auto handler) { conn_->ws.async_read(buffer, handler); }, deadline,
               ("reply to " + method).c_str());
    json reply = json::parse(beast::buffers_to_string(buffer.data()));
    // events, and replies to calls that timed out earlier, are not ours
    if (!reply.contains("id") || reply["id"] != id) continue;
    if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
    return std::move(reply["result"]);
  }
}

json HeadlessBrowser::eval(const std::string& js) {
  json r = call("Runtime.evaluate",
                {{"expression", js}, {"returnByValue", true}, {"awaitPromise", true}});
  if (r.contains("exceptionDetails")) {
    const json& d = r["exceptionDetails"];
    const std::string text = d.contains("exception") && d["exception"].contains("description")
                                 ? d["exception"]["description"].get<std::string>()
                                 : d.value("text", std::string("exception"));
    throw std::runtime_error("in the page: " + text);
  }
  json& result = r["result"];
  return result.contains("value") ? std::move(result["value"]) : json();
}

void HeadlessBrowser::navigate(const std::string& url) {
  const json r = call("Page.navigate", {{"url", url}});
  if (r.contains("errorText")) {
    throw std::runtime_error("navigating to " + url + ": " + r["errorText"].get<std::string>());
  }
}

bool HeadlessBrowser::wait_for(const std::string& js, std::chrono::milliseconds timeout,
                               json* last) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    json value;
    try {
      value = eval(js);
    } catch (const std::runtime_error& e) {
      // e.g. "Execution context was destroyed" while a navigation replaces the page
      value = std::string("error: ") + e.what();
      if (last) *last = value;
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(50ms);
      continue;
    }
    if (last) *last = value;
    if (truthy(value)) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
}

}  // namespace symphony::testing
