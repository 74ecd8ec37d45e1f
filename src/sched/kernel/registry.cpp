// `ps`'s walk over task memory (registry.h). Why it may read a Task that nobody handed it:
//
// * Mapped. task_memory_block() gives a block only while its slot holds task memory, and
//   the walker keeps interrupts off from that call to its last read of the block: the trim
//   clears the slot, then waits for an IPI round, which no CPU takes with interrupts off,
//   before it unmaps.
// * Not reused under us. A Task's memory is freed, and may be rebuilt into another Task,
//   only a grace period after its last reference is dropped, which comes after its `dead`
//   store (exit's store, then finish_switch's and the handle's acq_rel drops, then the
//   retire). With interrupts off the walker's CPU passes no quiescent point, so if its load
//   of the state sees a live value (one from before `dead`), that Task's memory stays
//   until the walker turns interrupts back on: the unlink-then-retire argument of every
//   epoch reader, with the `dead` store as the unlink ("Why a grace period after refs
//   reach 0" in docs/scheduler.md; sched_cpu_view reads `current` the same way).
// * Filled in. Every store of a live state is a release (spawn's created -> ready,
//   dispatch's -> running, requeue_current's -> ready, blocking, sleeping) or the
//   make_ready CAS (acq_rel), and whoever makes it has spawn's writes (id, name, class,
//   affinity) behind it: they came with the task through place()'s release. So the
//   walker's acquire load of the state makes them visible.
// * Anything else is skipped on the state alone. A cached block still holds its last
//   Task's `dead` (the cache's header, FreeStack, ends before the state; task_memory.cpp
//   checks it), a block being rebuilt holds `dead` or the new Task's `created` until
//   spawn's release of `ready`, and init and the idle tasks, which are live but not
//   spawned, have id 0.
//
// Between the walker's looks at two blocks interrupts go back on: a walk over thousands of
// cached stacks holds no tick or IPI back for longer than one block's copy.
#include "sched/kernel/registry.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "sched/kernel/task_memory.h"

namespace sched::registry {
namespace {

bool is_live(TaskState state) {
    return state == TaskState::ready || state == TaskState::running || state == TaskState::blocked ||
           state == TaskState::sleeping;
}

// Copies `task` into `info` if it is a live spawned task. Interrupts off, from
// task_memory_block() on (see the top of the file for why each read is safe).
bool copy_if_live(const Task* task, TaskInfo& info) {
    // acquire: pairs with the release store (or acq_rel CAS) of whichever live state this
    // is; see "Filled in" above.
    const TaskState state = task->state.load(std::memory_order_acquire);
    if (!is_live(state) || task->id == 0) return false;
    info.id = task->id;
    for (size_t i = 0; i < sizeof info.name; ++i) info.name[i] = task->name[i];
    info.name[sizeof info.name - 1] = '\0';
    info.state = state;
    // Plain fields the task's owner writes (priority in set_priority, last_cpu at dispatch,
    // affinity under hotplug's widening): word-sized or copied whole, a torn or old value
    // only misleads this one line of `ps`.
    info.priority = task->priority;
    info.cpu = task->last_cpu;
    info.affinity = task->affinity;
    info.widened = task->widened;
    info.run_cycles = task->counters.run_cycles.get();
    return true;
}

// Puts `info` into out[0, count), which stays sorted by id and at most `max` long: the
// youngest falls off the end.
void insert_by_id(TaskInfo* out, size_t& count, size_t max, const TaskInfo& info) {
    size_t at = count;
    while (at > 0 && out[at - 1].id > info.id) --at;
    if (at >= max) return;
    const size_t last = count < max ? count : max - 1;
    for (size_t i = last; i > at; --i) out[i] = out[i - 1];
    out[at] = info;
    if (count < max) ++count;
}

}  // namespace

size_t snapshot(TaskInfo* out, size_t max, Totals& totals) {
    size_t copied = 0;
    totals = Totals{};
    for (size_t slot = next_task_memory_slot(0); slot != kNoTaskSlot; slot = next_task_memory_slot(slot + 1)) {
        TaskInfo info;
        {
            arch::InterruptGuard irq_off;  // the block's window: see the top of the file
            const Task* task = task_memory_block(slot);
            if (!task || !copy_if_live(task, info)) continue;
        }
        ++totals.tasks;
        ++totals.by_state[size_t(info.state)];
        insert_by_id(out, copied, max, info);
    }
    return copied;
}

}  // namespace sched::registry
