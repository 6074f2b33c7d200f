#pragma once
// symphonyd's loggers: one per component, sharing one stderr sink, as text or as JSON lines.
//   server   start-up, recovery, shutdown
//   net      binary-protocol connections (auth failures, malformed frames)
//   storage  the log writer, compaction, backups
//   admin    the admin HTTP API (its access log is at debug level)
// Before setup_logging() they write text at info level.
#include <spdlog/spdlog.h>

#include <string>

namespace symphony::server {

namespace logs {
spdlog::logger& server();
spdlog::logger& net();
spdlog::logger& storage();
spdlog::logger& admin();
}  // namespace logs

/// `format`: "text" or "json" (one object per line: time, level, logger, msg); `level`: an
/// spdlog level name. Applies to every component logger.
void setup_logging(const std::string& format, const std::string& level);

}  // namespace symphony::server
