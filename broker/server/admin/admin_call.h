#pragma once
// One admin API request on its way through the router: the parsed path and query, and helpers
// that answer it with JSON. Errors are {"error": code, "field": name (when one is at fault),
// "message": text}.
#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "broker/server/admin/http_types.h"

namespace symphony::server::admin {

struct AdminCall {
  HttpRequest req;
  std::string path;                          ///< without the query
  std::vector<std::string> segments;         ///< of the path, URL-decoded
  std::map<std::string, std::string> query;  ///< URL-decoded
  Respond respond;
  bool answered = false;
  /// Added to the answer (Allow on a 405, WWW-Authenticate on a 401).
  std::vector<std::pair<http::field, std::string>> extra_headers;
  bool close_after = false;  ///< answer with Connection: close whatever the client asked

  void send(int status, std::string body, std::string_view content_type);
  void send_json(int status, const nlohmann::json& body);
  void error(int status, std::string_view code, std::string_view field, std::string_view message);
  void bad_request(std::string_view field, std::string_view message) {
    error(400, "bad_request", field, message);
  }
  void not_found(std::string_view message) { error(404, "not_found", "", message); }

  /// Every query parameter must be one of `known`; else 400 naming the first stranger.
  bool only_params(std::initializer_list<std::string_view> known);
  /// The body as a JSON object (an empty body is {}); else 400.
  std::optional<nlohmann::json> body_object();
};

/// Splits "/a/b%20c?x=1&y" into path, decoded segments and decoded parameters; false when the
/// percent-encoding is broken.
bool parse_target(std::string_view target, std::string& path, std::vector<std::string>& segments,
                  std::map<std::string, std::string>& query);

}  // namespace symphony::server::admin
