#include "wal/checked_open.h"

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <map>

namespace symphony::wal {

namespace {

/// RocksDB's words for a record cut short by the end of its file: what a torn write leaves.
/// Damage inside the file reads as a checksum mismatch, a bad length or a bad type instead.
bool is_cut_short(const std::string& message) {
  static constexpr std::array<std::string_view, 3> kCutShort = {
      "truncated header", "truncated record body", "error reading trailing data"};
  for (std::string_view m : kCutShort) {
    if (message.find(m) != std::string::npos) return true;
  }
  return false;
}

StoreStatus replay_digest(const std::string& log_dir, const CheckedOpenOptions& options,
                          WalReplay replay, std::map<std::string, uint64_t>& digest) {
  LogStoreOptions o = options.store;
  o.read_only = true;
  o.wal_replay = replay;
  std::unique_ptr<LogStore> store;
  if (StoreStatus st = LogStore::open(log_dir, store, o); !st.ok) return st;
  return store->digest(digest);
}

std::string data_dir_of(const std::string& log_dir) {
  return std::filesystem::path(log_dir).parent_path().string();
}

}  // namespace

std::string damage_hint(const std::string& log_dir) {
  const std::string d = data_dir_of(log_dir);
  return fmt::format(
      "; `symphony-wal verify --data-dir {0}` reports the damage, and `symphony-wal salvage "
      "--data-dir {0} --into NEW_DIR` keeps every intact record (docs/operations.md, \"A "
      "damaged log\")",
      d);
}

StoreStatus open_checked(const std::string& log_dir, std::unique_ptr<LogStore>& out,
                         const CheckedOpenOptions& options, CheckedOpenReport& report) {
  report = {};
  out.reset();
  LogStoreOptions strict = options.store;
  strict.read_only = options.read_only;
  strict.wal_replay = WalReplay::kStrict;
  StoreStatus st = LogStore::open(log_dir, out, strict);
  if (!st.ok && st.kind == StoreStatus::Kind::kCorruption) {
    // Where is the damage? Compare what the WAL gives up to it with all it still holds.
    std::map<std::string, uint64_t> prefix, intact;
    if (StoreStatus p = replay_digest(log_dir, options, WalReplay::kUpToDamage, prefix); !p.ok) {
      return StoreStatus::error(st.message + damage_hint(log_dir), StoreStatus::Kind::kCorruption);
    }
    if (StoreStatus a = replay_digest(log_dir, options, WalReplay::kSkipDamage, intact); !a.ok) {
      return StoreStatus::error(st.message + damage_hint(log_dir), StoreStatus::Kind::kCorruption);
    }
    size_t beyond = 0;
    for (const auto& [key, hash] : intact) {
      auto it = prefix.find(key);
      if (it == prefix.end() || it->second != hash) ++beyond;
    }
    for (const auto& [key, hash] : prefix) {
      if (!intact.count(key)) ++beyond;
    }
    if (beyond > 0 || !is_cut_short(st.message)) {
      return StoreStatus::error(
          fmt::format("the log's write-ahead file in {} is damaged ({}){}; symphonyd will not "
                      "start on a log that lost confirmed work{}",
                      log_dir, st.message,
                      beyond > 0 ? fmt::format(": {} intact entries follow the damage, so it is "
                                               "not a write torn by a crash",
                                               beyond)
                                 : std::string(),
                      damage_hint(log_dir)),
          StoreStatus::Kind::kCorruption);
    }
    if (!options.tail_may_be_torn) {
      return StoreStatus::error(
          fmt::format("the log's write-ahead file in {} ends in a damaged record ({}), but the "
                      "broker stopped cleanly, so its last writes were confirmed; symphonyd will "
                      "not start on a log that lost them{}",
                      log_dir, st.message, damage_hint(log_dir)),
          StoreStatus::Kind::kCorruption);
    }
    // a torn end: replay up to it (read-write, RocksDB then flushes what it replayed into a
    // table file and drops the torn WAL file)
    LogStoreOptions cut = options.store;
    cut.read_only = options.read_only;
    cut.wal_replay = WalReplay::kUpToDamage;
    if (StoreStatus c = LogStore::open(log_dir, out, cut); !c.ok) return c;
    report.tail_cut = true;
    report.detail = st.message;
    st = {};
  }
  if (!st.ok) {
    // a log RocksDB cannot open at all (a CURRENT naming a missing MANIFEST, a file gone)
    if (std::filesystem::exists(log_dir + "/CURRENT")) st.message += damage_hint(log_dir);
    return st;
  }
  if (options.verify_tables) {
    if (StoreStatus v = out->verify_checksums(); !v.ok) {
      out.reset();
      return StoreStatus::error(fmt::format("a table file of the log in {} is damaged ({}){}",
                                            log_dir, v.message, damage_hint(log_dir)),
                                StoreStatus::Kind::kCorruption);
    }
  }
  return {};
}

}  // namespace symphony::wal
