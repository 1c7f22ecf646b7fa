// Unit tests of learning Environment::thread_id_'s offset (mortem/v8/node_environment.h) on fake
// Environments laid out as libstdc++ lays out src/env.h's members: thread_id_, then either
// sub_worker_contexts_ (an unordered_set) or a thread name (a string) and then the set. The
// offset is the one place every Environment reads so; no place, or two, is unknown.
#include "mortem/v8/node_environment.h"

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "mortem/core/fake_memory.h"

using mortem::Address;
using mortem::v8::EnvironmentSample;

namespace {

constexpr Address kEnvs = 0x10000000, kStride = 0x4000, kWorkerBuckets = 0x20000000;
constexpr uint32_t kLoadFactorOne = 0x3f800000;

struct FakeEnvironments {
  mortem::FakeMemory memory;
  std::vector<EnvironmentSample> samples;

  // Environment i at kEnvs + i * kStride with thread_id_ at `at`; i == 0 the main thread (id 0,
  // a set of `workers` elements), the others workers with ids i (empty sets). `named`: a string
  // between the id and the set.
  FakeEnvironments(uint32_t at, int workers, bool named) {
    for (int i = 0; i <= workers; ++i) {
      const Address env = kEnvs + i * kStride;
      memory.AddBlock(env, kStride);
      memory.WriteWord(env + at, static_cast<uint64_t>(i));
      uint32_t set = at + 8;
      if (named) {
        const char name[] = "WorkerThread";
        memory.WriteWord(env + set, env + set + 16);  // its own buffer
        memory.WriteWord(env + set + 8, i == 0 ? 0 : std::strlen(name));
        if (i != 0) memory.WriteBytes(env + set + 16, name, std::strlen(name));
        set += 32;
      }
      if (i == 0 && workers > 0) {
        memory.WriteWord(env + set, kWorkerBuckets);
        memory.WriteWord(env + set + 8, 13);
        memory.WriteWord(env + set + 16, kWorkerBuckets + 0x100);
        memory.WriteWord(env + set + 24, static_cast<uint64_t>(workers));
      } else {
        memory.WriteWord(env + set, env + set + 48);  // the single bucket, inside the set
        memory.WriteWord(env + set + 8, 1);
      }
      memory.WriteBytes(env + set + 32, &kLoadFactorOne, 4);
      samples.push_back({env, i == 0});
    }
  }
};

}  // namespace

TEST_CASE("thread_id_ is learnt where the set follows it (Node 18, 20, early 22 and 24)") {
  FakeEnvironments f(2168, 3, false);
  auto learnt = mortem::v8::LearnThreadIdOffset(f.memory, f.samples);
  REQUIRE(learnt.has_value());
  CHECK(learnt->offset == 2168);
  CHECK_FALSE(learnt->name_follows);
  for (size_t i = 0; i < f.samples.size(); ++i) {
    const Address env = f.samples[i].environment;
    CHECK(mortem::v8::EnvironmentThreadId(f.memory, learnt->offset, env) == i);
    CHECK_FALSE(mortem::v8::EnvironmentThreadName(f.memory, *learnt, env).has_value());
  }
}

TEST_CASE("thread_id_ is learnt where a thread name stands before the set (later 22, 24, 26)") {
  FakeEnvironments f(2496, 3, true);
  auto learnt = mortem::v8::LearnThreadIdOffset(f.memory, f.samples);
  REQUIRE(learnt.has_value());
  CHECK(learnt->offset == 2496);
  CHECK(learnt->name_follows);
  // The main thread's name is empty, each worker's "WorkerThread" (Node's default).
  CHECK(mortem::v8::EnvironmentThreadName(f.memory, *learnt, f.samples[0].environment) == "");
  for (size_t i = 1; i < f.samples.size(); ++i)
    CHECK(mortem::v8::EnvironmentThreadName(f.memory, *learnt, f.samples[i].environment) ==
          "WorkerThread");
}

TEST_CASE("one worker named WorkerThread: its name's buffer is not taken for the id") {
  // "WorkerThread"'s characters 8 to 11 read as a small id, zero on the main thread, with the
  // set right after them: a second fit inside the name, which is not a second place.
  FakeEnvironments f(2496, 1, true);
  auto learnt = mortem::v8::LearnThreadIdOffset(f.memory, f.samples);
  REQUIRE(learnt.has_value());
  CHECK(learnt->offset == 2496);
  CHECK(learnt->name_follows);
}

TEST_CASE("a thread name longer than the cap, or out of the core, is unknown") {
  FakeEnvironments f(2496, 1, true);
  const auto learnt = mortem::v8::LearnThreadIdOffset(f.memory, f.samples);
  REQUIRE(learnt.has_value());
  const Address worker = f.samples[1].environment, name = worker + 2496 + 8;
  SUBCASE("longer than the cap") {
    f.memory.WriteWord(name + 8, mortem::v8::kMaxThreadNameBytes + 1);
    CHECK_FALSE(mortem::v8::EnvironmentThreadName(f.memory, *learnt, worker).has_value());
  }
  SUBCASE("characters outside the core") {
    f.memory.WriteWord(name, 0x7000000);
    CHECK_FALSE(mortem::v8::EnvironmentThreadName(f.memory, *learnt, worker).has_value());
  }
}

TEST_CASE("no offset is learnt where ids repeat, a worker reads 0, or two places fit") {
  SUBCASE("two workers with one id") {
    FakeEnvironments f(2168, 2, false);
    f.memory.WriteWord(f.samples[2].environment + 2168, 1);
    CHECK_FALSE(mortem::v8::LearnThreadIdOffset(f.memory, f.samples).has_value());
  }
  SUBCASE("a worker whose id reads 0") {
    FakeEnvironments f(2168, 2, false);
    f.memory.WriteWord(f.samples[1].environment + 2168, 0);
    CHECK_FALSE(mortem::v8::LearnThreadIdOffset(f.memory, f.samples).has_value());
  }
  SUBCASE("the same shape twice in every Environment") {
    FakeEnvironments f(2168, 2, false);
    for (const auto& s : f.samples) {
      // A copy of the id and its empty set, 512 bytes further on.
      f.memory.WriteWord(s.environment + 2680,
                         s.main_thread ? 0 : (s.environment - kEnvs) / kStride);
      f.memory.WriteWord(s.environment + 2688, s.environment + 2688 + 48);
      f.memory.WriteWord(s.environment + 2696, 1);
      f.memory.WriteBytes(s.environment + 2688 + 32, &kLoadFactorOne, 4);
    }
    CHECK_FALSE(mortem::v8::LearnThreadIdOffset(f.memory, f.samples).has_value());
  }
  SUBCASE("an Environment not in the core") {
    FakeEnvironments f(2168, 1, false);
    f.samples.push_back({0x7000000, false});
    CHECK_FALSE(mortem::v8::LearnThreadIdOffset(f.memory, f.samples).has_value());
  }
}
