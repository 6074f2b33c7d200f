#pragma once
// Settings of the admin API's defences and of backups ([admin] in the TOML file; see
// docs/operations.md, "Admin API security").
#include <string>
#include <vector>

namespace symphony::server::admin {

struct AdminOptions {
  /// Host names the admin API answers to besides IP literals and localhost (lower case, no port;
  /// any port is accepted). A request naming another host gets 421 (DNS rebinding guard).
  /// Default: none
  std::vector<std::string> allowed_hosts;
  /// The directory POST /backup and BACKUP write into, one new subdirectory per backup (created
  /// 0700 when the first backup needs it). Empty: DATA_DIR/backups. Default: ""
  std::string backup_dir;
};

}  // namespace symphony::server::admin
