// Direct properties of EpochDomain / EpochParticipant: the two-epoch grace rule, stalled and
// offline participants, barrier and its bound, registration and its contract, hand-over of
// garbage on leave.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "core/epoch.h"

namespace {

struct Garbage {
    core::RetireNode node; // first member
    bool freed = false;
    static void free_fn(core::RetireNode* n) { reinterpret_cast<Garbage*>(n)->freed = true; }
};

size_t count_freed(const std::vector<Garbage>& garbage)
{
    size_t n = 0;
    for (auto& g : garbage)
        n += g.freed;
    return n;
}

TEST(Epoch, garbage_is_freed_only_after_the_global_epoch_moved_two_past_its_stamp)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    Garbage g;
    uint64_t e = domain.epoch();
    writer.retire(&g.node, &Garbage::free_fn);
    // try_reclaim stamps first (not pinned: G after a fence), then advances at most once.
    writer.try_reclaim();
    EXPECT_EQ(g.node.epoch, e);
    EXPECT_EQ(domain.epoch(), e + 1);
    EXPECT_FALSE(g.freed);
    writer.try_reclaim();
    EXPECT_EQ(domain.epoch(), e + 2);
    EXPECT_TRUE(g.freed);
    core::EpochStats st = writer.stats();
    EXPECT_EQ(st.retired, 1u);
    EXPECT_EQ(st.freed, 1u);
    EXPECT_EQ(st.pending, 0u);
    EXPECT_EQ(st.epoch_advances, 2u);
}

// Garbage retired while pinned at e is stamped e + 1 without a fence (G cannot pass
// e + 1 while we stay pinned at e), so it waits one advance longer: freed at e + 3.
TEST(Epoch, garbage_retired_while_pinned_is_stamped_one_past_the_pinned_epoch)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    writer.go_online();
    uint64_t e = domain.epoch();
    Garbage g;
    writer.retire(&g.node, &Garbage::free_fn);
    writer.try_reclaim(); // stamps e + 1, advances to e + 1 (we announce e)
    EXPECT_EQ(g.node.epoch, e + 1);
    EXPECT_EQ(domain.epoch(), e + 1);
    writer.try_reclaim(); // we still announce e: no advance
    EXPECT_EQ(domain.epoch(), e + 1) << "the epoch ran two past a pinned participant";
    for (uint64_t target = e + 2; target <= e + 3; ++target) {
        EXPECT_FALSE(g.freed) << "freed before G reached stamp + 2 = " << e + 3;
        writer.quiescent();
        writer.try_reclaim();
        EXPECT_EQ(domain.epoch(), target);
    }
    EXPECT_TRUE(g.freed);
    writer.go_offline();
}

// Stamps stay non-decreasing along a participant's list however pinned and unpinned
// retires mix, so the reclaimable nodes are a prefix and each is freed in turn.
TEST(Epoch, stamps_never_decrease_when_pinned_and_unpinned_retires_mix)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant other(domain, 1);
    Garbage pinned, unpinned;
    other.enter();        // pinned at e
    writer.try_reclaim(); // G: e -> e + 1; `other` now holds it there
    uint64_t g = domain.epoch();
    writer.go_online();   // pinned at g
    writer.retire(&pinned.node, &Garbage::free_fn);
    writer.try_reclaim(); // pinned stamp g + 1; no advance past `other`
    EXPECT_EQ(domain.epoch(), g);
    EXPECT_EQ(pinned.node.epoch, g + 1);
    writer.go_offline();
    writer.retire(&unpinned.node, &Garbage::free_fn);
    writer.try_reclaim(); // unpinned: reads G = g, below the last stamp
    EXPECT_EQ(unpinned.node.epoch, g + 1) << "an unpinned stamp of G = " << g << " after a pinned " << g + 1
                                          << " must be raised to it";
    other.exit();
    EXPECT_EQ(writer.barrier(), core::BarrierStatus::completed);
    EXPECT_TRUE(pinned.freed && unpinned.freed);
}

// A free callback that retires again (a torture re-queues its object this way) queues an
// unstamped node: the same try_reclaim() must not free it.
TEST(Epoch, a_node_retired_by_a_free_callback_waits_for_its_own_grace_period)
{
    static core::EpochParticipant* s_writer;
    static int s_frees;
    struct Requeue {
        core::RetireNode node;
        static void free_fn(core::RetireNode* n)
        {
            if (++s_frees == 1)
                s_writer->retire(n, &Requeue::free_fn);
        }
    };
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    s_writer = &writer;
    s_frees = 0;
    Requeue r;
    uint64_t e = domain.epoch();
    writer.retire(&r.node, &Requeue::free_fn);
    writer.try_reclaim();
    writer.try_reclaim(); // G = e + 2: the first free, which retires the node again
    EXPECT_EQ(domain.epoch(), e + 2);
    EXPECT_EQ(s_frees, 1) << "the re-retired node was freed in the same pass";
    EXPECT_EQ(writer.pending(), 1u);
    EXPECT_EQ(writer.barrier(), core::BarrierStatus::completed);
    EXPECT_EQ(s_frees, 2);
}

TEST(Epoch, a_stalled_section_lets_garbage_grow_frees_nothing_early_and_drains_after)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant stalled(domain, 1);
    stalled.enter();
    uint64_t pinned_at = domain.epoch();
    std::vector<Garbage> garbage(500);
    for (auto& g : garbage) {
        writer.retire(&g.node, &Garbage::free_fn);
        writer.try_reclaim();
    }
    EXPECT_EQ(count_freed(garbage), 0u) << "freed while a section that may hold it was open";
    EXPECT_LE(domain.epoch(), pinned_at + 1) << "epoch ran past a pinned participant";
    EXPECT_EQ(writer.stats().pending, 500u);
    EXPECT_EQ(writer.barrier(200), core::BarrierStatus::timed_out) << "must not complete while the section is open";
    stalled.exit();
    EXPECT_EQ(writer.barrier(), core::BarrierStatus::completed);
    EXPECT_EQ(count_freed(garbage), 500u);
    EXPECT_EQ(writer.stats().pending, 0u);
}

TEST(Epoch, an_online_participant_blocks_until_quiescent_and_an_offline_one_never_blocks)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant cpu(domain, 1);
    cpu.go_online();
    Garbage a;
    writer.retire(&a.node, &Garbage::free_fn);
    EXPECT_EQ(writer.barrier(100), core::BarrierStatus::timed_out) << "online and silent must hold the grace period";
    EXPECT_FALSE(a.freed);
    // Sections while online are free (no shared write) and still protect.
    cpu.enter();
    cpu.exit();
    EXPECT_FALSE(a.freed);
    // The epoch moved once (cpu had announced it); one quiescent state lets it move again.
    cpu.quiescent();
    writer.try_reclaim();
    EXPECT_TRUE(a.freed);

    Garbage b;
    writer.retire(&b.node, &Garbage::free_fn);
    cpu.go_offline(); // e.g. a CPU about to halt
    EXPECT_EQ(writer.barrier(100), core::BarrierStatus::completed) << "an offline participant must not block reclamation";
    EXPECT_TRUE(b.freed);
}

// The QSBR read side without a count (enter_online()/OnlineSection): an online reader's
// mark holds nothing by itself; the participant's online pin does, until its next
// quiescent(). What it read inside the mark survives any number of reclaim attempts until
// then, and is freed after it.
TEST(Epoch, an_online_read_is_protected_until_the_next_quiescent_state)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    reader.go_online();
    Garbage g;
    {
        core::OnlineSection read(reader);
        writer.retire(&g.node, &Garbage::free_fn); // unlinked while the reader may hold it
        for (int i = 0; i < 10; ++i)
            writer.try_reclaim();
        EXPECT_FALSE(g.freed);
    }
    for (int i = 0; i < 10; ++i)
        writer.try_reclaim();
    EXPECT_FALSE(g.freed); // the mark's end is not a quiescent state
    reader.quiescent();
    for (int i = 0; i < 10 && !g.freed; ++i) {
        writer.try_reclaim();
        reader.quiescent();
    }
    EXPECT_TRUE(g.freed);
    reader.go_offline();
}

#ifdef CORE_EPOCH_CHECKS
// In the test trees (CORE_EPOCH_CHECKS) the marks are checked: offline, unbalanced, and a quiescent state or
// go_offline() inside one are contract violations with a readable message.
TEST(EpochDeathTest, online_read_marks_are_checked_in_the_test_trees)
{
    core::EpochDomain domain(4);
    core::EpochParticipant p(domain, 0);
    EXPECT_DEATH(p.enter_online(), "enter_online: the participant is offline");
    EXPECT_DEATH(p.exit_online(), "exit_online: no enter_online");
    p.go_online();
    p.enter_online();
    EXPECT_DEATH(p.quiescent(), "quiescent: inside enter_online");
    EXPECT_DEATH(p.go_offline(), "go_offline: inside enter_online");
    EXPECT_DEATH((void)p.synchronize(1), "quiescent: inside enter_online");
    p.exit_online();
    p.go_offline();
}
#endif

TEST(Epoch, go_offline_inside_a_section_takes_effect_at_the_outermost_exit)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    reader.go_online();
    reader.enter();
    reader.enter();
    reader.go_offline();
    Garbage g;
    writer.retire(&g.node, &Garbage::free_fn);
    EXPECT_EQ(writer.barrier(100), core::BarrierStatus::timed_out);
    reader.exit();
    EXPECT_EQ(writer.barrier(100), core::BarrierStatus::timed_out) << "still inside the outer section";
    reader.exit();
    EXPECT_EQ(writer.barrier(100), core::BarrierStatus::completed);
    EXPECT_TRUE(g.freed);
}

TEST(Epoch, barrier_inside_own_section_refuses_instead_of_deadlocking)
{
    core::EpochDomain domain(2);
    core::EpochParticipant me(domain, 0);
    Garbage g;
    me.retire(&g.node, &Garbage::free_fn);
    me.enter();
    EXPECT_EQ(me.barrier(), core::BarrierStatus::in_section);
    me.exit();
    EXPECT_EQ(me.barrier(), core::BarrierStatus::completed);
    EXPECT_TRUE(g.freed);
}

TEST(Epoch, unbalanced_exit_is_ignored)
{
    core::EpochDomain domain(2);
    core::EpochParticipant me(domain, 0);
    me.exit();
    EXPECT_FALSE(me.in_section());
    me.enter();
    EXPECT_TRUE(me.in_section());
    me.exit();
    me.exit();
    EXPECT_FALSE(me.in_section());
}

// Both fence modes through every path of enter()/exit(): the light mode's fast path and
// the full-fence participant's own (the mode is the domain pointer's low bit), nested and online sections,
// and unbalanced exits, which must leave the mode alone. Pinned-ness is read from the
// domain: a participant pinned at e lets G reach e + 1 and no further.
TEST(Epoch, sections_pin_and_unpin_in_both_fence_modes_and_keep_the_mode)
{
    core::EpochDomain domain(4);
    for (bool full : {false, true}) {
        core::EpochParticipant me(domain, 0);
        me.set_full_fence_pins(full);
        EXPECT_EQ(me.full_fence_pins(), full || !core::platform::asymmetric_fences());
        auto blocks_the_second_advance = [&] {
            uint64_t e = domain.epoch();
            domain.try_advance();
            domain.try_advance();
            return domain.epoch() <= e + 1;
        };
        me.exit();  // unbalanced, offline
        EXPECT_FALSE(me.in_section());
        EXPECT_FALSE(blocks_the_second_advance());
        me.enter();
        me.enter();
        EXPECT_TRUE(blocks_the_second_advance());
        me.exit();
        EXPECT_TRUE(me.in_section());
        EXPECT_TRUE(blocks_the_second_advance());  // still pinned at the outer section's epoch
        me.exit();
        EXPECT_FALSE(me.in_section());
        EXPECT_FALSE(blocks_the_second_advance());
        me.exit();  // unbalanced again
        EXPECT_EQ(me.full_fence_pins(), full || !core::platform::asymmetric_fences());
        me.go_online();
        me.enter();
        me.exit();
        EXPECT_TRUE(me.online());
        EXPECT_TRUE(blocks_the_second_advance());  // online: pinned until quiescent()
        me.quiescent();
        me.go_offline();
        EXPECT_FALSE(blocks_the_second_advance());
        EXPECT_EQ(me.full_fence_pins(), full || !core::platform::asymmetric_fences());
    }
}

// An offline participant's outermost section is its slot's state, not a count; online,
// every section is counted. So going online inside a section counts the outermost one,
// and going offline inside sections makes it the state again: either way the participant
// stays pinned until its last section ends, and quiescent() inside a section re-announces
// nothing. Both fence modes.
TEST(Epoch, going_online_and_offline_inside_sections_keeps_the_outermost_pin)
{
    core::EpochDomain domain(4);
    for (bool full : {false, true}) {
        core::EpochParticipant me(domain, 0);
        me.set_full_fence_pins(full);
        auto blocks_the_second_advance = [&] {
            uint64_t e = domain.epoch();
            domain.try_advance();
            domain.try_advance();
            return domain.epoch() <= e + 1;
        };
        me.enter();
        me.enter();
        me.go_online();
        me.quiescent();  // inside a section: no re-announce
        me.exit();
        EXPECT_TRUE(me.in_section());
        EXPECT_TRUE(blocks_the_second_advance());
        me.go_offline();
        EXPECT_TRUE(me.in_section());
        EXPECT_TRUE(blocks_the_second_advance());
        me.exit();
        EXPECT_FALSE(me.in_section());
        EXPECT_FALSE(blocks_the_second_advance());
        me.exit();  // unbalanced: nothing to unpin, nothing counted below zero
        EXPECT_FALSE(me.in_section());

        me.go_online();
        me.enter();
        me.go_offline();  // the online section is now the offline outermost one
        EXPECT_FALSE(me.online());
        EXPECT_TRUE(me.in_section());
        EXPECT_TRUE(blocks_the_second_advance());
        me.enter();
        me.exit();
        EXPECT_TRUE(me.in_section());
        me.exit();
        EXPECT_FALSE(me.in_section());
        EXPECT_FALSE(blocks_the_second_advance());
        EXPECT_EQ(me.full_fence_pins(), full || !core::platform::asymmetric_fences());
    }
}

// synchronize(): a grace period with nothing retired. A section open at the call holds it
// (bounded: timed_out), after moving G one past the stamp so that a re-entering reader
// pins past it; once that section has ended (a later one has come and gone too) it
// completes, and with nobody pinned it needs no advance at all (ck's "no record active").
TEST(Epoch, synchronize_waits_for_a_section_open_at_the_call_and_completes_once_it_ended)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    uint64_t e = domain.epoch();
    reader.enter();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::timed_out);
    EXPECT_EQ(domain.epoch(), e + 1); // advanced once off the stamp; the reader pinned at e holds it there
    reader.exit();
    reader.enter(); // a new section, pinned at the current epoch
    uint64_t now = domain.epoch();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::timed_out); // the new section, open at this call
    reader.exit();
    uint64_t advances = domain.stats().epoch_advances;
    now = domain.epoch();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::completed);
    EXPECT_EQ(domain.epoch(), now); // nobody pinned: over after one fenced scan
    EXPECT_EQ(domain.stats().epoch_advances, advances);
    EXPECT_EQ(writer.stats().retired, 0u); // nothing went through the lists
    EXPECT_EQ(writer.pending(), 0u);
}

TEST(Epoch, synchronize_waits_for_an_online_participant_until_it_is_quiescent)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    reader.go_online();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::timed_out);
    reader.quiescent(); // re-announces the epoch G reached meanwhile
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::timed_out); // still online: one more advance needed
    uint64_t g = domain.epoch();
    reader.go_offline();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::completed);
    EXPECT_EQ(domain.epoch(), g); // nobody pinned any more
}

// An online writer's own announcement must not hold its grace period (it re-announces
// itself), and inside a section it refuses instead of waiting for itself.
TEST(Epoch, synchronize_from_an_online_participant_completes_and_refuses_inside_a_section)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    writer.go_online();
    uint64_t e = domain.epoch();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::completed);
    EXPECT_EQ(domain.epoch(), e + 1); // one advance moves its own announcement off the stamp
    writer.enter();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::in_section);
    writer.exit();
    writer.go_offline();
}

// set_advance_interval(n): try_reclaim() attempts an advance once n retires have gathered
// since its last attempt, or when a call finds no retire since the previous one (so a
// writer that stops retiring still drains by polling); barrier() always advances.
TEST(Epoch, an_advance_interval_skips_advances_during_a_burst_and_still_drains)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    writer.set_advance_interval(4);
    std::vector<Garbage> garbage(8);
    uint64_t e = domain.epoch();
    writer.retire(&garbage[0].node, &Garbage::free_fn);
    writer.try_reclaim(); // 1 retire since the last attempt, and one since the last call
    EXPECT_EQ(domain.epoch(), e);
    for (int i = 1; i < 4; ++i)
        writer.retire(&garbage[i].node, &Garbage::free_fn);
    writer.try_reclaim(); // 4 since the last attempt: advances
    EXPECT_EQ(domain.epoch(), e + 1);
    writer.retire(&garbage[4].node, &Garbage::free_fn);
    writer.try_reclaim(); // 1 since the attempt: skipped
    EXPECT_EQ(domain.epoch(), e + 1);
    writer.try_reclaim(); // nothing retired since the previous call: the burst is over
    EXPECT_EQ(domain.epoch(), e + 2);
    writer.try_reclaim();
    writer.try_reclaim();
    EXPECT_EQ(count_freed(garbage), 5u); // everything retired so far, by polling alone
    for (int i = 5; i < 8; ++i)
        writer.retire(&garbage[i].node, &Garbage::free_fn);
    EXPECT_EQ(writer.barrier(), core::BarrierStatus::completed);
    EXPECT_EQ(count_freed(garbage), 8u);
    writer.set_advance_interval(0); // 0 means 1, the default: every call attempts
    uint64_t g = domain.epoch();
    writer.try_reclaim();
    EXPECT_EQ(domain.epoch(), g + 1);
}

TEST(Epoch, try_register_refuses_ids_out_of_range_or_taken_and_freed_ids_are_reusable)
{
    core::EpochDomain domain(2);
    core::EpochParticipant a(domain, 0);
    std::optional<core::EpochParticipant> b;
    EXPECT_EQ(core::EpochParticipant::try_register(b, domain, 2), core::RegisterStatus::id_out_of_range);
    EXPECT_FALSE(b.has_value()) << "a refused registration must leave no participant to use";
    {
        std::optional<core::EpochParticipant> c;
        ASSERT_EQ(core::EpochParticipant::try_register(c, domain, 1), core::RegisterStatus::ok);
        EXPECT_EQ(c->id(), 1u);
        std::optional<core::EpochParticipant> clash;
        EXPECT_EQ(core::EpochParticipant::try_register(clash, domain, 1), core::RegisterStatus::id_taken);
        EXPECT_FALSE(clash.has_value());
    }
    core::EpochParticipant d(domain, 1); // released by c's destructor
    EXPECT_EQ(d.id(), 1u);
}

// A participant whose registration failed used to exist, detached: its sections pinned
// nothing, its retires went to the shared list, and its barrier() reported success at once
// with that garbage still unfreed. Now such a participant cannot be made.
TEST(EpochDeathTest, constructing_a_participant_with_a_taken_id_is_a_contract_violation)
{
    core::EpochDomain domain(2);
    core::EpochParticipant first(domain, 1);
    EXPECT_DEATH({ core::EpochParticipant clash(domain, 1); }, "contract violated: EpochParticipant: id already taken");
}

TEST(EpochDeathTest, constructing_a_participant_with_an_id_out_of_range_is_a_contract_violation)
{
    core::EpochDomain domain(2);
    EXPECT_DEATH({ core::EpochParticipant outside(domain, 2); }, "contract violated: EpochParticipant: id out of");
}

TEST(EpochDeathTest, try_register_into_an_optional_that_holds_a_participant_is_a_contract_violation)
{
    core::EpochDomain domain(2);
    std::optional<core::EpochParticipant> me;
    ASSERT_EQ(core::EpochParticipant::try_register(me, domain, 0), core::RegisterStatus::ok);
    EXPECT_DEATH((void)core::EpochParticipant::try_register(me, domain, 1), "already holds a participant");
}

// The default bound is finite (a stalled participant cannot hang the caller); the test
// runs a small bound of the same mechanism, since 2^20 yielding rounds take minutes on a
// busy host (each sched_yield then gives the core away for a slice).
static_assert(core::EpochParticipant::kDefaultBarrierRounds < UINT64_MAX, "barrier() must be bounded by default");

TEST(Epoch, barrier_gives_up_when_an_online_participant_never_reaches_a_quiescent_point)
{
    core::EpochDomain domain(2);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant stalled(domain, 1);
    stalled.go_online();
    Garbage g;
    writer.retire(&g.node, &Garbage::free_fn);
    EXPECT_EQ(writer.barrier(300), core::BarrierStatus::timed_out);
    EXPECT_FALSE(g.freed);
    EXPECT_EQ(writer.pending(), 1u) << "a timed-out barrier keeps the garbage queued";
    stalled.quiescent();
    stalled.go_offline();
    EXPECT_EQ(writer.barrier(), core::BarrierStatus::completed);
    EXPECT_TRUE(g.freed);
}

TEST(Epoch, garbage_of_a_participant_that_leaves_is_freed_by_the_others)
{
    core::EpochDomain domain(4);
    core::EpochParticipant stays(domain, 0);
    Garbage g;
    {
        core::EpochParticipant leaves(domain, 1);
        leaves.retire(&g.node, &Garbage::free_fn);
    }
    EXPECT_FALSE(g.freed);
    for (int i = 0; i < 4; ++i)
        stays.try_reclaim();
    EXPECT_TRUE(g.freed);
    core::EpochStats st = domain.stats();
    EXPECT_EQ(st.retired, st.freed);
}

TEST(Epoch, garbage_left_in_the_domain_is_freed_by_its_destructor)
{
    Garbage g;
    {
        core::EpochDomain domain(2);
        domain.retire(&g.node, &Garbage::free_fn);
    }
    EXPECT_TRUE(g.freed);
}

TEST(Epoch, a_free_fn_may_retire_again_without_losing_the_list)
{
    static core::EpochParticipant* s_me = nullptr;
    static int s_calls = 0;
    struct Again {
        core::RetireNode node;
        int rounds = 0;
        static void fn(core::RetireNode* n)
        {
            auto* self = reinterpret_cast<Again*>(n);
            ++s_calls;
            if (++self->rounds < 3)
                s_me->retire(n, &Again::fn);
        }
    };
    core::EpochDomain domain(2);
    core::EpochParticipant me(domain, 0);
    s_me = &me;
    Again a;
    me.retire(&a.node, &Again::fn);
    EXPECT_EQ(me.barrier(), core::BarrierStatus::completed);
    EXPECT_EQ(a.rounds, 3);
    EXPECT_EQ(s_calls, 3);
    EXPECT_EQ(me.pending(), 0u);
}

// Many threads entering and leaving while one retires: the counters balance at the end
// and the epoch moved.
TEST(Epoch, concurrent_sections_and_retires_balance_retired_and_freed)
{
    core::EpochDomain domain(8);
    constexpr int kReaders = 4;
    std::atomic<bool> stop { false };
    std::vector<std::thread> readers;
    for (int i = 0; i < kReaders; ++i) {
        readers.emplace_back([&, i] {
            core::EpochParticipant me(domain, i + 1);
            if (i & 1)
                me.go_online();
            while (!stop.load(std::memory_order_relaxed)) {
                core::EpochGuard guard(me);
                std::this_thread::yield();
            }
            me.quiescent();
        });
    }
    std::vector<Garbage> garbage(20000);
    {
        core::EpochParticipant writer(domain, 0);
        for (auto& g : garbage) {
            writer.retire(&g.node, &Garbage::free_fn);
            writer.try_reclaim();
        }
        stop.store(true, std::memory_order_relaxed);
        for (auto& t : readers)
            t.join();
        EXPECT_EQ(writer.barrier(), core::BarrierStatus::completed);
    }
    EXPECT_EQ(count_freed(garbage), garbage.size());
    core::EpochStats st = domain.stats();
    EXPECT_EQ(st.retired, garbage.size());
    EXPECT_EQ(st.freed, garbage.size());
    EXPECT_GT(st.epoch_advances, 2u);
}

} // namespace

// The asymmetric pair (core_platform.h): readers pin with a compiler barrier only when the
// process registered membarrier, so every advance must be preceded by a heavy fence; and
// a scan that cannot succeed (a participant visibly behind) skips it. Not built under TSan:
// there the pair is seq_cst RMWs instead of the light/heavy fences (core/ordering.h), so no
// fence is counted; the plain, ASan and delay trees run it (a skipped test counts as a
// failure in make test, by design).
#if !defined(CORE_TSAN)
// set_full_fence_pins(): membarrier only while some registered participant pins with the
// compiler barrier alone. Where the process has no membarrier every participant pins with
// full fences already and no advance ever calls it.
TEST(EpochFences, advances_call_membarrier_only_while_a_participant_pins_with_the_light_fence)
{
    const bool membarrier = core::platform::asymmetric_fences();
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    EXPECT_EQ(writer.full_fence_pins(), !membarrier);
    uint64_t calls = core::platform::testing::g_membarriers;
    uint64_t fences = core::platform::testing::g_heavy_fences;
    EXPECT_TRUE(domain.try_advance());
    EXPECT_EQ(core::platform::testing::g_membarriers, calls + (membarrier ? 1 : 0));
    EXPECT_EQ(core::platform::testing::g_heavy_fences, fences + 1);

    writer.set_full_fence_pins(true);
    calls = core::platform::testing::g_membarriers;
    EXPECT_TRUE(domain.try_advance());  // the reader still pins lightly
    EXPECT_EQ(core::platform::testing::g_membarriers, calls + (membarrier ? 1 : 0));

    reader.set_full_fence_pins(true);
    EXPECT_TRUE(reader.full_fence_pins());
    calls = core::platform::testing::g_membarriers;
    fences = core::platform::testing::g_heavy_fences;
    reader.go_online();
    uint64_t e = domain.epoch();
    EXPECT_TRUE(domain.try_advance());
    reader.quiescent();
    EXPECT_TRUE(domain.try_advance());
    EXPECT_EQ(domain.epoch(), e + 2);
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::timed_out);  // the reader is online
    reader.go_offline();
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::completed);
    EXPECT_EQ(core::platform::testing::g_membarriers, calls);  // nobody pins lightly: none
    EXPECT_GT(core::platform::testing::g_heavy_fences, fences);  // but every advance fenced

    {
        core::EpochParticipant light(domain, 2);  // made with the default again
        calls = core::platform::testing::g_membarriers;
        EXPECT_TRUE(domain.try_advance());
        EXPECT_EQ(core::platform::testing::g_membarriers, calls + (membarrier ? 1 : 0));
    }
    calls = core::platform::testing::g_membarriers;
    EXPECT_TRUE(domain.try_advance());  // it left: none again
    EXPECT_EQ(core::platform::testing::g_membarriers, calls);
    reader.set_full_fence_pins(false);
    EXPECT_EQ(reader.full_fence_pins(), !membarrier);
}

// A participant's own light pins need no membarrier: they are in its program order, and
// the heavy fence is always a full fence on the caller. So what a participant starts
// (try_reclaim()'s advance, synchronize()) sends membarrier only while another
// participant pins with the light fence; the domain's own try_advance(), which has no
// caller participant, counts every light pinner. Every one of them still fences.
TEST(EpochFences, a_participant_sends_membarrier_only_for_the_other_light_pinners)
{
    const uint64_t membarrier = core::platform::asymmetric_fences() ? 1 : 0;
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    auto membarriers_of = [&](auto&& what) {
        uint64_t calls = core::platform::testing::g_membarriers;
        uint64_t fences = core::platform::testing::g_heavy_fences;
        what();
        EXPECT_GT(core::platform::testing::g_heavy_fences, fences);
        return core::platform::testing::g_membarriers - calls;
    };
    auto reclaim = [&] {
        uint64_t e = domain.epoch();
        writer.try_reclaim();
        EXPECT_EQ(domain.epoch(), e + 1);  // nobody pinned: the advance succeeds
    };
    auto synchronize = [&] { EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::completed); };
    auto advance = [&] { EXPECT_TRUE(domain.try_advance()); };

    // Both pin lightly: the reader needs the barrier.
    EXPECT_EQ(membarriers_of(reclaim), membarrier);
    EXPECT_EQ(membarriers_of(synchronize), membarrier);
    // Only the writer pins lightly: its own advances fence plainly.
    reader.set_full_fence_pins(true);
    EXPECT_EQ(membarriers_of(reclaim), 0u);
    EXPECT_EQ(membarriers_of(synchronize), 0u);
    EXPECT_EQ(membarriers_of(advance), membarrier);  // no caller participant: counts the writer
    // Only the reader pins lightly.
    writer.set_full_fence_pins(true);
    reader.set_full_fence_pins(false);
    EXPECT_EQ(membarriers_of(reclaim), membarrier);
    EXPECT_EQ(membarriers_of(synchronize), membarrier);
    // Nobody does.
    reader.set_full_fence_pins(true);
    EXPECT_EQ(membarriers_of(reclaim), 0u);
    EXPECT_EQ(membarriers_of(advance), 0u);
}

// Nesting is bounded so that a runaway recursion or a lost exit() is reported: 32,767
// counted sections, plus the outermost one, which the slot's state holds (32,768 in all);
// the next is a contract violation (CORE_EPOCH_CHECKS).
#ifdef CORE_EPOCH_CHECKS
TEST(EpochDeathTest, nesting_deeper_than_the_count_holds_is_a_contract_violation)
{
    core::EpochDomain domain(2);
    core::EpochParticipant me(domain, 0);
    for (int i = 0; i < 32768; ++i) me.enter();
    EXPECT_TRUE(me.in_section());
    EXPECT_DEATH(me.enter(), "sections nested deeper than 32,768");
    for (int i = 0; i < 32768; ++i) me.exit();
    EXPECT_FALSE(me.in_section());
}
#endif

TEST(EpochFencesDeathTest, changing_the_pin_fence_while_pinned_is_a_contract_violation)
{
    core::EpochDomain domain(4);
    core::EpochParticipant p(domain, 0);
    p.enter();
    EXPECT_DEATH(p.set_full_fence_pins(true), "set_full_fence_pins: the participant is pinned");
    p.exit();
    p.go_online();
    EXPECT_DEATH(p.set_full_fence_pins(true), "set_full_fence_pins: the participant is pinned");
    p.go_offline();
}

TEST(EpochFences, every_advance_is_preceded_by_a_heavy_fence_and_a_blocked_scan_pays_none)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    reader.enter();  // pinned at the current epoch
    uint64_t e = domain.epoch();
    uint64_t before = core::platform::testing::g_heavy_fences;
    EXPECT_TRUE(domain.try_advance());  // the reader announces e: may advance
    EXPECT_EQ(domain.epoch(), e + 1);
    uint64_t after_advance = core::platform::testing::g_heavy_fences;
    EXPECT_GE(after_advance, before + 1);
    EXPECT_FALSE(domain.try_advance());  // the reader is now one behind: blocked
    EXPECT_EQ(core::platform::testing::g_heavy_fences, after_advance);
    reader.exit();
    EXPECT_TRUE(domain.try_advance());
    EXPECT_GE(core::platform::testing::g_heavy_fences, after_advance + 1);
}

// synchronize() waiting for a reader that lags one epoch behind G: begin_grace()'s heavy
// fence is the only one. No round can advance (the reader announces G - 1), so no round
// fences (with membarrier, no system call per polling round); once the reader leaves,
// the next round's scan ends the wait, still without a fence.
TEST(EpochFences, a_grace_period_waiting_for_a_lagging_reader_fences_once)
{
    core::EpochDomain domain(4);
    core::EpochParticipant writer(domain, 0);
    core::EpochParticipant reader(domain, 1);
    reader.enter();  // pinned at e
    uint64_t e = domain.epoch();
    EXPECT_TRUE(domain.try_advance());  // G = e + 1: the reader now lags
    uint64_t fences = core::platform::testing::g_heavy_fences;
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::timed_out);
    EXPECT_EQ(core::platform::testing::g_heavy_fences, fences + 1);
    EXPECT_EQ(domain.epoch(), e + 1);
    reader.exit();
    fences = core::platform::testing::g_heavy_fences;
    EXPECT_EQ(writer.synchronize(100), core::BarrierStatus::completed);
    EXPECT_EQ(core::platform::testing::g_heavy_fences, fences + 1);
    EXPECT_EQ(domain.epoch(), e + 1);
}
#endif

TEST(EpochFences, the_scheme_can_be_switched_while_nobody_is_pinned_and_reports_membarrier)
{
    bool registered = core::platform::detail::g_membarrier_registered;
    EXPECT_EQ(core::platform::set_asymmetric_fences(true), registered);
    EXPECT_EQ(core::platform::asymmetric_fences(), registered);
    EXPECT_TRUE(core::platform::set_asymmetric_fences(false));
    EXPECT_FALSE(core::platform::asymmetric_fences());
    core::platform::set_asymmetric_fences(registered);
    std::printf("[ membarrier ] PRIVATE_EXPEDITED %s\n", registered ? "registered: readers pin with a compiler barrier"
                                                               : "unavailable: readers pin with a full fence");
}
