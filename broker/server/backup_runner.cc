#include "broker/server/backup_runner.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "broker/server/logging.h"

namespace symphony::server {

namespace fs = std::filesystem;

std::string backup_name_problem(std::string_view name) {
  if (name.empty()) {
    return "name: give the backup a name (letters, digits, '.', '_', '-'); it goes into the "
           "broker's backup directory";
  }
  if (name.size() > kMaxBackupNameBytes) {
    return fmt::format("name: at most {} characters (got {})", kMaxBackupNameBytes, name.size());
  }
  if (name.front() == '.') {
    return "name: may not start with '.' (a backup name is letters, digits, '.', '_' and '-', "
           "not a path)";
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (ok) continue;
    const std::string shown = c > ' ' && c < 0x7f ? fmt::format("'{}'", c)
                                                 : fmt::format("byte 0x{:02X}", uint8_t(c));
    return fmt::format(
        "name: {} is not allowed: a backup name is letters, digits, '.', '_' and '-', not a "
        "path (backups go into the broker's backup directory)",
        shown);
  }
  return {};
}

BackupRunner::BackupRunner(boost::asio::io_context& io, wal::LogStore& store,
                           const std::string& dir)
    : io_(io), store_(store) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(dir, ec);
  dir_ = (ec ? fs::path(dir) : absolute).lexically_normal().string();
  if (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

BackupRunner::~BackupRunner() {
  if (worker_.joinable()) worker_.join();
}

namespace {

/// Creates `dir` (mode 0700, parents as needed) unless it is a directory already; "" or why not.
std::string ensure_backup_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  if (fs::exists(fs::symlink_status(dir, ec))) {
    return fmt::format("the backup directory {} is not a directory", dir);
  }
  const fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) return fmt::format("creating the backup directory {}: {}", dir, ec.message());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fmt::format("creating the backup directory {}: {}", dir, std::strerror(errno));
  }
  logs::storage().info("created the backup directory {} (mode 0700)", dir);
  return {};
}

}  // namespace

void BackupRunner::start(const std::string& name, std::function<void(const BackupResult&)> done) {
  BackupResult r;
  r.name = name;
  r.error = backup_name_problem(name);
  if (!r.error.empty()) {
    r.http_status = 400;
  } else if (running_) {
    r.http_status = 409;
    r.error = "a backup is running already";
  } else if (std::string problem = ensure_backup_dir(dir_); !problem.empty()) {
    r.http_status = 500;
    r.error = std::move(problem);
  } else {
    r.path = (fs::path(dir_) / name).string();
    // mkdir creates the name or fails: it never follows a symlink in its place, so whatever is
    // there already (a directory, a file, a symlink, dangling or not) is refused
    if (::mkdir(r.path.c_str(), 0700) != 0) {
      const int err = errno;
      std::error_code ec;
      const auto st = fs::symlink_status(r.path, ec);
      r.http_status = err == EEXIST ? 400 : 500;
      r.error = err != EEXIST ? fmt::format("creating {}: {}", r.path, std::strerror(err))
                : fs::is_symlink(st)
                    ? fmt::format("name: '{}' exists already in the backup directory (a symlink)",
                                  name)
                    : fmt::format("name: '{}' exists already in the backup directory {} (a "
                                  "backup goes into a new directory)",
                                  name, dir_);
    }
  }
  if (!r.error.empty()) {
    done(r);
    return;
  }
  if (worker_.joinable()) worker_.join();  // the previous one has finished: running_ is false
  running_ = true;
  logs::storage().info("backup to {} started", r.path);
  worker_ = std::thread([this, r, done = std::move(done)]() mutable {
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    const wal::StoreStatus st = store_.checkpoint(r.path + "/log");
    r.millis = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    if (st.ok) {
      r.ok = true;
      for (const auto& e : fs::recursive_directory_iterator(r.path, ec)) {
        if (e.is_regular_file(ec)) r.bytes += e.file_size(ec);
      }
    } else {
      r.http_status = 500;
      r.error = st.message;
      fs::remove_all(r.path, ec);  // ours (made above), so the same name can be tried again
    }
    boost::asio::post(io_, [this, r, done = std::move(done)] {
      running_ = false;
      if (r.ok) {
        logs::storage().info("backup to {} done: {} bytes in {} ms", r.path, r.bytes, r.millis);
      } else {
        logs::storage().error("backup to {} failed: {}", r.path, r.error);
      }
      done(r);
    });
  });
}

}  // namespace symphony::server
