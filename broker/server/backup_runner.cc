#include "broker/server/backup_runner.h"

#include <chrono>
#include <filesystem>
#include <fstream>

#include "broker/server/logging.h"

namespace symphony::server {

namespace fs = std::filesystem;

BackupRunner::~BackupRunner() {
  if (worker_.joinable()) worker_.join();
}

void BackupRunner::start(const std::string& target, std::function<void(const BackupResult&)> done) {
  BackupResult r;
  r.path = target;
  const fs::path p(target);
  std::error_code ec;
  if (target.empty() || !p.is_absolute()) {
    r.http_status = 400;
    r.error = "path: must be an absolute path on the broker's machine";
  } else if (fs::exists(p, ec)) {
    r.http_status = 400;
    r.error = "path: " + target + " exists already (a backup goes into a new directory)";
  } else if (!fs::is_directory(p.parent_path(), ec)) {
    r.http_status = 400;
    r.error = "path: the parent directory " + p.parent_path().string() + " does not exist";
  } else if (running_) {
    r.http_status = 409;
    r.error = "a backup is running already";
  }
  if (!r.error.empty()) {
    done(r);
    return;
  }
  if (worker_.joinable()) worker_.join();  // the previous one has finished: running_ is false
  running_ = true;
  logs::storage().info("backup to {} started", target);
  worker_ = std::thread([this, r, done = std::move(done)]() mutable {
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    fs::create_directory(r.path, ec);
    wal::StoreStatus st;
    if (ec) {
      st = wal::StoreStatus::error("creating " + r.path + ": " + ec.message());
    } else {
      st = store_.checkpoint(r.path + "/log");
    }
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
