// Internals shared by the kernel-only scheduler files (schedule.cpp, tasks.cpp,
// idle_task.cpp, start.cpp, tick.cpp, wait_glue.cpp). Not an API.
#pragma once
#include <cstddef>
#include <cstdint>

struct InterruptFrame;

#include "arch/x86_64/percpu.h"
#include "sched/config.h"
#include "sched/model/cpu_sched.h"
#include "sched/policy/run_loop.h"
#include "sched/queues/ready_queues.h"
#include "sched/model/task.h"

namespace sched {

// The state every CPU shares; constructed at boot (no allocation), filled by start()
// (start.cpp). Inline: an out-of-line call here cost ~12 instructions per spawn+exit.
extern SchedShared g_shared_state;
inline SchedShared& shared() { return g_shared_state; }

// The ready-queue variant of sched= (backend.cpp, issue 5); start() installs it.
ReadyQueues& ready_queues_for(Backend kind);

// This CPU's run structures. Only meaningful with interrupts off (or pinned). The slot of
// the CPU's PerCpu block that start() filled in: one load on every scheduler path.
inline CpuSched& this_cpu_sched() {
    return *static_cast<CpuSched*>(arch::this_cpu_slot<offsetof(arch::PerCpu, scheduler)>());
}

// "The run loop": switches away from the current task (the decisions: decide_next(), run_loop.h). Interrupts must be off; they are off on
// return too, possibly on another CPU, and possibly much later. For `preempted` and
// `yielded` the current task is requeued first; for the others it must already be
// wherever it waits (or dead).
void schedule(PickReason reason);

// "The run loop" step 7, on the CPU that just switched away from `last`.
void finish_switch(Task* last);

// Drops one reference ("Exit, join and reclamation"); the last one retires the task through the epochs.
// Interrupts must be off.
void put_ref(Task* task);

// The one-shot for min(end of the current slice, next sleeper) (tick.cpp, "Preemption, timers and sleep");
// interrupts off, a non-idle current task. Lazy: no LAPIC write when what is armed fires
// early enough and has not passed. Inline, as that check runs on every switch; the write
// is write_timer() (tick.cpp).
void write_timer(CpuSched& me, uint64_t deadline, uint64_t now);
inline void arm_timer(CpuSched& me, uint64_t now) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");
    uint64_t deadline = me.slice_end_tsc;
    uint64_t next_sleeper = me.sleepers.next_deadline();
    if (next_sleeper < deadline) deadline = next_sleeper;
    // Lazy: a LAPIC write only when the armed deadline is later than the one we need, or
    // already passed. An early tick only costs a re-check in on_tick, and the yield path
    // (same slice end, no new sleeper) writes nothing.
    if (me.armed_deadline_tsc > now && me.armed_deadline_tsc <= deadline) return;
    write_timer(me, deadline, now);
}
// How many sleepers on_tick() has woken on `cpu` (a busy CPU's path; tests read it).
uint64_t tick_sleeper_wakeups(uint32_t cpu);
// Config::on_cpu0_tick, if any (tick.cpp, on CPU 0).
void run_cpu0_tick_hook();
// The tick callback (arch::timer::set_tick_callback), installed by start().
void on_tick(InterruptFrame& frame);

// On CPU `cpu.index` itself, interrupts off: joins the epoch set and the online mask
// (start.cpp; at boot and when a parked CPU comes back, "CPU hotplug").
void join_scheduler(CpuSched& cpu);
// The idle loop's hotplug step (hotplug.cpp, "CPU hotplug"), on the CPU asked to go offline:
// evacuates, leaves, parks until cpu_online(), rejoins. Interrupts off.
void handle_hotplug(OwnerCpu& me);
// Reschedule-IPI work beyond the wakeup itself: preempts a running task when this CPU is
// asked to go offline (hotplug.cpp). Interrupts off (the IPI handler, after EOI).
void hotplug_on_kick(CpuSched& me);

// Preemption blocked by preempt_disable() (preempt.cpp). While it is, the tick and the
// reschedule IPI call defer_preemption() instead of schedule(PickReason::preempted); the
// final preempt_enable() then preempts. Interrupts off, on CPU `me.index`.
// Owner-CPU only, read and written with interrupts off (the task's own calls, its CPU's
// tick and IPI handler), so plain values: nothing on another CPU ever looks. Defined in
// preempt.cpp; here so that schedule()'s check on every switch is not a call.
struct PreemptState {
    uint32_t depth = 0;
    bool pending = false;  // a preemption came due while blocked
};
extern PreemptState g_preempt[kMaxCpus];
inline bool preemption_blocked(const CpuSched& me) { return g_preempt[me.index].depth != 0; }
void defer_preemption(CpuSched& me);

// The lockup detector's per-tick work (watchdog.cpp): bumps this CPU's heartbeat, checks
// its neighbour's (hard lockup) and its own current task (soft lockup). First thing in
// on_tick(), on every CPU and every tick, idle or not.
void watchdog_tick(CpuSched& me, const InterruptFrame& frame, uint64_t now);
// platform::halt() brackets `sti; hlt` with these: a halted CPU has no tick to miss.
void watchdog_halt_begin();
void watchdog_halt_end();
// End of start(), on the BSP, once every CPU has joined: arms the detector (0: off).
void watchdog_start(uint32_t watchdog_s);

// The first code a new task runs (sched_task_bootstrap calls it with prev and the Task).
[[noreturn]] void task_first_run(void* prev, void* self);
// The idle task's body (start.cpp builds one per CPU).
[[noreturn]] void idle_task_main(void* prev, void* self);

}  // namespace sched
