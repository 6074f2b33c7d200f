#pragma once
// LogStore: Symphony's log in RocksDB. The only place that includes <rocksdb/...>; every RocksDB
// status becomes a StoreStatus here (style.md §10).
//
// Layout (one column family):
//   'g' + u64 big-endian seq   -> a commit group (group.h)
//   'm' + name                 -> metadata: "base_id" (u64 little-endian, see LogState) and
//                                 "first_seq" (u64 little-endian: the first group the log holds
//                                 once compaction has dropped a prefix; absent: seq 1)
//
// Durability: write_group(sync = true) returns after RocksDB's WAL write was fsynced
// (WriteOptions::sync). With sync = false the write has reached the OS (it survives a crash of
// this process, not a power loss) until sync_wal() is called.
//
// After a failed write RocksDB refuses every later write until it has recovered (it needs the
// file system to have room for a memtable flush again, then switches to a new WAL file):
// resume() asks it to try. sync_wal() must not be called between a failed write and the next
// successful one (RocksDB asserts on a sync of a WAL file that saw an error).
//
// RocksDB's own diagnostics go to `LogStoreOptions::on_message`, never to a LOG file in the
// log directory: a LOG file on a full disk is itself a write that fails, and RocksDB 7.8 aborts
// on the next line it writes there.
//
// Thread-safety: RocksDB's (all methods may be called from any thread; the broker writes from
// its log writer thread only).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rocksdb {
class DB;
class Env;
}  // namespace rocksdb

namespace symphony::wal {

struct StoreStatus {
  /// What went wrong, for callers that react differently (a full disk is waited out).
  enum class Kind : uint8_t { kOk, kFull, kIo, kCorruption, kOther };
  bool ok = true;
  std::string message;
  Kind kind = Kind::kOk;
  static StoreStatus error(std::string m, Kind k = Kind::kOther) {
    return {false, std::move(m), k};
  }
};

/// How RocksDB replays its write-ahead log when the log is opened.
enum class WalReplay : uint8_t {
  /// Any damage, even a write torn at the very end, fails the open (kAbsoluteConsistency).
  kStrict,
  /// Replays up to the first damaged record and drops the rest (kPointInTimeRecovery).
  kUpToDamage,
  /// Replays every intact record, skipping damaged ones (kSkipAnyCorruptedRecords): salvage.
  kSkipDamage,
};

/// Severity of a RocksDB diagnostic passed to LogStoreOptions::on_message.
enum class StoreMessageLevel : uint8_t { kDebug, kInfo, kWarn, kError };

struct LogStoreOptions {
  /// Open without changing any file (RocksDB replays its WAL in memory only); writes then fail.
  /// Default: false
  bool read_only = false;
  /// Default: kStrict. Use open_checked() (checked_open.h) to decide how to open a log whose
  /// write-ahead file is damaged.
  WalReplay wal_replay = WalReplay::kStrict;
  /// RocksDB's diagnostics. Default (unset): warnings and errors to stderr.
  std::function<void(StoreMessageLevel, std::string_view)> on_message;
  /// Tests only: the Env RocksDB does all its file I/O through (a fault-injecting file system).
  /// It must outlive the store. Default: the process's default Env.
  rocksdb::Env* env = nullptr;
};

/// A prefix of groups to delete in the same atomic write as a new group: seqs [from, to).
struct GroupRange {
  uint64_t from = 0;
  uint64_t to = 0;
};

class LogStore {
 public:
  /// Opens (creating if missing, unless read-only) the log under `dir`. The caller holds the
  /// DataDirLock.
  static StoreStatus open(const std::string& dir, std::unique_ptr<LogStore>& out,
                          const LogStoreOptions& options);
  /// Strict open (WalReplay::kStrict), writable unless `read_only`.
  static StoreStatus open(const std::string& dir, std::unique_ptr<LogStore>& out,
                          bool read_only = false);
  ~LogStore();
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  /// Visits every group in seq order until `fn` returns false.
  StoreStatus for_each_group(const std::function<bool(uint64_t seq, std::string_view value)>& fn);
  /// One atomic RocksDB write: the group, an optional deletion of older groups (which also
  /// records meta "first_seq" = drop->to), and metadata.
  StoreStatus write_group(uint64_t seq, std::string_view value, bool sync,
                          std::optional<GroupRange> drop = std::nullopt,
                          const std::vector<std::pair<std::string, std::string>>& meta = {});
  StoreStatus delete_group(uint64_t seq);
  StoreStatus sync_wal();
  /// Asks RocksDB to recover from an earlier write error (see the header comment). OK when it
  /// has, or had nothing to recover from; an error while it cannot yet (the disk is still full).
  StoreStatus resume();
  StoreStatus get_meta(const std::string& name, std::optional<std::string>& value);
  /// Reads every block of every table file and checks its checksum (RocksDB VerifyChecksum):
  /// damage in parts of a file that reading the groups would not touch is found too.
  StoreStatus verify_checksums();
  /// Every key the log holds, with an XXH3-64 of its value: two opens of the same files that
  /// replayed different parts of the write-ahead log differ here.
  StoreStatus digest(std::map<std::string, uint64_t>& out);
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

/// meta "first_seq" / "base_id" values: u64 little-endian.
std::string encode_meta_u64(uint64_t v);
bool decode_meta_u64(std::string_view bytes, uint64_t& v);

}  // namespace symphony::wal
