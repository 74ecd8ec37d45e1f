// Host (Linux, hosted C++) implementation of the core's platform hooks. The kernel has its
// own file with the same name; the include path chooses one. This is the only place where
// the portable core touches an OS.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace core::platform {

// Spin-wait hint for busy loops.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// Long waits (barrier, stress harness) give the core away: the host may have fewer cores
// than threads, and a spinning waiter would starve the thread it waits for.
inline void yield() { std::this_thread::yield(); }

namespace testing {
// Fault injection for tests: the next `n` calls to alloc() fail. Host-only.
inline std::atomic<int64_t> g_failing_allocations{0};
inline void fail_next_allocations(int64_t n) { g_failing_allocations.store(n, std::memory_order_relaxed); }
}  // namespace testing

// Aligned allocation; nullptr on failure (never throws). `align` is a power of two.
inline void* alloc(size_t bytes, size_t align) {
    // relaxed: a test counter, not a synchronisation point.
    if (testing::g_failing_allocations.load(std::memory_order_relaxed) > 0 &&
        testing::g_failing_allocations.fetch_sub(1, std::memory_order_relaxed) > 0)
        return nullptr;
    if (align < alignof(void*)) align = alignof(void*);
    size_t rounded = (bytes + align - 1) & ~(align - 1);
    return std::aligned_alloc(align, rounded == 0 ? align : rounded);
}

inline void free(void* p) { std::free(p); }

// A caller broke a documented precondition of the core's API (a bug, not a runtime
// condition): says which one on stderr and aborts, so a death test can match the message.
[[noreturn]] inline void contract_violation(const char* what) {
    std::fprintf(stderr, "core: contract violated: %s\n", what);
    std::abort();
}

}  // namespace core::platform
