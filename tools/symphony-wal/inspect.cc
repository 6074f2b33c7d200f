// The read-only commands: stats, verify, dump, history. None of them changes the log: a write
// torn at the end of RocksDB's write-ahead log is reported (and left out), never cut.
#include <fmt/format.h>

#include <array>
#include <cstdio>
#include <map>
#include <vector>

#include "tools/symphony-wal/wal_tool.h"
#include "wal/recovery.h"

namespace symphony::wal_tool {

using nlohmann::json;

namespace {

void out(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
}

struct QueueCounts {
  uint64_t ready = 0, delayed = 0, leased = 0, dead = 0;
};

}  // namespace

int run_stats(const std::string& data_dir, bool as_json) {
  OpenLog log;
  if (const int rc = open_log(data_dir, log, /*read_only=*/true); rc != kExitOk) return rc;
  struct TypeCount {
    uint64_t count = 0, bytes = 0;
  };
  std::array<TypeCount, wal::kMaxRecordType + 1> by_type{};
  WalkHooks hooks;
  hooks.on_record = [&](const RecordView& r, const wal::LogState&) {
    TypeCount& t = by_type[static_cast<size_t>(type_of(r.record))];
    ++t.count;
    t.bytes += r.bytes;
  };
  wal::LogState state;
  WalkResult walk;
  if (!walk_log(*log.store, state, hooks, walk)) return fail(kExitFailed, walk.error);

  const int64_t now = now_ms();
  std::map<std::string, QueueCounts> queues;
  QueueCounts total;
  for (const auto& [id, e] : state.envelopes()) {
    QueueCounts& q = queues[e.queue];
    using S = wal::RecoveredEnvelope::State;
    uint64_t QueueCounts::*field = e.state == S::kDead       ? &QueueCounts::dead
                                   : e.state == S::kLeased   ? &QueueCounts::leased
                                   : e.available_at_ms > now ? &QueueCounts::delayed
                                                             : &QueueCounts::ready;
    ++(q.*field);
    ++(total.*field);
  }
  uint64_t record_bytes = 0;
  for (const TypeCount& t : by_type) record_bytes += t.bytes;
  const uint64_t disk_bytes = log.store->disk_bytes();

  if (as_json) {
    auto counts_json = [](const QueueCounts& c) {
      return json{{"ready", c.ready},
                  {"delayed", c.delayed},
                  {"leased", c.leased},
                  {"dead", c.dead},
                  {"total", c.ready + c.delayed + c.leased + c.dead}};
    };
    json types = json::object();
    for (uint8_t t = 1; t <= wal::kMaxRecordType; ++t) {
      types[std::string(record_type_name(static_cast<wal::RecordType>(t)))] = {
          {"count", by_type[t].count}, {"bytes", by_type[t].bytes}};
    }
    json qs = json::object();
    for (const auto& [name, c] : queues) qs[name] = counts_json(c);
    json groups{{"count", walk.groups}, {"bytes", walk.bytes}};
    groups["first_seq"] = walk.first ? json(walk.first->seq) : json(nullptr);
    groups["last_seq"] = walk.last ? json(walk.last->seq) : json(nullptr);
    groups["first_written_at"] =
        walk.first ? json(iso(walk.first->header.written_at_ms)) : json(nullptr);
    groups["last_written_at"] =
        walk.last ? json(iso(walk.last->header.written_at_ms)) : json(nullptr);
    json j{{"data_dir", data_dir},
           {"groups", std::move(groups)},
           {"records", {{"count", walk.records}, {"bytes", record_bytes}, {"by_type", types}}},
           {"envelopes", counts_json(total)},
           {"queues", std::move(qs)},
           {"idempotency_keys", state.keys().size()},
           {"next_id", state.next_id()},
           {"base_id", state.base_id()},
           {"orphans", state.orphans()},
           {"disk_bytes", disk_bytes}};
    j["wal_tail_torn"] = log.opened.tail_cut;
    j["stopped_cleanly"] = log.guard ? json(log.guard->stopped_cleanly) : json(nullptr);
    print_json(j);
    return kExitOk;
  }

  out(fmt::format("data dir          {}", data_dir));
  if (walk.first) {
    out(fmt::format("log groups        {} (seq {}..{}), written {} .. {}, {} bytes", walk.groups,
                    walk.first->seq, walk.last->seq, iso(walk.first->header.written_at_ms),
                    iso(walk.last->header.written_at_ms), walk.bytes));
  } else {
    out("log groups        0");
  }
  out(fmt::format("bytes on disk     {}", disk_bytes));
  out(fmt::format("records           {} ({} bytes)", walk.records, record_bytes));
  for (uint8_t t = 1; t <= wal::kMaxRecordType; ++t) {
    out(fmt::format("  {:<16} {:>10} {:>12} bytes",
                    record_type_name(static_cast<wal::RecordType>(t)), by_type[t].count,
                    by_type[t].bytes));
  }
  out(fmt::format("live envelopes    {} (as of {})", state.envelopes().size(), iso(now)));
  if (!queues.empty()) {
    size_t width = 5;
    for (const auto& [name, c] : queues) width = std::max(width, one_line(name).size());
    out(fmt::format("  {:<{}} {:>10} {:>10} {:>10} {:>10}", "queue", width, "ready", "delayed",
                    "leased", "dead"));
    for (const auto& [name, c] : queues) {
      out(fmt::format("  {:<{}} {:>10} {:>10} {:>10} {:>10}", one_line(name), width, c.ready,
                      c.delayed, c.leased, c.dead));
    }
  }
  out(fmt::format("idempotency keys  {}", state.keys().size()));
  out(fmt::format("next id           {}", state.next_id()));
  out(fmt::format("base id           {}", state.base_id()));
  out(fmt::format("orphan records    {} (skipped: their history was compacted away)",
                  state.orphans()));
  return kExitOk;
}

int run_verify(const std::string& data_dir) {
  OpenLog log;
  if (const int rc = open_log(data_dir, log, /*read_only=*/true, /*verify_tables=*/true);
      rc != kExitOk) {
    if (rc == kExitFailed) out("FAILED: the log cannot be opened as it is (see above)");
    return rc;
  }
  wal::LogState state;
  WalkResult walk;
  WalkHooks hooks;
  wal::RecoveryReport report;
  hooks.on_group = [&](const GroupView& g) {
    report.group_infos.push_back(
        {g.seq, g.header.first_epoch, g.header.last_epoch, g.header.next_message_id});
    return true;
  };
  if (!walk_log(*log.store, state, hooks, walk)) {
    out("FAILED: " + walk.error);
    return kExitFailed;
  }
  if (std::string error; !wal::apply_guard(log.guard, report, state, error)) {
    out("FAILED: " + error);
    return kExitFailed;
  }
  std::string range =
      walk.first ? fmt::format(" (seq {}..{})", walk.first->seq, walk.last->seq) : std::string();
  out(fmt::format(
      "ok: {} groups{}, {} records, {} bytes; {} live envelopes, {} idempotency keys, next id "
      "{}, {} orphan records",
      walk.groups, range, walk.records, walk.bytes, state.envelopes().size(), state.keys().size(),
      state.next_id(), state.orphans()));
  return kExitOk;
}

int run_dump(const std::string& data_dir, const DumpFilter& filter, bool as_json) {
  OpenLog log;
  if (const int rc = open_log(data_dir, log, /*read_only=*/true); rc != kExitOk) return rc;
  WalkHooks hooks;
  hooks.on_record = [&](const RecordView& r, const wal::LogState& before) {
    const int64_t at = r.group.header.written_at_ms;
    if (filter.since_ms && at < *filter.since_ms) return;
    if (filter.until_ms && at > *filter.until_ms) return;
    if (!filter.type.empty() && record_type_name(type_of(r.record)) != filter.type) return;
    if (filter.id && !concerns(r.record, *filter.id, before)) return;
    if (!filter.queue.empty()) {
      // only envelope, purge and key records name their queue; the others are found through the
      // envelope they are about, which is live in the state before them
      std::string_view queue;
      std::visit(
          [&](const auto& x) {
            if constexpr (requires { x.queue; }) {
              queue = x.queue;
            } else if constexpr (requires { x.id; }) {
              const auto it = before.envelopes().find(x.id);
              if (it != before.envelopes().end()) queue = it->second.queue;
            } else if constexpr (requires { x.info; }) {
              queue = x.info.spec.queue;  // a schedule's destination, when it names one
            }
          },
          r.record);
      if (queue != filter.queue) return;
    }
    if (as_json) {
      print_json(record_json(r));
    } else {
      out(record_text(r));
    }
  };
  wal::LogState state;
  WalkResult walk;
  const bool ok = walk_log(*log.store, state, hooks, walk);
  std::fflush(stdout);
  if (!ok) return fail(kExitFailed, walk.error);
  return kExitOk;
}

int run_history(const std::string& data_dir, uint64_t id) {
  OpenLog log;
  if (const int rc = open_log(data_dir, log, /*read_only=*/true); rc != kExitOk) return rc;
  struct Event {
    uint64_t seq;
    uint32_t index;
    int64_t at;
    wal::RecordType type;
    std::string text;
  };
  std::vector<Event> events;
  WalkHooks hooks;
  hooks.on_record = [&](const RecordView& r, const wal::LogState& before) {
    if (!concerns(r.record, id, before)) return;
    events.push_back({r.group.seq, r.index, r.group.header.written_at_ms, type_of(r.record),
                      describe(r.record)});
  };
  wal::LogState state;
  WalkResult walk;
  const bool ok = walk_log(*log.store, state, hooks, walk);
  if (events.empty()) {
    if (!ok) return fail(kExitFailed, walk.error);
    return fail(kExitFailed, fmt::format("message {} does not appear in the log", id));
  }
  out(fmt::format("history of message {}:", id));
  for (const Event& e : events) {
    out(fmt::format("  {}  g{} #{}  {}", iso(e.at), e.seq, e.index, e.text));
  }
  std::fflush(stdout);
  if (!ok) return fail(kExitFailed, walk.error);

  std::string now_text;
  const auto it = state.envelopes().find(id);
  if (it != state.envelopes().end()) {
    const wal::RecoveredEnvelope& e = it->second;
    using S = wal::RecoveredEnvelope::State;
    switch (e.state) {
      case S::kPending:
        now_text =
            fmt::format("pending in queue {}, {}", one_line(e.queue),
                        e.available_at_ms > now_ms() ? "delayed until " + iso(e.available_at_ms)
                                                     : std::string("ready"));
        break;
      case S::kLeased:
        now_text = fmt::format(
            "leased to consumer {} until {} in queue {}; a lease does not outlive the broker, "
            "so it is ready again when symphonyd starts",
            e.lease_consumer, iso(e.lease_deadline_ms), one_line(e.queue));
        break;
      case S::kDead: now_text = fmt::format("dead in queue {}", one_line(e.queue)); break;
    }
    now_text += fmt::format(" (attempts {}, failures {})", e.attempts, e.failures.size());
  } else {
    switch (events.back().type) {
      case wal::RecordType::kAcked: now_text = "gone (acked)"; break;
      case wal::RecordType::kDeleted: now_text = "gone (dead letter deleted)"; break;
      case wal::RecordType::kQueuePurged: now_text = "gone (purged)"; break;
      case wal::RecordType::kIdempotencyKey:
        now_text = "gone; only its idempotency key is kept";
        break;
      default:
        now_text =
            id < state.base_id() ? "unknown: its earlier history was compacted away" : "gone";
        break;
    }
  }
  out("current state: " + now_text);
  return kExitOk;
}

}  // namespace symphony::wal_tool
