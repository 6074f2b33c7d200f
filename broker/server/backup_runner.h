#pragma once
// Online backups: a RocksDB checkpoint of the live log, taken off the event loop (it flushes the
// memtable and links or copies files), one at a time. The result is a complete data directory:
// start a broker on it with --data-dir to restore.
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "broker/server/asio.h"
#include "wal/log_store.h"

namespace symphony::server {

struct BackupResult {
  bool ok = false;
  int http_status = 200;  ///< 400 bad path, 409 one is running, 500 failed
  std::string error;
  std::string path;
  uint64_t bytes = 0;
  uint64_t millis = 0;
};

class BackupRunner {
 public:
  BackupRunner(boost::asio::io_context& io, wal::LogStore& store) : io_(io), store_(store) {}
  ~BackupRunner();
  /// Starts a backup into `target` (an absolute path that must not exist yet; its parent must).
  /// `done` runs on the event loop.
  void start(const std::string& target, std::function<void(const BackupResult&)> done);

 private:
  boost::asio::io_context& io_;
  wal::LogStore& store_;
  std::thread worker_;
  bool running_ = false;  ///< event-loop thread only
};

}  // namespace symphony::server
