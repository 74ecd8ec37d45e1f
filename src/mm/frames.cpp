// Physical frames: one bit per 4 KiB frame (1 = in use) from 0 up to the end of the
// highest usable region, plus a separate small set for the usable pages below 1 MiB,
// which only alloc_low_frame() hands out (the AP trampoline must live there).
//
// Everything starts "in use"; usable regions are then freed, and every non-usable region
// and every reserved range (kernel image, boot info, modules, the bitmap itself) is marked
// used again, so overlapping or odd memory maps err on the side of not handing out memory.
#include "mm/frames.h"

#include <bit>

#include "arch/x86_64/cpu.h"
#include "lib/fault_inject.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/spinlock.h"
#include "mm/layout.h"

extern "C" const char _kernel_start[], _kernel_end[];

namespace mm {
namespace {

constexpr uint64_t kLowMemoryEnd = 1ull << 20;
constexpr uint64_t kLowFrames = kLowMemoryEnd / kPageSize;  // 256
constexpr uint64_t kMaxPhysical = 1ull << 40;  // 1 TiB: ignore anything above
constexpr uint64_t kBootMapEnd = 4ull << 30;  // boot tables map the low 4 GiB
constexpr size_t kMaxReserved = 7 + kMaxLoaderRanges;  // + the kernel image, the bitmap, spare

struct Range {
    uint64_t base, end;
};

Spinlock g_lock;  // guards everything below after frames_init
uint64_t* g_bitmap = nullptr;  // through the direct map
size_t g_frame_limit = 0;  // frames covered by the bitmap
size_t g_free = 0;
size_t g_total = 0;  // free frames after frames_init (the console's `mem`)
size_t g_search_hint = 0;  // no free frame below this index
uint64_t g_low_free[kLowFrames / 64];  // 1 = free usable page below 1 MiB
uint64_t g_memory_end = 0;

Range g_reserved[kMaxReserved];
size_t g_reserved_count = 0;

// Saturating: a region whose length runs past 2^64 ends at the top of the address space.
uint64_t region_end(const MemoryRegion& r) { return r.base + r.length < r.base ? ~0ull : r.base + r.length; }

bool test_bit(size_t i) { return g_bitmap[i / 64] >> (i % 64) & 1; }
void set_bit(size_t i) { g_bitmap[i / 64] |= 1ull << (i % 64); }
void clear_bit(size_t i) { g_bitmap[i / 64] &= ~(1ull << (i % 64)); }

void reserve(uint64_t base, uint64_t end) {
    if (end <= base) return;
    if (g_reserved_count == kMaxReserved) panic("frames: too many reserved ranges");
    g_reserved[g_reserved_count++] = {align_down(base, kPageSize), align_up(end, kPageSize)};
}

// Marks [base, end) used (outward to whole pages) or free (inward), in both sets.
void mark(uint64_t base, uint64_t end, bool used) {
    uint64_t cap = uint64_t(g_frame_limit) * kPageSize;
    if (end > cap) end = cap;
    if (base >= end) return;
    uint64_t first = (used ? align_down(base, kPageSize) : align_up(base, kPageSize)) / kPageSize;
    uint64_t last = (used ? align_up(end, kPageSize) : align_down(end, kPageSize)) / kPageSize;
    for (uint64_t f = first; f < last; ++f) {
        if (f < kLowFrames) {
            if (used)
                g_low_free[f / 64] &= ~(1ull << (f % 64));
            else if (f != 0)
                g_low_free[f / 64] |= 1ull << (f % 64);  // page 0 stays unused
        } else if (f < g_frame_limit) {
            if (used)
                set_bit(f);
            else
                clear_bit(f);
        } else {
            break;
        }
    }
}

// A page-aligned run of `bytes` in usable memory between 1 MiB and 4 GiB (reachable
// through the boot direct map) that overlaps no reserved range.
std::optional<uint64_t> find_bitmap_home(std::span<const MemoryRegion> map, uint64_t bytes) {
    for (const MemoryRegion& region : map) {
        if (region.type != MemoryType::usable) continue;
        uint64_t end = region_end(region);
        end = align_down(end < kBootMapEnd ? end : kBootMapEnd, kPageSize);
        uint64_t candidate = align_up(region.base > kLowMemoryEnd ? region.base : kLowMemoryEnd, kPageSize);
        while (candidate + bytes <= end) {
            bool moved = false;
            for (size_t i = 0; i < g_reserved_count; ++i) {
                if (candidate < g_reserved[i].end && g_reserved[i].base < candidate + bytes) {
                    candidate = g_reserved[i].end;
                    moved = true;
                }
            }
            if (!moved) return candidate;
        }
    }
    return std::nullopt;
}

void zero_frames(uint64_t phys, size_t count) { memset(phys_to_virt(phys), 0, count * kPageSize); }

// Lowest run of `count` free frames with index in [from, limit); requires g_lock.
std::optional<size_t> find_free_run(size_t from, size_t limit, size_t count) {
    size_t run = 0;
    for (size_t i = from; i < limit; ++i) {
        // Skip whole used words quickly when not inside a run.
        if (run == 0 && i % 64 == 0 && i + 64 <= limit && g_bitmap[i / 64] == ~0ull) {
            i += 63;
            continue;
        }
        if (test_bit(i))
            run = 0;
        else if (++run == count)
            return i + 1 - count;
    }
    return std::nullopt;
}

std::optional<uint64_t> allocate(size_t count, uint64_t limit) {
    if (fault::should_fail(fault::Site::frames)) return std::nullopt;  // fail=frames:N (torture only)
    std::optional<size_t> first;
    {
        IrqSaveLocker guard(g_lock);
        size_t limit_frames = limit / kPageSize < g_frame_limit ? limit / kPageSize : g_frame_limit;
        if (g_free < count) return std::nullopt;
        first = find_free_run(g_search_hint, limit_frames, count);
        if (!first) return std::nullopt;
        for (size_t i = *first; i < *first + count; ++i) set_bit(i);
        g_free -= count;
        if (count == 1 && *first == g_search_hint) g_search_hint = *first + 1;
    }
    uint64_t phys = uint64_t(*first) * kPageSize;
    zero_frames(phys, count);
    return phys;
}

}  // namespace

void frames_init(std::span<const MemoryRegion> map, std::span<const PhysRange> in_use) {
    // Reserved ranges that live inside usable memory.
    reserve(kernel_virt_to_phys(_kernel_start), kernel_virt_to_phys(_kernel_end));
    for (const PhysRange& range : in_use) reserve(range.base, range.end);

    uint64_t usable_end = 0;
    for (const MemoryRegion& region : map) {
        uint64_t end = region_end(region);
        if (end > kMaxPhysical) end = kMaxPhysical;
        // Reserved ranges can be far-away holes (QEMU reports one just below 1 TiB on
        // AMD CPUs); RAM and firmware tables are what the direct map must cover.
        bool ram = region.type == MemoryType::usable || region.type == MemoryType::acpi_reclaimable ||
                   region.type == MemoryType::acpi_nvs;
        if (ram && end > g_memory_end) g_memory_end = end;
        if (region.type == MemoryType::usable && end > usable_end) usable_end = end;
    }
    if (usable_end <= kLowMemoryEnd) panic("frames: the memory map has no usable memory above 1 MiB");

    g_frame_limit = align_down(usable_end, kPageSize) / kPageSize;
    uint64_t bitmap_bytes = align_up(align_up(g_frame_limit, 64) / 8, kPageSize);
    std::optional<uint64_t> home = find_bitmap_home(map, bitmap_bytes);
    if (!home) panic("frames: no room for the %llu-byte frame bitmap below 4 GiB", (unsigned long long)bitmap_bytes);
    reserve(*home, *home + bitmap_bytes);
    g_bitmap = phys_to_ptr<uint64_t>(*home);
    memset(g_bitmap, 0xff, bitmap_bytes);

    for (const MemoryRegion& region : map) {
        if (region.type == MemoryType::usable) mark(region.base, region_end(region), false);
    }
    for (const MemoryRegion& region : map) {
        if (region.type != MemoryType::usable) mark(region.base, region_end(region), true);
    }
    for (size_t i = 0; i < g_reserved_count; ++i) mark(g_reserved[i].base, g_reserved[i].end, true);

    g_free = 0;
    for (size_t i = kLowFrames; i < g_frame_limit; ++i) g_free += !test_bit(i);
    g_total = g_free;
    g_search_hint = kLowFrames;
    size_t low_free = 0;
    for (uint64_t f = 1; f < kLowFrames; ++f) low_free += g_low_free[f / 64] >> (f % 64) & 1;
    log_info("frames: %zu free (%zu MiB), %zu low pages for the trampoline, bitmap at 0x%llx (%llu KiB)", g_free,
             g_free * kPageSize >> 20, low_free, (unsigned long long)*home, (unsigned long long)(bitmap_bytes >> 10));
}

std::optional<uint64_t> alloc_frame() { return allocate(1, ~0ull); }
std::optional<uint64_t> alloc_frames(size_t count) { return count == 0 ? std::nullopt : allocate(count, ~0ull); }
std::optional<uint64_t> alloc_frame_below(uint64_t limit) { return allocate(1, limit); }

void free_frame(uint64_t phys) {
    if (phys % kPageSize != 0) panic("free_frame: 0x%llx is not page aligned", (unsigned long long)phys);
    size_t index = phys / kPageSize;
    IrqSaveLocker guard(g_lock);
    if (index < kLowFrames) {
        uint64_t bit = 1ull << (index % 64);
        if (g_low_free[index / 64] & bit)
            panic("free_frame: double free of low frame 0x%llx", (unsigned long long)phys);
        g_low_free[index / 64] |= bit;
        return;
    }
    if (index >= g_frame_limit) panic("free_frame: 0x%llx is outside managed memory", (unsigned long long)phys);
    if (!test_bit(index)) panic("free_frame: double free of frame 0x%llx", (unsigned long long)phys);
    clear_bit(index);
    ++g_free;
    if (index < g_search_hint) g_search_hint = index;
}

void free_frames(uint64_t phys, size_t count) {
    for (size_t i = 0; i < count; ++i) free_frame(phys + i * kPageSize);
}

std::optional<uint64_t> alloc_low_frame() {
    uint64_t phys = 0;
    {
        IrqSaveLocker guard(g_lock);
        for (size_t w = 0; w < kLowFrames / 64 && phys == 0; ++w) {
            if (g_low_free[w] == 0) continue;
            size_t bit = size_t(std::countr_zero(g_low_free[w]));
            g_low_free[w] &= ~(1ull << bit);
            phys = (w * 64 + bit) * kPageSize;
        }
    }
    if (phys == 0) return std::nullopt;
    zero_frames(phys, 1);
    return phys;
}

uint64_t physical_memory_end() { return g_memory_end; }

size_t total_frame_count() { return g_total; }

size_t free_frame_count() {
    IrqSaveLocker guard(g_lock);
    return g_free;
}

}  // namespace mm
