// Break-it for the scheduler's invariant checks (SCHED_VERIFY, sched_platform.h): a
// deliberate violation must end the run with the panic report naming the invariant. Tests
// named break_* crash on purpose, so only a filter that names them runs them, never
// test=all; test/qemu_matrix.sh boots test=break_sched_verify and expects the report.
#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "sched/kernel/kernel_glue.h"

namespace {

// Created, never placed, never run: requeueing it as "the current task" is the illegal
// edge created -> ready by way of requeue_current(), which expects running -> ready.
sched::Task g_never_ran;

}  // namespace

KTEST_SCHED(break_sched_verify_requeue_of_a_task_that_never_ran) {
    {
        arch::InterruptGuard irq_off;
        sched::OwnerCpu owner(sched::this_cpu_sched(), irq_off);
        sched::requeue_current(owner, &g_never_ran, sched::PickReason::yielded);  // panics here
    }
    KEXPECT(false, "requeue_current() took a task that never ran: SCHED_VERIFY(task_state_edge) did not fire");
}
