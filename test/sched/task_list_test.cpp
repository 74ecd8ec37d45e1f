#include <gtest/gtest.h>

#include <vector>

#include "sched/model/task_list.h"

using sched::Task;
using sched::TaskList;

TEST(TaskList, pops_in_fifo_order_and_push_front_goes_first)
{
    std::vector<Task> tasks(5);
    TaskList list;
    EXPECT_TRUE(list.empty());
    EXPECT_EQ(list.pop_front(), nullptr);
    for (int i = 1; i < 5; ++i)
        list.push_back(&tasks[i]);
    list.push_front(&tasks[0]);
    EXPECT_EQ(list.size(), 5u);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(list.pop_front(), &tasks[i]);
    EXPECT_TRUE(list.empty());
    // Reusable after emptying (the tail is reset).
    list.push_back(&tasks[3]);
    list.push_back(&tasks[1]);
    EXPECT_EQ(list.front(), &tasks[3]);
    EXPECT_EQ(list.pop_front(), &tasks[3]);
    EXPECT_EQ(list.pop_front(), &tasks[1]);
    EXPECT_EQ(list.pop_front(), nullptr);
}
