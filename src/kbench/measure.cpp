// Timing and counting helpers every benchmark uses.
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/model/cpu_sched.h"

namespace sched::kbench {
namespace {

// One SchedStats counter summed over every CPU.
uint64_t stat_total(Counter SchedStats::*counter) {
    SchedShared& s = shared();
    uint64_t n = 0;
    for (uint32_t i = 0; i < s.cpu_count; ++i) n += (s.cpu(i).stats.*counter).get();
    return n;
}

}  // namespace

// No libgcc in the kernel: 64-bit arithmetic only (cycles * 1000 fits for runs of days).
uint64_t ns_from_tsc(uint64_t cycles) {
    uint64_t mhz = arch::tsc_hz() / 1'000'000;
    return mhz ? cycles * 1000 / mhz : 0;
}

uint64_t per_second(uint64_t count, uint64_t cycles) { return cycles ? count * arch::tsc_hz() / cycles : 0; }

// CpuMask::count() would need libgcc's popcount helper.
uint32_t count_of(CpuMask mask) {
    uint32_t n = 0;
    for (uint32_t cpu = mask.next(0); cpu < kMaxCpus; cpu = mask.next(cpu + 1)) ++n;
    return n;
}

StatsSnapshot stats_now() {
    return StatsSnapshot{stat_total(&SchedStats::steals_succeeded), stat_total(&SchedStats::halts),
                         stat_total(&SchedStats::ipis_sent)};
}

StatsSnapshot operator-(const StatsSnapshot& after, const StatsSnapshot& before) {
    return StatsSnapshot{after.steals - before.steals, after.halts - before.halts, after.ipis - before.ipis};
}

namespace {

CostRow cost_total(OpCost SchedStats::*cost) {
    SchedShared& s = shared();
    CostRow row;
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        const OpCost& c = s.cpu(i).stats.*cost;
        row.count += c.count.get();
        row.ticks += c.ticks.get();
        row.outliers += c.outliers.get();
    }
    return row;
}

CostRow operator-(const CostRow& after, const CostRow& before) {
    return CostRow{after.count - before.count, after.ticks - before.ticks, after.outliers - before.outliers};
}

}  // namespace

OpCosts costs_now() {
    return OpCosts{cost_total(&SchedStats::pick_cost), cost_total(&SchedStats::steal_cost),
                   cost_total(&SchedStats::wake_cost)};
}

OpCosts operator-(const OpCosts& after, const OpCosts& before) {
    return OpCosts{after.pick - before.pick, after.steal - before.steal, after.wake - before.wake};
}

uint64_t ticks_for_instructions(uint32_t instructions) {
    uint32_t n = instructions / 2;  // one dec and one jnz per turn
    uint64_t start = arch::rdtsc();
    asm volatile("1: dec %0\n\tjnz 1b" : "+r"(n) : : "cc");
    return arch::rdtsc() - start;
}

uint32_t run_pinned_on_each(CpuMask online, TaskFn fn, void* const* args, const char* name, const char* role) {
    TaskHandle handles[kMaxLevels];
    uint32_t count = 0;
    for (uint32_t cpu = online.next(0); cpu < kMaxCpus; cpu = online.next(cpu + 1)) {
        auto r = spawn(fn, args ? args[count] : nullptr, {.name = name, .affinity = CpuMask::single(cpu)});
        if (!r.ok()) {
            log_warn("bench: spawn of the %s for cpu %u failed: %s", role, cpu, to_string(r.error));
            continue;
        }
        handles[count++] = static_cast<TaskHandle&&>(r.handle);
    }
    for (uint32_t i = 0; i < count; ++i) join(handles[i]);
    return count;
}

}  // namespace sched::kbench
