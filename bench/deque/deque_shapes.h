#pragma once
// The deque benchmark loops, one template per shape, instantiated for every implementation
// (ours, crossbeam, xenium, mutex). Names are BM_deque_<shape>/<implementation>[/<args>]:
//   push_take                   owner pushes one item and takes it back
//   burst                       owner pushes 1024 items, then takes 1024, above 1024 idle
//                               items that stay in the deque: no implementation resizes
//   burst_grow                  the same burst on a new, empty deque of capacity 64 each
//                               time: every implementation grows to 1024 (and crossbeam
//                               shrinks back while taking)
//   owner_thief/burst:B/work:W/thieves:N
//                               owner pushes B items and takes until empty while N thieves
//                               (pinned to CPUs 1, 0, 1) steal one item per attempt; everyone
//                               spends W units of work per item they get. Wall time; counter
//                               stolen_fraction.
//   owner_thief_batch/...       the same, but a thief first takes from a private deque of its
//                               own and, when that is empty, steals a batch (about half the
//                               victim, at most 32) into it. xenium has no batch steal.
//
// The loops an implementation runs are DequeLoops<Deque>. The generic one below calls the
// wrapper's push/take/steal, which inline for the C++ deques. crossbeam specialises it
// (crossbeam_deque.h) with Rust twins of the same loops, so a call crosses the FFI once per
// benchmark iteration (and once per thief run) instead of once per operation.
#include "common/affinity.h"
#include "common/spin.h"
#include "deque/item.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace bench {

inline constexpr std::size_t kBurst = 1024;
// Idle items below the burst in BM_deque_burst. crossbeam has no way to reserve capacity and
// shrinks its buffer when fewer than a quarter of the slots are used; with 1024 idle items its
// buffer stays at 2048 slots (len 1024..2048), so the row measures no resizing for anyone.
inline constexpr std::size_t kBallast = 1024;
// BM_deque_burst_grow starts every burst here: crossbeam's fixed minimum capacity.
inline constexpr std::size_t kGrowFrom = 64;
// push_take runs this many rounds per benchmark iteration batch (one FFI call for crossbeam).
inline constexpr std::int64_t kPushTakeRounds = 256;

enum class StealMode { per_item, batch };

// W units of dependent arithmetic (about 1 ns each), the same for owner and thief and for
// every implementation: a stand-in for running the task. Returns the item's payload (the
// benchmarks count consumed items with it); the work only burns time.
inline std::uint64_t consume(Item const* item, std::int64_t work_units)
{
    std::uint64_t value = item->payload;
    for (std::int64_t i = 0; i < work_units; ++i) {
        value = value * 6364136223846793005ull + 1442695040888963407ull;
        benchmark::DoNotOptimize(value);
    }
    return item->payload;
}

// A thief handle that can steal a batch into a deque of its own and take from there.
template<class Thief>
concept BatchThief = requires(Thief thief) {
    { thief.steal_batch_and_take() } -> std::same_as<Item*>;
    { thief.take_own() } -> std::same_as<Item*>;
};

template<class Deque>
struct DequeLoops {
    static constexpr bool batch_steal = BatchThief<typename Deque::Thief>;

    // `rounds` times: push `item`, take it back. Returns the payload sum.
    static std::uint64_t push_take(Deque& deque, Item* item, std::int64_t rounds)
    {
        std::uint64_t sum = 0;
        for (std::int64_t i = 0; i < rounds; ++i) {
            deque.push(item);
            Item* taken = deque.take();
            benchmark::DoNotOptimize(taken);
            if (taken)
                sum += taken->payload;
        }
        return sum;
    }

    // Pushes every item, then takes as many. Returns the payload sum.
    static std::uint64_t burst(Deque& deque, std::span<Item> items)
    {
        for (Item& item : items)
            deque.push(&item);
        std::uint64_t sum = 0;
        for (std::size_t i = 0; i < items.size(); ++i) {
            Item* taken = deque.take();
            benchmark::DoNotOptimize(taken);
            if (taken)
                sum += taken->payload;
        }
        return sum;
    }

    // Pushes every item, then takes and consumes until empty (or the last item lost to a
    // thief: either way every item is claimed). Returns how many the owner got.
    static std::uint64_t owner_round(Deque& deque, std::span<Item> items, std::int64_t work_units)
    {
        for (Item& item : items)
            deque.push(&item);
        std::uint64_t taken = 0;
        while (Item* item = deque.take())
            taken += consume(item, work_units);
        return taken;
    }

    // Steals and consumes until `stop`; returns how many items this thief got.
    static std::uint64_t thief_run(typename Deque::Thief& thief, std::atomic<bool> const& stop,
                                   std::int64_t work_units, StealMode mode)
    {
        std::uint64_t count = 0;
        if constexpr (BatchThief<typename Deque::Thief>) {
            if (mode == StealMode::batch) {
                // relaxed: stop guards no data; join() orders everything after the loop.
                while (!stop.load(std::memory_order_relaxed)) {
                    Item* item = thief.take_own();
                    if (!item)
                        item = thief.steal_batch_and_take();
                    if (item)
                        count += consume(item, work_units);
                    else
                        spin_pause();
                }
                while (Item* item = thief.take_own())
                    count += consume(item, work_units);
                return count;
            }
        }
        while (!stop.load(std::memory_order_relaxed)) { // relaxed: as above
            if (Item* item = thief.steal())
                count += consume(item, work_units);
            else
                spin_pause();
        }
        return count;
    }
};

template<class Deque>
void bm_push_take(benchmark::State& state)
{
    pin_current_thread(0);
    Deque deque(kDequeCapacity);
    Item item { 1 };
    std::uint64_t sum = 0;
    while (state.KeepRunningBatch(kPushTakeRounds))
        sum += DequeLoops<Deque>::push_take(deque, &item, kPushTakeRounds);
    if (sum != std::uint64_t(state.iterations()))
        state.SkipWithError("push_take: an item was lost");
    state.SetItemsProcessed(state.iterations());
}

template<class Deque>
void bm_burst(benchmark::State& state)
{
    pin_current_thread(0);
    Deque deque(kDequeCapacity);
    std::vector<Item> ballast(kBallast, Item { 0 });
    for (Item& item : ballast)
        deque.push(&item);
    std::vector<Item> items(kBurst, Item { 1 });
    std::uint64_t sum = DequeLoops<Deque>::burst(deque, items); // untimed: crossbeam grows here
    for (auto _ : state)
        sum += DequeLoops<Deque>::burst(deque, items);
    std::size_t left = 0;
    while (deque.take())
        ++left;
    if (sum != (std::uint64_t(state.iterations()) + 1) * kBurst || left != kBallast)
        state.SkipWithError("burst: an item was lost");
    state.SetItemsProcessed(state.iterations() * std::int64_t(kBurst));
}

// The deque's construction and destruction are timed too: growing from nothing is the point.
template<class Deque>
void bm_burst_grow(benchmark::State& state)
{
    pin_current_thread(0);
    Deque deque(kGrowFrom);
    std::vector<Item> items(kBurst, Item { 1 });
    std::uint64_t sum = 0;
    for (auto _ : state) {
        deque.renew();
        sum += DequeLoops<Deque>::burst(deque, items);
    }
    if (sum != std::uint64_t(state.iterations()) * kBurst)
        state.SkipWithError("burst_grow: an item was lost");
    state.SetItemsProcessed(state.iterations() * std::int64_t(kBurst));
}

template<class Deque, StealMode mode>
void bm_owner_thief(benchmark::State& state)
{
    std::size_t const burst = std::size_t(state.range(0));
    std::int64_t const work_units = state.range(1);
    std::size_t const thieves = std::size_t(state.range(2));
    pin_current_thread(0);
    Deque deque(kDequeCapacity);
    std::vector<Item> items(burst, Item { 1 });

    std::atomic<bool> stop { false };
    std::atomic<std::size_t> thieves_ready { 0 };
    std::vector<std::uint64_t> stolen(thieves, 0); // each written by its thief, read after join()
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < thieves; ++i) {
        threads.emplace_back([&, i] {
            pin_current_thread(i + 1);
            typename Deque::Thief thief(deque, i);
            // release: pairs with the owner's acquire spin, so timing starts with live thieves.
            thieves_ready.fetch_add(1, std::memory_order_release);
            stolen[i] = DequeLoops<Deque>::thief_run(thief, stop, work_units, mode);
        });
    }
    while (thieves_ready.load(std::memory_order_acquire) != thieves)
        spin_pause();

    std::uint64_t taken = 0;
    for (auto _ : state)
        taken += DequeLoops<Deque>::owner_round(deque, items, work_units);
    stop.store(true, std::memory_order_relaxed); // relaxed: see thief_run
    std::uint64_t stolen_total = 0;
    for (std::size_t i = 0; i < thieves; ++i) {
        threads[i].join();
        stolen_total += stolen[i];
    }

    std::uint64_t const pushed = std::uint64_t(state.iterations()) * burst;
    if (taken + stolen_total != pushed)
        state.SkipWithError("owner_thief: items lost or duplicated");
    state.SetItemsProcessed(std::int64_t(pushed));
    state.counters["stolen_fraction"] = pushed ? double(stolen_total) / double(pushed) : 0.0;
}

// `GrowingDeque` serves BM_deque_burst_grow: the same implementation starting at kGrowFrom
// (only xenium needs a different type: its minimum capacity is a template argument).
template<class Deque, class GrowingDeque = Deque>
void register_deque()
{
    std::string const suffix = std::string("/") + Deque::name;
    benchmark::RegisterBenchmark(("BM_deque_push_take" + suffix).c_str(), bm_push_take<Deque>);
    benchmark::RegisterBenchmark(("BM_deque_burst" + suffix).c_str(), bm_burst<Deque>);
    benchmark::RegisterBenchmark(("BM_deque_burst_grow" + suffix).c_str(), bm_burst_grow<GrowingDeque>);
    benchmark::RegisterBenchmark(("BM_deque_owner_thief" + suffix).c_str(),
                                 bm_owner_thief<Deque, StealMode::per_item>)
        ->ArgNames({ "burst", "work", "thieves" })
        ->Args({ 1, 0, 1 })
        ->Args({ 64, 0, 1 })
        ->Args({ 64, 50, 1 })
        ->Args({ 64, 0, 2 })
        ->Args({ 64, 50, 2 })
        ->Args({ 64, 0, 3 })
        ->Args({ 64, 50, 3 })
        ->UseRealTime();
    if constexpr (DequeLoops<Deque>::batch_steal) {
        benchmark::RegisterBenchmark(("BM_deque_owner_thief_batch" + suffix).c_str(),
                                     bm_owner_thief<Deque, StealMode::batch>)
            ->ArgNames({ "burst", "work", "thieves" })
            ->Args({ 64, 0, 1 })
            ->Args({ 64, 50, 1 })
            ->Args({ 64, 50, 2 })
            ->Args({ 64, 50, 3 })
            ->UseRealTime();
    }
}

}
