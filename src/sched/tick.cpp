// The scheduler's tick (plan §9): the LAPIC one-shot ends a task's timeslice. The timer
// interrupt sends EOI before calling us, so we may switch tasks from here: the
// interrupted task is switched away on its own stack, and returns through iretq (with its
// own interrupt flag) whenever some CPU picks it again. interrupt_dispatch and
// timer_interrupt touch no per-CPU pointer after the callback, which makes that sound.
#include "arch/x86_64/timer.h"
#include "ktest/ktest.h"
#include "sched/kernel_glue.h"

namespace sched {

void arm_slice_timer(CpuSched& me, uint64_t now) {
    // Lazy: a LAPIC write only when the armed deadline is later than the slice end, or
    // already passed. An early tick only costs a re-check in on_tick.
    if (me.armed_deadline_tsc > now && me.armed_deadline_tsc <= me.slice_end_tsc) return;
    uint64_t left = me.slice_end_tsc > now ? me.slice_end_tsc - now : 1;
    // +1 ns: scale truncation in the timer must not make the tick land before the end.
    arch::timer::oneshot_ns(platform::ns_from_tsc(left) + 1);
    me.armed_deadline_tsc = me.slice_end_tsc;
}

void on_tick(InterruptFrame&) {
    CpuSched& me = this_cpu_sched();
    if (me.index == 0 && ktest::active()) ktest::watchdog_poll();
    me.armed_deadline_tsc = 0;  // whatever was armed has fired
    // relaxed: our own CPU's field.
    Task* current = me.current.load(std::memory_order_relaxed);
    // The idle task runs its own loop (and its halt armed the backstop): nothing to do.
    if (current == nullptr || current->is_idle_task) return;
    uint64_t now = platform::now_tsc();
    if (now < me.slice_end_tsc) {
        arm_slice_timer(me, now);  // fired early
        return;
    }
    schedule(PickReason::preempted);
    // Back in the interrupted task, maybe on another CPU, which armed its own timer when
    // it dispatched us.
}

} // namespace sched
