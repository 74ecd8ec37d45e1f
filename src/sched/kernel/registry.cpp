#include "sched/kernel/registry.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "lib/spinlock.h"

namespace sched::registry {
namespace {

struct alignas(64) List {
    Spinlock lock;
    Task* head = nullptr;  // newest first
    Task* tail = nullptr;
};
List g_lists[kMaxCpus];

}  // namespace

void add(Task* task, uint32_t cpu) {
    List& list = g_lists[cpu];
    task->registry_list = uint16_t(cpu);
    SpinlockLocker guard(list.lock);
    task->registry_prev = nullptr;
    task->registry_next = list.head;
    if (list.head)
        list.head->registry_prev = task;
    else
        list.tail = task;
    list.head = task;
}

void remove(Task* task) {
    if (task->registry_list == Task::kNoRegistry) return;  // init: never added
    List& list = g_lists[task->registry_list];
    SpinlockLocker guard(list.lock);
    if (task->registry_prev)
        task->registry_prev->registry_next = task->registry_next;
    else
        list.head = task->registry_next;
    if (task->registry_next)
        task->registry_next->registry_prev = task->registry_prev;
    else
        list.tail = task->registry_prev;
    task->registry_next = task->registry_prev = nullptr;
    task->registry_list = Task::kNoRegistry;
}

size_t snapshot(TaskInfo* out, size_t max, Totals& totals) {
    size_t copied = 0;
    totals = Totals{};
    for (uint32_t cpu = 0; cpu < kMaxCpus; ++cpu) {
        List& list = g_lists[cpu];
        arch::InterruptGuard irq_off;  // exit() takes the lock with interrupts off too
        SpinlockLocker guard(list.lock);
        // Oldest first: from the tail back.
        for (const Task* task = list.tail; task; task = task->registry_prev) {
            // relaxed: a display of a live task (it cannot leave the list while we hold
            // the lock, so its memory stays); the value may be a moment old.
            const TaskState state = task->state.load(std::memory_order_relaxed);
            ++totals.tasks;
            ++totals.by_state[size_t(state)];
            if (copied == max) continue;
            TaskInfo& info = out[copied++];
            info.id = task->id;
            for (size_t i = 0; i < sizeof info.name; ++i) info.name[i] = task->name[i];
            info.name[sizeof info.name - 1] = '\0';
            info.state = state;
            info.priority = task->priority;
            // Plain fields the task's owner writes (last_cpu at dispatch, affinity under
            // hotplug's widening): word-sized or copied whole, a torn or old value only
            // misleads this one line of `ps`.
            info.cpu = task->last_cpu;
            info.affinity = task->affinity;
            info.widened = task->widened;
            info.run_cycles = task->counters.run_cycles.get();
        }
    }
    return copied;
}

}  // namespace sched::registry
