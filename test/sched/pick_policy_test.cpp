// One-CPU simulation of the pick policy ("The pick policy and fairness") on the real LockFreeReadyQueues.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <vector>

#include "sched/queues/ready_queues.h"

using namespace sched;

namespace {

struct OneCpu {
    explicit OneCpu(uint64_t timeslice_ns = 1'000'000)
        : shared(2)
        , cpu(shared, 0, 4)
        , me(cpu, token)
    {
        shared.config.timeslice_tsc = platform::tsc_from_ns(timeslice_ns);
        shared.ready = &ready;
        shared.cpus[0] = &cpu;
        shared.cpu_count = 1;
        shared.online.add(0, std::memory_order_relaxed);
        cpu.victims.build(0, std::vector<CpuPlace>(1));
        cpu.fifo_due_tsc = platform::now_tsc() + shared.config.timeslice_tsc;
    }
    void push(Task* t) { ready.push_local(me, t, PushKind::spawn); }

    SchedShared shared;
    LockFreeReadyQueues ready;
    CpuSched cpu;
    platform::InterruptsOff token;
    OwnerCpu me;
};

} // namespace

TEST(PickPolicy, lifo_normally_fifo_after_yield_or_preemption)
{
    OneCpu s(1'000'000'000); // no forced FIFO pick during the test
    std::vector<Task> t(4);
    for (auto& task : t)
        s.push(&task);
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::blocked), &t[3]);   // LIFO: newest
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::yielded), &t[0]);   // FIFO: oldest
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::preempted), &t[1]); // FIFO
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::exited), &t[2]);
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::exited), nullptr);
}

TEST(PickPolicy, realtime_first_then_pinned_and_deque_alternate_then_background)
{
    OneCpu s(1'000'000'000);
    std::vector<Task> normal(3), pinned(3);
    Task rt, bg;
    rt.priority = Priority::realtime;
    bg.priority = Priority::idle;
    for (auto& p : pinned)
        p.affinity = p.affinity_requested = CpuMask::single(0);
    s.push(&bg);
    for (int i = 0; i < 3; ++i) {
        s.push(&normal[i]);
        s.push(&pinned[i]);
    }
    s.push(&rt);
    EXPECT_EQ(s.cpu.stealer().size_approx(), 3); // only the normal, unpinned tasks
    std::vector<Task*> order;
    while (Task* t = s.ready.pick_local(s.me, PickReason::blocked))
        order.push_back(t);
    ASSERT_EQ(order.size(), 8u);
    EXPECT_EQ(order[0], &rt);
    EXPECT_EQ(order.back(), &bg);
    for (size_t i = 1; i + 1 < order.size(); ++i) {
        bool is_pinned = !order[i]->affinity.is_all();
        bool prev_pinned = i > 1 && !order[i - 1]->affinity.is_all();
        if (i > 1) {
            EXPECT_NE(is_pinned, prev_pinned) << "pinned and deque picks alternate, at " << i;
        }
    }
}

TEST(PickPolicy, inbox_tasks_are_sorted_into_their_structures)
{
    OneCpu s(1'000'000'000);
    Task normal, pinned, rt;
    pinned.affinity = CpuMask::single(0);
    rt.priority = Priority::realtime;
    s.ready.push_remote(s.cpu, &normal);
    s.ready.push_remote(s.cpu, &pinned);
    s.ready.push_remote(s.cpu, &rt);
    EXPECT_TRUE(s.ready.has_work_for(s.cpu));
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::blocked), &rt);
    EXPECT_EQ(s.cpu.stealer().size_approx(), 1);
    EXPECT_EQ(s.cpu.pinned.size(), 1u);
}

TEST(PickPolicy, pick_policy_never_starves_oldest)
{
    // A LIFO chain (wake ping-pong, fork-join): every pick pushes a fresh task first. The
    // oldest task must still be picked, by the forced FIFO pick, within about one
    // timeslice of the chain starting.
    const uint64_t timeslice_ns = 200'000;
    OneCpu s(timeslice_ns);
    std::deque<Task> pool(1);
    Task* oldest = &pool[0];
    s.push(oldest);
    auto start = std::chrono::steady_clock::now();
    bool picked_oldest = false;
    for (int i = 0; i < 100'000'000 && !picked_oldest; ++i) {
        pool.emplace_back();
        s.push(&pool.back());
        Task* t = s.ready.pick_local(s.me, PickReason::blocked);
        ASSERT_NE(t, nullptr);
        picked_oldest = t == oldest;
        if (pool.size() > 100000) // bound memory: recycle the picked ones' slots is not needed here
            break;
    }
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(picked_oldest);
    // Generous: one timeslice plus scheduling noise of the host.
    EXPECT_LT(elapsed, std::chrono::milliseconds(500));
}

TEST(PickPolicy, queue_depths_count_each_structure_and_follow_picks_and_inbox_drains)
{
    OneCpu s(1'000'000'000);
    std::vector<Task> normal(3), pinned(2), sent(4);
    Task rt, bg;
    rt.priority = Priority::realtime;
    bg.priority = Priority::idle;
    for (auto& p : pinned)
        p.affinity = p.affinity_requested = CpuMask::single(0);
    for (auto& t : normal)
        s.push(&t);
    for (auto& p : pinned)
        s.push(&p);
    s.push(&rt);
    s.push(&bg);
    for (auto& t : sent)
        s.ready.push_remote(s.cpu, &t); // from "another CPU": the inbox
    QueueDepths d = s.ready.depths_approx(s.cpu);
    EXPECT_TRUE(d.split);
    EXPECT_EQ(d.stealable, 3u);
    EXPECT_EQ(d.pinned, 2u);
    EXPECT_EQ(d.inbox, 4u);
    EXPECT_EQ(d.other, 2u); // realtime + background
    // The first pick drains the inbox into the deque and takes the realtime task.
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::blocked), &rt);
    d = s.ready.depths_approx(s.cpu);
    EXPECT_EQ(d.inbox, 0u);
    EXPECT_EQ(d.stealable, 7u);
    EXPECT_EQ(d.other, 1u);
    size_t picked = 1;
    while (s.ready.pick_local(s.me, PickReason::blocked))
        ++picked;
    EXPECT_EQ(picked, 11u);
    d = s.ready.depths_approx(s.cpu);
    EXPECT_EQ(d.stealable + d.pinned + d.inbox + d.other, 0u);
}
