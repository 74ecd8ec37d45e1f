// The run loop's decisions ("The run loop", "The idle/wakeup protocol", "Preemption, timers and sleep"), one copy for the kernel and the host. The
// kernel's schedule() and idle task call them and keep only what touches the hardware (the
// stack switch, the per-CPU current pointer, the one-shot timer, the hotplug park); the
// host stress (test/sched/stress) runs this very code on CPU threads.
//
// A switch on CPU C from prev to next, as both callers run it:
//   decide_next(C, prev)      still on prev (prev->on_cpu set)
//   dispatch(C, next)         waits until next's last CPU is off it, makes next current
//   <switch stacks>           kernel only
//   release_on_cpu(prev)      C is off prev's stack: prev may run elsewhere from now on
// Everything here runs on C with interrupts off (the OwnerCpu&).
#pragma once
#include <cstddef>
#include <cstdint>

#include "sched/queues/ready_queues.h"

namespace sched {

struct Decision {
    Task* next = nullptr;  // prev itself, another task, or this CPU's idle task
    bool same = false;  // next == prev: no switch; prev runs on, its slice restarted
};

// "The run loop" steps 1-4 on the CPU leaving `prev` (its current task, still on it): requeue prev
// after a yield or preemption, pass the quiescent point, make due sleepers ready, pick
// (only the idle task once hotplug asked this CPU to go), and take the idle detour for a
// task still on another CPU. `now` is the platform's clock (now_tsc()).
Decision decide_next(OwnerCpu& me, Task* prev, PickReason reason, uint64_t now);

namespace detail {

// ready -> running, for a task this CPU picked. The idle task is never queued; its state
// means nothing. Inlined into both callers (GCC kept it a call: a frame per switch).
[[gnu::always_inline]] inline void set_running(Task* task) {
    // release: pairs with the acquire load of the state in the kernel's `ps` walk over task
    // memory (registry.cpp), which then reads what spawn wrote (it reached us through the
    // queues). The scheduler needs none: wakers read the state only under the protocols
    // that publish it (wait-queue lock, the CAS in make_ready), and running is not a state
    // they act on.
    if (task->is_idle_task)
        task->state.store(TaskState::running, std::memory_order_release);
    else
        change_state(task, TaskState::ready, TaskState::running, std::memory_order_release);
}

// wait_until_off_cpu() once `next` was seen still on its last CPU: the wait itself (rare).
bool wait_until_off_cpu_slow(const Task& next);

// dispatch()'s wait for `next`'s last CPU to get off its stack.
inline bool wait_until_off_cpu(const Task& next) {
    // acquire: pairs with the release store in release_on_cpu() on the CPU that last ran
    // `next`, so everything it wrote on that stack (saved_rsp included) is visible here.
    // Only the idle task (or a task going to idle) waits here for long: decide_next()
    // takes the idle detour otherwise, so no two CPUs wait on each other.
    if (!next.on_cpu.load(std::memory_order_acquire)) return true;
    return wait_until_off_cpu_slow(next);
}

}  // namespace detail

// "The run loop" step 5, all but the hardware: waits until the CPU that ran `next` last is off its
// stack, then makes it this CPU's current task (on_cpu, state, counters, slice). False
// only when the platform gave up the wait (the host harness's watchdog); the kernel's
// wait never gives up. Inline: the kernel's schedule() is its one caller on every switch,
// and as a call it was a frame there.
[[nodiscard]] inline bool dispatch(OwnerCpu& me, Task* next, uint64_t now) {
    if (!detail::wait_until_off_cpu(*next)) return false;
    // Held in a register: through `me` every store below (any type may alias) made the
    // compiler load the CpuSched pointer again.
    CpuSched& cpu = me.cpu();
    // relaxed: only this CPU runs `next` until it switches away again, and the release
    // store in release_on_cpu() publishes the whole run to the next picker.
    next->on_cpu.store(true, std::memory_order_relaxed);
    detail::set_running(next);
    if (next->last_cpu != cpu.index) {
        next->counters.migrations.add();
        next->last_cpu = uint16_t(cpu.index);
    }
    next->counters.switches_in.add();
    next->slice_start_tsc = now;
    // relaxed: read only by dumps and watchdogs.
    cpu.current.store(next, std::memory_order_relaxed);
    cpu.slice_end_tsc = now + cpu.shared.config.timeslice_tsc;
    ++cpu.stats.context_switches;
    if (!next->is_idle_task) ++cpu.stats.tasks_run;
    return true;
}

// "The run loop" step 7, on the CPU that just left `last`'s stack: releases it to the next picker.
// Returns whether `last` was dead (its alive reference may go now). Inline: every switch
// runs it, and as a call it was a frame around four instructions.
inline bool release_on_cpu(Task* last) {
    // relaxed: this very CPU set it in dispatch() (a task stays on one CPU from dispatch
    // to release), so the load reads our own store.
    SCHED_VERIFY(last->on_cpu.load(std::memory_order_relaxed), "on_cpu_released_once");
    // Read before on_cpu goes false: from then on `last` may run (and exit) elsewhere.
    // acquire: pairs with the release store of dead in exit(), our own CPU's, so trivially.
    bool dead = last->state.load(std::memory_order_acquire) == TaskState::dead;
    // release: pairs with the acquire spin in dispatch() of the next CPU to pick `last`:
    // this CPU is off last's stack and every write it made there is visible.
    last->on_cpu.store(false, std::memory_order_release);
    return dead;
}

// "Preemption, timers and sleep": makes every sleeper due at `now` ready. Returns how many.
size_t expire_sleepers(OwnerCpu& me, uint64_t now);

// One pass of the idle task ("The run loop", "Stealing and spinning", "The idle/wakeup protocol"): true when there is work to pick (schedule from
// the idle task with PickReason::idle); otherwise it halted through the "The idle/wakeup protocol" protocol and
// returns false after the wakeup.
bool idle_step(OwnerCpu& me);

}  // namespace sched
