// The two shapes of the "The idle/wakeup protocol" idle/wakeup Dekker pair, with their ThreadSanitizer variants
// chosen once (as core/ordering.h does for the deque and the epochs).
//
// Idle side:  RMW on its halted word (and on g_spinners), FULL FENCE, re-check queues.
// Waker side: publish work, FULL FENCE, read the halted words / g_spinners.
//
// Production: the RMWs and the reads may be relaxed; the two seq_cst fences are ordered
// in S, so one side sees the other (fence-fence rule).
// TSan (standalone fences invisible): every RMW is seq_cst, and the waker reads the
// halted words and g_spinners with RMWs (fetch_add(0) / fetch_or(0)) instead of loads.
// Two RMWs on one word are ordered in its modification order and the later one reads the
// earlier's value, so either the waker reads the idler's bit, or the idler's RMW
// synchronizes with the waker's and every store the waker made before (the published
// work) happens-before the idler's re-check. TSan sees those edges.
#pragma once
#include <atomic>

#include "core/ordering.h"

namespace sched {

using core::kTsanMode;

// RMW order for the words of the pair (halted bits, spinner count).
inline constexpr std::memory_order kPairRmwOrder = kTsanMode ? std::memory_order_seq_cst : std::memory_order_acq_rel;

// The full fence of either side. In TSan mode it is a no-op: the RMWs carry the order.
inline void pair_full_fence() {
    if constexpr (!kTsanMode) std::atomic_thread_fence(std::memory_order_seq_cst);
}

// Waker side, after pair_full_fence(): reads one word of the pair.
template <typename V>
inline V pair_fenced_read(std::atomic<V>& word) {
    if constexpr (kTsanMode)
        return word.fetch_add(0, std::memory_order_seq_cst);
    else
        return word.load(std::memory_order_relaxed);  // relaxed: ordered by pair_full_fence()
}

}  // namespace sched
