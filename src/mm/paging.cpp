// The kernel's one address space (all CPUs share the PML4):
//   PML4[256..]  direct map of physical memory, RW + NX, 1 GiB or 2 MiB pages
//   PML4[384]    kernel stacks (4 KiB pages, see kstack.cpp)
//   PML4[511]    kernel image at -2 GiB, 4 KiB pages, permissions per section (W^X)
// Every page-table frame comes from below 4 GiB, because the AP trampoline loads CR3
// while still in 32-bit mode. Device memory is remapped uncached by map_mmio(), which
// splits a large direct-map page when it has to.
#include "mm/paging.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/spinlock.h"
#include "mm/frames.h"
#include "mm/layout.h"

extern "C" const char _kernel_start[], _kernel_end[];
extern "C" const char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern "C" const char _data_start[], _bss_end[], _ksyms_start[];
extern "C" const char boot_stack_guard[];

namespace mm {
namespace {

constexpr uint64_t kPresent = 1ull << 0;
constexpr uint64_t kHuge = 1ull << 7;
constexpr uint64_t kAddressMask = 0x000ffffffffff000ull;
constexpr uint64_t kPageTableLimit = 4ull << 30;
constexpr uint64_t kGiB = 1ull << 30, k2MiB = 1ull << 21;
constexpr size_t kMaxEarlyMmio = 8;
constexpr uint64_t kMaxPhysicalForMmio = 1ull << 46;  // the direct map window is 64 TiB

Spinlock g_lock;  // serializes changes to the page tables
uint64_t g_pml4_phys = 0;
uint64_t g_nx_mask = 0;  // kPageNoExecute when the CPU has NX, else 0 (the bit would be reserved)
bool g_gib_pages = false;
bool g_ready = false;  // paging_init() has switched to our tables

struct MmioRange {
    uint64_t phys, size;
};
MmioRange g_early_mmio[kMaxEarlyMmio];
size_t g_early_mmio_count = 0;

uint64_t* table_at(uint64_t phys) { return phys_to_ptr<uint64_t>(phys); }

uint64_t index_at(uint64_t virt, int level) { return (virt >> (12 + 9 * (level - 1))) & 511; }
uint64_t page_size_at(int level) { return 1ull << (12 + 9 * (level - 1)); }

// relaxed: a statistic (page_table_frames()); tables are never freed, so it only grows.
std::atomic<uint64_t> g_table_frames{0};

uint64_t new_table_frame() {
    std::optional<uint64_t> frame = alloc_frame_below(kPageTableLimit);
    if (!frame) return 0;
    g_table_frames.fetch_add(1, std::memory_order_relaxed);
    return *frame;
}

// Replaces the huge page in `entry` (at `level`, 3 or 2) by a table of pages one level
// down with the same flags. Returns false when no frame is available.
bool split(uint64_t* entry, int level) {
    uint64_t table = new_table_frame();
    if (table == 0) return false;
    uint64_t child_size = page_size_at(level - 1);
    uint64_t base = *entry & kAddressMask & ~(page_size_at(level) - 1);
    uint64_t flags = *entry & ~kAddressMask & ~kHuge;
    uint64_t* children = table_at(table);
    for (uint64_t i = 0; i < 512; ++i) children[i] = (base + i * child_size) | flags | (level - 1 > 1 ? kHuge : 0);
    *entry = table | kPresent | kPageWrite;
    arch::write_cr3(arch::read_cr3());  // drop the stale large-page translations
    return true;
}

// The entry for `virt` at `level` (1: 4 KiB PTE, 2: 2 MiB PDE, 3: 1 GiB PDPTE), creating
// missing tables and splitting huge pages on the way. nullptr when out of frames.
uint64_t* walk_create(uint64_t pml4, uint64_t virt, int level) {
    uint64_t* table = table_at(pml4);
    for (int l = 4; l > level; --l) {
        uint64_t* entry = &table[index_at(virt, l)];
        if (!(*entry & kPresent)) {
            uint64_t frame = new_table_frame();
            if (frame == 0) return nullptr;
            *entry = frame | kPresent | kPageWrite;
        } else if (*entry & kHuge) {
            if (!split(entry, l)) return nullptr;
        }
        table = table_at(*entry & kAddressMask);
    }
    return &table[index_at(virt, level)];
}

uint64_t leaf_flags(uint64_t flags) { return kPresent | (flags & ~uint64_t(kPageNoExecute)) | (flags & g_nx_mask); }

void map_range(uint64_t pml4, uint64_t virt, uint64_t phys, uint64_t size, uint64_t flags, int level) {
    uint64_t step = page_size_at(level);
    for (uint64_t off = 0; off < size; off += step) {
        uint64_t* entry = walk_create(pml4, virt + off, level);
        if (entry == nullptr) panic("paging: out of memory for page tables");
        *entry = (phys + off) | leaf_flags(flags) | (level > 1 ? kHuge : 0);
    }
}

void map_kernel_section(uint64_t pml4, const char* start, const char* end, uint64_t flags) {
    uint64_t guard = reinterpret_cast<uint64_t>(boot_stack_guard);
    for (uint64_t v = align_down(reinterpret_cast<uint64_t>(start), kPageSize); v < reinterpret_cast<uint64_t>(end);
         v += kPageSize) {
        if (v == guard) continue;  // the boot stack's guard page stays unmapped
        map_range(pml4, v, kernel_virt_to_phys(reinterpret_cast<const void*>(v)), kPageSize, flags, 1);
    }
}

void map_uncached(uint64_t pml4, uint64_t phys, uint64_t size) {
    uint64_t first = align_down(phys, kPageSize);
    uint64_t last = align_up(phys + size, kPageSize);
    map_range(pml4, kDirectMapBase + first, first, last - first,
              kPageWrite | kPageNoExecute | kPageNoCache | kPageWriteThrough, 1);
}

}  // namespace

void paging_init() {
    arch::CpuidRegs ext = arch::cpuid(0x80000001);
    g_nx_mask = (ext.edx & (1u << 20)) ? uint64_t(kPageNoExecute) : 0;
    g_gib_pages = ext.edx & (1u << 26);

    uint64_t pml4 = new_table_frame();
    if (pml4 == 0) panic("paging: no frame for the PML4");

    // Direct map: every physical address up to the end of the memory map, and at least
    // the low 4 GiB so 32-bit device ranges are reachable for map_mmio() to refine.
    uint64_t end = physical_memory_end();
    if (end < (4ull << 30)) end = 4ull << 30;
    int level = g_gib_pages ? 3 : 2;
    uint64_t step = g_gib_pages ? kGiB : k2MiB;
    end = align_up(end, step);
    map_range(pml4, kDirectMapBase, 0, end, kPageWrite | kPageNoExecute, level);

    // Kernel image, W^X: code is never writable, data never executable.
    map_kernel_section(pml4, _text_start, _text_end, 0);
    map_kernel_section(pml4, _rodata_start, _rodata_end, kPageNoExecute);
    map_kernel_section(pml4, _data_start, _bss_end, kPageWrite | kPageNoExecute);
    map_kernel_section(pml4, _ksyms_start, _kernel_end, kPageNoExecute);

    for (size_t i = 0; i < g_early_mmio_count; ++i) map_uncached(pml4, g_early_mmio[i].phys, g_early_mmio[i].size);

    // The identity map of the boot tables is gone from here on.
    arch::write_cr3(pml4);
    {
        IrqSaveLocker guard(g_lock);
        g_pml4_phys = pml4;
        g_ready = true;
    }
    log_info("paging: direct map 0..0x%llx with %s pages, kernel W^X, NX %s, PML4 at 0x%llx", (unsigned long long)end,
             g_gib_pages ? "1 GiB" : "2 MiB", g_nx_mask ? "on" : "unsupported", (unsigned long long)pml4);
}

uint64_t kernel_cr3() { return g_pml4_phys; }

bool map_page(uint64_t virt, uint64_t phys, uint64_t flags) {
    KASSERT(g_ready);
    IrqSaveLocker guard(g_lock);
    uint64_t* entry = walk_create(g_pml4_phys, virt, 1);
    if (entry == nullptr) return false;
    *entry = align_down(phys, kPageSize) | leaf_flags(flags);
    arch::invlpg(virt);
    return true;
}

void unmap_page(uint64_t virt) {
    KASSERT(g_ready);
    IrqSaveLocker guard(g_lock);
    uint64_t* table = table_at(g_pml4_phys);
    for (int l = 4; l >= 1; --l) {
        uint64_t* entry = &table[index_at(virt, l)];
        if (!(*entry & kPresent)) return;
        if (l == 1) {
            *entry = 0;
            arch::invlpg(virt);
            return;
        }
        if ((*entry & kHuge) && !split(entry, l))
            panic("paging: out of memory splitting a page to unmap 0x%llx", (unsigned long long)virt);
        table = table_at(*entry & kAddressMask);
    }
}

void* map_mmio(uint64_t phys, size_t size) {
    if (size == 0 || phys + size < phys || phys + size > kMaxPhysicalForMmio) return nullptr;
    IrqSaveLocker guard(g_lock);
    if (!g_ready) {
        // Before paging_init the boot tables map the low 4 GiB cacheable; remember the range
        // so paging_init maps it uncached in the final tables.
        if (phys + size > (4ull << 30) || g_early_mmio_count == kMaxEarlyMmio) return nullptr;
        g_early_mmio[g_early_mmio_count++] = {phys, size};
        return phys_to_virt(phys);
    }
    map_uncached(g_pml4_phys, phys, size);
    for (uint64_t v = align_down(phys, kPageSize); v < phys + size; v += kPageSize) arch::invlpg(kDirectMapBase + v);
    return phys_to_virt(phys);
}

// Lock-free walk of the live tables (the panic path uses it to vet frame pointers): it
// only reads, and a concurrent change can at worst make it report a stale answer.
uint64_t virt_to_phys(uint64_t virt) {
    uint64_t* table = table_at(arch::read_cr3() & kAddressMask);
    for (int l = 4; l >= 1; --l) {
        uint64_t entry = table[index_at(virt, l)];
        if (!(entry & kPresent)) return ~0ull;
        if (l == 1 || (entry & kHuge)) {
            uint64_t size = page_size_at(l);
            return (entry & kAddressMask & ~(size - 1)) + (virt & (size - 1));
        }
        table = table_at(entry & kAddressMask);
    }
    return ~0ull;
}

uint64_t page_table_frames() { return g_table_frames.load(std::memory_order_relaxed); }  // relaxed: a statistic

}  // namespace mm
