// Placement ("Placement"): where a task that becomes runnable goes, and who gets woken.
// Whenever a task goes to a CPU other than the caller's, it goes through that CPU's inbox.
#include <atomic>

#include "sched/queues/ready_queues.h"
#include "sched/trace/trace.h"

namespace sched {

namespace {

// The first CPU of `allowed` in `me`'s victim order (nearest first), or kNoCpu.
uint32_t nearest_allowed(OwnerCpu& me, const CpuMask& allowed) {
    uint32_t found = kNoCpu;
    me->victims.for_each(me->rng, [&](uint32_t c) {
        if (!allowed.contains(c)) return false;
        found = c;
        return true;
    });
    return found;
}

// Sends `task` to `target`'s inbox and wakes it if it sleeps (targeted wake of "The idle/wakeup protocol").
// True when this call kicked `target`.
bool send_to(OwnerCpu& me, CpuSched& target, Task* task) {
    ++me->stats.tasks_migrated_out;
    trace::hook(me.index(), trace::Event::migrate, task, uint16_t(target.index));
    me.shared().ready->push_remote(target, task);
    return notify_cpu(me, target);
}

// Claims a halted CPU among `allowed` and hands it `task` through its inbox, with the
// kick ("The idle/wakeup protocol" waker side; the IPI write is ordered after the push). False when none is idle.
bool hand_to_idle_cpu(OwnerCpu& me, Task* task, const CpuMask& allowed) {
    CpuSched* idle = claim_idle_cpu(me, allowed);
    if (!idle) return false;
    ++me->stats.tasks_migrated_out;
    trace::hook(me.index(), trace::Event::migrate, task, uint16_t(idle->index));
    me.shared().ready->push_remote(*idle, task);
    kick_cpu(me, *idle);
    return true;
}

// Sends `task` to the CPU of `allowed` it ran on last, else the nearest one (a targeted
// wake through that CPU's inbox). Returns that CPU.
CpuSched& send_near(OwnerCpu& me, Task* task, const CpuMask& allowed) {
    SchedShared& shared = me.shared();
    uint32_t target = allowed.contains(task->last_cpu) ? uint32_t(task->last_cpu) : nearest_allowed(me, allowed);
    if (target == kNoCpu || target >= shared.cpu_count) target = allowed.next(0);
    send_to(me, shared.cpu(target), task);
    return shared.cpu(target);
}

// A realtime task was just queued on `target` (its own lists or its inbox) with no idle
// CPU free: "realtime runs before normal" must not wait for the end of the running task's
// slice. Ask `target` to preempt, with a reschedule IPI (a self-IPI when it is us: it
// lands as soon as interrupts are on again). Not a wakeup IPI (counted as control_ipis):
// a halted or realtime-running target needs none, since its next pick takes realtime first.
void request_realtime_preempt(OwnerCpu& me, CpuSched& target) {
    // relaxed: a hint. The Task behind it stays valid: we are inside a QSBR section, and
    // tasks are freed only after a grace period. A switch on `target` right after this
    // read drains the inbox before picking, so it finds the realtime task anyway.
    Task* running = target.current.load(std::memory_order_relaxed);
    if (!running || running->is_idle_task) return;
    // relaxed: the class of a task running elsewhere is a hint too; set_priority() changes
    // it on the running task (tasks.cpp), the only write that can overlap this read.
    if (std::atomic_ref<Priority>(running->priority).load(std::memory_order_relaxed) == Priority::realtime) return;
    // release: pairs with the acquire exchange in the IPI hook; the task itself is
    // published by the push before this.
    target.preempt_for_realtime.store(true, std::memory_order_release);
    ++me->stats.control_ipis;
    platform::kick(target.index, target.latch);
}

// The online CPUs `task` may run on now: its own affinity restored once a requested CPU
// is back, or widened to every online CPU when none is ("CPU hotplug").
CpuMask allowed_now(OwnerCpu& me, Task* task) {
    // acquire: as in steal_round(). A CPU removed after this load is drained by its own
    // evacuation, which runs after every placer that read the old mask finished ("CPU hotplug").
    CpuMask online = me.shared().online.load(std::memory_order_acquire);
    if (task->widened && !(task->affinity_requested & online).empty()) {
        // A requested CPU is back: restore the task's own affinity.
        task->affinity = task->affinity_requested;
        task->widened = false;
    }
    CpuMask allowed = task->affinity & online;
    if (allowed.empty()) {
        // "CPU hotplug": widen and warn (the kernel glue logs it), never refuse or lose the task.
        task->affinity = online;
        task->widened = true;
        ++me->stats.affinity_widened;
        allowed = online;
    }
    return allowed;
}

// place() for a normal task that may run anywhere ("Placement"). Its allowed set is the
// online set, loaded only where a CPU is chosen from it: a lock-free spawn reads none.
[[gnu::noinline]] void place_stealable(OwnerCpu& me, Task* task, PushKind kind, WakeHint hint) {
    SchedShared& shared = me.shared();
    ReadyQueues& ready = *shared.ready;
    // The locked variant (issue 5) chooses by load; the lock-free one says kNoCpu.
    uint32_t spread = ready.stealable_target(me, kind, hint);
    if (spread != me.index()) {
        if (spread != kNoCpu && spread < shared.cpu_count) {
            // The load figure is a racy hint: an unkicked target may have started a task
            // of its own and keep it for a whole slice, while another CPU stays halted.
            // The task is stealable from the target's queue, so announce it like a push
            // to our own deque (docs/verification.md, the locked-variant gap). Still at
            // most one kick per wake: this one only when send_to() sent none.
            if (!send_to(me, shared.cpu(spread), task)) notify_stealable(me);
            return;
        }
        // Hand-off: a free CPU runs the woken task itself (the "within 2 slices"
        // requirement), not the oldest item of our deque.
        // acquire: as in allowed_now().
        if (kind == PushKind::wake && hint != WakeHint::sync &&
            hand_to_idle_cpu(me, task, shared.online.load(std::memory_order_acquire)))
            return;
    }
    // Chosen here by load, or spawn, sync wake, or nobody idle: our deque, taken next by
    // LIFO, stealable.
    ready.push_local(me, task, kind);
    notify_stealable(me);
}

// place() after the entry check: chooses the CPU ("Placement") and wakes one if needed.
void route(OwnerCpu& me, Task* task, PushKind kind, WakeHint hint) {
    CpuMask allowed = allowed_now(me, task);
    if (task->priority == Priority::normal && task->affinity.is_all()) {
        place_stealable(me, task, kind, hint);
        return;
    }
    if (task->priority == Priority::realtime && hand_to_idle_cpu(me, task, allowed)) return;
    // Restricted affinity, realtime with nobody idle, or idle class: our own list if we
    // may run it, else the last CPU it ran on, else the nearest allowed one.
    if (allowed.contains(me.index())) {
        me.shared().ready->push_local(me, task, kind);
        if (task->priority == Priority::realtime) request_realtime_preempt(me, me.cpu());
        return;
    }
    CpuSched& target = send_near(me, task, allowed);
    if (task->priority == Priority::realtime) request_realtime_preempt(me, target);
}

}  // namespace

// Not inlined into make_ready() (same file): there it merged with place()'s inline test
// into a frame of six saved registers around both (5 instructions more per wake).
[[gnu::noinline]] void detail::place_marked(OwnerCpu& me, Task* task, PushKind kind, WakeHint hint) {
    // May run anywhere and was never widened (an all-CPU set never needs widening or
    // restoring): route()'s allowed set would be the online set, with nothing to change.
    // Straight on, without route()'s frame and mask.
    if (task->stealable() && !task->widened) {
        place_stealable(me, task, kind, hint);
        return;
    }
    route(me, task, kind, hint);
}

void place_again(OwnerCpu& me, Task* task) { route(me, task, PushKind::wake, WakeHint::none); }

void place_remote(OwnerCpu& me, Task* task) {
    SchedShared& shared = me.shared();
    // acquire: as in place().
    CpuMask online = shared.online.load(std::memory_order_acquire);
    online.remove(me.index());  // we are leaving, whatever the mask says
    CpuMask allowed = task->affinity_requested & online;
    if (allowed.empty()) {
        task->affinity = online;  // "CPU hotplug": widen and warn (the kernel glue logs it)
        task->widened = true;
        ++me->stats.affinity_widened;
        allowed = online;
    } else if (task->widened) {
        task->affinity = task->affinity_requested;
        task->widened = false;
    }
    if (allowed.empty()) return;  // no other CPU at all: the caller must not evacuate the last one
    // A sleeping task needs no idle CPU: it only joins a timer queue.
    // relaxed: ours until pushed.
    bool sleeping = task->state.load(std::memory_order_relaxed) == TaskState::sleeping;
    if (!sleeping && hand_to_idle_cpu(me, task, allowed)) return;
    send_near(me, task, allowed);
}

bool make_ready(OwnerCpu& me, Task* task, TaskState from, WakeHint hint) {
    SCHED_VERIFY(from == TaskState::blocked || from == TaskState::sleeping, "task_state_edge");
    // acq_rel: acquire sees what the task wrote before blocking; release publishes our
    // wake-side writes to whoever picks it. Exactly one waker wins the CAS.
    if (!task->state.compare_exchange_strong(from, TaskState::ready, std::memory_order_acq_rel,
                                             std::memory_order_relaxed))
        return false;
    // Ours alone until placed; the push publishes it to the picker, and so to the task.
    uint64_t start = platform::now_tsc();
    task->wake_tsc = start;
    trace::hook(me.index(), trace::Event::wake, task, uint16_t(from));
    place(me, task, PushKind::wake, hint);
    me->stats.wake_cost.add_since(start);
    return true;
}

uint32_t rotation_target(OwnerCpu& me, const Task* task) {
    if (!task->stealable() || task->widened) return kNoCpu;
    // Nothing else waits here: the task keeps its CPU (N <= M costs nothing).
    SchedShared& shared = me.shared();
    if (!shared.ready->has_waiting_work(me)) return kNoCpu;
    // acquire: as in place(); a CPU that goes offline after this load evacuates its inbox.
    CpuMask online = shared.online.load(std::memory_order_acquire);
    // The next online CPU after us, cyclically: a fixed ring, so the tasks of an
    // overloaded CPU move on one per slice and every task passes every CPU in turn.
    uint32_t next = online.next(me.index() + 1);
    if (next == kNoCpu || next >= shared.cpu_count) next = online.next(0);
    if (next == me.index() || next == kNoCpu || next >= shared.cpu_count) return kNoCpu;
    return next;
}

void requeue_current(OwnerCpu& me, Task* task, PickReason reason) {
    // release: pairs with the acquire loads of the state by a later picker/waker.
    change_state(task, TaskState::running, TaskState::ready, std::memory_order_release);
    mark_queued(task);
    if (task->widened || !task->affinity.contains(me.index())) {
        route(me, task, PushKind::requeue, WakeHint::sync);
        return;
    }
    if (reason == PickReason::preempted) {
        // "The pick policy and fairness" fairness: a preempted task that would wait behind others here waits on the
        // next CPU instead. A yield stays local: it asks for round robin, not a move.
        uint32_t target = rotation_target(me, task);
        if (target != kNoCpu) {
            ++me->stats.rotations;
            send_to(me, me.shared().cpu(target), task);
            return;
        }
    }
    // Our own task goes back into our own structures; this CPU picks again right after,
    // so no wake is needed.
    me.shared().ready->push_local(me, task, PushKind::requeue);
}

}  // namespace sched
