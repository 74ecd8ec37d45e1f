#include "sched/join.h"

#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "lib/spinlock.h"
#include "sched/kernel_glue.h"

namespace sched {
namespace {

constexpr uint32_t kBuckets = 64;

// On the joiner's stack while it waits: valid until the joiner runs again, which is
// after exit_and_wake_joiners() has unlinked it and read its fields.
struct JoinWaiter {
    Task* target;
    Task* joiner;
    JoinWaiter* next;
};

struct alignas(64) JoinBucket {
    Spinlock lock;  // taken with interrupts off only
    JoinWaiter* waiters = nullptr;
};
JoinBucket g_buckets[kBuckets];

JoinBucket& bucket_of(const Task* task) {
    // Tasks are 16 KiB apart at least (one per stack), so skip the low bits.
    return g_buckets[(reinterpret_cast<uintptr_t>(task) >> 14) % kBuckets];
}

} // namespace

void exit_and_wake_joiners(Task* self, int64_t code) {
    self->exit_code = code;
    JoinBucket& bucket = bucket_of(self);
    JoinWaiter* woken = nullptr;
    {
        SpinlockLocker guard(bucket.lock);
        // release: pairs with the acquire load in wait_until_dead() (and in any reader of
        // the state), which then reads exit_code.
        self->state.store(TaskState::dead, std::memory_order_release);
        JoinWaiter** link = &bucket.waiters;
        while (JoinWaiter* w = *link) {
            if (w->target == self) {
                *link = w->next;
                w->next = woken;
                woken = w;
            } else {
                link = &w->next;
            }
        }
    }
    arch::InterruptGuard irq_off;  // already off: the proof OwnerCpu wants
    OwnerCpu owner(this_cpu_sched(), irq_off);
    while (woken) {
        // Read before the wake: once ready, the joiner may run and drop its stack node.
        JoinWaiter* next = woken->next;
        Task* joiner = woken->joiner;
        // sync: we are about to exit, so the joiner may as well run here, next.
        make_ready(owner, joiner, TaskState::blocked, WakeHint::sync);
        woken = next;
    }
}

void wait_until_dead(Task* task) {
    arch::InterruptGuard irq_off;
    JoinBucket& bucket = bucket_of(task);
    for (;;) {
        Task* self = this_cpu_sched().current.load(std::memory_order_relaxed);  // relaxed: own CPU
        JoinWaiter node{task, self, nullptr};
        {
            SpinlockLocker guard(bucket.lock);
            // acquire: pairs with the release store in exit_and_wake_joiners().
            if (task->state.load(std::memory_order_acquire) == TaskState::dead) return;
            node.next = bucket.waiters;
            bucket.waiters = &node;
            // relaxed: the lock orders it before the exiting task's CAS (which reads it
            // after taking the same lock).
            self->state.store(TaskState::blocked, std::memory_order_relaxed);
        }
        schedule(PickReason::blocked);
        // Woken: the exiting task unlinked our node; loop to re-check (it is dead).
    }
}

} // namespace sched
