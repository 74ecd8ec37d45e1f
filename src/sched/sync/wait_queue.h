// Wait queues ("Wait queues, Mutex, Semaphore, Event"): a spinlock (lib/spinlock.h) and an intrusive FIFO of blocked tasks (through
// Task::wait_next). Header-only, so nothing is emitted (and no glue symbol is needed)
// until something uses it.
//
// The glue provides three functions (kernel: the scheduler glue, S-K; host: the tests):
//   Task* wait_current_task();      the calling task; interrupts off
//   void  wait_block_current();     interrupts off, the caller is marked blocked and queued:
//                                   switch away (schedule(blocked)) until woken; interrupts
//                                   are off again on return
//   void  wait_make_ready(Task*, WakeHint);  blocked -> ready (make_ready() on this CPU)
//
// Why interrupts stay off from the check to the switch: a tick in between would preempt a
// task already marked blocked and requeue it; a waker's CAS blocked -> ready would then
// fail, and the task, no longer queued, would block forever once it ran again.
#pragma once
#include <atomic>
#include <cstddef>

#include "lib/spinlock.h"
#include "sched/queues/ready_queues.h"
#include "sched/model/task.h"
#include "sched_platform.h"

namespace sched {

Task* wait_current_task();
void wait_block_current();
void wait_make_ready(Task* task, WakeHint hint);

class WaitQueue {
public:
    WaitQueue() = default;
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Blocks the calling task until a wake, if `should_wait()` returns true. The predicate
    // runs under the queue's lock, so a waker that changes the condition and then wakes
    // (taking the lock) cannot slip between the check and the enqueue. Returns whether
    // the task waited. Spurious returns do not happen, but callers re-check anyway.
    template <typename ShouldWait>
    bool wait_if(ShouldWait&& should_wait) {
        [[maybe_unused]] platform::InterruptsOff interrupts_off;
        {
            SpinlockLocker guard(m_lock);
            if (!should_wait()) return false;
            Task* self = wait_current_task();
            // release: for the kernel's `ps` walk (registry.cpp), which reads the task's
            // fields after an acquire load of its state. The waker needs none: the unlock
            // (release) publishes it to the waker's lock (acquire), and its CAS reads it.
            change_state(self, TaskState::running, TaskState::blocked, std::memory_order_release);
            append(self);
        }
        wait_block_current();
        return true;
    }

    // Wakes the oldest waiter. False when there was none.
    bool wake_one(WakeHint hint = WakeHint::none) {
        Task* task;
        {
            [[maybe_unused]] platform::InterruptsOff interrupts_off;
            SpinlockLocker guard(m_lock);
            task = pop();
        }
        if (task) wait_make_ready(task, hint);
        return task != nullptr;
    }

    // Wakes every waiter (taken under the lock, woken outside it). Returns how many.
    size_t wake_all(WakeHint hint = WakeHint::none) {
        Task* chain;
        {
            [[maybe_unused]] platform::InterruptsOff interrupts_off;
            SpinlockLocker guard(m_lock);
            chain = m_head;
            m_head = m_tail = nullptr;
        }
        size_t woken = 0;
        while (chain) {
            Task* next = chain->wait_next;
            chain->wait_next = nullptr;
            wait_make_ready(chain, hint);
            chain = next;
            ++woken;
        }
        return woken;
    }

    // For primitives that decide under the lock (Semaphore's hand-off): run `f` with
    // the lock held and interrupts off; `f` may call pop_locked(). Returns what `f` did.
    template <typename F>
    auto with_lock(F&& f) {
        [[maybe_unused]] platform::InterruptsOff interrupts_off;
        SpinlockLocker guard(m_lock);
        return f();
    }
    Task* pop_locked() { return pop(); }

    // Racy (diagnostics and tests).
    bool empty_approx() const { return m_head == nullptr; }

private:
    void append(Task* task) {
        task->wait_next = nullptr;
        if (m_tail)
            m_tail->wait_next = task;
        else
            m_head = task;
        m_tail = task;
    }
    Task* pop() {
        Task* task = m_head;
        if (task) {
            m_head = task->wait_next;
            if (!m_head) m_tail = nullptr;
            task->wait_next = nullptr;
        }
        return task;
    }

    Spinlock m_lock;
    Task* m_head = nullptr;  // under m_lock
    Task* m_tail = nullptr;
};

}  // namespace sched
