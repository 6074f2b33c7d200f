// Whole admin HTTP requests: raw bytes through Beast's request parser (with the limits the admin
// listener sets) into AdminApi::handle, as broker/server/admin/admin_listener.cc does, with no
// broker service attached (the API then answers 503 for every route that needs the service).
//
// The input is the bytes a client sends on one connection: requests are parsed and answered one
// after the other until the bytes end or the parser refuses them. Each request is handled twice:
// by an API with no token configured and by one that requires a token. Properties:
//  - nothing throws or crashes, whatever the method, target, headers or body;
//  - every request is answered exactly once, at once (nothing waits for a log without a
//    service), with a status the API documents, a Content-Length that matches the body, no body
//    for HEAD, Allow on a 405, WWW-Authenticate on a 401, and a JSON body for JSON answers;
//  - without the right token, no route but /, /health and /ready answers anything but 401/404/405
//    (or 400 for a broken target): the token guards every other route.
#include <nlohmann/json.hpp>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/server/admin/admin_api.h"
#include "broker/server/logging.h"
#include "broker/server/server.h"
#include "tests/fuzz/fuzz_check.h"

using namespace symphony::server;
using namespace symphony::server::admin;

namespace {

struct Api {
  ServerOptions options;
  AdminState state;
  AdminApi api{state};
  explicit Api(bool with_token) {
    options.data_dir = "/nonexistent/symphony-fuzz";  // /health reads its free space: none
    if (with_token) options.service.auth_tokens = {"s3cret-token"};
    state.options = &options;
  }
};

void check_answer(const HttpRequest& req, const HttpResponse& res, bool token_required) {
  const unsigned status = res.result_int();
  // 403: a change without the JSON type or from another site; 421: a Host the broker does not
  // serve (the admin API's request guard)
  FUZZ_CHECK(status == 200 || status == 400 || status == 401 || status == 403 || status == 404 ||
                 status == 405 || status == 421 || status == 503,
             "a documented status");
  if (req.method() == http::verb::head) {
    FUZZ_CHECK(res.body().empty(), "HEAD has no content");
    FUZZ_CHECK(!res[http::field::content_length].empty(), "HEAD has GET's Content-Length");
  } else {
    FUZZ_CHECK(res[http::field::content_length] == std::to_string(res.body().size()),
               "Content-Length is the body's size");
  }
  if (status == 405) FUZZ_CHECK(!res[http::field::allow].empty(), "a 405 says what is allowed");
  if (status == 401) {
    FUZZ_CHECK(token_required, "no 401 without a token configured");
    FUZZ_CHECK(res[http::field::www_authenticate] == "Bearer");
    FUZZ_CHECK(!res.keep_alive(), "a 401 closes the connection");
  }
  if (res[http::field::content_type] == "application/json" &&
      req.method() != http::verb::head) {
    const nlohmann::json j = nlohmann::json::parse(res.body(), nullptr, false);
    FUZZ_CHECK(!j.is_discarded() && j.is_object(), "a JSON answer is a JSON object");
    if (status >= 400 && status != 503) FUZZ_CHECK(j.contains("error") && j.contains("message"));
  }
  if (token_required && status == 200) {
    // only the open routes answer 200 without the token
    std::string path;
    std::vector<std::string> segments;
    std::map<std::string, std::string> query;
    FUZZ_CHECK(parse_target(std::string_view(req.target().data(), req.target().size()), path,
                            segments, query));
    const bool open = segments.empty() ||
                      (segments.size() == 1 && (segments[0] == "health" || segments[0] == "ready"));
    const bool sent_token = req[http::field::authorization] == "Bearer s3cret-token";
    FUZZ_CHECK(sent_token || open, "the token guards every route but /, /health and /ready");
  }
}

void handle(Api& api, const HttpRequest& req, bool token_required) {
  std::vector<HttpResponse> answers;
  HttpRequest copy = req;
  api.api.handle(std::move(copy), "192.0.2.1:4242",
                 [&](HttpResponse&& res) { answers.push_back(std::move(res)); });
  FUZZ_CHECK(answers.size() == 1, "a request is answered exactly once, at once");
  check_answer(req, answers[0], token_required);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    setup_logging("text", "off");  // the access log and auth failures would flood stderr
    return true;
  }();
  (void)quiet;
  static Api open_api(false);
  static Api guarded_api(true);

  std::string_view rest = symphony::fuzz::as_view(data, size);
  for (int requests = 0; requests < 8 && !rest.empty(); ++requests) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxRequestBodyBytes);
    parser.header_limit(16 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    size_t used = 0;
    while (!parser.is_done()) {
      const size_t n = parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
      used += n;
      FUZZ_CHECK(used <= rest.size());
      if (ec == http::error::need_more) ec = {};
      if (ec) break;
      if (n == 0 || used == rest.size()) {
        // the parser wants bytes the input does not have: the connection ends here
        if (!parser.is_done()) parser.put_eof(ec);
        break;
      }
    }
    if (ec || !parser.is_done()) return 0;  // the listener answers 400 or closes
    rest.remove_prefix(used);
    const HttpRequest req = parser.release();
    handle(open_api, req, false);
    handle(guarded_api, req, true);
  }
  return 0;
}
