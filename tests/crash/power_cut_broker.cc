// symphonyd-power-cut: the real daemon (symphonyd_main) with its log on SyncJournalFileSystem,
// so a test can kill it and then cut the power on what it had not synced (power_cut_fs.h).
// The journal's path comes from SYMPHONY_SYNC_JOURNAL; everything else is symphonyd's command
// line. Built only for the tests.
#include <rocksdb/env.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "broker/server/symphonyd_main.h"
#include "tests/crash/power_cut_fs.h"

int main(int argc, char** argv) {
  const char* journal = std::getenv("SYMPHONY_SYNC_JOURNAL");
  if (journal == nullptr || *journal == '\0') {
    std::fprintf(stderr, "symphonyd-power-cut: set SYMPHONY_SYNC_JOURNAL to the journal's path\n");
    return 2;
  }
  auto fs = std::make_shared<symphony::testing::SyncJournalFileSystem>(
      rocksdb::FileSystem::Default(), journal);
  const std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  symphony::server::SymphonydHooks hooks;
  hooks.adjust = [&](symphony::server::ServerOptions& o) { o.test_log_env = env.get(); };
  return symphony::server::symphonyd_main(argc, argv, hooks);
}
