// The commands that write a log: replay (into a new data directory) and compact (in place).
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include "tools/symphony-wal/wal_tool.h"
#include "wal/recovery.h"
#include "wal/state_writer.h"

namespace symphony::wal_tool {

namespace fs = std::filesystem;

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

}  // namespace

int run_replay(const std::string& data_dir, const std::string& into,
               std::optional<int64_t> until_ms) {
  OpenLog src;
  if (const int rc = open_log(data_dir, src, /*read_only=*/true); rc != kExitOk) return rc;

  std::error_code ec;
  const bool existed = fs::exists(into, ec);
  if (existed && (!fs::is_directory(into, ec) || !fs::is_empty(into, ec))) {
    return fail(kExitFailed, "--into " + into + " must not exist or be an empty directory");
  }
  wal::DataDirLock dst_lock;
  std::string error;
  if (!wal::DataDirLock::acquire(into, dst_lock, error)) {
    const bool held = error.find("in use by another process") != std::string::npos;
    return fail(held ? kExitLocked : kExitFailed, error);
  }
  // a failed replay leaves no half-built data directory behind a broker could start on
  auto undo = [&](const std::string& message) {
    dst_lock = wal::DataDirLock();
    std::error_code e;
    if (existed) {
      fs::remove_all(fs::path(into) / "log", e);
      fs::remove(fs::path(into) / "symphony.lock", e);
    } else {
      fs::remove_all(into, e);
    }
    return fail(kExitFailed, message);
  };

  WalkHooks hooks;
  // a prefix of the log: a later group cannot be applied without the ones it follows
  if (until_ms) {
    hooks.on_group = [&](const GroupView& g) { return g.header.written_at_ms <= *until_ms; };
  }
  wal::LogState state;
  WalkResult walk;
  if (!walk_log(*src.store, state, hooks, walk)) return undo(walk.error);
  // ids the source may have handed out (before a crash, or after --until) stay used
  if (src.guard && (!src.guard->stopped_cleanly || until_ms)) {
    state.raise_next_id(src.guard->id_ceiling);
  }

  uint64_t groups = 0;
  {
    std::unique_ptr<wal::LogStore> dst;
    if (wal::StoreStatus st = wal::LogStore::open(into + "/log", dst); !st.ok) {
      return undo(st.message);
    }
    wal::StateWriteOptions options;
    options.first_seq = 1;
    options.epoch = 1;
    options.now_ms = now_ms();
    options.drop_older = true;
    if (wal::StoreStatus st = wal::write_state(*dst, state, options, groups); !st.ok) {
      dst.reset();
      return undo(st.message);
    }
  }
  if (write_guard(into, src.guard, groups, state.next_id()) != kExitOk) {
    return undo("cannot write " + wal::log_guard_path(into));
  }
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
