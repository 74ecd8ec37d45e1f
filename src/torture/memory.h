// The memory the torture must give back (check memory_returned): measured before the
// workload and again after it stopped, two grace periods passed and every cached task
// stack went back to mm.
#pragma once
#include <cstdint>

namespace torture {

struct MemorySnapshot {
    uint64_t free_frames = 0;
    uint64_t heap_bytes = 0;  // handed out by kmalloc and not freed
    uint64_t heap_class_pages = 0;  // frames the heap carved into size classes (kept for ever)
    uint64_t page_table_frames = 0;  // frames in page tables (kept for ever)
    uint64_t task_stacks = 0;  // kernel stack slots in use
};

// Drains the epochs twice (two grace periods on every CPU), trims the task-memory caches,
// then measures. Called by the controller with the workload stopped and joined.
MemorySnapshot settle_and_measure();
MemorySnapshot measure_now();  // racy, for progress lines

// Frames that should be free again: what the heap and the page tables kept legitimately
// (class pages and tables are never returned by design) is added back before comparing.
// Each difference is a failed memory_returned with its numbers. True when all hold.
bool check_returned(const MemorySnapshot& before, const MemorySnapshot& after);

}  // namespace torture
