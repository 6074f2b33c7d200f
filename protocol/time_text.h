#pragma once
// Times as people type and read them: Unix milliseconds or ISO 8601. Shared by the CLIs, the
// log tool and DELIVER's dispatched-at header.
#include <cstddef>
#include <cstdint>
#include <string>

namespace symphony::protocol {

/// "2026-11-22T10:00:00.123Z" for a Unix time in milliseconds.
std::string format_iso8601_ms(int64_t unix_ms);
/// Room format_iso8601_ms_to needs (24 bytes for years 0000..9999; more for others).
inline constexpr size_t kIso8601MsMaxBytes = 40;
/// The same text written into `out` (at least kIso8601MsMaxBytes) without allocating; returns its
/// length. DELIVER writes one per message, so this is on the hot path.
size_t format_iso8601_ms_to(int64_t unix_ms, char* out);
/// Unix milliseconds ("1763805600000") or ISO 8601 ("2026-11-22T10:00:00Z",
/// "2026-11-22T10:00:00.5+01:00", "2026-11-22 10:00:00", "2026-11-22"; no zone means UTC).
/// Exactly: YYYY-MM-DD, optionally followed by 'T' or ' ' and HH:MM:SS with an optional
/// fraction of 1..9 digits (milliseconds from the first three) and an optional zone (Z, +HH, +HHMM or +HH:MM, or '-'); fields out of
/// range (month 13, Feb 30, hour 24, second 60) are refused.
bool parse_time_ms(const std::string& text, int64_t& unix_ms);

}  // namespace symphony::protocol
