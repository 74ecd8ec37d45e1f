// The one spinlock, for the few places that need one (console, frames, heap, page tables,
// wait queues). Portable: the host tests of the scheduler's wait queues use this very type.
//
//   SpinlockLocker guard(m_lock);      // caller already has interrupts off
//   IrqSaveLocker guard(g_heap_lock);  // kernel: interrupts off for the scope, then the lock
//                                      // (arch/x86_64/cpu.h)
//
// Any lock that an interrupt handler may also take must be held with IrqSaveLocker,
// or the handler would spin forever on its own CPU.
#pragma once
#include <atomic>

class Spinlock {
public:
    constexpr Spinlock() = default;
    Spinlock(const Spinlock&) = delete;
    Spinlock& operator=(const Spinlock&) = delete;

    void lock() {
        // acquire: pairs with the release store in unlock(), so the previous holder's
        // writes are visible inside our critical section.
        while (m_locked.exchange(true, std::memory_order_acquire)) {
            // Spin on a plain load so waiting CPUs share the line instead of bouncing it.
            while (m_locked.load(std::memory_order_relaxed)) relax();
        }
    }
    bool try_lock() {
        // acquire: as in lock().
        return !m_locked.load(std::memory_order_relaxed) && !m_locked.exchange(true, std::memory_order_acquire);
    }
    void unlock() {
        // release: publishes the critical section to the next lock() (acquire exchange).
        m_locked.store(false, std::memory_order_release);
    }

private:
    // The spin-wait hint (x86 pause), and a compiler barrier like arch::cpu_relax().
    static void relax() {
#if defined(__x86_64__) || defined(__i386__)
        asm volatile("pause" ::: "memory");
#elif defined(__aarch64__)
        asm volatile("yield" ::: "memory");
#endif
    }

    std::atomic<bool> m_locked{false};
};

class SpinlockLocker {
public:
    explicit SpinlockLocker(Spinlock& lock) : m_lock(lock) { m_lock.lock(); }
    ~SpinlockLocker() { m_lock.unlock(); }
    SpinlockLocker(const SpinlockLocker&) = delete;
    SpinlockLocker& operator=(const SpinlockLocker&) = delete;

private:
    Spinlock& m_lock;
};
