// The torture's workload (docs/reliability.md): worker tasks that run a seeded random mix
// of operations until told to stop, and what they counted. Every operation is finite (a
// ping-pong has a fixed number of rounds, a tree a fixed depth), so a stopped workload
// drains unless something was lost: that is the stop_bound check of the controller.
#pragma once
#include <cstddef>
#include <atomic>
#include <cstdint>

namespace torture {

enum class Op : uint8_t {
    spawn,  // spawn 1-4 children (pinned, realtime or idle class at times), join, verify checksums
    yield,  // a few yields, the affinity checked after each
    sleep,  // sleep_for 0-3 ms: never early, never past the bound
    mutex,  // two tasks on (usually) two CPUs increment a plain counter under one Mutex
    semaphore,  // two tasks on two CPUs ping-pong through two Semaphores, wake latency checked
    event,  // the same through two Events (set, wait, reset)
    affinity,  // set_affinity to a random CPU or set, check, back to all CPUs
    klass,  // set_priority to realtime or idle for a few yields, then back to normal
    forkjoin,  // a binary fork-join tree of depth 4-10, verified against a sequential run
    heap,  // kmalloc a random size, fill, yield, verify, kfree
    core,  // the lock-free core's own stress (deque, epochs, inbox) on every online CPU, ~1 s
};
constexpr size_t kOpCount = 11;
const char* op_name(Op op);

struct Limits {
    uint64_t wake_bound_tsc = 0;  // wake_bound: wake -> the waiter runs
    uint64_t sleep_bound_tsc = 0;  // sleep_bound: lateness of sleep_for
    int64_t live_cap = 0;  // torture tasks alive at once (keeps every deque below its first size)
    uint32_t cpus = 1;  // CPUs the scheduler knows
};
void set_limits(const Limits& limits);

// A worker: runs operations until stop_workers(). `arg` is a WorkerArg; returns its
// checksum (the controller verifies it).
struct WorkerArg {
    uint64_t seed = 0;
    // What the worker is doing now, for the dump of a stalled run. relaxed: diagnosis only.
    std::atomic<const char*> doing{"starting"};
};
int64_t worker_main(void* arg);
int64_t worker_checksum(const WorkerArg& arg);
void start_workers();  // clears the stop flag
void stop_workers();
bool stopping();

struct OpTotals {
    uint64_t ops[kOpCount] = {};
    uint64_t spawned = 0;  // torture tasks spawned (children, partners, tree nodes)
    uint64_t started = 0;  // of those, started running
    uint64_t joined = 0;  // of those, joined
    int64_t live = 0;  // spawned and not yet joined
    uint64_t spawn_oom = 0;  // spawn said out_of_memory; the caller went on without the task
    uint64_t spawn_offline = 0;  // spawn said affinity_offline (a pinned CPU was offline)
    uint64_t spawn_capped = 0;  // the live cap said no; the work ran inline
    uint64_t heap_oom = 0;  // kmalloc said no; the caller went on without the block
    uint64_t affinity_refused = 0;  // set_affinity said affinity_offline
    uint64_t max_wake_tsc = 0, max_sleep_late_tsc = 0;
    // The core stress runs (workloads/core_stress.h): completed, rounds checked, items
    // counted, and runs that could not start (out of memory, no worker under fault injection).
    uint64_t core_runs = 0, core_rounds = 0, core_items = 0, core_refused = 0;
};
OpTotals op_totals();
void reset_op_totals();  // a new run (the console can start several in one boot)

// For a stalled run: every torture task spawned and not yet joined (dump_task of each).
void dump_live_tasks();

}  // namespace torture
