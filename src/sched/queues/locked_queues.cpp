// The locked ready queues (issue 5): one spinlock-protected queue per CPU, Linux-style
// least-loaded placement, and stealing from the busiest CPU under its lock. Placement's
// wakeup protocol ("The idle/wakeup protocol"), the pick policy ("The pick policy and fairness"), tasks, switching, timers and hotplug are
// shared with the lock-free variant; only the queueing differs.
//
// Ordering, once: every list and count changes under the queue's lock, whose acquire
// lock() / release unlock() order all of it between holders. The relaxed counts are also
// read without the lock, as hints (victim and load choice) and by the "The idle/wakeup protocol" re-check: a placer
// stores the count under the lock, then runs pair_full_fence() in notify_cpu() or
// notify_stealable(); the idler's re-check loads it after its own fence, so one of the two
// sees the other (fence-fence rule, as for the deque's bottom in the lock-free variant).
// The task's fields travel with the lock: the pusher's unlock happens-before the picker's
// lock.
#include "sched/queues/ready_queues.h"
#include "sched/trace/trace.h"

namespace sched {

// The queue lock, taken through try_lock first so that an acquisition that had to wait is
// counted: bench=all reports the share per benchmark (how contended a per-CPU run queue
// lock really is). The counts change under the lock, so a relaxed load + store suffices.
class LockedReadyQueues::Guard {
public:
    explicit Guard(Queue& q) : m_q(q) {
        bool waited = !q.lock.try_lock();
        if (waited) q.lock.lock();
        // relaxed (both): under the lock; lock_stats() reads them racily.
        q.locks_taken.store(q.locks_taken.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        if (waited)
            q.locks_contended.store(q.locks_contended.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    ~Guard() { m_q.lock.unlock(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

private:
    Queue& m_q;
};

LockedReadyQueues::LockStats LockedReadyQueues::lock_stats() const {
    LockStats s;
    for (const Queue& q : m_queues) {
        s.taken += q.locks_taken.load(std::memory_order_relaxed);  // relaxed: statistics
        s.contended += q.locks_contended.load(std::memory_order_relaxed);  // relaxed: statistics
    }
    return s;
}

uint32_t LockedReadyQueues::queued_approx(uint32_t cpu) const {
    return m_queues[cpu].length.load(std::memory_order_relaxed);  // relaxed: a hint
}

// relaxed (the count updates here and in take_locked()): under the lock; see the file
// comment for the lock-free readers.
void LockedReadyQueues::add_locked(Queue& q, Task* task) {
    if (task->priority == Priority::realtime) {
        q.realtime.push_back(task);
    } else if (task->priority == Priority::idle) {
        q.background.push_back(task);
        q.background_length.store(q.background_length.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    } else {
        // Any affinity: the lock lets a thief skip what it may not run (DESIGN §3's
        // "a deque cannot skip its middle" does not apply to a locked list).
        q.normal.push_back(task);
        if (task->stealable())
            q.stealable.store(q.stealable.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    q.length.store(q.length.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// Accounting for `task`, just unlinked from `list` of `q` (nullptr passes through).
Task* LockedReadyQueues::take_locked(Queue& q, RunList& list, Task* task) {
    if (!task) return nullptr;
    if (&list == &q.background)
        q.background_length.store(q.background_length.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    else if (&list == &q.normal && task->stealable())
        q.stealable.store(q.stealable.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    q.length.store(q.length.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    return task;
}

void LockedReadyQueues::push_local(OwnerCpu& me, Task* task, PushKind) {
    Queue& q = queue(me.index());
    Guard guard(q);
    add_locked(q, task);
}

void LockedReadyQueues::push_remote(CpuSched& target, Task* task) {
    Queue& q = queue(target.index);
    Guard guard(q);
    // acquire: pairs with the release store of the state by whoever placed it (a sleeping
    // task moved by evacuation keeps sleeping on the target).
    if (task->state.load(std::memory_order_acquire) == TaskState::sleeping) {
        q.sleepers_in.push_back(task);
        q.sleepers_pending.store(q.sleepers_pending.load(std::memory_order_relaxed) + 1,
                                 std::memory_order_relaxed);  // relaxed: as in add_locked()
        return;
    }
    add_locked(q, task);
}

void LockedReadyQueues::file_sleepers(OwnerCpu& me, Queue& q) {
    // relaxed: a hint; a sleeper that arrives just after is filed at the next pick, and
    // has_work_for() sees the count (so the CPU does not halt past its deadline).
    if (q.sleepers_pending.load(std::memory_order_relaxed) == 0) return;
    Guard guard(q);
    while (Task* task = q.sleepers_in.pop_front()) {
        ++me->stats.tasks_migrated_in;
        me->sleepers.insert(task);
    }
    q.sleepers_pending.store(0, std::memory_order_relaxed);  // relaxed: under the lock
}

Task* LockedReadyQueues::pick_own(OwnerCpu& me, PickReason reason) {
    Queue& q = queue(me.index());
    file_sleepers(me, q);
    Guard guard(q);
    if (Task* task = take_locked(q, q.realtime, q.realtime.pop_front())) return task;
    if (q.normal.empty()) return nullptr;
    // "The pick policy and fairness", as the lock-free owner: newest first, oldest after a yield/preemption and once
    // per slice. Every task here may run on this CPU (placement chose it from its affinity).
    Task* task = fifo_pick_due(me, reason) ? q.normal.pop_front() : q.normal.pop_back();
    return take_locked(q, q.normal, task);
}

Task* LockedReadyQueues::pick_background(OwnerCpu& me) {
    Queue& q = queue(me.index());
    Guard guard(q);
    return take_locked(q, q.background, q.background.pop_front());
}

bool LockedReadyQueues::steal_round(OwnerCpu& me) {
    SchedShared& shared = me.shared();
    // acquire: as in LockFreeReadyQueues::steal_round(): a CPU seen online is set up, and a
    // stale view is harmless (an offline CPU's queue is evacuated under its lock).
    CpuMask online = shared.online.load(std::memory_order_acquire);
    // The busiest CPU (by queue length) among those with stealable work.
    uint32_t victim = kNoCpu;
    uint32_t victim_length = 0;
    for (uint32_t c = online.next(0); c != kNoCpu && c < shared.cpu_count; c = online.next(c + 1)) {
        if (c == me.index()) continue;
        Queue& q = queue(c);
        // relaxed: hints (file comment); the lock below decides.
        if (q.stealable.load(std::memory_order_relaxed) == 0) continue;
        uint32_t length = q.length.load(std::memory_order_relaxed);
        if (length > victim_length) {
            victim = c;
            victim_length = length;
        }
    }
    if (victim == kNoCpu) return false;
    ++me->stats.steals_tried;
    Task* task;
    {
        Queue& q = queue(victim);
        Guard guard(q);
        uint32_t thief = me.index();
        // The oldest task the thief may run: skips those pinned elsewhere.
        task =
            take_locked(q, q.normal, q.normal.take_first_if([thief](Task* t) { return t->affinity.contains(thief); }));
    }
    trace::hook(me.index(), trace::Event::steal, task ? 1u : 0u, uint16_t(victim));
    if (!task) {
        ++me->stats.steals_lost_race;  // the owner or another thief took it first
        return false;
    }
    // In transit between the two locks: ours alone, like a task a lock-free thief holds.
    push_local(me, task, PushKind::wake);
    ++me->stats.steals_succeeded;
    return true;
}

bool LockedReadyQueues::has_stealable_work(SchedShared& shared) {
    // Called after a full fence ("The idle/wakeup protocol"); the count loads are ordered by it.
    // acquire: as in steal_round().
    CpuMask online = shared.online.load(std::memory_order_acquire);
    for (uint32_t c = online.next(0); c != kNoCpu && c < shared.cpu_count; c = online.next(c + 1)) {
        if (queue(c).stealable.load(std::memory_order_relaxed) > 0)  // relaxed: file comment
            return true;
    }
    return false;
}

bool LockedReadyQueues::has_queued_work(CpuSched& cpu) {
    Queue& q = queue(cpu.index);
    // relaxed: file comment.
    return q.length.load(std::memory_order_relaxed) > 0 || q.sleepers_pending.load(std::memory_order_relaxed) > 0;
}

bool LockedReadyQueues::has_waiting_work(OwnerCpu& me) {
    Queue& q = queue(me.index());
    // relaxed: hints; a task that lands just after only waits a slice.
    return q.length.load(std::memory_order_relaxed) > q.background_length.load(std::memory_order_relaxed);
}

uint32_t LockedReadyQueues::stealable_target(OwnerCpu& me, PushKind, WakeHint hint) {
    uint32_t self = me.index();
    // A stealable task may run on every online CPU. acquire: as in place()'s allowed_now().
    const CpuMask allowed = me.shared().online.load(std::memory_order_acquire);
    // A sync wake keeps the task here (the waker is about to block or exit), as in "Placement".
    if (hint == WakeHint::sync && allowed.contains(self)) return self;
    SchedShared& shared = me.shared();
    // Load = queued tasks + 1 if a task (not the idle task) runs there, as Linux counts
    // nr_running. relaxed (both loads): hints; `current` is only compared, never followed.
    auto load_of = [&](uint32_t c) {
        CpuSched& cpu = shared.cpu(c);
        return queue(c).length.load(std::memory_order_relaxed) +
               (cpu.current.load(std::memory_order_relaxed) != cpu.idle_task ? 1u : 0u);
    };
    uint32_t best = kNoCpu;
    uint32_t best_load = ~0u;
    auto consider = [&](uint32_t c) {
        if (!allowed.contains(c) || c >= shared.cpu_count) return false;
        uint32_t load = load_of(c);
        if (load < best_load) {
            best = c;
            best_load = load;
        }
        return best_load == 0;  // nobody beats an idle CPU
    };
    // Ties go to this CPU, then to the nearest (victim order: cache siblings first).
    if (!consider(self)) me->victims.for_each(me->rng, consider);
    // Only an idle CPU gets the task pushed to it (Linux's select_idle_sibling); when every
    // allowed CPU is busy, the task stays here and idle CPUs steal. Pushing into busy
    // queues as well (find_idlest_cpu on fork) interleaves the subtrees of fork-join on
    // every CPU: started-but-unfinished tasks pile up, each holding a 16 KiB stack, and
    // bench=sched's UTS T3 ran out of task memory at 2 CPUs and 512 MiB (2026-11-29).
    if (best != self && best_load > 0 && allowed.contains(self)) return self;
    return best;
}

size_t LockedReadyQueues::evacuate_queued(OwnerCpu& me) {
    size_t moved = 0;
    // One task per lock hold: place_remote() takes other CPUs' locks, and locks never
    // nest. Placers that read the old online mask have finished (the caller's
    // synchronize()), so nothing new arrives; a late thief is harmless.
    Queue& q = queue(me.index());
    for (;;) {
        Task* task;
        {
            Guard guard(q);
            task = take_locked(q, q.realtime, q.realtime.pop_front());
            if (!task) task = take_locked(q, q.normal, q.normal.pop_front());
            if (!task) task = take_locked(q, q.background, q.background.pop_front());
            if (!task && (task = q.sleepers_in.pop_front()))
                q.sleepers_pending.store(q.sleepers_pending.load(std::memory_order_relaxed) - 1,
                                         std::memory_order_relaxed);  // relaxed: under the lock
        }
        if (!task) break;
        place_remote(me, task);
        ++moved;
    }
    return moved;
}

}  // namespace sched
