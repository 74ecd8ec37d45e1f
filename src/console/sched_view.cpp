#include "console/sched_view.h"

#include "arch/x86_64/cpu.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"

namespace console {

uint32_t sched_cpu_count() { return sched::started() ? sched::shared().cpu_count : 0; }

bool sched_cpu_view(uint32_t index, CpuView& out) {
    if (index >= sched_cpu_count()) return false;
    sched::SchedShared& s = sched::shared();
    const sched::CpuSched& cpu = s.cpu(index);
    const sched::SchedStats& st = cpu.stats;
    out.online = s.online.contains(index, std::memory_order_relaxed);  // relaxed: a display
    out.parked = cpu.hotplug.load(std::memory_order_relaxed) == sched::HotplugState::parked;
    out.switches = st.context_switches.get();
    out.steals = st.steals_succeeded.get();
    out.steal_tries = st.steals_tried.get();
    out.halts = st.halts.get();
    out.idle_cycles = st.idle_cycles.get() + st.halted_cycles.get();
    out.spawned = st.tasks_spawned.get();
    out.exited = st.tasks_exited.get();
    // Interrupts off while we hold the pointer: this CPU passes no quiescent point, so a task
    // that exits meanwhile is not freed before we are done (its grace period waits for us).
    arch::InterruptGuard irq_off;
    const sched::Task* task = cpu.current.load(std::memory_order_acquire);  // acquire: its name is set
    out.current_id = 0;
    out.current[0] = '\0';
    if (task) {
        out.current_id = task->id;
        size_t i = 0;
        for (; i + 1 < sizeof out.current && i < sizeof task->name && task->name[i] != '\0'; ++i) {
            const char c = task->name[i];
            out.current[i] = c >= 0x20 && c < 0x7f ? c : '?';
        }
        out.current[i] = '\0';
    }
    return true;
}

uint64_t sched_live_tasks() {
    int64_t alive = 0;
    for (uint32_t i = 0; i < sched_cpu_count(); ++i) {
        const sched::SchedStats& st = sched::shared().cpu(i).stats;
        alive += int64_t(st.tasks_spawned.get()) - int64_t(st.tasks_exited.get());
    }
    return alive > 0 ? uint64_t(alive) : 0;
}

}  // namespace console
