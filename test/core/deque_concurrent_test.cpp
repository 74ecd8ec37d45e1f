// One owner, k thieves (k = 1..7), every item taken exactly once. The suite's main case
// moves >= 10^7 items in the plain build (7 runs of 3 M); sanitizer builds divide the
// count (stress/common.h: TSan /8, ASan /4, or CORE_TEST_SCALE=<divisor>).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "core/deque.h"
#include "core/epoch.h"
#include "stress/deque_stress.h"

namespace {

using core_stress::DequeStressConfig;
using core_stress::DequeStressResult;

void expect_exactly_once(const DequeStressResult& r)
{
    EXPECT_EQ(r.duplicates, 0u) << "an item was taken twice";
    EXPECT_EQ(r.lost, 0u) << "an item was never taken";
    EXPECT_EQ(r.corrupted, 0u) << "an item's contents were not visible to the thread that took it";
    EXPECT_FALSE(r.stalled) << "no progress for the stall timeout";
    EXPECT_EQ(r.taken(), r.pushed);
    EXPECT_EQ(r.buffers_retired, r.buffers_freed) << "a replaced buffer was never freed";
    EXPECT_EQ(r.push_failures, 0u);
}

class DequeOwnerWithThieves : public ::testing::TestWithParam<unsigned> { };

TEST_P(DequeOwnerWithThieves, steal_never_returns_an_item_twice_and_nothing_is_lost)
{
    DequeStressConfig config;
    config.thieves = GetParam();
    config.items = core_stress::scaled(3'000'000, 20'000);
    config.items_per_round = core_stress::scaled(50'000, 5'000); // fresh deque of capacity 2 each round
    config.initial_capacity = 2;
    config.seed = 1000 + GetParam();
    DequeStressResult r = core_stress::run_deque_stress(config);
    expect_exactly_once(r);
    EXPECT_EQ(r.pushed, config.items);
    // The mix really happened.
    EXPECT_GT(r.taken_lifo, 0u);
    EXPECT_GT(r.taken_fifo, 0u);
    EXPECT_GT(r.stolen + r.batch_moved, 0u);
}

INSTANTIATE_TEST_SUITE_P(k, DequeOwnerWithThieves, ::testing::Range(1u, 8u),
    [](const ::testing::TestParamInfo<unsigned>& info) { return std::to_string(info.param) + "_thieves"; });

TEST(DequeConcurrent, indices_past_2_pow_32_under_concurrent_steals_lose_nothing)
{
    DequeStressConfig config;
    config.thieves = 3;
    config.items = core_stress::scaled(400'000, 20'000);
    config.items_per_round = core_stress::scaled(40'000, 4'000);
    config.first_index = (int64_t(1) << 32) - 1000; // each round crosses 2^32
    config.seed = 77;
    expect_exactly_once(core_stress::run_deque_stress(config));
}

TEST(DequeConcurrent, many_rounds_of_tiny_deques_keep_growing_while_thieves_steal)
{
    DequeStressConfig config;
    config.thieves = 2;
    config.items = core_stress::scaled(200'000, 10'000);
    config.items_per_round = 500; // many fresh deques: growth 2 -> 512 during every round
    config.seed = 5;
    DequeStressResult r = core_stress::run_deque_stress(config);
    expect_exactly_once(r);
    EXPECT_GT(r.buffers_retired, r.rounds); // more than one growth per round on average
}

// The window take()'s full fence closes: with two items, the owner's smaller bottom may
// still sit in its store buffer while a thief steals index t and then t+1; without the
// fence the owner has already read the old top and takes t+1 without a CAS. The owner
// does nothing but push two and take, so the window comes up millions of times.
TEST(DequeConcurrent, take_racing_back_to_back_steals_on_two_items_never_duplicates)
{
    struct Item {
        std::atomic<uint32_t> times_taken { 0 };
    };
    const uint64_t pairs = core_stress::scaled(5'000'000, 20'000);
    auto items = std::make_unique<Item[]>(2 * pairs);
    core::EpochDomain domain(4);
    core::WorkStealingDeque<Item> deque(domain, 4);
    core::DequeOwner<Item> owner = deque.owner();
    std::atomic<bool> done { false };
    std::atomic<uint64_t> duplicates { 0 }, counted { 0 };
    auto count = [&](Item* item) {
        // relaxed: exactly-once is checked by the returned value.
        if (item->times_taken.fetch_add(1, std::memory_order_relaxed) != 0)
            duplicates.fetch_add(1, std::memory_order_relaxed);
        counted.fetch_add(1, std::memory_order_relaxed);
    };
    std::thread thief([&, view = deque.stealer()] {
        core::EpochParticipant me(domain, 1);
        while (!done.load(std::memory_order_relaxed)) {
            core::EpochGuard guard(me);
            for (int i = 0; i < 64; ++i) {
                auto r = view.steal();
                if (r.status == core::StealStatus::success)
                    count(r.item);
            }
        }
    });
    for (uint64_t i = 0; i < pairs; ++i) {
        ASSERT_EQ(owner.push(&items[2 * i]), core::PushResult::ok);
        ASSERT_EQ(owner.push(&items[2 * i + 1]), core::PushResult::ok);
        while (Item* item = owner.take())
            count(item);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (counted.load(std::memory_order_relaxed) < 2 * pairs && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    done.store(true, std::memory_order_relaxed);
    thief.join();
    EXPECT_EQ(duplicates.load(), 0u) << "an item was taken by the owner and stolen as well";
    uint64_t lost = 0;
    for (uint64_t i = 0; i < 2 * pairs; ++i)
        lost += items[i].times_taken.load(std::memory_order_relaxed) == 0;
    EXPECT_EQ(lost, 0u);
}

// take() claims the last item with the CAS on top alone: no bottom store, no fence. The
// owner pushes one item and takes it back while two thieves steal in a tight loop, so
// nearly every take races steals for the same index; a short random pause between push and
// take varies who arrives first (a thief between its loads and its CAS, a thief whose CAS
// lands first, the owner first). Every item is counted: none lost, none taken twice.
TEST(DequeConcurrent, take_of_the_last_item_racing_steals_claims_it_exactly_once)
{
    struct Item {
        std::atomic<uint32_t> times_taken { 0 };
    };
    constexpr unsigned kThieves = 2;
    const uint64_t total = core_stress::scaled(4'000'000, 20'000);
    auto items = std::make_unique<Item[]>(total);
    core::EpochDomain domain(kThieves + 1);
    core::WorkStealingDeque<Item> deque(domain, 2);
    core::DequeOwner<Item> owner = deque.owner();
    std::atomic<bool> done { false };
    std::atomic<unsigned> running { 0 };
    std::atomic<uint64_t> duplicates { 0 }, counted { 0 }, stolen { 0 };
    auto count = [&](Item* item) {
        // relaxed: exactly-once is checked by the returned value.
        if (item->times_taken.fetch_add(1, std::memory_order_relaxed) != 0)
            duplicates.fetch_add(1, std::memory_order_relaxed);
        counted.fetch_add(1, std::memory_order_relaxed);
    };
    std::vector<std::thread> thieves;
    for (unsigned i = 0; i < kThieves; ++i) {
        thieves.emplace_back([&, i, view = deque.stealer()] {
            core::EpochParticipant me(domain, i + 1);
            running.fetch_add(1, std::memory_order_relaxed); // relaxed: only a start signal
            while (!done.load(std::memory_order_relaxed)) {
                core::EpochGuard guard(me);
                for (int k = 0; k < 64; ++k) {
                    auto r = view.steal();
                    if (r.status == core::StealStatus::success) {
                        count(r.item);
                        stolen.fetch_add(1, std::memory_order_relaxed);
                    }
                }
            }
        });
    }
    while (running.load(std::memory_order_relaxed) < kThieves)
        std::this_thread::yield();
    uint64_t owner_got = 0, owner_lost = 0;
    uint32_t random = 12345;
    for (uint64_t i = 0; i < total; ++i) {
        if (owner.push(&items[i]) != core::PushResult::ok) {
            ADD_FAILURE() << "push failed";
            break;
        }
        random = random * 1664525u + 1013904223u; // LCG: 0..31 pauses
        for (uint32_t pause = random >> 27; pause > 0; --pause)
            core::platform::cpu_relax();
        if (Item* item = owner.take()) {
            count(item);
            ++owner_got;
        } else {
            ++owner_lost;
        }
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (counted.load(std::memory_order_relaxed) < total && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    done.store(true, std::memory_order_relaxed);
    for (auto& t : thieves)
        t.join();
    EXPECT_EQ(duplicates.load(), 0u) << "the last item was taken by the owner and stolen as well";
    uint64_t lost = 0;
    for (uint64_t i = 0; i < total; ++i)
        lost += items[i].times_taken.load(std::memory_order_relaxed) == 0;
    EXPECT_EQ(lost, 0u) << "an item was neither taken nor stolen";
    EXPECT_EQ(owner_got + stolen.load(), total);
    // Both sides won some: the race really ran.
    EXPECT_GT(owner_got, 0u);
    EXPECT_GT(stolen.load(), 0u);
    std::printf("  %llu items: owner took %llu, thieves stole %llu (owner's take came back empty %llu times)\n",
        (unsigned long long)total, (unsigned long long)owner_got, (unsigned long long)stolen.load(),
        (unsigned long long)owner_lost);
}

// steal_batch must claim one index at a time. The owner pushes 16 and takes 12 back
// without touching top (no CAS while more than one item is left), so a thief that sized
// a range [t, t+8) and then claimed it with one CAS on top would succeed even though the
// owner took t+4 .. t+7 meanwhile. Thieves are oversubscribed so one is often preempted
// inside that window.
TEST(DequeConcurrent, steal_batch_racing_owner_takes_never_duplicates)
{
    struct Item {
        std::atomic<uint32_t> times_taken { 0 };
    };
    using Deque = core::WorkStealingDeque<Item>;
    const uint64_t iterations = core_stress::scaled(300'000, 5'000);
    const uint64_t total = 16 * iterations;
    auto items = std::make_unique<Item[]>(total);
    core::EpochDomain domain(8);
    Deque victim(domain, 2);
    core::DequeOwner<Item> victim_owner = victim.owner();
    std::atomic<bool> done { false };
    std::atomic<uint64_t> duplicates { 0 }, counted { 0 };
    auto count = [&](Item* item) {
        // relaxed: exactly-once is checked by the returned value.
        if (item->times_taken.fetch_add(1, std::memory_order_relaxed) != 0)
            duplicates.fetch_add(1, std::memory_order_relaxed);
        counted.fetch_add(1, std::memory_order_relaxed);
    };
    std::vector<std::thread> thieves;
    for (unsigned i = 0; i < 3; ++i) {
        thieves.emplace_back([&, i, view = victim.stealer()] {
            core::EpochParticipant me(domain, i + 1);
            Deque my_deque(domain, 2);
            core::DequeOwner<Item> mine = my_deque.owner();
            while (!done.load(std::memory_order_relaxed)) {
                {
                    core::EpochGuard guard(me);
                    view.steal_batch(mine, 16);
                }
                while (Item* item = mine.take())
                    count(item);
                me.try_reclaim();
            }
        });
    }
    {
        core::EpochParticipant owner(domain, 0);
        uint64_t next = 0;
        for (uint64_t i = 0; i < iterations; ++i) {
            for (int k = 0; k < 16; ++k)
                ASSERT_EQ(victim_owner.push(&items[next++]), core::PushResult::ok);
            for (int k = 0; k < 12; ++k)
                if (Item* item = victim_owner.take())
                    count(item);
            if ((i & 255) == 255) {
                while (Item* item = victim_owner.take())
                    count(item);
                owner.try_reclaim();
            }
        }
        while (Item* item = victim_owner.take())
            count(item);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (counted.load(std::memory_order_relaxed) < total && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    done.store(true, std::memory_order_relaxed);
    for (auto& t : thieves)
        t.join();
    EXPECT_EQ(duplicates.load(), 0u) << "an item was claimed by a batch and taken by the owner";
    uint64_t lost = 0;
    for (uint64_t i = 0; i < total; ++i)
        lost += items[i].times_taken.load(std::memory_order_relaxed) == 0;
    EXPECT_EQ(lost, 0u);
}

} // namespace
