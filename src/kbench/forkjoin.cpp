// fib(24): fork-join fib from init, each level spawning one child and joining it, at every
// CPU count of the scaling runs. Its speedup is read against the compute ceiling: the same
// fixed loop on every online CPU at once, which is what the emulator itself allows.
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"

namespace sched::kbench {
namespace {

constexpr uint32_t kFibRuns = 2;  // best of

int64_t fib_task(void* arg);

int64_t fib(int64_t n) {
    if (n < 2) return n;
    auto r = spawn(fib_task, reinterpret_cast<void*>(uintptr_t(n - 1)), {.name = "fib"});
    if (!r.ok()) return fib(n - 1) + fib(n - 2);  // out of memory: serial, still right
    int64_t b = fib(n - 2);
    return join(r.handle) + b;
}

int64_t fib_task(void* arg) { return fib(int64_t(reinterpret_cast<uintptr_t>(arg))); }

FibRow bench_fib(CpuMask online) {
    FibRow row;
    row.cpus = count_of(online);
    StatsSnapshot before = stats_now();
    for (uint32_t run = 0; run < kFibRuns; ++run) {
        uint64_t start = arch::rdtsc();
        auto r = spawn(fib_task, reinterpret_cast<void*>(uintptr_t(kFibN)), {.name = "fib"});
        int64_t result = r.ok() ? join(r.handle) : fib(kFibN);
        uint64_t cycles = arch::rdtsc() - start;
        if (run == 0 || cycles < row.cycles) row.cycles = cycles;
        if (run == 0 || result != kFibExpected) row.result = result;  // keep a wrong one visible
    }
    row.steals = (stats_now() - before).steals;
    return row;
}

// The emulator's own ceiling: one task pinned to each online CPU, no scheduler traffic
// while they run.
constexpr uint64_t kComputeIterations = 100'000'000;

int64_t compute_task(void*) {
    uint64_t x = 1;
    for (uint64_t i = 0; i < kComputeIterations; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        asm volatile("" : "+r"(x));  // keep every iteration
    }
    return int64_t(x & 1);
}

uint64_t bench_compute(CpuMask online) {
    uint64_t start = arch::rdtsc();
    run_pinned_on_each(online, compute_task, nullptr, "compute", "compute task");
    return arch::rdtsc() - start;
}

}  // namespace

void run_fib(Variants& vs, const Level& level) {
    const uint32_t l = level.index;
    vs.each(l, kLockFib, [&](Results& res) {
        log_info("bench: sched: %s: %u cpus: fib(%lld) x%u", res.variant, level.cpus, (long long)kFibN, kFibRuns);
        res.fib[l] = bench_fib(level.online);
        if (res.fib[l].result != kFibExpected) {
            log_error("bench: fib(%lld) = %lld, expected %lld", (long long)kFibN, (long long)res.fib[l].result,
                      (long long)kFibExpected);
            vs.ok = false;
        }
    });
    // The emulator's ceiling does not depend on the scheduler: once per level.
    log_info("bench: sched: %u cpus: compute baseline", level.cpus);
    uint64_t compute = bench_compute(level.online);
    for (uint32_t v = 0; v < vs.count; ++v) vs.res[v].fib[l].compute_cycles = compute;
}

}  // namespace sched::kbench
