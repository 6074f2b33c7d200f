#include "broker/server/admin/request_guard.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "broker/server/asio.h"

namespace symphony::server::admin {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view field(const HttpRequest& req, http::field f) {
  const auto it = req.find(f);
  if (it == req.end()) return {};
  return trim(std::string_view(it->value().data(), it->value().size()));
}

std::string_view field(const HttpRequest& req, std::string_view name) {
  const auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  if (it == req.end()) return {};
  return trim(std::string_view(it->value().data(), it->value().size()));
}

/// What a client wrote, shortened for an error message.
std::string echo(std::string_view s) {
  constexpr size_t kMax = 100;
  std::string out(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");  // appends: GCC 12 -O3 warns on + (-Wrestrict)
  return out;
}

/// Splits a Host value into host and port (empty when absent); false when malformed.
bool split_host(std::string_view value, std::string_view& host, std::string_view& port,
                bool& bracketed) {
  bracketed = !value.empty() && value.front() == '[';
  if (bracketed) {
    const size_t close = value.find(']');
    if (close == std::string_view::npos) return false;
    host = value.substr(1, close - 1);
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    port = rest.empty() ? rest : rest.substr(1);
    if (!rest.empty() && port.empty()) return false;
  } else {
    const size_t colon = value.find(':');
    host = value.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = value.substr(colon + 1);
      if (port.empty()) return false;
    } else {
      port = {};
    }
  }
  if (host.empty() || port.size() > 5) return false;
  unsigned n = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n <= 65535;
}

bool is_safe_method(http::verb m) {
  return m == http::verb::get || m == http::verb::head || m == http::verb::options;
}

/// "scheme://host[:port]" lower-cased, without the scheme's default port.
std::string normalized_origin(std::string_view scheme, std::string_view authority) {
  std::string out = lower(scheme);
  const std::string_view default_port = out == "http" ? ":80" : out == "https" ? ":443" : "";
  out.append("://");
  out.append(lower(authority));
  if (!default_port.empty() && out.ends_with(default_port)) {
    out.resize(out.size() - default_port.size());
  }
  return out;
}

}  // namespace

std::string host_name_problem(std::string_view name) {
  if (name.empty() || name.size() > 253) return "a host name is 1..253 characters";
  if (name.find(':') != std::string_view::npos) {
    return fmt::format("'{}': give the name without a port (any port is accepted)", echo(name));
  }
  size_t label = 0;
  for (size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > 63) {
        return fmt::format("'{}' is not a host name (empty or over-long label)", echo(name));
      }
      label = 0;
      continue;
    }
    const char c = name[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return fmt::format("'{}' is not a host name (letters, digits, '-', '_' and dots)",
                         echo(name));
    }
    ++label;
  }
  return {};
}

bool host_is_served(std::string_view host_header, const std::vector<std::string>& allowed_hosts) {
  std::string_view host, port;
  bool bracketed = false;
  if (!split_host(host_header, host, port, bracketed)) return false;
  boost::system::error_code ec;
  if (bracketed) {
    boost::asio::ip::make_address_v6(std::string(host), ec);
    return !ec;
  }
  // an IPv4 literal in dotted-quad form only (inet_pton): "0x7f.1" is a name, and no name is
  // trusted unless the operator listed it
  boost::asio::ip::make_address_v4(std::string(host), ec);
  if (!ec) return true;
  std::string name = lower(host);
  if (!name.empty() && name.back() == '.') name.pop_back();  // "localhost." is localhost
  if (name == "localhost") return true;
  return std::find(allowed_hosts.begin(), allowed_hosts.end(), name) != allowed_hosts.end();
}

std::optional<Refusal> check_host(const HttpRequest& req,
                                  const std::vector<std::string>& allowed_hosts) {
  const auto it = req.find(http::field::host);
  if (it == req.end()) {
    if (req.version() < 11) return std::nullopt;
    return Refusal{400, "bad_request", "Host", "an HTTP/1.1 request needs a Host header"};
  }
  const std::string_view host = field(req, http::field::host);
  if (host_is_served(host, allowed_hosts)) return std::nullopt;
  return Refusal{421, "misdirected_request", "Host",
                 fmt::format("Host '{}' is not a name this broker serves (it answers to IP "
                             "addresses, localhost and the names in [admin] allowed_hosts): "
                             "refused as DNS rebinding",
                             echo(host))};
}

std::optional<Refusal> check_cross_site(const HttpRequest& req, bool tls) {
  const bool safe = is_safe_method(req.method());
  const std::string site = lower(field(req, "Sec-Fetch-Site"));
  if (site == "cross-site" || site == "same-site") {
    if (!safe) {
      return Refusal{403, "cross_site", "Sec-Fetch-Site",
                     fmt::format("Sec-Fetch-Site: {}: the admin API takes no changes from another "
                                 "site's pages",
                                 site)};
    }
    if (lower(field(req, "Sec-Fetch-Mode")) != "navigate") {
      return Refusal{403, "cross_site", "Sec-Fetch-Site",
                     fmt::format("Sec-Fetch-Site: {}: another site's page may link to the "
                                 "dashboard but not load the API",
                                 site)};
    }
  }
  if (safe) return std::nullopt;
  if (req.find(http::field::origin) != req.end()) {
    const std::string_view origin = field(req, http::field::origin);
    const size_t sep = origin.find("://");
    const bool own =
        sep != std::string_view::npos && req.find(http::field::host) != req.end() &&
        normalized_origin(origin.substr(0, sep), origin.substr(sep + 3)) ==
            normalized_origin(tls ? "https" : "http", field(req, http::field::host));
    if (!own) {
      return Refusal{403, "cross_site", "Origin",
                     fmt::format("Origin '{}' is not this broker's own: the admin API takes no "
                                 "changes from another origin's pages",
                                 echo(origin))};
    }
  }
  std::string_view type = field(req, http::field::content_type);
  type = trim(type.substr(0, type.find(';')));
  if (lower(type) != "application/json") {
    return Refusal{403, "content_type", "Content-Type",
                   fmt::format("a {} needs Content-Type: application/json, even without a body "
                               "(what a browser cannot send another site's way without asking "
                               "first)",
                               std::string(req.method_string()))};
  }
  return std::nullopt;
}

}  // namespace symphony::server::admin
