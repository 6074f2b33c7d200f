#pragma once
// GET /status and `symphony overview`: per-queue depths and, over recent windows, dispatch and ack
// rates, success and retry rates and average processing time (the seeds' metrics?minutes=N).
#include <nlohmann/json.hpp>

#include <vector>

#include "broker/core/core.h"

namespace symphony::server {

/// `windows`: minutes, each 1..60 (default 1, 5, 60).
nlohmann::json status_report(const broker::Core& core, broker::TimeMs now,
                             const std::vector<int>& windows = {1, 5, 60});

}  // namespace symphony::server
