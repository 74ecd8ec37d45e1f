// The two store/load-fence shapes the core needs, in one place so the ThreadSanitizer
// variant is chosen once.
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

#include "core_platform.h"

namespace core {

#if defined(CORE_TSAN)
inline constexpr bool kTsanMode = true;
#else
inline constexpr bool kTsanMode = false;
#endif

// "store `value` into `a`, then a full fence": the store becomes visible before any later
// load of this thread. Used where a thread announces itself and then looks at the other
// side (deque take(): bottom, then top; epoch pin: own state, then the global epoch).
template <typename V>
inline void store_then_full_fence(std::atomic<V>& a, V value, std::memory_order store_order) {
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
inline V load_then_full_fence(std::atomic<V>& a, std::memory_order load_order) {
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
inline V full_fence_then_load(std::atomic<V>& a, std::memory_order load_order) {
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
// rare side. TSan: the same seq_cst RMWs as the symmetric shapes (TSan sees neither a
// compiler barrier nor membarrier), so TSan checks the pair as if both sides fenced.
template <typename V>
inline void store_then_light_fence(std::atomic<V>& a, V value, std::memory_order store_order) {
    if constexpr (kTsanMode) {
        (void)store_order;
        a.exchange(value, std::memory_order_seq_cst);
    } else {
        a.store(value, store_order);
        platform::light_fence();
    }
}

template <typename V>
inline V load_then_heavy_fence(std::atomic<V>& a, std::memory_order load_order) {
    if constexpr (kTsanMode) {
        (void)load_order;
        return a.fetch_add(0, std::memory_order_seq_cst);
    } else {
        V v = a.load(load_order);
        platform::heavy_fence();
        return v;
    }
}

// A load that follows one of the fences above and is the "other side" of a Dekker pair.
// Production: the fence orders it, `order` is enough. TSan: seq_cst, so the pair is
// ordered by S instead of by the (invisible) fence.
template <typename V>
inline V load_after_full_fence(const std::atomic<V>& a, std::memory_order order) {
    return a.load(kTsanMode ? std::memory_order_seq_cst : order);
}

}  // namespace core
