// A counting semaphore on a WaitQueue. up() hands its unit straight to the oldest waiter
// when there is one (the waiter returns owning it), so a unit cannot be stolen between the
// wake and the waiter running, and waiters are served FIFO.
#pragma once
#include <atomic>
#include <cstdint>

#include "sched/sync/wait_queue.h"

namespace sched {

class Semaphore {
public:
    explicit Semaphore(uint64_t initial = 0) : m_count(initial) {}
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;

    bool try_down() {
        // relaxed: the CAS validates it.
        uint64_t n = m_count.load(std::memory_order_relaxed);
        // acquire: pairs with the release in up(): what the upper did is visible.
        while (n > 0) {
            if (m_count.compare_exchange_weak(n, n - 1, std::memory_order_acquire, std::memory_order_relaxed))
                return true;
        }
        return false;
    }

    void down() {
        if (try_down()) return;
        // Re-check under the lock: up() increments only under it when nobody waits, so
        // either we see its unit here or it sees us queued and hands the unit over.
        m_waiters.wait_if([&] { return !try_down(); });
    }

    void up(WakeHint hint = WakeHint::none) {
        Task* waiter = m_waiters.with_lock([&] {
            Task* t = m_waiters.pop_locked();
            if (!t) m_count.fetch_add(1, std::memory_order_release);  // release: pairs with try_down()
            return t;
        });
        if (waiter) wait_make_ready(waiter, hint);
    }

    uint64_t count_approx() const { return m_count.load(std::memory_order_relaxed); }  // relaxed: a hint

private:
    std::atomic<uint64_t> m_count;
    WaitQueue m_waiters;
};

}  // namespace sched
