// The ready-queue interface ("Ready-queue variants and trace hooks") and the lock-free implementation ("The pick policy and fairness", "Stealing and spinning"), plus
// the portable entry points of placement ("Placement") and the idle/wakeup protocol ("The idle/wakeup protocol").
//
// API changes (S-K reads this): additions only: evacuate() (interface), place_remote(),
// rotation_target(); for issue 5, stealable_target(), has_local_work(), has_waiting_work()
// (interface), fifo_pick_due() and LockedReadyQueues. requeue_current() takes the PickReason (fairness rotation, "The pick policy and fairness").
// has_stealable_work() takes the SchedShared& (since the first version S-K saw). Issue 12:
// pick_local(), has_work_for(), has_local_work() and evacuate() are no longer virtual (one
// body for both variants, ready_queues.cpp); the variants implement the protected hooks.
// Issue 16: is_lock_free() and LockFreeReadyQueues::push_stealable(), for place(), which is
// now inline here (its general part is detail::place_marked()), as is notify_stealable().
// Renames are announced here.
//
// Everything here runs with IF=0 on the calling CPU (hence the OwnerCpu&), inside that
// CPU's QSBR section (its participant online, between quiescent points).
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/model/cpu_sched.h"
#include "sched/model/run_list.h"
#include "sched/model/task.h"
#include "sched/policy/ordering.h"

namespace sched {

enum class PushKind : uint8_t {
    spawn,  // new task
    wake,  // blocked/sleeping -> ready
    requeue,  // the CPU's own current task after a yield or preemption
};

enum class PickReason : uint8_t {
    preempted,  // tick: timeslice over
    yielded,
    blocked,
    sleeping,
    exited,
    idle,  // the idle task found work
};

enum class WakeHint : uint8_t {
    none,
    sync,  // the waker is about to block or exit: keep the task local (join, hand-off)
};

// How many tasks wait on one CPU, by structure: a racy snapshot for monitors (`top`), read
// from any CPU without the owner's cooperation. Never a basis for a decision.
struct QueueDepths {
    uint32_t stealable = 0;  // lock-free: the deque; locked: the one queue, every class
    uint32_t pinned = 0;  // lock-free only (the locked variant keeps them in its queue)
    uint32_t inbox = 0;  // lock-free only: placed here by other CPUs, not yet taken in
    uint32_t other = 0;  // lock-free only: realtime + background lists
    bool split = true;  // false: the locked variant, whose one queue is all in `stealable`
};

// The task held aside by the idle detour (see CpuSched::held_next), taken out of it.
inline Task* take_held_next(OwnerCpu& me) {
    Task* held = me->held_next;
    me->held_next = nullptr;
    return held;
}

// Hooks for issue 5: the locked variant implements the same interface. What both variants
// do alike (the held-next hand-off, the order of the local pick, the idle re-check, the
// frame of an evacuation) is written once here, in ready_queues.cpp; the variants supply
// their own structures through the protected hooks.
class ReadyQueues {
public:
    // Puts `task` into the caller's own structures (deque, pinned, realtime, background).
    // No wakeup: that is placement's job. The task must be allowed on this CPU.
    virtual void push_local(OwnerCpu& me, Task* task, PushKind kind) = 0;
    // Puts `task` into `target`'s inbox (any CPU may call it). No wakeup.
    virtual void push_remote(CpuSched& target, Task* task) = 0;
    // The next task to run on this CPU, or nullptr (run the idle task). "The pick policy and fairness" steps 1-5: the
    // held-next task, the own structures, one steal round when nothing is local, then the
    // background class. Inline up to the own structures (every switch of a busy CPU ends
    // there; as a call it was a frame of three registers per pick), the rest in
    // pick_beyond_own().
    Task* pick_local(OwnerCpu& me, PickReason reason) {
        // Picked before, while its last CPU was still on it (see CpuSched::held_next).
        if (Task* held = take_held_next(me)) return unqueued(held);
        if (Task* task = pick_own(me, reason)) return unqueued(task);
        return pick_beyond_own(me);
    }
    // One pass over the victims; stolen tasks land in the own deque. True if any.
    virtual bool steal_round(OwnerCpu& me) = 0;
    // steal_round(), with its cost counted in stats.steal_cost when it moved work.
    bool steal(OwnerCpu& me);
    // Whether `cpu` has anything it could run: inbox, own lists, due sleepers, a hotplug
    // request, or any online deque. Called by `cpu`'s owner after the idle fence ("The idle/wakeup protocol" step
    // 3); the loads are ordered by that fence.
    bool has_work_for(CpuSched& cpu);
    // Whether any online CPU's deque looks non-empty (the last-spinner hand-off).
    virtual bool has_stealable_work(SchedShared& shared) = 0;
    // Hotplug ("CPU hotplug"), on the CPU going away, after it left `online` and every placer that
    // read the old mask finished: moves every task queued here (held next, deque, owner
    // lists, inbox, sleepers, which stay sleeping) to online CPUs, each with a targeted
    // wake. The current task is the caller's (place_remote() it). Returns how many moved.
    size_t evacuate(OwnerCpu& me);  // evacuate.cpp

    // Issue 5 seams, so placement and the idle loop stay shared between the variants.
    // Where place() sends a new or woken stealable task (normal, may run anywhere, so
    // allowed on every online CPU): a CPU index (me.index(): the own queue), or kNoCpu for
    // the lock-free policy of "Placement" (the own deque, or a claimed idle CPU for a wakeup).
    virtual uint32_t stealable_target(OwnerCpu& me, PushKind kind, WakeHint hint) = 0;
    // Whether `cpu`'s own structures hold anything it could run (no stealing, no timers):
    // the bounded spin's poll ("Stealing and spinning"). Loads are hints, ordered by the callers' fences.
    bool has_local_work(CpuSched& cpu);
    // Owner side: whether runnable non-background work waits here besides the current
    // task ("The pick policy and fairness" rotation: a preempted task moves on only then).
    virtual bool has_waiting_work(OwnerCpu& me) = 0;
    // `cpu`'s queue depths, from any CPU (QueueDepths).
    virtual QueueDepths depths_approx(CpuSched& cpu) = 0;

    // Whether this is the lock-free variant. place() asks it once per stealable task and,
    // for the lock-free one, pushes onto the own deque itself (push_stealable()): the
    // general path's two virtual calls (stealable_target(), always kNoCpu there, and
    // push_local(), which then tests the class and affinity place() has just tested) and
    // their frames were ~40 of every lock-free spawn's instructions.
    bool is_lock_free() const { return m_lock_free; }

protected:
    explicit constexpr ReadyQueues(bool lock_free) : m_lock_free(lock_free) {}

    // Out of the ready structures (see Task::queued).
    static Task* unqueued(Task* task) {
        if (task) task->queued = false;
        return task;
    }
    // pick_local() once nothing is held next and the own structures are empty: one steal
    // round, then the background class.
    Task* pick_beyond_own(OwnerCpu& me);
    ~ReadyQueues() = default;  // never deleted through the interface (no operator delete in the kernel)

    // The variant's own structures, for pick_local(): realtime first, then the normal
    // class by "The pick policy and fairness" (after taking in what other CPUs sent: inbox, evacuated sleepers).
    virtual Task* pick_own(OwnerCpu& me, PickReason reason) = 0;
    // The background (idle-class) task next in line, or nullptr.
    virtual Task* pick_background(OwnerCpu& me) = 0;
    // has_local_work() apart from the held-next task.
    virtual bool has_queued_work(CpuSched& cpu) = 0;
    // evacuate()'s middle: every task in the variant's structures, by place_remote().
    virtual size_t evacuate_queued(OwnerCpu& me) = 0;

private:
    const bool m_lock_free;
};

class LockFreeReadyQueues final : public ReadyQueues {
public:
    static constexpr uint32_t kInboxDrainMax = 64;
    static constexpr uint32_t kBatchThreshold = 4;  // victim size that earns a batch steal
    static constexpr uint32_t kBatchMax = 16;

    constexpr LockFreeReadyQueues() : ReadyQueues(true) {}

    void push_local(OwnerCpu& me, Task* task, PushKind kind) override;
    // push_local() of a stealable task (normal class, may run anywhere): the own deque, or
    // the pinned list when the deque cannot grow (the task still runs here; only load
    // balance suffers). Inline: place() calls it for every spawn.
    void push_stealable(OwnerCpu& me, Task* task) {
        if (me.deque().push(task) != core::PushResult::ok) [[unlikely]]
            me->pinned.push_back(task);
    }
    void push_remote(CpuSched& target, Task* task) override;
    bool steal_round(OwnerCpu& me) override;
    bool has_stealable_work(SchedShared& shared) override;
    uint32_t stealable_target(OwnerCpu&, PushKind, WakeHint) override { return kNoCpu; }
    bool has_waiting_work(OwnerCpu& me) override;
    QueueDepths depths_approx(CpuSched& cpu) override;

    // Moves up to kInboxDrainMax inbox tasks into the owner structures ("The pick policy and fairness" step 1).
    void drain_inbox(OwnerCpu& me);

    ~LockFreeReadyQueues() = default;

private:
    Task* pick_own(OwnerCpu& me, PickReason reason) override;
    Task* pick_background(OwnerCpu& me) override;
    bool has_queued_work(CpuSched& cpu) override;
    size_t evacuate_queued(OwnerCpu& me) override;
    Task* take_deque(OwnerCpu& me, PickReason reason);
};

// The locked variant (issue 5, docs/scheduler.md "The locked variant"): the design the
// lock-free deques replace. One spinlock-protected queue per CPU (realtime, normal and
// background lists; a normal task of any affinity goes to the normal list) with relaxed
// counts beside it. push_remote locks the target's queue; a thief locks the busiest CPU
// with stealable work and takes its oldest task it may run; new and woken stealable tasks
// go to the least-loaded allowed CPU. The owner's pick follows "The pick policy and fairness" (LIFO, FIFO after a
// yield or preemption and once per slice), so only the queueing differs. Locks are never
// nested: a thief moves a task from the victim's queue to its own in two steps.
class LockedReadyQueues final : public ReadyQueues {
public:
    LockedReadyQueues() : ReadyQueues(false) {}

    void push_local(OwnerCpu& me, Task* task, PushKind kind) override;
    void push_remote(CpuSched& target, Task* task) override;
    bool steal_round(OwnerCpu& me) override;
    bool has_stealable_work(SchedShared& shared) override;
    uint32_t stealable_target(OwnerCpu& me, PushKind kind, WakeHint hint) override;
    bool has_waiting_work(OwnerCpu& me) override;
    QueueDepths depths_approx(CpuSched& cpu) override {
        QueueDepths d;
        d.stealable = queued_approx(cpu.index);
        d.split = false;
        return d;
    }

    // Runnable tasks queued on `cpu` (a relaxed hint: monitors, tests).
    uint32_t queued_approx(uint32_t cpu) const;
    // Queue lock acquisitions so far, all CPUs, and how many found the lock held (a racy
    // sum: benchmarks read it on a quiet system, before and after a run).
    struct LockStats {
        uint64_t taken = 0, contended = 0;
    };
    LockStats lock_stats() const;

    ~LockedReadyQueues() = default;

private:
    struct alignas(64) Queue {
        platform::QueueLock lock;
        RunList realtime, normal, background;  // under `lock`
        // Sleeping tasks sent here by an evacuation ("CPU hotplug"): the owner files them into its
        // timer queue at its next pick. Under `lock`, linked through run_next/run_prev.
        RunList sleepers_in;
        // Written under `lock`, read without it. relaxed: hints for the load and victim
        // choices, and the "The idle/wakeup protocol" re-check, whose loads the idle fence orders against the
        // placer's fence (a placer stores before its pair_full_fence()).
        std::atomic<uint32_t> length{0};  // realtime + normal + background
        std::atomic<uint32_t> stealable{0};  // normal tasks with affinity == all
        std::atomic<uint32_t> background_length{0};
        std::atomic<uint32_t> sleepers_pending{0};
        // Lock acquisitions, and those that found the lock held: written under the lock
        // (relaxed load + store, single writer at a time), read racily by lock_stats().
        std::atomic<uint64_t> locks_taken{0};
        std::atomic<uint64_t> locks_contended{0};
    };
    class Guard;  // takes a Queue's lock and counts the acquisition (locked_queues.cpp)

    Task* pick_own(OwnerCpu& me, PickReason reason) override;
    Task* pick_background(OwnerCpu& me) override;
    bool has_queued_work(CpuSched& cpu) override;
    size_t evacuate_queued(OwnerCpu& me) override;

    Queue& queue(uint32_t cpu) { return m_queues[cpu]; }
    void add_locked(Queue& q, Task* task);
    Task* take_locked(Queue& q, RunList& list, Task* task);
    void file_sleepers(OwnerCpu& me, Queue& q);

    std::array<Queue, kMaxCpus> m_queues;
};

// "The pick policy and fairness": whether the owner's next pick from its stealable work is FIFO (the oldest): after a
// yield or a preemption (round robin), and at least once per timeslice, so a LIFO chain
// cannot starve the oldest task. Otherwise LIFO (Cilk's work-first order bounds fork-join's
// live tasks). Restarts the per-slice clock when it says FIFO. Both variants use it.
inline bool fifo_pick_due(OwnerCpu& me, PickReason reason) {
    uint64_t now = platform::now_tsc();
    if (reason == PickReason::preempted || reason == PickReason::yielded || now >= me->fifo_due_tsc) {
        me->fifo_due_tsc = now + me.shared().config.timeslice_tsc;
        return true;
    }
    return false;
}

// ---- placement (placement.cpp, "Placement")

// A task enters the ready structures (place(), requeue_current(), the idle detour): it
// must not be in them already (SCHED_VERIFY "task_on_one_queue").
inline void mark_queued(Task* task) {
    SCHED_VERIFY(!task->queued, "task_on_one_queue");
    task->queued = true;
}

namespace detail {
// Whether the halted words show any CPU at all ("The idle/wakeup protocol"). Callers that
// need the protocol's argument have fenced before (pair_full_fence); pair_fenced_read is
// the matching read, and a second read of the same words (the claim) is still after that
// fence, so either read may be the one the argument names.
inline bool any_cpu_halted(SchedShared& shared) {
    uint64_t halted = 0;
    const uint32_t words = (shared.cpu_count + 63) / 64;
    for (uint32_t w = 0; w < words; ++w) halted |= pair_fenced_read(shared.halted.word(w * 64));
    return halted != 0;
}
// notify_stealable() once some CPU is halted: claims one (any CPU may run the work) and
// kicks it (idle.cpp).
void kick_a_halted_cpu(OwnerCpu& me);
}  // namespace detail

// Waker side, after pushing to the own deque ("The idle/wakeup protocol"): wake one idle
// CPU (or none, if some CPU is spinning). At most one kick. Inline up to the claim: every
// spawn runs it, and most find nobody halted (as a call, a frame around ~20 instructions).
inline void notify_stealable(OwnerCpu& me) {
    SchedShared& shared = me.shared();
    pair_full_fence();  // Fw: the push (release store of bottom) is published before it
    if (pair_fenced_read(shared.spinners) > 0) {
        // A spinner will find it, or hand off when it stops ("The idle/wakeup protocol" proof case 4).
        ++me->stats.ipis_skipped_polling;
        return;
    }
    if (detail::any_cpu_halted(shared)) {
        detail::kick_a_halted_cpu(me);
        return;
    }
    ++me->stats.ipis_skipped_none_idle;
}

namespace detail {
// place() for everything but a lock-free push onto the own deque: the locked variant, a
// wake that may be handed to an idle CPU, restricted affinity, realtime and idle classes
// (placement.cpp). The task is marked queued already.
void place_marked(OwnerCpu& me, Task* task, PushKind kind, WakeHint hint);
}  // namespace detail

// Makes a created/ready task runnable somewhere, choosing the CPU and waking one if
// needed. `task->state` must already be ready, and the task not queued anywhere yet.
// Inline for its most common case, a spawn (or sync wake) of a normal any-CPU task in the
// lock-free variant: the own deque and notify_stealable(), the policy of "Placement" that
// place_stealable() applies too (the lock-free stealable_target() is always kNoCpu). As
// calls (place, place_stealable, two virtual calls, push_local) with their frames, that
// was ~90 instructions of every lock-free spawn.
inline void place(OwnerCpu& me, Task* task, PushKind kind, WakeHint hint) {
    mark_queued(task);
    // A wake that may be handed to an idle CPU: place_stealable()'s hand-off, out of line.
    if (kind == PushKind::wake && hint != WakeHint::sync) {
        detail::place_marked(me, task, kind, hint);
        return;
    }
    ReadyQueues& ready = *me.shared().ready;
    // Never widened: an all-CPU set needs no widening or restoring (route()'s allowed_now()).
    if (ready.is_lock_free() && task->stealable() && !task->widened) {
        static_cast<LockFreeReadyQueues&>(ready).push_stealable(me, task);
        notify_stealable(me);
        return;
    }
    detail::place_marked(me, task, kind, hint);
}
// place() for a task already in the ready structures (taken out of an inbox whose CPU it
// may no longer run on): it moves, it does not enter again.
void place_again(OwnerCpu& me, Task* task);
// blocked/sleeping -> ready by CAS, then place(). False if another waker won (or the task
// was not waiting): exactly one waker places a task.
bool make_ready(OwnerCpu& me, Task* task, TaskState from, WakeHint hint);
// Sends `task` to another online CPU allowed by its affinity (widened if none is), through
// that CPU's inbox: an idle one if one can be claimed (kicked), else the last CPU it ran
// on or the nearest (targeted wake). For evacuation; the state is left as it is.
void place_remote(OwnerCpu& me, Task* task);
// "The run loop" step 2: the CPU's own current task after a yield or preemption (state -> ready).
// A preempted task that would wait behind other local work moves on instead ("The pick policy and fairness"
// fairness, rotation_target()), through the next CPU's inbox with a targeted wake.
void requeue_current(OwnerCpu& me, Task* task, PickReason reason);
// "The pick policy and fairness" fairness: where a task preempted at the end of its slice should wait. The next
// online CPU after this one when the task may run anywhere and other runnable work waits
// here; kNoCpu (stay) otherwise.
uint32_t rotation_target(OwnerCpu& me, const Task* task);

// ---- idle and wakeup protocol (idle.cpp, "The idle/wakeup protocol")

// Waker side, after pushing into `target`'s inbox: kick it if it is halted and we claim it.
// True when this call kicked it; false when `target` is us, awake, or claimed by another
// waker (whose kick is then on its way).
bool notify_cpu(OwnerCpu& me, CpuSched& target);
// Claims one halted CPU allowed by `allowed` (victim order from `me`), clearing its bit.
// The caller must hand it work and kick it. nullptr when none.
CpuSched* claim_idle_cpu(OwnerCpu& me, const CpuMask& allowed);
// Bounded spin for work ("Stealing and spinning"). True if work was found (local or stolen).
bool spin_for_work(OwnerCpu& me);
// "The idle/wakeup protocol" idle side: publish, fence, re-check, halt. Returns after a wakeup, or at once if the
// re-check found work. Takes the participant offline across the halt.
void idle_halt(OwnerCpu& me);

// The kick itself, counted (ipis_sent).
void kick_cpu(OwnerCpu& me, CpuSched& target);

}  // namespace sched
