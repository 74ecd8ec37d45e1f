// The scheduler's tick ("Preemption, timers and sleep"): the LAPIC one-shot ends a task's timeslice and wakes
// sleepers on a busy CPU. The timer interrupt sends EOI before calling us, so we may
// switch tasks from here: the interrupted task is switched away on its own stack, and
// returns through iretq (with its own interrupt flag) whenever some CPU picks it again.
// interrupt_dispatch and timer_interrupt touch no per-CPU pointer after the callback,
// which makes that sound.
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"
#include "sched/kernel/kernel_glue.h"

namespace sched {
namespace {

// Sleepers the tick woke on a busy CPU (tests: that path must work without the idle
// task). Single writer per CPU, like SchedStats.
Counter g_tick_sleeper_wakeups[kMaxCpus];

}  // namespace

uint64_t tick_sleeper_wakeups(uint32_t cpu) { return g_tick_sleeper_wakeups[cpu].get(); }

void write_timer(CpuSched& me, uint64_t deadline, uint64_t now) {
    uint64_t left = deadline > now ? deadline - now : 1;
    // +1 ns: scale truncation in the timer must not make the tick land before the deadline.
    arch::timer::oneshot_ns(platform::ns_from_tsc(left) + 1);
    me.armed_deadline_tsc = deadline;
}

void on_tick(InterruptFrame& frame) {
    CpuSched& me = this_cpu_sched();
    watchdog_tick(me, frame, platform::now_tsc());
    if (me.index == 0) run_cpu0_tick_hook();
    me.armed_deadline_tsc = 0;  // whatever was armed has fired
    // relaxed: our own CPU's field.
    Task* current = me.current.load(std::memory_order_relaxed);
    // The idle task runs its own loop (its halt armed the next sleeper or the backstop)
    // and expires sleepers itself, after go_online(): placement must run inside a QSBR
    // section, and a halted CPU's participant is offline ("Preemption, timers and sleep").
    if (current == nullptr || current->is_idle_task) return;
    uint64_t now = platform::now_tsc();
    {
        SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // an interrupt gate
        arch::InterruptGuard irq_off(arch::already_off);  // checked above (interrupt gate): the proof OwnerCpu wants
        OwnerCpu owner(me, irq_off);
        g_tick_sleeper_wakeups[me.index].add(expire_sleepers(owner, now));
    }
    if (now < me.slice_end_tsc) {
        arm_timer(me, now);  // a sleeper's deadline, or fired early
        return;
    }
    if (preemption_blocked(me)) {
        // preempt_disable(): the task runs on, and preempt_enable() preempts it. Ticks
        // go on once per slice meanwhile, so the soft lockup detector still sees it.
        defer_preemption(me);
        me.slice_end_tsc = now + me.shared.config.timeslice_tsc;
        arm_timer(me, now);
        return;
    }
    schedule(PickReason::preempted);
    // Back in the interrupted task, maybe on another CPU, which armed its own timer when
    // it dispatched us.
}

}  // namespace sched
