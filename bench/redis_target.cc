// A minimal RESP2 client over BlockingSocket rather than hiredis: the bench needs exact control
// of the pipelining (N commands in one write, then each reply parsed and timestamped in turn),
// which is a few dozen lines here, and it keeps install-deps.sh free of a library used only by
// this benchmark. Only the reply shapes of XADD, XGROUP, XREADGROUP and XACK are handled.
#include "bench/redis_target.h"

#include <fmt/format.h>

#include <cstdio>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace symphony::bench {

namespace {

constexpr std::string_view kGroup = "g";

void append_array_header(std::string& out, size_t n) {
  fmt::format_to(std::back_inserter(out), "*{}\r\n", n);
}

void append_bulk(std::string& out, std::string_view s) {
  fmt::format_to(std::back_inserter(out), "${}\r\n", s.size());
  out.append(s);
  out.append("\r\n");
}

/// Appends one command as a RESP array of bulk strings.
void append_command(std::string& out, std::initializer_list<std::string_view> args) {
  append_array_header(out, args.size());
  for (const auto a : args) append_bulk(out, a);
}

/// The first line of a reply: its type byte and the rest of the line.
struct Head {
  char type;
  std::string_view rest;
  int64_t number() const { return parse_int(rest, "RESP length"); }
};

Head read_head(BlockingSocket& s) {
  const std::string_view line = s.read_line();
  if (line.empty()) throw std::runtime_error("empty RESP reply line");
  return {line[0], line.substr(1)};
}

[[noreturn]] void unexpected(const Head& h, const char* expected) {
  throw std::runtime_error(fmt::format("redis: expected {}, got '{}{}'", expected, h.type, h.rest));
}

/// A bulk string reply; valid until the next read.
std::string_view read_bulk(BlockingSocket& s) {
  const Head h = read_head(s);
  if (h.type != '$') unexpected(h, "a bulk string");
  const int64_t n = h.number();
  if (n < 0) return {};
  return s.read_exact(static_cast<size_t>(n) + 2).substr(0, static_cast<size_t>(n));
}

int64_t read_array_header(BlockingSocket& s) {
  const Head h = read_head(s);
  if (h.type != '*') unexpected(h, "an array");
  return h.number();
}

class RedisProducer final : public PeerProducer {
 public:
  explicit RedisProducer(const PeerOptions& o) : options_(o), sock_(o.host, o.port) {}

  void send(std::span<const std::string> payloads) override {
    out_.clear();
    for (const auto& p : payloads) append_command(out_, {"XADD", options_.key, "*", "f", p});
    sock_.write_all(out_);
  }

  void collect(size_t n, const std::function<void(bool ok)>& on_reply) override {
    for (size_t i = 0; i < n; ++i) {
      const Head h = read_head(sock_);
      if (h.type == '$' && h.number() >= 0) {
        sock_.read_exact(static_cast<size_t>(h.number()) + 2);  // the new entry's id
        on_reply(true);
      } else if (h.type == '-') {
        // A refused write (say, MISCONF after a failed fsync): counted as an error; say why once.
        if (!reported_) {
          std::fprintf(stderr, "redis: XADD: %.*s\n", static_cast<int>(h.rest.size()),
                       h.rest.data());
        }
        reported_ = true;
        on_reply(false);
      } else {
        unexpected(h, "an XADD reply");
      }
    }
  }

 private:
  PeerOptions options_;
  BlockingSocket sock_;
  std::string out_;
  bool reported_ = false;
};

class RedisConsumer final : public PeerConsumer {
 public:
  RedisConsumer(const PeerOptions& o, int index)
      : options_(o),
        sock_(o.host, o.port),
        name_(fmt::format("consumer-{}", index)),
        count_(std::to_string(o.prefetch)) {}

  size_t receive(const std::function<void(std::string_view payload)>& on_message) override {
    out_.clear();
    const bool acking = append_ack();
    append_command(out_, {"XREADGROUP", "GROUP", kGroup, name_, "COUNT", count_, "BLOCK", "100",
                          "STREAMS", options_.key, ">"});
    sock_.write_all(out_);
    if (acking) read_ack();
    // *1 [ *2 [ key, *N [ *2 [ id, *2 [ "f", payload ] ] ... ] ] ], or a null array on timeout
    const Head top = read_head(sock_);
    if (top.type == '-') unexpected(top, "an XREADGROUP reply");
    if (top.type != '*') unexpected(top, "an array");
    if (top.number() < 0) return 0;
    size_t delivered = 0;
    for (int64_t stream = top.number(); stream > 0; --stream) {
      if (read_array_header(sock_) != 2) throw std::runtime_error("redis: bad stream reply");
      read_bulk(sock_);  // the key
      for (int64_t entries = read_array_header(sock_); entries > 0; --entries) {
        if (read_array_header(sock_) != 2) throw std::runtime_error("redis: bad entry");
        ids_.emplace_back(read_bulk(sock_));
        const int64_t fields = read_array_header(sock_);  // -1 if the entry was deleted meanwhile
        for (int64_t f = 0; f + 1 < fields; f += 2) {
          const std::string field(read_bulk(sock_));
          const std::string_view value = read_bulk(sock_);
          if (field == "f") on_message(value);
        }
        ++delivered;
      }
    }
    return delivered;
  }

  void finish() override {
    out_.clear();
    if (!append_ack()) return;
    sock_.write_all(out_);
    read_ack();
  }

 private:
  bool append_ack() {
    if (ids_.empty()) return false;
    append_array_header(out_, 3 + ids_.size());
    append_bulk(out_, "XACK");
    append_bulk(out_, options_.key);
    append_bulk(out_, kGroup);
    for (const auto& id : ids_) append_bulk(out_, id);
    return true;
  }

  void read_ack() {
    const Head h = read_head(sock_);
    if (h.type != ':') unexpected(h, "an XACK count");
    if (h.number() != static_cast<int64_t>(ids_.size())) {
      throw std::runtime_error(
          fmt::format("redis: XACK acknowledged {} of {} ids", h.number(), ids_.size()));
    }
    ids_.clear();
  }

  PeerOptions options_;
  BlockingSocket sock_;
  std::string name_;
  std::string count_;
  std::string out_;
  std::vector<std::string> ids_;  // delivered, not acknowledged yet
};

class RedisTarget final : public PeerTarget {
 public:
  explicit RedisTarget(const PeerOptions& o) : options_(o) {}

  void prepare_consumers(bool from_start) override {
    BlockingSocket s(options_.host, options_.port);
    std::string out;
    append_command(out,
                   {"XGROUP", "CREATE", options_.key, kGroup, from_start ? "0" : "$", "MKSTREAM"});
    s.write_all(out);
    const Head h = read_head(s);
    // BUSYGROUP: it exists from an earlier run, which is fine for consume mode.
    if (h.type == '+' || (h.type == '-' && h.rest.starts_with("BUSYGROUP"))) return;
    unexpected(h, "+OK from XGROUP CREATE");
  }

  std::unique_ptr<PeerProducer> producer(int) override {
    return std::make_unique<RedisProducer>(options_);
  }
  std::unique_ptr<PeerConsumer> consumer(int index) override {
    return std::make_unique<RedisConsumer>(options_, index);
  }

 private:
  PeerOptions options_;
};

}  // namespace

std::unique_ptr<PeerTarget> make_redis_target(const PeerOptions& options) {
  return std::make_unique<RedisTarget>(options);
}

}  // namespace symphony::bench
