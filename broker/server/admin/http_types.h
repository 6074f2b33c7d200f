#pragma once
// The admin API's HTTP vocabulary (Boost.Beast), shared by the listener and the routes.
#include <boost/beast/http.hpp>

#include <functional>

namespace symphony::server::admin {

namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
/// Sends the response of one request; may be called later, from the event loop (a reply that
/// waits for the log), but exactly once.
using Respond = std::function<void(HttpResponse&&)>;

/// Largest request body the admin API reads (a schedule or a filter is a few hundred bytes).
constexpr size_t kMaxRequestBodyBytes = 1u << 20;

}  // namespace symphony::server::admin
