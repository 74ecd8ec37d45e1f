#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "sched/model/timer_queue.h"

using sched::TimerNode;
using sched::TimerQueue;

TEST(TimerQueue, orders_by_deadline_then_fifo)
{
    std::mt19937_64 rng(7);
    for (int round = 0; round < 50; ++round) {
        size_t n = 1 + rng() % 500;
        std::vector<TimerNode> nodes(n);
        std::vector<std::pair<uint64_t, size_t>> expected; // (deadline, insertion index)
        TimerQueue q;
        for (size_t i = 0; i < n; ++i) {
            nodes[i].deadline_tsc = rng() % 40; // many ties
            q.insert(&nodes[i]);
            expected.push_back({ nodes[i].deadline_tsc, i });
            // Interleave pops with inserts now and then.
            if (rng() % 7 == 0) {
                auto it = std::min_element(expected.begin(), expected.end());
                TimerNode* popped = q.pop_min();
                ASSERT_EQ(popped, &nodes[it->second]);
                expected.erase(it);
            }
        }
        std::sort(expected.begin(), expected.end());
        ASSERT_EQ(q.size(), expected.size());
        for (auto& [deadline, index] : expected) {
            ASSERT_EQ(q.next_deadline(), deadline);
            ASSERT_EQ(q.pop_min(), &nodes[index]);
        }
        EXPECT_TRUE(q.empty());
        EXPECT_EQ(q.pop_min(), nullptr);
        EXPECT_EQ(q.next_deadline(), ~uint64_t(0));
    }
}

TEST(TimerQueue, pop_due_returns_only_expired_nodes)
{
    TimerNode a, b, c;
    a.deadline_tsc = 10;
    b.deadline_tsc = 20;
    c.deadline_tsc = 20;
    TimerQueue q;
    q.insert(&c);
    q.insert(&a);
    q.insert(&b);
    EXPECT_EQ(q.pop_due(9), nullptr);
    EXPECT_EQ(q.pop_due(10), &a);
    EXPECT_EQ(q.pop_due(19), nullptr);
    EXPECT_EQ(q.pop_due(25), &c); // inserted before b
    EXPECT_EQ(q.pop_due(25), &b);
    EXPECT_EQ(q.pop_due(100), nullptr);
}

TEST(TimerQueue, long_sibling_lists_pop_without_recursion)
{
    // Many inserts with later deadlines make one root with a very long child list: the
    // two-pass merge must handle it iteratively.
    std::vector<TimerNode> nodes(200000);
    TimerQueue q;
    for (size_t i = 0; i < nodes.size(); ++i) {
        nodes[i].deadline_tsc = i;
        q.insert(&nodes[i]);
    }
    for (size_t i = 0; i < nodes.size(); ++i)
        ASSERT_EQ(q.pop_min(), &nodes[i]);
}
