#pragma once
// An exclusive lock on a data directory (flock on <dir>/symphony.lock, holding the owner's pid),
// so that a running broker and the offline symphony-wal tool never open the same log at once.
#include <string>

namespace symphony::wal {

class DataDirLock {
 public:
  DataDirLock() = default;
  ~DataDirLock();
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

  /// Creates `dir` if needed and takes the lock; on failure `error` says who holds it.
  static bool acquire(const std::string& dir, DataDirLock& out, std::string& error);
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

}  // namespace symphony::wal
