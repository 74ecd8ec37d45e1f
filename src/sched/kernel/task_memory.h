// Memory of a task ("Exit, join and reclamation"): one guarded kernel stack, with the Task control block at its
// top, so spawning never touches the heap and an overflow hits the guard page, not the Task.
// Kernel only.
//
// Freed task memory is cached, still mapped: a per-CPU cache (owner only, interrupts off),
// spilling into a shared pool. It goes back to mm only through trim_task_memory(). The
// reason is the TLB: tasks migrate, so any CPU may hold translations for a task's stack;
// memory that stays mapped to the same frames keeps those translations right, while
// unmapping needs a shootdown on every CPU (done once per trim, not once per task).
#pragma once
#include <cstddef>
#include <cstdint>

#include "sched/model/task.h"

namespace sched {

constexpr size_t kTaskStackPages = 4;  // 16 KiB, guard page below

// A default-constructed Task at the top of a stack (cached or fresh), with `stack` filled
// in; nullptr when out of memory (frames or stack slots). Any context, any IF.
Task* allocate_task_memory();
// Destroys the Task and caches its memory. The caller guarantees no CPU can touch the
// task again (its grace period has passed, "Exit, join and reclamation"). Any context, any IF.
void free_task_memory(Task* task);
// The highest address the task's stack may use: just below the Task itself.
inline uint64_t task_stack_top(const Task* task) { return reinterpret_cast<uint64_t>(task); }

// Returns every cached stack to mm, then flushes the TLB of every CPU. Called by a task
// with interrupts on (it waits for the other CPUs), while nothing spawns: a stack slot
// reused before the flush could still meet a stale translation elsewhere. Returns the
// number of stacks released.
size_t trim_task_memory();
// Hands this CPU's cache to the shared pool (hotplug, "CPU hotplug": a parked CPU strands nothing;
// trim_task_memory() releases the pool). Interrupts off, on the CPU itself.
void spill_this_cpu_task_memory();
// Stacks cached now (all CPUs and the pool); racy, for tests and dumps.
size_t cached_task_memory();

}  // namespace sched
