// The admin dashboard (GET / on the admin port) in a real headless Chromium against the real
// symphonyd: what the page shows must be what /status says, and its buttons must act on the
// broker. Chromium comes from scripts/install-deps.sh; without it these tests fail, not skip.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/client.h"
#include "tests/dashboard/headless_browser.h"
#include "tests/e2e/broker_process.h"

namespace symphony::testing {
namespace {

using client::Client;
using client::ClientOptions;
using client::DispatchOptions;
using nlohmann::json;
using namespace std::chrono_literals;

// Generous: CI also runs this under ASan, where the broker is several times slower, and after a
// refused token the auth throttle may hold the page's next requests for up to 4 s each; on a
// loaded 2-core machine 10 s was seen to run out (a bound on failure only: it passes in ~2 s).
constexpr auto kPageTimeout = 30s;

std::unique_ptr<Client> connect_to(const BrokerProcess& broker, const std::string& token = "") {
  ClientOptions o;
  o.port = broker.port();
  o.auth_token = token;
  o.timeout = 20s;
  return Client::connect(o);
}

json get_json(const BrokerProcess& broker, const std::string& target,
              const std::string& token = "") {
  const HttpReply r = http_request(broker.admin_port(), "GET", target, token);
  if (r.status != 200) {
    throw std::runtime_error("GET " + target + " answered " + std::to_string(r.status) + ": " +
                             r.body);
  }
  return json::parse(r.body);
}

// Every queue row of the page: queue -> field -> the text the user sees.
constexpr const char* kQueueTableJs = R"JS((() => {
  const out = {};
  for (const tr of document.querySelectorAll('#queue-rows tr[data-queue]')) {
    const row = {};
    for (const td of tr.querySelectorAll('td[data-field]')) row[td.dataset.field] = td.textContent;
    out[tr.dataset.queue] = row;
  }
  return out;
})())JS";

// The dead-letter rows of the page: id -> queue.
constexpr const char* kDeadRowsJs = R"JS((() => {
  const out = {};
  for (const tr of document.querySelectorAll('#dead-rows tr[data-dead-id]')) {
    out[tr.dataset.deadId] = tr.querySelector('[data-field="queue"]').textContent;
  }
  return out;
})())JS";

/// A count as the page shows it ("1,234"), or -1 when it isn't one.
long page_count(const json& table, const std::string& queue, const std::string& field) {
  if (!table.contains(queue) || !table[queue].contains(field)) return -1;
  std::string digits;
  for (char ch : table[queue][field].get<std::string>()) {
    if (ch >= '0' && ch <= '9') {
      digits += ch;
    } else if (ch != ',') {
      return -1;
    }
  }
  return digits.empty() ? -1 : std::stol(digits);
}

constexpr const char* kMarkupError = R"(<img src=x onerror="window.injected=1">)";

constexpr const char* kDepthFields[] = {"ready", "delayed", "in_flight", "dead"};

/// True when the page's depths equal `status`'s for every queue, and it shows no other queue.
bool page_matches(const json& table, const json& status) {
  if (!table.is_object() || table.size() != status["queues"].size()) return false;
  for (const auto& [name, q] : status["queues"].items()) {
    for (const char* field : kDepthFields) {
      if (page_count(table, name, field) != q[field].get<long>()) return false;
    }
  }
  return true;
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string chromium = find_chromium();
    ASSERT_FALSE(chromium.empty())
        << "chromium is not installed (Debian package `chromium`): run scripts/install-deps.sh, "
           "or point SYMPHONY_CHROMIUM at a Chromium binary";
    try {
      browser_ = std::make_unique<HeadlessBrowser>(chromium);
    } catch (const std::exception& e) {
      FAIL() << "could not start " << chromium << ": " << e.what();
    }
  }

  void open_dashboard(const BrokerProcess& broker) {
    browser_->navigate("http://127.0.0.1:" + std::to_string(broker.admin_port()) + "/");
  }

  /// The page's queue table, or null while there is no page to ask (a navigation under way).
  json queue_table() {
    try {
      return browser_->eval(kQueueTableJs);
    } catch (const std::runtime_error&) {
      return nullptr;
    }
  }

  /// Waits until the page's depths equal /status's, then checks them one by one (so that a
  /// mismatch names the queue and the field).
  void expect_page_matches_status(const BrokerProcess& broker, const std::string& token = "") {
    const json status = get_json(broker, "/status", token);
    // poll: the page refreshes every 2 s, and may still show a round from before a change
    json table = queue_table();
    for (auto deadline = std::chrono::steady_clock::now() + kPageTimeout;
         !page_matches(table, status) && std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(50ms);
      table = queue_table();
    }
    ASSERT_TRUE(table.is_object()) << table.dump();
    ASSERT_EQ(table.size(), status["queues"].size()) << table.dump();
    for (const auto& [name, q] : status["queues"].items()) {
      for (const char* field : kDepthFields) {
        EXPECT_EQ(page_count(table, name, field), q[field].get<long>())
            << "queue " << name << ", " << field << "; page: " << table.dump();
      }
    }
  }

  std::unique_ptr<HeadlessBrowser> browser_;
};

TEST_F(DashboardTest, ShowsLiveDepthsAndRetryMovesADeadLetterBack) {
  BrokerProcess broker;
  auto producer = connect_to(broker);

  // dead letters first, while nothing else is ready: the consumer then only ever sees these
  std::set<uint64_t> dead_ids;
  for (const char* queue : {"email", "email", "email", "reports"}) {
    const auto r =
        producer->dispatch({"Broken", R"({"to":"nobody"})"}, DispatchOptions().with_queue(queue));
    ASSERT_TRUE(r.ok()) << r.error;
    dead_ids.insert(r.id);
  }
  {
    auto consumer = connect_to(broker);
    consumer->subscribe({"email", "reports"}, 10);
    for (size_t i = 0; i < dead_ids.size(); ++i) {
      const auto d = consumer->receive(10s);
      ASSERT_TRUE(d.has_value()) << "delivery " << i << " did not come";
      // the report's error is markup: the page must show it as text, not run it
      const auto nack = consumer->nack(d->id, protocol::NackMode::kFatal,
                                       d->queue == "reports" ? kMarkupError : "550 mailbox gone",
                                       "SmtpPermanentError");
      ASSERT_EQ(nack.code, protocol::ErrorCode::kOk);
    }
  }
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        producer->dispatch({"EmailMessage", R"({"to":"a"})"}, DispatchOptions().with_queue("email"))
            .ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        producer->dispatch({"Report", R"({"month":11})"}, DispatchOptions().with_queue("reports"))
            .ok());
  }
  ASSERT_TRUE(producer
                  ->dispatch({"Report", "{}"},
                             DispatchOptions().with_queue("reports").with_delay_ms(600'000))
                  .ok());
  protocol::ScheduleSpec spec;
  spec.name = "nightly-report";
  spec.kind = protocol::ScheduleKind::kCron;
  spec.cron = "30 2 * * *";
  spec.timezone = "Europe/Paris";
  spec.type = "Report";
  spec.queue = "reports";
  const uint64_t schedule_id = producer->schedule_create(spec).id;

  const json before = get_json(broker, "/status");
  ASSERT_EQ(before["queues"]["email"]["ready"], 5);
  ASSERT_EQ(before["queues"]["email"]["dead"], 3);
  ASSERT_EQ(before["queues"]["reports"]["delayed"], 1);

  open_dashboard(broker);
  expect_page_matches_status(broker);

  // the dead-letter list shows exactly ours, each in its queue
  json rows;
  ASSERT_TRUE(browser_->wait_for(std::string("Object.keys(") + kDeadRowsJs + ").length === 4",
                                 kPageTimeout, &rows))
      << rows.dump();
  rows = browser_->eval(kDeadRowsJs);
  std::set<uint64_t> shown;
  for (const auto& [id, queue] : rows.items()) shown.insert(std::stoull(id));
  EXPECT_EQ(shown, dead_ids);

  // data is text: the markup in an error message shows as typed, and created no element
  EXPECT_EQ(browser_->eval("[...document.querySelectorAll('#dead-rows [data-field=\"error\"]')]"
                           ".map(td => td.textContent).filter(t => t.startsWith('<img'))"),
            json::array({kMarkupError}));
  EXPECT_EQ(browser_->eval("document.querySelectorAll('#dead-rows img').length"), 0);
  EXPECT_EQ(browser_->eval("window.injected === undefined"), true);

  // press Retry on a dead email
  uint64_t victim = 0;
  for (const auto& [id, queue] : rows.items()) {
    if (queue == "email") victim = std::stoull(id);
  }
  ASSERT_NE(victim, 0u) << rows.dump();
  const std::string row =
      "document.querySelector('tr[data-dead-id=\"" + std::to_string(victim) + "\"]')";
  ASSERT_EQ(browser_->eval(row + ".querySelector('[data-action=\"retry\"]').click() ?? true"),
            true);
  ASSERT_TRUE(browser_->wait_for("!" + row, kPageTimeout)) << "the row stayed on the page";

  EXPECT_EQ(http_request(broker.admin_port(), "GET", "/failed/" + std::to_string(victim)).status,
            404);
  const json after = get_json(broker, "/status");
  EXPECT_EQ(after["queues"]["email"]["ready"], before["queues"]["email"]["ready"].get<int>() + 1);
  EXPECT_EQ(after["queues"]["email"]["dead"], before["queues"]["email"]["dead"].get<int>() - 1);
  expect_page_matches_status(broker);

  // the schedule is listed, and Disable disables it
  const std::string schedule_row =
      "document.querySelector('tr[data-schedule-id=\"" + std::to_string(schedule_id) + "\"]')";
  ASSERT_TRUE(browser_->wait_for("!!" + schedule_row, kPageTimeout));
  ASSERT_EQ(
      browser_->eval(schedule_row + ".querySelector('[data-action=\"disable\"]').click() ?? true"),
      true);
  EXPECT_TRUE(browser_->wait_for(schedule_row + "?.dataset.enabled === 'false'", kPageTimeout));
  EXPECT_EQ(get_json(broker, "/schedules/" + std::to_string(schedule_id))["enabled"], false);

  // self-contained: the page fetched nothing from anywhere but this broker
  const json foreign = browser_->eval(
      "performance.getEntriesByType('resource').map(e => e.name)"
      ".filter(n => !n.startsWith(location.origin + '/'))");
  EXPECT_EQ(foreign, json::array()) << foreign.dump();
  EXPECT_EQ(browser_->eval("document.getElementById('updated').className"), "");
}

// No browser needed: the served page itself must name nothing outside it.
TEST(DashboardPage, HasNoExternalReferences) {
  BrokerProcess broker;
  const HttpReply page = http_request(broker.admin_port(), "GET", "/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("://"), std::string::npos) << "the page must work offline";
  EXPECT_EQ(page.body.find("src="), std::string::npos);
  EXPECT_EQ(page.body.find("@import"), std::string::npos);
}

TEST_F(DashboardTest, AsksForTheTokenAndSendsIt) {
  const std::string token = "dashboard-secret";
  BrokerProcess broker({"--auth-token", token});
  auto producer = connect_to(broker, token);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(producer->dispatch({"Ping", "{}"}, DispatchOptions().with_queue("alpha")).ok());
  }
  ASSERT_EQ(http_request(broker.admin_port(), "GET", "/status").status, 401);

  open_dashboard(broker);
  const std::string auth_shown = "!document.getElementById('auth').hidden";
  ASSERT_TRUE(browser_->wait_for(auth_shown, kPageTimeout)) << "no token prompt";

  const std::string submit =
      "(t => { document.getElementById('auth-token').value = t;"
      " document.getElementById('auth-form').requestSubmit(); return true; })";
  ASSERT_EQ(browser_->eval(submit + "('wrong')"), true);
  json message;
  EXPECT_TRUE(browser_->wait_for(
      auth_shown + " && document.getElementById('auth-message').textContent.includes('refused')",
      kPageTimeout, &message))
      << "a refused token must be asked for again";

  ASSERT_EQ(browser_->eval(submit + "(" + json(token).dump() + ")"), true);
  expect_page_matches_status(broker, token);
  EXPECT_EQ(browser_->eval("sessionStorage.getItem('symphony.adminToken')"), token);
  EXPECT_EQ(browser_->eval("document.getElementById('auth').hidden"), true);
}

}  // namespace
}  // namespace symphony::testing
