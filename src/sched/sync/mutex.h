// A sleeping mutex on a WaitQueue: Drepper's three states ("Futexes Are Tricky", 2004):
// 0 free, 1 locked, 2 locked with (possible) waiters. Uncontended lock/unlock are one
// atomic each and never touch the queue.
#pragma once
#include <atomic>
#include <cstdint>

#include "sched/sync/wait_queue.h"

namespace sched {

class Mutex {
public:
    Mutex() = default;
    Mutex(const Mutex&) = delete;
    Mutex& operator=(const Mutex&) = delete;

    void lock() {
        uint32_t expected = 0;
        // acquire: pairs with the release exchange in unlock().
        if (m_state.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed)) return;
        // Slow path: mark contended under the queue lock; 0 seen there means we got it.
        // An unlock that comes after our exchange sees 2 and wakes, and its wake takes the
        // queue lock, so it finds us queued (we enqueue before releasing that lock).
        // acquire: as above.
        while (m_waiters.wait_if([&] { return m_state.exchange(2, std::memory_order_acquire) != 0; })) {}
    }

    bool try_lock() {
        uint32_t expected = 0;
        // acquire: as in lock().
        return m_state.compare_exchange_strong(expected, 1, std::memory_order_acquire, std::memory_order_relaxed);
    }

    void unlock() {
        // release: publishes the critical section to the next owner's acquire.
        if (m_state.exchange(0, std::memory_order_release) == 2) m_waiters.wake_one();
    }

private:
    std::atomic<uint32_t> m_state{0};
    WaitQueue m_waiters;
};

class MutexLocker {
public:
    explicit MutexLocker(Mutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
    ~MutexLocker() { m_mutex.unlock(); }
    MutexLocker(const MutexLocker&) = delete;
    MutexLocker& operator=(const MutexLocker&) = delete;

private:
    Mutex& m_mutex;
};

}  // namespace sched
