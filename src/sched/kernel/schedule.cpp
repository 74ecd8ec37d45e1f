// The run loop ("The run loop"): pick the next task, switch to it, and clean up after the switch.
// What to run next is decided by the portable run loop (policy/run_loop.cpp); this file
// keeps the switch, the CPU's own pointers and the timer.
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

// "CPU hotplug": one line per widening, when the task first runs outside its own set ("now
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

// Step 5, the hardware half: dispatch() (run_loop.cpp) has made `next` current; now the
// CPU's own pointer, the widening warning and the timer.
void dispatch_here(OwnerCpu& owner, Task* next, uint64_t now) {
    CpuSched& me = owner.cpu();
    bool dispatched = dispatch(owner, next, now);
    SCHED_VERIFY(dispatched, "on_cpu_wait_ends");  // the kernel's wait never gives up
    warn_if_widened(next);
    if (next->is_idle_task) {
        // The idle loop arms its own deadlines (backstop, sleepers) when it halts, which
        // overwrites ours: forget what we armed.
        me.armed_deadline_tsc = 0;
    } else {
        arm_timer(me, now);
    }
}

// finish_switch(), inlined into the two places every switch ends (schedule() and a new
// task's first run): as a call it was a frame on each.
[[gnu::always_inline]] inline void finish_switch_here(Task* last) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // from sched_switch until back in the task
    CpuSched& me = this_cpu_sched();
    if (release_on_cpu(last)) put_ref(last);  // the alive reference, dropped once nobody runs on the stack
    if (me.stats.context_switches.get() % kReclaimEverySwitches == 0) reclaim_here_now(me);
}

}  // namespace

// The decisions are decide_next()'s (run_loop.cpp, shared with the host stress); here are
// the hardware's parts: the timer, the CPU's current pointer, the switch itself.
void schedule(PickReason reason) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // the callers' promise (kernel_glue.h)
    Task* next;
    Task* prev;
    {
        arch::InterruptGuard irq_off(arch::already_off);  // checked above: this only proves it to OwnerCpu
        CpuSched& me = this_cpu_sched();
        // A task that blocked preemption may not leave its CPU (preempt.cpp); the tick and
        // the IPIs defer instead of calling us.
        SCHED_VERIFY(!preemption_blocked(me), "switch_with_preemption_disabled");
        OwnerCpu owner(me, irq_off);
        // relaxed: written only by this CPU.
        prev = me.current.load(std::memory_order_relaxed);
        uint64_t now = platform::now_tsc();
        Decision decision = decide_next(owner, prev, reason, now);
        if (decision.same) {
            if (!prev->is_idle_task) arm_timer(me, now);
            return;
        }
        next = decision.next;
        dispatch_here(owner, next, now);
    }
    void* last = sched_switch(&prev->saved_rsp, next->saved_rsp, prev);
    // Back in prev, on whichever CPU picked it: `me` above is stale.
    finish_switch_here(static_cast<Task*>(last));
}

void finish_switch(Task* last) { finish_switch_here(last); }

void put_ref(Task* task) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // retire() is an owner operation
    // acq_rel: release orders our last use of the task before the drop; acquire makes the
    // other holders' last uses visible to whoever frees it.
    if (task->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // No reference is left, but other CPUs may still read the pointer (dumps, a picker
    // that saw it in `current`): free it only after a grace period ("Exit, join and reclamation").
    CpuSched& me = this_cpu_sched();
    me.epoch->retire(&task->retire_node, &free_retired_task);
    if (++me.retired_since_reclaim >= kReclaimEveryRetires) reclaim_here_now(me);
}

void task_first_run(void* prev, void* self) {
    finish_switch_here(static_cast<Task*>(prev));
    Task* task = static_cast<Task*>(self);
    arch::sti();
    sched::exit(task->entry(task->arg));
}

}  // namespace sched
