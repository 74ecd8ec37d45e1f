// A manual-reset event on a WaitQueue: set() releases every current and future waiter
// until reset().
#pragma once
#include <atomic>

#include "sched/sync/wait_queue.h"

namespace sched {

class Event {
public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    void set() {
        // release: pairs with the acquire loads in wait(). A waiter that checked the flag
        // before this store did so under the queue lock and is queued before wake_all
        // takes that lock, so it is woken.
        m_set.store(true, std::memory_order_release);
        m_waiters.wake_all();
    }
    void reset() { m_set.store(false, std::memory_order_relaxed); }  // relaxed: no data published
    bool is_set() const { return m_set.load(std::memory_order_acquire); }  // acquire: as in wait()

    // Returns once it has seen the event set. A wake alone is not enough: a set() whose
    // store this waiter already saw (it returned at once, reset the event and waited again)
    // may reach its wake_all() only now, and would wake the new wait of an event that is
    // not set. Found by the torture (docs/reliability.md): an Event ping-pong lost a round
    // that way and one side blocked for good.
    void wait() {
        while (!is_set()) m_waiters.wait_if([&] { return !is_set(); });
    }

private:
    std::atomic<bool> m_set{false};
    WaitQueue m_waiters;
};

}  // namespace sched
