// The admin API's request parsing, below the HTTP parser (broker/server/admin/admin_call.h,
// route_args.h): the request target, the route arguments and the JSON bodies.
//
// Input := request-target, "\n", body. Properties:
//  - parse_target: the path is the target up to '?'; segments are non-empty; decoded segments
//    and query parameters, percent-encoded again, parse back to the same;
//  - every argument reader (id_segment, flag_param, time_value, filter_from_query, body_object,
//    filter_from_json, retry_request_from_json, schedule_spec_from_json) either succeeds without
//    answering, or answers exactly once with a 400 whose body is the documented JSON error
//    ({"error": "bad_request", "field": ..., "message": ...}); nothing throws;
//  - what they accept is what the routes rely on: ids are positive; a retry names ids (1..100000,
//    all positive) or a filter; a schedule spec has exactly the kind its keys name, a priority
//    of 0 (default) or 1..10 and a positive interval for an interval schedule;
//  - answer_error maps any code to 400/404/409/429/500 with the same JSON shape.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/server/admin/admin_call.h"
#include "broker/server/admin/route_args.h"
#include "tests/fuzz/fuzz_check.h"

using namespace symphony::server::admin;
using nlohmann::json;

namespace {

/// An AdminCall whose answers are collected.
struct Probe {
  AdminCall call;
  std::vector<HttpResponse> answers;
  Probe(const std::vector<std::string>& segments, const std::map<std::string, std::string>& query,
        std::string_view body = {}) {
    call.req.version(11);
    call.segments = segments;
    call.query = query;
    call.req.body() = std::string(body);
    call.respond = [this](HttpResponse&& res) { answers.push_back(std::move(res)); };
  }

  /// `accepted`: the reader said yes. Checks the answer (none, or one JSON error; a 400 names
  /// its field unless `field_named` is false: a parameter with an empty name).
  void expect(bool accepted, int status = 400, bool field_named = true) {
    if (accepted) {
      FUZZ_CHECK(answers.empty(), "an accepted argument is not answered");
      return;
    }
    FUZZ_CHECK(answers.size() == 1, "a refused argument is answered exactly once");
    const HttpResponse& res = answers[0];
    FUZZ_CHECK(res.result_int() == static_cast<unsigned>(status) || status == 0);
    FUZZ_CHECK(res[http::field::content_type] == "application/json");
    const json j = json::parse(res.body(), nullptr, false);
    FUZZ_CHECK(!j.is_discarded() && j.is_object(), "an error is a JSON object");
    FUZZ_CHECK(j.contains("error") && j["error"].is_string());
    FUZZ_CHECK(j.contains("message") && j["message"].is_string());
    if (status == 400 && j["error"] == "bad_request" && field_named) {
      FUZZ_CHECK(j.contains("field") && j["field"].is_string(), "a 400 names its field");
    }
    FUZZ_CHECK(res[http::field::content_length] == std::to_string(res.body().size()));
  }
};

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

void check_target(std::string_view target, const std::string& path,
                  const std::vector<std::string>& segments,
                  const std::map<std::string, std::string>& query) {
  FUZZ_CHECK(path == target.substr(0, target.find('?')));
  for (const std::string& s : segments) FUZZ_CHECK(!s.empty(), "no empty segment");
  std::string again;
  for (const std::string& s : segments) again += "/" + percent_encode(s);
  if (!query.empty()) {
    again += "?";
    for (const auto& [k, v] : query) again += percent_encode(k) + "=" + percent_encode(v) + "&";
  }
  std::string path2;
  std::vector<std::string> segments2;
  std::map<std::string, std::string> query2;
  FUZZ_CHECK(parse_target(again, path2, segments2, query2), "a re-encoded target parses");
  FUZZ_CHECK(segments2 == segments && query2 == query, "a re-encoded target parses the same");
}

void check_spec(const json& j, const symphony::protocol::ScheduleSpec& spec) {
  using symphony::protocol::ScheduleKind;
  const int kinds =
      int(j.contains("at")) + int(j.contains("interval_ms")) + int(j.contains("cron"));
  FUZZ_CHECK(kinds == 1, "a spec names exactly one kind");
  if (j.contains("at")) FUZZ_CHECK(spec.kind == ScheduleKind::kOnce);
  if (j.contains("cron")) FUZZ_CHECK(spec.kind == ScheduleKind::kCron);
  if (j.contains("interval_ms")) {
    FUZZ_CHECK(spec.kind == ScheduleKind::kInterval);
    FUZZ_CHECK(spec.interval_ms > 0, "an interval schedule has a positive interval");
  }
  FUZZ_CHECK(spec.priority == 0 || (spec.priority >= 1 && spec.priority <= 10));
  FUZZ_CHECK(j.contains("type") && j["type"].is_string() && spec.type == j["type"]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in = symphony::fuzz::as_view(data, size);
  const size_t nl = in.find('\n');
  const std::string_view target = in.substr(0, nl);
  const std::string_view body =
      nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  std::string path;
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
  if (!parse_target(target, path, segments, query)) return 0;
  check_target(target, path, segments, query);

  for (size_t i = 0; i < segments.size(); ++i) {
    Probe p(segments, query);
    const auto id = id_segment(p.call, i);
    p.expect(id.has_value());
    if (id) FUZZ_CHECK(*id > 0);
  }
  for (const auto& [k, v] : query) {
    Probe p(segments, query);
    p.expect(flag_param(p.call, k).has_value(), 400, !k.empty());
    Probe t(segments, query);
    t.expect(time_value(t.call, k, v).has_value(), 400, !k.empty());
  }
  {
    Probe p(segments, query);
    p.expect(filter_from_query(p.call).has_value());
  }

  Probe b(segments, query, body);
  const auto object = b.call.body_object();
  b.expect(object.has_value());
  if (object) {
    FUZZ_CHECK(object->is_object());
    // a 400 about a key names it as its field; a key "" gives no name (as an empty parameter)
    const bool keys_named = !object->contains("");
    {
      Probe p(segments, query);
      p.expect(filter_from_json(p.call, *object).has_value(), 400, keys_named);
    }
    {
      Probe p(segments, query);
      symphony::protocol::DeadLetterTarget t;
      bool dry = false;
      const bool ok = retry_request_from_json(p.call, *object, t, dry);
      p.expect(ok, 400, keys_named);
      if (ok) {
        FUZZ_CHECK(t.by_filter == t.ids.empty(), "a retry names ids or a filter");
        FUZZ_CHECK(t.ids.size() <= 100000);
        for (uint64_t id : t.ids) FUZZ_CHECK(id > 0);
      }
    }
    {
      Probe p(segments, query);
      symphony::protocol::ScheduleSpec spec;
      const bool ok = schedule_spec_from_json(p.call, *object, spec);
      p.expect(ok, 400, keys_named);
      if (ok) check_spec(*object, spec);
    }
  }

  if (body.size() >= 2) {
    Probe p(segments, query);
    const auto code = static_cast<symphony::protocol::ErrorCode>(
        static_cast<uint8_t>(body[0]) | static_cast<uint16_t>(static_cast<uint8_t>(body[1])) << 8);
    answer_error(p.call, code, std::string(body.substr(2)));
    FUZZ_CHECK(p.answers.size() == 1);
    const unsigned status = p.answers[0].result_int();
    FUZZ_CHECK(status == 400 || status == 404 || status == 409 || status == 429 || status == 500);
    p.expect(false, static_cast<int>(status));
  }
  return 0;
}
