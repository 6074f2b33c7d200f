#include "tests/crash/power_cut_fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace symphony::testing {

namespace {

namespace fs = std::filesystem;
using rocksdb::IOStatus;

/// Journals the size of the file after each successful sync.
class JournaledFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  JournaledFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string path,
                SyncJournalFileSystem* journal)
      : FSWritableFileOwnerWrapper(std::move(file)), path_(std::move(path)), journal_(journal) {}

  IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    IOStatus s = target()->Sync(options, dbg);
    if (s.ok()) synced(options, dbg);
    return s;
  }
  IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    IOStatus s = target()->Fsync(options, dbg);
    if (s.ok()) synced(options, dbg);
    return s;
  }

 private:
  void synced(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) {
    journal_->record(fmt::format("sync {} {}", path_, target()->GetFileSize(options, dbg)));
  }

  std::string path_;
  SyncJournalFileSystem* journal_;
};

}  // namespace

SyncJournalFileSystem::SyncJournalFileSystem(const std::shared_ptr<rocksdb::FileSystem>& target,
                                             const std::string& journal_path)
    : FileSystemWrapper(target) {
  fd_ = ::open(journal_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error("cannot open the sync journal " + journal_path);
}

SyncJournalFileSystem::~SyncJournalFileSystem() {
  if (fd_ >= 0) ::close(fd_);
}

void SyncJournalFileSystem::record(const std::string& line) {
  const std::string text = line + "\n";
  // one write per line: O_APPEND keeps lines of concurrent threads whole
  if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::abort();  // a journal with a hole would make the simulation lie
  }
}

IOStatus SyncJournalFileSystem::NewWritableFile(const std::string& fname,
                                                const rocksdb::FileOptions& options,
                                                std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                rocksdb::IODebugContext* dbg) {
  IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  if (s.ok()) {
    record(fmt::format("open {} 0", fname));
    *result = std::make_unique<JournaledFile>(std::move(*result), fname, this);
  }
  return s;
}

IOStatus SyncJournalFileSystem::ReopenWritableFile(const std::string& fname,
                                                   const rocksdb::FileOptions& options,
                                                   std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                   rocksdb::IODebugContext* dbg) {
  std::error_code ec;
  const auto size = fs::file_size(fname, ec);  // what is there was synced (or it was cut)
  IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
  if (s.ok()) {
    record(fmt::format("open {} {}", fname, ec ? 0 : size));
    *result = std::make_unique<JournaledFile>(std::move(*result), fname, this);
  }
  return s;
}

IOStatus SyncJournalFileSystem::ReuseWritableFile(const std::string& fname,
                                                  const std::string& old_fname,
                                                  const rocksdb::FileOptions& options,
                                                  std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                  rocksdb::IODebugContext* dbg) {
  IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
  if (s.ok()) {
    record(fmt::format("delete {}", old_fname));
    record(fmt::format("open {} 0", fname));
    *result = std::make_unique<JournaledFile>(std::move(*result), fname, this);
  }
  return s;
}

IOStatus SyncJournalFileSystem::RenameFile(const std::string& src, const std::string& target_name,
                                           const rocksdb::IOOptions& options,
                                           rocksdb::IODebugContext* dbg) {
  IOStatus s = target()->RenameFile(src, target_name, options, dbg);
  if (s.ok()) record(fmt::format("rename {} {}", src, target_name));
  return s;
}

IOStatus SyncJournalFileSystem::DeleteFile(const std::string& fname,
                                           const rocksdb::IOOptions& options,
                                           rocksdb::IODebugContext* dbg) {
  IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (s.ok()) record(fmt::format("delete {}", fname));
  return s;
}

PowerCutReport apply_power_cut(const std::string& journal_path, std::mt19937_64& rng, bool tear) {
  std::map<std::string, uint64_t> synced;  // path -> bytes known to be on the disk
  {
    std::ifstream in(journal_path);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::string op, a, b;
      words >> op >> a >> b;
      if (op == "open" || op == "sync") {
        synced[a] = std::stoull(b);
      } else if (op == "rename") {
        auto it = synced.find(a);
        if (it != synced.end()) {
          synced[b] = it->second;
          synced.erase(a);
        }
      } else if (op == "delete") {
        synced.erase(a);
      } else if (!line.empty()) {
        throw std::runtime_error("sync journal: unreadable line: " + line);
      }
    }
  }
  PowerCutReport report;
  for (const auto& [path, keep] : synced) {
    std::error_code ec;
    const uint64_t size = fs::file_size(path, ec);
    if (ec) continue;  // deleted outside the journal (never by RocksDB)
    ++report.files;
    if (size <= keep) continue;
    ++report.files_cut;
    const uint64_t unsynced = size - keep;
    const uint64_t torn = tear ? rng() % (unsynced + 1) : 0;
    fs::resize_file(path, keep + torn);
    report.bytes_dropped += unsynced - torn;
    report.bytes_torn_kept += torn;
  }
  std::ofstream(journal_path, std::ios::trunc).close();
  return report;
}

}  // namespace symphony::testing
