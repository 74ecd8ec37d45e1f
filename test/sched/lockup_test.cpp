// The lockup detector's judgments (src/sched/policy/lockup.h) on timelines: what a watcher
// sees of its neighbour tick by tick, and what a CPU sees of its own task. Time is in ms.
#include <gtest/gtest.h>

#include <vector>

#include "sched/policy/lockup.h"

using sched::lockup::Action;
using sched::lockup::Bounds;
using sched::lockup::Look;
using sched::lockup::Observation;
using sched::lockup::OwnTask;

namespace {

// The kernel's shape at a 1 s bound: gap 500 ms, confirm a quarter bound.
constexpr Bounds kBounds{1000, 500, 250};
constexpr uint64_t kTick = 4;  // the watcher ticks every timeslice

// A watcher looking at neighbour 1 every kTick from `from` to `to`; `beat(now)` is the
// neighbour's heartbeat then, `halts(now)` its halt counter, `answers(now)` whether it
// would answer a probe (it runs). Returns the actions, with their times.
struct Event {
    uint64_t at;
    Action action;
};

struct Timeline {
    Observation o;
    uint64_t answered_beat = ~0ull;  // the heartbeat at which the neighbour answered a probe
    std::vector<Event> events;
    uint64_t late = 0;

    template <typename Beat, typename Halts, typename Runs>
    void run(uint64_t from, uint64_t to, Beat beat, Halts halts, Runs runs, uint64_t step = kTick) {
        for (uint64_t now = from; now <= to; now += step) {
            // A probe sent earlier is answered once the neighbour runs, at its heartbeat then.
            if (pending_probe && runs(now)) {
                answered_beat = beat(now);
                pending_probe = false;
            }
            Look look{1, now, beat(now), halts(now), answered_beat == beat(now)};  // halts: the quiet counter
            auto v = sched::lockup::watch(o, look, kBounds);
            if (v.late) ++late;
            if (v.action != Action::none) {
                events.push_back({now, v.action});
                sched::lockup::sent(o, v.action, now);
                if (v.action == Action::probe) pending_probe = true;
            }
        }
    }
    size_t count(Action a) const {
        size_t n = 0;
        for (const Event& e : events) n += e.action == a;
        return n;
    }

private:
    bool pending_probe = false;
};

auto never_halts = [](uint64_t) { return uint64_t(0); };
auto always_runs = [](uint64_t) { return true; };

}  // namespace

TEST(Lockup, a_cpu_with_interrupts_off_is_probed_at_the_bound_and_reported_a_confirmation_later)
{
    Timeline t;
    // Ticks every 4 ms until 2000, then none: interrupts off. It still runs (answers NMIs).
    auto beat = [](uint64_t now) { return now < 2000 ? now / 4 : 500; };
    t.run(0, 6000, beat, never_halts, always_runs);
    ASSERT_EQ(t.count(Action::report), 1u);  // one report per stall
    ASSERT_GE(t.events.size(), 2u);
    EXPECT_EQ(t.events[0].action, Action::probe);
    EXPECT_GE(t.events[0].at, 2000 + kBounds.threshold - kTick);
    EXPECT_LE(t.events[0].at, 2000 + kBounds.threshold + kTick);
    const Event& report = t.events.back();
    EXPECT_GE(report.at, t.events[0].at + kBounds.confirm);
    EXPECT_LE(report.at, t.events[0].at + kBounds.confirm + 2 * kTick);
}

TEST(Lockup, a_vcpu_the_host_stopped_alone_is_probed_but_never_reported)
{
    Timeline t;
    // The neighbour's thread is off the host from 1000 to 4000: no tick, no answer. When it
    // runs again it answers the pending probe and takes its overdue tick right after.
    auto stopped = [](uint64_t now) { return now >= 1000 && now < 4000; };
    auto beat = [&](uint64_t now) { return stopped(now) ? 250 : now / 4; };
    t.run(0, 8000, beat, never_halts, [&](uint64_t now) { return !stopped(now); });
    EXPECT_EQ(t.count(Action::report), 0u);
    EXPECT_EQ(t.count(Action::probe), 2u);  // at the bound, and again a bound later
}

TEST(Lockup, a_stop_of_the_whole_vm_counts_as_one_gap_instead_of_a_report)
{
    Timeline t;
    // Everyone stops from 1000 to 6000, the watcher too: its looks jump from 996 to 6000,
    // and the TSC with them. The neighbour's first tick after the stop comes at 6100.
    auto beat = [](uint64_t now) { return now < 1000 || now >= 6100 ? now / 4 : 249; };
    t.run(0, 996, beat, never_halts, always_runs);
    t.run(6000, 9000, beat, never_halts, always_runs);
    EXPECT_TRUE(t.events.empty());
    EXPECT_EQ(t.late, 1u);
}

TEST(Lockup, a_stop_of_the_whole_vm_does_not_hide_a_lockup_that_goes_on_after_it)
{
    Timeline t;
    // Interrupts off from 800; the VM stops from 1000 to 6000; the spin goes on after it.
    auto beat = [](uint64_t now) { return now < 800 ? now / 4 : 200; };
    t.run(0, 996, beat, never_halts, always_runs);
    t.run(6000, 9000, beat, never_halts, always_runs);
    ASSERT_EQ(t.count(Action::report), 1u);
    // 196 ms before the stop, one gap for it, the rest after: probed at 6000 + 304.
    EXPECT_GE(t.events[0].at, 6000 + kBounds.threshold - 196 - kBounds.gap - kTick);
    EXPECT_LE(t.events[0].at, 6000 + kBounds.threshold - 196 - kBounds.gap + kTick);
    EXPECT_EQ(t.late, 1u);
}

TEST(Lockup, a_host_too_slow_for_every_watcher_slows_detection_down_but_does_not_stop_it)
{
    Timeline t;
    // Every look of the watcher comes 1.5 gaps after the previous one (the host runs each
    // vCPU too seldom); the neighbour spins with interrupts off from 3000 and still runs.
    constexpr uint64_t kLate = kBounds.gap * 3 / 2;
    auto beat = [](uint64_t now) { return now < 3000 ? now / 4 : 750; };
    t.run(0, 30000, beat, never_halts, always_runs, kLate);
    ASSERT_EQ(t.count(Action::report), 1u);
    EXPECT_EQ(t.events[0].action, Action::probe);
    // Each late look counts as one gap: a bound is threshold / gap looks after the stall.
    uint64_t looks_to_bound = (kBounds.threshold + kBounds.gap - 1) / kBounds.gap;
    EXPECT_LE(t.events[0].at, 3000 + (looks_to_bound + 1) * kLate);
    EXPECT_GT(t.late, 0u);
}

TEST(Lockup, a_healthy_neighbour_seen_only_by_late_looks_is_never_probed)
{
    Timeline t;
    auto beat = [](uint64_t now) { return now / 4; };
    t.run(0, 60000, beat, never_halts, always_runs, kBounds.gap * 3);
    EXPECT_TRUE(t.events.empty());
}

TEST(Lockup, a_halted_cpu_is_never_probed)
{
    Timeline t;
    // Halted from 500 on with no deadline at all (tickless): the halt counter is odd.
    auto beat = [](uint64_t now) { return now < 500 ? now / 4 : 125; };
    auto halts = [](uint64_t now) { return uint64_t(now < 500 ? 0 : 1); };
    t.run(0, 10000, beat, halts, always_runs);
    EXPECT_TRUE(t.events.empty());
}

TEST(Lockup, a_cpu_that_halts_and_wakes_without_ticks_is_alive)
{
    Timeline t;
    // A CPU woken by IPIs only, never by its timer: the heartbeat stands still, the halt
    // counter moves. Sampled when awake (even counts).
    auto halts = [](uint64_t now) { return uint64_t(now / 100 * 2); };
    t.run(0, 10000, [](uint64_t) { return uint64_t(7); }, halts, always_runs);
    EXPECT_TRUE(t.events.empty());
}

TEST(Lockup, an_offline_neighbour_is_not_watched_and_starts_afresh_when_back)
{
    Timeline t;
    auto beat = [](uint64_t now) { return now < 1000 ? now / 4 : 250; };  // no tick while parked
    t.run(0, 996, beat, never_halts, always_runs);
    // Offline from 1000 to 5000: the watcher has nobody there.
    for (uint64_t now = 1000; now < 5000; now += kTick) {
        auto v = sched::lockup::watch(t.o, Look{sched::lockup::kNoTarget, now, 0, 0, false}, kBounds);
        EXPECT_EQ(v.action, Action::none);
    }
    // Back with the stale heartbeat; its first tick comes 100 ms later.
    t.run(5000, 9000, [](uint64_t now) { return now < 5100 ? uint64_t(250) : now / 4; }, never_halts, always_runs);
    EXPECT_TRUE(t.events.empty());
}

TEST(Lockup, an_answered_probe_without_a_tick_after_it_is_reported_once)
{
    Timeline t;
    auto beat = [](uint64_t now) { return now < 100 ? now / 4 : 25; };
    t.run(0, 20000, beat, never_halts, always_runs);
    EXPECT_EQ(t.count(Action::probe), 1u);
    EXPECT_EQ(t.count(Action::report), 1u);
}

// ---------------------------------------------------------------- soft lockup

namespace {

struct OwnTimeline {
    OwnTask own;
    std::vector<uint64_t> warnings;
    uint64_t late = 0;
    void tick(const void* task, uint64_t points, uint64_t now) {
        auto v = sched::lockup::watch_own(own, task, points, now, kBounds);
        if (v.warn) warnings.push_back(now);
        if (v.late) ++late;
    }
};

int task_a, task_b;

}  // namespace

TEST(Lockup, a_task_without_a_scheduling_point_is_warned_once_per_episode)
{
    OwnTimeline t;
    for (uint64_t now = 0; now <= 5000; now += kTick) t.tick(&task_a, 7, now);  // episode 1
    for (uint64_t now = 5004; now <= 9000; now += kTick) t.tick(&task_a, 8, now);  // one point, episode 2
    ASSERT_EQ(t.warnings.size(), 2u);
    EXPECT_GE(t.warnings[0], kBounds.threshold);
    EXPECT_LE(t.warnings[0], kBounds.threshold + kTick);
    EXPECT_GE(t.warnings[1], 5004 + kBounds.threshold);
}

TEST(Lockup, a_busy_task_that_is_preempted_every_slice_is_never_warned)
{
    OwnTimeline t;
    uint64_t points = 0;
    for (uint64_t now = 0; now <= 20000; now += kTick) t.tick(&task_a, ++points, now);  // same task, picked again
    EXPECT_TRUE(t.warnings.empty());
}

TEST(Lockup, another_task_or_idle_ends_the_episode)
{
    OwnTimeline t;
    for (uint64_t now = 0; now <= 900; now += kTick) t.tick(&task_a, 1, now);
    for (uint64_t now = 904; now <= 1800; now += kTick) t.tick(&task_b, 1, now);
    for (uint64_t now = 1804; now <= 1900; now += kTick) t.tick(nullptr, 1, now);  // idle
    for (uint64_t now = 1904; now <= 2800; now += kTick) t.tick(&task_a, 1, now);
    EXPECT_TRUE(t.warnings.empty());
}

TEST(Lockup, a_stop_of_the_whole_vm_counts_as_one_gap_of_running_and_warns_once)
{
    OwnTimeline t;
    for (uint64_t now = 0; now <= 300; now += kTick) t.tick(&task_a, 3, now);
    // The VM stops for 5 s: the next tick is far away. It counts as one gap (500 ms), so
    // 300 + 500 + 100 ms is still under the bound.
    for (uint64_t now = 5300; now <= 5400; now += kTick) t.tick(&task_a, 3, now);
    EXPECT_TRUE(t.warnings.empty());
    EXPECT_EQ(t.late, 1u);
    // It goes on spinning: warned once, at the bound, and a second stop does not warn again.
    for (uint64_t now = 5404; now <= 7000; now += kTick) t.tick(&task_a, 3, now);
    ASSERT_EQ(t.warnings.size(), 1u);
    EXPECT_GE(t.warnings[0], 5300 + kBounds.threshold - 300 - kBounds.gap);
    EXPECT_LE(t.warnings[0], 5300 + kBounds.threshold - 300 - kBounds.gap + kTick);
    for (uint64_t now = 12000; now <= 14000; now += kTick) t.tick(&task_a, 3, now);
    EXPECT_EQ(t.warnings.size(), 1u);
}

TEST(Lockup, a_spinning_task_on_a_cpu_whose_every_tick_is_late_is_still_warned)
{
    OwnTimeline t;
    for (uint64_t now = 0; now <= 20000; now += kBounds.gap * 2) t.tick(&task_a, 3, now);
    ASSERT_EQ(t.warnings.size(), 1u);
    EXPECT_LE(t.warnings[0], 3 * kBounds.gap * 2);
}
