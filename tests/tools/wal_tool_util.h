#pragma once
// Helpers of the symphony-wal tests: running the tool, temp directories, damaging a stopped log,
// and the standard workload the tests inspect.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/e2e/broker_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/text_lines.h"

namespace symphony::testing {

struct ToolResult {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs `symphony-wal --data-dir DIR args...`.
ToolResult wal_tool(const std::string& data_dir, const std::vector<std::string>& args);

int64_t now_ms();
std::string iso(int64_t unix_ms);

std::unique_ptr<client::Client> connect_to(const BrokerProcess& broker);

/// Per-queue counts a broker reports (ready, delayed, in flight, dead), by queue name; queues
/// without envelopes are left out.
struct QueueCounts {
  uint64_t ready = 0, delayed = 0, in_flight = 0, dead = 0;
  bool operator==(const QueueCounts&) const = default;
};
std::map<std::string, QueueCounts> queue_counts(const BrokerProcess& broker);

/// Seqs of the groups in a stopped broker's log.
std::vector<uint64_t> group_seqs(const std::string& data_dir);
/// Flips one byte inside group `seq`'s records and writes it back (a stopped broker's log).
void corrupt_group(const std::string& data_dir, uint64_t seq);
/// Deletes group `seq` of a stopped broker's log.
void delete_group(const std::string& data_dir, uint64_t seq);
/// Appends a well-formed group (valid checksum) holding `count` records encoded in `records`
/// after the last group of a stopped broker's log; returns its seq.
uint64_t append_group(const std::string& data_dir, std::string_view records, uint32_t count);

/// The standard workload, run once on a broker whose stopped data directory is then copied for
/// each test:
///   email: m1 (priority 7, key "k1") and m2 (header, metadata) leased and acked; m3 (a long
///          payload) left ready
///   sms:   m4 delayed by an hour (key "k4")
///   jobs:  m5 nacked retryable (TimeoutError: smtp timeout) at attempt 1, then fatally
///          (FatalError: bad address) at attempt 2: dead
/// Records: 5 enqueued, 4 leased, 2 acked, 1 retry_scheduled, 1 dead_lettered.
struct Workload {
  uint64_t m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0;
  std::string data_dir;  ///< the stopped template: copy it, do not change it
};
const Workload& standard_workload();
/// A copy of the standard workload's data directory at `dir`.
void copy_workload(const std::string& dir);

}  // namespace symphony::testing
