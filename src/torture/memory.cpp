#include "torture/memory.h"

#include "lib/log.h"
#include "mm/frames.h"
#include "mm/heap.h"
#include "mm/kstack.h"
#include "mm/paging.h"
#include "sched/scheduler.h"
#include "torture/checks.h"
#include "torture/sched_probe.h"

namespace torture {

MemorySnapshot measure_now() {
    MemorySnapshot m;
    m.free_frames = mm::free_frame_count();
    mm::HeapStats heap = mm::heap_stats();
    m.heap_bytes = heap.bytes_in_use;
    m.heap_class_pages = heap.class_pages;
    m.page_table_frames = mm::page_table_frames();
    m.task_stacks = mm::kernel_stack_stats().in_use;
    return m;
}

MemorySnapshot settle_and_measure() {
    // Two grace periods: a dead task's memory is freed two epochs after its retire, and the
    // free of a task can retire a deque buffer of its own.
    for (int i = 0; i < 2; ++i) {
        if (!sched::drain_reclaim()) log_warn("torture: garbage still pending after a drain round");
    }
    release_task_memory();
    return measure_now();
}

bool check_returned(const MemorySnapshot& before, const MemorySnapshot& after) {
    bool ok = true;
    // Frames kept by design during the run: new class pages and new page tables.
    uint64_t kept =
        (after.heap_class_pages - before.heap_class_pages) + (after.page_table_frames - before.page_table_frames);
    if (after.free_frames + kept != before.free_frames) {
        fail(Check::memory_returned,
             "free frames %llu before, %llu after (+%llu kept in heap class pages and page tables)",
             (unsigned long long)before.free_frames, (unsigned long long)after.free_frames, (unsigned long long)kept);
        ok = false;
    }
    if (after.heap_bytes != before.heap_bytes) {
        fail(Check::memory_returned, "heap bytes in use %llu before, %llu after", (unsigned long long)before.heap_bytes,
             (unsigned long long)after.heap_bytes);
        ok = false;
    }
    if (after.task_stacks != before.task_stacks) {
        fail(Check::memory_returned, "task stacks in use %llu before, %llu after",
             (unsigned long long)before.task_stacks, (unsigned long long)after.task_stacks);
        ok = false;
    }
    return ok;
}

}  // namespace torture
