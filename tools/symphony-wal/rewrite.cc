// The commands that write a log: replay and salvage (into a new data directory) and compact (in
// place).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "tools/symphony-wal/wal_tool.h"
#include "wal/recovery.h"
#include "wal/salvage.h"
#include "wal/state_writer.h"

namespace symphony::wal_tool {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void out(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
}

/// "email: 1 ready/delayed, 1 dead; jobs: ..." (pending is not split: ready depends on when the
/// broker starts).
std::string state_summary(const wal::LogState& state) {
  struct Counts {
    uint64_t pending = 0, leased = 0, dead = 0;
  };
  std::map<std::string, Counts> queues;
  for (const auto& [id, e] : state.envelopes()) {
    Counts& c = queues[e.queue];
    using S = wal::RecoveredEnvelope::State;
    ++(e.state == S::kDead ? c.dead : e.state == S::kLeased ? c.leased : c.pending);
  }
  std::string text = fmt::format("{} live envelopes", state.envelopes().size());
  std::string sep = " (";
  for (const auto& [name, c] : queues) {
    text += fmt::format("{}{}: {} pending, {} leased, {} dead", sep, one_line(name), c.pending,
                        c.leased, c.dead);
    sep = "; ";
  }
  if (!queues.empty()) text += ")";
  return text +
         fmt::format(", {} idempotency keys, next id {}", state.keys().size(), state.next_id());
}

/// Groups in the store and the bytes of their values.
std::pair<uint64_t, uint64_t> count_groups(wal::LogStore& store) {
  uint64_t n = 0, bytes = 0;
  store.for_each_group([&](uint64_t, std::string_view value) {
    ++n;
    bytes += value.size();
    return true;
  });
  return {n, bytes};
}

/// Locks and checks an --into directory (must not exist or be empty); `undo` removes what a
/// failed run built there.
struct NewDataDir {
  std::string path;
  bool existed = false;
  wal::DataDirLock lock;
  int open(const std::string& into) {
    path = into;
    std::error_code ec;
    existed = fs::exists(into, ec);
    if (existed && (!fs::is_directory(into, ec) || !fs::is_empty(into, ec))) {
      return fail(kExitFailed, "--into " + into + " must not exist or be an empty directory");
    }
    std::string error;
    if (!wal::DataDirLock::acquire(into, lock, error)) {
      const bool held = error.find("in use by another process") != std::string::npos;
      return fail(held ? kExitLocked : kExitFailed, error);
    }
    return kExitOk;
  }
  int undo(const std::string& message) {
    lock = wal::DataDirLock();
    std::error_code e;
    if (existed) {
      fs::remove_all(fs::path(path) / "log", e);
      fs::remove(fs::path(path) / "symphony.lock", e);
      fs::remove(wal::log_guard_path(path), e);
    } else {
      fs::remove_all(path, e);
    }
    return fail(kExitFailed, message);
  }
  /// Writes `state` as a fresh log (snapshot groups from seq 1) and a guard that says it stopped
  /// cleanly, keeping the id ceiling of `guard`. Undoes everything on failure.
  int fill(const wal::LogState& state, const std::optional<wal::LogGuardState>& guard,
           uint64_t& groups) {
    {
      std::unique_ptr<wal::LogStore> out;
      if (wal::StoreStatus st = wal::LogStore::open(path + "/log", out); !st.ok) {
        return undo(st.message);
      }
      wal::StateWriteOptions w;
      w.first_seq = 1;
      w.epoch = 1;
      w.now_ms = now_ms();
      w.drop_older = true;
      if (wal::StoreStatus st = wal::write_state(*out, state, w, groups); !st.ok) {
        out.reset();
        return undo(st.message);
      }
    }
    if (write_guard(path, guard, groups, state.next_id()) != kExitOk) {
      return undo("cannot write " + wal::log_guard_path(path));
    }
    return kExitOk;
  }
};

std::string range_text(uint64_t from, uint64_t to) {
  return to == 0          ? fmt::format("{} and after", from)
         : to == from + 1 ? std::to_string(from)
                          : fmt::format("{} to {}", from, to - 1);
}

}  // namespace

int run_replay(const std::string& data_dir, const std::string& into,
               std::optional<int64_t> until_ms) {
  OpenLog src;
  if (const int rc = open_log(data_dir, src, /*read_only=*/true); rc != kExitOk) return rc;

  NewDataDir dst;
  if (const int rc = dst.open(into); rc != kExitOk) return rc;

  WalkHooks hooks;
  // a prefix of the log: a later group cannot be applied without the ones it follows
  if (until_ms) {
    hooks.on_group = [&](const GroupView& g) { return g.header.written_at_ms <= *until_ms; };
  }
  wal::LogState state;
  WalkResult walk;
  if (!walk_log(*src.store, state, hooks, walk)) return dst.undo(walk.error);
  // ids the source may have handed out (before a crash, or after --until) stay used
  if (src.guard && (!src.guard->stopped_cleanly || until_ms)) {
    state.raise_next_id(src.guard->id_ceiling);
  }

  uint64_t groups = 0;
  if (const int rc = dst.fill(state, src.guard, groups); rc != kExitOk) return rc;
  std::string source =
      walk.first ? fmt::format(
                       "{} records of {} groups (seq {}..{}, written {} "
                       "to {})",
                       walk.records, walk.groups, walk.first->seq, walk.last->seq,
                       iso(walk.first->header.written_at_ms), iso(walk.last->header.written_at_ms))
                 : std::string("an empty log");
  if (until_ms) source += " up to " + iso(*until_ms);
  out(fmt::format("replayed {} from {}", source, data_dir));
  out(fmt::format("wrote {} group{} into {}/log: {}", groups, groups == 1 ? "" : "s", into,
                  state_summary(state)));
  return kExitOk;
}

int run_salvage(const std::string& data_dir, const std::string& into, bool as_json) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) return fail(kExitFailed, "no data directory at " + data_dir);
  wal::DataDirLock src_lock;
  std::string error;
  if (!wal::DataDirLock::acquire(data_dir, src_lock, error)) {
    const bool held = error.find("in use by another process") != std::string::npos;
    return fail(held ? kExitLocked : kExitFailed, error);
  }
  const std::string log_dir = data_dir + "/log";
  if (!fs::exists(log_dir + "/CURRENT", ec)) {
    return fail(kExitFailed,
                "no Symphony log in " + data_dir + " (" + log_dir + "/CURRENT is missing)");
  }
  std::optional<wal::LogGuardState> guard;
  {
    wal::LogGuardState g;
    switch (wal::read_log_guard(data_dir, g, error)) {
      case wal::GuardRead::kOk: guard = g; break;
      case wal::GuardRead::kMissing: break;
      case wal::GuardRead::kDamaged:
        warn(error +
             ": salvaging without it (ids then continue above every id the log shows, "
             "plus a reserve)");
        break;
    }
  }
  // every intact write-ahead record, skipping the damaged ones; nothing in data_dir changes
  wal::LogStoreOptions options;
  options.read_only = true;
  options.wal_replay = wal::WalReplay::kSkipDamage;
  options.on_message = [](wal::StoreMessageLevel, std::string_view) {};
  std::unique_ptr<wal::LogStore> src;
  if (wal::StoreStatus st = wal::LogStore::open(log_dir, src, options); !st.ok) {
    return fail(kExitFailed, st.message +
                                 " (RocksDB cannot read the log's own files at all: restore the "
                                 "data directory from a backup)");
  }
  wal::LogState state;
  wal::SalvageReport report;
  if (!wal::salvage_log(*src, guard, state, report, error)) return fail(kExitFailed, error);
  if (wal::StoreStatus v = src->verify_checksums(); !v.ok) {
    warn("some table files are damaged (" + v.message +
         "): the groups they held are reported "
         "lost below if they could not be read");
  }

  NewDataDir dst;
  if (const int rc = dst.open(into); rc != kExitOk) return rc;
  uint64_t groups = 0;
  if (const int rc = dst.fill(state, guard, groups); rc != kExitOk) return rc;

  if (as_json) {
    json lost = json::array();
    for (const auto& l : report.lost) {
      lost.push_back({{"from_seq", l.from_seq},
                      {"to_seq", l.to_seq == 0 ? json(nullptr) : json(l.to_seq - 1)},
                      {"written_after", l.after_ms ? json(iso(l.after_ms)) : json(nullptr)},
                      {"written_before", l.before_ms ? json(iso(l.before_ms)) : json(nullptr)},
                      {"ids_from", l.ids_from ? json(l.ids_from) : json(nullptr)},
                      {"ids_to", l.ids_to ? json(l.ids_to - 1) : json(nullptr)}});
    }
    json skipped = json::array();
    for (const auto& r : report.skipped) {
      skipped.push_back({{"seq", r.seq}, {"index", r.index}, {"id", r.id}, {"what", r.what}});
    }
    print_json({{"intact", report.intact()},
                {"groups", report.groups},
                {"records", report.records},
                {"lost_groups", std::move(lost)},
                {"skipped_records", std::move(skipped)},
                {"envelopes", state.envelopes().size()},
                {"next_id", report.next_id},
                {"into", into}});
    return kExitOk;
  }
  out(fmt::format("salvaged {} intact groups ({} records) of {}", report.groups, report.records,
                  data_dir));
  if (report.intact()) out("nothing was lost: every group and record is intact");
  for (const auto& l : report.lost) {
    std::string when = l.after_ms ? "written after " + iso(l.after_ms) : std::string();
    if (l.before_ms) when += (when.empty() ? "written before " : " and before ") + iso(l.before_ms);
    if (when.empty()) when = "written at an unknown time";
    std::string ids;
    if (l.ids_from && l.ids_to) {
      ids = l.ids_to > l.ids_from
                ? fmt::format("it can have created ids {} to {}", l.ids_from, l.ids_to - 1)
                : std::string("it created no ids");
    } else if (l.ids_from) {
      ids = fmt::format("it can have created ids from {} on", l.ids_from);
    } else {
      ids = "the ids it created are unknown";
    }
    out(
        fmt::format("LOST log groups {} ({}): {}; any envelope may have changed in them (an ack "
                    "lost brings a message back, a dispatch lost removes it)",
                    range_text(l.from_seq, l.to_seq), when, ids));
  }
  for (const auto& r : report.skipped) {
    out(fmt::format("SKIPPED message {}: {}", r.id, r.what));
  }
  out(fmt::format("wrote {} group{} into {}/log: {}", groups, groups == 1 ? "" : "s", into,
                  state_summary(state)));
  out(fmt::format("ids continue from {}: none the damaged log may have handed out is reused",
                  report.next_id));
  return kExitOk;
}

int run_compact(const std::string& data_dir) {
  OpenLog log;
  if (const int rc = open_log(data_dir, log, /*read_only=*/false); rc != kExitOk) return rc;
  wal::LogStore& store = *log.store;
  const uint64_t bytes_before = store.disk_bytes();

  wal::LogState state;
  wal::RecoveryReport report;
  std::string error;
  if (!wal::recover(store, state, report, error) ||
      !wal::apply_guard(log.guard, report, state, error)) {
    return fail(kExitFailed, error);
  }
  if (report.group_infos.empty()) {
    out("the log holds no groups: nothing to compact");
    return kExitOk;
  }
  wal::StateWriteOptions options;
  options.first_seq = report.group_infos.back().seq + 1;
  options.epoch = report.last_epoch + 1;
  options.now_ms = now_ms();
  options.drop_older = true;
  uint64_t written = 0;
  if (wal::StoreStatus st = wal::write_state(store, state, options, written); !st.ok) {
    return fail(kExitFailed, st.message);
  }
  if (const int rc =
          write_guard(data_dir, log.guard, options.first_seq + written - 1, state.next_id());
      rc != kExitOk) {
    return rc;
  }
  // the snapshot is durable and the old groups deleted: reclaiming their space is best effort
  if (wal::StoreStatus st = store.compact(0, options.first_seq); !st.ok) warn(st.message);
  const auto [groups_after, group_bytes_after] = count_groups(store);
  const uint64_t bytes_after = store.disk_bytes();
  // disk bytes include RocksDB's own files (info logs, manifest), which dominate a small log
  out(
      fmt::format("compacted {}/log: {} groups ({} bytes) -> {} (seq {}..{}, {} bytes); {} -> {} "
                  "bytes on disk",
                  data_dir, report.groups, report.bytes, groups_after, options.first_seq,
                  options.first_seq + written - 1, group_bytes_after, bytes_before, bytes_after));
  out("kept " + state_summary(state));
  return kExitOk;
}

}  // namespace symphony::wal_tool
