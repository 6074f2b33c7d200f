// EnvelopeStore against std::unordered_map as the reference: creates, finds and erases in the
// orders the broker produces (FIFO acks, random acks, sparse survivors), through rehashes.
#include "broker/core/envelope_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace symphony::broker {
namespace {

std::string body_for(MessageId id) {
  return "body-" + std::to_string(id * 7919);
}

class EnvelopeStoreTest : public ::testing::Test {
 protected:
  void create(MessageId id) {
    const std::string b = body_for(id);
    Envelope& e = store_.create(id, b.size());
    std::memcpy(e.body_data(), b.data(), b.size());
    e.attempts = static_cast<uint32_t>(id % 5);
    reference_.emplace(id, b);
  }
  void erase(MessageId id) {
    store_.erase(id);
    reference_.erase(id);
  }
  /// Every id in [0, max_id] is found exactly when the reference has it, with its own body.
  void expect_same(MessageId max_id) {
    ASSERT_EQ(store_.size(), reference_.size());
    for (MessageId id = 0; id <= max_id; ++id) {
      const Envelope* e = store_.find(id);
      auto it = reference_.find(id);
      if (it == reference_.end()) {
        ASSERT_EQ(e, nullptr) << "id " << id << " was erased or never created";
        continue;
      }
      ASSERT_NE(e, nullptr) << "id " << id << " is missing";
      ASSERT_EQ(e->id, id);
      ASSERT_EQ(e->body(), it->second);
      ASSERT_EQ(e->attempts, id % 5);
    }
    size_t visited = 0;
    store_.for_each([&](const Envelope& e) {
      ++visited;
      EXPECT_TRUE(reference_.count(e.id)) << "visited id " << e.id;
    });
    EXPECT_EQ(visited, reference_.size());
  }

  EnvelopeStore store_;
  std::unordered_map<MessageId, std::string> reference_;
};

TEST_F(EnvelopeStoreTest, EmptyStoreFindsNothing) {
  EXPECT_EQ(store_.find(1), nullptr);
  store_.erase(1);  // absent: nothing happens
  EXPECT_EQ(store_.size(), 0u);
}

TEST_F(EnvelopeStoreTest, FifoChurnKeepsEverySurvivor) {
  // a queue: ids come in increasing, leave oldest first, with the depth moving up and down
  MessageId next = 1, oldest = 1;
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const int add = static_cast<int>(rng() % 500);
    for (int i = 0; i < add; ++i) create(next++);
    const int remove = static_cast<int>(rng() % 500);
    for (int i = 0; i < remove && oldest < next; ++i) erase(oldest++);
  }
  expect_same(next);
}

TEST_F(EnvelopeStoreTest, RandomEraseAndSparseSurvivorsThroughRehashes) {
  std::mt19937_64 rng(11);
  MessageId next = 1;
  std::vector<MessageId> live;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 2000; ++i) {
      create(next);
      live.push_back(next++);
    }
    // erase all but about one in fifty, in random order: long-lived dead letters among acks
    std::shuffle(live.begin(), live.end(), rng);
    std::vector<MessageId> kept;
    for (MessageId id : live) {
      if (rng() % 50 == 0) {
        kept.push_back(id);
      } else {
        erase(id);
      }
    }
    live = std::move(kept);
  }
  expect_same(next);
}

TEST_F(EnvelopeStoreTest, IdsThatShareHomeSlotsAreAllFound) {
  // multiples of a large power of two share the low bits; the multiplicative hash must still
  // spread them, and the displacement bits must let erase move the cluster back
  for (MessageId i = 1; i <= 3000; ++i) create(i << 32);
  for (MessageId i = 1; i <= 3000; i += 3) erase(i << 32);
  ASSERT_EQ(store_.size(), reference_.size());
  for (MessageId i = 1; i <= 3000; ++i) {
    const Envelope* e = store_.find(i << 32);
    EXPECT_EQ(e != nullptr, reference_.count(i << 32) == 1) << "id " << (i << 32);
  }
}

TEST_F(EnvelopeStoreTest, ReserveKeepsContents) {
  for (MessageId id = 1; id <= 100; ++id) create(id);
  store_.reserve(100000);
  for (MessageId id = 101; id <= 1000; ++id) create(id);
  expect_same(1001);
}

TEST_F(EnvelopeStoreTest, ZeroLengthBody) {
  Envelope& e = store_.create(42, 0);
  EXPECT_TRUE(e.body().empty());
  EXPECT_EQ(store_.find(42), &e);
}

}  // namespace
}  // namespace symphony::broker
