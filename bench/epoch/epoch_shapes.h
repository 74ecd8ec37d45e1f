#pragma once
// The four epoch benchmarks, written once and instantiated for each implementation, so every
// implementation runs exactly the same loop. An implementation is an adapter type with:
//
//   static constexpr char const* name;          // "ours", "urcu_memb", "urcu_qsbr", "ck"
//   class Thread {                               // one per thread that uses the scheme
//       Thread();  ~Thread();                    // register / unregister the calling thread
//       void enter();  void exit();              // read-side critical section
//       void quiescent();                        // "I hold no references" (qsbr schemes)
//       void retire(Node*);                      // free the node after a grace period
//       void poll();                             // give deferred reclamation a chance to run
//       void synchronize();                      // wait for one full grace period
//       void drain();                            // wait until every retired node is freed
//   };
//   static Unsigned global_epoch();              // optional: the global epoch, for counters
//
// A reader that never says it is quiescent would stall a qsbr writer forever, so the reader
// loops below call quiescent() every round; for the other schemes it is a no-op.
#include "common/affinity.h"
#include "common/spin.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <concepts>
#include <cstdint>
#include <string>
#include <thread>

namespace bench {

// What the retire benchmark frees: a heap node with room for each scheme's intrusive link.
// Every implementation allocates and frees the same way (new/delete), so that cost cancels.
struct RetiredNodeCounters {
    std::atomic<std::uint64_t> freed { 0 }; // written by whichever thread runs the callback
};

inline RetiredNodeCounters g_retired_counters;

// Retire every node; poll every kPollInterval retires, as a writer would between batches.
inline constexpr std::uint64_t kPollInterval = 64;

template<class Scheme>
void bm_enter_exit(benchmark::State& state)
{
    pin_current_thread(0);
    typename Scheme::Thread self;
    for (auto _ : state) {
        self.enter();
        benchmark::ClobberMemory();
        self.exit();
    }
    state.SetItemsProcessed(state.iterations());
}

template<class Scheme>
void bm_quiescent(benchmark::State& state)
{
    pin_current_thread(0);
    typename Scheme::Thread self;
    for (auto _ : state) {
        self.quiescent();
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
}

template<class Scheme>
void bm_retire(benchmark::State& state)
{
    pin_current_thread(0);
    std::uint64_t const freed_before = g_retired_counters.freed.load(std::memory_order_relaxed);
    std::uint64_t retired = 0;
    {
        typename Scheme::Thread self;
        for (auto _ : state) {
            self.retire(Scheme::make_node());
            if (++retired % kPollInterval == 0)
                self.poll();
        }
        // The timer stopped with the loop: draining the backlog is not counted.
        self.drain();
    }
    // acquire: pairs with the release increment in each scheme's free callback.
    std::uint64_t const freed = g_retired_counters.freed.load(std::memory_order_acquire) - freed_before;
    if (freed != retired)
        state.SkipWithError("retire: not every retired node was freed after drain()");
    state.SetItemsProcessed(static_cast<std::int64_t>(retired));
}

// A scheme whose global epoch the benchmark can read (ours, ck; liburcu keeps its counter
// private).
template<class Scheme>
concept HasGlobalEpoch = requires {
    { Scheme::global_epoch() } -> std::unsigned_integral;
};

// Grace-period latency while another CPU keeps entering and leaving short read sections.
// Two counters say which way a row went, since its time is set less by the protocol than
// by where the reader is when the writer looks (docs/benchmarks.md): advances_per_sync
// (where the scheme has a readable global epoch; a writer advances only after it saw the
// reader inside a section) and reader_sections_per_sync (how far the reader got meanwhile).
template<class Scheme>
void bm_grace_period(benchmark::State& state)
{
    pin_current_thread(0);
    std::atomic<bool> stop { false };
    std::atomic<bool> reader_ready { false };
    std::uint64_t reader_sections = 0; // written by the reader, read after join()
    std::thread reader([&] {
        pin_current_thread(1);
        typename Scheme::Thread self;
        // release: pairs with the acquire spin below, so the writer starts with a live reader.
        reader_ready.store(true, std::memory_order_release);
        std::uint64_t sections = 0;
        // relaxed: stop only ends the loop; it guards no data.
        while (!stop.load(std::memory_order_relaxed)) {
            self.enter();
            benchmark::ClobberMemory();
            self.exit();
            self.quiescent();
            ++sections;
        }
        reader_sections = sections;
    });
    while (!reader_ready.load(std::memory_order_acquire))
        spin_pause();

    std::uint64_t advances = 0;
    {
        typename Scheme::Thread self;
        if constexpr (HasGlobalEpoch<Scheme>) {
            auto const before = Scheme::global_epoch();
            for (auto _ : state)
                self.synchronize();
            // In the epoch's own type, so that a 32-bit epoch that wraps still subtracts right.
            advances = static_cast<decltype(before)>(Scheme::global_epoch() - before);
        } else {
            for (auto _ : state)
                self.synchronize();
        }
    }
    stop.store(true, std::memory_order_relaxed);
    reader.join();
    state.SetItemsProcessed(state.iterations());
    // The reader counts from its start to the stop, a little longer than the timed loop.
    double const syncs = double(state.iterations());
    state.counters["reader_sections_per_sync"] = double(reader_sections) / syncs;
    if constexpr (HasGlobalEpoch<Scheme>)
        state.counters["advances_per_sync"] = double(advances) / syncs;
}

// Registers the four shapes under BM_epoch_<shape>/<Scheme::name>.
template<class Scheme>
void register_epoch_benchmarks(bool has_quiescent)
{
    std::string const suffix = std::string("/") + Scheme::name;
    benchmark::RegisterBenchmark(("BM_epoch_enter_exit" + suffix).c_str(), bm_enter_exit<Scheme>);
    if (has_quiescent)
        benchmark::RegisterBenchmark(("BM_epoch_quiescent" + suffix).c_str(), bm_quiescent<Scheme>);
    benchmark::RegisterBenchmark(("BM_epoch_retire" + suffix).c_str(), bm_retire<Scheme>);
    benchmark::RegisterBenchmark(("BM_epoch_grace_period" + suffix).c_str(), bm_grace_period<Scheme>)
        ->UseRealTime();
}

}
