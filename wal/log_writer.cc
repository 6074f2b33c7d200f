#include "wal/log_writer.h"

#include <algorithm>

#include "wal/group.h"

namespace symphony::wal {

namespace {
constexpr std::chrono::milliseconds kFirstRetry{100};
constexpr std::chrono::milliseconds kMaxRetry{2000};
}  // namespace

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

void LogWriter::set_guard(std::string data_dir, LogGuardState state) {
  guard_dir_ = std::move(data_dir);
  guard_ = state;
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

StoreStatus LogWriter::stop() {
  {
    std::lock_guard lk(mu_);
    if (stopping_ && !thread_.joinable()) return stop_status_;
    stopping_ = true;
  }
  cv_.notify_one();
  compact_cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (compactor_.joinable()) compactor_.join();
  return stop_status_;
}

void LogWriter::take_pending(Batch& b) {
  if (!pending_any_) return;
  if (!b.any) {
    b.records.swap(pending_);
    b.first_epoch = pending_first_epoch_;
  } else {
    // a group that failed to be written takes what arrived meanwhile: still one atomic write
    b.records.append_encoded(pending_.bytes(), pending_.count());
  }
  pending_.clear();
  b.any = true;
  b.last_epoch = pending_last_epoch_;
  b.next_id = pending_next_id_;
  if (pending_drop_) b.drop = std::max(b.drop.value_or(0), *pending_drop_);
  pending_any_ = false;
  pending_drop_.reset();
}

StoreStatus LogWriter::write(Batch& b, std::optional<GroupRange>& compacted) {
  // No id of this group may become visible before the guard's ceiling covers it.
  if (guard_dir_) {
    const uint64_t ceiling = raised_id_ceiling(guard_.id_ceiling, b.next_id);
    if (ceiling != guard_.id_ceiling) {
      LogGuardState next = guard_;
      next.id_ceiling = ceiling;
      next.stopped_cleanly = false;
      if (StoreStatus st = write_log_guard(*guard_dir_, next); !st.ok) return st;
      guard_ = next;
    }
  }
  GroupHeader h;
  h.seq = next_seq_;
  h.first_epoch = b.first_epoch;
  h.last_epoch = b.last_epoch;
  h.next_message_id = b.next_id;
  h.written_at_ms = clock_();
  h.record_count = b.records.count();
  std::string value;
  encode_group(value, h, b.records.bytes());

  std::vector<std::pair<std::string, std::string>> meta;
  size_t dropped = 0;
  compacted.reset();
  if (b.drop) {
    // every group whose epochs all lie below the compaction epoch: a prefix of the log
    while (dropped < groups_.size() && groups_[dropped].last_epoch < *b.drop) ++dropped;
    if (dropped > 0) {
      compacted = GroupRange{groups_.front().seq, groups_[dropped - 1].seq + 1};
      meta.emplace_back("base_id", encode_meta_u64(groups_[dropped - 1].next_message_id));
    }
  }
  const bool sync = policy_.mode == FsyncPolicy::Mode::kAlways;
  StoreStatus st = store_.write_group(h.seq, value, sync, compacted, meta);
  if (!st.ok) return st;
  ++next_seq_;
  {
    std::lock_guard lk(mu_);
    for (size_t i = 0; i < dropped; ++i) groups_.pop_front();
    groups_.push_back({h.seq, b.first_epoch, b.last_epoch, b.next_id});
  }
  if (!sync && !unsynced_) {
    unsynced_ = true;
    next_sync_ = std::chrono::steady_clock::now() +
                 std::chrono::milliseconds(
                     policy_.mode == FsyncPolicy::Mode::kInterval ? policy_.interval_ms : 0);
  }
  return {};
}

void LogWriter::run() {
  Batch batch;
  for (;;) {
    bool stopping = false;
    {
      std::unique_lock lk(mu_);
      auto ready = [&] { return pending_any_ || stopping_; };
      if (failing_) {
        // wait out the backoff; what is submitted meanwhile joins the held group
        cv_.wait_for(lk, backoff_, [&] { return stopping_; });
      } else if (policy_.mode == FsyncPolicy::Mode::kInterval && unsynced_) {
        cv_.wait_until(lk, next_sync_, ready);
      } else {
        cv_.wait(lk, ready);
      }
      take_pending(batch);
      stopping = stopping_;
    }
    if (!batch.any) {
      if (stopping) break;
      sync_if_due();
      continue;
    }
    // after a failure RocksDB refuses writes until it has recovered: ask it to (the write tells)
    if (failing_) store_.resume();
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<GroupRange> compacted;
    Commit c;
    c.status = write(batch, compacted);
    c.last_epoch = batch.last_epoch;
    c.records = batch.records.count();
    c.bytes = static_cast<uint32_t>(batch.records.bytes().size() + kGroupHeaderBytes);
    c.micros = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
            .count());
    if (!c.status.ok) {
      failing_ = true;
      backoff_ = backoff_.count() == 0 ? kFirstRetry : std::min(backoff_ * 2, kMaxRetry);
      on_commit_(c);
      if (stopping) {
        stop_status_ = c.status;  // this was the last attempt: nothing it held was confirmed
        return;
      }
      continue;
    }
    failing_ = false;
    backoff_ = std::chrono::milliseconds(0);
    on_commit_(c);
    // let RocksDB reclaim the deleted groups' space soon rather than at its next compaction
    if (compacted) {
      std::lock_guard lk(mu_);
      compact_request_ =
          GroupRange{compact_request_ ? compact_request_->from : compacted->from, compacted->to};
      compact_cv_.notify_one();
    }
    batch = Batch{};
    // under a steady load the writer is never idle: the interval's sync must not wait for it
    // (it did, and a power cut under load lost far more than the interval; power_cut_test)
    sync_if_due();
  }
  stop_status_ = finish_clean_stop();
}

void LogWriter::sync_if_due() {
  if (policy_.mode != FsyncPolicy::Mode::kInterval || !unsynced_ || failing_) return;
  if (std::chrono::steady_clock::now() < next_sync_) return;
  unsynced_ = false;
  if (StoreStatus st = store_.sync_wal(); !st.ok) {
    // What was reported is not durable after all (the interval policy's loss window); the
    // next write meets the same error and goes through the retry path.
    Commit c;
    c.status = st;
    c.sync_only = true;
    on_commit_(c);
  }
}

StoreStatus LogWriter::finish_clean_stop() {
  // a clean stop leaves nothing unsynced, whatever the policy
  if (unsynced_) {
    if (StoreStatus st = store_.sync_wal(); !st.ok) return st;
    unsynced_ = false;
  }
  if (!guard_dir_) return {};
  LogGuardState clean = guard_;
  clean.stopped_cleanly = true;
  clean.last_seq = next_seq_ - 1;
  if (StoreStatus st = write_log_guard(*guard_dir_, clean); !st.ok) return st;
  guard_ = clean;
  return {};
}

}  // namespace symphony::wal
