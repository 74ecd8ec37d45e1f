// Kernel stacks live in fixed 1 MiB slots of their own region; a stack occupies `pages`
// pages near the top of its slot (up to kColours pages lower, see below) and everything
// else stays unmapped, so running off the bottom hits at least one guard page (the whole
// rest of the slot, in fact).
#include "mm/kstack.h"

#include "arch/x86_64/cpu.h"
#include "lib/spinlock.h"
#include "mm/frames.h"
#include "mm/layout.h"
#include "mm/paging.h"

namespace mm {
namespace {

constexpr uint64_t kSlotSize = 1ull << 20;
// 16 GiB of stack address space, so 16384 live stacks: bench=sched's UTS T3 keeps more
// than 4096 tasks alive at 4 CPUs (help-first fork-join holds every spawned child until
// its join). Physical memory runs out first on small guests; both fail the same way.
constexpr size_t kSlotCount = kKernelStackSlots;
// Colouring: the stack in slot s ends (s % kColours) pages below the slot's top. Without it
// every stack top, and so every Task (which sits there), had the same address modulo
// 1 MiB: the same set in every physically-indexed cache level that uses address bits
// below 20, and the same entry of QEMU's direct-mapped software TLB, so a CPU switching
// among a few dozen tasks missed on each one. With it, spawn+exit at 1 CPU ran 1.3-1.4x
// faster under TCG and stopped depending on the boot's history (2026-11-29).
constexpr size_t kColours = 32;
constexpr size_t kMaxStackPages = kSlotSize / kPageSize - 1 - kColours;

Spinlock g_lock;
uint16_t g_slot_pages[kSlotCount];  // mapped pages per slot; 0 = slot free
size_t g_next_hint = 0;
size_t g_in_use = 0;  // under g_lock, as the two below
size_t g_peak = 0;

uint64_t slot_top(size_t slot) { return kKernelStackBase + (slot + 1) * kSlotSize; }
uint64_t stack_top(size_t slot) { return slot_top(slot) - (slot % kColours) * kPageSize; }
// The slot a stack's top (exclusive end, at most the slot's top) belongs to.
size_t slot_of_top(uint64_t top) { return (top - 1 - kKernelStackBase) / kSlotSize; }

std::optional<size_t> claim_slot(size_t pages) {
    IrqSaveLocker guard(g_lock);
    for (size_t n = 0; n < kSlotCount; ++n) {
        size_t slot = (g_next_hint + n) % kSlotCount;
        if (g_slot_pages[slot] == 0) {
            g_slot_pages[slot] = uint16_t(pages);
            g_next_hint = slot + 1;
            if (++g_in_use > g_peak) g_peak = g_in_use;
            return slot;
        }
    }
    return std::nullopt;
}

void release(uint64_t bottom, uint64_t top, size_t slot) {
    for (uint64_t v = bottom; v < top; v += kPageSize) {
        uint64_t phys = virt_to_phys(v);
        if (phys == ~0ull) continue;
        unmap_page(v);
        free_frame(phys);
    }
    IrqSaveLocker guard(g_lock);
    g_slot_pages[slot] = 0;
    --g_in_use;
    // Lowest free slot first (every slot below the hint is in use): a spawn/exit churn
    // reuses the same few slots, so the page tables under the region stop growing.
    if (slot < g_next_hint) g_next_hint = slot;
}

}  // namespace

KernelStack alloc_kernel_stack(size_t pages) {
    if (pages == 0 || pages > kMaxStackPages) return {};
    std::optional<size_t> slot = claim_slot(pages);
    if (!slot) return {};
    uint64_t top = stack_top(*slot);
    uint64_t bottom = top - pages * kPageSize;
    for (uint64_t v = bottom; v < top; v += kPageSize) {
        std::optional<uint64_t> frame = alloc_frame();
        if (!frame || !map_page(v, *frame, kPageWrite | kPageNoExecute)) {
            if (frame) free_frame(*frame);
            release(bottom, v, *slot);
            return {};
        }
    }
    return KernelStack{bottom, top};
}

void free_kernel_stack(const KernelStack& s) {
    if (!s.valid()) return;
    size_t slot = slot_of_top(s.top);
    // Other CPUs may still hold TLB entries for these pages; stacks are freed only after
    // their owner is gone, and no other CPU ever touched them, so no shootdown is needed.
    release(s.bottom, s.top, slot);
}

size_t kernel_stack_slot(const KernelStack& s) { return slot_of_top(s.top); }
uint64_t kernel_stack_top(size_t slot) { return stack_top(slot); }

KernelStackStats kernel_stack_stats() {
    IrqSaveLocker guard(g_lock);
    return KernelStackStats{g_in_use, g_peak};
}

void reset_kernel_stack_peak() {
    IrqSaveLocker guard(g_lock);
    g_peak = g_in_use;
}

bool is_guard_page(uint64_t virt) {
    if (virt < kKernelStackBase || virt >= kKernelStackBase + kSlotCount * kSlotSize) return false;
    size_t slot = (virt - kKernelStackBase) / kSlotSize;
    // Racy read on the fault path is fine: the answer only labels a report.
    size_t pages = g_slot_pages[slot];
    return pages != 0 && virt < stack_top(slot) - pages * kPageSize;
}

}  // namespace mm
