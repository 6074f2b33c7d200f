#include "broker/server/admin/admin_call.h"

#include <fmt/format.h>

namespace symphony::server::admin {

using nlohmann::json;

void AdminCall::send(int status, std::string body, std::string_view content_type) {
  if (answered) return;
  answered = true;
  HttpResponse res{static_cast<http::status>(status), req.version()};
  res.set(http::field::server, "symphonyd");
  res.set(http::field::content_type,
          boost::beast::string_view(content_type.data(), content_type.size()));
  res.set(http::field::cache_control, "no-store");
  for (const auto& [field, value] : extra_headers) res.set(field, value);
  res.keep_alive(req.keep_alive() && !close_after);
  res.body() = std::move(body);
  res.prepare_payload();
  // HEAD: the headers GET would get, Content-Length included, and no content (RFC 9110 9.3.2)
  if (req.method() == http::verb::head) res.body().clear();
  respond(std::move(res));
}

void AdminCall::send_json(int status, const nlohmann::json& body) {
  // request text echoed in errors (and stored error texts) may not be UTF-8: replace, never throw
  send(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
       "application/json");
}

void AdminCall::error(int status, std::string_view code, std::string_view field,
                      std::string_view message) {
  nlohmann::json j{{"error", code}, {"message", message}};
  if (!field.empty()) j["field"] = field;
  send_json(status, j);
}

bool AdminCall::only_params(std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : query) {
    bool ok = false;
    for (std::string_view n : known) ok |= k == n;
    if (!ok) {
      bad_request(k, fmt::format("unknown parameter '{}'", k));
      return false;
    }
  }
  return true;
}

std::optional<json> AdminCall::body_object() {
  if (req.body().empty()) return json::object();
  json j = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    bad_request("body", "the body is not valid JSON");
    return std::nullopt;
  }
  if (!j.is_object()) {
    bad_request("body", "the body must be a JSON object");
    return std::nullopt;
  }
  return j;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool url_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

}  // namespace

bool parse_target(std::string_view target, std::string& path, std::vector<std::string>& segments,
                  std::map<std::string, std::string>& query) {
  const size_t q = target.find('?');
  const std::string_view raw_path = target.substr(0, q);
  path.assign(raw_path);
  segments.clear();
  query.clear();
  size_t start = 0;
  while (start < raw_path.size()) {
    size_t end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    if (end > start) {
      std::string seg;
      if (!url_decode(raw_path.substr(start, end - start), seg, false)) return false;
      segments.push_back(std::move(seg));
    }
    start = end + 1;
  }
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string k, v;
    if (!url_decode(pair.substr(0, eq), k, true)) return false;
    if (eq != std::string_view::npos && !url_decode(pair.substr(eq + 1), v, true)) return false;
    query[k] = v;
  }
  return true;
}

}  // namespace symphony::server::admin
