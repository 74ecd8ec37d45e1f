#pragma once
// crossbeam-deque 0.8 (Rust; a LIFO Worker and its Stealers) as a baseline. The Rust side is
// bench/deque/crossbeam/src/lib.rs, a static library built offline with Debian's cargo from
// Debian's packaged crate sources (bench/CMakeLists.txt).
//
// GCC cannot inline Rust, so every crossing is a real call. To keep that out of the figures,
// DequeLoops<CrossbeamDeque> below runs each loop of deque_shapes.h as one Rust function that
// repeats it step for step: push_take (one call per 256 rounds), burst (one per 1024-item
// burst), owner_round (one per owner burst), thief_run (one per thief for the whole run).
// CrossbeamPerCallDeque keeps one call per push and per pop, to show what a call costs.
#include "deque/deque_shapes.h"
#include "deque/item.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

extern "C" {
struct CrossbeamWorker;
struct CrossbeamStealer;

CrossbeamWorker* crossbeam_worker_new();
void crossbeam_worker_free(CrossbeamWorker* worker);
void crossbeam_worker_push(CrossbeamWorker* worker, bench::Item* item);
bench::Item* crossbeam_worker_pop(CrossbeamWorker* worker);
CrossbeamStealer* crossbeam_stealer_new(CrossbeamWorker const* worker);
CrossbeamStealer* crossbeam_stealer_clone(CrossbeamStealer const* stealer);
void crossbeam_stealer_free(CrossbeamStealer* stealer);

std::uint64_t crossbeam_push_take_rounds(CrossbeamWorker* worker, bench::Item* item, std::int64_t rounds);
std::uint64_t crossbeam_burst(CrossbeamWorker* worker, bench::Item* items, std::size_t count);
std::uint64_t crossbeam_owner_round(CrossbeamWorker* worker, bench::Item* items, std::size_t count,
                                    std::int64_t work_units);
// `stop` is read as Rust's AtomicBool: one byte holding 0 or 1, like std::atomic<bool>.
std::uint64_t crossbeam_thief_run(CrossbeamStealer const* stealer, std::atomic<bool> const* stop,
                                  std::int64_t work_units, bool batch);
}

namespace bench {

static_assert(sizeof(std::atomic<bool>) == 1 && std::atomic<bool>::is_always_lock_free);

// crossbeam's Worker has no capacity argument: it starts at 64 slots, doubles when full and
// halves when a pop leaves fewer than a quarter of the slots used.
class CrossbeamDeque {
public:
    static constexpr char const* name = "crossbeam";

    explicit CrossbeamDeque(std::size_t) { open(); }
    ~CrossbeamDeque() { close(); }
    CrossbeamDeque(CrossbeamDeque const&) = delete;
    CrossbeamDeque& operator=(CrossbeamDeque const&) = delete;

    bool push(Item* item)
    {
        crossbeam_worker_push(m_worker, item);
        return true;
    }

    Item* take() { return crossbeam_worker_pop(m_worker); }

    // A new, empty Worker (owner only, no thief running).
    void renew()
    {
        close();
        open();
    }

    CrossbeamWorker* worker() { return m_worker; }

    // Each thief clones the stealer made by the owner (Worker::stealer() is owner-only).
    class Thief {
    public:
        Thief(CrossbeamDeque& owner, std::size_t)
            : m_stealer(crossbeam_stealer_clone(owner.m_stealer))
        {
        }
        ~Thief() { crossbeam_stealer_free(m_stealer); }
        Thief(Thief const&) = delete;
        Thief& operator=(Thief const&) = delete;

        CrossbeamStealer const* stealer() const { return m_stealer; }

    private:
        CrossbeamStealer* m_stealer;
    };

private:
    void open()
    {
        m_worker = crossbeam_worker_new();
        m_stealer = crossbeam_stealer_new(m_worker);
    }
    void close()
    {
        crossbeam_stealer_free(m_stealer);
        crossbeam_worker_free(m_worker);
    }

    CrossbeamWorker* m_worker;
    CrossbeamStealer* m_stealer;
};

template<>
struct DequeLoops<CrossbeamDeque> {
    static constexpr bool batch_steal = true; // Stealer::steal_batch_and_pop

    static std::uint64_t push_take(CrossbeamDeque& deque, Item* item, std::int64_t rounds)
    {
        return crossbeam_push_take_rounds(deque.worker(), item, rounds);
    }

    static std::uint64_t burst(CrossbeamDeque& deque, std::span<Item> items)
    {
        return crossbeam_burst(deque.worker(), items.data(), items.size());
    }

    static std::uint64_t owner_round(CrossbeamDeque& deque, std::span<Item> items, std::int64_t work_units)
    {
        return crossbeam_owner_round(deque.worker(), items.data(), items.size(), work_units);
    }

    static std::uint64_t thief_run(CrossbeamDeque::Thief& thief, std::atomic<bool> const& stop,
                                   std::int64_t work_units, StealMode mode)
    {
        return crossbeam_thief_run(thief.stealer(), &stop, work_units, mode == StealMode::batch);
    }
};

// The same Worker through the generic loops: one FFI call per push and per pop.
class CrossbeamPerCallDeque : public CrossbeamDeque {
public:
    static constexpr char const* name = "crossbeam_per_call";
    using CrossbeamDeque::CrossbeamDeque;
};

}
