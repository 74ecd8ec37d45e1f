#include "torture/sched_probe.h"

#include "arch/x86_64/cpu.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/kernel/task_memory.h"
#include "sched/scheduler.h"

namespace torture {

SchedTotals sched_totals() {
    SchedTotals t;
    sched::SchedShared& s = sched::shared();
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        const sched::SchedStats& st = s.cpu(i).stats;
        t.switches += st.context_switches.get();
        t.spawned += st.tasks_spawned.get();
        t.exited += st.tasks_exited.get();
        t.steals += st.steals_succeeded.get();
        t.migrations_in += st.tasks_migrated_in.get();
        t.wake_ipis_sent += st.ipis_sent.get();
        t.backstop_wakeups += st.backstop_wakeups.get();
        t.backstop_rescues += st.backstop_found_work.get();
        t.affinity_widened += st.affinity_widened.get();
        t.realtime_preemptions += st.realtime_preemptions.get();
        t.reclaimed += st.reclaimed.get();
    }
    core::EpochStats e = s.epoch.stats();
    t.epoch = s.epoch.epoch();
    t.epoch_advances = e.epoch_advances;
    t.epoch_pending = e.pending;
    return t;
}

uint32_t sched_cpu_count() { return sched::shared().cpu_count; }

sched::CpuMask sched_online() {
    // acquire: pairs with the seq_cst updates of the online set by hotplug.
    return sched::shared().online.load(std::memory_order_acquire);
}

bool running_within_affinity(uint32_t& cpu, bool& widened) {
    // Interrupts off: the task cannot move between reading the CPU and its own fields, and
    // only this CPU touches a running task's affinity (set_affinity, placement of it).
    arch::InterruptGuard irq_off;
    cpu = arch::this_cpu()->index;
    // relaxed: our own CPU's field.
    const sched::Task* self = sched::this_cpu_sched().current.load(std::memory_order_relaxed);
    widened = self->widened;
    return widened ? self->affinity.contains(cpu) : self->affinity_requested.contains(cpu);
}

size_t release_task_memory() { return sched::trim_task_memory(); }

}  // namespace torture
