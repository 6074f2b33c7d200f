#pragma once
// LogStore: Symphony's log in RocksDB. The only place that includes <rocksdb/...>; every RocksDB
// status becomes a StoreStatus here (style.md §10).
//
// Layout (one column family):
//   'g' + u64 big-endian seq   -> a commit group (group.h)
//   'm' + name                 -> metadata ("mbase_id": u64 little-endian, see LogState)
//
// Durability: write_group(sync = true) returns after RocksDB's WAL write was fsynced
// (WriteOptions::sync). With sync = false the write has reached the OS (it survives a crash of
// this process, not a power loss) until sync_wal() is called.
//
// Thread-safety: RocksDB's (all methods may be called from any thread; the broker writes from
// its log writer thread only).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rocksdb {
class DB;
}

namespace symphony::wal {

struct StoreStatus {
  bool ok = true;
  std::string message;
  static StoreStatus error(std::string m) { return {false, std::move(m)}; }
};

/// A prefix of groups to delete in the same atomic write as a new group: seqs [from, to).
struct GroupRange {
  uint64_t from = 0;
  uint64_t to = 0;
};

class LogStore {
 public:
  /// Opens (creating if missing) the log under `dir`. The caller holds the DataDirLock. A
  /// read-only open changes no file in `dir` (RocksDB replays its own WAL in memory only); every
  /// write then fails.
  static StoreStatus open(const std::string& dir, std::unique_ptr<LogStore>& out,
                          bool read_only = false);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  /// Visits every group in seq order until `fn` returns false.
  StoreStatus for_each_group(const std::function<bool(uint64_t seq, std::string_view value)>& fn);
  /// One atomic RocksDB write: the group, an optional deletion of older groups, and metadata.
  StoreStatus write_group(uint64_t seq, std::string_view value, bool sync,
                          std::optional<GroupRange> drop = std::nullopt,
                          const std::vector<std::pair<std::string, std::string>>& meta = {});
  StoreStatus delete_group(uint64_t seq);
  StoreStatus sync_wal();
  StoreStatus get_meta(const std::string& name, std::optional<std::string>& value);
  /// Asks RocksDB to compact the groups [from, to) now, so deleted groups leave the disk.
  StoreStatus compact(uint64_t from_seq, uint64_t to_seq);
  /// A consistent copy of the log as it stands (a RocksDB checkpoint: hard links where the file
  /// system allows, copies elsewhere) in `target_dir`, which must not exist yet. Safe while the
  /// log writer runs; the copy holds every group written before the call.
  StoreStatus checkpoint(const std::string& target_dir);
  /// Bytes of every file under the log directory.
  uint64_t disk_bytes() const;
  const std::string& dir() const { return dir_; }

 private:
  LogStore() = default;
  std::string dir_;
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace symphony::wal
