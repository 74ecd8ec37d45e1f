// The console dump of the scheduler counters ("Metrics"): one row per CPU, the totals, and
// the epoch statistics. Racy by design: every counter is a single-writer relaxed atomic.
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/log.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/watchdog.h"

namespace sched {
namespace {

struct Row {
    uint64_t switches = 0, run = 0, steals_tried = 0, steals_won = 0, migrated_in = 0, migrated_out = 0;
    uint64_t ipis_sent = 0, ipis_received = 0, ipis_skipped = 0, halts = 0, idle_mcycles = 0, ticks = 0;
    uint64_t spawned = 0, exited = 0;

    void add(const Row& o) {
        switches += o.switches;
        run += o.run;
        steals_tried += o.steals_tried;
        steals_won += o.steals_won;
        migrated_in += o.migrated_in;
        migrated_out += o.migrated_out;
        ipis_sent += o.ipis_sent;
        ipis_received += o.ipis_received;
        ipis_skipped += o.ipis_skipped;
        halts += o.halts;
        idle_mcycles += o.idle_mcycles;
        ticks += o.ticks;
        spawned += o.spawned;
        exited += o.exited;
    }
};

Row row_of(const CpuSched& cpu) {
    const SchedStats& st = cpu.stats;
    Row r;
    r.switches = st.context_switches.get();
    r.run = st.tasks_run.get();
    r.steals_tried = st.steals_tried.get();
    r.steals_won = st.steals_succeeded.get();
    r.migrated_in = st.tasks_migrated_in.get();
    r.migrated_out = st.tasks_migrated_out.get();
    r.ipis_sent = st.ipis_sent.get();
    r.ipis_received = st.wake_ipis_received.get();
    r.ipis_skipped = st.ipis_skipped_awake.get() + st.ipis_skipped_polling.get() + st.ipis_skipped_none_idle.get();
    r.halts = st.halts.get();
    r.idle_mcycles = (st.idle_cycles.get() + st.halted_cycles.get()) / 1000000;
    r.ticks = arch::cpu(cpu.index).timer_ticks;
    r.spawned = st.tasks_spawned.get();
    r.exited = st.tasks_exited.get();
    return r;
}

void print_row(const char* label, const Row& r) {
    klog::print("%-6s %9llu %9llu %7llu/%-7llu %6llu/%-6llu %7llu %7llu %7llu %7llu %9llu %7llu %8llu/%-8llu\n", label,
                (unsigned long long)r.switches, (unsigned long long)r.run, (unsigned long long)r.steals_won,
                (unsigned long long)r.steals_tried, (unsigned long long)r.migrated_in,
                (unsigned long long)r.migrated_out, (unsigned long long)r.ipis_sent,
                (unsigned long long)r.ipis_received, (unsigned long long)r.ipis_skipped, (unsigned long long)r.halts,
                (unsigned long long)r.idle_mcycles, (unsigned long long)r.ticks, (unsigned long long)r.spawned,
                (unsigned long long)r.exited);
}

}  // namespace

void dump_metrics() {
    if (!started()) {
        klog::print("sched: not started; no metrics\n");
        return;
    }
    SchedShared& s = shared();
    klog::print("sched metrics (tsc %llu Hz):\n", (unsigned long long)arch::tsc_hz());
    klog::print("%-6s %9s %9s %15s %13s %7s %7s %7s %7s %9s %7s %17s\n", "cpu", "switches", "run", "steals won/try",
                "migr in/out", "ipi-tx", "ipi-rx", "ipi-skp", "halts", "idle-Mcyc", "ticks", "spawned/exited");
    Row total;
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        Row r = row_of(s.cpu(i));
        char label[8];
        ksnprintf(label, sizeof label, "%u", i);
        print_row(label, r);
        total.add(r);
    }
    print_row("total", total);
    uint64_t detours = 0;
    for (uint32_t i = 0; i < s.cpu_count; ++i) detours += s.cpu(i).stats.idle_detours.get();
    // schedule.cpp: a pick of a task another CPU was still leaving, taken through idle.
    klog::print("idle detours: %llu\n", (unsigned long long)detours);
    klog::print("epoch pending per cpu:");
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        const CpuSched& cpu = s.cpu(i);
        // Racy read of another CPU's participant: a diagnostic only.
        klog::print(" %llu", cpu.epoch ? (unsigned long long)cpu.epoch->pending() : 0ull);
    }
    klog::print("\n");
    core::EpochStats e = s.epoch.stats();
    klog::print("epoch: %llu retired, %llu freed, %llu pending, %llu advances (now %llu)\n",
                (unsigned long long)e.retired, (unsigned long long)e.freed, (unsigned long long)e.pending,
                (unsigned long long)e.epoch_advances, (unsigned long long)s.epoch.epoch());
    if (watchdog::enabled()) {
        // Probes and late looks are the detector's doubts, not reports: a vCPU the host
        // stopped for a bound is probed, and a stall of the whole VM makes looks late.
        watchdog::Counts w = watchdog::counts();
        klog::print(
            "watchdog: bound %u ms; %llu hard lockups, %llu soft lockups; %llu probes (%llu answered), %llu stale "
            "alarms, %llu late looks\n",
            watchdog::threshold_ms(), (unsigned long long)w.hard_lockups, (unsigned long long)w.soft_lockups,
            (unsigned long long)w.probes_sent, (unsigned long long)w.probes_answered,
            (unsigned long long)w.stale_alarms, (unsigned long long)w.late_looks);
    }
}

}  // namespace sched
