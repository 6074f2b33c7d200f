#include <date/date.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "protocol/message_body.h"
#include "protocol/wire.h"
#include "tools/symphony-wal/wal_tool.h"
#include "wal/record_codec.h"
#include "wal/recovery.h"

namespace symphony::wal_tool {

namespace fs = std::filesystem;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "symphony-wal: %s\n", message.c_str());
  return code;
}

void warn(const std::string& message) {
  std::fprintf(stderr, "symphony-wal: warning: %s\n", message.c_str());
}

int open_log(const std::string& data_dir, OpenLog& out, bool read_only, bool verify_tables) {
  std::error_code ec;
  // DataDirLock::acquire creates a missing directory: check first, so a typo creates nothing
  if (!fs::is_directory(data_dir, ec)) {
    return fail(kExitFailed, "no data directory at " + data_dir);
  }
  // locking the RocksDB directory itself would drop a stray lock file into it
  if (fs::exists(fs::path(data_dir) / "CURRENT", ec) &&
      !fs::exists(fs::path(data_dir) / "log", ec)) {
    fs::path dir(data_dir);
    if (!dir.has_filename()) dir = dir.parent_path();  // "data/log/"
    return fail(kExitFailed, data_dir + " is a log directory: give the data directory that " +
                                 "holds it (--data-dir " + dir.parent_path().string() + ")");
  }
  std::string error;
  if (!wal::DataDirLock::acquire(data_dir, out.lock, error)) {
    // the lock's message names the holder's pid; anything else is a plain failure
    const bool held = error.find("in use by another process") != std::string::npos;
    return fail(held ? kExitLocked : kExitFailed, error);
  }
  // LogStore::open would create an empty log where there is none
  const std::string log_dir = data_dir + "/log";
  if (!fs::exists(log_dir + "/CURRENT", ec)) {
    return fail(kExitFailed,
                "no Symphony log in " + data_dir + " (" + log_dir + "/CURRENT is missing)");
  }
  wal::OpenLogOptions options;
  options.read_only = read_only;
  options.verify_tables = verify_tables;
  // RocksDB's own lines would repeat what the error this tool prints already says
  options.store.on_message = [](wal::StoreMessageLevel, std::string_view) {};
  wal::OpenedLog opened;
  if (wal::StoreStatus st = wal::open_log(data_dir, options, opened); !st.ok) {
    return fail(kExitFailed, st.message);
  }
  out.store = std::move(opened.store);
  out.guard = opened.guard;
  out.opened = opened.opened;
  if (out.opened.tail_cut) {
    warn(
        fmt::format("the log's write-ahead file ends in a write torn by a crash or power loss "
                    "({}): it {}; nothing in it had been confirmed under --fsync=always",
                    out.opened.detail,
                    read_only ? "is left out here, and symphonyd cuts it at start" : "was cut"));
  }
  return kExitOk;
}

int write_guard(const std::string& data_dir, const std::optional<wal::LogGuardState>& old,
                uint64_t last_seq, uint64_t next_id) {
  wal::LogGuardState g;
  g.stopped_cleanly = true;
  g.last_seq = last_seq;
  g.id_ceiling = std::max(old ? old->id_ceiling : 0, next_id);
  if (wal::StoreStatus st = wal::write_log_guard(data_dir, g); !st.ok) {
    return fail(kExitFailed, st.message);
  }
  return kExitOk;
}

// ---- time ----

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(int64_t unix_ms) {
  return protocol::format_iso8601_ms(unix_ms);
}

bool parse_time(const std::string& text, int64_t& unix_ms) {
  return protocol::parse_time_ms(text, unix_ms);
}

}  // namespace symphony::wal_tool
