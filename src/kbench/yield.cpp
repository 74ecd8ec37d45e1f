// yield: two tasks pinned to CPU 0 yield to each other: cycles per switch.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"

namespace sched::kbench {
namespace {

constexpr uint32_t kYieldsPerTask = 20'000;

struct YieldPair {
    std::atomic<uint32_t> arrived{0};
    std::atomic<uint64_t> first_start{~uint64_t(0)};
    std::atomic<uint64_t> last_end{0};
};

int64_t yield_task(void* arg) {
    auto* p = static_cast<YieldPair*>(arg);
    // relaxed: both tasks run on CPU 0; init reads the stamps after join(), which orders them.
    p->arrived.fetch_add(1, std::memory_order_relaxed);
    while (p->arrived.load(std::memory_order_relaxed) < 2) yield();
    uint64_t start = arch::rdtsc();
    for (uint32_t i = 0; i < kYieldsPerTask; ++i) yield();
    uint64_t end = arch::rdtsc();
    uint64_t seen = p->first_start.load(std::memory_order_relaxed);
    while (start < seen && !p->first_start.compare_exchange_weak(seen, start, std::memory_order_relaxed)) {}
    seen = p->last_end.load(std::memory_order_relaxed);
    while (end > seen && !p->last_end.compare_exchange_weak(seen, end, std::memory_order_relaxed)) {}
    return 0;
}

bool bench_yield(YieldRow& row) {
    YieldPair pair;
    SpawnOptions options{.name = "yielder", .affinity = CpuMask::single(0)};
    auto a = spawn(yield_task, &pair, options);
    auto b = spawn(yield_task, &pair, options);
    if (!a.ok() || !b.ok()) {
        log_warn("bench: yield: spawn failed: %s", to_string(a.ok() ? b.error : a.error));
        if (a.ok()) join(a.handle);  // each finishes once the other arrives; alone, it never
        return false;  // would, so this path only runs when a is the failure
    }
    join(a.handle);
    join(b.handle);
    row.switches = 2ull * kYieldsPerTask;
    // relaxed: after the joins, which order both tasks' stamps before these loads.
    row.cycles = pair.last_end.load(std::memory_order_relaxed) - pair.first_start.load(std::memory_order_relaxed);
    return true;
}

}  // namespace

void run_yield(Variants& vs) {
    vs.each(0, kLockYield, [&](Results& res) {
        log_info("bench: sched: %s: yield ping-pong on cpu 0 (%u yields per task)", res.variant, kYieldsPerTask);
        OpCosts before = costs_now();
        res.yield_ran = bench_yield(res.yield);
        res.yield_costs = costs_now() - before;
        vs.ok = vs.ok && res.yield_ran;
    });
}

}  // namespace sched::kbench
