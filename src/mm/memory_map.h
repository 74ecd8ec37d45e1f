// The physical memory map as the boot loader reports it: the frame allocator's input.
// Plain types; the multiboot2 parser fills them in (boot::MemoryRegion is this type).
#pragma once
#include <cstdint>

namespace mm {

enum class MemoryType : uint32_t { usable = 1, reserved = 2, acpi_reclaimable = 3, acpi_nvs = 4, bad = 5 };

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    MemoryType type;
};

// [base, end): memory the loader handed over that is still in use (its information
// block, modules), wherever the map calls it usable.
struct PhysRange {
    uint64_t base;
    uint64_t end;
};

}  // namespace mm
