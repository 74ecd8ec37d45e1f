// Physical frame allocator (4 KiB frames) built from the multiboot2 memory map.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "mm/memory_map.h"

namespace mm {

// At most this many `in_use` ranges (the boot information block and the modules).
constexpr size_t kMaxLoaderRanges = 9;

// Builds the allocator from the loader's memory map, reserving the kernel image, the
// `in_use` ranges, ACPI regions and the first 1 MiB (kept for the AP trampoline, which is
// handed out by alloc_low_frame()).
void frames_init(std::span<const MemoryRegion> map, std::span<const PhysRange> in_use);

std::optional<uint64_t> alloc_frame();  // zeroed, physical address
std::optional<uint64_t> alloc_frames(size_t count);  // physically contiguous, zeroed
void free_frame(uint64_t phys);
void free_frames(uint64_t phys, size_t count);
// A free usable page below 1 MiB taken from the memory map (for the SMP trampoline).
std::optional<uint64_t> alloc_low_frame();

// Like alloc_frame(), but the frame lies below `limit` (page tables: the AP trampoline
// loads CR3 in 32-bit mode, so every page-table frame must be below 4 GiB).
std::optional<uint64_t> alloc_frame_below(uint64_t limit);
// One past the highest RAM address in the memory map (usable, ACPI reclaimable, ACPI
// NVS); the direct map covers at least this.
uint64_t physical_memory_end();

size_t free_frame_count();
size_t total_frame_count();  // the frames free when the allocator started

}  // namespace mm
