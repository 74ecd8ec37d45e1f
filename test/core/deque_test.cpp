// Single-threaded properties of WorkStealingDeque: order, empty edges, growth, allocation
// failure, reserve's promise, the first_index range, indices past 2^32, steal_batch sizing.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "core/deque.h"
#include "core/epoch.h"

namespace {

struct Task {
    int id = 0;
};

using Deque = core::WorkStealingDeque<Task>;

// A deque as its users see it: the storage, the owner's handle and one thief's view.
struct TestDeque {
    explicit TestDeque(core::EpochDomain& domain, size_t initial_capacity = 64, int64_t first_index = 0)
        : storage(domain, initial_capacity, first_index)
        , owner(storage.owner())
        , thief(storage.stealer())
    {
    }
    Deque storage;
    core::DequeOwner<Task> owner;
    core::DequeStealer<Task> thief;
};

std::vector<Task> make_tasks(int n)
{
    std::vector<Task> tasks(n);
    for (int i = 0; i < n; ++i)
        tasks[i].id = i;
    return tasks;
}

TEST(Deque, take_on_a_fresh_deque_returns_null_and_leaves_it_usable)
{
    core::EpochDomain domain;
    TestDeque deque(domain, 4);
    EXPECT_EQ(deque.owner.take(), nullptr);
    EXPECT_EQ(deque.owner.take(), nullptr); // bottom restored: a second take is still "empty"
    EXPECT_EQ(deque.owner.take_fifo(), nullptr);
    EXPECT_EQ(deque.thief.steal().status, core::StealStatus::empty);
    EXPECT_EQ(deque.owner.size_approx(), 0);
    Task t;
    ASSERT_EQ(deque.owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(deque.owner.size_approx(), 1);
    EXPECT_EQ(deque.owner.take(), &t);
    EXPECT_EQ(deque.owner.take(), nullptr);
    EXPECT_EQ(deque.owner.size_approx(), 0);
}

TEST(Deque, every_operation_on_an_emptied_deque_reports_empty)
{
    core::EpochDomain domain;
    TestDeque deque(domain, 2);
    auto tasks = make_tasks(3);
    for (auto& t : tasks)
        ASSERT_EQ(deque.owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(deque.thief.steal().item, &tasks[0]);
    EXPECT_EQ(deque.owner.take_fifo(), &tasks[1]);
    EXPECT_EQ(deque.owner.take(), &tasks[2]);
    EXPECT_EQ(deque.owner.take(), nullptr);
    EXPECT_EQ(deque.owner.take_fifo(), nullptr);
    EXPECT_EQ(deque.thief.steal().status, core::StealStatus::empty);
    TestDeque other(domain, 2);
    EXPECT_EQ(deque.thief.steal_batch(other.owner, 8), 0u);
}

TEST(Deque, take_is_lifo_and_take_fifo_and_steal_are_fifo)
{
    core::EpochDomain domain;
    TestDeque deque(domain, 8);
    auto tasks = make_tasks(6);
    for (auto& t : tasks)
        ASSERT_EQ(deque.owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(deque.owner.take(), &tasks[5]);
    EXPECT_EQ(deque.owner.take_fifo(), &tasks[0]);
    EXPECT_EQ(deque.thief.steal().item, &tasks[1]);
    EXPECT_EQ(deque.owner.take(), &tasks[4]);
    EXPECT_EQ(deque.owner.take_fifo(), &tasks[2]);
    EXPECT_EQ(deque.owner.take(), &tasks[3]);
    EXPECT_EQ(deque.owner.take(), nullptr);
}

TEST(Deque, growth_from_capacity_two_keeps_every_item_in_order)
{
    core::EpochDomain domain;
    core::EpochParticipant me(domain, 0);
    TestDeque deque(domain, 2);
    EXPECT_EQ(deque.owner.capacity(), 2);
    auto tasks = make_tasks(1000);
    for (int round = 0; round < 2; ++round) {
        for (auto& t : tasks)
            ASSERT_EQ(deque.owner.push(&t), core::PushResult::ok);
        EXPECT_GE(deque.owner.capacity(), 1000);
        // Half from the top, half from the bottom.
        for (int i = 0; i < 500; ++i)
            ASSERT_EQ(deque.thief.steal().item, &tasks[i]);
        for (int i = 999; i >= 500; --i)
            ASSERT_EQ(deque.owner.take(), &tasks[i]);
        EXPECT_EQ(deque.owner.take(), nullptr);
    }
    // Nine buffers were replaced (2 -> 1024); all went through the epoch domain.
    EXPECT_EQ(me.barrier(100), core::BarrierStatus::completed);
    for (int i = 0; i < 4; ++i)
        me.try_reclaim();
    core::EpochStats st = domain.stats();
    EXPECT_EQ(st.retired, 9u);
    EXPECT_EQ(st.freed, 9u);
}

TEST(Deque, capacity_is_rounded_up_to_a_power_of_two)
{
    core::EpochDomain domain;
    EXPECT_EQ(TestDeque(domain, 0).owner.capacity(), 2);
    EXPECT_EQ(TestDeque(domain, 3).owner.capacity(), 4);
    EXPECT_EQ(TestDeque(domain, 1000).owner.capacity(), 1024);
}

TEST(Deque, push_reports_out_of_memory_and_loses_nothing)
{
    core::EpochDomain domain;
    TestDeque deque(domain, 2);
    auto tasks = make_tasks(5);
    ASSERT_EQ(deque.owner.push(&tasks[0]), core::PushResult::ok);
    ASSERT_EQ(deque.owner.push(&tasks[1]), core::PushResult::ok);
    core::platform::testing::fail_next_allocations(1);
    EXPECT_EQ(deque.owner.push(&tasks[2]), core::PushResult::out_of_memory);
    EXPECT_EQ(deque.owner.size_approx(), 2);
    EXPECT_EQ(deque.owner.capacity(), 2);
    // The allocator recovers: the same push now succeeds, nothing was lost or reordered.
    ASSERT_EQ(deque.owner.push(&tasks[2]), core::PushResult::ok);
    ASSERT_EQ(deque.owner.push(&tasks[3]), core::PushResult::ok);
    EXPECT_EQ(deque.thief.steal().item, &tasks[0]);
    EXPECT_EQ(deque.owner.take(), &tasks[3]);
    EXPECT_EQ(deque.owner.take(), &tasks[2]);
    EXPECT_EQ(deque.owner.take(), &tasks[1]);
    EXPECT_EQ(deque.owner.take(), nullptr);
}

TEST(Deque, a_deque_whose_first_buffer_failed_allocates_on_first_push)
{
    core::EpochDomain domain;
    core::platform::testing::fail_next_allocations(1);
    TestDeque deque(domain, 4);
    EXPECT_EQ(deque.owner.capacity(), 0);
    EXPECT_EQ(deque.owner.take(), nullptr);
    EXPECT_EQ(deque.thief.steal().status, core::StealStatus::empty);
    Task t;
    core::platform::testing::fail_next_allocations(1);
    EXPECT_EQ(deque.owner.push(&t), core::PushResult::out_of_memory);
    EXPECT_EQ(deque.owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(deque.owner.capacity(), 4);
    EXPECT_EQ(deque.owner.take(), &t);
}

TEST(Deque, indices_carried_past_2_pow_32_keep_order_and_emptiness)
{
    core::EpochDomain domain;
    const int64_t start = (int64_t(1) << 32) - 5;
    TestDeque deque(domain, 2, start);
    auto tasks = make_tasks(64);
    EXPECT_EQ(deque.owner.take(), nullptr);
    for (int rep = 0; rep < 3; ++rep) {
        for (auto& t : tasks)
            ASSERT_EQ(deque.owner.push(&t), core::PushResult::ok);
        EXPECT_EQ(deque.owner.size_approx(), 64);
        for (int i = 0; i < 32; ++i)
            ASSERT_EQ(deque.thief.steal().item, &tasks[i]); // top crosses 2^32 here
        for (int i = 63; i >= 32; --i)
            ASSERT_EQ(deque.owner.take(), &tasks[i]);
        EXPECT_EQ(deque.owner.take(), nullptr);
        EXPECT_EQ(deque.owner.size_approx(), 0);
    }
}

// Pushes `n` items with every allocation failing: proves the room a reserve() promised is
// really there, without growing.
void expect_room_without_allocating(core::DequeOwner<Task>& deque, size_t n, std::vector<Task>& tasks)
{
    ASSERT_LE(n, tasks.size());
    core::platform::testing::fail_next_allocations(std::numeric_limits<int64_t>::max());
    for (size_t i = 0; i < n; ++i)
        EXPECT_EQ(deque.push(&tasks[i]), core::PushResult::ok) << "push " << i << " of " << n << " promised";
    core::platform::testing::fail_next_allocations(0);
}

TEST(Deque, reserve_of_2_pow_63_or_more_promises_only_the_room_there_is)
{
    core::EpochDomain domain;
    TestDeque deque(domain, 2);
    const size_t huge[] = { size_t(1) << 63, (size_t(1) << 63) + 1, SIZE_MAX };
    for (size_t count : huge)
        EXPECT_EQ(deque.owner.reserve(count), 2u) << "reserve(" << count << ") on an empty capacity-2 deque";
    Task first;
    ASSERT_EQ(deque.owner.push(&first), core::PushResult::ok);
    for (size_t count : huge)
        EXPECT_EQ(deque.owner.reserve(count), 1u) << "reserve(" << count << ") with one slot left";
    EXPECT_EQ(deque.owner.capacity(), 2) << "no growth can satisfy such a count, so none is attempted";
    auto tasks = make_tasks(1);
    expect_room_without_allocating(deque.owner, 1, tasks);
}

TEST(Deque, reserve_past_the_largest_capacity_promises_only_the_room_and_a_growable_count_all_of_it)
{
    core::EpochDomain domain;
    TestDeque deque(domain, 2);
    Task first;
    ASSERT_EQ(deque.owner.push(&first), core::PushResult::ok);
    // One item used: kMaxCapacity - 1 more would fit in the largest buffer, one more would not.
    EXPECT_EQ(deque.owner.reserve(size_t(Deque::kMaxCapacity)), 1u);
    EXPECT_EQ(deque.owner.capacity(), 2);
    EXPECT_EQ(deque.owner.reserve(0), 0u);
    EXPECT_EQ(deque.owner.reserve(1), 1u);
    EXPECT_EQ(deque.owner.reserve(5), 5u);
    EXPECT_EQ(deque.owner.capacity(), 8);
    auto tasks = make_tasks(5);
    expect_room_without_allocating(deque.owner, 5, tasks);
}

// INT64_MIN used to be accepted: the first take() computed INT64_MIN - 1 (signed overflow;
// in practice bottom wrapped to INT64_MAX, size_approx() said -1 and steal() "succeeded"
// with a null item).
TEST(DequeDeathTest, a_first_index_outside_the_documented_range_is_a_contract_violation)
{
    core::EpochDomain domain;
    const char* message = "contract violated: WorkStealingDeque: first_index outside";
    EXPECT_DEATH({ Deque deque(domain, 2, std::numeric_limits<int64_t>::min()); }, message);
    EXPECT_DEATH({ Deque deque(domain, 2, Deque::kMinFirstIndex - 1); }, message);
    EXPECT_DEATH({ Deque deque(domain, 2, Deque::kMaxFirstIndex + 1); }, message);
    EXPECT_DEATH({ Deque deque(domain, 2, std::numeric_limits<int64_t>::max()); }, message);
}

TEST(Deque, deques_starting_at_either_end_of_the_first_index_range_keep_order_and_emptiness)
{
    core::EpochDomain domain;
    for (int64_t start : { Deque::kMinFirstIndex, Deque::kMaxFirstIndex }) {
        TestDeque deque(domain, 2, start);
        EXPECT_EQ(deque.owner.take(), nullptr);
        EXPECT_EQ(deque.owner.size_approx(), 0);
        EXPECT_EQ(deque.thief.steal().status, core::StealStatus::empty);
        auto tasks = make_tasks(5);
        for (auto& t : tasks)
            ASSERT_EQ(deque.owner.push(&t), core::PushResult::ok);
        EXPECT_EQ(deque.owner.size_approx(), 5);
        EXPECT_EQ(deque.thief.steal().item, &tasks[0]);
        EXPECT_EQ(deque.owner.take_fifo(), &tasks[1]);
        for (int i = 4; i >= 2; --i)
            EXPECT_EQ(deque.owner.take(), &tasks[i]);
        EXPECT_EQ(deque.owner.take(), nullptr);
        EXPECT_EQ(deque.owner.size_approx(), 0);
    }
}

TEST(Deque, steal_batch_moves_half_rounded_up_at_most_max_in_order)
{
    core::EpochDomain domain;
    TestDeque victim(domain, 2);
    TestDeque mine(domain, 2);
    auto tasks = make_tasks(11);
    for (auto& t : tasks)
        ASSERT_EQ(victim.owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(victim.thief.steal_batch(mine.owner, 100), 6u);
    EXPECT_EQ(victim.owner.size_approx(), 5);
    EXPECT_EQ(mine.owner.size_approx(), 6);
    EXPECT_EQ(victim.thief.steal_batch(mine.owner, 2), 2u);
    // Oldest first: mine holds 0..7 in push order.
    for (int i = 0; i < 8; ++i)
        ASSERT_EQ(mine.owner.take_fifo(), &tasks[i]);
    EXPECT_EQ(mine.owner.take(), nullptr);
    EXPECT_EQ(victim.thief.steal_batch(victim.owner, 4), 0u); // from itself: refused
    EXPECT_EQ(victim.owner.size_approx(), 3);
}

TEST(Deque, steal_batch_takes_only_what_fits_when_the_thief_cannot_grow)
{
    core::EpochDomain domain;
    TestDeque victim(domain, 16);
    TestDeque mine(domain, 2);
    auto tasks = make_tasks(16);
    for (auto& t : tasks)
        ASSERT_EQ(victim.owner.push(&t), core::PushResult::ok);
    Task own;
    ASSERT_EQ(mine.owner.push(&own), core::PushResult::ok);
    core::platform::testing::fail_next_allocations(1);
    // Room for one more in `mine` (capacity 2, one used): exactly one is claimed.
    EXPECT_EQ(victim.thief.steal_batch(mine.owner, 8), 1u);
    EXPECT_EQ(victim.owner.size_approx(), 15);
    EXPECT_EQ(mine.owner.take(), &tasks[0]);
    EXPECT_EQ(mine.owner.take(), &own);
}

} // namespace
