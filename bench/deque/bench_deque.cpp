// Deque benchmarks: the same three loops over ours, xenium and a mutex + std::deque.
//   BM_deque_push_take/<impl>          owner pushes one item and takes it back
//   BM_deque_burst/<impl>              owner pushes 1024 items, then takes all 1024
//   BM_deque_owner_thief/<impl>/burst:B/work:W
//                                      owner pushes B items and takes until empty while a
//                                      thief pinned to the other CPU steals non-stop; both
//                                      spend W units of work per item they get (W = 0: pure
//                                      queue cost, the thief rarely wins; W > 0: stealing
//                                      pays). Items/s plus the fraction the thief got.
#include "common/affinity.h"
#include "common/spin.h"
#include "deque/baseline_deques.h"
#include "deque/item.h"
#include "deque/ours_deque.h"

#include <benchmark/benchmark.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace bench {

namespace {

constexpr std::size_t kBurst = 1024;

// W units of dependent arithmetic (about 1 ns each), the same for owner and thief and for
// every implementation: a stand-in for running the task.
inline std::uint64_t consume(Item const* item, std::int64_t work_units)
{
    std::uint64_t value = item->payload;
    for (std::int64_t i = 0; i < work_units; ++i) {
        value = value * 6364136223846793005ull + 1442695040888963407ull;
        benchmark::DoNotOptimize(value);
    }
    return item->payload; // the count of consumed items; the work only burns time
}

template<class Deque>
void bm_push_take(benchmark::State& state)
{
    pin_current_thread(0);
    Deque deque(kDequeCapacity);
    Item item { 1 };
    std::uint64_t sum = 0;
    for (auto _ : state) {
        deque.push(&item);
        Item* taken = deque.take();
        benchmark::DoNotOptimize(taken);
        sum += taken->payload;
    }
    benchmark::DoNotOptimize(sum);
    if (sum != std::uint64_t(state.iterations()))
        state.SkipWithError("push_take: an item was lost");
    state.SetItemsProcessed(state.iterations());
}

template<class Deque>
void bm_burst(benchmark::State& state)
{
    pin_current_thread(0);
    Deque deque(kDequeCapacity);
    std::vector<Item> items(kBurst, Item { 1 });
    std::uint64_t sum = 0;
    for (auto _ : state) {
        for (Item& item : items)
            deque.push(&item);
        for (std::size_t i = 0; i < kBurst; ++i) {
            Item* taken = deque.take();
            benchmark::DoNotOptimize(taken);
            sum += taken->payload;
        }
    }
    benchmark::DoNotOptimize(sum);
    if (sum != std::uint64_t(state.iterations()) * kBurst)
        state.SkipWithError("burst: an item was lost");
    state.SetItemsProcessed(state.iterations() * std::int64_t(kBurst));
}

template<class Deque>
void bm_owner_thief(benchmark::State& state)
{
    std::size_t const burst = std::size_t(state.range(0));
    std::int64_t const work_units = state.range(1);
    pin_current_thread(0);
    Deque deque(kDequeCapacity);
    std::vector<Item> items(burst, Item { 1 });

    std::atomic<bool> stop { false };
    std::atomic<bool> thief_ready { false };
    std::uint64_t stolen = 0; // written by the thief, read after join()
    std::thread thief([&] {
        pin_current_thread(1);
        auto handle = deque.thief();
        // release: pairs with the owner's acquire spin, so timing starts with a live thief.
        thief_ready.store(true, std::memory_order_release);
        std::uint64_t count = 0;
        // relaxed: stop guards no data; join() orders everything after the loop.
        while (!stop.load(std::memory_order_relaxed)) {
            if (Item* item = handle.steal())
                count += consume(item, work_units);
            else
                spin_pause();
        }
        stolen = count;
    });
    while (!thief_ready.load(std::memory_order_acquire))
        spin_pause();

    std::uint64_t taken = 0;
    for (auto _ : state) {
        for (Item& item : items)
            deque.push(&item);
        // Empty (or the last item lost to the thief) means every item of the burst is claimed.
        while (Item* item = deque.take())
            taken += consume(item, work_units);
    }
    stop.store(true, std::memory_order_relaxed);
    thief.join();

    std::uint64_t const pushed = std::uint64_t(state.iterations()) * burst;
    if (taken + stolen != pushed)
        state.SkipWithError("owner_thief: items lost or duplicated");
    state.SetItemsProcessed(std::int64_t(pushed));
    state.counters["stolen_fraction"] = pushed ? double(stolen) / double(pushed) : 0.0;
}

template<class Deque>
void register_deque()
{
    std::string const suffix = std::string("/") + Deque::name;
    benchmark::RegisterBenchmark(("BM_deque_push_take" + suffix).c_str(), bm_push_take<Deque>);
    benchmark::RegisterBenchmark(("BM_deque_burst" + suffix).c_str(), bm_burst<Deque>);
    benchmark::RegisterBenchmark(("BM_deque_owner_thief" + suffix).c_str(), bm_owner_thief<Deque>)
        ->ArgNames({ "burst", "work" })
        ->Args({ 1, 0 })
        ->Args({ 64, 0 })
        ->Args({ 64, 50 })
        ->UseRealTime();
}

}

}

int main(int argc, char** argv)
{
    bench::register_deque<bench::OursDeque>();
    bench::register_deque<bench::XeniumDeque>();
    bench::register_deque<bench::MutexDeque>();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
