// Backup names: what POST /backup and the BACKUP frame accept before anything is written.
#include <gtest/gtest.h>

#include <string>

#include "broker/server/backup_runner.h"

namespace symphony::server {
namespace {

TEST(BackupNameTest, NamesNotPaths) {
  for (const std::string& ok : std::initializer_list<std::string>{"b1", "sym-2026-11-22", "nightly.3", "A_b-C.d", "x..y",
                               std::string(kMaxBackupNameBytes, 'n')}) {
    EXPECT_EQ(backup_name_problem(ok), "") << ok;
  }
  struct Bad {
    std::string name;
    std::string says;
  };
  for (const Bad& b : {
           Bad{"", "give the backup a name"},
           Bad{".", "may not start with '.'"},
           Bad{"..", "may not start with '.'"},
           Bad{".hidden", "may not start with '.'"},
           Bad{"../etc", "may not start with '.'"},
           Bad{"a/../../b", "'/' is not allowed"},
           Bad{"/tmp/x", "'/' is not allowed"},
           Bad{"/dev/shm/x", "'/' is not allowed"},
           Bad{"a\nb", "byte 0x0A is not allowed"},
           Bad{std::string("a\0b", 3), "byte 0x00 is not allowed"},
           Bad{"a b", "byte 0x20 is not allowed"},
           Bad{"a\\b", "'\\' is not allowed"},
           Bad{"caf\xc3\xa9", "byte 0xC3 is not allowed"},
           Bad{std::string(kMaxBackupNameBytes + 1, 'n'), "at most 128 characters"},
       }) {
    const std::string problem = backup_name_problem(b.name);
    EXPECT_EQ(problem.rfind("name: ", 0), 0u) << problem;
    EXPECT_NE(problem.find(b.says), std::string::npos) << "'" << b.name << "': " << problem;
  }
}

}  // namespace
}  // namespace symphony::server
