// Deque stress: one owner mixing push / LIFO take / FIFO take, k thieves mixing steal,
// steal_batch into their own deques and steals from each other, per-item counters to
// prove every item is taken exactly once. Runs in rounds; each round starts a fresh deque
// at `initial_capacity` so growth keeps happening while thieves steal.
#pragma once
#include <chrono>
#include <cstdint>

#include "stress/common.h"

namespace core_stress {

struct DequeStressConfig {
    unsigned thieves = 3;
    uint64_t items = 1'000'000;           // total, unless `seconds` > 0
    uint64_t items_per_round = 100'000;
    size_t initial_capacity = 2;
    int64_t first_index = 0;              // test seam: start indices here (e.g. 2^32 - 1000)
    uint64_t seed = 1;
    double seconds = 0;                   // > 0: run rounds until this much time has passed
    std::chrono::milliseconds stall_timeout { 10'000 }; // no progress this long = failure
    ProgressFn progress;                  // called about once a second when set
};

struct DequeStressResult {
    uint64_t rounds = 0;
    uint64_t pushed = 0;
    uint64_t push_failures = 0;  // out_of_memory from push (retried; not expected)
    uint64_t taken_lifo = 0;     // owner take()
    uint64_t taken_fifo = 0;     // owner take_fifo()
    uint64_t stolen = 0;         // single steals (from the owner or another thief)
    uint64_t batch_moved = 0;    // items moved by steal_batch into a thief's deque
    uint64_t taken_by_thieves = 0; // thieves taking from their own deques
    uint64_t lost_races = 0;
    uint64_t duplicates = 0;     // an item counted more than once
    uint64_t lost = 0;           // an item never counted
    uint64_t corrupted = 0;      // an item whose payload did not match (seen before written)
    bool stalled = false;
    uint64_t epoch_advances = 0;
    uint64_t buffers_retired = 0;
    uint64_t buffers_freed = 0;

    uint64_t taken() const { return taken_lifo + taken_fifo + stolen + taken_by_thieves; }
    bool ok() const
    {
        return duplicates == 0 && lost == 0 && corrupted == 0 && !stalled && taken() == pushed
            && buffers_retired == buffers_freed;
    }
};

DequeStressResult run_deque_stress(const DequeStressConfig& config);

} // namespace core_stress
