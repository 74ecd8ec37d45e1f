// MpscInbox: order, empty edges, and many producers with exactly-once, per-producer-FIFO
// delivery.
#include <gtest/gtest.h>

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
