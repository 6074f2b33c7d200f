#pragma once
// Online backups: a RocksDB checkpoint of the live log, taken off the event loop (it flushes the
// memtable and links or copies files), one at a time. The result is a complete data directory:
// start a broker on it with --data-dir to restore.
//
// A backup is named, not placed: it goes to BACKUP_DIR/NAME, where BACKUP_DIR is the broker's
// configured backup directory ([admin] backup_dir, default DATA_DIR/backups) and NAME is checked
// by backup_name_problem(). So a client (the admin API, the BACKUP frame) can never make the
// broker write anywhere else: no "..", no absolute path, no symlink followed, no odd bytes.
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "broker/server/asio.h"
#include "wal/log_store.h"

namespace symphony::server {

/// Longest backup name.
constexpr size_t kMaxBackupNameBytes = 128;

struct BackupResult {
  bool ok = false;
  int http_status = 200;  ///< 400 bad name, 409 one is running, 500 failed
  std::string error;
  std::string name;
  std::string path;  ///< BACKUP_DIR/NAME
  uint64_t bytes = 0;
  uint64_t millis = 0;
};

/// Empty when `name` may name a backup: 1..kMaxBackupNameBytes of letters, digits, '.', '_' and
/// '-', not starting with '.'. Else what is wrong with it, starting with "name: ".
std::string backup_name_problem(std::string_view name);

class BackupRunner {
 public:
  /// `dir`: where backups go (created, mode 0700, when the first backup needs it); made
  /// absolute, so a reply tells where a backup went whatever the broker's working directory.
  BackupRunner(boost::asio::io_context& io, wal::LogStore& store, const std::string& dir);
  ~BackupRunner();
  /// Starts a backup into dir()/`name`, which must not exist yet (not even as a symlink).
  /// `done` runs on the event loop (at once when the request is refused).
  void start(const std::string& name, std::function<void(const BackupResult&)> done);
  const std::string& dir() const { return dir_; }

 private:
  boost::asio::io_context& io_;
  wal::LogStore& store_;
  std::string dir_;
  std::thread worker_;
  bool running_ = false;  ///< event-loop thread only
};

}  // namespace symphony::server
