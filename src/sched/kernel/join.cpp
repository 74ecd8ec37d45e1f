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

// Exit and join meet without the lock when nobody waits (Dekker, both sides seq_cst): the
// joiner links its node, then looks at the state; the exiting task stores dead, then looks
// at the list. In the single total order one of them sees the other's store: either the
// joiner sees dead and unlinks itself, or the exiting task sees a non-empty list and walks
// it under the lock, which the joiner holds until its node and its blocked state are in.
struct alignas(64) JoinBucket {
    Spinlock lock;  // taken with interrupts off only
    // Written only under `lock`; read without it by exit_and_wake_joiners().
    std::atomic<JoinWaiter*> waiters{nullptr};
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

// exit_and_wake_joiners() once its bucket has waiters (its own task's or another's): out
// of line, so that the exit nobody waits for saves no registers for the walk.
[[gnu::noinline]] void wake_joiners(Task* self, JoinBucket& bucket) {
    JoinWaiter* woken = nullptr;
    {
        SpinlockLocker guard(bucket.lock);
        // relaxed: the lock orders every write of the list.
        JoinWaiter* w = bucket.waiters.load(std::memory_order_relaxed);
        JoinWaiter* kept = nullptr;
        JoinWaiter** kept_tail = &kept;
        while (w) {
            JoinWaiter* next = w->next;
            if (w->target == self) {
                w->next = woken;
                woken = w;
            } else {
                *kept_tail = w;
                kept_tail = &w->next;
            }
            w = next;
        }
        *kept_tail = nullptr;
        bucket.waiters.store(kept, std::memory_order_relaxed);  // relaxed: under the lock
    }
    SCHED_VERIFY(platform::interrupts_off(), "interrupts_off");  // exit() did cli
    arch::InterruptGuard irq_off(arch::already_off);  // checked above: the proof OwnerCpu wants
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

}  // namespace

uint32_t join_bucket_index(const Task* task) { return bucket_index(task); }

void exit_and_wake_joiners(Task* self, int64_t code) {
    self->exit_code = code;
    JoinBucket& bucket = bucket_of(self);
    // seq_cst: the Dekker store, paired with the joiner's seq_cst load of the state in
    // wait_until_dead() (the release part also publishes exit_code to it and to any
    // acquire reader of the state). On x86 an xchg: the one locked instruction of an exit
    // that nobody waits for.
    change_state(self, TaskState::running, TaskState::dead, std::memory_order_seq_cst);
    // seq_cst: the Dekker load, after our store in the total order; partner: the joiner's
    // seq_cst store of its node. Empty: every joiner of ours that had not seen dead yet
    // would have linked its node before this load, so there is none.
    if (bucket.waiters.load(std::memory_order_seq_cst)) wake_joiners(self, bucket);
}

void block_until_dead(Task* task) {
    arch::InterruptGuard irq_off;
    JoinBucket& bucket = bucket_of(task);
    for (;;) {
        Task* self = this_cpu_sched().current.load(std::memory_order_relaxed);  // relaxed: own CPU
        JoinWaiter node{task, self, nullptr};
        {
            SpinlockLocker guard(bucket.lock);
            // relaxed: the lock orders every write of the list.
            node.next = bucket.waiters.load(std::memory_order_relaxed);
            // seq_cst: the Dekker store; partner: the exiting task's seq_cst load of the
            // list, after its store of dead.
            bucket.waiters.store(&node, std::memory_order_seq_cst);
            // seq_cst: the Dekker load, after our node in the total order; its acquire
            // part pairs with the release of the dead store, so exit_code is visible.
            if (task->state.load(std::memory_order_seq_cst) == TaskState::dead) {
                // We hold the lock since linking it, so our node is still the head.
                bucket.waiters.store(node.next, std::memory_order_relaxed);  // relaxed: under the lock
                return;
            }
            // release: for `ps`'s acquire load (registry.cpp). The lock orders it before the
            // exiting task's walk, which it does under the same lock (it saw our node, so it
            // takes the lock after we drop it).
            change_state(self, TaskState::running, TaskState::blocked, std::memory_order_release);
        }
        schedule(PickReason::blocked);
        // Woken: the exiting task unlinked our node; loop to re-check (it is dead).
    }
}

}  // namespace sched
