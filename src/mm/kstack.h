// Kernel stacks in their own virtual region, each with an unmapped guard page below.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mm {
struct KernelStack {
    uint64_t bottom = 0;  // lowest mapped address (guard page is just below)
    uint64_t top = 0;  // initial stack pointer (exclusive end)
    bool valid() const { return top != 0; }
};
KernelStack alloc_kernel_stack(size_t pages = 4);  // !valid() on out of memory
void free_kernel_stack(const KernelStack& s);  // frames go back to the allocator
bool is_guard_page(uint64_t virt);  // for fault reports

// Slot numbers, for a caller that keeps one record per stack (task memory's slot bitmap,
// which `ps` walks): every stack alloc_kernel_stack() returns is in one of
// kKernelStackSlots slots, and a slot's stack always has the same top.
constexpr size_t kKernelStackSlots = 16384;
size_t kernel_stack_slot(const KernelStack& s);  // s from alloc_kernel_stack()
uint64_t kernel_stack_top(size_t slot);  // the `top` of any stack allocated in that slot

// Slots in use now and the most in use at once since the last reset (task stacks, so
// roughly the live tasks plus the task-memory caches): how much memory a workload's
// parallelism holds. Read under the allocator's lock, so the pair is consistent.
struct KernelStackStats {
    size_t in_use = 0;
    size_t peak = 0;
};
KernelStackStats kernel_stack_stats();
void reset_kernel_stack_peak();  // peak := in_use
}  // namespace mm
