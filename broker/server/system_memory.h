#pragma once
// What the process and the machine have in memory and descriptors, read from Linux (/proc,
// cgroups, getrlimit), for the memory limit and the connection cap (docs/operations.md,
// "Limits").
#include <cstdint>
#include <optional>
#include <string>

#include "broker/server/memory_guard.h"

namespace symphony::server {

/// The process's resident set from /proc/self/statm: one pread on a descriptor kept open
/// (about 2 µs), and glibc's malloc_trim to give freed heap pages back.
class ProcessMemoryProbe final : public MemoryGuard::Probe {
 public:
  ProcessMemoryProbe();
  ~ProcessMemoryProbe() override;
  ProcessMemoryProbe(const ProcessMemoryProbe&) = delete;
  ProcessMemoryProbe& operator=(const ProcessMemoryProbe&) = delete;
  /// 0 when /proc cannot be read (then the limit never trips).
  uint64_t resident() override;
  void release_free() override;

 private:
  int fd_ = -1;
  uint64_t page_size_;
};

struct MachineMemory {
  uint64_t bytes = 0;
  std::string source;  ///< "physical memory" or "cgroup limit"
};
/// Physical memory, or the memory limit of the process's cgroup (v2 memory.max, v1
/// memory.limit_in_bytes) when that is lower.
MachineMemory machine_memory();

/// The soft RLIMIT_NOFILE (descriptors this process may hold).
uint64_t open_file_limit();

}  // namespace symphony::server
