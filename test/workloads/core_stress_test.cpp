// workloads::run_core_stress on host threads: the very rounds and checks the kernel runs on
// its CPUs (console `stress`), with a std::thread per "CPU". Rounds are bounded by count
// (max_rounds), never by the clock; the seconds bound is set far away.
#include "workloads/core_stress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace {

struct ThreadPlatform {
    uint32_t workers = 4;
    std::vector<std::thread> threads;

    workloads::CoreStressPlatform platform() {
        workloads::CoreStressPlatform p;
        p.context = this;
        p.worker_count = [](void* c) { return static_cast<ThreadPlatform*>(c)->workers; };
        p.start_worker = [](void* c, uint32_t index, void (*body)(void*, uint32_t), void* arg) {
            static_cast<ThreadPlatform*>(c)->threads.emplace_back(body, arg, index);
            return true;
        };
        p.join_workers = [](void* c) {
            for (auto& t : static_cast<ThreadPlatform*>(c)->threads) t.join();
            static_cast<ThreadPlatform*>(c)->threads.clear();
        };
        p.now_ns = [] {
            return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count());
        };
        p.sleep_ns = [](uint64_t ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); };
        p.pause = [] { std::this_thread::yield(); };
        return p;
    }
};

workloads::CoreStressResult run(uint32_t workers, uint64_t rounds, workloads::CoreStressFault fault) {
    ThreadPlatform threads;
    threads.workers = workers;
    workloads::CoreStressOptions options;
    options.seconds = 3600;  // a bound that is never reached: the rounds end the run
    options.max_rounds = rounds;
    options.items_per_worker = 1024;
    options.fault = fault;
    return workloads::run_core_stress(options, threads.platform());
}

void expect_every_item_once(const workloads::CoreStressResult& r, uint64_t rounds, uint32_t workers) {
    const workloads::CoreStressCounts& c = r.counts;
    EXPECT_EQ(r.error, workloads::CoreStressError::none);
    EXPECT_EQ(r.workers, workers);
    EXPECT_EQ(c.rounds, rounds);
    EXPECT_EQ(c.pushed + c.sent, rounds * workers * 1024);
    EXPECT_EQ(c.consumed(), c.pushed + c.sent);
    EXPECT_EQ(c.lost, 0u);
    EXPECT_EQ(c.duplicated, 0u);
    EXPECT_EQ(c.corrupted, 0u);
    EXPECT_EQ(c.out_of_order, 0u);
    EXPECT_EQ(c.epoch_poison_seen, 0u);
    EXPECT_EQ(c.retired, c.freed);
    EXPECT_TRUE(r.passed()) << workloads::describe(r);
    EXPECT_STREQ(workloads::describe(r), "PASS");
}

TEST(CoreStress, every_item_is_claimed_exactly_once_on_four_workers) {
    const auto r = run(4, 20, workloads::CoreStressFault::none);
    expect_every_item_once(r, 20, 4);
    EXPECT_GT(r.counts.received, 0u);
    EXPECT_GT(r.counts.epoch_replaced, 0u);
    EXPECT_GT(r.counts.retired, 0u);  // deque buffers grew and were retired
}

TEST(CoreStress, one_worker_runs_without_thieves_or_inboxes) {
    const auto r = run(1, 5, workloads::CoreStressFault::none);
    expect_every_item_once(r, 5, 1);
    EXPECT_EQ(r.counts.stolen, 0u);
    EXPECT_EQ(r.counts.sent, 0u);
}

TEST(CoreStress, an_item_never_pushed_fails_the_verdict_as_lost) {
    const auto r = run(3, 3, workloads::CoreStressFault::lose_item);
    EXPECT_EQ(r.counts.lost, 1u);
    EXPECT_EQ(r.counts.duplicated, 0u);
    EXPECT_FALSE(r.passed());
    EXPECT_STREQ(workloads::describe(r), "FAIL (items lost)");
}

TEST(CoreStress, an_item_consumed_twice_fails_the_verdict_as_duplicated) {
    const auto r = run(3, 3, workloads::CoreStressFault::duplicate_item);
    EXPECT_EQ(r.counts.lost, 0u);
    EXPECT_EQ(r.counts.duplicated, 1u);
    EXPECT_FALSE(r.passed());
    EXPECT_STREQ(workloads::describe(r), "FAIL (items taken twice)");
}

TEST(CoreStress, a_platform_that_starts_no_worker_is_a_failure) {
    ThreadPlatform threads;
    threads.workers = 0;
    const auto r = workloads::run_core_stress({}, threads.platform());
    EXPECT_EQ(r.error, workloads::CoreStressError::no_workers);
    EXPECT_FALSE(r.passed());
}

TEST(CoreStress, cancellation_stops_the_run_after_the_round_in_flight) {
    ThreadPlatform threads;
    workloads::CoreStressOptions options;
    options.seconds = 3600;
    options.items_per_worker = 256;
    options.cancelled = [](void*) { return true; };
    const auto r = workloads::run_core_stress(options, threads.platform());
    EXPECT_TRUE(r.cancelled);
    EXPECT_GE(r.counts.rounds, 1u);
    EXPECT_TRUE(r.passed()) << workloads::describe(r);
}

}  // namespace
