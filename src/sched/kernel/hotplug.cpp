// CPU hotplug ("CPU hotplug"): cpu_offline(n) takes CPU n out of the scheduler, moving every
// task queued on it to the online CPUs, and parks it; cpu_online(n) brings it back.
//
// The caller (a task) and CPU n split the work. The caller removes n from `online`, waits
// a grace period (so every placer that read the old mask has finished its push), then
// asks n. Only n may run owner operations on its structures, so n itself, in its idle
// task with interrupts off, evacuates (ReadyQueues::evacuate, portable), trims its task
// memory cache, stops its timer, leaves the epoch set and parks. A parked CPU sits in
// `sti; hlt`, so it still serves call-function IPIs and the panic NMI.
#include <atomic>
#include <type_traits>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/kernel/task_memory.h"

namespace sched {
namespace {

// One operation at a time ("CPU hotplug"), claimed by CAS.
std::atomic<bool> g_busy{false};

// A grace period from a task: an object retired now is freed only after every CPU that
// was inside a QSBR section at the retire has passed a quiescent point.
struct GraceWaiter {
    core::RetireNode node;  // first member: the free fn gets back to the waiter from it
    std::atomic<bool> passed{false};
};
static_assert(std::is_standard_layout_v<GraceWaiter>);

void grace_passed(core::RetireNode* node) {
    // release: pairs with the acquire load in synchronize(); nothing is published but the
    // fact, and the reclaiming CPU never touches the waiter after this store.
    reinterpret_cast<GraceWaiter*>(node)->passed.store(true, std::memory_order_release);
}

// "CPU hotplug" step 2. Placers work inside QSBR sections (IF=0 between quiescent points), so once
// the grace period is over, every placer that read the mask from before our removal has
// finished its push. Yields rather than EpochParticipant::barrier(): a task may migrate
// away from the participant barrier() would spin on.
void synchronize() {
    GraceWaiter waiter;  // on our stack: we do not return before it is freed
    {
        arch::InterruptGuard irq_off;
        this_cpu_sched().epoch->retire(&waiter.node, &grace_passed);
    }
    while (!waiter.passed.load(std::memory_order_acquire)) {
        yield();
        // Push reclamation along where we are now (the waiter sits on the participant of
        // the CPU that retired it; that CPU also reclaims at every 32nd switch and before
        // each halt, so this is only a shortcut when we stayed put).
        arch::InterruptGuard irq_off;
        CpuSched& me = this_cpu_sched();
        me.epoch->quiescent();  // a task holds no scheduler pointer across this section
        if (size_t freed = me.epoch->try_reclaim()) me.stats.reclaimed.add(freed);
    }
}

// Sends the control kick, a reschedule IPI (to ourselves it is a self-IPI, and the wait
// loop's yield would reach schedule(), which sees the request, anyway).
void control_kick(CpuSched& target) {
    {
        arch::InterruptGuard irq_off;
        this_cpu_sched().stats.control_ipis.add();
    }
    platform::kick(target.index, target.latch);
}

// Waits, yielding, until `cpu` reports `state`.
void wait_for_state(CpuSched& cpu, HotplugState state) {
    // acquire: pairs with the release store of `state` by the CPU itself, so everything
    // it did before (evacuation, leaving the epoch set / rejoining) is visible.
    while (cpu.hotplug.load(std::memory_order_acquire) != state) yield();
}

HotplugError offline_claimed(SchedShared& s, uint32_t n) {
    CpuSched& cpu = s.cpu(n);
    // acquire: pairs with the release stores of the state by n (and the seq_cst add of
    // the online bit in join_scheduler()).
    if (!s.online.contains(n, std::memory_order_acquire) ||
        cpu.hotplug.load(std::memory_order_acquire) != HotplugState::running)
        return HotplugError::not_online;
    // Step 1. seq_cst: the removal must precede the grace period's retire stamp (a full
    // fence, then the epoch read) in the single order, so a placer that still reads the
    // old mask is pinned at an epoch that stamp waits out. Partner: the acquire loads of
    // `online` in place(), place_remote(), claim_idle_cpu() and steal_round().
    s.online.remove(n, std::memory_order_seq_cst);
    // Step 2.
    synchronize();
    // Step 3. release: pairs with the acquire loads of the state on n (idle loop,
    // schedule(), the kick hook): n sees the removal above before it evacuates.
    cpu.hotplug.store(HotplugState::evacuate_requested, std::memory_order_release);
    control_kick(cpu);
    wait_for_state(cpu, HotplugState::parked);
    return HotplugError::none;
}

HotplugError online_claimed(SchedShared& s, uint32_t n) {
    CpuSched& cpu = s.cpu(n);
    // acquire: pairs with the release store of parked by n.
    if (cpu.hotplug.load(std::memory_order_acquire) != HotplugState::parked) return HotplugError::not_parked;
    // release: pairs with the acquire load in n's park loop.
    cpu.hotplug.store(HotplugState::online_requested, std::memory_order_release);
    control_kick(cpu);
    wait_for_state(cpu, HotplugState::running);
    return HotplugError::none;
}

// Common checks and the one-at-a-time claim around an operation.
template <typename Op>
HotplugError claimed(uint32_t n, Op op) {
    if (!started()) return HotplugError::not_started;
    SchedShared& s = shared();
    if (n >= s.cpu_count) return HotplugError::no_such_cpu;
    bool expected = false;
    // acquire: pairs with the release store that ended the previous operation, so its
    // states are visible to our checks.
    if (!g_busy.compare_exchange_strong(expected, true, std::memory_order_acquire, std::memory_order_relaxed))
        return HotplugError::busy;
    HotplugError result = op(s, n);
    g_busy.store(false, std::memory_order_release);  // pairs with the claim's acquire
    return result;
}

// On the parking CPU, interrupts off: waits for cpu_online(). Interrupts are on only
// inside `sti; hlt`, where call-function IPIs (TLB flushes, trims) are served; a kick
// latched before the hlt ends it at once.
void park(CpuSched& me) {
    // acquire: pairs with the release store of online_requested in cpu_online().
    while (me.hotplug.load(std::memory_order_acquire) != HotplugState::online_requested) {
        arch::sti_halt();
        arch::cli();
    }
}

}  // namespace

const char* to_string(HotplugError error) {
    switch (error) {
        case HotplugError::none:
            return "no error";
        case HotplugError::boot_cpu:
            return "cpu 0 is the bootstrap CPU and cannot go offline";
        case HotplugError::no_such_cpu:
            return "no such cpu";
        case HotplugError::not_online:
            return "the cpu is not online";
        case HotplugError::not_parked:
            return "the cpu is not offline (parked)";
        case HotplugError::busy:
            return "another cpu hotplug operation is in progress";
        case HotplugError::not_started:
            return "the scheduler is not started";
    }
    return "unknown hotplug error";
}

HotplugError cpu_offline(uint32_t cpu) {
    if (cpu == 0 && started()) return HotplugError::boot_cpu;
    return claimed(cpu, offline_claimed);
}

HotplugError cpu_online(uint32_t cpu) { return claimed(cpu, online_claimed); }

void handle_hotplug(OwnerCpu& owner) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // the idle task's, except in park()
    CpuSched& me = owner.cpu();
    // acquire: pairs with the release store of the request in cpu_offline().
    if (me.hotplug.load(std::memory_order_acquire) != HotplugState::evacuate_requested) return;
    // Every task that ran here was requeued here before we were switched to (schedule()
    // picks only the idle task once the request is seen), so the queues hold them all.
    size_t moved = me.shared.ready->evacuate(owner);
    // Our last reclaim: what it frees lands in our cache, spilled below.
    if (size_t freed = me.epoch->try_reclaim()) me.stats.reclaimed.add(freed);
    arch::timer::stop();
    me.armed_deadline_tsc = 0;
    // seq_cst, as the other halted-bit RMWs: nobody may claim a parked CPU. The idle
    // loop cleared it when it woke; this is for certainty, not a protocol step.
    me.shared.halted.remove(me.index, std::memory_order_seq_cst);
    // Leave the epoch set: ~EpochParticipant unpins and hands the garbage still waiting
    // here to the domain's shared list (freed by the online CPUs), and frees id n.
    me.epoch->go_offline();
    me.epoch.reset();
    // No frame stays stranded in a cache nobody allocates from: into the shared pool.
    spill_this_cpu_task_memory();
    log_info("sched: cpu %u offline: %zu tasks moved, parked", me.index, moved);
    // release: pairs with the acquire wait in cpu_offline(): everything above is done.
    me.hotplug.store(HotplugState::parked, std::memory_order_release);

    park(me);

    join_scheduler(me);
    log_info("sched: cpu %u online again", me.index);
    // release: pairs with the acquire wait in cpu_online().
    me.hotplug.store(HotplugState::running, std::memory_order_release);
}

void hotplug_on_kick(CpuSched& me) {
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // the IPI handler's
    // acquire: pairs with the release store of the request in cpu_offline().
    if (me.hotplug.load(std::memory_order_acquire) != HotplugState::evacuate_requested) return;
    // relaxed: our own CPU's field.
    Task* current = me.current.load(std::memory_order_relaxed);
    if (current == nullptr || current->is_idle_task) return;  // the idle loop sees the request
    if (preemption_blocked(me)) {
        defer_preemption(me);  // preempt_enable() leaves; then schedule() sees the request
        return;
    }
    // As the tick does (the IPI handler sent EOI before the hook): the task is requeued
    // here and schedule() switches to the idle task, which evacuates it with the rest.
    schedule(PickReason::preempted);
}

}  // namespace sched
