// The admin API's browser defences as pure functions of a request: the Host check (DNS
// rebinding) and the cross-site check (Origin, Sec-Fetch-Site, Content-Type).
#include "broker/server/admin/request_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace symphony::server::admin {
namespace {

HttpRequest request(http::verb method, std::vector<std::pair<std::string, std::string>> fields,
                    unsigned version = 11) {
  HttpRequest req{method, "/schedules", version};
  for (const auto& [k, v] : fields) req.set(k, v);
  return req;
}

TEST(RequestGuardTest, HostsTheBrokerServes) {
  const std::vector<std::string> none;
  for (const char* ok : {"127.0.0.1", "127.0.0.1:7401", "10.1.2.3:80", "0.0.0.0", "[::1]",
                         "[::1]:7401", "[2001:db8::5]:1", "localhost", "LocalHost:7401",
                         "localhost.", "localhost:65535"}) {
    EXPECT_TRUE(host_is_served(ok, none)) << ok;
  }
  for (const char* bad : {"evil.example", "evil.example:7401", "127.0.0.1.nip.io", "0x7f.1",
                          "2130706433", "127.1", "::1", "[::1", "[::1]x", "[::1]:", "127.0.0.1:",
                          "127.0.0.1:99999", "127.0.0.1:7a", "[evil.example]", "", ":7401",
                          "localhost.evil.example", "broker.internal", "a b"}) {
    EXPECT_FALSE(host_is_served(bad, none)) << bad;
  }
  const std::vector<std::string> allowed{"broker.internal"};
  EXPECT_TRUE(host_is_served("broker.internal", allowed));
  EXPECT_TRUE(host_is_served("BROKER.internal:7401", allowed));
  EXPECT_FALSE(host_is_served("x.broker.internal", allowed));
  EXPECT_FALSE(host_is_served("broker.internal.evil.example", allowed));
}

TEST(RequestGuardTest, CheckHostRefusesWith421AndNeedsHostIn11) {
  const std::vector<std::string> none;
  auto r = check_host(request(http::verb::get, {{"Host", "evil.example"}}), none);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 421);
  EXPECT_EQ(r->code, "misdirected_request");
  EXPECT_EQ(r->field, "Host");
  EXPECT_NE(r->message.find("evil.example"), std::string::npos);
  EXPECT_FALSE(check_host(request(http::verb::get, {{"Host", "127.0.0.1:7401"}}), none));
  r = check_host(request(http::verb::get, {}), none);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_FALSE(check_host(request(http::verb::get, {}, 10), none)) << "HTTP/1.0 has no Host";
  // an over-long Host is echoed shortened
  r = check_host(request(http::verb::get, {{"Host", std::string(5000, 'a')}}), none);
  ASSERT_TRUE(r);
  EXPECT_LT(r->message.size(), 400u);
}

TEST(RequestGuardTest, ChangesNeedTheJsonTypeTheOwnOriginAndNoCrossSiteFetch) {
  const std::string host = "127.0.0.1:7401";
  auto post = [&](std::vector<std::pair<std::string, std::string>> extra) {
    extra.emplace_back("Host", host);
    return check_cross_site(request(http::verb::post, std::move(extra)), false);
  };
  EXPECT_FALSE(post({{"Content-Type", "application/json"}}));
  EXPECT_FALSE(post({{"Content-Type", "Application/JSON; charset=utf-8"}}));
  EXPECT_FALSE(post({{"Content-Type", "application/json"}, {"Origin", "http://127.0.0.1:7401"}}));
  EXPECT_FALSE(post({{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "same-origin"}}));
  EXPECT_FALSE(post({{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "none"}}));

  struct Bad {
    std::vector<std::pair<std::string, std::string>> fields;
    std::string field;
  };
  for (const Bad& b : std::vector<Bad>{
           {{{"Content-Type", "text/plain"}}, "Content-Type"},
           {{}, "Content-Type"},
           {{{"Content-Type", "application/x-www-form-urlencoded"}}, "Content-Type"},
           {{{"Content-Type", "multipart/form-data; boundary=x"}}, "Content-Type"},
           {{{"Content-Type", "application/jsonx"}}, "Content-Type"},
           {{{"Content-Type", "text/plain; application/json"}}, "Content-Type"},
           {{{"Content-Type", "application/json"}, {"Origin", "http://evil.example"}}, "Origin"},
           {{{"Content-Type", "application/json"}, {"Origin", "null"}}, "Origin"},
           {{{"Content-Type", "application/json"}, {"Origin", "https://127.0.0.1:7401"}},
            "Origin"},
           {{{"Content-Type", "application/json"}, {"Origin", "http://127.0.0.1:7402"}}, "Origin"},
           {{{"Content-Type", "application/json"}, {"Origin", "http://localhost:7401"}}, "Origin"},
           {{{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "cross-site"}},
            "Sec-Fetch-Site"},
           {{{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "same-site"}},
            "Sec-Fetch-Site"},
       }) {
    const auto r = post(b.fields);
    ASSERT_TRUE(r) << b.field;
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->field, b.field);
    EXPECT_FALSE(r->message.empty());
  }
  // DELETE, PUT, PATCH and unknown methods are changes too
  for (http::verb m : {http::verb::delete_, http::verb::put, http::verb::patch}) {
    const auto r = check_cross_site(request(m, {{"Host", host}}), false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->field, "Content-Type");
  }
}

TEST(RequestGuardTest, TheOwnOriginFollowsSchemeAndDefaultPorts) {
  auto origin_ok = [](const std::string& host, const std::string& origin, bool tls) {
    return !check_cross_site(request(http::verb::post, {{"Host", host},
                                                        {"Origin", origin},
                                                        {"Content-Type", "application/json"}}),
                             tls);
  };
  EXPECT_TRUE(origin_ok("broker.internal", "http://broker.internal", false));
  EXPECT_TRUE(origin_ok("broker.internal:80", "http://broker.internal", false));
  EXPECT_TRUE(origin_ok("broker.internal", "http://broker.internal:80", false));
  EXPECT_TRUE(origin_ok("Broker.Internal:443", "https://broker.internal", true));
  EXPECT_TRUE(origin_ok("[::1]:7401", "http://[::1]:7401", false));
  EXPECT_FALSE(origin_ok("broker.internal", "https://broker.internal", false));
  EXPECT_FALSE(origin_ok("broker.internal:8080", "http://broker.internal:80", false));
  EXPECT_FALSE(origin_ok("broker.internal", "http://broker.internal/", false));
  EXPECT_FALSE(origin_ok("broker.internal", "broker.internal", false));
}

TEST(RequestGuardTest, ReadsAreFreeExceptCrossSiteSubresources) {
  const std::string host = "127.0.0.1:7401";
  for (http::verb m : {http::verb::get, http::verb::head, http::verb::options}) {
    EXPECT_FALSE(check_cross_site(request(m, {{"Host", host}}), false));
    EXPECT_FALSE(check_cross_site(request(m, {{"Host", host}, {"Origin", "http://evil"}}), false))
        << "a foreign page cannot read the answer (no CORS headers)";
    EXPECT_FALSE(check_cross_site(request(m, {{"Host", host}, {"Sec-Fetch-Site", "same-origin"}}),
                                  false));
  }
  // following a link from another site to the dashboard is fine...
  EXPECT_FALSE(check_cross_site(
      request(http::verb::get,
              {{"Host", host}, {"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", "navigate"}}),
      false));
  // ...loading the API from its page is not (img, script, fetch in no-cors mode)
  for (const char* mode : {"no-cors", "cors", ""}) {
    const auto r = check_cross_site(
        request(http::verb::get,
                {{"Host", host}, {"Sec-Fetch-Site", "cross-site"}, {"Sec-Fetch-Mode", mode}}),
        false);
    ASSERT_TRUE(r) << mode;
    EXPECT_EQ(r->status, 403);
    EXPECT_EQ(r->field, "Sec-Fetch-Site");
  }
}

TEST(RequestGuardTest, AllowedHostNamesAreCheckedAtConfigTime) {
  for (const char* ok : {"broker.internal", "a", "my-broker_1.example.com", "x.y"}) {
    EXPECT_EQ(host_name_problem(ok), "") << ok;
  }
  for (const char* bad : {"", "broker.internal:7401", "a..b", ".a", "a.", "a b", "*.example",
                          "a/b", "[::1]"}) {
    EXPECT_NE(host_name_problem(bad), "") << bad;
  }
  EXPECT_NE(host_name_problem(std::string(254, 'a')), "");
  EXPECT_NE(host_name_problem(std::string(64, 'a')), "") << "a label is at most 63";
}

}  // namespace
}  // namespace symphony::server::admin
