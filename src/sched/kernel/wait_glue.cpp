// The kernel's half of wait_queue.h ("Wait queues, Mutex, Semaphore, Event"): the three functions the
// header-only WaitQueue, Mutex, Semaphore and Event call into.
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/sync/wait_queue.h"

namespace sched {

Task* wait_current_task() {
    // relaxed: our own CPU's field (interrupts are off, so we stay on this CPU).
    return this_cpu_sched().current.load(std::memory_order_relaxed);
}

void wait_block_current() {
    // The caller (WaitQueue::wait_if) set `blocked` and queued us with interrupts off,
    // and keeps them off through the switch: see the header comment for why.
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");
    schedule(PickReason::blocked);
}

void wait_make_ready(Task* task, WakeHint hint) {
    arch::InterruptGuard irq_off;
    OwnerCpu owner(this_cpu_sched(), irq_off);
    // The waker popped `task` under the queue's lock, so it is the only one waking it; the
    // CAS in make_ready() still guards blocked -> ready.
    make_ready(owner, task, TaskState::blocked, hint);
}

}  // namespace sched
