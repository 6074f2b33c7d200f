#include "broker/server/config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/stat.h>

#include <toml++/toml.h>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "broker/core/message_validator.h"
#include "broker/server/admin/request_guard.h"
#include "wal/fsync_policy.h"

namespace symphony::server {

namespace {

/// Reads typed values from a TOML table, naming the full key in every error.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, std::string& error)
      : table_(table), prefix_(std::move(prefix)), error_(error) {}

  std::string key(std::string_view k) const {
    return prefix_.empty() ? std::string(k) : prefix_ + "." + std::string(k);
  }
  bool fail(std::string_view k, const std::string& message) {
    error_ = fmt::format("{}: {}", key(k), message);
    return false;
  }
  /// Every key of the table must be one of `known`.
  bool only(std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : table_) {
      bool ok = false;
      for (std::string_view n : known) ok |= k.str() == n;
      if (!ok) {
        error_ = fmt::format("unknown key '{}'", key(k.str()));
        return false;
      }
    }
    return true;
  }

  template <typename T>
  bool integer(std::string_view k, T& out, int64_t min, int64_t max) {
    const toml::node* n = table_.get(k);
    if (!n) return true;
    const auto v = n->value_exact<int64_t>();
    if (!v) return fail(k, "expected an integer");
    if (*v < min || *v > max) return fail(k, fmt::format("must be {}..{} (got {})", min, max, *v));
    out = static_cast<T>(*v);
    return true;
  }
  bool number(std::string_view k, double& out, double min, double max) {
    const toml::node* n = table_.get(k);
    if (!n) return true;
    std::optional<double> v = n->value_exact<double>();
    if (!v) {
      if (auto i = n->value_exact<int64_t>()) v = static_cast<double>(*i);
    }
    if (!v) return fail(k, "expected a number");
    if (!(*v >= min && *v <= max))
      return fail(k, fmt::format("must be {}..{} (got {})", min, max, *v));
    out = *v;
    return true;
  }
  bool string(std::string_view k, std::string& out) {
    const toml::node* n = table_.get(k);
    if (!n) return true;
    const auto v = n->value_exact<std::string>();
    if (!v) return fail(k, "expected a string");
    out = *v;
    return true;
  }
  bool boolean(std::string_view k, bool& out) {
    const toml::node* n = table_.get(k);
    if (!n) return true;
    const auto v = n->value_exact<bool>();
    if (!v) return fail(k, "expected true or false");
    out = *v;
    return true;
  }
  const toml::table* subtable(std::string_view k) {
    const toml::node* n = table_.get(k);
    if (!n) return nullptr;
    if (!n->is_table()) {
      fail(k, "expected a table");
      return nullptr;
    }
    return n->as_table();
  }
  bool has(std::string_view k) const { return table_.get(k) != nullptr; }

 private:
  const toml::table& table_;
  std::string prefix_;
  std::string& error_;
};

constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr int64_t kTenYearsMs = int64_t{10} * 365 * 24 * 3600 * 1000;

bool read_retry(TableReader& r, broker::RetryPolicy& p) {
  if (!r.only({"max_retries", "delay_ms", "multiplier", "max_delay_ms", "jitter"})) return false;
  return r.integer("max_retries", p.max_retries, 0, 1000) &&
         r.integer("delay_ms", p.delay_ms, 0, kMaxU32) &&
         r.number("multiplier", p.multiplier, 1.0, 100.0) &&
         r.integer("max_delay_ms", p.max_delay_ms, 0, kMaxU32) &&
         r.number("jitter", p.jitter, 0.0, 1.0);
}

bool apply_table(const toml::table& root, BrokerConfig& cfg, std::string& error) {
  ServerOptions& so = cfg.server;
  broker::CoreOptions& core = so.service.core;
  TableReader top(root, "", error);
  if (!top.only({"server", "limits", "defaults", "idempotency", "retention", "compaction", "queues",
                 "routing", "retry", "auth", "tls", "health", "admin"})) {
    return false;
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("server")) {
    TableReader r(*t, "server", error);
    std::string fsync;
    if (!r.only({"listen", "admin_listen", "insecure", "data_dir", "log_level", "log_format",
                 "fsync", "shutdown_grace_ms"}) ||
        !r.string("listen", so.listen) || !r.string("admin_listen", so.admin_listen) ||
        !r.boolean("insecure", so.insecure) || !r.string("data_dir", so.data_dir) ||
        !r.string("log_level", cfg.log_level) || !r.string("log_format", cfg.log_format) ||
        !r.string("fsync", fsync) ||
        !r.integer("shutdown_grace_ms", so.shutdown_grace_ms, 0, 600'000)) {
      return false;
    }
    if (!fsync.empty()) {
      auto p = wal::FsyncPolicy::parse(fsync);
      if (!p) return r.fail("fsync", "expected always, never or interval:<ms>");
      so.service.fsync = *p;
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("auth")) {
    TableReader r(*t, "auth", error);
    int64_t max_delay_ms = so.auth_throttle.max_delay.count();
    if (!r.only({"tokens", "token_file", "failures_before_delay", "max_delay_ms"}) ||
        !r.string("token_file", cfg.auth_token_file) ||
        !r.integer("failures_before_delay", so.auth_throttle.free_failures, 1, 1000) ||
        !r.integer("max_delay_ms", max_delay_ms, 0, 60'000)) {
      return false;
    }
    so.auth_throttle.max_delay = std::chrono::milliseconds(max_delay_ms);
    if (const toml::node* n = t->get("tokens")) {
      const toml::array* arr = n->as_array();
      if (!arr) return r.fail("tokens", "expected a list of strings");
      so.service.auth_tokens.clear();
      for (const toml::node& tok : *arr) {
        auto v = tok.value_exact<std::string>();
        if (!v || v->empty()) return r.fail("tokens", "expected a list of non-empty strings");
        so.service.auth_tokens.push_back(*v);
      }
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("admin")) {
    TableReader r(*t, "admin", error);
    if (!r.only({"allowed_hosts", "backup_dir"}) || !r.string("backup_dir", so.admin.backup_dir)) {
      return false;
    }
    if (const toml::node* n = t->get("allowed_hosts")) {
      const toml::array* arr = n->as_array();
      if (!arr) return r.fail("allowed_hosts", "expected a list of host names");
      so.admin.allowed_hosts.clear();
      for (const toml::node& h : *arr) {
        auto v = h.value_exact<std::string>();
        if (!v) return r.fail("allowed_hosts", "expected a list of host names");
        so.admin.allowed_hosts.push_back(*v);
      }
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("tls")) {
    TableReader r(*t, "tls", error);
    if (!r.only({"cert", "key", "client_ca"}) || !r.string("cert", so.tls.cert_file) ||
        !r.string("key", so.tls.key_file) || !r.string("client_ca", so.tls.client_ca_file)) {
      return false;
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("health")) {
    TableReader r(*t, "health", error);
    uint64_t free_mb = so.health.min_free_disk_bytes >> 20;
    if (!r.only({"min_free_disk_mb", "max_expired_per_minute"}) ||
        !r.integer("min_free_disk_mb", free_mb, 0, int64_t{1} << 30) ||
        !r.integer("max_expired_per_minute", so.health.max_expired_per_minute, 0, kMaxU32)) {
      return false;
    }
    so.health.min_free_disk_bytes = free_mb << 20;
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("limits")) {
    TableReader r(*t, "limits", error);
    LimitOptions& lim = so.service.limits;
    if (!r.only({"max_frame_bytes", "max_batch", "max_payload_bytes", "max_metadata_bytes",
                 "max_headers", "max_connections", "hello_timeout_ms", "max_memory",
                 "max_consumer_output_bytes"}) ||
        !r.integer("max_connections", lim.max_connections, 0, 10'000'000) ||
        !r.integer("hello_timeout_ms", lim.hello_timeout_ms, 100, 3'600'000) ||
        !r.integer("max_consumer_output_bytes", lim.max_consumer_output_bytes, 64 << 10,
                   64 << 20) ||
        !r.integer("max_frame_bytes", core.limits.max_frame_bytes, 1024, 64 << 20) ||
        !r.integer("max_batch", core.limits.max_batch, 1, 1'000'000) ||
        !r.integer("max_payload_bytes", core.limits.max_payload_bytes, 2, 64 << 20) ||
        !r.integer("max_metadata_bytes", core.limits.max_metadata_bytes, 0, 64 << 20) ||
        !r.integer("max_headers", core.limits.max_headers, 0, 1024)) {
      return false;
    }
    if (const toml::node* n = t->get("max_memory")) {
      std::string text;
      if (auto i = n->value_exact<int64_t>()) {
        text = std::to_string(*i);
      } else if (auto s = n->value_exact<std::string>()) {
        text = *s;
      } else {
        return r.fail("max_memory",
                      "expected a size such as \"2GiB\", a percentage such as "
                      "\"60%\", bytes, or \"off\"");
      }
      std::string why;
      if (!MemoryLimit::parse(text, lim.max_memory, why)) return r.fail("max_memory", why);
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("defaults")) {
    TableReader r(*t, "defaults", error);
    if (!r.only({"queue", "priority", "lease_ms", "prefetch", "strict_queues"}) ||
        !r.string("queue", core.default_queue) ||
        !r.integer("priority", core.default_priority, 1, 10) ||
        !r.integer("lease_ms", core.default_lease_ms, 1, core.max_lease_ms) ||
        !r.integer("prefetch", core.default_prefetch, 1, core.max_prefetch) ||
        !r.boolean("strict_queues", core.strict_queues)) {
      return false;
    }
    if (!broker::is_valid_queue_name(core.default_queue, core.limits.max_type_bytes)) {
      return r.fail("queue", "a queue name is 1..255 characters of [A-Za-z0-9._:-]");
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("idempotency")) {
    TableReader r(*t, "idempotency", error);
    if (!r.only({"window_ms"}) ||
        !r.integer("window_ms", core.idempotency_window_ms, 1000, kTenYearsMs)) {
      return false;
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("retention")) {
    TableReader r(*t, "retention", error);
    if (!r.only({"completed_count", "completed_age_ms"}) ||
        !r.integer("completed_count", core.completed_retention_count, 0, 100'000'000) ||
        !r.integer("completed_age_ms", core.completed_retention_ms, 0, kTenYearsMs)) {
      return false;
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("compaction")) {
    TableReader r(*t, "compaction", error);
    if (!r.only({"min_bytes", "ratio", "chunk"}) ||
        !r.integer("min_bytes", so.service.compaction_min_bytes, 1 << 20, int64_t{1} << 40) ||
        !r.number("ratio", so.service.compaction_ratio, 0.1, 100.0) ||
        !r.integer("chunk", so.service.compaction_chunk, 100, 10'000'000)) {
      return false;
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("queues")) {
    for (const auto& [name, node] : *t) {
      const std::string key = "queues." + std::string(name.str());
      if (!broker::is_valid_queue_name(name.str(), core.limits.max_type_bytes)) {
        error = key + ": a queue name is 1..255 characters of [A-Za-z0-9._:-]";
        return false;
      }
      if (!node.is_table()) {
        error = key + ": expected a table";
        return false;
      }
      broker::QueueSettings& qs = core.queues[std::string(name.str())];
      TableReader r(*node.as_table(), key, error);
      if (!r.only({"priority", "lease_ms", "max_length"}) ||
          !r.integer("priority", qs.default_priority, 1, 10) ||
          !r.integer("lease_ms", qs.lease_ms, 1, core.max_lease_ms) ||
          !r.integer("max_length", qs.max_length, 0, int64_t{1} << 40)) {
        return false;
      }
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("routing")) {
    for (const auto& [type, node] : *t) {
      const std::string key = "routing." + std::string(type.str());
      std::vector<std::string> queues;
      if (auto one = node.value_exact<std::string>()) {
        queues.push_back(*one);
      } else if (const toml::array* arr = node.as_array()) {
        for (const toml::node& q : *arr) {
          auto v = q.value_exact<std::string>();
          if (!v) {
            error = key + ": expected a queue name or a list of queue names";
            return false;
          }
          queues.push_back(*v);
        }
      } else {
        error = key + ": expected a queue name or a list of queue names";
        return false;
      }
      if (queues.empty()) {
        error = key + ": names no queue";
        return false;
      }
      for (const std::string& q : queues) {
        if (!broker::is_valid_queue_name(q, core.limits.max_type_bytes)) {
          error = fmt::format("{}: '{}' is not a valid queue name", key, q);
          return false;
        }
      }
      core.routing[std::string(type.str())] = std::move(queues);
    }
  }
  if (!error.empty()) return false;

  if (const toml::table* t = top.subtable("retry")) {
    for (const auto& [name, node] : *t) {
      const std::string key = "retry." + std::string(name.str());
      if (!node.is_table()) {
        error = key + ": expected a table";
        return false;
      }
      TableReader r(*node.as_table(), key, error);
      if (name.str() == "default") {
        if (!read_retry(r, core.retry.default_policy())) return false;
        continue;
      }
      // per-type keys override the default policy as it stands once everything is applied
      if (!r.only({"max_retries", "delay_ms", "multiplier", "max_delay_ms", "jitter"}))
        return false;
      RetryOverride& o = cfg.retry_overrides[std::string(name.str())];
      broker::RetryPolicy probe;
      if (!read_retry(r, probe)) return false;
      const toml::table& tt = *node.as_table();
      if (tt.contains("max_retries")) o.max_retries = probe.max_retries;
      if (tt.contains("delay_ms")) o.delay_ms = probe.delay_ms;
      if (tt.contains("multiplier")) o.multiplier = probe.multiplier;
      if (tt.contains("max_delay_ms")) o.max_delay_ms = probe.max_delay_ms;
      if (tt.contains("jitter")) o.jitter = probe.jitter;
    }
  }
  return error.empty();
}

template <typename T>
bool env_integer(const char* name, const char* text, T& out, int64_t min, int64_t max,
                 std::string& error) {
  int64_t v = 0;
  const std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < min || v > max) {
    error = fmt::format("{}: expected an integer {}..{} (got '{}')", name, min, max, text);
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

bool env_number(const char* name, const char* text, double& out, double min, double max,
                std::string& error) {
  char* end = nullptr;
  const double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= min && v <= max)) {
    error = fmt::format("{}: expected a number {}..{} (got '{}')", name, min, max, text);
    return false;
  }
  out = v;
  return true;
}

}  // namespace

bool apply_toml(std::string_view text, const std::string& source, BrokerConfig& cfg,
                std::string& error) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    error = fmt::format("{}:{}:{}: {}", source, e.source().begin.line, e.source().begin.column,
                        e.description());
    return false;
  }
  std::string inner;
  if (!apply_table(root, cfg, inner)) {
    error = source + ": " + inner;
    return false;
  }
  return true;
}

bool apply_toml_file(const std::string& path, BrokerConfig& cfg, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read config file " + path;
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return apply_toml(ss.str(), path, cfg, error);
}

bool apply_env(const Getenv& getenv, BrokerConfig& cfg, std::string& error) {
  broker::CoreOptions& core = cfg.server.service.core;
  broker::RetryPolicy& retry = core.retry.default_policy();
  if (const char* v = getenv("SYMPHONY_DEFAULT_QUEUE")) {
    if (!broker::is_valid_queue_name(v, core.limits.max_type_bytes)) {
      error = fmt::format("SYMPHONY_DEFAULT_QUEUE: '{}' is not a valid queue name", v);
      return false;
    }
    core.default_queue = v;
  }
  if (const char* v = getenv("SYMPHONY_DEFAULT_PRIORITY")) {
    if (!env_integer("SYMPHONY_DEFAULT_PRIORITY", v, core.default_priority, 1, 10, error)) {
      return false;
    }
  }
  if (const char* v = getenv("SYMPHONY_RETRY_MAX_RETRIES")) {
    if (!env_integer("SYMPHONY_RETRY_MAX_RETRIES", v, retry.max_retries, 0, 1000, error)) {
      return false;
    }
  }
  if (const char* v = getenv("SYMPHONY_RETRY_DELAY")) {
    if (!env_integer("SYMPHONY_RETRY_DELAY", v, retry.delay_ms, 0, kMaxU32, error)) return false;
  }
  if (const char* v = getenv("SYMPHONY_RETRY_MULTIPLIER")) {
    if (!env_number("SYMPHONY_RETRY_MULTIPLIER", v, retry.multiplier, 1.0, 100.0, error)) {
      return false;
    }
  }
  if (const char* v = getenv("SYMPHONY_RETRY_MAX_DELAY")) {
    if (!env_integer("SYMPHONY_RETRY_MAX_DELAY", v, retry.max_delay_ms, 0, kMaxU32, error)) {
      return false;
    }
  }
  if (const char* v = getenv("SYMPHONY_RETRY_JITTER")) {
    if (!env_number("SYMPHONY_RETRY_JITTER", v, retry.jitter, 0.0, 1.0, error)) return false;
  }
  if (const char* v = getenv("SYMPHONY_MAX_MEMORY")) {
    std::string why;
    if (!MemoryLimit::parse(v, cfg.server.service.limits.max_memory, why)) {
      error = "SYMPHONY_MAX_MEMORY: " + why;
      return false;
    }
  }
  if (const char* v = getenv("SYMPHONY_MAX_CONNECTIONS")) {
    if (!env_integer("SYMPHONY_MAX_CONNECTIONS", v, cfg.server.service.limits.max_connections, 0,
                     10'000'000, error)) {
      return false;
    }
  }
  if (const char* v = getenv("SYMPHONY_LISTEN")) cfg.server.listen = v;
  if (const char* v = getenv("SYMPHONY_ADMIN_LISTEN")) cfg.server.admin_listen = v;
  if (const char* v = getenv("SYMPHONY_AUTH_TOKEN")) {
    if (*v == '\0') {
      error = "SYMPHONY_AUTH_TOKEN: is empty";
      return false;
    }
    cfg.server.service.auth_tokens = {v};
  }
  if (const char* v = getenv("SYMPHONY_AUTH_TOKEN_FILE")) cfg.auth_token_file = v;
  if (const char* v = getenv("SYMPHONY_ADMIN_ALLOWED_HOSTS")) {
    cfg.server.admin.allowed_hosts.clear();
    std::string_view rest(v);
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view one = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      while (!one.empty() && one.front() == ' ') one.remove_prefix(1);
      while (!one.empty() && one.back() == ' ') one.remove_suffix(1);
      if (!one.empty()) cfg.server.admin.allowed_hosts.emplace_back(one);
    }
  }
  if (const char* v = getenv("SYMPHONY_BACKUP_DIR")) cfg.server.admin.backup_dir = v;
  if (const char* v = getenv("SYMPHONY_LOG_FORMAT")) cfg.log_format = v;
  if (const char* v = getenv("SYMPHONY_DATA_DIR")) cfg.server.data_dir = v;
  if (const char* v = getenv("SYMPHONY_LOG_LEVEL")) cfg.log_level = v;
  if (const char* v = getenv("SYMPHONY_FSYNC")) {
    auto p = wal::FsyncPolicy::parse(v);
    if (!p) {
      error = fmt::format("SYMPHONY_FSYNC: expected always, never or interval:<ms> (got '{}')", v);
      return false;
    }
    cfg.server.service.fsync = *p;
  }
  return true;
}

bool finalize_config(BrokerConfig& cfg, std::string& error) {
  broker::CoreOptions& core = cfg.server.service.core;
  if (!cfg.auth_token_file.empty()) {
    std::vector<std::string> from_file;
    if (!read_token_file(cfg.auth_token_file, from_file, error)) {
      error = "auth.token_file: " + error;
      return false;
    }
    cfg.tokens_from_file = from_file.size();
    for (std::string& t : from_file) cfg.server.service.auth_tokens.push_back(std::move(t));
  }
  for (std::string& h : cfg.server.admin.allowed_hosts) {
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::string problem = admin::host_name_problem(h); !problem.empty()) {
      error = "admin.allowed_hosts: " + problem;
      return false;
    }
  }
  std::string host;
  uint16_t port = 0;
  if (!parse_host_port(cfg.server.listen, host, port)) {
    error = fmt::format("server.listen: '{}' is not HOST:PORT", cfg.server.listen);
    return false;
  }
  std::string admin_host;
  uint16_t admin_port = 0;
  if (!cfg.server.admin_listen.empty() &&
      !parse_host_port(cfg.server.admin_listen, admin_host, admin_port)) {
    error = fmt::format("server.admin_listen: '{}' is not HOST:PORT", cfg.server.admin_listen);
    return false;
  }
  if (cfg.server.service.auth_tokens.empty() && !cfg.server.insecure) {
    // an exposed broker without a token is anyone's: refuse unless told so
    if (!is_loopback_host(host)) {
      error = fmt::format(
          "server.listen: '{}' is not a loopback address and no auth token is set (set "
          "[auth] tokens / SYMPHONY_AUTH_TOKEN / --auth-token-file, or pass --insecure)",
          cfg.server.listen);
      return false;
    }
    if (!cfg.server.admin_listen.empty() && !is_loopback_host(admin_host)) {
      error = fmt::format(
          "server.admin_listen: '{}' is not a loopback address and no auth token is set (set "
          "[auth] tokens / SYMPHONY_AUTH_TOKEN / --auth-token-file, or pass --insecure)",
          cfg.server.admin_listen);
      return false;
    }
  }
  const TlsOptions& tls = cfg.server.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    error = "tls.cert: a certificate needs its key (tls.key) and the other way round";
    return false;
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    error = "tls.client_ca: mutual TLS needs the server's own tls.cert and tls.key";
    return false;
  }
  if (cfg.log_format != "text" && cfg.log_format != "json") {
    error = fmt::format("server.log_format: '{}' is not text or json", cfg.log_format);
    return false;
  }
  static constexpr std::string_view kLevels[] = {"trace", "debug",    "info", "warn",
                                                 "error", "critical", "off"};
  bool level_ok = false;
  for (std::string_view l : kLevels) level_ok |= cfg.log_level == l;
  if (!level_ok) {
    error = fmt::format(
        "server.log_level: '{}' is not one of trace, debug, info, warn, error, critical, off",
        cfg.log_level);
    return false;
  }
  const broker::RetryPolicy& base = core.retry.default_policy();
  if (base.max_delay_ms < base.delay_ms) {
    error = fmt::format("retry.default.max_delay_ms: {} is below delay_ms {}", base.max_delay_ms,
                        base.delay_ms);
    return false;
  }
  for (const auto& [type, o] : cfg.retry_overrides) {
    broker::RetryPolicy p = base;
    if (o.max_retries) p.max_retries = *o.max_retries;
    if (o.delay_ms) p.delay_ms = *o.delay_ms;
    if (o.multiplier) p.multiplier = *o.multiplier;
    if (o.max_delay_ms) p.max_delay_ms = *o.max_delay_ms;
    if (o.jitter) p.jitter = *o.jitter;
    if (p.max_delay_ms < p.delay_ms) {
      error = fmt::format("retry.{}.max_delay_ms: {} is below delay_ms {}", type, p.max_delay_ms,
                          p.delay_ms);
      return false;
    }
    core.retry.set(type, p);
  }
  if (core.strict_queues) {
    for (const auto& [type, queues] : core.routing) {
      for (const std::string& q : queues) {
        if (!core.queues.count(q) && q != core.default_queue) {
          error = fmt::format("routing.{}: queue '{}' is not declared in [queues] (strict_queues)",
                              type, q);
          return false;
        }
      }
    }
  }
  return true;
}

bool read_token_file(const std::string& path, std::vector<std::string>& tokens,
                     std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = fmt::format("cannot read {}: {}", path, std::strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = fmt::format("{} is not a regular file", path);
    return false;
  }
  // like ssh with a private key: a secret anyone on the machine can read is no secret. The
  // file's group may read it (root:symphony 0640, as for the config file).
  if (st.st_mode & (S_IROTH | S_IWOTH)) {
    error = fmt::format(
        "{} is {} by other users (mode {:04o}); make it private: chmod o-rwx {} (0600, or 0640 "
        "for the broker's group)",
        path, st.st_mode & S_IROTH ? "readable" : "writable", st.st_mode & 07777, path);
    return false;
  }
  std::ifstream in(path);
  if (!in) {
    error = fmt::format("cannot read {}", path);
    return false;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::string_view t(line);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    if (t.empty() || t.front() == '#') continue;
    tokens.emplace_back(t);
  }
  if (tokens.empty()) {
    error = fmt::format("{} holds no token (one per line; # starts a comment)", path);
    return false;
  }
  return true;
}

std::string insecure_warning(const BrokerConfig& cfg) {
  const ServerOptions& so = cfg.server;
  if (!so.insecure) return {};
  std::vector<std::string> exposed;
  std::string host;
  uint16_t port = 0;
  if (parse_host_port(so.listen, host, port) && !is_loopback_host(host)) {
    exposed.push_back(so.listen);
  }
  if (!so.admin_listen.empty() && parse_host_port(so.admin_listen, host, port) &&
      !is_loopback_host(host)) {
    exposed.push_back(so.admin_listen + " (admin API)");
  }
  constexpr std::string_view kWhat =
      "insecure (--insecure / server.insecure) lets the broker serve without an auth token on "
      "an address other than loopback";
  if (!so.service.auth_tokens.empty() || exposed.empty()) {
    return fmt::format("{}; it changes nothing now ({}), but drop it unless you mean it", kWhat,
                       so.service.auth_tokens.empty() ? "both ports are on loopback"
                                                      : "auth tokens are set");
  }
  return fmt::format(
      "{}: serving WITHOUT AUTHENTICATION on {}. Anyone who can reach it can dispatch and consume "
      "messages, purge queues, delete dead letters and take backups. That is only safe on a "
      "network where every host and user is trusted (an isolated test network, a container "
      "network with no published port); elsewhere set a token (SYMPHONY_AUTH_TOKEN or "
      "--auth-token-file)",
      kWhat, fmt::join(exposed, " and "));
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

std::string to_toml(const BrokerConfig& cfg) {
  const ServerOptions& so = cfg.server;
  const broker::CoreOptions& core = so.service.core;
  auto retry_table = [](const broker::RetryPolicy& p) {
    return toml::table{{"max_retries", static_cast<int64_t>(p.max_retries)},
                       {"delay_ms", static_cast<int64_t>(p.delay_ms)},
                       {"multiplier", p.multiplier},
                       {"max_delay_ms", static_cast<int64_t>(p.max_delay_ms)},
                       {"jitter", p.jitter}};
  };
  toml::table root{
      {"server", toml::table{{"listen", so.listen},
                             {"admin_listen", so.admin_listen},
                             {"insecure", so.insecure},
                             {"data_dir", so.data_dir},
                             {"log_level", cfg.log_level},
                             {"log_format", cfg.log_format},
                             {"fsync", so.service.fsync.to_string()},
                             {"shutdown_grace_ms", static_cast<int64_t>(so.shutdown_grace_ms)}}},
      {"limits",
       toml::table{{"max_frame_bytes", static_cast<int64_t>(core.limits.max_frame_bytes)},
                   {"max_batch", static_cast<int64_t>(core.limits.max_batch)},
                   {"max_payload_bytes", static_cast<int64_t>(core.limits.max_payload_bytes)},
                   {"max_metadata_bytes", static_cast<int64_t>(core.limits.max_metadata_bytes)},
                   {"max_headers", static_cast<int64_t>(core.limits.max_headers)},
                   {"max_connections", static_cast<int64_t>(so.service.limits.max_connections)},
                   {"hello_timeout_ms", static_cast<int64_t>(so.service.limits.hello_timeout_ms)},
                   {"max_memory", so.service.limits.max_memory.to_string()},
                   {"max_consumer_output_bytes",
                    static_cast<int64_t>(so.service.limits.max_consumer_output_bytes)}}},
      {"defaults", toml::table{{"queue", core.default_queue},
                               {"priority", static_cast<int64_t>(core.default_priority)},
                               {"lease_ms", static_cast<int64_t>(core.default_lease_ms)},
                               {"prefetch", static_cast<int64_t>(core.default_prefetch)},
                               {"strict_queues", core.strict_queues}}},
      {"idempotency", toml::table{{"window_ms", core.idempotency_window_ms}}},
      {"retention",
       toml::table{{"completed_count", static_cast<int64_t>(core.completed_retention_count)},
                   {"completed_age_ms", core.completed_retention_ms}}},
      {"compaction",
       toml::table{{"min_bytes", static_cast<int64_t>(so.service.compaction_min_bytes)},
                   {"ratio", so.service.compaction_ratio},
                   {"chunk", static_cast<int64_t>(so.service.compaction_chunk)}}},
  };
  toml::array tokens;
  // the file's tokens are printed as the file's name, not again as tokens
  for (size_t i = cfg.tokens_from_file; i < so.service.auth_tokens.size(); ++i) {
    tokens.push_back("<redacted>");
  }
  root.insert("auth",
              toml::table{{"tokens", std::move(tokens)},
                          {"token_file", cfg.auth_token_file},
                          {"failures_before_delay",
                           static_cast<int64_t>(so.auth_throttle.free_failures)},
                          {"max_delay_ms", static_cast<int64_t>(so.auth_throttle.max_delay.count())}});
  toml::array hosts;
  for (const std::string& h : so.admin.allowed_hosts) hosts.push_back(h);
  root.insert("admin",
              toml::table{{"allowed_hosts", std::move(hosts)}, {"backup_dir", so.admin.backup_dir}});
  root.insert("tls", toml::table{{"cert", so.tls.cert_file},
                                 {"key", so.tls.key_file},
                                 {"client_ca", so.tls.client_ca_file}});
  root.insert(
      "health",
      toml::table{
          {"min_free_disk_mb", static_cast<int64_t>(so.health.min_free_disk_bytes >> 20)},
          {"max_expired_per_minute", static_cast<int64_t>(so.health.max_expired_per_minute)}});
  toml::table queues;
  for (const auto& [name, q] : core.queues) {
    toml::table t;
    if (q.default_priority) t.insert("priority", static_cast<int64_t>(q.default_priority));
    if (q.lease_ms) t.insert("lease_ms", static_cast<int64_t>(q.lease_ms));
    t.insert("max_length", static_cast<int64_t>(q.max_length));
    queues.insert(name, std::move(t));
  }
  root.insert("queues", std::move(queues));
  toml::table routing;
  for (const auto& [type, qs] : core.routing) {
    toml::array arr;
    for (const auto& q : qs) arr.push_back(q);
    routing.insert(type, std::move(arr));
  }
  root.insert("routing", std::move(routing));
  toml::table retry{{"default", retry_table(core.retry.default_policy())}};
  for (const auto& [type, p] : core.retry.overrides()) retry.insert(type, retry_table(p));
  root.insert("retry", std::move(retry));
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

}  // namespace symphony::server
