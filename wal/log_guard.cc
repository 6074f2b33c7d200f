#include "wal/log_guard.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace symphony::wal {

namespace {

constexpr const char* kMagic = "symphony-log-guard 1";

std::string body_of(const LogGuardState& s) {
  return fmt::format("{}\nstate {}\nlast-seq {}\nid-ceiling {}\n", kMagic,
                     s.stopped_cleanly ? "stopped" : "running", s.last_seq, s.id_ceiling);
}

std::string check_of(std::string_view body) {
  return fmt::format("{:016x}", XXH3_64bits(body.data(), body.size()));
}

bool parse_u64(const std::string& text, uint64_t& v) {
  if (text.empty() || text.size() > 20) return false;
  v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  return true;
}

StoreStatus errno_status(const std::string& what) {
  const int e = errno;
  return StoreStatus::error(what + ": " + std::strerror(e), e == ENOSPC || e == EDQUOT
                                                                ? StoreStatus::Kind::kFull
                                                                : StoreStatus::Kind::kIo);
}

}  // namespace

std::string log_guard_path(const std::string& data_dir) {
  return data_dir + "/log.guard";
}

GuardRead read_log_guard(const std::string& data_dir, LogGuardState& out, std::string& error) {
  const std::string path = log_guard_path(data_dir);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return GuardRead::kMissing;
    error = path + " cannot be read: " + std::strerror(errno);
    return GuardRead::kDamaged;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  auto damaged = [&](const std::string& why) {
    error = path + " is damaged (" + why + ")";
    return GuardRead::kDamaged;
  };
  const size_t check_at = text.rfind("check ");
  if (check_at == std::string::npos || text.size() > 4096) return damaged("no check line");
  const std::string body = text.substr(0, check_at);
  std::string check = text.substr(check_at + 6);
  if (!check.empty() && check.back() == '\n') check.pop_back();
  if (check != check_of(body)) return damaged("its check does not match its content");
  std::istringstream lines(body);
  std::string magic, key, value;
  std::getline(lines, magic);
  if (magic != kMagic) return damaged("unknown format '" + magic + "'");
  LogGuardState s;
  int seen = 0;
  while (lines >> key >> value) {
    if (key == "state" && (value == "running" || value == "stopped")) {
      s.stopped_cleanly = value == "stopped";
    } else if (key == "last-seq" && parse_u64(value, s.last_seq)) {
    } else if (key == "id-ceiling" && parse_u64(value, s.id_ceiling)) {
    } else {
      return damaged("bad line '" + key + " " + value + "'");
    }
    ++seen;
  }
  if (seen != 3) return damaged("a line is missing");
  out = s;
  return GuardRead::kOk;
}

StoreStatus write_log_guard(const std::string& data_dir, const LogGuardState& state) {
  const std::string path = log_guard_path(data_dir);
  const std::string tmp = path + ".tmp";
  const std::string body = body_of(state);
  const std::string text = body + "check " + check_of(body) + "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status("cannot create " + tmp);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      StoreStatus st = errno_status("cannot write " + tmp);
      ::close(fd);
      return st;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    StoreStatus st = errno_status("cannot sync " + tmp);
    ::close(fd);
    return st;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_status("cannot replace " + path);
  const int dfd = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno_status("cannot open " + data_dir);
  const int rc = ::fsync(dfd);
  StoreStatus st = rc == 0 ? StoreStatus{} : errno_status("cannot sync " + data_dir);
  ::close(dfd);
  return st;
}

uint64_t raised_id_ceiling(uint64_t ceiling, uint64_t next_id) {
  if (next_id + kIdReserveMargin <= ceiling) return ceiling;
  return next_id + kIdReserve;
}

}  // namespace symphony::wal
