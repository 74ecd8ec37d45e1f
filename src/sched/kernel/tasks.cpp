// The task API ("Tasks and their states"): spawn, exit, join, yield, and task handles.
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "lib/fault_inject.h"
#include "lib/libc.h"
#include "sched/sync/join.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/kernel/switch_frame.h"
#include "sched/kernel/task_memory.h"
#include "sched/trace/trace.h"
#include "smp/smp.h"

namespace sched {
namespace {

// relaxed: ids only need to be unique.
std::atomic<uint64_t> g_next_task_id{1};

constexpr int kSpawnReclaimRounds = 1000;

// On each CPU (call-function IPI, interrupts off). The IPI can only land where that CPU
// has interrupts on, i.e. outside every owner operation, so touching the participant is
// safe; an idle CPU is offline and a quiescent() there is a no-op.
void reclaim_here(void*) {
    CpuSched& me = this_cpu_sched();
    if (!me.epoch) return;
    me.epoch->quiescent();
    size_t freed = me.epoch->try_reclaim();
    if (freed) me.stats.reclaimed.add(freed);
}

// Garbage sits on the participant that retired it, and a halted CPU reclaims only when it
// wakes: ask every CPU. Called by a task with interrupts on.
void reclaim_everywhere() { smp::call_on_all(&reclaim_here, nullptr, true); }

// As reclaim_here, then hands the CPU's stack cache (up to 64) to the shared pool, where
// the spawning CPU can take it: spawn's out-of-memory path.
void reclaim_and_spill_here(void* arg) {
    reclaim_here(arg);
    spill_this_cpu_task_memory();
}

// spawn() when this CPU's stack cache is empty (interrupts on): the pool or a fresh stack,
// then reclamation rounds. A default Task (`ps` may look at it at once), or nullptr when
// out of memory.
[[gnu::noinline]] Task* allocate_task_slowly(bool starved) {
    auto allocate = [starved]() -> Task* { return starved ? nullptr : allocate_task_memory(); };
    Task* task = allocate();
    // Dead tasks waiting out their grace period hold memory too, and other CPUs' caches
    // hold freed stacks (allocation looks only at its own cache and the pool). Before
    // failing, push reclamation along on every CPU, move their cached stacks to the pool,
    // and give the others a chance to pass their quiescent points (under TCG a vCPU can be
    // off the host CPU for a while). Once nothing waits for a grace period, no further
    // round can free anything: live tasks hold the memory, and spawn fails at once rather
    // than spin (1000 rounds of IPIs per failed spawn stalled bench=sched's UTS T3 for
    // minutes; a fork-join that outgrows memory runs the child inline instead).
    for (int round = 0; !task && round < kSpawnReclaimRounds; ++round) {
        smp::call_on_all(&reclaim_and_spill_here, nullptr, true);
        task = allocate();
        if (task || shared().epoch.stats().pending == 0) break;
        yield();
        task = allocate();
    }
    return task;
}

void copy_name(Task* task, const char* name) {
    if (!name) name = "task";
    size_t n = 0;
    while (name[n] && n + 1 < sizeof task->name) {
        task->name[n] = name[n];
        ++n;
    }
    task->name[n] = '\0';
}

}  // namespace

const char* to_string(SpawnError error) {
    switch (error) {
        case SpawnError::none:
            return "no error";
        case SpawnError::out_of_memory:
            return "out of memory for the task's stack";
        case SpawnError::empty_affinity:
            return "the affinity set is empty";
        case SpawnError::affinity_offline:
            return "no CPU of the affinity set is online";
    }
    return "unknown spawn error";
}

void TaskHandle::drop() {
    arch::InterruptGuard irq_off;  // put_ref may retire, an owner operation
    put_ref(m_task);
    m_task = nullptr;
}

SpawnResult spawn(TaskFn entry, void* arg, const SpawnOptions& options) {
    SpawnResult result;
    if (options.affinity.empty()) {
        result.error = SpawnError::empty_affinity;
        return result;
    }
    const bool any_cpu = options.affinity.is_all();
    // relaxed: a hint; placement re-checks. (Any-CPU tasks skip it: we run on an online CPU.)
    if (!any_cpu &&
        !options.affinity.intersects(shared().online.load(std::memory_order_relaxed))) {
        result.error = SpawnError::affinity_offline;
        return result;
    }
    // fail=stack:N (torture only): every Nth spawn finds no task memory at all, in its
    // first try and in every retry (allocate_task_slowly()), as when live tasks hold all
    // of it. One failed allocation alone would never reach the caller: the retry absorbs it.
    const bool starved = fault::should_fail(fault::Site::stack);
    // One guard from the cache hit to the placement (two cost 8 instructions more).
    arch::InterruptGuard irq_off;
    StackRange stack;
    if (starved || !take_cached_stack(stack, irq_off)) {
        // The pool, a fresh stack, reclamation: each may wait for other CPUs, so with
        // interrupts as the task had them (it may come back on another CPU).
        if (irq_off.were_enabled()) arch::sti();
        Task* fresh = allocate_task_slowly(starved);
        arch::cli();
        if (!fresh) {
            result.error = SpawnError::out_of_memory;
            return result;
        }
        stack = fresh->stack;  // a default Task, built again below from the spawn's values
    }
    // The Task is built in one go, each field written once. relaxed: uniqueness is all an
    // id needs.
    Task* task = new (task_block(stack)) Task(TaskStart{.id = g_next_task_id.fetch_add(1, std::memory_order_relaxed),
                                                        .priority = options.priority,
                                                        .entry = entry,
                                                        .arg = arg,
                                                        .refs = options.detached ? 1u : 2u},
                                              stack);
    copy_name(task, options.name);
    // The Task comes with both affinities all: only a restricted set is copied.
    if (!any_cpu) {
        task->affinity_requested = options.affinity;
        task->affinity = options.affinity;
    }
    task->saved_rsp = build_switch_frame(task_stack_top(task), &task_first_run, task);

    CpuSched& me = this_cpu_sched();
    OwnerCpu owner(me, irq_off);
    // A task holds no scheduler pointer while it runs with interrupts on, so every entry
    // into the scheduler is a quiescent point. Until the tick preempts (build step 6) this
    // is what keeps a task that spawns in a loop, never yielding, from stalling every
    // grace period.
    me.epoch->quiescent();
    task->last_cpu = uint16_t(me.index);
    // release: pairs with the acquire load of the state in `ps`'s walk (registry.cpp), which
    // then reads the fields above. The queues have place()'s own release (deque push,
    // inbox exchange).
    change_state(task, TaskState::created, TaskState::ready, std::memory_order_release);
    me.stats.tasks_spawned.add();
    if (!options.detached) result.handle = TaskHandle(task);
    trace::hook_spawn(me.index, task);
    place(owner, task, PushKind::spawn, WakeHint::none);
    return result;
}

void exit(int64_t code) {
    arch::cli();
    CpuSched& me = this_cpu_sched();
    // relaxed: only this CPU runs the task now.
    Task* self = me.current.load(std::memory_order_relaxed);
    me.stats.tasks_exited.add();
    trace::hook(me.index, trace::Event::exit, self, uint16_t(code));
    exit_and_wake_joiners(self, code);
    schedule(PickReason::exited);
    __builtin_unreachable();
}

int64_t join(TaskHandle& handle) {
    Task* task = handle.task();
    if (!task) return -1;
    wait_until_dead(task);  // acquire of the dead state: exit_code is visible
    int64_t code = task->exit_code;
    handle.reset();
    return code;
}

void yield() {
    arch::InterruptGuard irq_off;
    schedule(PickReason::yielded);
}

void sleep_for(uint64_t ns) {
    if (ns == 0) {
        yield();
        return;
    }
    arch::InterruptGuard irq_off;
    {
        OwnerCpu owner(this_cpu_sched(), irq_off);  // not kept across the switch
        // relaxed: our own CPU's field.
        Task* self = owner->current.load(std::memory_order_relaxed);
        // tsc_from_ns() truncates, so +1 is the ceiling and +1 more keeps the deadline
        // strictly after now + ns: a sleeper is never woken early ("Preemption, timers and sleep").
        self->deadline_tsc = platform::now_tsc() + platform::tsc_from_ns(ns) + 2;
        // release: for `ps`'s acquire load (registry.cpp). The scheduler needs none: only
        // this CPU expires its sleepers (IF=0 until the switch), and a hotplug evacuation
        // publishes the state with the inbox exchange (release/acquire).
        change_state(self, TaskState::running, TaskState::sleeping, std::memory_order_release);
        owner->sleepers.insert(self);
    }
    // No timer write here: schedule() expires due sleepers before it picks, and then
    // either dispatches a task (arm_timer() covers min(slice end, next sleeper)) or the
    // idle task, whose halt arms the next sleeper's deadline.
    schedule(PickReason::sleeping);
}

SpawnError set_affinity(const CpuMask& affinity) {
    if (affinity.empty()) return SpawnError::empty_affinity;
    // relaxed: a hint, as in spawn(); placement re-checks (and widens if need be).
    if ((affinity & shared().online.load(std::memory_order_relaxed)).empty()) return SpawnError::affinity_offline;
    arch::InterruptGuard irq_off;
    // relaxed: our own CPU's field. The running task is in no queue, and only its own CPU
    // reads these fields until requeue_current() publishes it again (release/acquire).
    Task* self = this_cpu_sched().current.load(std::memory_order_relaxed);
    self->affinity_requested = affinity;
    self->affinity = affinity;
    self->widened = false;
    self->widen_warned = false;
    schedule(PickReason::yielded);
    return SpawnError::none;
}

void set_priority(Priority priority) {
    arch::InterruptGuard irq_off;
    // relaxed: our own CPU's field.
    Task* self = this_cpu_sched().current.load(std::memory_order_relaxed);
    // relaxed: request_realtime_preempt() on another CPU reads a running task's class as a
    // hint (atomic_ref there too); the requeue below publishes it to the next picker.
    std::atomic_ref<Priority>(self->priority).store(priority, std::memory_order_relaxed);
    schedule(PickReason::yielded);
}

Task* current_task() {
    arch::InterruptGuard irq_off;
    // relaxed: our own CPU's field.
    return this_cpu_sched().current.load(std::memory_order_relaxed);
}

uint32_t current_cpu() { return arch::this_cpu()->index; }

bool drain_reclaim() {
    constexpr int kRounds = 1000;
    for (int round = 0; round < kRounds; ++round) {
        reclaim_everywhere();
        if (shared().epoch.stats().pending == 0) return true;
        yield();  // lets the other CPUs' tasks reach their quiescent points
    }
    return false;
}

}  // namespace sched
