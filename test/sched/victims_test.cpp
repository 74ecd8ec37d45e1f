#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "sched/model/victims.h"

using sched::CpuPlace;
using sched::Rng;
using sched::VictimOrder;

TEST(VictimOrder, victim_order_is_sibling_package_rest)
{
    // 2 packages x 2 cores x 2 threads: cpu = package*4 + core*2 + thread.
    std::vector<CpuPlace> places;
    for (uint32_t i = 0; i < 8; ++i)
        places.push_back({ i / 4, (i / 2) % 2 });
    VictimOrder order;
    order.build(5, places);
    EXPECT_EQ(order.level_size(0), 1u);
    EXPECT_EQ(order.at(0, 0), 4u);
    EXPECT_EQ(order.level_size(1), 2u);
    EXPECT_EQ(order.level_size(2), 4u);
    EXPECT_EQ(order.total(), 7u);

    Rng rng(3);
    std::set<std::vector<uint32_t>> distinct_walks;
    for (int round = 0; round < 200; ++round) {
        std::vector<uint32_t> walk;
        order.for_each(rng, [&](uint32_t c) {
            walk.push_back(c);
            return false;
        });
        ASSERT_EQ(walk.size(), 7u);
        EXPECT_EQ(walk[0], 4u);
        EXPECT_EQ(std::set<uint32_t>(walk.begin() + 1, walk.begin() + 3), (std::set<uint32_t> { 6, 7 }));
        EXPECT_EQ(std::set<uint32_t>(walk.begin() + 3, walk.end()), (std::set<uint32_t> { 0, 1, 2, 3 }));
        distinct_walks.insert(walk);
    }
    // Randomized within levels: 2 starts x 4 starts.
    EXPECT_EQ(distinct_walks.size(), 8u);
}

TEST(VictimOrder, for_each_stops_at_first_success_and_single_cpu_has_none)
{
    std::vector<CpuPlace> places(4);
    VictimOrder order;
    order.build(0, places);
    Rng rng;
    int visits = 0;
    EXPECT_TRUE(order.for_each(rng, [&](uint32_t) { return ++visits == 2; }));
    EXPECT_EQ(visits, 2);

    VictimOrder alone;
    alone.build(0, std::vector<CpuPlace>(1));
    EXPECT_EQ(alone.total(), 0u);
    EXPECT_FALSE(alone.for_each(rng, [](uint32_t) { return true; }));
}
