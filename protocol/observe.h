#pragma once
// Observing the broker: the binary-protocol twins of the admin API's GET /status, GET /health,
// GET /metrics and POST /backup, so that every admin operation is reachable through `symphony`.
// The results carry the same documents the HTTP API serves (JSON, or Prometheus text), so the
// two can never drift apart and a client needs no second schema.
//
// OVERVIEW        := u8 minutes          (0: the windows 1, 5 and 60 minutes; else 1..60)
// OVERVIEW_RESULT := blob32 json         (the GET /status document)
// HEALTH          := (empty body)
// HEALTH_RESULT   := blob32 json         (the GET /health document)
// METRICS         := (empty body)
// METRICS_RESULT  := blob32 text         (Prometheus text format 0.0.4, as GET /metrics)
// BACKUP          := str16 name          (a new directory in the broker's backup directory)
// BACKUP_RESULT   := blob32 json         ({"name", "path", "bytes", "millis"})
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/decode_status.h"
#include "protocol/opcode.h"

namespace symphony::protocol {

/// Largest OVERVIEW window, in minutes (the broker keeps an hour of per-minute counts).
inline constexpr uint8_t kMaxOverviewMinutes = 60;

void encode_overview(std::string& out, uint32_t request_id, uint8_t minutes);
/// MALFORMED_FRAME for a body of the wrong size; INVALID_ARGUMENT for minutes over 60.
DecodeStatus decode_overview(std::string_view body, uint8_t& minutes);

void encode_health(std::string& out, uint32_t request_id);
DecodeStatus decode_health(std::string_view body);

void encode_metrics(std::string& out, uint32_t request_id);
DecodeStatus decode_metrics(std::string_view body);

/// The name is checked by the broker (not here): letters, digits, '.', '_', '-'.
void encode_backup(std::string& out, uint32_t request_id, std::string_view name);
DecodeStatus decode_backup(std::string_view body, std::string_view& name);

/// The four results share one layout (a single blob32); `op` is the reply opcode
/// (kOverviewResult, kHealthResult, kMetricsResult or kBackupResult).
void encode_document_result(std::string& out, Opcode op, uint32_t request_id,
                            std::string_view document);
/// `document` points into `body`.
DecodeStatus decode_document_result(std::string_view body, std::string_view& document);

}  // namespace symphony::protocol
