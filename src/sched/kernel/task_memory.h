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
#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "sched/model/task.h"

namespace sched {

constexpr size_t kTaskStackPages = 4;  // 16 KiB, guard page below

// The per-CPU cache, here so that allocate_task_memory()'s cache hit (every spawn but
// the first few) is inline in spawn(); everything else is task_memory.cpp's.
namespace detail {
constexpr uint64_t kTaskBytes = (sizeof(Task) + 63) & ~uint64_t(63);
// A cached stack is linked through a small header where its Task was.
struct FreeStack {
    FreeStack* next;
    uint64_t bottom, top;
};
// Owner only, interrupts off: no lock.
struct alignas(64) CpuCache {
    FreeStack* head = nullptr;
    uint32_t count = 0;
};
extern CpuCache g_cpu_cache[kMaxCpus];
// allocate_task_memory() when this CPU's cache is empty: a batch from the shared pool,
// else a fresh stack.
Task* allocate_uncached_task_memory();

inline Task* construct_task(uint64_t bottom, uint64_t top) {
    // top is page-aligned, so the Task is 64-aligned as its type requires. Default-
    // initialized: every member has its initializer, so `Task()`'s extra zeroing of the
    // whole object first (a 48-iteration rep stosq) bought nothing.
    Task* task = new (reinterpret_cast<void*>(top - kTaskBytes)) Task;
    task->stack = StackRange{bottom, top};
    return task;
}
}  // namespace detail

// A default-constructed Task at the top of a stack (cached or fresh), with `stack` filled
// in; nullptr when out of memory (frames or stack slots). Any context, any IF.
inline Task* allocate_task_memory() {
    uint64_t bottom, top;
    {
        arch::InterruptGuard irq_off;
        detail::CpuCache& cache = detail::g_cpu_cache[arch::this_cpu()->index];
        detail::FreeStack* s = cache.head;
        if (!s) return detail::allocate_uncached_task_memory();
        cache.head = s->next;
        --cache.count;
        bottom = s->bottom;
        top = s->top;
    }
    return detail::construct_task(bottom, top);
}

// spawn()'s cache hit: a stack from this CPU's cache, its Task yet to be built at
// task_block(stack); false when the cache is empty (then allocate_task_memory(), with
// interrupts as the task had them: a refill may wait for other CPUs). Interrupts off: the
// caller's guard, which goes on to cover the placement (one guard for both).
inline bool take_cached_stack(StackRange& stack, const arch::InterruptGuard&) {
    detail::CpuCache& cache = detail::g_cpu_cache[arch::this_cpu()->index];
    detail::FreeStack* s = cache.head;
    if (!s) return false;
    cache.head = s->next;
    --cache.count;
    stack = StackRange{s->bottom, s->top};
    return true;
}
// Where the Task of a stack goes (64-aligned: top is page-aligned).
inline void* task_block(const StackRange& stack) { return reinterpret_cast<void*>(stack.top - detail::kTaskBytes); }
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

// All task memory, slot by slot, for `ps` (registry.cpp), which finds the live tasks by
// looking at every Task there is instead of keeping a list that spawn and exit would pay
// for. A slot (mm::kernel_stack_slot) holds task memory from its first allocation until
// trim_task_memory() returns it to mm; its Task-sized block is then a live Task, a dead
// one, one being built, or a cached stack's header over a destroyed one. Telling which is
// the caller's job (registry.cpp says how).
constexpr size_t kNoTaskSlot = ~size_t(0);
// The first slot >= `from` that holds task memory, or kNoTaskSlot. Racy: a hint for the loop.
size_t next_task_memory_slot(size_t from);
// The Task-sized block of `slot`, or nullptr if the slot holds no task memory. The caller
// keeps interrupts off from this call until it is done with the block: trim_task_memory()
// waits for every CPU to take an IPI between clearing a slot and unmapping it, so the
// block stays mapped until then.
const Task* task_memory_block(size_t slot);

}  // namespace sched
