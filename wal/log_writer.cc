#include "wal/log_writer.h"

#include "wal/group.h"

namespace symphony::wal {

LogWriter::LogWriter(LogStore& store, FsyncPolicy policy, std::vector<GroupInfo> existing,
                     Clock clock, OnCommit on_commit)
    : store_(store),
      policy_(policy),
      clock_(std::move(clock)),
      on_commit_(std::move(on_commit)),
      groups_(existing.begin(), existing.end()) {
  if (!groups_.empty()) next_seq_ = groups_.back().seq + 1;
}

LogWriter::~LogWriter() {
  stop();
}

void LogWriter::start() {
  thread_ = std::thread([this] { run(); });
  compactor_ = std::thread([this] { run_compactor(); });
}

void LogWriter::run_compactor() {
  for (;;) {
    GroupRange r;
    {
      std::unique_lock lk(mu_);
      compact_cv_.wait(lk, [&] { return compact_request_.has_value() || stopping_; });
      if (!compact_request_) return;
      r = *compact_request_;
      compact_request_.reset();
    }
    store_.compact(r.from, r.to);
  }
}

void LogWriter::submit(uint64_t epoch, RecordBuffer& records, uint64_t next_message_id,
                       std::optional<uint64_t> drop_below_epoch) {
  {
    std::lock_guard lk(mu_);
    if (!pending_any_) {
      pending_first_epoch_ = epoch;
      pending_any_ = true;
    }
    pending_last_epoch_ = epoch;
    pending_next_id_ = next_message_id;
    if (pending_.empty()) {
      pending_.swap(records);
    } else {
      pending_.append_encoded(records.bytes(), records.count());
    }
    if (drop_below_epoch) pending_drop_ = std::max(pending_drop_.value_or(0), *drop_below_epoch);
  }
  records.clear();
  cv_.notify_one();
}

size_t LogWriter::group_count() const {
  std::lock_guard lk(mu_);
  return groups_.size();
}

void LogWriter::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  compact_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (compactor_.joinable()) compactor_.join();
}

void LogWriter::run() {
  RecordBuffer batch;
  std::string value;
  for (;;) {
    uint64_t first_epoch = 0, last_epoch = 0, next_id = 0;
    std::optional<uint64_t> drop;
    {
      std::unique_lock lk(mu_);
      auto ready = [&] { return pending_any_ || stopping_; };
      if (policy_.mode == FsyncPolicy::Mode::kInterval && unsynced_) {
        cv_.wait_until(lk, next_sync_, ready);
      } else {
        cv_.wait(lk, ready);
      }
      if (!pending_any_) {
        if (stopping_) break;
        lk.unlock();
        if (unsynced_ && std::chrono::steady_clock::now() >= next_sync_) {
          store_.sync_wal();
          unsynced_ = false;
        }
        continue;
      }
      batch.swap(pending_);
      first_epoch = pending_first_epoch_;
      last_epoch = pending_last_epoch_;
      next_id = pending_next_id_;
      drop = pending_drop_;
      pending_any_ = false;
      pending_drop_.reset();
    }

    const auto t0 = std::chrono::steady_clock::now();
    GroupHeader h;
    h.seq = next_seq_;
    h.first_epoch = first_epoch;
    h.last_epoch = last_epoch;
    h.next_message_id = next_id;
    h.written_at_ms = clock_();
    h.record_count = batch.count();
    encode_group(value, h, batch.bytes());

    std::optional<GroupRange> range;
    std::vector<std::pair<std::string, std::string>> meta;
    size_t dropped = 0;
    if (drop) {
      // every group whose epochs all lie below the compaction epoch: a prefix of the log
      while (dropped < groups_.size() && groups_[dropped].last_epoch < *drop) ++dropped;
      if (dropped > 0) {
        range = GroupRange{groups_.front().seq, groups_[dropped - 1].seq + 1};
        std::string base(8, '\0');
        const uint64_t base_id = groups_[dropped - 1].next_message_id;
        for (int i = 0; i < 8; ++i)
          base[static_cast<size_t>(i)] = static_cast<char>(base_id >> (8 * i));
        meta.emplace_back("base_id", std::move(base));
      }
    }
    const bool sync = policy_.mode == FsyncPolicy::Mode::kAlways;
    Commit c;
    c.status = store_.write_group(h.seq, value, sync, range, meta);
    c.last_epoch = last_epoch;
    c.records = batch.count();
    c.bytes = static_cast<uint32_t>(value.size());
    c.micros = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    if (c.status.ok) {
      ++next_seq_;
      {
        std::lock_guard lk(mu_);
        for (size_t i = 0; i < dropped; ++i) groups_.pop_front();
        groups_.push_back({h.seq, first_epoch, last_epoch, next_id});
      }
      if (!sync && !unsynced_) {
        unsynced_ = true;
        next_sync_ = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(
                         policy_.mode == FsyncPolicy::Mode::kInterval ? policy_.interval_ms : 0);
      }
    }
    on_commit_(c);
    // let RocksDB reclaim the deleted groups' space soon rather than at its next compaction
    if (c.status.ok && range) {
      std::lock_guard lk(mu_);
      compact_request_ =
          GroupRange{compact_request_ ? compact_request_->from : range->from, range->to};
      compact_cv_.notify_one();
    }
    batch.clear();
  }
  // a clean stop leaves nothing unsynced, whatever the policy
  if (unsynced_) store_.sync_wal();
}

}  // namespace symphony::wal
