// Hotplug evacuation ("CPU hotplug") on the real LockFreeReadyQueues and LockedReadyQueues
// (issue 5), one thread playing each CPU in turn.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <type_traits>
#include <vector>

#include "sched/queues/ready_queues.h"

using namespace sched;

namespace {

template <typename Queues>
void evacuation_moves_every_task()
{
    constexpr uint32_t kCpus = 3;
    SchedShared shared(kCpus);
    Queues ready;
    shared.ready = &ready;
    shared.cpu_count = kCpus;
    shared.config.timeslice_tsc = platform::tsc_from_ns(1'000'000);
    std::vector<std::unique_ptr<CpuSched>> cpu;
    std::vector<CpuPlace> places(kCpus);
    for (uint32_t i = 0; i < kCpus; ++i) {
        cpu.push_back(std::make_unique<CpuSched>(shared, i, 4));
        cpu.back()->victims.build(i, places);
        shared.cpus[i] = cpu.back().get();
        shared.online.add(i, std::memory_order_relaxed);
    }
    platform::InterruptsOff token;
    OwnerCpu leaving(*cpu[1], token);

    std::vector<Task> normal(20), pinned_here(3), pinned_elsewhere(2), realtime(2), background(2), sleeping(3),
        via_inbox(4);
    std::vector<Task*> all;
    auto add = [&](std::vector<Task>& group, auto&& setup) {
        for (auto& t : group) {
            t.state.store(TaskState::ready, std::memory_order_relaxed);
            t.last_cpu = 1;
            setup(t);
            all.push_back(&t);
        }
    };
    add(normal, [&](Task& t) { ready.push_local(leaving, &t, PushKind::spawn); });
    add(pinned_here, [&](Task& t) {
        t.affinity = t.affinity_requested = CpuMask::single(1);
        ready.push_local(leaving, &t, PushKind::spawn);
    });
    add(pinned_elsewhere, [&](Task& t) {
        t.affinity = t.affinity_requested = CpuMask::single(1) | CpuMask::single(2);
        ready.push_local(leaving, &t, PushKind::spawn);
    });
    add(realtime, [&](Task& t) {
        t.priority = Priority::realtime;
        ready.push_local(leaving, &t, PushKind::spawn);
    });
    add(background, [&](Task& t) {
        t.priority = Priority::idle;
        ready.push_local(leaving, &t, PushKind::spawn);
    });
    uint64_t far = platform::now_tsc() + platform::tsc_from_ns(60'000'000'000ull);
    add(sleeping, [&](Task& t) {
        t.state.store(TaskState::sleeping, std::memory_order_relaxed);
        t.deadline_tsc = far;
        cpu[1]->sleepers.insert(&t);
    });
    add(via_inbox, [&](Task& t) { ready.push_remote(*cpu[1], &t); });

    shared.online.remove(1, std::memory_order_seq_cst);
    EXPECT_EQ(ready.evacuate(leaving), all.size());
    EXPECT_FALSE(ready.has_local_work(*cpu[1]));
    EXPECT_TRUE(cpu[1]->sleepers.empty());
    if constexpr (std::is_same_v<Queues, LockFreeReadyQueues>) {
        EXPECT_EQ(cpu[1]->stealer().size_approx(), 0);
        EXPECT_TRUE(cpu[1]->pinned.empty() && cpu[1]->realtime.empty() && cpu[1]->background.empty());
        EXPECT_TRUE(cpu[1]->inbox.empty_approx());
    }

    // The survivors drain their inboxes and run everything they can.
    std::map<Task*, int> seen;
    size_t sleepers_received = 0;
    for (uint32_t c : { 0u, 2u }) {
        OwnerCpu me(*cpu[c], token);
        while (Task* t = ready.pick_local(me, PickReason::idle)) {
            ++seen[t];
            EXPECT_TRUE(t->affinity.contains(c)) << "a task ran outside its affinity on cpu " << c;
        }
        sleepers_received += cpu[c]->sleepers.size();
        while (TimerNode* n = cpu[c]->sleepers.pop_min())
            ++seen[task_from_timer(n)];
    }
    EXPECT_EQ(sleepers_received, sleeping.size());
    EXPECT_EQ(seen.size(), all.size());
    for (Task* t : all)
        EXPECT_EQ(seen[t], 1) << "every task exactly once";
    for (auto& t : pinned_here) {
        EXPECT_TRUE(t.widened) << "a task whose only CPU left is widened";
        EXPECT_FALSE(t.affinity.contains(1));
    }
    for (auto& t : pinned_elsewhere) {
        EXPECT_FALSE(t.widened);
        EXPECT_EQ(t.affinity, CpuMask::single(1) | CpuMask::single(2));
    }
    EXPECT_EQ(cpu[1]->stats.affinity_widened.get(), pinned_here.size());
}

} // namespace

TEST(Evacuation, evacuation_moves_every_task) { evacuation_moves_every_task<LockFreeReadyQueues>(); }
TEST(Evacuation, locked_queues_evacuation_moves_every_task) { evacuation_moves_every_task<LockedReadyQueues>(); }
