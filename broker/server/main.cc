// symphonyd: the Symphony broker daemon.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "broker/server/server.h"
#include "wal/fsync_policy.h"

namespace {

// glibc backs its heap with transparent huge pages only when asked at process start (tunable
// glibc.malloc.hugetlb, glibc >= 2.35, and THP in "madvise" mode as Debian ships it). With
// millions of envelopes most of recovery is page faults, and huge pages cut it by about half
// (docs/benchmarks.md). So re-exec once with the tunable set; SYMPHONY_NO_HUGE_PAGES=1 opts out.
void ensure_huge_pages(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (std::getenv("SYMPHONY_NO_HUGE_PAGES") ||
      (tunables && std::strstr(tunables, "glibc.malloc.hugetlb"))) {
    return;
  }
  const std::string value = tunables ? std::string(tunables) + ":glibc.malloc.hugetlb=1"
                                     : std::string("glibc.malloc.hugetlb=1");
  // exec the real path, not /proc/self/exe, so the process keeps its name for ps and pkill
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  ::setenv("GLIBC_TUNABLES", value.c_str(), 1);
  ::execv(self, argv);
  ::unsetenv("GLIBC_TUNABLES");  // the exec failed: carry on with ordinary pages
  if (tunables) ::setenv("GLIBC_TUNABLES", tunables, 1);
}

}  // namespace

int main(int argc, char** argv) {
  ensure_huge_pages(argv);
  symphony::server::ServerOptions options;
  std::string log_level = "info";
  std::string fsync = "always";

  CLI::App app{"symphonyd: the Symphony message broker"};
  app.add_option("--listen", options.listen, "HOST:PORT for the binary protocol (port 0: any free)")
      ->capture_default_str();
  app.add_option("--data-dir", options.data_dir, "Directory of the broker's data")
      ->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--fsync", fsync,
                 "When the log reaches the disk: always (every commit group, before it is "
                 "confirmed), interval:<ms>, or never (left to the OS)")
      ->capture_default_str()
      ->check([](const std::string& v) {
        return symphony::wal::FsyncPolicy::parse(v)
                   ? std::string()
                   : std::string("expected always, never or interval:<ms>");
      });
  app.add_option("--port-file", options.port_file,
                 "Write the bound port to this file once listening");
  app.add_option("--shutdown-grace-ms", options.shutdown_grace_ms,
                 "Longest wait for clients to drain on SIGTERM")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::from_str(log_level));
  options.service.fsync = *symphony::wal::FsyncPolicy::parse(fsync);
  try {
    symphony::server::Server server(options);
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("symphonyd: {}", e.what());
    return 1;
  }
}
