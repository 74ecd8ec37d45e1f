// The human-readable reports: one table per variant and, with both variants, how many
// times better the lock-free scheduler did than the locked one. The JSON is in json.cpp.
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "lib/libc.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/model/cpu_sched.h"

namespace sched::kbench {
namespace {

// "tcg", "kvm", another hypervisor's CPUID signature, or "none" on bare metal.
void accelerator_name(char (&out)[16]) {
    if (!arch::cpuinfo().features.hypervisor) {
        memcpy(out, "none", 5);
        return;
    }
    arch::CpuidRegs r = arch::cpuid(0x40000000);
    char sig[13] = {};
    memcpy(sig + 0, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    if (memcmp(sig, "TCGTCGTCGTCG", 12) == 0) {
        memcpy(out, "tcg", 4);
    } else if (memcmp(sig, "KVMKVMKVM", 9) == 0) {
        memcpy(out, "kvm", 4);
    } else {
        uint32_t n = 0;
        for (char c : sig) {
            if (c >= 0x21 && c <= 0x7e && n + 1 < sizeof out) out[n++] = c;  // JSON-safe
        }
        out[n] = '\0';
    }
}

// ---------------------------------------------------------------- the table

// Per CPU count: spawn+exit against 1 CPU, fib against 1 CPU, UTS and messaging times.
void print_scaling_rows(const Results& res) {
    const FibRow* fib_one = nullptr;
    const SpawnResultRow* spawn_one = nullptr;
    for (uint32_t i = 0; i < res.levels; ++i) {
        if (res.fib[i].cpus == 1) fib_one = &res.fib[i];
        if (res.spawn[i].cpus == 1) spawn_one = &res.spawn[i];
    }
    klog::print("  cpus  spawn+exit tasks/s  (x 1 cpu)  fib(%lld) ms  speedup  steals  %s ms  %s ms  messaging ms\n",
                (long long)kFibN, kUtsCases[0].tree->name, kUtsCases[1].tree->name);
    for (uint32_t i = res.levels; i-- > 0;) {
        const SpawnResultRow& s = res.spawn[i];
        const FibRow& f = res.fib[i];
        uint64_t tps = per_second(s.tasks, s.cycles);
        uint64_t tps_one = spawn_one ? per_second(spawn_one->tasks, spawn_one->cycles) : 0;
        uint64_t scale100 = tps_one ? tps * 100 / tps_one : 0;
        uint64_t speed100 = fib_one && f.cycles ? fib_one->cycles * 100 / f.cycles : 0;
        klog::print("  %4u  %18llu  %6llu.%02llu  %11llu  %3llu.%02llu  %6llu  %8llu  %10llu  %12llu\n", s.cpus,
                    (unsigned long long)tps, (unsigned long long)(scale100 / 100), (unsigned long long)(scale100 % 100),
                    (unsigned long long)(ns_from_tsc(f.cycles) / 1'000'000), (unsigned long long)(speed100 / 100),
                    (unsigned long long)(speed100 % 100), (unsigned long long)f.steals,
                    (unsigned long long)(ns_from_tsc(res.uts[0][i].cycles) / 1'000'000),
                    (unsigned long long)(ns_from_tsc(res.uts[1][i].cycles) / 1'000'000),
                    (unsigned long long)(ns_from_tsc(res.msg[i].cycles) / 1'000'000));
    }
}

// The locked variant's queue locks per CPU count, all benchmarks together.
void print_lock_lines(const Results& res) {
    for (uint32_t i = res.levels; i-- > 0;) {
        uint64_t taken = 0, contended = 0;
        for (uint32_t s = 0; s < kLockSlots; ++s) {
            taken += res.locks[i][s].taken;
            contended += res.locks[i][s].contended;
        }
        if (!taken) continue;
        uint64_t per10k = contended * 10'000 / taken;
        klog::print("  %u cpus: %llu queue-lock acquisitions, %llu.%02llu%% of them waited\n", res.spawn[i].cpus,
                    (unsigned long long)taken, (unsigned long long)(per10k / 100), (unsigned long long)(per10k % 100));
    }
}

void print_yield_and_wake_lines(const Results& res) {
    if (res.yield_ran) {
        klog::print("  yield: %llu switches, %llu cycles/switch (%llu ns)\n", (unsigned long long)res.yield.switches,
                    (unsigned long long)(res.yield.cycles / res.yield.switches),
                    (unsigned long long)ns_from_tsc(res.yield.cycles / res.yield.switches));
    }
    for (const WakeRow& w : res.wake) {
        if (!w.ran) continue;
        klog::print(
            "  wake %-7s: %u rounds, cycles p50 %llu p99 %llu p99.9 %llu max %llu (p50 %llu us, p99 %llu us); "
            "%llu ipis sent, %u rounds not blocked yet\n",
            w.mode, w.samples, (unsigned long long)w.p50, (unsigned long long)w.p99, (unsigned long long)w.p999,
            (unsigned long long)w.max, (unsigned long long)(ns_from_tsc(w.p50) / 1000),
            (unsigned long long)(ns_from_tsc(w.p99) / 1000), (unsigned long long)w.ipis, w.no_block);
    }
}

// ---------------------------------------------------------------- the ratios

// Time or cycles: locked / lock-free, in hundredths; 0 when lock-free has no figure.
uint64_t ratio100(uint64_t lockfree, uint64_t locked) { return lockfree ? locked * 100 / lockfree : 0; }

void print_x(const char* what, uint64_t x100) {
    if (x100 == 0) return;  // not run under both
    klog::print("  %-28s %4llu.%02llux\n", what, (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
}

// Throughput, the other way round: tasks per cycle, lock-free over locked.
uint64_t spawn_ratio100(const SpawnResultRow& lf, const SpawnResultRow& lk) {
    uint64_t lf_rate = lf.cycles ? lf.tasks * 1'000'000'000ull / lf.cycles : 0;
    uint64_t lk_rate = lk.cycles ? lk.tasks * 1'000'000'000ull / lk.cycles : 0;
    return lk_rate ? lf_rate * 100 / lk_rate : 0;
}

void print_level_ratios(const Results& lf, const Results& lk, uint32_t i) {
    char what[48];
    uint32_t k = lf.spawn[i].cpus;
    ksnprintf(what, sizeof what, "%u cpus: spawn+exit", k);
    print_x(what, spawn_ratio100(lf.spawn[i], lk.spawn[i]));
    ksnprintf(what, sizeof what, "%u cpus: fib(%lld)", k, (long long)kFibN);
    print_x(what, ratio100(lf.fib[i].cycles, lk.fib[i].cycles));
    for (uint32_t t = 0; t < kUtsTrees; ++t) {
        ksnprintf(what, sizeof what, "%u cpus: UTS %s", k, kUtsCases[t].tree->name);
        print_x(what, ratio100(lf.uts[t][i].cycles, lk.uts[t][i].cycles));
    }
    ksnprintf(what, sizeof what, "%u cpus: messaging", k);
    print_x(what, ratio100(lf.msg[i].cycles, lk.msg[i].cycles));
}

struct WakePercentile {
    const char* label;
    uint64_t WakeRow::*cycles;
};
constexpr WakePercentile kWakePercentiles[] = {
    {"p50", &WakeRow::p50}, {"p99", &WakeRow::p99}, {"p99.9", &WakeRow::p999}};

void print_wake_ratios(const WakeRow& lf, const WakeRow& lk) {
    if (!lf.ran || !lk.ran) return;
    char what[48];
    for (const WakePercentile& p : kWakePercentiles) {
        ksnprintf(what, sizeof what, "wake %s %s", lf.mode, p.label);
        print_x(what, ratio100(lf.*p.cycles, lk.*p.cycles));
    }
}

// Both variants ran: lock-free against locked, per figure, as "x" = how many times better
// the lock-free scheduler did (time and cycles: locked / lock-free; throughput the other
// way round), so above 1 means lock-free won.
void print_ratios(const Results& lf, const Results& lk) {
    klog::print("bench: lock-free against locked (above 1.00x: lock-free better)\n");
    for (uint32_t i = lf.levels; i-- > 0;) {
        if (i < lk.levels && lf.spawn[i].cpus == lk.spawn[i].cpus) print_level_ratios(lf, lk, i);
    }
    if (lf.yield_ran && lk.yield_ran) print_x("yield cycles/switch", ratio100(lf.yield.cycles, lk.yield.cycles));
    for (uint32_t w = 0; w < 2; ++w) print_wake_ratios(lf.wake[w], lk.wake[w]);
}

}  // namespace

void print_table(const Results& res, const char* accel) {
    klog::print("bench sched (%s): accelerator %s, %u cpus, tsc %llu MHz\n", res.variant, accel, shared().cpu_count,
                (unsigned long long)(arch::tsc_hz() / 1'000'000));
    print_scaling_rows(res);
    print_lock_lines(res);
    print_yield_and_wake_lines(res);
}

void print_reports(const Results* res, uint32_t count) {
    char accel[16];
    accelerator_name(accel);
    for (uint32_t v = 0; v < count; ++v) {
        print_table(res[v], accel);
        print_json(res[v], accel);
    }
    if (count == 2 && res[0].levels && res[1].levels) print_ratios(res[0], res[1]);
}

}  // namespace sched::kbench
