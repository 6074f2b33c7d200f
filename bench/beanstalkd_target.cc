#include "bench/beanstalkd_target.h"

#include <fmt/format.h>

#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace symphony::bench {

namespace {

// Every job gets the same priority (beanstalkd's conventional default; lower is more urgent), no
// delay, and a 60 s time-to-run, far longer than a bench holds a reserved job.
constexpr std::string_view kPutPrefix = "put 1024 0 60 ";

/// Sends one command and checks the one-line answer starts with `expected`.
void command(BlockingSocket& s, const std::string& line, std::string_view expected) {
  s.write_all(line + "\r\n");
  const std::string_view reply = s.read_line();
  if (!reply.starts_with(expected)) {
    throw std::runtime_error(fmt::format("beanstalkd: '{}' answered '{}'", line, reply));
  }
}

class BeanstalkdProducer final : public PeerProducer {
 public:
  explicit BeanstalkdProducer(const PeerOptions& o) : sock_(o.host, o.port) {
    command(sock_, fmt::format("use {}", o.key), "USING");
  }

  void send(std::span<const std::string> payloads) override {
    out_.clear();
    for (const auto& p : payloads) {
      out_.append(kPutPrefix);
      fmt::format_to(std::back_inserter(out_), "{}\r\n", p.size());
      out_.append(p);
      out_.append("\r\n");
    }
    sock_.write_all(out_);
  }

  void collect(size_t n, const std::function<void(bool ok)>& on_reply) override {
    for (size_t i = 0; i < n; ++i) {
      const std::string_view reply = sock_.read_line();
      const bool ok = reply.starts_with("INSERTED ");
      // BURIED (out of memory), JOB_TOO_BIG, DRAINING...: counted as errors; say which once.
      if (!ok && !reported_) {
        std::fprintf(stderr, "beanstalkd: put: %.*s\n", static_cast<int>(reply.size()),
                     reply.data());
        reported_ = true;
      }
      on_reply(ok);
    }
  }

 private:
  BlockingSocket sock_;
  std::string out_;
  bool reported_ = false;
};

class BeanstalkdConsumer final : public PeerConsumer {
 public:
  explicit BeanstalkdConsumer(const PeerOptions& o) : sock_(o.host, o.port) {
    command(sock_, fmt::format("watch {}", o.key), "WATCHING");
    if (o.key != "default") command(sock_, "ignore default", "WATCHING");
  }

  size_t receive(const std::function<void(std::string_view payload)>& on_message) override {
    out_.clear();
    append_deletes();
    out_.append("reserve-with-timeout 1\r\n");
    sock_.write_all(out_);
    read_deletes();
    const std::string_view reply = sock_.read_line();
    // TIMED_OUT: nothing within 1 s; DEADLINE_SOON: a job this connection holds nears its TTR.
    if (reply == "TIMED_OUT" || reply == "DEADLINE_SOON") return 0;
    if (!reply.starts_with("RESERVED ")) {
      throw std::runtime_error(fmt::format("beanstalkd: reserve answered '{}'", reply));
    }
    // RESERVED <id> <bytes>
    const std::string_view rest = reply.substr(9);
    const auto space = rest.find(' ');
    if (space == std::string_view::npos) {
      throw std::runtime_error(fmt::format("beanstalkd: bad reply '{}'", reply));
    }
    const std::string id(rest.substr(0, space));
    const auto bytes = static_cast<size_t>(parse_int(rest.substr(space + 1), "job size"));
    on_message(sock_.read_exact(bytes + 2).substr(0, bytes));
    ids_.push_back(id);
    return 1;
  }

  void finish() override {
    out_.clear();
    append_deletes();
    if (out_.empty()) return;
    sock_.write_all(out_);
    read_deletes();
  }

 private:
  void append_deletes() {
    for (const auto& id : ids_) fmt::format_to(std::back_inserter(out_), "delete {}\r\n", id);
  }

  void read_deletes() {
    for (const auto& id : ids_) {
      const std::string_view reply = sock_.read_line();
      if (reply != "DELETED") {
        throw std::runtime_error(fmt::format("beanstalkd: delete {} answered '{}'", id, reply));
      }
    }
    ids_.clear();
  }

  BlockingSocket sock_;
  std::string out_;
  std::vector<std::string> ids_;  // reserved, not deleted yet
};

class BeanstalkdTarget final : public PeerTarget {
 public:
  explicit BeanstalkdTarget(const PeerOptions& o) : options_(o) {}

  // A tube exists while anyone uses or watches it, and a ready job is there for any watcher.
  void prepare_consumers(bool) override {}

  std::unique_ptr<PeerProducer> producer(int) override {
    return std::make_unique<BeanstalkdProducer>(options_);
  }
  std::unique_ptr<PeerConsumer> consumer(int) override {
    return std::make_unique<BeanstalkdConsumer>(options_);
  }

 private:
  PeerOptions options_;
};

}  // namespace

std::unique_ptr<PeerTarget> make_beanstalkd_target(const PeerOptions& options) {
  return std::make_unique<BeanstalkdTarget>(options);
}

}  // namespace symphony::bench
