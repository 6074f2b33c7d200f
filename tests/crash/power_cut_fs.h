#pragma once
// Simulated power cuts for the log, in the manner of RocksDB's FaultInjectionTestFS and LazyFS:
// what was written but not yet synced is gone (or torn) when the power goes.
//
// Two halves, because the broker under test is a real process that the test kills:
//   - SyncJournalFileSystem, a rocksdb::FileSystemWrapper (the public API) that the test build
//     of the daemon (power_cut_broker.cc) gives RocksDB. It journals, to a file of its own, every
//     writable file it opens and the size each had when a Sync/Fsync of it succeeded, plus
//     renames and deletes. A journal line is one write(2) to an O_APPEND file, so it survives
//     the kill -9 that ends the process (it is in the page cache), exactly like the data whose
//     syncs it records.
//   - apply_power_cut(), run by the test once the process is dead: for every file in the journal,
//     everything past its last synced size is dropped, or torn (a random prefix of it kept, as
//     a partial write-back would leave it).
//
// What it does not model: unsynced directory entries (a renamed or created file whose directory
// was not fsynced may vanish on a real power loss; RocksDB fsyncs its directory where it
// matters), reordered or partial writes inside the synced part (disks that lie about flushes),
// and files written outside RocksDB (log.guard and the lock file, which do their own fsync).
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include <rocksdb/file_system.h>

namespace symphony::testing {

class SyncJournalFileSystem : public rocksdb::FileSystemWrapper {
 public:
  /// Appends to the journal at `journal_path` (created if missing).
  SyncJournalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target,
                        const std::string& journal_path);
  ~SyncJournalFileSystem() override;

  static const char* kClassName() { return "SyncJournalFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  /// One journal line ("open PATH SIZE", "sync PATH SIZE", "rename FROM TO", "delete PATH").
  void record(const std::string& line);

 private:
  int fd_ = -1;
};

struct PowerCutReport {
  uint64_t files = 0;            ///< files the journal knew that still existed
  uint64_t files_cut = 0;        ///< of them, files that had unsynced bytes
  uint64_t bytes_dropped = 0;    ///< unsynced bytes removed
  uint64_t bytes_torn_kept = 0;  ///< unsynced bytes kept as a torn write
};

/// Cuts the power on everything `journal_path` recorded (the process that wrote it must be
/// dead): each file is truncated to its last synced size, plus, when `tear`, a random part of
/// the unsynced rest. The journal is then emptied, so the next run starts afresh.
PowerCutReport apply_power_cut(const std::string& journal_path, std::mt19937_64& rng, bool tear);

}  // namespace symphony::testing
