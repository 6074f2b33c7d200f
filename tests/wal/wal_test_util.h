#pragma once
// Shared helpers of the wal tests: a temporary directory, store helpers, a commit waiter for the
// asynchronous LogWriter (and state_dump.h: a canonical dump of a LogState).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/wal/state_dump.h"
#include "wal/group.h"
#include "wal/log_state.h"
#include "wal/log_store.h"
#include "wal/log_writer.h"
#include "wal/record.h"
#include "wal/record_buffer.h"
#include "wal/recovery.h"

namespace symphony::wal::test {

using symphony::testing::TempDir;

inline std::unique_ptr<LogStore> open_store(const std::string& dir) {
  std::unique_ptr<LogStore> store;
  const StoreStatus st = LogStore::open(dir, store);
  EXPECT_TRUE(st.ok) << st.message;
  return store;
}

/// Every group of the store as (seq, value), in seq order.
inline std::vector<std::pair<uint64_t, std::string>> read_groups(LogStore& store) {
  std::vector<std::pair<uint64_t, std::string>> out;
  const StoreStatus st = store.for_each_group([&](uint64_t seq, std::string_view value) {
    out.emplace_back(seq, std::string(value));
    return true;
  });
  EXPECT_TRUE(st.ok) << st.message;
  return out;
}

inline std::vector<uint64_t> group_seqs(LogStore& store) {
  std::vector<uint64_t> out;
  for (const auto& [seq, value] : read_groups(store)) out.push_back(seq);
  return out;
}

/// Encodes `records` as group `seq` and writes it (synchronously).
inline void put_group(LogStore& store, uint64_t seq, uint64_t epoch, uint64_t next_id,
                      const RecordBuffer& records) {
  GroupHeader h;
  h.seq = seq;
  h.first_epoch = epoch;
  h.last_epoch = epoch;
  h.next_message_id = next_id;
  h.written_at_ms = 1'700'000'000'000 + static_cast<int64_t>(seq);
  h.record_count = records.count();
  std::string value;
  encode_group(value, h, records.bytes());
  const StoreStatus st = store.write_group(seq, value, /*sync=*/false);
  ASSERT_TRUE(st.ok) << st.message;
}

/// An enqueue of a pending envelope with everything but the id and queue defaulted.
inline void append_enqueue(RecordBuffer& buf, uint64_t id, std::string_view queue = "q",
                           std::string_view key = "", int64_t at_ms = 1000) {
  EnvelopeRecord r;
  r.id = id;
  r.queue = queue;
  r.priority = 5;
  r.created_at_ms = at_ms;
  r.available_at_ms = at_ms;
  r.max_retries = 3;
  r.idempotency_key = key;
  r.body = "body";
  buf.append_envelope(r, {});
}

/// Collects LogWriter commits; wait_for() blocks (bounded) until an epoch is reported.
class CommitLog {
 public:
  LogWriter::OnCommit callback() {
    return [this](const LogWriter::Commit& c) {
      std::lock_guard lk(mu_);
      commits_.push_back(c);
      if (!c.status.ok) errors_.push_back(c.status.message);
      last_epoch_ = std::max(last_epoch_, c.last_epoch);
      cv_.notify_all();
    };
  }
  /// True when a commit covering `epoch` arrived (waits at most 60 s, so a bug fails, not hangs).
  bool wait_for(uint64_t epoch) {
    std::unique_lock lk(mu_);
    return cv_.wait_for(lk, std::chrono::seconds(60), [&] { return last_epoch_ >= epoch; });
  }
  uint64_t last_epoch() const {
    std::lock_guard lk(mu_);
    return last_epoch_;
  }
  std::vector<LogWriter::Commit> commits() const {
    std::lock_guard lk(mu_);
    return commits_;
  }
  std::vector<std::string> errors() const {
    std::lock_guard lk(mu_);
    return errors_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<LogWriter::Commit> commits_;
  std::vector<std::string> errors_;
  uint64_t last_epoch_ = 0;
};

}  // namespace symphony::wal::test
