#include "wal/log_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <filesystem>

#include "wal/group.h"

namespace symphony::wal {

namespace {

StoreStatus wrap(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return {};
  return StoreStatus::error(std::string(what) + ": " + s.ToString());
}

std::string meta_key(const std::string& name) {
  return "m" + name;
}

}  // namespace

StoreStatus LogStore::open(const std::string& dir, std::unique_ptr<LogStore>& out, bool read_only) {
  rocksdb::Options options;
  options.create_if_missing = true;
  // A torn write at the tail of RocksDB's own WAL (a crash mid-write) is cut, not fatal.
  options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // The log is mostly short-lived groups deleted by compaction soon after they are written: a
  // moderate memtable lets most of them die before they reach an SST, and bounding the WAL
  // keeps the directory tracking the live set.
  options.write_buffer_size = 32u << 20;
  options.max_write_buffer_number = 3;
  options.max_total_wal_size = 96u << 20;
  options.compression = rocksdb::kLZ4Compression;
  options.max_background_jobs = 2;
  options.keep_log_file_num = 3;
  options.max_log_file_size = 4u << 20;
  options.recycle_log_file_num = 0;
  std::unique_ptr<LogStore> store(new LogStore());
  store->dir_ = dir;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = read_only ? rocksdb::DB::OpenForReadOnly(options, dir, &db)
                                      : rocksdb::DB::Open(options, dir, &db);
  if (!s.ok()) return wrap(s, "cannot open the log");
  store->db_.reset(db);
  out = std::move(store);
  return {};
}

LogStore::~LogStore() {
  if (db_) db_->Close();
}

StoreStatus LogStore::for_each_group(
    const std::function<bool(uint64_t seq, std::string_view value)>& fn) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4u << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek("g"); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    uint64_t seq = 0;
    if (!parse_group_key(std::string_view(k.data(), k.size()), seq)) break;
    const rocksdb::Slice v = it->value();
    if (!fn(seq, std::string_view(v.data(), v.size()))) break;
  }
  return wrap(it->status(), "reading the log");
}

StoreStatus LogStore::write_group(uint64_t seq, std::string_view value, bool sync,
                                  std::optional<GroupRange> drop,
                                  const std::vector<std::pair<std::string, std::string>>& meta) {
  rocksdb::WriteBatch batch;
  if (drop && drop->from < drop->to) {
    batch.DeleteRange(group_key(drop->from), group_key(drop->to));
  }
  for (const auto& [name, v] : meta) batch.Put(meta_key(name), v);
  batch.Put(group_key(seq), rocksdb::Slice(value.data(), value.size()));
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return wrap(db_->Write(wo, &batch), "writing the log");
}

StoreStatus LogStore::delete_group(uint64_t seq) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return wrap(db_->Delete(wo, group_key(seq)), "deleting a log group");
}

StoreStatus LogStore::sync_wal() {
  return wrap(db_->SyncWAL(), "syncing the log");
}

StoreStatus LogStore::get_meta(const std::string& name, std::optional<std::string>& value) {
  std::string v;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), meta_key(name), &v);
  if (s.IsNotFound()) {
    value.reset();
    return {};
  }
  if (!s.ok()) return wrap(s, "reading log metadata");
  value = std::move(v);
  return {};
}

StoreStatus LogStore::compact(uint64_t from_seq, uint64_t to_seq) {
  rocksdb::CompactRangeOptions o;
  o.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  const std::string from = group_key(from_seq);
  const std::string to = group_key(to_seq);
  const rocksdb::Slice b(from), e(to);
  return wrap(db_->CompactRange(o, &b, &e), "compacting the log");
}

StoreStatus LogStore::checkpoint(const std::string& target_dir) {
  rocksdb::Checkpoint* raw = nullptr;
  if (auto st = wrap(rocksdb::Checkpoint::Create(db_.get(), &raw), "starting a checkpoint");
      !st.ok) {
    return st;
  }
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  // log_size_for_flush 0: flush the memtable first, so the copy needs no WAL replay
  return wrap(cp->CreateCheckpoint(target_dir, 0), "writing the checkpoint");
}

uint64_t LogStore::disk_bytes() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_, ec)) {
    if (entry.is_regular_file(ec)) total += entry.file_size(ec);
  }
  return total;
}

}  // namespace symphony::wal
