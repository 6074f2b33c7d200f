#include "broker/server/system_memory.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace symphony::server {

ProcessMemoryProbe::ProcessMemoryProbe()
    : fd_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)),
      page_size_(static_cast<uint64_t>(::sysconf(_SC_PAGESIZE))) {}

ProcessMemoryProbe::~ProcessMemoryProbe() {
  if (fd_ >= 0) ::close(fd_);
}

uint64_t ProcessMemoryProbe::resident() {
  if (fd_ < 0) return 0;
  char buf[128];
  const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  // "size resident shared text lib data dt", in pages
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * page_size_;
}

void ProcessMemoryProbe::release_free() {
  ::malloc_trim(0);
}

namespace {

std::optional<uint64_t> read_limit(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::nullopt;
  try {
    const uint64_t v = std::stoull(text);
    // cgroup v1 says "no limit" with a huge number (PAGE_COUNTER_MAX pages)
    if (v >= (uint64_t{1} << 60)) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

/// The memory limit of this process's cgroup, v2 or v1, if it has one.
std::optional<uint64_t> cgroup_limit() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  std::optional<uint64_t> best;
  auto take = [&](std::optional<uint64_t> v) {
    if (v && (!best || *v < *best)) best = v;
  };
  while (std::getline(in, line)) {
    // "0::/path" (v2) or "4:memory:/path" (v1)
    const auto a = line.find(':');
    const auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1);
    const std::string path = line.substr(b + 1);
    if (controllers.empty()) {
      take(read_limit("/sys/fs/cgroup" + path + "/memory.max"));
      take(read_limit("/sys/fs/cgroup/memory.max"));
    } else if (controllers == "memory" || controllers.find("memory,") == 0 ||
               controllers.find(",memory") != std::string::npos) {
      take(read_limit("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes"));
      take(read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
    }
  }
  return best;
}

}  // namespace

MachineMemory machine_memory() {
  MachineMemory m;
  m.bytes = static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
            static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  m.source = "physical memory";
  if (auto limit = cgroup_limit(); limit && *limit < m.bytes) {
    m.bytes = *limit;
    m.source = "cgroup memory limit";
  }
  return m;
}

uint64_t open_file_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
  return rl.rlim_cur;
}

}  // namespace symphony::server
