// The fault plan's decision (lib/fault_inject.h): every Nth call, or about 1 in N with a
// seed, the same calls for the same seed, and nothing at all while disarmed.
#include <lib/fault_inject.h>
#include <gtest/gtest.h>

using fault::Plan;
using fault::Site;

TEST(FaultPlan, every_nth_call_fails_and_no_other)
{
    Plan plan;
    plan.every[size_t(Site::heap)] = 4;
    for (uint64_t k = 1; k <= 100; ++k) EXPECT_EQ(fault::decide(plan, Site::heap, k), k % 4 == 0) << k;
    for (uint64_t k = 1; k <= 100; ++k) EXPECT_FALSE(fault::decide(plan, Site::frames, k)) << k;
}

TEST(FaultPlan, a_seed_fails_about_one_in_n_and_replays_exactly)
{
    Plan plan;
    plan.every[size_t(Site::ipi)] = 10;
    plan.random = true;
    plan.seed = 7;
    int failed = 0;
    for (uint64_t k = 1; k <= 100000; ++k) failed += fault::decide(plan, Site::ipi, k);
    EXPECT_GT(failed, 9000);
    EXPECT_LT(failed, 11000);
    Plan again = plan;
    Plan other = plan;
    other.seed = 8;
    int same = 0, differ = 0;
    for (uint64_t k = 1; k <= 1000; ++k) {
        same += fault::decide(plan, Site::ipi, k) == fault::decide(again, Site::ipi, k);
        differ += fault::decide(plan, Site::ipi, k) != fault::decide(other, Site::ipi, k);
    }
    EXPECT_EQ(same, 1000);
    EXPECT_GT(differ, 50);
}

TEST(FaultPlan, nothing_fails_or_counts_until_armed_and_after_disarmed)
{
    Plan plan;
    plan.every[size_t(Site::stack)] = 1;
    fault::configure(plan);
    EXPECT_FALSE(fault::should_fail(Site::stack));
    EXPECT_EQ(fault::counts(Site::stack).calls, 0u);
    fault::arm(true);
    EXPECT_TRUE(fault::should_fail(Site::stack));
    EXPECT_FALSE(fault::should_fail(Site::heap));
    fault::arm(false);
    EXPECT_FALSE(fault::should_fail(Site::stack));
    EXPECT_EQ(fault::counts(Site::stack).calls, 1u);
    EXPECT_EQ(fault::counts(Site::stack).injected, 1u);
    EXPECT_EQ(fault::counts(Site::heap).calls, 1u);
    EXPECT_EQ(fault::counts(Site::heap).injected, 0u);
}
