// The run loop (plan §5): pick the next task, switch to it, and clean up after the switch.
#include <atomic>
#include <cstddef>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/kernel/switch_frame.h"
#include "sched/kernel/task_memory.h"
#include "sched/trace/trace.h"

namespace sched {
namespace {

// A CPU tries to reclaim every kReclaimEverySwitches switches, and after every
// kReclaimEveryRetires tasks it retired. Counting switches alone let garbage pile up where
// tasks retire faster than their CPU switches: a spawner whose children were stolen drops
// the last reference of each (join) with few switches of its own. bench=sched's
// spawn+exit at 2 CPUs then held 4,000-7,000 dead tasks, mapped 7,000-13,000 fresh stacks
// and ran 2.5x slower than with the retire count (2026-11-29).
constexpr uint64_t kReclaimEverySwitches = 32;
constexpr uint32_t kReclaimEveryRetires = 16;

void reclaim_here_now(CpuSched& me) {
    me.retired_since_reclaim = 0;
    size_t freed = me.epoch->try_reclaim();
    if (freed) me.stats.reclaimed.add(freed);
}

// The RetireNode is a member of the Task; get back to the Task it is embedded in. Task is
// not standard-layout (two bases), where offsetof is "conditionally supported"; g++
// supports it for non-virtual bases, which is all Task has.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
constexpr size_t kRetireNodeOffset = offsetof(Task, retire_node);
#pragma GCC diagnostic pop

void free_retired_task(core::RetireNode* node) {
    free_task_memory(reinterpret_cast<Task*>(reinterpret_cast<char*>(node) - kRetireNodeOffset));
}

// §12: one line per widening, when the task first runs outside its own set ("now
// offline": placement widens only when no CPU of the requested set is online).
void warn_if_widened(Task* task) {
    if (task->widened == task->widen_warned) return;
    task->widen_warned = task->widened;  // reset once restored, so a later widening warns again
    if (!task->widened) return;
    char cpus[64];
    size_t len = 0;
    const CpuMask& want = task->affinity_requested;
    cpus[0] = '\0';
    uint32_t c = want.next(0);
    for (; c != kNoCpu && len + 12 < sizeof cpus; c = want.next(c + 1))
        len += size_t(ksnprintf(cpus + len, sizeof cpus - len, len ? ",%u" : "%u", c));
    if (c != kNoCpu) ksnprintf(cpus + len, sizeof cpus - len, ",...");
    log_warn("sched: task '%s' (id %llu) pinned to cpus {%s}, now offline; running on any cpu until one returns",
             task->name, (unsigned long long)task->id, cpus);
}

// Step 5: make `next` this CPU's current task. The picker waits until the CPU that ran
// `next` last is off its stack (a waker may have made it ready before it switched away).
void dispatch(CpuSched& me, Task* next, uint64_t now) {
    // acquire: pairs with the release store in finish_switch() on the CPU that last ran
    // `next`, so everything it wrote on that stack (saved_rsp included) is visible here.
    // Only the idle task (or a task going to idle) waits here for long: schedule() takes
    // the idle detour otherwise, so no two CPUs wait on each other.
    while (next->on_cpu.load(std::memory_order_acquire)) arch::cpu_relax();
    // relaxed: only this CPU runs `next` until it switches away again, and the release
    // store in finish_switch() publishes the whole run to the next picker.
    next->on_cpu.store(true, std::memory_order_relaxed);
    // relaxed: the state is read by wakers only under the protocols that publish it
    // (wait-queue lock, the CAS in make_ready); running is not a state they act on.
    next->state.store(TaskState::running, std::memory_order_relaxed);
    if (next->last_cpu != me.index) {
        next->counters.migrations.add();
        next->last_cpu = uint16_t(me.index);
    }
    next->counters.switches_in.add();
    warn_if_widened(next);
    next->slice_start_tsc = now;
    // relaxed: read only by dumps and watchdogs.
    me.current.store(next, std::memory_order_relaxed);
    me.slice_end_tsc = now + me.shared.config.timeslice_tsc;
    me.stats.context_switches.add();
    if (next->is_idle_task) {
        // The idle loop arms its own deadlines (backstop, sleepers) when it halts, which
        // overwrites ours: forget what we armed.
        me.armed_deadline_tsc = 0;
    } else {
        me.stats.tasks_run.add();
        arm_timer(me, now);
    }
}

} // namespace

void schedule(PickReason reason) {
    Task* next;
    Task* prev;
    {
        arch::InterruptGuard irq_off;  // already off: this only proves it to OwnerCpu
        CpuSched& me = this_cpu_sched();
        OwnerCpu owner(me, irq_off);
        // relaxed: written only by this CPU.
        prev = me.current.load(std::memory_order_relaxed);
        uint64_t now = platform::now_tsc();
        prev->counters.run_cycles.add(now - prev->slice_start_tsc);

        if ((reason == PickReason::preempted || reason == PickReason::yielded) && !prev->is_idle_task) {
            if (reason == PickReason::yielded) me.stats.yields.add();
            else me.stats.preemptions.add();
            requeue_current(owner, prev, reason);
        }
        // Step 3, the QSBR point: nothing read from the shared structures before this line
        // is still held, apart from prev and this CPU's own structures.
        me.epoch->quiescent();
        // Due sleepers first (plan §9), so the pick sees them: this covers the idle task
        // too (its has_work_for() counts due sleepers), which gets here after go_online().
        // prev itself may be among them (a sleep that was already over).
        expire_sleepers(owner, now);

        // §12: a CPU asked to go offline starts nothing new; its idle task evacuates
        // everything queued here (prev included, requeued above).
        // acquire: pairs with the release store of the request in cpu_offline().
        if (me.hotplug.load(std::memory_order_acquire) != HotplugState::running) next = me.idle_task;
        else next = me.shared.ready->pick_local(owner, reason);
        if (next == nullptr) next = me.idle_task;
        // The idle detour. `next` may still be on the CPU that ran it last (woken or
        // requeued there a moment ago), and dispatch() then waits for that CPU's
        // finish_switch(). Waiting while we are on prev could deadlock: that CPU may be
        // waiting in its own dispatch() for prev, which only our finish_switch() releases
        // (two CPUs each picking the task the other is leaving; found by review,
        // 2026-11-22). So we wait only from our idle task, which no other CPU ever picks:
        // keep `next` aside, switch to idle (releasing prev), and idle picks it first.
        // acquire: as in dispatch(); a stale true only costs the detour.
        if (next != prev && !prev->is_idle_task && !next->is_idle_task
            && next->on_cpu.load(std::memory_order_acquire)) {
            me.held_next = next;
            me.stats.idle_detours.add();
            next = me.idle_task;
        }
        if (next == prev) {
            // relaxed: as in dispatch().
            prev->state.store(TaskState::running, std::memory_order_relaxed);
            prev->slice_start_tsc = now;
            me.slice_end_tsc = now + me.shared.config.timeslice_tsc;
            if (!prev->is_idle_task) arm_timer(me, now);
            return;
        }
        trace::hook_switch(me.index, next, reason);
        dispatch(me, next, now);
    }
    void* last = sched_switch(&prev->saved_rsp, next->saved_rsp, prev);
    // Back in prev, on whichever CPU picked it: `me` above is stale.
    finish_switch(static_cast<Task*>(last));
}

void finish_switch(Task* last) {
    CpuSched& me = this_cpu_sched();
    // Read before on_cpu goes false: from then on `last` may run (and exit) elsewhere.
    // acquire: pairs with the release store of dead in exit(), our own CPU's, so trivially.
    bool dead = last->state.load(std::memory_order_acquire) == TaskState::dead;
    // release: pairs with the acquire spin in dispatch() of the next CPU to pick `last`:
    // this CPU is off last's stack and every write it made there is visible.
    last->on_cpu.store(false, std::memory_order_release);
    if (dead) put_ref(last);  // the alive reference, dropped once nobody runs on the stack
    if (me.stats.context_switches.get() % kReclaimEverySwitches == 0) reclaim_here_now(me);
}

void put_ref(Task* task) {
    // acq_rel: release orders our last use of the task before the drop; acquire makes the
    // other holders' last uses visible to whoever frees it.
    if (task->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // No reference is left, but other CPUs may still read the pointer (dumps, a picker
    // that saw it in `current`): free it only after a grace period (plan §11).
    CpuSched& me = this_cpu_sched();
    me.epoch->retire(&task->retire_node, &free_retired_task);
    if (++me.retired_since_reclaim >= kReclaimEveryRetires) reclaim_here_now(me);
}

void task_first_run(void* prev, void* self) {
    finish_switch(static_cast<Task*>(prev));
    Task* task = static_cast<Task*>(self);
    arch::sti();
    sched::exit(task->entry(task->arg));
}

} // namespace sched
