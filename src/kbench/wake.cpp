// wake: a task pinned to CPU 1 blocks on a semaphore; a task pinned to CPU 0 waits until it
// is blocked, then stamps the TSC and ups the semaphore; the woken task stamps again when
// it runs. Two target states: "halted" (the waker sleeps kHaltGapNs first, so CPU 1 has
// stopped spinning and halted: an IPI wakes it) and "polling" (the waker ups at once,
// while CPU 1 still spins in its idle loop: no IPI needed). The IPIs sent during each run
// are reported, so the table shows which path each run really took.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "lib/sort.h"
#include "mm/heap.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/model/cpu_sched.h"
#include "sched/sync/semaphore.h"

namespace sched::kbench {
namespace {

constexpr uint32_t kWakeRounds = 2'000;
constexpr uint64_t kHaltGapNs = 300'000;  // well past the 30 us idle spin

struct WakeRun {
    Semaphore sem{0};
    bool halted = false;
    uint64_t* samples = nullptr;
    Task* waiter = nullptr;
    // Round handshake. release/acquire pairs: `ready` (waiter -> waker: about to block on
    // round r), `done` (waiter -> waker: sample r written). `stamp` is published to the
    // waiter by the semaphore (up's release, down's acquire), so it can be relaxed.
    std::atomic<uint32_t> ready{0};
    std::atomic<uint32_t> done{0};
    std::atomic<uint64_t> stamp{0};
    uint32_t no_block = 0;  // rounds where the waiter was not blocked when woken (not sampled)
};

int64_t wake_waiter(void* arg) {
    auto* w = static_cast<WakeRun*>(arg);
    for (uint32_t r = 1; r <= kWakeRounds; ++r) {
        w->ready.store(r, std::memory_order_release);  // release: pairs with the waker's acquire
        w->sem.down();
        uint64_t now = arch::rdtsc();
        w->samples[r - 1] = now - w->stamp.load(std::memory_order_relaxed);
        w->done.store(r, std::memory_order_release);  // release: the sample, for init after join
    }
    return 0;
}

int64_t wake_waker(void* arg) {
    auto* w = static_cast<WakeRun*>(arg);
    for (uint32_t r = 1; r <= kWakeRounds; ++r) {
        // acquire: pairs with the waiter's release of `ready`.
        while (w->ready.load(std::memory_order_acquire) != r) arch::cpu_relax();
        // Wait until it has really blocked (the switch away publishes `blocked`); a bounded
        // wait, since a round where it never blocks is counted, not sampled.
        uint64_t limit = arch::rdtsc() + arch::tsc_hz() / 10;
        // acquire: pairs with the store of the blocked state in the wait path.
        while (w->waiter->state.load(std::memory_order_acquire) != TaskState::blocked && arch::rdtsc() < limit)
            arch::cpu_relax();
        if (w->waiter->state.load(std::memory_order_acquire) != TaskState::blocked) ++w->no_block;
        if (w->halted) sleep_for(kHaltGapNs);
        w->stamp.store(arch::rdtsc(), std::memory_order_relaxed);  // published by up()'s release
        w->sem.up();
        // acquire: pairs with the waiter's release of `done`.
        while (w->done.load(std::memory_order_acquire) != r) arch::cpu_relax();
    }
    return 0;
}

// Percentiles and the log2 histogram of the samples (sorted in place).
void summarize(uint64_t* samples, WakeRow& row) {
    row.samples = kWakeRounds;
    lib::insertion_sort(samples, kWakeRounds);
    row.p50 = samples[kWakeRounds / 2];
    row.p99 = samples[kWakeRounds * 99 / 100];
    row.p999 = samples[kWakeRounds * 999 / 1000];
    row.max = samples[kWakeRounds - 1];
    for (uint32_t i = 0; i < kWakeRounds; ++i) {
        uint32_t b = samples[i] ? uint32_t(63 - __builtin_clzll(samples[i])) : 0;
        ++row.hist[b < kHistBuckets ? b : kHistBuckets - 1];
    }
}

// The waiter on CPU 1 and the waker on CPU 0, joined. False when one could not start.
bool run_pair(WakeRun& run) {
    auto waiter = spawn(wake_waiter, &run, {.name = "wake-waiter", .affinity = CpuMask::single(1)});
    if (!waiter.ok()) {
        log_warn("bench: wake: spawn failed: %s", to_string(waiter.error));
        return false;
    }
    run.waiter = waiter.handle.task();
    auto waker = spawn(wake_waker, &run, {.name = "wake-waker", .affinity = CpuMask::single(0)});
    if (!waker.ok()) {
        // The waiter blocks on round 1 forever without its waker: say so and give up on it.
        log_warn("bench: wake: spawn of the waker failed: %s; waiter left blocked", to_string(waker.error));
        return false;
    }
    join(waker.handle);
    join(waiter.handle);
    return true;
}

bool bench_wake(bool halted, WakeRow& row) {
    row.mode = halted ? "halted" : "polling";
    auto* samples = static_cast<uint64_t*>(mm::kmalloc(kWakeRounds * sizeof(uint64_t)));
    if (samples == nullptr) {
        log_warn("bench: wake: no memory for %u samples", kWakeRounds);
        return false;
    }
    WakeRun run;
    run.halted = halted;
    run.samples = samples;
    StatsSnapshot before = stats_now();
    if (!run_pair(run)) {
        if (run.waiter == nullptr) mm::kfree(samples);  // else the blocked waiter still holds them
        return false;
    }
    row.ipis = (stats_now() - before).ipis;
    row.no_block = run.no_block;
    summarize(samples, row);
    row.ran = true;
    mm::kfree(samples);
    return true;
}

}  // namespace

void run_wake(Variants& vs) {
    if (shared().cpu_count < 2) {
        log_info("bench: sched: cross-cpu wake needs 2 cpus; skipped on 1");
        return;
    }
    for (int halted = 1; halted >= 0; --halted) {
        vs.each(0, kLockSlots, [&](Results& res) {
            log_info("bench: sched: %s: cross-cpu wake cpu 0 -> cpu 1, target %s (%u rounds)", res.variant,
                     halted ? "halted" : "polling", kWakeRounds);
            OpCosts before = costs_now();
            vs.ok = bench_wake(halted == 1, res.wake[halted ? 0 : 1]) && vs.ok;
            res.wake_costs[halted ? 0 : 1] = costs_now() - before;
        });
    }
}

}  // namespace sched::kbench
