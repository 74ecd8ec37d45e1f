// Blocking preemption ("Preemption, timers and sleep"): preempt_disable() keeps the tick
// and the reschedule IPI from switching the calling task away. The count is per CPU, not
// per task: a task that blocked preemption cannot leave its CPU until it unblocks it (it
// may not block, and nothing else moves it), so the CPU's count is the task's.
#include "arch/x86_64/cpu.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"

namespace sched {

PreemptState g_preempt[kMaxCpus];

void defer_preemption(CpuSched& me) { g_preempt[me.index].pending = true; }

void preempt_disable() {
    arch::InterruptGuard irq_off;  // no tick between reading the CPU and counting on it
    ++g_preempt[this_cpu_sched().index].depth;
}

void preempt_enable() {
    // A caller with interrupts off (inside an IrqSaveLocker, say) cannot be switched away
    // here; the tick preempts it at its next slice end instead, as for any task.
    bool preemptible = arch::interrupts_enabled();
    arch::InterruptGuard irq_off;
    CpuSched& me = this_cpu_sched();
    PreemptState& state = g_preempt[me.index];
    SCHED_VERIFY(state.depth != 0, "preempt_enable_balanced");
    if (--state.depth != 0 || !state.pending) return;
    state.pending = false;
    if (preemptible) schedule(PickReason::preempted);  // the preemption the tick or an IPI deferred
}

}  // namespace sched
