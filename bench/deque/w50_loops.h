#pragma once
// The loops of bench/deque/w50_profile.cpp: DequeLoops::owner_round and thief_run (per item)
// with `lfence; rdtsc` stamps (StampedLoops), for ours and (through the instrumented Rust
// twins, bench/deque/crossbeam/src/profile.rs) crossbeam-deque; and two splits without a
// deque to compare with: CounterSplit (one fetch_add per claim) and FreeSplit (the split
// decided in advance).
#include "common/spin.h"
#include "deque/crossbeam_deque.h"
#include "deque/deque_shapes.h"
#include "deque/item.h"

#include <x86intrin.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace bench {

// bench/deque/crossbeam/src/profile.rs; same layout as its ThiefLog.
struct ThiefLog {
    std::uint32_t* steal_cycles;
    std::uint32_t* consume_cycles;
    std::uint64_t capacity;
    std::uint64_t successes;
    std::uint64_t misses;
};

}

extern "C" {
std::uint64_t crossbeam_profile_owner_round(CrossbeamWorker* worker, bench::Item* items, std::size_t count,
                                            std::int64_t work_units, std::uint64_t* stamps);
std::uint64_t crossbeam_profile_owner_round_pushes(CrossbeamWorker* worker, bench::Item* items, std::size_t count,
                                                   std::int64_t work_units, std::uint64_t* stamps);
std::uint64_t crossbeam_profile_thief_run(CrossbeamStealer const* stealer, std::atomic<bool> const* stop,
                                          std::int64_t work_units, bench::ThiefLog* log);
}

namespace bench {
namespace w50 {

constexpr std::size_t kItems = 64;
constexpr std::int64_t kWork = 50;
// Stamps one owner round writes at most: start, after pushes, two per item, the last take.
constexpr std::size_t kMaxStamps = 3 + 2 * kItems;

// lfence first, so the stamp is taken after everything before it has executed.
inline std::uint64_t stamp()
{
    _mm_lfence();
    return __rdtsc();
}

// --------------------------------------------------------------- the loops, stamped

// The generic stamped twins of DequeLoops::owner_round and thief_run (per item).
template<class Deque>
struct StampedLoops {
    static std::uint64_t owner_round(Deque& deque, std::span<Item> items, std::uint64_t* stamps)
    {
        *stamps++ = stamp();
        for (Item& item : items)
            deque.push(&item);
        *stamps++ = stamp();
        std::uint64_t taken = 0;
        while (Item* item = deque.take()) {
            *stamps++ = stamp();
            taken += consume(item, kWork);
            *stamps++ = stamp();
        }
        *stamps = stamp();
        return taken;
    }

    // Stamps the start, the end of the pushes and the end only (3 stamps).
    static std::uint64_t owner_round_pushes(Deque& deque, std::span<Item> items, std::uint64_t* stamps)
    {
        stamps[0] = stamp();
        for (Item& item : items)
            deque.push(&item);
        stamps[1] = stamp();
        std::uint64_t taken = 0;
        while (Item* item = deque.take())
            taken += consume(item, kWork);
        stamps[2] = stamp();
        return taken;
    }

    static std::uint64_t thief_run(typename Deque::Thief& thief, std::atomic<bool> const& stop, ThiefLog& log)
    {
        std::uint64_t count = 0;
        while (!stop.load(std::memory_order_relaxed)) { // relaxed: as in DequeLoops::thief_run
            std::uint64_t const before = stamp();
            if (Item* item = thief.steal()) {
                std::uint64_t const stolen = stamp();
                count += consume(item, kWork);
                std::uint64_t const consumed = stamp();
                if (log.successes < log.capacity) {
                    log.steal_cycles[log.successes] = std::uint32_t(stolen - before);
                    log.consume_cycles[log.successes] = std::uint32_t(consumed - stolen);
                }
                ++log.successes;
            } else {
                ++log.misses;
                spin_pause();
            }
        }
        return count;
    }
};

template<>
struct StampedLoops<CrossbeamDeque> {
    static std::uint64_t owner_round(CrossbeamDeque& deque, std::span<Item> items, std::uint64_t* stamps)
    {
        return crossbeam_profile_owner_round(deque.worker(), items.data(), items.size(), kWork, stamps);
    }

    static std::uint64_t owner_round_pushes(CrossbeamDeque& deque, std::span<Item> items, std::uint64_t* stamps)
    {
        return crossbeam_profile_owner_round_pushes(deque.worker(), items.data(), items.size(), kWork, stamps);
    }

    static std::uint64_t thief_run(CrossbeamDeque::Thief& thief, std::atomic<bool> const& stop, ThiefLog& log)
    {
        return crossbeam_profile_thief_run(thief.stealer(), &stop, kWork, &log);
    }
};

// --------------------------------------------------------------- the free floor

// No deque: the split is decided (owner the first half, the one thief the second), and a
// round costs consume(), the handshake and nothing else.
class FreeSplit {
public:
    static constexpr char const* name = "free";
    explicit FreeSplit(std::size_t) { }

    class Thief {
    public:
        Thief(FreeSplit& owner, std::size_t) : m_owner(owner) { }
        FreeSplit& owner() { return m_owner; }

    private:
        FreeSplit& m_owner;
    };

    // Owner side: announce round r, run `own_half`, then wait for the thief's last claim.
    template<class OwnHalf>
    std::uint64_t round(std::span<Item> items, OwnHalf own_half)
    {
        std::uint64_t const round = ++m_rounds_started;
        // relaxed: published by the release store of m_round below.
        m_items.store(items.data(), std::memory_order_relaxed);
        m_count.store(items.size(), std::memory_order_relaxed);
        // release: pairs with the thief's acquire load; it then reads m_items and m_count.
        m_round.store(round, std::memory_order_release);
        std::uint64_t taken = own_half(items.first(items.size() / 2));
        // acquire: pairs with the thief's release store; it has read m_items for this round.
        while (m_claimed.load(std::memory_order_acquire) != round)
            spin_pause();
        return taken;
    }

    // Thief side: runs `per_item(item, is_last)` over the second half of each new round;
    // `claim_last()` must be called before the last item's consume(). Polls count as misses.
    template<class PerItem>
    std::uint64_t serve(std::atomic<bool> const& stop, std::uint64_t& misses, PerItem per_item)
    {
        std::uint64_t seen = 0;
        std::uint64_t count = 0;
        while (!stop.load(std::memory_order_relaxed)) { // relaxed: as in DequeLoops::thief_run
            // acquire: pairs with the owner's release store of the round.
            std::uint64_t const round = m_round.load(std::memory_order_acquire);
            if (round == seen) {
                ++misses;
                spin_pause();
                continue;
            }
            seen = round;
            Item* items = m_items.load(std::memory_order_relaxed); // relaxed: see round()
            std::size_t const count_items = m_count.load(std::memory_order_relaxed);
            for (std::size_t i = count_items / 2; i < count_items; ++i)
                count += per_item(&items[i], [&] {
                    // release: pairs with the owner's acquire wait in round().
                    if (i + 1 == count_items)
                        m_claimed.store(round, std::memory_order_release);
                });
        }
        return count;
    }

private:
    std::uint64_t m_rounds_started = 0; // owner only
    alignas(64) std::atomic<std::uint64_t> m_round { 0 };
    std::atomic<Item*> m_items { nullptr };
    std::atomic<std::size_t> m_count { 0 };
    alignas(64) std::atomic<std::uint64_t> m_claimed { 0 };
};

}

template<>
struct DequeLoops<w50::FreeSplit> {
    static std::uint64_t owner_round(w50::FreeSplit& split, std::span<Item> items, std::int64_t work_units)
    {
        return split.round(items, [&](std::span<Item> own) {
            std::uint64_t taken = 0;
            for (Item& item : own)
                taken += consume(&item, work_units);
            return taken;
        });
    }

    static std::uint64_t thief_run(w50::FreeSplit::Thief& thief, std::atomic<bool> const& stop, std::int64_t work_units,
                                   StealMode)
    {
        std::uint64_t misses = 0;
        return thief.owner().serve(stop, misses, [&](Item* item, auto claim) {
            claim();
            return consume(item, work_units);
        });
    }
};

namespace w50 {

// The cheapest per-item dynamic split we could write, a reference point for any per-item
// deque (not a proof of a lower bound): the round's items are claimed in order, owner and
// thieves alike, with one fetch_add on one shared word (round number above, next index
// below). No pushes, no Dekker fence, no lost race: each claim is one locked instruction
// on the line the other side last wrote.
class CounterSplit {
public:
    static constexpr char const* name = "counter";
    explicit CounterSplit(std::size_t) { }

    class Thief {
    public:
        Thief(CounterSplit& owner, std::size_t) : m_owner(owner) { }
        // Claims the next item of the current round, or nullptr when all are claimed.
        Item* steal() { return m_owner.claim(/*owner=*/false); }

    private:
        CounterSplit& m_owner;
    };

    // Owner: opens round r over `items` (the same vector every round).
    void open(std::span<Item> items)
    {
        // Written once, before the first round's release store: the vector never moves,
        // and a thief may read m_items while the owner opens the next round.
        if (!m_items)
            m_items = items.data();
        // release: pairs with the acq_rel fetch_add of a claim, which then sees m_items.
        m_next.store(++m_round << 32, std::memory_order_release);
    }

    Item* take() { return claim(/*owner=*/true); }

    Item* claim(bool owner)
    {
        // relaxed: a look only, so a thief does not push the index far past the end.
        if (!owner && (m_next.load(std::memory_order_relaxed) & 0xffffffffu) >= kItems)
            return nullptr;
        // acq_rel: the claim; acquire pairs with open()'s release store (m_items).
        std::uint64_t const got = m_next.fetch_add(1, std::memory_order_acq_rel) & 0xffffffffu;
        return got < kItems ? &m_items[got] : nullptr;
    }

private:
    alignas(64) std::atomic<std::uint64_t> m_next { kItems }; // round 0: nothing to claim
    Item* m_items = nullptr; // written before the first round's release; the same after
    std::uint64_t m_round = 0; // owner only
};

// Only names the thief handle, so that the generic thief loops (DequeLoops, StampedLoops)
// serve CounterSplit's thieves unchanged.
struct CounterThieves {
    using Thief = CounterSplit::Thief;
};

}

// The owner round of deque_shapes.h with open() in place of the pushes.
template<>
struct DequeLoops<w50::CounterSplit> {
    static std::uint64_t owner_round(w50::CounterSplit& split, std::span<Item> items, std::int64_t work_units)
    {
        split.open(items);
        std::uint64_t taken = 0;
        while (Item* item = split.take())
            taken += consume(item, work_units);
        return taken;
    }

    static std::uint64_t thief_run(w50::CounterSplit::Thief& thief, std::atomic<bool> const& stop, std::int64_t work_units,
                                   StealMode mode)
    {
        return DequeLoops<w50::CounterThieves>::thief_run(thief, stop, work_units, mode);
    }
};

namespace w50 {

template<>
struct StampedLoops<CounterSplit> {
    static std::uint64_t owner_round(CounterSplit& split, std::span<Item> items, std::uint64_t* stamps)
    {
        *stamps++ = stamp();
        split.open(items);
        *stamps++ = stamp();
        std::uint64_t taken = 0;
        while (Item* item = split.take()) {
            *stamps++ = stamp();
            taken += consume(item, kWork);
            *stamps++ = stamp();
        }
        *stamps = stamp();
        return taken;
    }

    static std::uint64_t owner_round_pushes(CounterSplit& split, std::span<Item> items, std::uint64_t* stamps)
    {
        stamps[0] = stamp();
        split.open(items);
        stamps[1] = stamp();
        std::uint64_t taken = 0;
        while (Item* item = split.take())
            taken += consume(item, kWork);
        stamps[2] = stamp();
        return taken;
    }

    static std::uint64_t thief_run(CounterSplit::Thief& thief, std::atomic<bool> const& stop, ThiefLog& log)
    {
        return StampedLoops<CounterThieves>::thief_run(thief, stop, log);
    }
};

template<>
struct StampedLoops<FreeSplit> {
    static std::uint64_t owner_round(FreeSplit& split, std::span<Item> items, std::uint64_t* stamps)
    {
        *stamps++ = stamp();
        *stamps++ = stamp(); // no pushes
        std::uint64_t const taken = split.round(items, [&](std::span<Item> own) {
            std::uint64_t sum = 0;
            for (Item& item : own) {
                *stamps++ = stamp(); // no take
                sum += consume(&item, kWork);
                *stamps++ = stamp();
            }
            return sum;
        });
        *stamps = stamp(); // after the wait for the thief's last claim: the "empty take"
        return taken;
    }

    static std::uint64_t owner_round_pushes(FreeSplit& split, std::span<Item> items, std::uint64_t* stamps)
    {
        stamps[0] = stamp();
        stamps[1] = stamp(); // no pushes
        std::uint64_t const taken = DequeLoops<FreeSplit>::owner_round(split, items, kWork);
        stamps[2] = stamp();
        return taken;
    }

    static std::uint64_t thief_run(FreeSplit::Thief& thief, std::atomic<bool> const& stop, ThiefLog& log)
    {
        return thief.owner().serve(stop, log.misses, [&](Item* item, auto claim) {
            std::uint64_t const before = stamp();
            claim();
            std::uint64_t const stolen = stamp();
            std::uint64_t const got = consume(item, kWork);
            std::uint64_t const consumed = stamp();
            if (log.successes < log.capacity) {
                log.steal_cycles[log.successes] = std::uint32_t(stolen - before);
                log.consume_cycles[log.successes] = std::uint32_t(consumed - stolen);
            }
            ++log.successes;
            return got;
        });
    }
};
}
}
