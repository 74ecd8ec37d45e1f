// The ready-queue interface (plan §14) and the lock-free implementation (§4, §6), plus
// the portable entry points of placement (§8) and the idle/wakeup protocol (§7).
//
// API changes (S-K reads this): additions only: evacuate() (interface), place_remote(),
// rotation_target(). requeue_current() takes the PickReason (fairness rotation, §4).
// has_stealable_work() takes the SchedShared& (since the first version S-K saw). Renames
// are announced here.
//
// Everything here runs with IF=0 on the calling CPU (hence the OwnerCpu&), inside that
// CPU's QSBR section (its participant online, between quiescent points).
#pragma once
#include <cstddef>
#include <cstdint>

#include "sched/cpu_sched.h"
#include "sched/task.h"

namespace sched {

enum class PushKind : uint8_t {
    spawn,   // new task
    wake,    // blocked/sleeping -> ready
    requeue, // the CPU's own current task after a yield or preemption
};

enum class PickReason : uint8_t {
    preempted, // tick: timeslice over
    yielded,
    blocked,
    sleeping,
    exited,
    idle, // the idle task found work
};

enum class WakeHint : uint8_t {
    none,
    sync, // the waker is about to block or exit: keep the task local (join, hand-off)
};

// Hooks for issue 5: the locked variant implements the same interface.
class ReadyQueues {
public:
    // Puts `task` into the caller's own structures (deque, pinned, realtime, background).
    // No wakeup: that is placement's job. The task must be allowed on this CPU.
    virtual void push_local(OwnerCpu& me, Task* task, PushKind kind) = 0;
    // Puts `task` into `target`'s inbox (any CPU may call it). No wakeup.
    virtual void push_remote(CpuSched& target, Task* task) = 0;
    // The next task to run on this CPU, or nullptr (run the idle task). §4 steps 1-5,
    // including one steal round when nothing is local.
    virtual Task* pick_local(OwnerCpu& me, PickReason reason) = 0;
    // One pass over the victims; stolen tasks land in the own deque. True if any.
    virtual bool steal_round(OwnerCpu& me) = 0;
    // Whether `cpu` has anything it could run: inbox, own lists, due sleepers, a hotplug
    // request, or any online deque. Called by `cpu`'s owner after the idle fence (§7 step
    // 3); the loads are ordered by that fence.
    virtual bool has_work_for(CpuSched& cpu) = 0;
    // Whether any online CPU's deque looks non-empty (the last-spinner hand-off).
    virtual bool has_stealable_work(SchedShared& shared) = 0;
    // Hotplug (§12), on the CPU going away, after it left `online` and every placer that
    // read the old mask finished: moves every task queued here (deque, owner lists,
    // inbox, sleepers, which stay sleeping) to online CPUs, each with a targeted wake.
    // The current task is the caller's (place_remote() it). Returns how many moved.
    virtual size_t evacuate(OwnerCpu& me) = 0;

protected:
    ~ReadyQueues() = default; // never deleted through the interface (no operator delete in the kernel)
};

class LockFreeReadyQueues final : public ReadyQueues {
public:
    static constexpr uint32_t kInboxDrainMax = 64;
    static constexpr uint32_t kBatchThreshold = 4; // victim size that earns a batch steal
    static constexpr uint32_t kBatchMax = 16;

    void push_local(OwnerCpu& me, Task* task, PushKind kind) override;
    void push_remote(CpuSched& target, Task* task) override;
    Task* pick_local(OwnerCpu& me, PickReason reason) override;
    bool steal_round(OwnerCpu& me) override;
    bool has_work_for(CpuSched& cpu) override;
    bool has_stealable_work(SchedShared& shared) override;
    size_t evacuate(OwnerCpu& me) override; // evacuate.cpp

    // Moves up to kInboxDrainMax inbox tasks into the owner structures (§4 step 1).
    void drain_inbox(OwnerCpu& me);

    ~LockFreeReadyQueues() = default;

private:
    Task* pick_own(OwnerCpu& me, PickReason reason);
    Task* take_deque(OwnerCpu& me, PickReason reason);
};

// ---- placement (placement.cpp, §8)

// Makes a created/ready task runnable somewhere, choosing the CPU and waking one if
// needed. `task->state` must already be ready.
void place(OwnerCpu& me, Task* task, PushKind kind, WakeHint hint);
// blocked/sleeping -> ready by CAS, then place(). False if another waker won (or the task
// was not waiting): exactly one waker places a task.
bool make_ready(OwnerCpu& me, Task* task, TaskState from, WakeHint hint);
// Sends `task` to another online CPU allowed by its affinity (widened if none is), through
// that CPU's inbox: an idle one if one can be claimed (kicked), else the last CPU it ran
// on or the nearest (targeted wake). For evacuation; the state is left as it is.
void place_remote(OwnerCpu& me, Task* task);
// §5 step 2: the CPU's own current task after a yield or preemption (state -> ready).
// A preempted task that would wait behind other local work moves on instead (§4
// fairness, rotation_target()), through the next CPU's inbox with a targeted wake.
void requeue_current(OwnerCpu& me, Task* task, PickReason reason);
// §4 fairness: where a task preempted at the end of its slice should wait. The next
// online CPU after this one when the task may run anywhere and other runnable work waits
// here; kNoCpu (stay) otherwise.
uint32_t rotation_target(OwnerCpu& me, const Task* task);

// ---- idle and wakeup protocol (idle.cpp, §7)

// Waker side, after pushing to the own deque: wake one idle CPU (or none, if some CPU is
// spinning). At most one kick.
void notify_stealable(OwnerCpu& me);
// Waker side, after pushing into `target`'s inbox: kick it if it is halted and we claim it.
void notify_cpu(OwnerCpu& me, CpuSched& target);
// Claims one halted CPU allowed by `allowed` (victim order from `me`), clearing its bit.
// The caller must hand it work and kick it. nullptr when none.
CpuSched* claim_idle_cpu(OwnerCpu& me, const CpuMask& allowed);
// Bounded spin for work (§6). True if work was found (local or stolen).
bool spin_for_work(OwnerCpu& me);
// §7 idle side: publish, fence, re-check, halt. Returns after a wakeup, or at once if the
// re-check found work. Takes the participant offline across the halt.
void idle_halt(OwnerCpu& me);

// The kick itself, counted (ipis_sent).
void kick_cpu(OwnerCpu& me, CpuSched& target);

} // namespace sched
