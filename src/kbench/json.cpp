// One variant's figures as one JSON object between "BENCH-JSON-BEGIN sched" and
// "BENCH-JSON-END"; bench/kernel_sched.py reads it, so its keys and line breaks are a
// format. Cycles are TSC cycles. A benchmark that was not asked for prints no runs.
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/model/cpu_sched.h"

namespace sched::kbench {
namespace {

constexpr const char* kLockSlotNames[kLockSlots] = {"spawn_exit", "fib", "uts_t1", "uts_t3", "messaging", "yield"};

// Rows go out highest CPU count first, i.e. from index n-1 down: comma before all but that.
const char* separator(uint32_t i, uint32_t n) { return i + 1 == n ? "" : ", "; }

// How many per-level rows of the benchmarks `bits` to print.
uint32_t levels_of(const Results& res, uint32_t bits) { return (res.ran & bits) ? res.levels : 0u; }

void print_spawn(const Results& res) {
    klog::print(" \"spawn_exit\": [");
    for (uint32_t n = levels_of(res, kBenchSpawn), i = n; i-- > 0;) {
        const SpawnResultRow& s = res.spawn[i];
        klog::print(
            "%s{\"cpus\": %u, \"tasks\": %u, \"failed\": %u, \"cycles\": %llu, \"steals\": %llu, "
            "\"halts\": %llu, \"ipis\": %llu, \"stacks_before\": %llu, \"peak_stacks\": %llu}",
            separator(i, n), s.cpus, s.tasks, s.failed, (unsigned long long)s.cycles, (unsigned long long)s.steals,
            (unsigned long long)s.halts, (unsigned long long)s.ipis, (unsigned long long)s.stacks_before,
            (unsigned long long)s.peak_stacks);
    }
    klog::print("],\n");
}

void print_fib(const Results& res) {
    klog::print(" \"fib\": {\"n\": %lld, \"expected\": %lld, \"runs\": [", (long long)kFibN, (long long)kFibExpected);
    for (uint32_t n = levels_of(res, kBenchFib), i = n; i-- > 0;) {
        const FibRow& f = res.fib[i];
        klog::print(
            "%s{\"cpus\": %u, \"cycles\": %llu, \"result\": %lld, \"steals\": %llu, "
            "\"compute_cycles\": %llu}",
            separator(i, n), f.cpus, (unsigned long long)f.cycles, (long long)f.result, (unsigned long long)f.steals,
            (unsigned long long)f.compute_cycles);
    }
    klog::print("]},\n");
}

void print_uts(const Results& res) {
    klog::print(" \"uts\": [");
    for (uint32_t t = 0; t < (levels_of(res, kBenchUts) ? kUtsTrees : 0u); ++t) {
        klog::print("%s{\"tree\": \"%s\", \"expected_nodes\": %llu, \"runs\": [", t ? ", " : "",
                    kUtsCases[t].tree->name, (unsigned long long)kUtsCases[t].expected_nodes);
        for (uint32_t i = res.levels; i-- > 0;) {
            const UtsRow& u = res.uts[t][i];
            klog::print("%s{\"cpus\": %u, \"cycles\": %llu, \"nodes\": %llu, \"peak_stacks\": %llu, \"inlined\": %llu}",
                        separator(i, res.levels), res.spawn[i].cpus, (unsigned long long)u.cycles,
                        (unsigned long long)u.nodes, (unsigned long long)u.peak_stacks, (unsigned long long)u.inlined);
        }
        klog::print("]}");
    }
    klog::print("],\n");
}

void print_messaging(const Results& res) {
    klog::print(" \"messaging\": {\"groups\": %u, \"senders\": %u, \"receivers\": %u, \"loops\": %u, \"runs\": [",
                kMsgGroups, kMsgPerSide, kMsgPerSide, kMsgLoops);
    for (uint32_t n = levels_of(res, kBenchMessaging), i = n; i-- > 0;) {
        klog::print("%s{\"cpus\": %u, \"cycles\": %llu, \"messages\": %llu, \"checksum_ok\": %s}", separator(i, n),
                    res.spawn[i].cpus, (unsigned long long)res.msg[i].cycles, (unsigned long long)res.msg[i].messages,
                    res.msg[i].checksum_ok ? "true" : "false");
    }
    klog::print("]},\n");
}

void print_yield(const Results& res) {
    if (res.yield_ran) {
        klog::print(" \"yield\": {\"switches\": %llu, \"cycles\": %llu},\n", (unsigned long long)res.yield.switches,
                    (unsigned long long)res.yield.cycles);
    } else {
        klog::print(" \"yield\": null,\n");
    }
}

// The locked variant's queue locks: [acquisitions, of which waited] per benchmark; no key
// at all when no lock was taken (the lock-free variant).
void print_queue_locks(const Results& res) {
    bool any_locks = false;
    for (uint32_t i = 0; i < res.levels; ++i)
        for (uint32_t s = 0; s < kLockSlots; ++s) any_locks = any_locks || res.locks[i][s].taken;
    if (!any_locks) return;
    klog::print(" \"queue_locks\": [");
    for (uint32_t i = res.levels; i-- > 0;) {
        klog::print("%s{\"cpus\": %u", separator(i, res.levels), res.spawn[i].cpus);
        for (uint32_t s = 0; s < kLockSlots; ++s) {
            if (s == kLockYield && i != 0) continue;
            klog::print(", \"%s\": [%llu, %llu]", kLockSlotNames[s], (unsigned long long)res.locks[i][s].taken,
                        (unsigned long long)res.locks[i][s].contended);
        }
        klog::print("}");
    }
    klog::print("],\n");
}

void print_costs(const OpCosts& c) {
    const CostRow* rows[3] = {&c.pick, &c.steal, &c.wake};
    const char* names[3] = {"pick", "steal", "wake"};
    for (uint32_t i = 0; i < 3; ++i)
        klog::print("%s\"%s\": [%llu, %llu, %llu]", i ? ", " : "{", names[i], (unsigned long long)rows[i]->count,
                    (unsigned long long)rows[i]->ticks, (unsigned long long)rows[i]->outliers);
    klog::print("}");
}

// The OpCost counters ([operations, ticks, outliers left out]) of each timed run, and the check that a tick
// is an instruction (under -icount shift=0 the two calibration figures agree but for the
// few instructions of the rdtsc pair).
void print_op_costs(const Results& res) {
    constexpr uint32_t kCalibration = 200'000;
    klog::print(" \"op_costs\": {\"calibration\": {\"instructions\": %u, \"ticks\": %llu},\n  \"spawn_exit\": [",
                kCalibration, (unsigned long long)ticks_for_instructions(kCalibration));
    for (uint32_t n = levels_of(res, kBenchSpawn), i = n; i-- > 0;) {
        klog::print("%s{\"cpus\": %u, \"costs\": ", separator(i, n), res.spawn[i].cpus);
        print_costs(res.spawn[i].costs);
        klog::print("}");
    }
    klog::print("],\n  \"yield\": ");
    if (res.yield_ran)
        print_costs(res.yield_costs);
    else
        klog::print("null");
    klog::print(",\n  \"wake\": [");
    bool first = true;
    for (uint32_t w = 0; w < 2; ++w) {
        if (!res.wake[w].ran) continue;
        klog::print("%s{\"target\": \"%s\", \"costs\": ", first ? "" : ", ", res.wake[w].mode);
        print_costs(res.wake_costs[w]);
        klog::print("}");
        first = false;
    }
    klog::print("]},\n");
}

void print_wake(const Results& res) {
    klog::print(" \"wake\": [");
    bool first = true;
    for (const WakeRow& w : res.wake) {
        if (!w.ran) continue;
        klog::print(
            "%s{\"target\": \"%s\", \"samples\": %u, \"not_blocked\": %u, \"p50\": %llu, \"p99\": %llu, "
            "\"p999\": %llu, \"max\": %llu, \"ipis\": %llu, \"hist_log2\": [",
            first ? "" : ", ", w.mode, w.samples, w.no_block, (unsigned long long)w.p50, (unsigned long long)w.p99,
            (unsigned long long)w.p999, (unsigned long long)w.max, (unsigned long long)w.ipis);
        // Samples per log2 bucket of cycles: bucket i counts [2^i, 2^(i+1)).
        for (uint32_t b = 0; b < kHistBuckets; ++b) klog::print("%s%u", b ? ", " : "", w.hist[b]);
        klog::print("]}");
        first = false;
    }
    klog::print("]}\n");
}

}  // namespace

void print_json(const Results& res, const char* accel) {
    klog::print("BENCH-JSON-BEGIN sched\n");
    klog::print(
        "{\"bench\": \"sched\", \"variant\": \"%s\", \"accelerator\": \"%s\", \"cpus\": %u, \"tsc_hz\": %llu, "
        "\"timeslice_us\": %llu, \"spin_us\": %llu,\n",
        res.variant, accel, shared().cpu_count, (unsigned long long)arch::tsc_hz(),
        (unsigned long long)(ns_from_tsc(shared().config.timeslice_tsc) / 1000),
        (unsigned long long)(ns_from_tsc(shared().config.spin_tsc) / 1000));
    print_spawn(res);
    print_fib(res);
    print_uts(res);
    print_messaging(res);
    print_yield(res);
    print_queue_locks(res);
    print_op_costs(res);
    print_wake(res);
    klog::print("BENCH-JSON-END\n");
}

}  // namespace sched::kbench
