#include "sched/kernel/task_memory.h"

#include <atomic>
#include <cstddef>
#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/spinlock.h"
#include "mm/kstack.h"
#include "smp/smp.h"

namespace sched {

detail::CpuCache detail::g_cpu_cache[kMaxCpus];

namespace {

using detail::construct_task;
using detail::CpuCache;
using detail::FreeStack;
using detail::g_cpu_cache;
using detail::kTaskBytes;

static_assert(alignof(Task) <= 64);
static_assert(kTaskBytes < kTaskStackPages * 4096 / 4, "the Task must leave most of the stack for the task");
static_assert(sizeof(FreeStack) <= kTaskBytes);
// A cached block keeps its last Task's `dead` state under the header, which `ps`'s walk
// (registry.cpp) relies on to skip it. (offsetof on Task: GCC supports it for non-virtual
// bases, which is all Task has.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winvalid-offsetof"
static_assert(offsetof(Task, state) >= sizeof(FreeStack), "the cache's header would overwrite the dead state");
#pragma GCC diagnostic pop

// Twice a batch of 32 tasks: a CPU that spawns 32 and frees them a reclamation later
// (fork-join, bench=spawn) keeps them here. With a cap of 32 it spilled to the pool and
// refilled from it every ~35 tasks (11 instructions per spawn+exit, docs/benchmarks.md).
constexpr uint32_t kCpuCacheCap = 64;

// The spill pool: rare (a CPU whose cache is full or empty), so a spinlock is fine here.
Spinlock g_pool_lock;
FreeStack* g_pool = nullptr;
// relaxed: statistics for cached_task_memory().
std::atomic<size_t> g_pool_count{0};

FreeStack* header_at(uint64_t top) { return reinterpret_cast<FreeStack*>(top - kTaskBytes); }

// One bit per kernel-stack slot: set while the slot holds task memory (live or cached), from
// its fresh allocation until trim_task_memory() unmaps it. Neither spawn nor exit touches
// it; only `ps`'s walk reads it.
constexpr size_t kSlotWords = mm::kKernelStackSlots / 64;
std::atomic<uint64_t> g_task_slots[kSlotWords];

void mark_task_slot(const mm::KernelStack& stack) {
    const size_t slot = mm::kernel_stack_slot(stack);
    // release: pairs with the acquire load in task_memory_block(): a walker that sees the
    // bit sees the stack's mapping and the Task constructed in it (state `created`).
    g_task_slots[slot / 64].fetch_or(uint64_t(1) << (slot % 64), std::memory_order_release);
}

void clear_task_slot(const mm::KernelStack& stack) {
    const size_t slot = mm::kernel_stack_slot(stack);
    // relaxed: trim_task_memory()'s IPI round after it orders it before the unmapping (the
    // release CAS of call_on's push, acquired by each CPU's drain).
    g_task_slots[slot / 64].fetch_and(~(uint64_t(1) << (slot % 64)), std::memory_order_relaxed);
}

// The trim's IPI round: a CPU takes it only where interrupts are on, so any
// task_memory_block() window it was in has ended.
void no_walker_left(void*) {}

// Refills and spills move kCpuCacheCap / 2 stacks per pool lock hold: memory flows from
// the CPUs where tasks exit to those where they are spawned (stealing), and one lock hold
// per task made the pool lock a point every such task crossed twice.
constexpr uint32_t kPoolBatch = kCpuCacheCap / 2;

FreeStack* pop_cached() {
    arch::InterruptGuard irq_off;
    CpuCache& cache = g_cpu_cache[arch::this_cpu()->index];
    if (!cache.head) {
        SpinlockLocker guard(g_pool_lock);
        uint32_t n = 0;
        while (g_pool && n < kPoolBatch) {
            FreeStack* s = g_pool;
            g_pool = s->next;
            s->next = cache.head;
            cache.head = s;
            ++n;
        }
        cache.count += n;
        g_pool_count.fetch_sub(n, std::memory_order_relaxed);  // relaxed: statistics
    }
    FreeStack* s = cache.head;
    if (s) {
        cache.head = s->next;
        --cache.count;
    }
    return s;
}

void push_pool_chain(FreeStack* first, FreeStack* last, size_t n) {
    SpinlockLocker guard(g_pool_lock);
    last->next = g_pool;
    g_pool = first;
    g_pool_count.fetch_add(n, std::memory_order_relaxed);
}

// Runs on each CPU (call-function IPI, interrupts off): hands its cache to the pool.
void spill_cpu_cache(void*) {
    CpuCache& cache = g_cpu_cache[arch::this_cpu()->index];
    if (!cache.head) return;
    FreeStack* last = cache.head;
    while (last->next) last = last->next;
    push_pool_chain(cache.head, last, cache.count);
    cache.head = nullptr;
    cache.count = 0;
}

void flush_local_tlb(void*) { arch::write_cr3(arch::read_cr3()); }

}  // namespace

Task* detail::allocate_uncached_task_memory() {
    if (FreeStack* s = pop_cached()) {
        uint64_t bottom = s->bottom, top = s->top;
        return construct_task(bottom, top);
    }
    mm::KernelStack stack = mm::alloc_kernel_stack(kTaskStackPages);
    if (!stack.valid()) return nullptr;
    Task* task = construct_task(stack.bottom, stack.top);
    mark_task_slot(stack);
    return task;
}

void free_task_memory(Task* task) {
    uint64_t bottom = task->stack.bottom, top = task->stack.top;
    task->~Task();
    FreeStack* s = header_at(top);
    s->bottom = bottom;
    s->top = top;
    arch::InterruptGuard irq_off;
    CpuCache& cache = g_cpu_cache[arch::this_cpu()->index];
    s->next = cache.head;
    cache.head = s;
    if (++cache.count <= kCpuCacheCap) return;
    // Full: the newest kPoolBatch (this one first) go to the pool in one chain.
    FreeStack* last = s;
    for (uint32_t i = 1; i < kPoolBatch; ++i) last = last->next;
    cache.head = last->next;
    cache.count -= kPoolBatch;
    push_pool_chain(s, last, kPoolBatch);
}

void spill_this_cpu_task_memory() { spill_cpu_cache(nullptr); }

size_t trim_task_memory() {
    smp::call_on_all(&spill_cpu_cache, nullptr, true);
    FreeStack* list;
    {
        IrqSaveLocker guard(g_pool_lock);
        list = g_pool;
        g_pool = nullptr;
        g_pool_count.store(0, std::memory_order_relaxed);
    }
    // Out of `ps`'s walk before the unmapping: clear the slots, then wait until every CPU
    // has had interrupts on (a walker looks at a block only with interrupts off).
    for (FreeStack* s = list; s; s = s->next) clear_task_slot(mm::KernelStack{s->bottom, s->top});
    if (list) smp::call_on_all(&no_walker_left, nullptr, true);
    size_t released = 0;
    while (list) {
        FreeStack* next = list->next;
        mm::free_kernel_stack(mm::KernelStack{list->bottom, list->top});
        list = next;
        ++released;
    }
    if (released) smp::call_on_all(&flush_local_tlb, nullptr, true);
    return released;
}

size_t next_task_memory_slot(size_t from) {
    for (size_t word = from / 64; word < kSlotWords; ++word) {
        // relaxed: a hint; task_memory_block() loads the bit again with acquire.
        uint64_t bits = g_task_slots[word].load(std::memory_order_relaxed);
        if (word == from / 64) bits &= ~uint64_t(0) << (from % 64);
        if (bits) return word * 64 + size_t(__builtin_ctzll(bits));
    }
    return kNoTaskSlot;
}

const Task* task_memory_block(size_t slot) {
    if (slot >= mm::kKernelStackSlots) return nullptr;
    // acquire: pairs with the release fetch_or in mark_task_slot().
    if (!(g_task_slots[slot / 64].load(std::memory_order_acquire) & (uint64_t(1) << (slot % 64)))) return nullptr;
    return reinterpret_cast<const Task*>(mm::kernel_stack_top(slot) - kTaskBytes);
}

size_t cached_task_memory() {
    size_t n = g_pool_count.load(std::memory_order_relaxed);
    for (const CpuCache& c : g_cpu_cache) n += c.count;  // racy by design
    return n;
}

}  // namespace sched
