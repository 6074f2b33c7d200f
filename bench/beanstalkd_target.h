#pragma once
// beanstalkd as a symphony-bench target (--target beanstalkd), over its text protocol
// (doc/protocol.txt in beanstalkd's sources):
//   produce  use <tube>; put 1024 0 60 <bytes>\r\n<data>\r\n, `batch` puts pipelined per write,
//            each answered INSERTED <id>
//   consume  watch <tube>, ignore default; reserve-with-timeout 1, answered RESERVED <id> <bytes>,
//            then delete <id>, pipelined with the next reserve
// The client is written here over BlockingSocket: Debian packages no C or C++ beanstalkd library,
// and the protocol is a handful of lines. Payloads are limited by beanstalkd's -z (65535 bytes).
#include <memory>

#include "bench/bench_target.h"

namespace symphony::bench {

std::unique_ptr<PeerTarget> make_beanstalkd_target(const PeerOptions& options);

}  // namespace symphony::bench
