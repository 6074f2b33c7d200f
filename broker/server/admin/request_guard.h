#pragma once
// The admin API's defences against browsers, checked before a request reaches its route (and
// before its token is looked at). Pure functions of the request, so they are unit-tested and
// fuzzed without a socket.
//
// 1. DNS rebinding: a page on evil.example whose name is re-pointed at 127.0.0.1 reaches the
//    admin port as its own origin, so CORS does not stop it; but its requests carry
//    `Host: evil.example`. Every request (the open /, /health and /ready too: one rule, and a
//    probe by address or localhost passes anyway) must name the broker: an IP literal (IPv6 in
//    brackets), `localhost`, or a name in `[admin] allowed_hosts`, each with or without a port.
//    Else 421 Misdirected Request. An HTTP/1.0 request without Host passes (no browser sends
//    one); HTTP/1.1 requires Host (400 without it, RFC 9112 3.2).
// 2. Cross-site requests: a page on another origin can make the browser send a POST (form,
//    text/plain or multipart body: no CORS preflight) and even without reading the answer the
//    harm is done. A request that changes state (any method but GET, HEAD, OPTIONS) is refused
//    with 403 when
//      - its `Origin` is present and is not the broker's own (scheme://Host of the request),
//      - its `Sec-Fetch-Site` is `cross-site` or `same-site` (a site ignores ports: another
//        local web app on localhost:3000 is same-site),
//      - or it lacks `Content-Type: application/json` (a browser only sends that cross-origin
//        after a CORS preflight, which the broker never grants).
//    A GET or HEAD that a browser marks cross-site or same-site is refused too unless it is a
//    top-level navigation (`Sec-Fetch-Mode: navigate`, following a link to the dashboard): no
//    other site has a reason to load the API, and refusing before the token check keeps a page
//    from spending the address's auth failures (AuthThrottle).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/server/admin/http_types.h"

namespace symphony::server::admin {

/// Why a request is refused: HTTP status, error code, the header at fault, a message.
struct Refusal {
  int status = 403;
  std::string code;
  std::string field;
  std::string message;
};

/// Check 1. `allowed_hosts`: lower-case names without ports ([admin] allowed_hosts).
std::optional<Refusal> check_host(const HttpRequest& req,
                                  const std::vector<std::string>& allowed_hosts);
/// Check 2. `tls`: the admin port speaks HTTPS (the broker's own origin is then https://...).
std::optional<Refusal> check_cross_site(const HttpRequest& req, bool tls);

/// True when `host_header` (a Host value: host, host:port, [v6] or [v6]:port) names the broker.
bool host_is_served(std::string_view host_header, const std::vector<std::string>& allowed_hosts);
/// A DNS name as [admin] allowed_hosts takes it: labels of letters, digits, '-' and '_',
/// separated by dots, 1..253 characters, no port. Empty on success, else what is wrong.
std::string host_name_problem(std::string_view name);

}  // namespace symphony::server::admin
