#include "stress/deque_stress.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "core/deque.h"
#include "core/epoch.h"

namespace core_stress {
namespace {

struct Item {
    std::atomic<uint32_t> times_taken { 0 };
    // Plain on purpose: written by the owner before push, read by whoever takes the item.
    // Without the push -> steal happens-before edge this is a data race TSan reports (the
    // deque's own fields are all atomics, so TSan would see nothing else).
    uint64_t payload = 0;
};

uint64_t payload_of(uint64_t index) { return index * 0x9e3779b97f4a7c15ull + 7; }

using Deque = core::WorkStealingDeque<Item>;
using DequeOwner = core::DequeOwner<Item>;
using DequeStealer = core::DequeStealer<Item>;

// Counters shared by the threads of a run; relaxed everywhere: read after join().
struct Counters {
    std::atomic<uint64_t> pushed { 0 }, push_failures { 0 }, taken_lifo { 0 }, taken_fifo { 0 },
        stolen { 0 }, batch_moved { 0 }, taken_by_thieves { 0 }, lost_races { 0 }, duplicates { 0 }, corrupted { 0 };
};

class Round {
public:
    Round(const DequeStressConfig& config, core::EpochDomain& domain, Counters& counters, uint64_t items,
        uint64_t round_index)
        : m_config(config)
        , m_domain(domain)
        , m_counters(counters)
        , m_items(items)
        , m_round(round_index)
        , m_item_array(new Item[items])
        , m_victim(domain, config.initial_capacity, config.first_index)
    {
        for (unsigned i = 0; i < config.thieves; ++i) {
            m_thief_deques.emplace_back(std::make_unique<Deque>(domain, config.initial_capacity, config.first_index));
            m_thief_views.push_back(m_thief_deques.back()->stealer());
        }
    }

    // Runs the round; false when it stalled (then the lost items are counted by the caller).
    bool run(const std::function<void()>& tick)
    {
        std::vector<std::thread> threads;
        // Each deque's one owner handle moves into the thread that owns it.
        threads.emplace_back([this, handle = m_victim.owner()]() mutable { owner(handle); });
        for (unsigned i = 0; i < m_config.thieves; ++i)
            threads.emplace_back([this, i, handle = m_thief_deques[i]->owner()]() mutable { thief(i, handle); });

        uint64_t last_consumed = 0;
        auto last_progress = Clock::now();
        // relaxed: progress polling only.
        while (m_consumed.load(std::memory_order_relaxed) < m_items) {
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            uint64_t now_consumed = m_consumed.load(std::memory_order_relaxed);
            if (now_consumed != last_consumed) {
                last_consumed = now_consumed;
                last_progress = Clock::now();
            } else if (Clock::now() - last_progress > m_config.stall_timeout) {
                m_abort.store(true, std::memory_order_relaxed);
                break;
            }
            tick();
        }
        for (auto& t : threads)
            t.join();
        return !m_abort.load(std::memory_order_relaxed);
    }

    uint64_t count_lost() const
    {
        uint64_t lost = 0;
        for (uint64_t i = 0; i < m_items; ++i)
            lost += m_item_array[i].times_taken.load(std::memory_order_relaxed) == 0;
        return lost;
    }

private:
    bool finished() const
    {
        // relaxed: only decides when to stop polling; the per-item counters are checked
        // after join().
        return m_consumed.load(std::memory_order_relaxed) >= m_items || m_abort.load(std::memory_order_relaxed);
    }

    void consume(Item* item, std::atomic<uint64_t>& how)
    {
        uint64_t index = uint64_t(item - m_item_array.get());
        if (index >= m_items || item->payload != payload_of(index))
            m_counters.corrupted.fetch_add(1, std::memory_order_relaxed);
        // relaxed: exactly-once is checked by the value returned, not by ordering.
        if (item->times_taken.fetch_add(1, std::memory_order_relaxed) != 0)
            m_counters.duplicates.fetch_add(1, std::memory_order_relaxed);
        how.fetch_add(1, std::memory_order_relaxed);
        m_consumed.fetch_add(1, std::memory_order_relaxed);
    }

    void owner(DequeOwner& victim)
    {
        core::EpochParticipant me(m_domain, 0);
        Rng rng(mix_seed(m_config.seed, m_round * 1000));
        uint64_t next = 0;
        for (uint64_t op = 0; next < m_items && !finished(); ++op) {
            uint32_t choice = rng.below(100);
            if (choice < 60) {
                uint32_t burst = 1 + rng.below(32);
                for (uint32_t i = 0; i < burst && next < m_items; ++i) {
                    m_item_array[next].payload = payload_of(next);
                    if (victim.push(&m_item_array[next]) != core::PushResult::ok) {
                        m_counters.push_failures.fetch_add(1, std::memory_order_relaxed);
                        break;
                    }
                    ++next;
                    m_counters.pushed.fetch_add(1, std::memory_order_relaxed);
                }
            } else if (choice < 82) {
                if (Item* item = victim.take())
                    consume(item, m_counters.taken_lifo);
            } else {
                if (Item* item = victim.take_fifo())
                    consume(item, m_counters.taken_fifo);
            }
            if ((op & 63) == 0)
                me.try_reclaim();
        }
        // Drain our deque, then help by stealing from the thieves until all are counted.
        while (!finished()) {
            // Until a thief has stolen in this round, leave the rest to the thieves: on a
            // busy host a thief thread may not even have started before the owner is
            // through its items, and then the round would test no steal at all.
            // relaxed: a pacing flag; the items themselves are counted after join().
            if (m_config.thieves > 0 && m_thief_steals.load(std::memory_order_relaxed) == 0) {
                std::this_thread::yield();
                continue;
            }
            if (Item* item = victim.take()) {
                consume(item, m_counters.taken_lifo);
                continue;
            }
            bool got = false;
            {
                core::EpochGuard guard(me);
                for (const DequeStealer& thief : m_thief_views) {
                    auto r = thief.steal();
                    if (r.status == core::StealStatus::success) {
                        consume(r.item, m_counters.stolen);
                        got = true;
                    }
                }
            }
            if (!got)
                std::this_thread::yield();
            me.try_reclaim();
        }
        // Best effort: whatever is still pending goes to the shared list when `me` leaves.
        (void)me.barrier(1000);
    }

    void thief(unsigned index, DequeOwner& mine)
    {
        core::EpochParticipant me(m_domain, index + 1);
        const DequeStealer victim = m_victim.stealer();
        Rng rng(mix_seed(m_config.seed, m_round * 1000 + index + 1));
        unsigned idle_rounds = 0;
        for (uint64_t iteration = 0; !finished(); ++iteration) {
            bool progress = false;
            {
                core::EpochGuard guard(me);
                uint32_t choice = rng.below(8);
                if (choice < 2) {
                    size_t moved = victim.steal_batch(mine, 1 + rng.below(16));
                    m_counters.batch_moved.fetch_add(moved, std::memory_order_relaxed);
                    m_thief_steals.fetch_add(moved, std::memory_order_relaxed); // relaxed: pacing flag
                    progress = moved > 0;
                } else {
                    const DequeStealer* from = &victim;
                    bool ourselves = false;
                    if (choice == 2 && m_config.thieves > 1) {
                        unsigned other = rng.below(m_config.thieves);
                        from = &m_thief_views[other];
                        ourselves = other == index;
                    }
                    if (!ourselves) {
                        auto r = from->steal();
                        if (r.status == core::StealStatus::success) {
                            consume(r.item, m_counters.stolen);
                            m_thief_steals.fetch_add(1, std::memory_order_relaxed); // relaxed: pacing flag
                            progress = true;
                        } else if (r.status == core::StealStatus::lost_race) {
                            m_counters.lost_races.fetch_add(1, std::memory_order_relaxed);
                        }
                    }
                }
            }
            // Work off a few of our own, leaving the rest to be stolen from us.
            uint32_t own = 1 + rng.below(4);
            for (uint32_t i = 0; i < own; ++i) {
                Item* item = (i & 1) ? mine.take_fifo() : mine.take();
                if (!item)
                    break;
                consume(item, m_counters.taken_by_thieves);
                progress = true;
            }
            if ((iteration & 63) == 0)
                me.try_reclaim();
            if (progress) {
                idle_rounds = 0;
            } else if (++idle_rounds > 16) {
                std::this_thread::yield();
            }
        }
        // Our deque is empty once every item is counted; barrier so our garbage is freed
        // (best effort, as in owner()).
        (void)me.barrier(1000);
    }

    const DequeStressConfig& m_config;
    core::EpochDomain& m_domain;
    Counters& m_counters;
    uint64_t m_items;
    uint64_t m_round;
    std::unique_ptr<Item[]> m_item_array;
    Deque m_victim;
    std::vector<std::unique_ptr<Deque>> m_thief_deques;
    std::vector<DequeStealer> m_thief_views; // m_thief_views[i] looks at m_thief_deques[i]
    std::atomic<uint64_t> m_consumed { 0 };
    std::atomic<uint64_t> m_thief_steals { 0 }; // items thieves stole or batch-moved this round
    std::atomic<bool> m_abort { false };
};

} // namespace

DequeStressResult run_deque_stress(const DequeStressConfig& config)
{
    DequeStressResult result;
    Counters counters;
    auto domain = std::make_unique<core::EpochDomain>(config.thieves + 2);
    auto start = Clock::now();
    auto next_report = start + std::chrono::seconds(1);
    uint64_t done = 0;
    uint64_t per_round = config.items_per_round ? config.items_per_round : 100'000;

    auto keep_going = [&] {
        if (result.stalled)
            return false;
        if (config.seconds > 0)
            return std::chrono::duration<double>(Clock::now() - start).count() < config.seconds;
        return done < config.items;
    };
    auto tick = [&] {
        if (!config.progress || Clock::now() < next_report)
            return;
        next_report += std::chrono::seconds(1);
        char line[256];
        std::snprintf(line, sizeof line,
            "deque: %.0fs rounds=%llu pushed=%llu stolen=%llu batch=%llu dup=%llu epoch_advances=%llu",
            std::chrono::duration<double>(Clock::now() - start).count(), (unsigned long long)result.rounds,
            (unsigned long long)counters.pushed.load(std::memory_order_relaxed),
            (unsigned long long)counters.stolen.load(std::memory_order_relaxed),
            (unsigned long long)counters.batch_moved.load(std::memory_order_relaxed),
            (unsigned long long)counters.duplicates.load(std::memory_order_relaxed),
            (unsigned long long)domain->stats().epoch_advances);
        config.progress(line);
    };

    while (keep_going()) {
        uint64_t items = per_round;
        if (config.seconds <= 0 && config.items - done < items)
            items = config.items - done;
        {
            Round round(config, *domain, counters, items, result.rounds);
            if (!round.run(tick))
                result.stalled = true;
            result.lost += round.count_lost();
        }
        done += items;
        ++result.rounds;
        tick();
    }

    // Free the buffers the rounds left on the domain's shared list (all threads are gone,
    // so nothing pins: two advances suffice).
    {
        core::EpochParticipant cleaner(*domain, 0);
        for (int i = 0; i < 8 && domain->stats().pending > 0; ++i)
            cleaner.try_reclaim();
    }
    core::EpochStats epoch = domain->stats();
    result.epoch_advances = epoch.epoch_advances;
    result.buffers_retired = epoch.retired;
    result.buffers_freed = epoch.freed;

    result.pushed = counters.pushed.load();
    result.push_failures = counters.push_failures.load();
    result.taken_lifo = counters.taken_lifo.load();
    result.taken_fifo = counters.taken_fifo.load();
    result.stolen = counters.stolen.load();
    result.batch_moved = counters.batch_moved.load();
    result.taken_by_thieves = counters.taken_by_thieves.load();
    result.lost_races = counters.lost_races.load();
    result.duplicates = counters.duplicates.load();
    result.corrupted = counters.corrupted.load();
    return result;
}

} // namespace core_stress
