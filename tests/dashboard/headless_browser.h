#pragma once
// Drives Debian's `chromium` in headless mode over the Chrome DevTools Protocol (a websocket,
// with Boost.Beast), so that tests can open the admin dashboard, read its DOM and press its
// buttons. Also a small HTTP client for the tests' own calls to the admin API.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace symphony::testing {

struct HttpReply {
  int status = 0;
  std::string body;
};

/// One HTTP/1.1 request to 127.0.0.1:`port`; throws std::runtime_error on transport errors.
HttpReply http_request(uint16_t port, std::string_view method, std::string_view target,
                       std::string_view bearer_token = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// The chromium binary: $SYMPHONY_CHROMIUM, else `chromium` on the PATH; empty when there is none.
std::string find_chromium();

class HeadlessBrowser {
 public:
  /// Starts chromium with a fresh profile and connects to its page; throws std::runtime_error.
  explicit HeadlessBrowser(const std::string& chromium_path);
  ~HeadlessBrowser();
  HeadlessBrowser(const HeadlessBrowser&) = delete;
  HeadlessBrowser& operator=(const HeadlessBrowser&) = delete;

  /// One CDP command; returns its "result", throws on a CDP error or after `timeout`.
  nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::object(),
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));
  /// Evaluates `js` in the page (awaiting a promise) and returns its value (null if undefined);
  /// throws if it threw.
  nlohmann::json eval(const std::string& js);
  void navigate(const std::string& url);
  /// Evaluates `js` until it yields a truthy value or `timeout` passes; returns whether it did.
  /// `last` receives the last value, or the last error as a string.
  bool wait_for(const std::string& js, std::chrono::milliseconds timeout,
                nlohmann::json* last = nullptr);
  /// What chromium printed, for failure messages.
  std::string log() const;

 private:
  struct Connection;
  void stop();

  std::string work_dir_;
  pid_t pid_ = -1;
  uint16_t devtools_port_ = 0;
  std::unique_ptr<Connection> conn_;
  int next_id_ = 1;
};

}  // namespace symphony::testing
