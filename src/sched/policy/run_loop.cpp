// The run loop's decisions (see run_loop.h): what schedule() and the idle task decide,
// shared by the kernel and the host stress.
#include "sched/policy/run_loop.h"

#include "sched/trace/trace.h"

namespace sched {

namespace {

// "The run loop" step 2: after a yield or a preemption, prev goes back to the ready structures (or on
// to the next CPU, "The pick policy and fairness") while this CPU is still on it.
void requeue_prev(OwnerCpu& me, Task* prev, PickReason reason) {
    if ((reason != PickReason::preempted && reason != PickReason::yielded) || prev->is_idle_task) return;
    if (reason == PickReason::yielded)
        ++me->stats.yields;
    else
        ++me->stats.preemptions;
    requeue_current(me, prev, reason);
}

// "The run loop" step 4. The idle task when nothing is runnable here.
Task* pick_next(OwnerCpu& me, PickReason reason) {
    CpuSched& cpu = me.cpu();  // in a register, as in dispatch()
    // "CPU hotplug": a CPU asked to go offline starts nothing new; its idle task evacuates
    // everything queued here (prev included, requeued above).
    // acquire: pairs with the release store of the request in cpu_offline().
    if (cpu.hotplug.load(std::memory_order_acquire) != HotplugState::running) return cpu.idle_task;
    uint64_t start = OpCost::stamp();
    Task* next = cpu.shared.ready->pick_local(me, reason);
    if (!next) return cpu.idle_task;
    cpu.stats.pick_cost.add_since(start);
    return next;
}

// The idle detour. `next` may still be on the CPU that ran it last (woken or requeued
// there a moment ago), and dispatch() then waits for that CPU's release_on_cpu(). Waiting
// while we are on prev could deadlock: that CPU may be waiting in its own dispatch() for
// prev, which only our release_on_cpu() releases (two CPUs each picking the task the other
// is leaving; found by review, 2026-11-22). So we wait only from our idle task, which no
// other CPU ever picks: keep `next` aside, switch to idle (releasing prev), and idle picks
// it first. Config::idle_detour is false only in the host break-it that shows the cycle.
Task* detour_if_on_cpu(OwnerCpu& me, Task* prev, Task* next) {
    CpuSched& cpu = me.cpu();  // in a register, as in dispatch()
    if (next == prev || prev->is_idle_task || next->is_idle_task || !cpu.shared.config.idle_detour) return next;
    // acquire: as in dispatch(); a stale true only costs the detour.
    if (!next->on_cpu.load(std::memory_order_acquire)) return next;
    mark_queued(next);  // held aside: back in the ready structures until idle picks it
    cpu.held_next = next;
    ++cpu.stats.idle_detours;
    return cpu.idle_task;
}

}  // namespace

Decision decide_next(OwnerCpu& me, Task* prev, PickReason reason, uint64_t now) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");
    CpuSched& cpu = me.cpu();  // in a register, as in dispatch()
    prev->counters.run_cycles.add(now - prev->slice_start_tsc);
    requeue_prev(me, prev, reason);
    // Step 3, the QSBR point: nothing read from the shared structures before this line
    // is still held, apart from prev and this CPU's own structures.
    cpu.epoch->quiescent();
    // Due sleepers first ("Preemption, timers and sleep"), so the pick sees them: this covers the idle task
    // too (its has_work_for() counts due sleepers), which gets here after go_online().
    // prev itself may be among them (a sleep that was already over). The call only when
    // the earliest is due: most switches find none.
    if (cpu.sleepers.next_deadline() <= now) expire_sleepers(me, now);
    Task* next = detour_if_on_cpu(me, prev, pick_next(me, reason));
    if (next != prev) {
        trace::hook_switch(cpu.index, next, reason);
        return {next, false};
    }
    detail::set_running(prev);  // requeued (or woken) and picked again before we left it
    prev->slice_start_tsc = now;
    cpu.slice_end_tsc = now + cpu.shared.config.timeslice_tsc;
    return {prev, true};
}

bool detail::wait_until_off_cpu_slow(const Task& next) {
    uint64_t since = platform::now_tsc();
    while (next.on_cpu.load(std::memory_order_acquire)) {  // acquire: as in wait_until_off_cpu()
        if (!platform::keep_waiting_on_cpu(next, since)) return false;
    }
    return true;
}

size_t expire_sleepers(OwnerCpu& me, uint64_t now) {
    size_t woken = 0;
    while (TimerNode* node = me->sleepers.pop_due(now)) {
        // A sleeper has no other waker, so the CAS sleeping -> ready always wins.
        bool won = make_ready(me, task_from_timer(node), TaskState::sleeping, WakeHint::none);
        SCHED_VERIFY(won, "task_state_edge");
        ++woken;
    }
    return woken;
}

bool idle_step(OwnerCpu& me) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");
    ReadyQueues& queues = *me.shared().ready;
    bool found_work = queues.has_work_for(me.cpu()) || queues.steal(me) || spin_for_work(me);
    if (!found_work) idle_halt(me);
    return found_work;
}

}  // namespace sched
