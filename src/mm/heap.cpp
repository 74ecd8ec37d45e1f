// Kernel heap on top of the frame allocator, reached through the direct map.
//
// Small blocks (up to 1 KiB) come from size-class pages: a 4 KiB page carved into blocks
// of one power-of-two size, with a header in the first block-aligned slot of the page. Blocks are
// naturally aligned to their size, so an alignment request is met by picking a class at
// least that large. Freed blocks go on their class's free list; class pages are kept.
//
// Large blocks get their own physically contiguous frames: a header page-aligned at the
// start, the block at base + max(64, align), returned to the frame allocator on kfree.
//
// kfree finds the header at align_down(p - 1, 4 KiB) in both cases: a small block never
// starts at offset 0 of its page (the header is there), and a large block starts at
// most one page after its header.
#include "mm/heap.h"

#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "lib/fault_inject.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/spinlock.h"
#include "mm/frames.h"
#include "mm/layout.h"

namespace mm {
namespace {

constexpr uint32_t kSmallMagic = 0x534d4c4c;  // "SMLL"
constexpr uint32_t kLargeMagic = 0x4c524745;  // "LRGE"
constexpr size_t kMinClassShift = 4;  // 16 bytes
constexpr size_t kMaxClassShift = 10;  // 1 KiB
constexpr size_t kClassCount = kMaxClassShift - kMinClassShift + 1;
constexpr size_t kLargeOffsetMin = 64;
constexpr uint8_t kPoison = 0xdf;

struct PageHeader {
    uint32_t magic;
    uint32_t class_shift;  // small pages
    uint64_t run_phys;  // large blocks: the frames to return on kfree
    uint64_t frame_count;
};
static_assert(sizeof(PageHeader) <= kLargeOffsetMin);

struct FreeBlock {
    FreeBlock* next;
};

Spinlock g_lock;
FreeBlock* g_free_lists[kClassCount];
bool g_ready = false;
// For heap_stats(): what callers hold (a small block counts its whole class size, a large
// one its frames) and the frames carved into class pages, which are never given back.
// relaxed: statistics; the torture reads them only once the workload has stopped.
std::atomic<uint64_t> g_bytes_in_use{0};
std::atomic<uint64_t> g_class_pages{0};

size_t class_shift_for(size_t size, size_t align) {
    size_t need = size > align ? size : align;
    size_t shift = kMinClassShift;
    while ((size_t(1) << shift) < need) ++shift;
    return shift;
}

// Carves a fresh page into blocks of 2^shift bytes; requires g_lock.
bool refill(size_t shift) {
    std::optional<uint64_t> frame = alloc_frame();
    if (!frame) return false;
    g_class_pages.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    auto* page = static_cast<uint8_t*>(phys_to_virt(*frame));
    auto* header = reinterpret_cast<PageHeader*>(page);
    header->magic = kSmallMagic;
    header->class_shift = uint32_t(shift);
    size_t block = size_t(1) << shift;
    size_t first = align_up(sizeof(PageHeader), block);
    FreeBlock*& list = g_free_lists[shift - kMinClassShift];
    for (size_t off = kPageSize - block; off >= first; off -= block) {
        auto* b = reinterpret_cast<FreeBlock*>(page + off);
        b->next = list;
        list = b;
    }
    return true;
}

void* alloc_small(size_t shift) {
    IrqSaveLocker guard(g_lock);
    FreeBlock*& list = g_free_lists[shift - kMinClassShift];
    if (list == nullptr && !refill(shift)) return nullptr;
    FreeBlock* b = list;
    list = b->next;
    g_bytes_in_use.fetch_add(size_t(1) << shift, std::memory_order_relaxed);  // relaxed: a statistic
    return b;
}

void* alloc_large(size_t size, size_t align) {
    size_t offset = align > kLargeOffsetMin ? align_up(align, kPageSize) : kLargeOffsetMin;
    if (size > (size_t(1) << 40)) return nullptr;
    size_t frames = align_up(offset + size, kPageSize) / kPageSize;
    // Alignment above a page: over-allocate, then place the header one page before an
    // aligned address inside the run. The unused frames stay with the block until kfree.
    size_t extra = align > kPageSize ? align / kPageSize : 0;
    std::optional<uint64_t> run = alloc_frames(frames + extra);
    if (!run) return nullptr;
    uint64_t base = reinterpret_cast<uint64_t>(phys_to_virt(*run));
    uint64_t block = align > kPageSize ? align_up(base + kPageSize, align) : base + offset;
    auto* header = reinterpret_cast<PageHeader*>(align_down(block - 1, kPageSize));
    header->magic = kLargeMagic;
    header->class_shift = 0;
    header->run_phys = *run;
    header->frame_count = frames + extra;
    g_bytes_in_use.fetch_add((frames + extra) * kPageSize, std::memory_order_relaxed);  // relaxed: a statistic
    return reinterpret_cast<void*>(block);
}

}  // namespace

void heap_init() {
    g_ready = true;
    log_info("heap: size classes %u..%u bytes, larger blocks take whole frames", 1u << kMinClassShift,
             1u << kMaxClassShift);
}

void* kmalloc(size_t size, size_t align) {
    if (!g_ready) return nullptr;
    if (size == 0) size = 1;
    if (align == 0 || (align & (align - 1)) != 0) return nullptr;  // not a power of two
    if (fault::should_fail(fault::Site::heap)) return nullptr;  // fail=heap:N (torture only)
    size_t shift = class_shift_for(size, align);
    if (shift <= kMaxClassShift) return alloc_small(shift);
    return alloc_large(size, align);
}

void kfree(void* p) {
    if (p == nullptr) return;
    uint64_t addr = reinterpret_cast<uint64_t>(p);
    auto* header = reinterpret_cast<PageHeader*>(align_down(addr - 1, kPageSize));
    if (addr < kDirectMapBase || addr >= kKernelStackBase) panic("kfree: %p is not a heap pointer", p);
    if (header->magic == kSmallMagic) {
        size_t shift = header->class_shift;
        if (shift < kMinClassShift || shift > kMaxClassShift || addr % (size_t(1) << shift) != 0)
            panic("kfree: %p is not a block start (class %zu)", p, shift);
        // Poison all but the link so a use after free reads garbage, not stale data.
        memset(static_cast<uint8_t*>(p) + sizeof(FreeBlock), kPoison, (size_t(1) << shift) - sizeof(FreeBlock));
        g_bytes_in_use.fetch_sub(size_t(1) << shift, std::memory_order_relaxed);  // relaxed: a statistic
        IrqSaveLocker guard(g_lock);
        FreeBlock*& list = g_free_lists[shift - kMinClassShift];
        auto* b = static_cast<FreeBlock*>(p);
        b->next = list;
        list = b;
        return;
    }
    if (header->magic == kLargeMagic) {
        uint64_t run = header->run_phys, frames = header->frame_count;
        header->magic = 0;  // a second kfree of this block now panics below
        g_bytes_in_use.fetch_sub(frames * kPageSize, std::memory_order_relaxed);  // relaxed: a statistic
        free_frames(run, frames);
        return;
    }
    panic("kfree: %p has no heap header (double free or wild pointer)", p);
}

HeapStats heap_stats() {
    // relaxed: statistics (see their declaration).
    return {g_bytes_in_use.load(std::memory_order_relaxed), g_class_pages.load(std::memory_order_relaxed)};
}

}  // namespace mm
