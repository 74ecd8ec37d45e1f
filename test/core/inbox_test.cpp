// MpscInbox: order, empty edges, and many producers with exactly-once, per-producer-FIFO
// delivery.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "core/inbox.h"
#include "stress/inbox_stress.h"

namespace {

struct Msg : core::MpscNode {
    int id = 0;
};

TEST(Inbox, a_fresh_inbox_is_empty_and_pop_returns_null)
{
    core::MpscInbox<Msg> inbox;
    EXPECT_TRUE(inbox.empty_approx());
    EXPECT_EQ(inbox.pop(), nullptr);
    EXPECT_EQ(inbox.pop(), nullptr);
}

TEST(Inbox, single_producer_order_is_kept_across_refills)
{
    core::MpscInbox<Msg> inbox;
    Msg m[5];
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 5; ++i) {
            m[i].id = i;
            inbox.push(&m[i]);
        }
        EXPECT_FALSE(inbox.empty_approx());
        for (int i = 0; i < 5; ++i) {
            Msg* got = inbox.pop();
            ASSERT_NE(got, nullptr);
            EXPECT_EQ(got->id, i);
        }
        EXPECT_EQ(inbox.pop(), nullptr);
        EXPECT_TRUE(inbox.empty_approx());
    }
    // One at a time: the last node leaves through the stub path every time.
    for (int i = 0; i < 5; ++i) {
        inbox.push(&m[i]);
        EXPECT_EQ(inbox.pop(), &m[i]);
        EXPECT_EQ(inbox.pop(), nullptr);
    }
}

// The idle re-check (sched idle.cpp) halts when empty_approx() says so, so "empty" must
// never hide a push that has returned. The window that once did: pop() re-inserts the
// stub behind its last node while a producer exchanges the head in between; the head is
// then the stub again with no successor, yet two nodes wait before it. Producers count
// each finished push; the consumer, whenever pop() comes back empty, reads that count and
// then asks empty_approx(): "empty" with fewer popped than finished is the bug.
TEST(Inbox, empty_approx_never_hides_a_finished_push)
{
    constexpr unsigned kProducers = 3;
    const uint64_t per_producer = core_stress::scaled(300'000, 20'000);
    core::MpscInbox<Msg> inbox;
    std::vector<std::unique_ptr<Msg[]>> messages;
    for (unsigned p = 0; p < kProducers; ++p)
        messages.push_back(std::make_unique<Msg[]>(per_producer));
    std::atomic<uint64_t> finished { 0 };
    // Halfway, every producer pauses until the consumer has drained the inbox, so the
    // consumer meets an empty inbox whatever the host's thread schedule (on a busy host
    // it could otherwise pop every message in one run and never look at an empty one).
    // seq_cst on both: plain flags, read after the counts they follow.
    std::atomic<unsigned> paused { 0 };
    std::atomic<bool> resume { false };
    std::vector<std::thread> producers;
    for (unsigned p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            for (uint64_t i = 0; i < per_producer; ++i) {
                if (i == per_producer / 2) {
                    paused.fetch_add(1, std::memory_order_seq_cst);
                    while (!resume.load(std::memory_order_seq_cst))
                        std::this_thread::yield();
                }
                inbox.push(&messages[p][i]);
                // seq_cst: the consumer's seq_cst load that reads this makes the push
                // above happen-before its empty_approx() call.
                finished.fetch_add(1, std::memory_order_seq_cst);
                // Keep the inbox near empty, where pop() takes the stub path.
                for (uint64_t spin = i % 8; spin > 0; --spin)
                    std::atomic_signal_fence(std::memory_order_seq_cst);
            }
        });
    }
    const uint64_t total = kProducers * per_producer;
    uint64_t popped = 0, hidden = 0, empty_pops = 0;
    while (popped < total) {
        if (inbox.pop()) {
            ++popped;
            continue;
        }
        ++empty_pops;
        uint64_t done = finished.load(std::memory_order_seq_cst); // seq_cst: see above
        if (inbox.empty_approx() && popped < done)
            ++hidden;
        if (paused.load(std::memory_order_seq_cst) == kProducers && popped == done)
            resume.store(true, std::memory_order_seq_cst);
    }
    for (auto& t : producers)
        t.join();
    EXPECT_EQ(hidden, 0u) << "empty_approx() said empty with finished pushes still queued";
    EXPECT_EQ(inbox.pop(), nullptr);
    EXPECT_TRUE(inbox.empty_approx());
    EXPECT_GT(empty_pops, 0u); // the consumer did run into an empty inbox
}

class InboxProducers : public ::testing::TestWithParam<unsigned> { };

TEST_P(InboxProducers, many_producers_deliver_exactly_once_in_per_producer_order)
{
    core_stress::InboxStressConfig config;
    config.producers = GetParam();
    config.messages_per_producer = core_stress::scaled(2'000'000 / GetParam(), 5'000);
    config.seed = GetParam();
    core_stress::InboxStressResult r = core_stress::run_inbox_stress(config);
    EXPECT_EQ(r.duplicates, 0u);
    EXPECT_EQ(r.lost, 0u);
    EXPECT_EQ(r.out_of_order, 0u) << "a producer's messages were reordered";
    EXPECT_FALSE(r.stalled);
    EXPECT_EQ(r.popped, r.pushed);
}

INSTANTIATE_TEST_SUITE_P(p, InboxProducers, ::testing::Values(1u, 2u, 4u, 7u),
    [](const ::testing::TestParamInfo<unsigned>& info) { return std::to_string(info.param) + "_producers"; });

} // namespace
