#pragma once
// Redis Streams as a symphony-bench target (--target redis):
//   produce  XADD <key> * f <payload>, `batch` commands pipelined per write
//   consume  XREADGROUP GROUP g consumer-<N> COUNT <prefetch> BLOCK 100 STREAMS <key> >, then one
//            XACK <key> g <id>... for the batch, pipelined with the next XREADGROUP
// The consumer group "g" is created beforehand (XGROUP CREATE ... MKSTREAM) at 0 in consume
// mode, so it reads what an earlier produce run stored, and at $ in e2e mode.
#include <memory>

#include "bench/bench_target.h"

namespace symphony::bench {

std::unique_ptr<PeerTarget> make_redis_target(const PeerOptions& options);

}  // namespace symphony::bench
