// symphonyd's configuration: TOML (every section, unknown keys, types, ranges, syntax errors),
// SYMPHONY_* variables through a fake getenv, finalize_config (per-type retry policies over the
// final default, cross-key checks) and the to_toml round trip.
#include "broker/server/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <string>
#include <string_view>

#include "tests/support/temp_dir.h"

namespace symphony::server {
namespace {

using broker::RetryPolicy;

/// A getenv over a fixed map.
Getenv fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

constexpr std::string_view kFull = R"(
[server]
listen = "0.0.0.0:7500"
admin_listen = "0.0.0.0:7501"
insecure = true
data_dir = "/var/lib/symphony"
log_level = "debug"
log_format = "json"
fsync = "interval:50"
shutdown_grace_ms = 2500

[tls]
cert = "/etc/symphony/cert.pem"
key = "/etc/symphony/key.pem"
client_ca = "/etc/symphony/ca.pem"

[auth]
failures_before_delay = 5
max_delay_ms = 2000

[admin]
allowed_hosts = ["Broker.Internal", "symphony"]
backup_dir = "/srv/symphony-backups"

[health]
min_free_disk_mb = 2048
max_expired_per_minute = 50

[limits]
max_frame_bytes = 8388608
max_batch = 500
max_payload_bytes = 65536
max_metadata_bytes = 4096
max_headers = 16
max_connections = 900
hello_timeout_ms = 2500
max_memory = "2GiB"
max_consumer_output_bytes = 1048576

[defaults]
queue = "jobs"
priority = 4
lease_ms = 45000
prefetch = 20
strict_queues = true

[idempotency]
window_ms = 7200000

[retention]
completed_count = 5000
completed_age_ms = 600000

[compaction]
min_bytes = 2097152
ratio = 2.5
chunk = 1000

[queues.email]
priority = 7
lease_ms = 60000
max_length = 100000

[queues.async]

[routing]
CampaignMessage = ["async", "email"]
EmailMessage = "email"

[retry.default]
max_retries = 4
delay_ms = 500
multiplier = 3.0
max_delay_ms = 20000
jitter = 0.1

[retry.EmailMessage]
max_retries = 5
delay_ms = 2000

[retry.SmsMessage]
max_retries = 9
)";

void expect_same_policy(const RetryPolicy& a, const RetryPolicy& b) {
  EXPECT_EQ(a.max_retries, b.max_retries);
  EXPECT_EQ(a.delay_ms, b.delay_ms);
  EXPECT_DOUBLE_EQ(a.multiplier, b.multiplier);
  EXPECT_EQ(a.max_delay_ms, b.max_delay_ms);
  EXPECT_DOUBLE_EQ(a.jitter, b.jitter);
}

/// Every configurable field of two configurations is equal.
void expect_same_config(const BrokerConfig& a, const BrokerConfig& b) {
  const ServerOptions& x = a.server;
  const ServerOptions& y = b.server;
  EXPECT_EQ(x.listen, y.listen);
  EXPECT_EQ(x.admin_listen, y.admin_listen);
  EXPECT_EQ(x.insecure, y.insecure);
  EXPECT_EQ(x.admin.allowed_hosts, y.admin.allowed_hosts);
  EXPECT_EQ(x.admin.backup_dir, y.admin.backup_dir);
  EXPECT_EQ(x.auth_throttle.free_failures, y.auth_throttle.free_failures);
  EXPECT_EQ(x.auth_throttle.max_delay, y.auth_throttle.max_delay);
  EXPECT_EQ(a.auth_token_file, b.auth_token_file);
  EXPECT_EQ(a.log_format, b.log_format);
  EXPECT_EQ(x.tls.cert_file, y.tls.cert_file);
  EXPECT_EQ(x.tls.key_file, y.tls.key_file);
  EXPECT_EQ(x.tls.client_ca_file, y.tls.client_ca_file);
  EXPECT_EQ(x.health.min_free_disk_bytes, y.health.min_free_disk_bytes);
  EXPECT_EQ(x.health.max_expired_per_minute, y.health.max_expired_per_minute);
  EXPECT_EQ(x.data_dir, y.data_dir);
  EXPECT_EQ(a.log_level, b.log_level);
  EXPECT_EQ(x.service.fsync.to_string(), y.service.fsync.to_string());
  EXPECT_EQ(x.shutdown_grace_ms, y.shutdown_grace_ms);
  EXPECT_EQ(x.service.compaction_min_bytes, y.service.compaction_min_bytes);
  EXPECT_DOUBLE_EQ(x.service.compaction_ratio, y.service.compaction_ratio);
  EXPECT_EQ(x.service.compaction_chunk, y.service.compaction_chunk);
  const broker::CoreOptions& c = x.service.core;
  const broker::CoreOptions& d = y.service.core;
  EXPECT_EQ(c.limits.max_frame_bytes, d.limits.max_frame_bytes);
  EXPECT_EQ(c.limits.max_batch, d.limits.max_batch);
  EXPECT_EQ(c.limits.max_payload_bytes, d.limits.max_payload_bytes);
  EXPECT_EQ(c.limits.max_metadata_bytes, d.limits.max_metadata_bytes);
  EXPECT_EQ(c.limits.max_headers, d.limits.max_headers);
  EXPECT_EQ(x.service.limits.max_connections, y.service.limits.max_connections);
  EXPECT_EQ(x.service.limits.hello_timeout_ms, y.service.limits.hello_timeout_ms);
  EXPECT_EQ(x.service.limits.max_memory.to_string(), y.service.limits.max_memory.to_string());
  EXPECT_EQ(x.service.limits.max_consumer_output_bytes, y.service.limits.max_consumer_output_bytes);
  EXPECT_EQ(c.default_queue, d.default_queue);
  EXPECT_EQ(c.default_priority, d.default_priority);
  EXPECT_EQ(c.default_lease_ms, d.default_lease_ms);
  EXPECT_EQ(c.default_prefetch, d.default_prefetch);
  EXPECT_EQ(c.strict_queues, d.strict_queues);
  EXPECT_EQ(c.idempotency_window_ms, d.idempotency_window_ms);
  EXPECT_EQ(c.completed_retention_count, d.completed_retention_count);
  EXPECT_EQ(c.completed_retention_ms, d.completed_retention_ms);
  ASSERT_EQ(c.queues.size(), d.queues.size());
  for (const auto& [name, q] : c.queues) {
    SCOPED_TRACE("queue " + name);
    auto it = d.queues.find(name);
    ASSERT_NE(it, d.queues.end());
    EXPECT_EQ(q.default_priority, it->second.default_priority);
    EXPECT_EQ(q.lease_ms, it->second.lease_ms);
    EXPECT_EQ(q.max_length, it->second.max_length);
  }
  EXPECT_EQ(c.routing, d.routing);
  expect_same_policy(c.retry.default_policy(), d.retry.default_policy());
  ASSERT_EQ(c.retry.overrides().size(), d.retry.overrides().size());
  for (const auto& [type, p] : c.retry.overrides()) {
    SCOPED_TRACE("retry." + type);
    auto it = d.retry.overrides().find(type);
    ASSERT_NE(it, d.retry.overrides().end());
    expect_same_policy(p, it->second);
  }
}

class ConfigTest : public ::testing::Test {
 protected:
  /// apply_toml over `cfg`, expecting success.
  void apply(std::string_view text) {
    std::string error;
    ASSERT_TRUE(apply_toml(text, "symphony.toml", cfg, error)) << error;
  }
  /// apply_toml on a fresh config, expecting failure; returns the error.
  static std::string toml_error(std::string_view text) {
    BrokerConfig fresh;
    std::string error;
    EXPECT_FALSE(apply_toml(text, "symphony.toml", fresh, error)) << text;
    EXPECT_TRUE(starts_with(error, "symphony.toml")) << error;
    return error;
  }
  static std::string env_error(std::map<std::string, std::string> vars) {
    BrokerConfig fresh;
    std::string error;
    EXPECT_FALSE(apply_env(fake_env(std::move(vars)), fresh, error));
    return error;
  }
  static std::string finalize_error(BrokerConfig& c) {
    std::string error;
    EXPECT_FALSE(finalize_config(c, error));
    return error;
  }
  void finalize() {
    std::string error;
    ASSERT_TRUE(finalize_config(cfg, error)) << error;
  }

  BrokerConfig cfg;
};

// ---- TOML ----

TEST_F(ConfigTest, EverySectionIsApplied) {
  apply(kFull);
  const ServerOptions& so = cfg.server;
  EXPECT_EQ(so.listen, "0.0.0.0:7500");
  EXPECT_EQ(so.admin_listen, "0.0.0.0:7501");
  EXPECT_TRUE(so.insecure);
  EXPECT_EQ(so.auth_throttle.free_failures, 5u);
  EXPECT_EQ(so.auth_throttle.max_delay, std::chrono::milliseconds(2000));
  EXPECT_EQ(so.admin.allowed_hosts, (std::vector<std::string>{"Broker.Internal", "symphony"}));
  EXPECT_EQ(so.admin.backup_dir, "/srv/symphony-backups");
  EXPECT_EQ(cfg.log_format, "json");
  EXPECT_EQ(so.tls.cert_file, "/etc/symphony/cert.pem");
  EXPECT_EQ(so.tls.key_file, "/etc/symphony/key.pem");
  EXPECT_EQ(so.tls.client_ca_file, "/etc/symphony/ca.pem");
  EXPECT_EQ(so.health.min_free_disk_bytes, uint64_t{2048} << 20);
  EXPECT_EQ(so.health.max_expired_per_minute, 50u);
  EXPECT_EQ(so.data_dir, "/var/lib/symphony");
  EXPECT_EQ(cfg.log_level, "debug");
  EXPECT_EQ(so.service.fsync.mode, wal::FsyncPolicy::Mode::kInterval);
  EXPECT_EQ(so.service.fsync.interval_ms, 50u);
  EXPECT_EQ(so.shutdown_grace_ms, 2500u);
  const broker::CoreOptions& core = so.service.core;
  EXPECT_EQ(core.limits.max_frame_bytes, 8388608u);
  EXPECT_EQ(core.limits.max_batch, 500u);
  EXPECT_EQ(core.limits.max_payload_bytes, 65536u);
  EXPECT_EQ(core.limits.max_metadata_bytes, 4096u);
  EXPECT_EQ(core.limits.max_headers, 16u);
  EXPECT_EQ(so.service.limits.max_connections, 900u);
  EXPECT_EQ(so.service.limits.hello_timeout_ms, 2500u);
  EXPECT_EQ(so.service.limits.max_memory.kind, MemoryLimit::Kind::kBytes);
  EXPECT_EQ(so.service.limits.max_memory.bytes, uint64_t{2} << 30);
  EXPECT_EQ(so.service.limits.max_consumer_output_bytes, 1048576u);
  EXPECT_EQ(core.default_queue, "jobs");
  EXPECT_EQ(core.default_priority, 4);
  EXPECT_EQ(core.default_lease_ms, 45000u);
  EXPECT_EQ(core.default_prefetch, 20u);
  EXPECT_TRUE(core.strict_queues);
  EXPECT_EQ(core.idempotency_window_ms, 7'200'000);
  EXPECT_EQ(core.completed_retention_count, 5000u);
  EXPECT_EQ(core.completed_retention_ms, 600'000);
  EXPECT_EQ(so.service.compaction_min_bytes, 2097152u);
  EXPECT_DOUBLE_EQ(so.service.compaction_ratio, 2.5);
  EXPECT_EQ(so.service.compaction_chunk, 1000u);
  ASSERT_EQ(core.queues.size(), 2u);
  const broker::QueueSettings& email = core.queues.at("email");
  EXPECT_EQ(email.default_priority, 7);
  EXPECT_EQ(email.lease_ms, 60000u);
  EXPECT_EQ(email.max_length, 100000u);
  const broker::QueueSettings& async = core.queues.at("async");
  EXPECT_EQ(async.default_priority, 0) << "an empty table declares the queue with defaults";
  EXPECT_EQ(async.lease_ms, 0u);
  EXPECT_EQ(async.max_length, 0u);
  // [routing] takes a string or a list
  EXPECT_EQ(core.routing.at("CampaignMessage"), (std::vector<std::string>{"async", "email"}));
  EXPECT_EQ(core.routing.at("EmailMessage"), std::vector<std::string>{"email"});
  const RetryPolicy& def = core.retry.default_policy();
  EXPECT_EQ(def.max_retries, 4u);
  EXPECT_EQ(def.delay_ms, 500u);
  EXPECT_DOUBLE_EQ(def.multiplier, 3.0);
  EXPECT_EQ(def.max_delay_ms, 20000u);
  EXPECT_DOUBLE_EQ(def.jitter, 0.1);
  // per-type tables keep only what they set until finalize_config
  ASSERT_EQ(cfg.retry_overrides.size(), 2u);
  const RetryOverride& o = cfg.retry_overrides.at("EmailMessage");
  EXPECT_EQ(o.max_retries, 5);
  EXPECT_EQ(o.delay_ms, 2000u);
  EXPECT_FALSE(o.multiplier.has_value());
  EXPECT_FALSE(o.max_delay_ms.has_value());
  EXPECT_FALSE(o.jitter.has_value());

  finalize();
  const RetryPolicy& email_policy = core.retry.for_type("EmailMessage");
  EXPECT_EQ(email_policy.max_retries, 5u);
  EXPECT_EQ(email_policy.delay_ms, 2000u);
  EXPECT_DOUBLE_EQ(email_policy.multiplier, 3.0);
  EXPECT_EQ(email_policy.max_delay_ms, 20000u);
  EXPECT_DOUBLE_EQ(email_policy.jitter, 0.1);
  EXPECT_EQ(core.retry.for_type("SmsMessage").max_retries, 9u);
  EXPECT_EQ(core.retry.for_type("SmsMessage").delay_ms, 500u);
  EXPECT_EQ(core.retry.for_type("OtherMessage").max_retries, 4u);
}

TEST_F(ConfigTest, KeysNotMentionedKeepTheirValues) {
  const BrokerConfig defaults;
  apply("[defaults]\npriority = 8\n");
  EXPECT_EQ(cfg.server.service.core.default_priority, 8);
  EXPECT_EQ(cfg.server.service.core.default_queue, defaults.server.service.core.default_queue);
  EXPECT_EQ(cfg.server.listen, defaults.server.listen);
  apply("[server]\nlog_level = \"warn\"\n");
  EXPECT_EQ(cfg.server.service.core.default_priority, 8) << "a second document adds to the first";
  EXPECT_EQ(cfg.log_level, "warn");
  apply("");
  EXPECT_EQ(cfg.log_level, "warn");
  // a float key takes an integer too
  apply("[retry.default]\nmultiplier = 3\n[compaction]\nratio = 2\n");
  EXPECT_DOUBLE_EQ(cfg.server.service.core.retry.default_policy().multiplier, 3.0);
  EXPECT_DOUBLE_EQ(cfg.server.service.compaction_ratio, 2.0);
}

TEST_F(ConfigTest, UnknownKeysAreErrorsNamingThem) {
  EXPECT_TRUE(contains(toml_error("[queues.email]\nprio = 3\n"), "queues.email.prio"));
  EXPECT_TRUE(contains(toml_error("[serverr]\nlisten = \"x:1\"\n"), "serverr"));
  EXPECT_TRUE(contains(toml_error("[server]\nport = 7400\n"), "server.port"));
  EXPECT_TRUE(contains(toml_error("[defaults]\nprefetch_count = 3\n"), "defaults.prefetch_count"));
  EXPECT_TRUE(contains(toml_error("[retry.default]\ndelay = 3\n"), "retry.default.delay"));
  EXPECT_TRUE(
      contains(toml_error("[retry.EmailMessage]\nretries = 3\n"), "retry.EmailMessage.retries"));
  EXPECT_TRUE(contains(toml_error("[compaction]\nmin = 3\n"), "compaction.min"));
  EXPECT_TRUE(contains(toml_error("top = 1\n"), "top"));
  const std::string e = toml_error("[queues.email]\nprio = 3\n");
  EXPECT_TRUE(contains(e, "unknown key")) << e;
}

TEST_F(ConfigTest, WrongTypesAreErrorsNamingTheKey) {
  struct Case {
    std::string_view text;
    std::string_view key;
  };
  const Case cases[] = {
      {"[server]\nlisten = 7400\n", "server.listen"},
      {"[server]\nshutdown_grace_ms = \"5s\"\n", "server.shutdown_grace_ms"},
      {"[defaults]\npriority = \"high\"\n", "defaults.priority"},
      {"[defaults]\nlease_ms = 1.5\n", "defaults.lease_ms"},
      {"[defaults]\nstrict_queues = \"yes\"\n", "defaults.strict_queues"},
      {"[compaction]\nratio = \"big\"\n", "compaction.ratio"},
      {"[retry.default]\nmultiplier = \"x\"\n", "retry.default.multiplier"},
      {"[retry.EmailMessage]\ndelay_ms = true\n", "retry.EmailMessage.delay_ms"},
      {"[queues]\nemail = 5\n", "queues.email"},
      {"[routing]\nJob = 5\n", "routing.Job"},
      {"[routing]\nJob = [\"a\", 5]\n", "routing.Job"},
      {"[routing]\nJob = []\n", "routing.Job"},
      {"[retry]\nEmailMessage = 3\n", "retry.EmailMessage"},
      {"server = 3\n", "server"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    const std::string e = toml_error(c.text);
    EXPECT_TRUE(contains(e, std::string(c.key) + ":")) << e;
  }
  EXPECT_TRUE(contains(toml_error("[server]\nlisten = 7400\n"), "expected a string"));
  EXPECT_TRUE(contains(toml_error("[defaults]\npriority = \"high\"\n"), "expected an integer"));
}

TEST_F(ConfigTest, OutOfRangeValuesNameTheKey) {
  struct Case {
    std::string_view text;
    std::string_view key;
  };
  const Case cases[] = {
      {"[defaults]\npriority = 11\n", "defaults.priority"},
      {"[defaults]\npriority = 0\n", "defaults.priority"},
      {"[defaults]\nqueue = \"has space\"\n", "defaults.queue"},
      {"[queues.email]\npriority = 11\n", "queues.email.priority"},
      {"[queues.email]\nlease_ms = 0\n", "queues.email.lease_ms"},
      {"[queues.email]\nmax_length = -1\n", "queues.email.max_length"},
      {"[queues.\"bad queue\"]\n", "queues.bad queue"},
      {"[routing]\nJob = \"bad queue\"\n", "routing.Job"},
      {"[limits]\nmax_batch = 0\n", "limits.max_batch"},
      {"[limits]\nmax_frame_bytes = 10\n", "limits.max_frame_bytes"},
      {"[limits]\nhello_timeout_ms = 0\n", "limits.hello_timeout_ms"},
      {"[limits]\nmax_connections = -1\n", "limits.max_connections"},
      {"[limits]\nmax_consumer_output_bytes = 100\n", "limits.max_consumer_output_bytes"},
      {"[limits]\nmax_memory = \"lots\"\n", "limits.max_memory"},
      {"[limits]\nmax_memory = \"2GB\"\n", "limits.max_memory"},
      {"[limits]\nmax_memory = \"150%\"\n", "limits.max_memory"},
      {"[limits]\nmax_memory = \"1MiB\"\n", "limits.max_memory"},
      {"[limits]\nmax_memory = true\n", "limits.max_memory"},
      {"[server]\nshutdown_grace_ms = -1\n", "server.shutdown_grace_ms"},
      {"[server]\nfsync = \"sometimes\"\n", "server.fsync"},
      {"[idempotency]\nwindow_ms = 10\n", "idempotency.window_ms"},
      {"[retention]\ncompleted_count = -5\n", "retention.completed_count"},
      {"[compaction]\nratio = 0.0\n", "compaction.ratio"},
      {"[retry.default]\njitter = 1.5\n", "retry.default.jitter"},
      {"[retry.default]\nmax_retries = 100000\n", "retry.default.max_retries"},
      {"[retry.EmailMessage]\nmultiplier = 0.5\n", "retry.EmailMessage.multiplier"},
      {"[retry.EmailMessage]\ndelay_ms = 5000000000\n", "retry.EmailMessage.delay_ms"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text));
    const std::string e = toml_error(c.text);
    EXPECT_TRUE(contains(e, std::string(c.key) + ":")) << e;
  }
  EXPECT_TRUE(contains(toml_error("[defaults]\npriority = 11\n"), "1..10 (got 11)"));
}

TEST_F(ConfigTest, SyntaxErrorsReportLineAndColumn) {
  const std::string e1 = toml_error("[server]\nlisten = \"a:1\"\nlog_level = \n");
  EXPECT_TRUE(starts_with(e1, "symphony.toml:3:")) << e1;
  const std::string e2 = toml_error("# comment\n\n[server\n");
  EXPECT_TRUE(starts_with(e2, "symphony.toml:3:")) << e2;
  const std::string e3 = toml_error("[defaults]\npriority = 4\npriority = 5\n");
  EXPECT_TRUE(starts_with(e3, "symphony.toml:3:")) << e3;
  // line:column: both numbers, then the description
  const std::string rest = e1.substr(std::string_view("symphony.toml:3:").size());
  ASSERT_FALSE(rest.empty());
  EXPECT_TRUE(rest[0] >= '1' && rest[0] <= '9') << e1;
  EXPECT_TRUE(contains(rest, ": ")) << e1;
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  std::string error;
  EXPECT_FALSE(apply_toml_file("/nonexistent/symphony.toml", cfg, error));
  EXPECT_TRUE(contains(error, "/nonexistent/symphony.toml")) << error;
}

// ---- environment ----

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  apply(kFull);
  std::string error;
  ASSERT_TRUE(apply_env(fake_env({{"SYMPHONY_DEFAULT_QUEUE", "work"},
                                  {"SYMPHONY_DEFAULT_PRIORITY", "6"},
                                  {"SYMPHONY_RETRY_MAX_RETRIES", "7"},
                                  {"SYMPHONY_RETRY_MULTIPLIER", "1.5"},
                                  {"SYMPHONY_RETRY_MAX_DELAY", "90000"},
                                  {"SYMPHONY_RETRY_JITTER", "0.25"},
                                  {"SYMPHONY_LISTEN", "127.0.0.1:9000"},
                                  {"SYMPHONY_DATA_DIR", "/tmp/sym"},
                                  {"SYMPHONY_LOG_LEVEL", "error"},
                                  {"SYMPHONY_FSYNC", "never"}}),
                        cfg, error))
      << error;
  const broker::CoreOptions& core = cfg.server.service.core;
  EXPECT_EQ(core.default_queue, "work");
  EXPECT_EQ(core.default_priority, 6);
  EXPECT_EQ(core.retry.default_policy().max_retries, 7u);
  EXPECT_EQ(core.retry.default_policy().delay_ms, 500u) << "not set in the environment";
  EXPECT_DOUBLE_EQ(core.retry.default_policy().multiplier, 1.5);
  EXPECT_EQ(core.retry.default_policy().max_delay_ms, 90000u);
  EXPECT_DOUBLE_EQ(core.retry.default_policy().jitter, 0.25);
  EXPECT_EQ(cfg.server.listen, "127.0.0.1:9000");
  EXPECT_EQ(cfg.server.data_dir, "/tmp/sym");
  EXPECT_EQ(cfg.log_level, "error");
  EXPECT_EQ(cfg.server.service.fsync.mode, wal::FsyncPolicy::Mode::kNever);
}

TEST_F(ConfigTest, PerTypeRetryInheritsFromTheFinalDefault) {
  apply(R"(
[retry.default]
delay_ms = 700
max_delay_ms = 50000

[retry.EmailMessage]
max_retries = 5
max_delay_ms = 60000

[retry.SmsMessage]
delay_ms = 3000
)");
  std::string error;
  ASSERT_TRUE(apply_env(fake_env({{"SYMPHONY_RETRY_DELAY", "1500"}}), cfg, error)) << error;
  finalize();
  const broker::RetryPolicies& retry = cfg.server.service.core.retry;
  EXPECT_EQ(retry.default_policy().delay_ms, 1500u);
  // EmailMessage did not set delay_ms: it takes the default as the environment left it
  EXPECT_EQ(retry.for_type("EmailMessage").delay_ms, 1500u);
  EXPECT_EQ(retry.for_type("EmailMessage").max_retries, 5u);
  EXPECT_EQ(retry.for_type("EmailMessage").max_delay_ms, 60000u);
  // SmsMessage set its own delay_ms
  EXPECT_EQ(retry.for_type("SmsMessage").delay_ms, 3000u);
  EXPECT_EQ(retry.for_type("SmsMessage").max_delay_ms, 50000u);
  EXPECT_EQ(retry.for_type("SmsMessage").max_retries, 3u) << "the built-in default";
}

TEST_F(ConfigTest, EnvironmentErrorsNameTheVariable) {
  std::string e = env_error({{"SYMPHONY_DEFAULT_PRIORITY", "11"}});
  EXPECT_TRUE(starts_with(e, "SYMPHONY_DEFAULT_PRIORITY:")) << e;
  EXPECT_TRUE(contains(e, "'11'")) << e;
  e = env_error({{"SYMPHONY_RETRY_MULTIPLIER", "abc"}});
  EXPECT_TRUE(starts_with(e, "SYMPHONY_RETRY_MULTIPLIER:")) << e;
  EXPECT_TRUE(contains(e, "'abc'")) << e;
  const std::map<std::string, std::string> bad[] = {
      {{"SYMPHONY_DEFAULT_PRIORITY", "5x"}},
      {{"SYMPHONY_RETRY_DELAY", "-5"}},
      {{"SYMPHONY_RETRY_DELAY", ""}},
      {{"SYMPHONY_RETRY_MAX_RETRIES", "1001"}},
      {{"SYMPHONY_RETRY_MAX_DELAY", "1e3"}},
      {{"SYMPHONY_RETRY_JITTER", "2"}},
      {{"SYMPHONY_RETRY_MULTIPLIER", "0.5"}},
      {{"SYMPHONY_FSYNC", "sometimes"}},
      {{"SYMPHONY_DEFAULT_QUEUE", "bad queue"}},
  };
  for (const auto& vars : bad) {
    const std::string& name = vars.begin()->first;
    SCOPED_TRACE(name + "=" + vars.begin()->second);
    e = env_error(vars);
    EXPECT_TRUE(starts_with(e, name + ":")) << e;
  }
}

TEST_F(ConfigTest, UnsetVariablesChangeNothing) {
  apply(kFull);
  std::string error;
  ASSERT_TRUE(apply_env(fake_env({}), cfg, error)) << error;
  BrokerConfig file_only;
  ASSERT_TRUE(apply_toml(kFull, "x", file_only, error)) << error;
  finalize();
  ASSERT_TRUE(finalize_config(file_only, error)) << error;
  expect_same_config(cfg, file_only);
}

// ---- finalize ----

TEST_F(ConfigTest, FinalizeChecksTheListenAddress) {
  for (const char* bad : {"nohost", "host:", ":7400", "host:99999", "host:12ab", "[::1]7400"}) {
    SCOPED_TRACE(bad);
    BrokerConfig c;
    c.server.listen = bad;
    EXPECT_TRUE(starts_with(finalize_error(c), "server.listen:"));
  }
  for (const char* good : {"127.0.0.1:0", "[::1]:7400", "localhost:80"}) {
    BrokerConfig c;
    c.server.listen = good;
    std::string error;
    EXPECT_TRUE(finalize_config(c, error)) << good << ": " << error;
  }
  BrokerConfig c;
  c.log_level = "loud";
  EXPECT_TRUE(starts_with(finalize_error(c), "server.log_level:"));
}

TEST_F(ConfigTest, FinalizeRejectsRoutesToUndeclaredQueuesInStrictMode) {
  constexpr std::string_view kRoutes = R"(
[queues.email]
[routing]
CampaignMessage = ["email", "async"]
Job = "default"
)";
  apply(kRoutes);
  finalize();  // not strict: undeclared queues are created on first use

  BrokerConfig strict;
  std::string error;
  ASSERT_TRUE(apply_toml(kRoutes, "x", strict, error)) << error;
  ASSERT_TRUE(apply_toml("[defaults]\nstrict_queues = true\n", "x", strict, error)) << error;
  error = finalize_error(strict);
  EXPECT_TRUE(starts_with(error, "routing.CampaignMessage:")) << error;
  EXPECT_TRUE(contains(error, "'async'")) << error;

  // declaring it fixes it; the default queue needs no declaration
  ASSERT_TRUE(apply_toml("[queues.async]\n", "x", strict, error)) << error;
  EXPECT_TRUE(finalize_config(strict, error)) << error;
}

TEST_F(ConfigTest, FinalizeRejectsMaxDelayBelowDelay) {
  BrokerConfig c;
  std::string error;
  ASSERT_TRUE(apply_toml("[retry.default]\ndelay_ms = 5000\nmax_delay_ms = 1000\n", "x", c, error));
  error = finalize_error(c);
  EXPECT_TRUE(starts_with(error, "retry.default.max_delay_ms:")) << error;

  // a per-type policy checked after inheriting: its own delay over the default max_delay
  BrokerConfig d;
  ASSERT_TRUE(apply_toml("[retry.EmailMessage]\ndelay_ms = 40000\n", "x", d, error));
  error = finalize_error(d);
  EXPECT_TRUE(starts_with(error, "retry.EmailMessage.max_delay_ms:")) << error;

  // the environment can cause it too
  BrokerConfig e;
  ASSERT_TRUE(apply_toml("[retry.EmailMessage]\nmax_delay_ms = 2000\n", "x", e, error));
  ASSERT_TRUE(apply_env(fake_env({{"SYMPHONY_RETRY_DELAY", "3000"}}), e, error)) << error;
  error = finalize_error(e);
  EXPECT_TRUE(starts_with(error, "retry.EmailMessage.max_delay_ms:")) << error;
}

TEST_F(ConfigTest, AllowedHostsAreLowerCasedNamesWithoutPorts) {
  apply("[admin]\nallowed_hosts = [\"Broker.Internal\"]\n");
  finalize();
  EXPECT_EQ(cfg.server.admin.allowed_hosts, std::vector<std::string>{"broker.internal"});
  for (const char* bad : {"broker.internal:7401", "a b", "", "*.example"}) {
    BrokerConfig c;
    c.server.admin.allowed_hosts = {bad};
    const std::string e = finalize_error(c);
    EXPECT_TRUE(starts_with(e, "admin.allowed_hosts:")) << bad << ": " << e;
  }
  EXPECT_TRUE(contains(toml_error("[admin]\nallowed_hosts = \"one\"\n"), "admin.allowed_hosts"));
  EXPECT_TRUE(contains(toml_error("[admin]\nallowed_hosts = [1]\n"), "admin.allowed_hosts"));
  EXPECT_TRUE(contains(toml_error("[admin]\nbackup_dir = 3\n"), "admin.backup_dir"));
  EXPECT_TRUE(contains(toml_error("[admin]\nbackups = \"/x\"\n"), "admin.backups"));
  EXPECT_TRUE(contains(toml_error("[auth]\nmax_delay_ms = 60001\n"), "auth.max_delay_ms"));
  EXPECT_TRUE(contains(toml_error("[auth]\nfailures_before_delay = 0\n"),
                       "auth.failures_before_delay"));
}

TEST_F(ConfigTest, AdminAndTokenFileVariables) {
  std::string error;
  ASSERT_TRUE(apply_env(fake_env({{"SYMPHONY_ADMIN_ALLOWED_HOSTS", "a.example, B.example,,"},
                                  {"SYMPHONY_BACKUP_DIR", "/b"},
                                  {"SYMPHONY_AUTH_TOKEN_FILE", "/run/secrets/tokens"}}),
                        cfg, error))
      << error;
  EXPECT_EQ(cfg.server.admin.allowed_hosts, (std::vector<std::string>{"a.example", "B.example"}));
  EXPECT_EQ(cfg.server.admin.backup_dir, "/b");
  EXPECT_EQ(cfg.auth_token_file, "/run/secrets/tokens");
}

TEST_F(ConfigTest, TokenFileAddsItsTokensAndMustBePrivate) {
  testing::TempDir dir;
  const std::string file =
      dir.write("tokens", "# rotated 2026-11-22\n  first-token  \n\nsecond-token\r\n");
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  apply("[auth]\ntokens = [\"inline\"]\ntoken_file = \"" + file + "\"\n");
  finalize();
  EXPECT_EQ(cfg.server.service.auth_tokens,
            (std::vector<std::string>{"inline", "first-token", "second-token"}));
  // --print-config names the file and redacts only the inline token
  const std::string printed = to_toml(cfg);
  EXPECT_TRUE(contains(printed, file)) << printed;
  EXPECT_FALSE(contains(printed, "first-token")) << printed;
  EXPECT_TRUE(contains(printed, "tokens = [ '<redacted>' ]") ||
              contains(printed, "tokens = [ \"<redacted>\" ]"))
      << printed;

  // the group may read it (root:symphony 0640)
  ASSERT_EQ(::chmod(file.c_str(), 0640), 0);
  BrokerConfig group;
  group.auth_token_file = file;
  std::string error;
  EXPECT_TRUE(finalize_config(group, error)) << error;
  EXPECT_EQ(group.server.service.auth_tokens.size(), 2u);

  struct Bad {
    std::string path;
    mode_t mode;
    std::string says;
  };
  const std::string empty = dir.write("empty", "# nothing\n\n");
  const std::string world_writable = dir.write("ww", "t\n");
  for (const Bad& b : {Bad{file, 0644, "readable by other users (mode 0644)"},
                       Bad{file, 0604, "readable by other users"},
                       Bad{world_writable, 0602, "writable by other users"},
                       Bad{empty, 0600, "holds no token"},
                       Bad{dir.sub("missing"), 0, "cannot read"},
                       Bad{dir.path(), 0, "not a regular file"}}) {
    if (b.mode) {
      ASSERT_EQ(::chmod(b.path.c_str(), b.mode), 0);
    }
    BrokerConfig c;
    c.auth_token_file = b.path;
    const std::string e = finalize_error(c);
    EXPECT_TRUE(starts_with(e, "auth.token_file: ")) << e;
    EXPECT_TRUE(contains(e, b.says)) << e;
    EXPECT_TRUE(c.server.service.auth_tokens.empty());
  }
  // a token from the file lets a non-loopback address be served
  BrokerConfig exposed;
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  exposed.server.listen = "0.0.0.0:7400";
  exposed.auth_token_file = file;
  EXPECT_TRUE(finalize_config(exposed, error)) << error;
}

TEST_F(ConfigTest, InsecureWarnsOnEveryStartSayingWhetherItIsInEffect) {
  BrokerConfig plain;
  EXPECT_EQ(insecure_warning(plain), "") << "no flag, no warning";

  BrokerConfig idle;
  idle.server.insecure = true;
  std::string w = insecure_warning(idle);
  EXPECT_TRUE(contains(w, "without an auth token on an address other than loopback")) << w;
  EXPECT_TRUE(contains(w, "changes nothing now (both ports are on loopback)")) << w;

  BrokerConfig exposed;
  exposed.server.insecure = true;
  exposed.server.listen = "0.0.0.0:7400";
  exposed.server.admin_listen = "0.0.0.0:7401";
  w = insecure_warning(exposed);
  EXPECT_TRUE(contains(w, "WITHOUT AUTHENTICATION on 0.0.0.0:7400 and 0.0.0.0:7401 (admin API)"))
      << w;
  EXPECT_TRUE(contains(w, "purge queues")) << w;
  EXPECT_TRUE(contains(w, "SYMPHONY_AUTH_TOKEN")) << w;

  exposed.server.service.auth_tokens = {"t"};
  w = insecure_warning(exposed);
  EXPECT_TRUE(contains(w, "changes nothing now (auth tokens are set)")) << w;
}

// ---- to_toml ----

TEST_F(ConfigTest, ToTomlRoundTripsTheFullConfig) {
  apply(kFull);
  std::string error;
  ASSERT_TRUE(apply_env(fake_env({{"SYMPHONY_RETRY_DELAY", "1500"}}), cfg, error)) << error;
  // names that are not TOML bare keys must survive too
  apply(R"(
[queues."mail.high"]
max_length = 7
[routing]
"Billing.Invoice" = ["mail.high", "email"]
"billing:refund" = "async"
)");
  finalize();
  const std::string text = to_toml(cfg);

  BrokerConfig back;
  ASSERT_TRUE(apply_toml(text, "printed", back, error)) << error << "\n" << text;
  ASSERT_TRUE(finalize_config(back, error)) << error;
  expect_same_config(cfg, back);
  EXPECT_EQ(back.server.service.core.queues.at("mail.high").max_length, 7u);
  EXPECT_EQ(back.server.service.core.routing.at("Billing.Invoice").size(), 2u);
  EXPECT_EQ(back.server.service.core.retry.for_type("EmailMessage").delay_ms, 2000u);
  EXPECT_EQ(back.server.service.core.retry.for_type("SmsMessage").delay_ms, 1500u);
  EXPECT_EQ(to_toml(back), text) << "printing is stable";
}

TEST_F(ConfigTest, ToTomlRoundTripsTheDefaults) {
  finalize();
  const std::string text = to_toml(cfg);
  BrokerConfig back;
  std::string error;
  ASSERT_TRUE(apply_toml(text, "printed", back, error)) << error << "\n" << text;
  ASSERT_TRUE(finalize_config(back, error)) << error;
  expect_same_config(cfg, back);
  EXPECT_EQ(to_toml(back), text);
  // every section is written out
  for (const char* section : {"[server]", "[limits]", "[defaults]", "[idempotency]", "[retention]",
                              "[compaction]", "[retry.default]"}) {
    EXPECT_TRUE(contains(text, section)) << section << " missing from\n" << text;
  }
}

TEST_F(ConfigTest, MemoryLimitForms) {
  MemoryLimit m;
  std::string why;
  ASSERT_TRUE(MemoryLimit::parse("60%", m, why)) << why;
  EXPECT_EQ(m.kind, MemoryLimit::Kind::kFraction);
  EXPECT_EQ(m.resolve(uint64_t{10} << 30), uint64_t{6} << 30);
  EXPECT_EQ(m.to_string(), "60%");
  ASSERT_TRUE(MemoryLimit::parse("512MiB", m, why)) << why;
  EXPECT_EQ(m.resolve(uint64_t{10} << 30), uint64_t{512} << 20);
  EXPECT_EQ(m.to_string(), "512MiB");
  ASSERT_TRUE(MemoryLimit::parse("1073741824", m, why)) << why;
  EXPECT_EQ(m.to_string(), "1GiB");
  ASSERT_TRUE(MemoryLimit::parse("off", m, why)) << why;
  EXPECT_EQ(m.resolve(uint64_t{10} << 30), 0u);
  EXPECT_FALSE(MemoryLimit::parse("1MiB", m, why));
  EXPECT_TRUE(contains(why, "64MiB")) << why;
  // the default is 60% of the machine, and a fraction never resolves under the smallest limit
  EXPECT_EQ(LimitOptions().max_memory.to_string(), "60%");
  EXPECT_EQ(LimitOptions().max_memory.resolve(1 << 20), uint64_t{64} << 20);
  // an integer in TOML is bytes
  apply("[limits]\nmax_memory = 268435456\n");
  EXPECT_EQ(cfg.server.service.limits.max_memory.to_string(), "256MiB");
}

TEST_F(ConfigTest, LimitsFromTheEnvironment) {
  std::map<std::string, std::string> env{{"SYMPHONY_MAX_MEMORY", "3GiB"},
                                         {"SYMPHONY_MAX_CONNECTIONS", "123"}};
  std::string error;
  ASSERT_TRUE(apply_env(
      [&](const char* n) {
        auto it = env.find(n);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      cfg, error))
      << error;
  EXPECT_EQ(cfg.server.service.limits.max_memory.bytes, uint64_t{3} << 30);
  EXPECT_EQ(cfg.server.service.limits.max_connections, 123u);
  env["SYMPHONY_MAX_MEMORY"] = "plenty";
  BrokerConfig other;
  EXPECT_FALSE(apply_env(
      [&](const char* n) {
        auto it = env.find(n);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      other, error));
  EXPECT_TRUE(contains(error, "SYMPHONY_MAX_MEMORY")) << error;
}

TEST_F(ConfigTest, DerivedConnectionCapLeavesDescriptorsForTheRest) {
  EXPECT_EQ(LimitOptions::derived_max_connections(1024),
            1024u - LimitOptions::kReservedDescriptors);
  EXPECT_EQ(LimitOptions::derived_max_connections(65536),
            65536u - LimitOptions::kReservedDescriptors);
  EXPECT_EQ(LimitOptions::derived_max_connections(64), 32u) << "a tiny limit still serves some";
}

}  // namespace
}  // namespace symphony::server
