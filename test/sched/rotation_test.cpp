// The fairness rotation ("The pick policy and fairness"): a task preempted at the end of its slice moves on to the
// next CPU when something else waits where it ran. One thread plays every CPU in turn, on
// the real LockFreeReadyQueues.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "sched/queues/ready_queues.h"

using namespace sched;

namespace {

struct Machine {
    explicit Machine(uint32_t cpus)
        : shared(cpus)
    {
        shared.ready = &ready;
        shared.cpu_count = cpus;
        shared.config.timeslice_tsc = platform::tsc_from_ns(1'000'000);
        std::vector<CpuPlace> places(cpus);
        for (uint32_t i = 0; i < cpus; ++i) {
            cpu.push_back(std::make_unique<CpuSched>(shared, i, 64));
            cpu.back()->victims.build(i, places);
            shared.cpus[i] = cpu.back().get();
            shared.online.add(i, std::memory_order_relaxed); // relaxed: one thread
        }
        for (uint32_t i = 0; i < cpus; ++i)
            owner.push_back(std::make_unique<OwnerCpu>(*cpu[i], token));
    }
    OwnerCpu& me(uint32_t i) { return *owner[i]; }
    void push(uint32_t i, Task* t) { ready.push_local(me(i), t, PushKind::spawn); }

    SchedShared shared;
    LockFreeReadyQueues ready;
    platform::InterruptsOff token;
    std::vector<std::unique_ptr<CpuSched>> cpu;
    std::vector<std::unique_ptr<OwnerCpu>> owner;
};

void make_running(Task& t) { t.state.store(TaskState::running, std::memory_order_relaxed); }

} // namespace

TEST(Rotation, a_lone_task_keeps_its_cpu)
{
    Machine m(3);
    Task t;
    make_running(t);
    EXPECT_EQ(rotation_target(m.me(1), &t), kNoCpu);
    requeue_current(m.me(1), &t, PickReason::preempted);
    EXPECT_EQ(m.cpu[1]->stealer().size_approx(), 1);
    EXPECT_EQ(m.cpu[1]->stats.rotations.get(), 0u);
    EXPECT_EQ(m.ready.pick_local(m.me(1), PickReason::preempted), &t);
}

TEST(Rotation, preempted_task_moves_to_the_next_cpu_when_work_waits)
{
    Machine m(3);
    Task waiting, t;
    m.push(1, &waiting);
    make_running(t);
    EXPECT_EQ(rotation_target(m.me(1), &t), 2u);
    requeue_current(m.me(1), &t, PickReason::preempted);
    EXPECT_EQ(m.cpu[1]->stats.rotations.get(), 1u);
    EXPECT_EQ(m.cpu[1]->stealer().size_approx(), 1); // only `waiting`
    EXPECT_EQ(t.state.load(std::memory_order_relaxed), TaskState::ready);
    EXPECT_EQ(m.ready.pick_local(m.me(1), PickReason::preempted), &waiting);
    EXPECT_EQ(m.ready.pick_local(m.me(2), PickReason::idle), &t); // from CPU 2's inbox
}

TEST(Rotation, the_ring_wraps_and_skips_offline_cpus)
{
    Machine m(4);
    Task waiting, t;
    make_running(t);
    m.push(3, &waiting);
    EXPECT_EQ(rotation_target(m.me(3), &t), 0u);
    m.shared.online.remove(0, std::memory_order_relaxed); // relaxed: one thread
    EXPECT_EQ(rotation_target(m.me(3), &t), 1u);
    m.shared.online.remove(1, std::memory_order_relaxed);
    m.shared.online.remove(2, std::memory_order_relaxed);
    EXPECT_EQ(rotation_target(m.me(3), &t), kNoCpu) << "the only online CPU keeps its task";
}

TEST(Rotation, inbox_pinned_and_realtime_work_count_as_waiting)
{
    Machine m(2);
    Task t, in_inbox, pinned, rt;
    pinned.affinity = pinned.affinity_requested = CpuMask::single(0);
    rt.priority = Priority::realtime;
    make_running(t);
    m.ready.push_remote(*m.cpu[0], &in_inbox);
    EXPECT_EQ(rotation_target(m.me(0), &t), 1u);
    EXPECT_EQ(m.ready.pick_local(m.me(0), PickReason::blocked), &in_inbox);
    EXPECT_EQ(rotation_target(m.me(0), &t), kNoCpu);
    m.push(0, &pinned);
    EXPECT_EQ(rotation_target(m.me(0), &t), 1u);
    EXPECT_EQ(m.ready.pick_local(m.me(0), PickReason::blocked), &pinned);
    m.push(0, &rt);
    EXPECT_EQ(rotation_target(m.me(0), &t), 1u);
}

TEST(Rotation, yields_and_restricted_tasks_never_rotate)
{
    Machine m(2);
    Task waiting, yielder, pinned, rt, widened;
    m.push(0, &waiting);
    pinned.affinity = pinned.affinity_requested = CpuMask::single(0);
    rt.priority = Priority::realtime;
    widened.widened = true;
    EXPECT_EQ(rotation_target(m.me(0), &pinned), kNoCpu);
    EXPECT_EQ(rotation_target(m.me(0), &rt), kNoCpu);
    EXPECT_EQ(rotation_target(m.me(0), &widened), kNoCpu);
    make_running(yielder);
    requeue_current(m.me(0), &yielder, PickReason::yielded);
    EXPECT_EQ(m.cpu[0]->stealer().size_approx(), 2);
    EXPECT_EQ(m.cpu[0]->stats.rotations.get(), 0u);
}

// N CPU-bound tasks on M CPUs whose ticks come at fixed, random phases: the schedule()
// of "The run loop" (requeue, pick) at every tick, run time credited to the current task. With
// rotation every task gets within ±20% of total/N (without it, N = M + 1 gives 50%/100%).
void simulate_shares(uint32_t cpus, uint32_t tasks, uint32_t seed, uint64_t slow_cpu_factor = 1)
{
    SCOPED_TRACE(testing::Message() << cpus << " cpus, " << tasks << " tasks, seed " << seed << ", cpu 1 ticks "
                                    << slow_cpu_factor << "x slower");
    Machine m(cpus);
    std::vector<Task> task(tasks);
    std::vector<uint64_t> run(tasks, 0);
    // Initial spread as stealing leaves it: one per CPU, the rest on CPU 0.
    for (uint32_t i = 0; i < tasks; ++i)
        m.push(i < cpus ? i : 0, &task[i]);
    std::vector<Task*> current(cpus);
    for (uint32_t c = 0; c < cpus; ++c) {
        current[c] = m.ready.pick_local(m.me(c), PickReason::idle);
        ASSERT_NE(current[c], nullptr);
        make_running(*current[c]);
    }
    constexpr uint64_t kSlice = 1000;
    constexpr uint64_t kSlices = 500; // the 2 s window of 4 ms slices
    std::mt19937 rng(seed);
    std::vector<uint64_t> next_tick(cpus), last(cpus, 0);
    for (auto& t : next_tick)
        t = 1 + rng() % kSlice;
    for (;;) {
        uint32_t c = uint32_t(std::min_element(next_tick.begin(), next_tick.end()) - next_tick.begin());
        uint64_t now = next_tick[c];
        if (now > kSlices * kSlice * slow_cpu_factor)
            break;
        run[current[c] - task.data()] += now - last[c];
        last[c] = now;
        requeue_current(m.me(c), current[c], PickReason::preempted);
        current[c] = m.ready.pick_local(m.me(c), PickReason::preempted);
        ASSERT_NE(current[c], nullptr) << "an overloaded machine left cpu " << c << " idle";
        make_running(*current[c]);
        next_tick[c] = now + (c == 1 ? slow_cpu_factor : 1) * kSlice;
    }
    uint64_t total = 0;
    for (uint64_t r : run)
        total += r;
    double fair = double(total) / tasks;
    for (uint32_t i = 0; i < tasks; ++i) {
        EXPECT_GE(run[i], 0.8 * fair) << "task " << i;
        EXPECT_LE(run[i], 1.2 * fair) << "task " << i;
    }
}

TEST(Rotation, rotation_gives_every_task_a_fair_share)
{
    for (uint32_t cpus : { 2u, 3u, 4u, 8u }) {
        for (uint32_t seed = 1; seed <= 5; ++seed) {
            simulate_shares(cpus, cpus + 1, seed);
            simulate_shares(cpus, 2 * cpus + 1, seed);
        }
    }
}

// A CPU whose ticks come late (a vCPU the host runs less, under TCG) must not become a
// trap where rotated tasks pile up: its long slices are shared out like everyone's.
TEST(Rotation, a_slow_ticking_cpu_does_not_trap_tasks)
{
    for (uint32_t cpus : { 2u, 4u, 8u }) {
        for (uint32_t seed = 1; seed <= 5; ++seed) {
            simulate_shares(cpus, cpus + 1, seed, 4);
            simulate_shares(cpus, 2 * cpus + 1, seed, 4);
        }
    }
}
