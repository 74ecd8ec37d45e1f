// Every live spawned task, for the console's `ps` (issue 13). Kernel only.
//
// No list: spawn and exit pay nothing for `ps`. Every Task lives at the top of a stack of
// task memory, and task memory keeps one bit per kernel-stack slot it holds (set once, when
// the stack is first mapped, cleared when trim_task_memory() unmaps it). A reader walks
// those slots and keeps the blocks that hold a live spawned Task: state ready, running,
// blocked or sleeping (spawn's `created -> ready` to exit's `dead`), and an id (init and the
// idle tasks have id 0). Why it may read a Task nobody lent it, block by block with
// interrupts off, in registry.cpp. What it costs instead: `ps` looks at every slot of task
// memory, the cached stacks too (thousands after a big fork-join, until a trim), a few
// instructions each; a person types it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"

namespace sched::registry {

// What `ps` shows of one task: copied while the task was live (racy values of a live task).
struct TaskInfo {
    uint64_t id = 0;
    char name[sizeof(Task::name)] = {};
    TaskState state = TaskState::created;
    Priority priority = Priority::normal;
    uint16_t cpu = 0;  // where it runs now, or last ran
    CpuMask affinity;
    bool widened = false;  // its affinity was widened by hotplug
    uint64_t run_cycles = 0;  // TSC cycles on a CPU, up to its last switch-out
};
struct Totals {
    size_t tasks = 0;
    size_t by_state[6] = {};  // indexed by TaskState
};
// Copies the `max` oldest live tasks (lowest ids) into `out`, ordered by id, and counts
// every live task in `totals`. Returns how many were copied. From a task, interrupts on.
// Not an atomic snapshot: a task spawned or exited during the walk may be in it or not.
size_t snapshot(TaskInfo* out, size_t max, Totals& totals);

}  // namespace sched::registry
