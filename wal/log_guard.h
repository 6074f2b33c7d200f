#pragma once
// The log guard: a small file beside the log (<data-dir>/log.guard) that says what the log
// alone cannot.
//
//   stopped cleanly  whether the broker that last wrote the log stopped cleanly (SIGTERM), and
//                    after which group: a cleanly stopped broker synced every group it wrote, so
//                    a log that ends earlier, or whose write-ahead file is damaged at its end,
//                    has lost confirmed work and must not be started on. After a crash or a
//                    power loss the end of the write-ahead file may be torn by construction.
//   id ceiling       no message id at or above it has ever been handed out. The log writer
//                    raises it (durably) before it writes a group whose ids come near it, so
//                    after a crash, or a salvage that lost groups, the broker continues from
//                    the ceiling and never hands out an id a client may already hold.
//
// Format (text, so an operator can read it):
//   symphony-log-guard 1
//   state running|stopped
//   last-seq <u64>
//   id-ceiling <u64>
//   check <16 hex digits: XXH3-64 of the lines above, newlines included>
//
// Writes are atomic and durable: a temporary file, fsync, rename over the old one, fsync of
// the directory. Reads verify the check line, so a damaged guard is an error, never a guess.
#include <cstdint>
#include <string>

#include "wal/log_store.h"

namespace symphony::wal {

struct LogGuardState {
  bool stopped_cleanly = false;
  uint64_t last_seq = 0;    ///< last group written, when stopped_cleanly (0: none)
  uint64_t id_ceiling = 0;  ///< every id handed out so far is below it
  bool operator==(const LogGuardState&) const = default;
};

enum class GuardRead : uint8_t { kOk, kMissing, kDamaged };

/// "<data-dir>/log.guard".
std::string log_guard_path(const std::string& data_dir);
/// Reads the guard of `data_dir`; kDamaged (with `error` naming what is wrong) when it exists
/// but does not parse or its check fails.
GuardRead read_log_guard(const std::string& data_dir, LogGuardState& out, std::string& error);
/// Replaces the guard atomically and durably (kFull when the file system is full).
StoreStatus write_log_guard(const std::string& data_dir, const LogGuardState& state);

/// Ids reserved ahead of use each time the ceiling is raised, and how close the next id may
/// come to the ceiling before it is raised again. One guard write per 2^21 messages costs the
/// log writer well under 0.1 % of its time; after a crash, ids jump ahead by at most 2^22.
inline constexpr uint64_t kIdReserve = 1u << 22;
inline constexpr uint64_t kIdReserveMargin = kIdReserve / 2;

/// The ceiling to write when the next id to hand out is `next_id` and the current ceiling is
/// `ceiling`; equal to `ceiling` when no write is needed.
uint64_t raised_id_ceiling(uint64_t ceiling, uint64_t next_id);

}  // namespace symphony::wal
