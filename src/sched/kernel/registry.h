// Every live spawned task, for the console's `ps` (issue 13). Kernel only.
//
// One list per CPU, each behind its own spinlock, taken with interrupts off: spawn() adds
// the new task to its own CPU's list, exit() removes it from that same list (wherever it
// runs by then), and a reader walks the lists one lock at a time. Why a lock and not a
// lock-free list: removal from the middle is what makes lock-free lists hard (Harris's
// marked pointers, plus reclamation of the nodes a reader may still be on); here a task
// leaves the list before its memory can be reclaimed, so under the lock a reader only
// ever sees live tasks, and nothing else is needed. Why per CPU: one global lock would
// put every spawn and exit of every CPU on one cache line; per CPU the spawn side is an
// uncontended lock on a line the CPU already owns. The cost that remains is in exit() of
// a task that migrated (stolen children of a fork-join): a lock on the spawner's line, a
// cache-line transfer (about 50 ns on the machines of DESIGN.md §3), once per task life.
// A reader holds one CPU's lock while it copies that list (a few microseconds per hundred
// tasks): `ps` is typed by a person, so spawns on that CPU wait that long, rarely.
#pragma once
#include <cstddef>
#include <cstdint>

#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"

namespace sched::registry {

// spawn(): on the spawning CPU, interrupts off, before the task is placed.
void add(Task* task, uint32_t cpu);
// exit(): the task itself, interrupts off, before it becomes dead (joiners free it).
void remove(Task* task);

// What `ps` shows of one task: copied under the list's lock (racy values of a live task).
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
// Copies up to `max` tasks into `out` (oldest first per CPU list, CPU by CPU) and counts
// them all in `totals`. Returns how many were copied. From a task, interrupts on.
size_t snapshot(TaskInfo* out, size_t max, Totals& totals);

}  // namespace sched::registry
