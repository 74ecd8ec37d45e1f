// spawn+exit: every online CPU runs a driver pinned to it that spawns nop tasks (default
// affinity, so they land on its own deque and may be stolen) in batches of kSpawnBatch and
// joins them: tasks per second for the whole machine. Runs at every CPU count of the
// scaling runs.
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "mm/kstack.h"
#include "sched/kernel/task_memory.h"

namespace sched::kbench {
namespace {

constexpr uint32_t kSpawnTotal = 200'000;  // nop tasks per timed spawn+exit run, split over the drivers
constexpr uint32_t kSpawnWarmup = 20'000;  // an untimed run first: stack caches and page tables warm
constexpr uint32_t kSpawnBatch = 32;

int64_t nop_task(void*) { return 0; }

struct SpawnDriver {
    uint32_t tasks = 0;  // to spawn
    uint32_t failed = 0;  // spawns refused (out of memory): counted, not retried
};

int64_t spawn_driver(void* arg) {
    auto* d = static_cast<SpawnDriver*>(arg);
    TaskHandle batch[kSpawnBatch];
    for (uint32_t done = 0; done < d->tasks;) {
        uint32_t n = d->tasks - done < kSpawnBatch ? d->tasks - done : kSpawnBatch;
        for (uint32_t i = 0; i < n; ++i) {
            auto r = spawn(nop_task, nullptr, {.name = "nop"});
            if (r.ok()) {
                batch[i] = static_cast<TaskHandle&&>(r.handle);
            } else {
                ++d->failed;
            }
        }
        for (uint32_t i = 0; i < n; ++i) {
            if (batch[i].valid()) join(batch[i]);
        }
        done += n;
    }
    return 0;
}

// Drivers on every online CPU; init (on CPU 0) blocks in join meanwhile.
SpawnResultRow spawn_exit_run(CpuMask online, uint32_t total) {
    SpawnResultRow row;
    row.cpus = count_of(online);
    SpawnDriver drivers[kMaxLevels];
    void* args[kMaxLevels];
    for (uint32_t i = 0; i < row.cpus; ++i) {
        drivers[i].tasks = total / row.cpus + (i < total % row.cpus ? 1 : 0);
        args[i] = &drivers[i];
    }
    StatsSnapshot before = stats_now();
    OpCosts costs_before = costs_now();
    uint64_t start = arch::rdtsc();
    uint32_t count = run_pinned_on_each(online, spawn_driver, args, "spawner", "driver");
    row.cycles = arch::rdtsc() - start;
    row.costs = costs_now() - costs_before;
    StatsSnapshot during = stats_now() - before;
    row.steals = during.steals;
    row.halts = during.halts;
    row.ipis = during.ipis;
    for (uint32_t i = 0; i < count; ++i) {
        row.tasks += drivers[i].tasks - drivers[i].failed;
        row.failed += drivers[i].failed;
    }
    return row;
}

// The first spawns at a CPU count map fresh stacks (the per-CPU stack caches are empty or
// sit on other CPUs); measured cold, that cost landed on whichever count ran first and
// made 2 CPUs look 2.5x slower than 1. So an untimed run first.
SpawnResultRow bench_spawn_exit(CpuMask online) {
    drain_reclaim();
    trim_task_memory();
    spawn_exit_run(online, kSpawnWarmup);
    mm::reset_kernel_stack_peak();
    uint64_t before = mm::kernel_stack_stats().in_use;
    SpawnResultRow row = spawn_exit_run(online, kSpawnTotal);
    for (uint32_t run = 1; run < kBestOf; ++run) {
        SpawnResultRow again = spawn_exit_run(online, kSpawnTotal);
        if (again.failed == 0 && again.cycles < row.cycles) row = again;
    }
    row.stacks_before = before;
    row.peak_stacks = mm::kernel_stack_stats().peak;
    return row;
}

}  // namespace

void run_spawn(Variants& vs, const Level& level) {
    vs.each(level.index, kLockSpawn, [&](Results& res) {
        log_info("bench: sched: %s: %u cpus: spawn+exit", res.variant, level.cpus);
        res.spawn[level.index] = bench_spawn_exit(level.online);
    });
}

}  // namespace sched::kbench
