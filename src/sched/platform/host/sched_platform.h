// Host platform for the portable scheduler logic: a "CPU" is a thread, halt/IPI are futex
// wait/wake on a one-word latch. The kernel file of the same name (S-K) provides the same
// names; the include path picks one.
//
// Interface (both platforms):
//   struct HaltLatch;                     per-CPU, a member of CpuSched
//   struct InterruptsOff;                 proof token for OwnerCpu (kernel: arch::InterruptGuard)
//   uint64_t now_tsc();                   monotonic ticks
//   uint64_t tsc_from_ns(uint64_t ns);
//   bool kCountOpCosts                    whether SchedStats' OpCost counters read the clock
//   void halt(HaltLatch&, uint64_t deadline_tsc);  `sti; hlt; cli`; returns on a kick, on the
//                                         deadline (0 = none), or spuriously
//   void kick(uint32_t cpu, HaltLatch&);  the reschedule IPI to `cpu`
//   void kick_wakeup(uint32_t cpu, HaltLatch&);  a kick that wakes a halted CPU for work; the
//                                         kernel may drop it (fault injection, fail=ipi:N)
//   bool take_dropped_wakeup(uint32_t cpu);  true once after kick_wakeup dropped a kick to `cpu`
//   void cpu_relax();
//   bool interrupts_off();                the precondition of owner operations (host: true)
//   SCHED_VERIFY(cond, "name")            an invariant, checked in every build; a violation
//                                         panics (kernel) or aborts (host), naming it
//   bool keep_waiting_on_cpu(const Task&, uint64_t since_tsc);  one turn of dispatch()'s
//                                         wait for a task's last CPU (false: give up)
//   QueueLock                             the locked ready queues' lock (issue 5), with
//                                         lock/try_lock/unlock (kernel: Spinlock)
#pragma once
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <linux/futex.h>
#include <mutex>
#include <sys/syscall.h>
#include <unistd.h>

#include "core_platform.h"

namespace sched {
struct Task;
}

namespace sched::platform {

// The CPU's interrupt request register, one word. A kick that lands after the idle re-check
// stays pending until halt() consumes it, as a latched IPI does with IF=0.
struct HaltLatch {
    std::atomic<uint32_t> pending{0};
    // Instrumentation for the host watchdog (test only): whether the thread is inside
    // halt(), and a count of halts so a watcher can tell one long halt from many short.
    std::atomic<uint32_t> in_halt{0};
    std::atomic<uint64_t> halts{0};
    std::atomic<uint64_t> deadline_tsc{0};  // of the current halt; 0 = none

    // For watchdogs: halted with nothing that will end the halt by itself (no kick
    // latched, no deadline to come). A CPU that was kicked but whose thread the host has
    // not run yet does not count: only a wakeup never sent does.
    bool stuck(uint64_t now) const {
        // relaxed (all): instrumentation, sampled.
        if (!in_halt.load(std::memory_order_relaxed) || pending.load(std::memory_order_relaxed)) return false;
        uint64_t deadline = deadline_tsc.load(std::memory_order_relaxed);
        return deadline == 0 || now < deadline;
    }
};

// Host CPUs are threads; there is nothing to disable.
struct InterruptsOff {};
inline bool interrupts_off() { return true; }

// SCHED_VERIFY's failure: the message names the invariant (death tests match it).
[[noreturn, gnu::cold]] inline void verify_failed(const char* invariant, const char* condition, const char* file,
                                                  int line) {
    std::fprintf(stderr, "sched invariant violated: %s (%s, %s:%d)\n", invariant, condition, file, line);
    std::fflush(stderr);
    std::abort();
}

inline uint64_t now_tsc() {
    return uint64_t(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}
inline uint64_t tsc_from_ns(uint64_t ns) { return ns; }

// No OpCost counting on the host: a clock read per pick would slow the stress runs.
constexpr bool kCountOpCosts = false;

inline void cpu_relax() { core::platform::cpu_relax(); }

// dispatch()'s wait for a task's last CPU to get off its stack. The kernel waits for as
// long as it takes; a host CPU thread may install a watch that ends the wait instead (the
// stress harness names a cycle of such waits rather than hang). One per thread.
struct OnCpuWatch {
    // False: give up the wait. `since_tsc`: when this wait began.
    bool (*keep_waiting)(void* context, const Task& task, uint64_t since_tsc) = nullptr;
    void* context = nullptr;
};
inline thread_local OnCpuWatch t_on_cpu_watch;

inline bool keep_waiting_on_cpu(const Task& task, uint64_t since_tsc) {
    cpu_relax();
    const OnCpuWatch& watch = t_on_cpu_watch;
    return !watch.keep_waiting || watch.keep_waiting(watch.context, task, since_tsc);
}

// Host "CPUs" are preemptible threads: a spinning waiter could burn its quantum behind a
// descheduled holder, so the host uses a mutex (TSan knows its edges).
using QueueLock = std::mutex;

inline void halt(HaltLatch& latch, uint64_t deadline_tsc) {
    // relaxed: instrumentation only.
    latch.halts.fetch_add(1, std::memory_order_relaxed);
    latch.deadline_tsc.store(deadline_tsc, std::memory_order_relaxed);
    latch.in_halt.store(1, std::memory_order_relaxed);
    // acquire: pairs with the release store in kick(), so TSan sees the edge the futex
    // gives (it cannot see through the syscall).
    while (latch.pending.exchange(0, std::memory_order_acquire) == 0) {
        timespec timeout{};
        timespec* timeout_ptr = nullptr;
        if (deadline_tsc) {
            uint64_t now = now_tsc();
            if (now >= deadline_tsc) break;
            uint64_t left = deadline_tsc - now;
            timeout.tv_sec = time_t(left / 1000000000);
            timeout.tv_nsec = long(left % 1000000000);
            timeout_ptr = &timeout;
        }
        syscall(SYS_futex, reinterpret_cast<uint32_t*>(&latch.pending), FUTEX_WAIT_PRIVATE, 0, timeout_ptr, nullptr, 0);
    }
    latch.in_halt.store(0, std::memory_order_relaxed);  // relaxed: instrumentation
}

inline void kick(uint32_t, HaltLatch& latch) {
    // release: pairs with the acquire exchange in halt().
    latch.pending.store(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&latch.pending), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

// The host injects no faults: a wakeup kick is a kick, and none is ever dropped.
inline void kick_wakeup(uint32_t cpu, HaltLatch& latch) { kick(cpu, latch); }
inline bool take_dropped_wakeup(uint32_t) { return false; }

}  // namespace sched::platform

#define SCHED_VERIFY(cond, invariant)                                                                             \
    do {                                                                                                          \
        if (__builtin_expect(!(cond), 0)) ::sched::platform::verify_failed(invariant, #cond, __FILE__, __LINE__); \
    } while (0)
