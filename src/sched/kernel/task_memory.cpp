#include "sched/kernel/task_memory.h"

#include <atomic>
#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/spinlock.h"
#include "mm/kstack.h"
#include "smp/smp.h"

namespace sched {
namespace {

constexpr uint64_t kTaskBytes = (sizeof(Task) + 63) & ~uint64_t(63);
static_assert(alignof(Task) <= 64);
static_assert(kTaskBytes < kTaskStackPages * 4096 / 4, "the Task must leave most of the stack for the task");

// A cached stack is linked through a small header where its Task was.
struct FreeStack {
    FreeStack* next;
    uint64_t bottom, top;
};
static_assert(sizeof(FreeStack) <= kTaskBytes);

constexpr uint32_t kCpuCacheCap = 32;

// Owner only, interrupts off: no lock.
struct alignas(64) CpuCache {
    FreeStack* head = nullptr;
    uint32_t count = 0;
};
CpuCache g_cpu_cache[kMaxCpus];

// The spill pool: rare (a CPU whose cache is full or empty), so a spinlock is fine here.
Spinlock g_pool_lock;
FreeStack* g_pool = nullptr;
// relaxed: statistics for cached_task_memory().
std::atomic<size_t> g_pool_count{0};

FreeStack* header_at(uint64_t top) { return reinterpret_cast<FreeStack*>(top - kTaskBytes); }

Task* construct_task(uint64_t bottom, uint64_t top) {
    // top is page-aligned, so the Task is 64-aligned as its type requires. Default-
    // initialized: every member has its initializer, so `Task()`'s extra zeroing of the
    // whole object first (a 48-iteration rep stosq) bought nothing.
    Task* task = new (reinterpret_cast<void*>(top - kTaskBytes)) Task;
    task->stack = StackRange{bottom, top};
    return task;
}

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

Task* allocate_task_memory() {
    if (FreeStack* s = pop_cached()) {
        uint64_t bottom = s->bottom, top = s->top;
        return construct_task(bottom, top);
    }
    mm::KernelStack stack = mm::alloc_kernel_stack(kTaskStackPages);
    if (!stack.valid()) return nullptr;
    return construct_task(stack.bottom, stack.top);
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

size_t cached_task_memory() {
    size_t n = g_pool_count.load(std::memory_order_relaxed);
    for (const CpuCache& c : g_cpu_cache) n += c.count;  // racy by design
    return n;
}

}  // namespace sched
