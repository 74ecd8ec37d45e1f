// The scaling runs: spawn+exit, fib, UTS and messaging at k = N, N-1, ..., 1 CPUs in one
// boot. The CPUs above k are taken offline through hotplug, so every k runs the real deque
// and stealing paths (an affinity mask would put the tasks on pinned lists).
#include <atomic>
#include <cstdint>

#include "kbench/bench.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/model/cpu_sched.h"

namespace sched::kbench {
namespace {

// The benchmarks of `which` at one CPU count, in table order.
void run_level(Variants& vs, uint32_t which, const Level& level) {
    for (uint32_t v = 0; v < vs.count; ++v) {
        vs.res[v].spawn[level.index].cpus = level.cpus;
        vs.res[v].fib[level.index].cpus = level.cpus;
    }
    if (which & kBenchSpawn) run_spawn(vs, level);
    if (which & kBenchFib) run_fib(vs, level);
    if (which & kBenchUts) run_uts(vs, level);
    if (which & kBenchMessaging) run_messaging(vs, level);
    for (uint32_t v = 0; v < vs.count; ++v) vs.res[v].levels = level.index + 1;
}

// Takes the highest online AP offline and out of `online`; returns it, or 0 when there is
// none or hotplug refused (logged).
uint32_t offline_highest_ap(CpuMask& online, uint32_t cpus) {
    uint32_t top = 0;
    for (uint32_t cpu = online.next(1); cpu < kMaxCpus; cpu = online.next(cpu + 1)) top = cpu;
    if (top == 0) return 0;
    HotplugError e = cpu_offline(top);
    if (e != HotplugError::none) {
        log_warn("bench: cpu_offline(%u) failed: %s; stopping the scaling runs at %u cpus", top, to_string(e), cpus);
        return 0;
    }
    online.remove(top);
    return top;
}

}  // namespace

void run_scaling(Variants& vs, uint32_t which) {
    CpuMask online = shared().online.load(std::memory_order_acquire);  // acquire: as hotplug publishes it
    log_info("bench: sched: %u cpus online; the scaling runs at %u down to 1 cpus", count_of(online), count_of(online));
    // Highest CPU count first; after each level the highest online AP goes offline.
    uint32_t offlined[kMaxLevels];
    uint32_t offlined_count = 0;
    for (uint32_t l = 0;; ++l) {
        Level level{l, count_of(online), online};
        run_level(vs, which, level);
        if (level.cpus <= 1 || vs.stopped) break;
        uint32_t cpu = offline_highest_ap(online, level.cpus);
        if (cpu == 0) break;
        offlined[offlined_count++] = cpu;
    }
    for (uint32_t i = offlined_count; i-- > 0;) {
        HotplugError e = cpu_online(offlined[i]);
        if (e != HotplugError::none) {
            log_error("bench: cpu_online(%u) failed: %s", offlined[i], to_string(e));
            vs.ok = false;
        }
    }
}

}  // namespace sched::kbench
