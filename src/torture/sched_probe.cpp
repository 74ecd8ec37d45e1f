#include "torture/sched_probe.h"

#include "arch/x86_64/cpu.h"
#include "lib/log.h"
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

namespace {

const char* hotplug_name(sched::HotplugState state) {
    switch (state) {
        case sched::HotplugState::running:
            return "running";
        case sched::HotplugState::evacuate_requested:
            return "evacuate_requested";
        case sched::HotplugState::parked:
            return "parked";
        case sched::HotplugState::online_requested:
            return "online_requested";
    }
    return "?";
}

}  // namespace

void dump_cpus() {
    sched::SchedShared& s = sched::shared();
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        sched::CpuSched& cpu = s.cpu(i);
        // relaxed everywhere: a dump of a stalled system.
        const sched::Task* current = cpu.current.load(std::memory_order_relaxed);
        log_info(
            "torture: cpu %u: %s, %s, halted bit %d, current '%s', deque %lld, inbox %s, pinned %zu, realtime %zu, "
            "background %zu, next sleeper %s, held_next %s",
            i, s.online.contains(i, std::memory_order_relaxed) ? "online" : "offline",
            hotplug_name(cpu.hotplug.load(std::memory_order_relaxed)),
            s.halted.contains(i, std::memory_order_relaxed) ? 1 : 0, current ? current->name : "-",
            (long long)cpu.stealer().size_approx(), cpu.inbox.empty_approx() ? "empty" : "NOT EMPTY", cpu.pinned.size(),
            cpu.realtime.size(), cpu.background.size(), cpu.sleepers.next_deadline() == ~uint64_t(0) ? "none" : "due",
            cpu.held_next ? "set" : "none");
    }
}

void dump_task(const char* label, const sched::Task* t) {
    if (!t) return;
    log_info(
        "torture: %s: task '%s' id %llu state %s on_cpu %d queued %d last_cpu %u class %u affinity %llx "
        "requested %llx widened %d",
        label, t->name, (unsigned long long)t->id, sched::to_string(t->state.load(std::memory_order_relaxed)),
        t->on_cpu.load(std::memory_order_relaxed) ? 1 : 0, t->queued ? 1 : 0, t->last_cpu, unsigned(t->priority),
        (unsigned long long)t->affinity.word(0), (unsigned long long)t->affinity_requested.word(0), t->widened ? 1 : 0);
}

size_t release_task_memory() { return sched::trim_task_memory(); }

}  // namespace torture
