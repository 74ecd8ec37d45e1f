// One stoppable run of a fork-join or messaging workload, shared by the benchmarks (bench=)
// and the console (`run uts`, `run messaging`, `load uts|messaging`). Called from a task;
// every task a run spawns is joined and its memory freed before it returns.
#pragma once
#include <atomic>
#include <cstdint>

#include "workloads/uts.h"

namespace sched::kbench {

// `stop` (may be null) is polled by the run's own tasks: once it reads true, no new task is
// spawned and the run winds down, joining what it started; its result is then partial.

struct UtsCountResult {
    uint64_t nodes = 0;
    uint64_t inlined = 0;  // children counted inline because spawn ran out of memory
};
// Counts `tree` with one task per node (UTS, Olivier et al.).
UtsCountResult uts_count_with_tasks(const lib::UtsTree& tree, const std::atomic<bool>* stop);

struct MessagingResult {
    uint32_t groups = 0, senders = 0, receivers = 0;  // per group: senders, receivers
    uint64_t messages = 0;  // received
    uint64_t expected = 0;  // what a complete run receives
    uint64_t cycles = 0;  // TSC cycles from the first spawn to the last join
    bool checksum_ok = false;  // every message arrived, each receiver's sum right
    bool spawn_failed = false;  // out of memory: stopped early, every started task joined
};
// Hackbench-style groups of senders and receivers over bounded channels (wait queues).
MessagingResult messaging_once(const std::atomic<bool>* stop);

}  // namespace sched::kbench
