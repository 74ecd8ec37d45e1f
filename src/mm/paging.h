// Kernel page tables: direct map + W^X kernel image + kernel stacks + MMIO.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mm {

enum PageFlags : uint64_t {
    kPageWrite = 1ull << 1,
    kPageUser = 1ull << 2,
    kPageWriteThrough = 1ull << 3,
    kPageNoCache = 1ull << 4,
    kPageNoExecute = 1ull << 63,
};

void paging_init();  // builds and loads the final kernel page tables (after frames_init)
uint64_t kernel_cr3();  // physical address of the kernel PML4 (APs load it)

// Maps one 4 KiB page; returns false when a page-table frame cannot be allocated.
bool map_page(uint64_t virt, uint64_t phys, uint64_t flags);
void unmap_page(uint64_t virt);
// Uncached mapping of a device range (LAPIC, IOAPIC, HPET...) in the direct map.
void* map_mmio(uint64_t phys, size_t size);
// Physical address a virtual address maps to, or ~0 when unmapped.
uint64_t virt_to_phys(uint64_t virt);
// Frames taken for page tables since boot (tables are never freed): new kernel stacks in
// fresh 2 MiB regions of the stack area take some, and they stay.
uint64_t page_table_frames();

}  // namespace mm
