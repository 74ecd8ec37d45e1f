// The deque's rights, stated as types (issue 12; crossbeam-deque's Worker/Stealer split):
// the storage hands out one owner handle, which can be moved to its thread but never
// copied to a second one; thief views copy freely and offer no owner operation. The rules
// are checked at compile time; the tests below only show the handles working together.
#include <gtest/gtest.h>

#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "core/deque.h"
#include "core/epoch.h"

namespace {

struct Task {
    int id = 0;
};

using Deque = core::WorkStealingDeque<Task>;
using Owner = core::DequeOwner<Task>;
using Stealer = core::DequeStealer<Task>;

// ---------------------------------------------------------------- what each type is

// The storage never moves: both handles point at it.
static_assert(!std::is_copy_constructible_v<Deque> && !std::is_copy_assignable_v<Deque>);
static_assert(!std::is_move_constructible_v<Deque> && !std::is_move_assignable_v<Deque>);

// One owner: the handle cannot be copied (to a second CPU), only moved (to its own).
static_assert(!std::is_copy_constructible_v<Owner> && !std::is_copy_assignable_v<Owner>);
static_assert(std::is_nothrow_move_constructible_v<Owner> && std::is_nothrow_move_assignable_v<Owner>);
// Only the storage's owner() makes one: not from nothing, not from the storage directly,
// not from a thief's view.
static_assert(!std::is_default_constructible_v<Owner>);
static_assert(!std::is_constructible_v<Owner, Deque&>);
static_assert(!std::is_constructible_v<Owner, const Stealer&>);
static_assert(std::same_as<decltype(std::declval<Deque&>().owner()), Owner>);

// Thieves: as many views as wanted, each a pointer-sized trivial copy, made by stealer().
static_assert(std::is_copy_constructible_v<Stealer> && std::is_copy_assignable_v<Stealer>);
static_assert(std::is_trivially_copyable_v<Stealer> && sizeof(Stealer) == sizeof(void*));
static_assert(!std::is_default_constructible_v<Stealer>);
static_assert(!std::is_constructible_v<Stealer, Deque&>);
static_assert(std::same_as<decltype(std::declval<Deque&>().stealer()), Stealer>);
static_assert(std::same_as<decltype(std::declval<const Owner&>().stealer()), Stealer>);

// ---------------------------------------------------------------- who may call what

template <typename H>
concept CanPush = requires(H& h, Task* item) { h.push(item); };
template <typename H>
concept CanTake = requires(H& h) { h.take(); };
template <typename H>
concept CanTakeFifo = requires(H& h) { h.take_fifo(); };
template <typename H>
concept CanReserve = requires(H& h) { h.reserve(std::size_t(1)); };
template <typename H>
concept CanCapacity = requires(H& h) { h.capacity(); };
template <typename H>
concept CanSteal = requires(H& h) { h.steal(); };
template <typename H, typename Into>
concept CanStealBatchInto = requires(H& h, Into& into) { h.steal_batch(into, std::size_t(1)); };
template <typename H>
concept CanSizeApprox = requires(H& h) { h.size_approx(); };

// The owner pushes and takes (both ends); it needs no steal.
static_assert(CanPush<Owner> && CanTake<Owner> && CanTakeFifo<Owner> && CanReserve<Owner> && CanCapacity<Owner>);
static_assert(CanSizeApprox<const Owner>);
// A thief can neither push nor take, whatever its constness.
static_assert(!CanPush<Stealer> && !CanTake<Stealer> && !CanTakeFifo<Stealer> && !CanReserve<Stealer>);
static_assert(!CanCapacity<Stealer>);
// A thief steals through a const view: stealing does not change the view.
static_assert(CanSteal<const Stealer> && CanSizeApprox<const Stealer>);
// A batch lands in a deque the caller owns: the destination must be an owner handle.
static_assert(CanStealBatchInto<const Stealer, Owner>);
static_assert(!CanStealBatchInto<const Stealer, Stealer> && !CanStealBatchInto<const Stealer, Deque>);
static_assert(!CanStealBatchInto<const Stealer, const Owner>);
// The storage offers neither side's operations: each needs its handle.
static_assert(!CanPush<Deque> && !CanTake<Deque> && !CanTakeFifo<Deque> && !CanSteal<Deque>);
static_assert(!CanStealBatchInto<Deque, Deque>);
// Read-only access to the owner handle (const Owner&) does not grant owner operations.
static_assert(!CanPush<const Owner> && !CanTake<const Owner> && !CanTakeFifo<const Owner>);

// ---------------------------------------------------------------- the handles at work

TEST(DequeTypes, the_owner_handle_and_every_thief_view_reach_the_same_deque)
{
    core::EpochDomain domain;
    Deque deque(domain, 4);
    Owner owner = deque.owner();
    Stealer thief = deque.stealer();
    Stealer copy = thief;
    Stealer from_owner = owner.stealer();
    Task tasks[4];
    for (Task& t : tasks)
        ASSERT_EQ(owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(thief.steal().item, &tasks[0]);
    EXPECT_EQ(copy.steal().item, &tasks[1]);
    EXPECT_EQ(from_owner.size_approx(), 2);
    EXPECT_EQ(owner.take(), &tasks[3]);
    EXPECT_EQ(from_owner.steal().item, &tasks[2]);
    EXPECT_EQ(owner.take(), nullptr);
}

TEST(DequeTypes, moving_the_owner_handle_hands_over_the_deque_and_its_items)
{
    core::EpochDomain domain;
    Deque deque(domain, 4);
    Owner first = deque.owner();
    Task a, b;
    ASSERT_EQ(first.push(&a), core::PushResult::ok);
    Owner second = std::move(first); // move construction
    ASSERT_EQ(second.push(&b), core::PushResult::ok);
    Deque other(domain, 4);
    Owner third = other.owner();
    third = std::move(second); // move assignment: `third` now owns the first deque
    EXPECT_EQ(third.take(), &b);
    EXPECT_EQ(third.take(), &a);
    EXPECT_EQ(third.take(), nullptr);
}

TEST(DequeTypes, steal_batch_into_its_own_deque_moves_nothing)
{
    core::EpochDomain domain;
    Deque deque(domain, 4);
    Owner owner = deque.owner();
    Task tasks[3];
    for (Task& t : tasks)
        ASSERT_EQ(owner.push(&t), core::PushResult::ok);
    EXPECT_EQ(owner.stealer().steal_batch(owner, 8), 0u);
    EXPECT_EQ(owner.size_approx(), 3);
}

TEST(DequeTypesDeathTest, a_second_owner_handle_is_a_contract_violation)
{
    core::EpochDomain domain;
    EXPECT_DEATH(
        {
            Deque deque(domain, 2);
            [[maybe_unused]] Owner first = deque.owner();
            [[maybe_unused]] Owner second = deque.owner();
        },
        "contract violated: WorkStealingDeque::owner: the owner handle was already handed out");
}

} // namespace
