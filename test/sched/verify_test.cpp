// The scheduler's invariant checks (SCHED_VERIFY) fire on the host too: a violation ends
// the process with a message naming the invariant (the kernel panics with the same text).
#include <gtest/gtest.h>

#include <vector>

#include "sched/policy/run_loop.h"
#include "sched/queues/ready_queues.h"

using namespace sched;

namespace {

struct OneCpu {
    OneCpu()
        : shared(2)
        , cpu(shared, 0, 4)
        , me(cpu, token)
    {
        shared.config.timeslice_tsc = platform::tsc_from_ns(1'000'000);
        shared.ready = &ready;
        shared.cpus[0] = &cpu;
        shared.cpu_count = 1;
        shared.online.add(0, std::memory_order_relaxed); // relaxed: one thread
        cpu.victims.build(0, std::vector<CpuPlace>(1));
    }

    SchedShared shared;
    LockFreeReadyQueues ready;
    CpuSched cpu;
    platform::InterruptsOff token;
    OwnerCpu me;
};

class SchedVerifyDeathTest : public testing::Test {
protected:
    void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

} // namespace

TEST_F(SchedVerifyDeathTest, requeueing_a_task_that_is_not_running_names_task_state_edge)
{
    EXPECT_DEATH(
        {
            OneCpu s;
            Task never_ran; // created
            requeue_current(s.me, &never_ran, PickReason::yielded);
        },
        "sched invariant violated: task_state_edge");
}

TEST_F(SchedVerifyDeathTest, dispatching_a_task_that_is_not_ready_names_task_state_edge)
{
    EXPECT_DEATH(
        {
            OneCpu s;
            Task blocked;
            blocked.state.store(TaskState::blocked, std::memory_order_relaxed);
            (void)dispatch(s.me, &blocked, platform::now_tsc());
        },
        "sched invariant violated: task_state_edge");
}

TEST_F(SchedVerifyDeathTest, placing_a_task_twice_names_task_on_one_queue)
{
    EXPECT_DEATH(
        {
            OneCpu s;
            Task task;
            task.state.store(TaskState::ready, std::memory_order_relaxed);
            place(s.me, &task, PushKind::spawn, WakeHint::none);
            place(s.me, &task, PushKind::spawn, WakeHint::none);
        },
        "sched invariant violated: task_on_one_queue");
}

TEST_F(SchedVerifyDeathTest, releasing_on_cpu_twice_names_on_cpu_released_once)
{
    EXPECT_DEATH(
        {
            Task task;
            task.on_cpu.store(true, std::memory_order_relaxed);
            release_on_cpu(&task);
            release_on_cpu(&task);
        },
        "sched invariant violated: on_cpu_released_once");
}

TEST(SchedVerify, a_task_placed_picked_and_requeued_passes_every_check)
{
    OneCpu s;
    Task task;
    task.state.store(TaskState::ready, std::memory_order_relaxed);
    place(s.me, &task, PushKind::spawn, WakeHint::none);
    Task* picked = s.ready.pick_local(s.me, PickReason::idle);
    ASSERT_EQ(picked, &task);
    ASSERT_TRUE(dispatch(s.me, picked, platform::now_tsc()));
    requeue_current(s.me, picked, PickReason::yielded);
    EXPECT_FALSE(release_on_cpu(picked));
    EXPECT_EQ(s.ready.pick_local(s.me, PickReason::yielded), &task);
}
