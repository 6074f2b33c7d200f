#pragma once
// LogWriter: group commit on its own thread. The broker's event loop submits each turn's records
// and returns at once; the writer takes everything submitted while its previous write was in
// flight and writes it as one commit group (one RocksDB key, one write, one fsync under
// --fsync=always), then reports the commit through `on_commit` (on the writer thread: the
// callback posts back to the event loop).
//
// Durability of a reported commit: under kAlways it was fsynced; under kInterval and kNever it
// reached the OS (survives a crash of the process, not of the machine); kInterval fsyncs at
// least every interval_ms while there are unsynced writes.
//
// A failed write (a full disk, an I/O error) is reported with its status and then retried,
// never dropped: the writer keeps the group, adds whatever is submitted meanwhile, and tries
// again after a backoff (100 ms doubling to 2 s), first asking the store to resume. Nothing it
// holds is reported as written until a write succeeds, so no reply waiting on it leaves early;
// the caller decides what to refuse meanwhile. A stop while writes fail gives up after one more
// attempt: what it held was never confirmed.
//
// With a guard (set_guard), the writer keeps <data-dir>/log.guard (log_guard.h): it raises the
// id ceiling before it writes a group whose ids come near it, and marks the log stopped cleanly
// after the last group of a stop that wrote everything.
//
// Thread-safety: submit() and stop() from one thread (the event loop); the rest is internal.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wal/fsync_policy.h"
#include "wal/group.h"
#include "wal/log_guard.h"
#include "wal/log_store.h"
#include "wal/record_buffer.h"

namespace symphony::wal {

class LogWriter {
 public:
  struct Commit {
    uint64_t last_epoch = 0;  ///< every epoch <= this one is now written (when status.ok)
    uint32_t records = 0;     ///< written, or waiting to be (failed)
    uint32_t bytes = 0;       ///< of the group value
    uint64_t micros = 0;      ///< write (and fsync) time
    StoreStatus status;       ///< a failed attempt: its records are kept and retried
    /// A failed background sync (--fsync=interval), not a write: nothing waits on it.
    bool sync_only = false;
  };
  using OnCommit = std::function<void(const Commit&)>;
  using Clock = std::function<int64_t()>;

  /// `existing` are the groups recovery found, in seq order.
  LogWriter(LogStore& store, FsyncPolicy policy, std::vector<GroupInfo> existing, Clock clock,
            OnCommit on_commit);
  ~LogWriter();

  /// Keeps the guard of `data_dir`, starting from `state` (already on disk). Before start().
  void set_guard(std::string data_dir, LogGuardState state);
  void start();
  /// Queues `records` (the buffer is left empty) as epoch `epoch`. Epochs must increase. With
  /// `drop_below_epoch`, the same atomic write deletes every older group whose epochs all lie
  /// below it (compaction has rewritten their live content at or after that epoch).
  void submit(uint64_t epoch, RecordBuffer& records, uint64_t next_message_id,
              std::optional<uint64_t> drop_below_epoch = std::nullopt);
  /// Writes everything submitted, syncs, marks a clean stop in the guard, and joins the thread.
  /// Idempotent. Not ok when records could not be written (the log was failing) or the final
  /// sync or guard write failed: the stop was then not clean.
  StoreStatus stop();

  const FsyncPolicy& policy() const { return policy_; }
  /// Groups currently in the log (for stats); read on the event loop after commits.
  size_t group_count() const;

 private:
  /// The records taken from `pending_` and not yet written.
  struct Batch {
    RecordBuffer records;
    bool any = false;
    uint64_t first_epoch = 0;
    uint64_t last_epoch = 0;
    uint64_t next_id = 0;
    std::optional<uint64_t> drop;
  };
  void run();
  /// Under kInterval: syncs the log when the interval since the first unsynced write is over.
  void sync_if_due();
  void run_compactor();
  /// Moves pending_ into `batch` (under mu_).
  void take_pending(Batch& batch);
  /// One attempt at writing `batch` as the next group.
  StoreStatus write(Batch& batch, std::optional<GroupRange>& compacted);
  StoreStatus finish_clean_stop();

  LogStore& store_;
  FsyncPolicy policy_;
  Clock clock_;
  OnCommit on_commit_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  RecordBuffer pending_;
  bool pending_any_ = false;
  uint64_t pending_first_epoch_ = 0;
  uint64_t pending_last_epoch_ = 0;
  uint64_t pending_next_id_ = 0;
  std::optional<uint64_t> pending_drop_;
  bool stopping_ = false;
  StoreStatus stop_status_;
  std::thread thread_;
  // RocksDB compaction of dropped ranges runs on its own thread so commits never wait for it
  std::optional<GroupRange> compact_request_;
  std::condition_variable compact_cv_;
  std::thread compactor_;

  // writer thread only (group_count() reads groups_.size() under mu_)
  std::deque<GroupInfo> groups_;
  uint64_t next_seq_ = 1;
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point next_sync_;
  bool failing_ = false;  ///< the last write failed; RocksDB must not be asked to sync
  std::chrono::milliseconds backoff_{0};
  std::optional<std::string> guard_dir_;
  LogGuardState guard_;
};

}  // namespace symphony::wal
