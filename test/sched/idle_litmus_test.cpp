// Litmus for the "The idle/wakeup protocol" protocol: one idler against one or two wakers, in lock step. Each
// round a waker hands the idler one task (targeted: into its inbox; stealable: into the
// waker's own deque, which the waker then leaves alone) and waits until the idler ran it.
// Nothing else ever kicks the idler (no backstop, no spinning, no other traffic), so a
// lost wakeup is a stall of that round, named with its round number.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "sched/queues/ready_queues.h"

using namespace sched;

namespace {

struct LitmusTask : Task {
    std::atomic<bool> taken { false };
};

enum class Mode { targeted, stealable, mixed };

uint64_t scaled_rounds(uint64_t plain)
{
#if defined(CORE_TSAN) || defined(SCHED_ASAN)
    plain /= 4;
#endif
    if (const char* text = std::getenv("CORE_TEST_SCALE")) {
        uint64_t v = std::strtoull(text, nullptr, 10);
        if (v > 0)
            plain = plain / v;
    }
    return plain < 1000 ? 1000 : plain;
}

// Returns an empty string on success, else what went wrong.
std::string run_litmus(uint32_t wakers, Mode mode, uint64_t rounds)
{
    uint32_t cpus = wakers + 1;
    SchedShared shared(cpus);
    LockFreeReadyQueues ready;
    shared.ready = &ready;
    shared.cpu_count = cpus;
    shared.config.timeslice_tsc = platform::tsc_from_ns(1'000'000);
    shared.config.spin_tsc = 0;     // never spin: every idle pass halts
    shared.config.backstop_tsc = 0; // and only a kick ends a halt
    std::vector<std::unique_ptr<CpuSched>> cpu;
    std::vector<CpuPlace> places(cpus);
    for (uint32_t i = 0; i < cpus; ++i) {
        cpu.push_back(std::make_unique<CpuSched>(shared, i, 64));
        cpu.back()->victims.build(i, places);
        shared.cpus[i] = cpu.back().get();
        shared.online.add(i, std::memory_order_relaxed); // relaxed: threads start later
    }
    std::atomic<bool> stop { false };
    std::atomic<bool> failed { false };
    std::string failure;

    // CPU 0 is the idler.
    std::thread idler([&] {
        platform::InterruptsOff token;
        OwnerCpu me(*cpu[0], token);
        cpu[0]->epoch.emplace(shared.epoch, 0);
        cpu[0]->epoch->go_online();
        while (!stop.load(std::memory_order_acquire)) { // acquire: pairs with the final store
            cpu[0]->epoch->quiescent();
            if (Task* t = ready.pick_local(me, PickReason::idle)) {
                static_cast<LitmusTask*>(t)->taken.store(true, std::memory_order_release); // release: to the waker
                continue;
            }
            idle_halt(me);
        }
        cpu[0]->epoch->go_offline();
    });

    std::vector<std::thread> waker_threads;
    for (uint32_t w = 1; w <= wakers; ++w) {
        waker_threads.emplace_back([&, w] {
            platform::InterruptsOff token;
            OwnerCpu me(*cpu[w], token);
            cpu[w]->epoch.emplace(shared.epoch, w);
            cpu[w]->epoch->go_online();
            LitmusTask task;
            task.affinity = task.affinity_requested = CpuMask::single(0);
            LitmusTask free_task; // affinity all: goes through the deque
            Rng rng(w * 977);
            for (uint64_t round = 0; round < rounds && !failed.load(std::memory_order_relaxed); ++round) {
                bool targeted = mode == Mode::targeted || (mode == Mode::mixed && (rng.next() & 1));
                LitmusTask* t = targeted ? &task : &free_task;
                t->taken.store(false, std::memory_order_relaxed); // relaxed: published by the push
                // A short random delay, so the push lands anywhere in the idler's way from
                // its last look at the queues to hlt (about a microsecond).
                for (uint32_t spin = rng.below(256); spin > 0; --spin)
                    platform::cpu_relax();
                if (targeted) {
                    ready.push_remote(*cpu[0], t);
                    notify_cpu(me, *cpu[0]);
                } else {
                    ready.push_local(me, t, PushKind::spawn);
                    notify_stealable(me);
                }
                auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
                auto hard_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
                // acquire: pairs with the idler's release store. Spin first, to follow the
                // idler closely; yield later, so a slow idler gets the core.
                for (uint32_t spin = 0; spin < 20000 && !t->taken.load(std::memory_order_acquire); ++spin)
                    platform::cpu_relax();
                while (!t->taken.load(std::memory_order_acquire)) {
                    if (!cpu[0]->latch.stuck(platform::now_tsc())) {
                        // Running, or kicked and waiting for the host to run it: not lost.
                        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
                    }
                    if (std::chrono::steady_clock::now() > deadline
                        || std::chrono::steady_clock::now() > hard_deadline) {
                        if (!failed.exchange(true))
                            failure = "waker " + std::to_string(w) + ": round " + std::to_string(round) + " ("
                                + (targeted ? "targeted" : "stealable")
                                + "): the idler never ran the task (lost wakeup)";
                        break;
                    }
                    std::this_thread::yield();
                }
                cpu[w]->epoch->quiescent();
            }
            cpu[w]->epoch->go_offline();
        });
    }
    for (auto& t : waker_threads)
        t.join();
    stop.store(true, std::memory_order_release);
    platform::kick(0, cpu[0]->latch);
    idler.join();
    return failure;
}

} // namespace

TEST(IdleLitmus, idle_protocol_litmus_never_loses_a_targeted_wakeup)
{
    EXPECT_EQ(run_litmus(1, Mode::targeted, scaled_rounds(40000)), "");
}

TEST(IdleLitmus, idle_protocol_litmus_never_loses_a_stealable_wakeup)
{
    EXPECT_EQ(run_litmus(1, Mode::stealable, scaled_rounds(40000)), "");
}

TEST(IdleLitmus, idle_protocol_litmus_two_wakers_mixed)
{
    EXPECT_EQ(run_litmus(2, Mode::mixed, scaled_rounds(40000)), "");
}
