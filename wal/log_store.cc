#include "wal/log_store.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>
#include <xxhash.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include "wal/group.h"

namespace symphony::wal {

namespace {

StoreStatus wrap(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return {};
  StoreStatus::Kind kind = StoreStatus::Kind::kOther;
  if (s.IsNoSpace()) {
    kind = StoreStatus::Kind::kFull;
  } else if (s.IsIOError()) {
    kind = StoreStatus::Kind::kIo;
  } else if (s.IsCorruption()) {
    kind = StoreStatus::Kind::kCorruption;
  }
  return StoreStatus::error(std::string(what) + ": " + s.ToString(), kind);
}

std::string meta_key(const std::string& name) {
  return "m" + name;
}

rocksdb::WALRecoveryMode recovery_mode(WalReplay replay) {
  switch (replay) {
    case WalReplay::kStrict: return rocksdb::WALRecoveryMode::kAbsoluteConsistency;
    case WalReplay::kUpToDamage: return rocksdb::WALRecoveryMode::kPointInTimeRecovery;
    case WalReplay::kSkipDamage: return rocksdb::WALRecoveryMode::kSkipAnyCorruptedRecords;
  }
  return rocksdb::WALRecoveryMode::kAbsoluteConsistency;
}

/// RocksDB's diagnostics to a callback instead of a LOG file in the log directory.
class MessageLogger final : public rocksdb::Logger {
 public:
  using Sink = std::function<void(StoreMessageLevel, std::string_view)>;
  MessageLogger(Sink sink, rocksdb::InfoLogLevel level)
      : rocksdb::Logger(level), sink_(std::move(sink)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char text[2048];
    const int n = std::vsnprintf(text, sizeof(text), format, ap);
    if (n < 0) return;
    std::string_view line(text, std::min(static_cast<size_t>(n), sizeof(text) - 1));
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
    sink_(map(level), line);
  }

 private:
  static StoreMessageLevel map(rocksdb::InfoLogLevel level) {
    switch (level) {
      case rocksdb::InfoLogLevel::DEBUG_LEVEL: return StoreMessageLevel::kDebug;
      case rocksdb::InfoLogLevel::WARN_LEVEL: return StoreMessageLevel::kWarn;
      case rocksdb::InfoLogLevel::ERROR_LEVEL:
      case rocksdb::InfoLogLevel::FATAL_LEVEL: return StoreMessageLevel::kError;
      default: return StoreMessageLevel::kInfo;
    }
  }
  Sink sink_;
};

}  // namespace

std::string encode_meta_u64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
  return out;
}

bool decode_meta_u64(std::string_view bytes, uint64_t& v) {
  if (bytes.size() != 8) return false;
  v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  return true;
}

StoreStatus LogStore::open(const std::string& dir, std::unique_ptr<LogStore>& out, bool read_only) {
  LogStoreOptions o;
  o.read_only = read_only;
  return open(dir, out, o);
}

StoreStatus LogStore::open(const std::string& dir, std::unique_ptr<LogStore>& out,
                           const LogStoreOptions& lo) {
  rocksdb::Options options;
  options.create_if_missing = !lo.read_only;
  options.wal_recovery_mode = recovery_mode(lo.wal_replay);
  if (lo.env) options.env = lo.env;
  if (lo.on_message) {
    options.info_log =
        std::make_shared<MessageLogger>(lo.on_message, rocksdb::InfoLogLevel::INFO_LEVEL);
  } else {
    options.info_log = std::make_shared<MessageLogger>(
        [](StoreMessageLevel, std::string_view line) {
          std::fprintf(stderr, "rocksdb: %.*s\n", static_cast<int>(line.size()), line.data());
        },
        rocksdb::InfoLogLevel::WARN_LEVEL);
  }
  // The MANIFEST records the size of every WAL file once it is synced and closed, and an open
  // fails if one is missing or shorter: a lost older WAL file cannot pass for a short log.
  options.track_and_verify_wals_in_manifest = true;
  // The log is mostly short-lived groups deleted by compaction soon after they are written: a
  // moderate memtable lets most of them die before they reach an SST, and bounding the WAL
  // keeps the directory tracking the live set.
  options.write_buffer_size = 32u << 20;
  options.max_write_buffer_number = 3;
  options.max_total_wal_size = 96u << 20;
  options.compression = rocksdb::kLZ4Compression;
  options.max_background_jobs = 2;
  options.recycle_log_file_num = 0;
  if (!lo.read_only && !lo.env) {
    // RocksDB logs an error-level line when it has to create the directory itself
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
  }
  std::unique_ptr<LogStore> store(new LogStore());
  store->dir_ = dir;
  rocksdb::DB* db = nullptr;
  const rocksdb::Status s = lo.read_only ? rocksdb::DB::OpenForReadOnly(options, dir, &db)
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
    batch.Put(meta_key("first_seq"), encode_meta_u64(drop->to));
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

StoreStatus LogStore::resume() {
  return wrap(db_->Resume(), "resuming the log");
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

StoreStatus LogStore::verify_checksums() {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4u << 20;
  return wrap(db_->VerifyChecksum(ro), "verifying the log's table files");
}

StoreStatus LogStore::digest(std::map<std::string, uint64_t>& out) {
  out.clear();
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice v = it->value();
    out.emplace(it->key().ToString(), XXH3_64bits(v.data(), v.size()));
  }
  return wrap(it->status(), "reading the log");
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
