// How the core touches shared memory: its atomic type, and the store/load-fence shapes it
// needs, in one place so the ThreadSanitizer and delay-injection variants are chosen once.
//
// ThreadSanitizer does not model standalone std::atomic_thread_fence (GCC 12 even warns
// with -Wtsan). In a TSan build (CORE_TSAN, set by the host CMake) each shape below
// becomes seq_cst read-modify-write / load operations, which TSan does understand and
// which give the same guarantee in the C++ model: a Dekker pattern where both sides use
// seq_cst operations on the two variables is ordered by the single total order S exactly
// like the fence version. Production builds keep the fences (cheaper on most machines, and
// what Le et al. prove correct).
#pragma once
#include <atomic>
#include <concepts>

#include "core_platform.h"

#include "core_platform.h"

namespace core {

// Every atomic variable of the core is an Atomic<T>: std::atomic<T> with the operations the
// core uses, each taking its memory order explicitly (no seq_cst by default, so every
// access states its order), and each preceded by platform::atomic_delay_point().
// That hook is empty in the kernel and in the ordinary host builds, so the generated code
// is that of std::atomic<T>. The host delay build (CORE_DELAY) makes it a random pause of
// a few hundred cycles, which stretches the window between any two accesses of a protocol
// so that interleavings a tight loop almost never shows become common (docs/core.md,
// "Delay mode").
template <typename T>
class Atomic {
public:
    static constexpr bool is_always_lock_free = std::atomic<T>::is_always_lock_free;

    constexpr Atomic() noexcept = default;  // value-initialised, as std::atomic<T> in C++20
    constexpr Atomic(T value) noexcept : m_value(value) {}
    Atomic(const Atomic&) = delete;
    Atomic& operator=(const Atomic&) = delete;

    T load(std::memory_order order) const noexcept {
        platform::atomic_delay_point();
        return m_value.load(order);
    }
    void store(T value, std::memory_order order) noexcept {
        platform::atomic_delay_point();
        m_value.store(value, order);
    }
    T exchange(T value, std::memory_order order) noexcept {
        platform::atomic_delay_point();
        return m_value.exchange(value, order);
    }
    bool compare_exchange_strong(T& expected, T desired, std::memory_order success,
                                 std::memory_order failure) noexcept {
        platform::atomic_delay_point();
        return m_value.compare_exchange_strong(expected, desired, success, failure);
    }
    bool compare_exchange_weak(T& expected, T desired, std::memory_order success,
                               std::memory_order failure) noexcept {
        platform::atomic_delay_point();
        return m_value.compare_exchange_weak(expected, desired, success, failure);
    }
    T fetch_add(T arg, std::memory_order order) noexcept
        requires std::integral<T>
    {
        platform::atomic_delay_point();
        return m_value.fetch_add(arg, order);
    }
    T fetch_sub(T arg, std::memory_order order) noexcept
        requires std::integral<T>
    {
        platform::atomic_delay_point();
        return m_value.fetch_sub(arg, order);
    }

private:
    std::atomic<T> m_value;
};

#if defined(CORE_TSAN)
inline constexpr bool kTsanMode = true;
#else
inline constexpr bool kTsanMode = false;
#endif

// "store `value` into `a`, then a full fence": the store becomes visible before any later
// load of this thread. Used where a thread announces itself and then looks at the other
// side (deque take(): bottom, then top; epoch pin: own state, then the global epoch).
template <typename V>
inline void store_then_full_fence(Atomic<V>& a, V value, std::memory_order store_order) {
    if constexpr (kTsanMode) {
        (void)store_order;
        a.exchange(value, std::memory_order_seq_cst);
    } else {
        a.store(value, store_order);
        std::atomic_thread_fence(std::memory_order_seq_cst);
    }
}

// "load from `a`, then a full fence": everything this thread does later is ordered after
// the load and after every store it made before. TSan variant: a seq_cst RMW that writes
// back the same value (fetch_add(0)), so it reads the latest value in modification order
// and is part of S.
template <typename V>
inline V load_then_full_fence(Atomic<V>& a, std::memory_order load_order) {
    if constexpr (kTsanMode) {
        (void)load_order;
        return a.fetch_add(0, std::memory_order_seq_cst);
    } else {
        V v = a.load(load_order);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        return v;
    }
}

// "a full fence, then load from `a`": the mirror image, used where a thread has just
// unlinked something and now reads the global epoch to stamp it (EpochDomain::stamp()).
template <typename V>
inline V full_fence_then_load(Atomic<V>& a, std::memory_order load_order) {
    if constexpr (kTsanMode) {
        (void)load_order;
        return a.fetch_add(0, std::memory_order_seq_cst);
    } else {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        return a.load(load_order);
    }
}

// The asymmetric pair (core_platform.h: light_fence/heavy_fence; the epoch pin and scan).
// "store, then the light fence" on the frequent side, "load, then the heavy fence" on the
// rare side. `asymmetric`: the light side's participant pins with a compiler barrier;
// `light_pinners`: how many such participants the rare side must cover with membarrier,
// read after the load (EpochDomain::try_advance() says why that order), of which `own`
// (0 or 1) is the caller itself: its own pins are in its program order, so they need no
// barrier but the caller's own full fence, which the heavy fence always is. TSan: the same
// seq_cst RMWs as the symmetric shapes (TSan sees neither a compiler barrier nor
// membarrier), so TSan checks the pair as if both sides fenced.
template <typename V>
inline void store_then_light_fence(Atomic<V>& a, V value, std::memory_order store_order, bool asymmetric) {
    if constexpr (kTsanMode) {
        (void)store_order;
        (void)asymmetric;
        a.exchange(value, std::memory_order_seq_cst);
    } else {
        a.store(value, store_order);
        platform::light_fence(asymmetric);
    }
}

template <typename V>
inline V load_then_heavy_fence(Atomic<V>& a, std::memory_order load_order, const Atomic<uint32_t>& light_pinners,
                               uint32_t own) {
    if constexpr (kTsanMode) {
        (void)load_order;
        (void)light_pinners;
        (void)own;
        return a.fetch_add(0, std::memory_order_seq_cst);
    } else {
        V v = a.load(load_order);
        // seq_cst: after the load of `a` (see the comment above); its partner is the
        // seq_cst increment in EpochParticipant's constructor.
        platform::heavy_fence(light_pinners.load(std::memory_order_seq_cst) > own);
        return v;
    }
}

// A load that follows one of the fences above and is the "other side" of a Dekker pair.
// Production: the fence orders it, `order` is enough. TSan: seq_cst, so the pair is
// ordered by S instead of by the (invisible) fence.
template <typename V>
inline V load_after_full_fence(const Atomic<V>& a, std::memory_order order) {
    return a.load(kTsanMode ? std::memory_order_seq_cst : order);
}

}  // namespace core
