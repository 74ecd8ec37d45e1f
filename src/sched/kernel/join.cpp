#include "sched/sync/join.h"

#include <atomic>
#include <bit>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "lib/spinlock.h"
#include "sched/kernel/kernel_glue.h"

namespace sched {
namespace {

constexpr uint32_t kBuckets = kJoinBuckets;

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

// Fibonacci hashing of the task's page number. A Task sits at the top of its stack, and
// stacks live in 1 MiB slots (mm/kstack.cpp), so every task address is the same modulo
// 1 MiB: any hash that keeps only low-order bits puts every joiner in one bucket. Until
// 2026-11-29 this was (address >> 14) % 64, which did exactly that; bench=sched found it
// (fib(24) at 2 CPUs walked 981 waiters per exit on average, and ran slower than on one).
uint32_t bucket_index(const Task* task) {
    static_assert((kBuckets & (kBuckets - 1)) == 0, "kBuckets must be a power of two");
    constexpr uint32_t kShift = 64 - std::countr_zero(kBuckets);
    uint64_t page = reinterpret_cast<uintptr_t>(task) >> 12;
    return uint32_t((page * 0x9e3779b97f4a7c15ull) >> kShift);
}

JoinBucket& bucket_of(const Task* task) { return g_buckets[bucket_index(task)]; }

}  // namespace

uint32_t join_bucket_index(const Task* task) { return bucket_index(task); }

void exit_and_wake_joiners(Task* self, int64_t code) {
    self->exit_code = code;
    JoinBucket& bucket = bucket_of(self);
    JoinWaiter* woken = nullptr;
    {
        SpinlockLocker guard(bucket.lock);
        // release: pairs with the acquire load in wait_until_dead() (and in any reader of
        // the state), which then reads exit_code.
        change_state(self, TaskState::running, TaskState::dead, std::memory_order_release);
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
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // exit() did cli
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
            change_state(self, TaskState::running, TaskState::blocked, std::memory_order_relaxed);
        }
        schedule(PickReason::blocked);
        // Woken: the exiting task unlinked our node; loop to re-check (it is dead).
    }
}

}  // namespace sched
