// Host (Linux, hosted C++) implementation of the core's platform hooks. The kernel has its
// own file with the same name; the include path chooses one. This is the only place where
// the portable core touches an OS.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

#if defined(__linux__)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace core::platform {

// Spin-wait hint for busy loops.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#endif
}

// Called before every atomic access of the core (core::Atomic, core/ordering.h).
#if defined(CORE_DELAY)
// The delay build (CMake -DCORE_DELAY=ON, the host-delay tree): a random pause of up to
// max_cycles TSC cycles (a few hundred: about the time of a cache miss or a short
// preemption of the other side), so that every window between two accesses of a protocol
// is sometimes long. x86 does not reorder loads with loads or stores with stores, so this
// cannot show a missing release/acquire as ARM would; what it does is make rare
// interleavings frequent, and keep a store->load window open for the length of a pause.
namespace delay {

inline uint64_t env_or(const char* name, uint64_t fallback) {
    const char* text = std::getenv(name);
    if (!text || !*text) return fallback;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text, &end, 0);
    return (end && *end == '\0') ? uint64_t(v) : fallback;
}

// splitmix64: spreads a seed and a stream number into independent xorshift states.
inline uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The pause's clock: the TSC where there is one (cycles), else nanoseconds.
inline uint64_t ticks() {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#else
    return uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

struct Settings {
    uint64_t seed;
    uint64_t max_cycles;
};

// Read once per process: CORE_DELAY_SEED (else the clock) and CORE_DELAY_MAX_CYCLES
// (default 400). The seed goes to stderr, so a failing run can be repeated with the same
// delay sequences.
inline const Settings& settings() {
    static const Settings s = [] {
        uint64_t clock = ticks();
        Settings v{env_or("CORE_DELAY_SEED", mix(clock) & 0xffffffffu), env_or("CORE_DELAY_MAX_CYCLES", 400)};
        std::fprintf(stderr, "core delay mode: CORE_DELAY_SEED=%llu CORE_DELAY_MAX_CYCLES=%llu\n",
                     static_cast<unsigned long long>(v.seed), static_cast<unsigned long long>(v.max_cycles));
        return v;
    }();
    return s;
}

// Printed at start-up by every program of the delay build, not at the first delay: a
// failing test's output then always carries its seed.
inline const Settings& g_settings_at_startup = settings();

// Threads number themselves at their first delay point; thread k draws stream k of the
// seed. The numbering follows the order in which threads first touch the core, so a
// replay repeats the delay sequences, not the OS's scheduling of the threads.
inline std::atomic<uint64_t> g_next_stream{0};
inline thread_local uint64_t t_state = 0;

// xorshift64: three shifts per access, thread-local, no shared write after the first call.
inline uint64_t next() {
    uint64_t x = t_state;
    if (x == 0) {
        // relaxed: only distinct numbers matter.
        x = mix(settings().seed ^ mix(g_next_stream.fetch_add(1, std::memory_order_relaxed)));
        if (x == 0) x = 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    t_state = x;
    return x;
}

}  // namespace delay

inline void atomic_delay_point() {
    uint64_t r = delay::next();
    // One access in four goes undelayed, so back-to-back accesses (the tightest
    // interleavings, which the plain build sees) stay possible.
    if ((r & 3) == 0) return;
    uint64_t cycles = (r >> 16) % (delay::settings().max_cycles + 1);
    uint64_t start = delay::ticks();
    while (delay::ticks() - start < cycles) cpu_relax();
}
#else
inline void atomic_delay_point() {}
#endif

// Long waits (barrier, stress harness) give the core away: the host may have fewer cores
// than threads, and a spinning waiter would starve the thread it waits for.
inline void yield() { std::this_thread::yield(); }

// ---- Asymmetric fences (the epoch read side, src/core/epoch.h)
//
// A Dekker pair where one side runs often (a reader's pin: store its state, then load the
// global epoch) and the other rarely (the reclaimer's scan: load the epoch, then read
// every state) can move the whole cost of the fence to the rare side: the reader keeps
// only a compiler barrier, and the reclaimer issues membarrier(PRIVATE_EXPEDITED), which
// makes every CPU currently running one of our threads execute a full barrier before the
// call returns (and does one on the caller). Each reader then behaves as if it had a full
// fence at the point where the barrier hit it: before its state store (its later
// re-check load sees the epoch the reclaimer read, or later) or after it (the reclaimer's
// scan sees the store). A thread that is not running has passed the context switch's full
// barrier. This is liburcu's urcu-memb scheme. The process registers once, at start-up;
// without the call (old kernel, seccomp, not Linux) both sides keep today's full fences.

namespace detail {

inline bool register_membarrier() {
#if defined(__linux__) && defined(SYS_membarrier)
    if (const char* mode = std::getenv("CORE_EPOCH_FENCES"); mode && std::string_view(mode) == "symmetric")
        return false;
    long commands = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (commands < 0 || !(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
    return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

// Once per process, before main(): registration must precede the first expedited call.
inline const bool g_membarrier_registered = register_membarrier();
// relaxed (loads and the store in set_asymmetric_fences()): fixed while any participant
// is pinned, which is set_asymmetric_fences()'s precondition; thread creation orders the
// value before the threads that read it.
inline std::atomic<bool> g_asymmetric{g_membarrier_registered};

}  // namespace detail

// Participants may pin with the compiler barrier alone (decided at run time, below).
inline constexpr bool kAsymmetricFencesPossible = true;

// Whether new epoch participants pin with a compiler barrier (membarrier registered and
// chosen). Each participant keeps the choice it was made with (EpochParticipant), and the
// scanners pay membarrier only while some registered participant pins that way.
inline bool asymmetric_fences() { return detail::g_asymmetric.load(std::memory_order_relaxed); }

// Chooses the scheme for participants created from now on (tests and benchmarks compare
// both). False (and symmetric fences) when asked for asymmetric ones without membarrier.
inline bool set_asymmetric_fences(bool on) {
    bool use = on && detail::g_membarrier_registered;
    detail::g_asymmetric.store(use, std::memory_order_relaxed);  // relaxed: see g_asymmetric
    return use == on;
}

namespace testing {
// Heavy fences issued so far by the calling thread (membarrier calls or their fallback
// fences): tests check that every epoch advance pays one. Per thread and plain, so that
// counting costs no locked instruction next to the fence it counts.
inline thread_local uint64_t g_heavy_fences = 0;
// ... of which membarrier system calls.
inline thread_local uint64_t g_membarriers = 0;
}  // namespace testing

// The frequent side of the pair (the reader's pin): a compiler barrier for a participant
// that pins asymmetrically (the rare side then issues membarrier), else a full fence.
inline void light_fence(bool asymmetric) {
    // likely: on the read side's straight path (no taken branch) when membarrier is in use.
    if (asymmetric) [[likely]]
        std::atomic_signal_fence(std::memory_order_seq_cst);
    else
        std::atomic_thread_fence(std::memory_order_seq_cst);
}

// The rare side (the reclaimer's scan). With `asymmetric` (some participant may pin with
// the compiler barrier alone): a full barrier on every CPU running one of our threads,
// membarrier(PRIVATE_EXPEDITED). Always a seq_cst fence on the caller, so that callers may
// also use it as their own full fence in C++ terms (synchronize()'s stamp).
inline void heavy_fence(bool asymmetric) {
    ++testing::g_heavy_fences;
#if defined(__linux__) && defined(SYS_membarrier)
    // Only participants made while membarrier was registered pin asymmetrically, so the
    // call is registered here. It fails only on invalid arguments; the fence below is
    // then what the light side pairs with. After a successful call it is the caller's own
    // fence in the C++ model (the system call does one too, but the compiler does not know
    // that); next to the call it costs nothing measurable.
    if (asymmetric) {
        ++testing::g_membarriers;
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    }
#else
    (void)asymmetric;
#endif
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

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
