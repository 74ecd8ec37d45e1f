// Joining ("Exit, join and reclamation") without a wait queue in the Task: joiners wait in a small table of
// buckets hashed by the task they wait for, each node living on the joiner's own stack.
// Kernel only; used by exit() and join() in tasks.cpp.
#pragma once
#include "sched/model/task.h"

namespace sched {

// Called by the exiting task, interrupts off, before it switches away for the last time:
// marks it dead and makes every joiner ready. The dead state is stored under the bucket
// lock, and join() checks it under the same lock, so no joiner can miss it.
void exit_and_wake_joiners(Task* self, int64_t code);
// wait_until_dead() for a task not yet seen dead: the bucket, the wait.
void block_until_dead(Task* task);
// Blocks the calling task until `task` is dead; returns with interrupts as they were.
// Inline: a fork-join or a batch joins most of its children after they exited.
inline void wait_until_dead(Task* task) {
    // Already dead: dead is final, so no lock and no bucket. acquire: pairs with the
    // release in exit_and_wake_joiners(); the caller then reads exit_code.
    if (task->state.load(std::memory_order_acquire) == TaskState::dead) return;
    block_until_dead(task);
}

constexpr uint32_t kJoinBuckets = 256;
// The bucket `task`'s joiners wait in (for the test that checks the spread).
uint32_t join_bucket_index(const Task* task);

}  // namespace sched
