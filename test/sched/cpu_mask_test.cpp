#include <gtest/gtest.h>

#include "sched/model/cpu_mask.h"

using sched::AtomicCpuMask;
using sched::CpuMask;
using sched::kMaxCpus;
using sched::kNoCpu;

TEST(CpuMask, add_remove_contains_count_across_words)
{
    CpuMask m;
    EXPECT_TRUE(m.empty());
    for (uint32_t c : { 0u, 63u, 64u, 130u, 255u })
        m.add(c);
    EXPECT_EQ(m.count(), 5u);
    EXPECT_TRUE(m.contains(63) && m.contains(64) && m.contains(255));
    EXPECT_FALSE(m.contains(1) || m.contains(kMaxCpus) || m.contains(kNoCpu));
    m.remove(64);
    m.remove(64);
    m.add(kMaxCpus); // out of range: ignored
    EXPECT_EQ(m.count(), 4u);
    EXPECT_FALSE(m.contains(64));
}

TEST(CpuMask, next_iterates_members_in_order)
{
    CpuMask m;
    for (uint32_t c : { 3u, 64u, 65u, 200u })
        m.add(c);
    std::vector<uint32_t> seen;
    for (uint32_t c = m.next(0); c != kNoCpu; c = m.next(c + 1))
        seen.push_back(c);
    EXPECT_EQ(seen, (std::vector<uint32_t> { 3, 64, 65, 200 }));
    EXPECT_EQ(m.next(201), kNoCpu);
    EXPECT_EQ(m.next(kMaxCpus), kNoCpu);
    EXPECT_EQ(CpuMask().next(0), kNoCpu);
}

TEST(CpuMask, all_first_single_and_set_operations)
{
    EXPECT_EQ(CpuMask::all().count(), kMaxCpus);
    EXPECT_TRUE(CpuMask::all().is_all());
    EXPECT_FALSE(CpuMask::first(4).is_all());
    EXPECT_EQ(CpuMask::first(4).count(), 4u);
    EXPECT_EQ((CpuMask::first(4) & CpuMask::single(2)), CpuMask::single(2));
    EXPECT_TRUE((CpuMask::first(2) & CpuMask::single(5)).empty());
    EXPECT_EQ((CpuMask::single(1) | CpuMask::single(70)).count(), 2u);
}

TEST(AtomicCpuMask, exactly_one_remove_sees_the_bit)
{
    AtomicCpuMask m;
    EXPECT_FALSE(m.add(77, std::memory_order_relaxed));
    EXPECT_TRUE(m.add(77, std::memory_order_relaxed));
    EXPECT_TRUE(m.contains(77, std::memory_order_relaxed));
    EXPECT_TRUE(m.remove(77, std::memory_order_relaxed));
    EXPECT_FALSE(m.remove(77, std::memory_order_relaxed));
    m.store(CpuMask::first(3), std::memory_order_relaxed);
    EXPECT_EQ(m.load(std::memory_order_relaxed), CpuMask::first(3));
}
