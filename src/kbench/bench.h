// What the in-kernel benchmarks share (private to src/kbench/; the entry point is
// bench_sched.h): the rows each benchmark fills, one scheduler variant's Results, the
// Variants every benchmark runs under back to back, and the helpers for timing and
// counting. One file per benchmark fills its rows; report.cpp and json.cpp print them.
//
// Under TCG the TSC runs at host rate while guest instructions are emulated: only ratios
// within one run mean anything (docs/benchmarks.md).
#pragma once

#include <cstdint>

#include "lib/log.h"
#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"
#include "sched/scheduler.h"
#include "workloads/uts.h"

namespace sched::kbench {

constexpr uint32_t kMaxLevels = kMaxCpus;  // CPU counts one scaling run can visit
// Best of this many timed runs for spawn+exit, UTS and messaging: single runs under TCG
// varied by up to 40% at 1 CPU from boot to boot (host scheduling of the vCPU threads).
constexpr uint32_t kBestOf = 3;

// ---------------------------------------------------------------- measuring (measure.cpp)

uint64_t ns_from_tsc(uint64_t cycles);
uint64_t per_second(uint64_t count, uint64_t cycles);
uint32_t count_of(CpuMask mask);

// Scheduler counters summed over every CPU: a racy sum, read on a quiet machine before and
// after a run; the difference is what the run did.
struct StatsSnapshot {
    uint64_t steals = 0, halts = 0, ipis = 0;
};
StatsSnapshot stats_now();
StatsSnapshot operator-(const StatsSnapshot& after, const StatsSnapshot& before);

// One task pinned to each CPU of `online`, the i-th one started with args[i] (all nullptr
// when args is), then joins them all. A refused spawn is logged, naming `role`, and that
// CPU left out. Returns how many tasks ran.
uint32_t run_pinned_on_each(CpuMask online, TaskFn fn, void* const* args, const char* name, const char* role);

// ---------------------------------------------------------------- the rows

struct SpawnResultRow {
    uint32_t cpus = 0;
    uint32_t tasks = 0, failed = 0;
    uint64_t cycles = 0;
    uint64_t steals = 0, halts = 0, ipis = 0;  // during the timed run, all CPUs
    uint64_t stacks_before = 0, peak_stacks = 0;  // task stacks allocated: at the start, at most
};

constexpr int64_t kFibN = 24;
constexpr int64_t kFibExpected = 46368;

struct FibRow {
    uint32_t cpus = 0;
    uint64_t compute_cycles = 0;  // the compute baseline at this CPU count
    uint64_t cycles = 0;  // best of the runs
    int64_t result = 0;
    uint64_t steals = 0;  // successful steals during the runs
};

// The two UTS trees, in the order of the tables and the JSON.
struct UtsCase {
    const lib::UtsTree* tree;
    uint64_t expected_nodes;
};
constexpr uint32_t kUtsTrees = 2;
constexpr UtsCase kUtsCases[kUtsTrees] = {
    {&lib::kUtsT1Small, lib::kUtsT1SmallNodes},
    {&lib::kUtsT3Small, lib::kUtsT3SmallNodes},
};

struct UtsRow {
    uint64_t cycles = 0;
    uint64_t nodes = 0;
    uint64_t peak_stacks = 0;  // most task stacks allocated at once (mm::kernel_stack_stats)
    uint64_t inlined = 0;  // children run inline because spawn ran out of memory
};

// Messaging: kMsgGroups groups of kMsgPerSide senders and as many receivers; every sender
// sends kMsgLoops messages to every receiver of its group.
constexpr uint32_t kMsgGroups = 4;
constexpr uint32_t kMsgPerSide = 8;
constexpr uint32_t kMsgLoops = 200;

struct MsgRow {
    uint64_t cycles = 0;
    uint64_t messages = 0;
    bool checksum_ok = false;
};

struct YieldRow {
    uint64_t switches = 0;
    uint64_t cycles = 0;
};

constexpr uint32_t kHistBuckets = 40;  // log2 buckets of TSC cycles: [2^i, 2^(i+1))

struct WakeRow {
    uint32_t hist[kHistBuckets] = {};
    const char* mode = "";
    bool ran = false;
    uint32_t samples = 0, no_block = 0;
    uint64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
    uint64_t ipis = 0;
};

// ---------------------------------------------------------------- one variant's results

// The benchmarks bench= can name; "sched" and "all" name every one.
enum Bench : uint32_t {
    kBenchSpawn = 1u << 0,  // spawn+exit
    kBenchFib = 1u << 1,  // fib(24) and the compute ceiling
    kBenchUts = 1u << 2,  // UTS T1 and T3
    kBenchMessaging = 1u << 3,  // hackbench-style groups
    kBenchYield = 1u << 4,
    kBenchWake = 1u << 5,
    kBenchEvery = (1u << 6) - 1,
    kBenchScaling = kBenchSpawn | kBenchFib | kBenchUts | kBenchMessaging,  // run at N..1 CPUs
};

// Queue-lock acquisitions of the locked variant during one benchmark, and how many waited.
struct LockRow {
    uint64_t taken = 0, contended = 0;
};
enum LockSlot : uint32_t { kLockSpawn, kLockFib, kLockUtsT1, kLockUtsT3, kLockMsg, kLockYield, kLockSlots };

struct Results {
    const char* variant = "";
    uint32_t ran = 0;  // Bench bits
    LockRow locks[kMaxLevels][kLockSlots];  // locked variant only; yield in level 0
    SpawnResultRow spawn[kMaxLevels];
    FibRow fib[kMaxLevels];
    UtsRow uts[kUtsTrees][kMaxLevels];  // per kUtsCases
    MsgRow msg[kMaxLevels];
    uint32_t levels = 0;  // rows filled, highest CPU count first
    YieldRow yield;
    bool yield_ran = false;
    WakeRow wake[2];  // halted, polling
};

// ---------------------------------------------------------------- the variants

// The variants one benchmark runs under: both in the same boot (bench=all or names), or the
// one the boot chose (bench=sched). Every benchmark runs under each variant back to back,
// in alternating order, so a drift over the boot (the emulator's translation caches, the
// memory the kernel has mapped by then, host load) falls on both alike: run one variant's
// whole set first and the second set ran 5-25% faster at 1 CPU for that reason alone.
struct Variants {
    Results* res;  // one Results per variant
    sched::Backend kind[2];
    uint32_t count = 0;
    uint32_t turn = 0;  // benchmarks run so far: the order flips each time
    bool ok = true;
    // Polled before each benchmark run (the console's Ctrl-C); once true, `stopped` is set
    // and nothing more runs. The run in flight finishes first: none is cut in the middle.
    bool (*cancelled)() = nullptr;
    bool stopped = false;

    // Runs fn(Results&) under every variant. A refused switch (its log line says why)
    // leaves that variant's row empty and `ok` false. The locked variant's queue-lock
    // counts during fn go to locks[level][slot] (kLockSlots: not recorded).
    template <typename Fn>
    void each(uint32_t level, LockSlot slot, Fn&& fn) {
        for (uint32_t i = 0; i < count; ++i) {
            if (stopped || (cancelled && cancelled())) {
                stopped = true;
                return;
            }
            uint32_t v = (turn & 1) ? count - 1 - i : i;
            if (count > 1 && !select_backend(kind[v])) {
                log_error("bench: could not switch to the %s scheduler; its figures are missing", res[v].variant);
                ok = false;
                continue;
            }
            QueueLockCounts before = locked_queue_lock_counts();
            fn(res[v]);
            QueueLockCounts after = locked_queue_lock_counts();
            if (slot < kLockSlots)
                res[v].locks[level][slot] = LockRow{after.taken - before.taken, after.contended - before.contended};
        }
        ++turn;
    }
};

// One CPU count of the scaling runs: the other CPUs are offline (scaling.cpp).
struct Level {
    uint32_t index = 0;  // into the per-level rows
    uint32_t cpus = 0;
    CpuMask online;
};

// ---------------------------------------------------------------- the benchmarks

// Each runs its benchmark under every variant and stores the rows; a wrong result is
// logged and clears vs.ok.
void run_spawn(Variants& vs, const Level& level);  // spawn.cpp
void run_fib(Variants& vs, const Level& level);  // forkjoin.cpp, with the compute ceiling
void run_uts(Variants& vs, const Level& level);  // uts.cpp
void run_messaging(Variants& vs, const Level& level);  // messaging.cpp
void run_scaling(Variants& vs, uint32_t which);  // scaling.cpp: those of `which` at N..1 CPUs
void run_yield(Variants& vs);  // yield.cpp
void run_wake(Variants& vs);  // wake.cpp

// ---------------------------------------------------------------- the reports

// Per variant a table (report.cpp) and the JSON block bench/kernel_sched.py reads
// (json.cpp); with two variants, the lock-free/locked ratios after them.
void print_reports(const Results* res, uint32_t count);
void print_table(const Results& res, const char* accel);
void print_json(const Results& res, const char* accel);

}  // namespace sched::kbench
