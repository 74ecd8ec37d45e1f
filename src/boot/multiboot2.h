// Multiboot2 boot information, parsed from the bytes GRUB hands over. Pure: the parser
// reads only the span it is given, checks every length against it, skips unknown tags,
// and is unit-tested on the host (test/parsers/).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace boot {

constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;

enum class MemoryType : uint32_t { usable = 1, reserved = 2, acpi_reclaimable = 3, acpi_nvs = 4, bad = 5 };

struct MemoryRegion {
    uint64_t base;
    uint64_t length;
    MemoryType type;
};

struct Framebuffer {
    bool present = false;
    uint64_t phys_addr = 0;
    uint32_t pitch = 0, width = 0, height = 0;
    uint8_t bpp = 0;
    uint8_t type = 0;  // 0 indexed, 1 RGB, 2 EGA text
    uint8_t red_pos = 0, red_size = 0, green_pos = 0, green_size = 0, blue_pos = 0, blue_size = 0;
};

struct Module {
    uint64_t start, end;
    const char* cmdline;
};

constexpr size_t kMaxMemoryRegions = 128;
constexpr size_t kMaxModules = 8;

enum class ParseError { none, too_short, bad_total_size, tag_overruns, misaligned, no_end_tag };

struct BootInfo {
    ParseError error = ParseError::none;
    uint64_t info_phys = 0;     // where the info block itself lives (reserved by frames_init)
    uint32_t total_size = 0;
    const char* cmdline = "";   // points into the info block (NUL-terminated, checked)
    const char* bootloader_name = "";
    MemoryRegion memory[kMaxMemoryRegions];
    size_t memory_count = 0;
    bool memory_truncated = false;  // more regions than kMaxMemoryRegions
    Module modules[kMaxModules];
    size_t module_count = 0;
    // ACPI RSDP copied out of the tag: new (v2, XSDP) preferred over old (v1).
    uint8_t rsdp[36] = {};
    size_t rsdp_size = 0;       // 0: no RSDP tag; 20: v1; 36: v2
    Framebuffer framebuffer;
    bool efi_boot = false;      // EFI system table tag or EFI boot services tag seen
    uint32_t unknown_tags = 0;
    // Known tags whose payload was unusable (too short for its fixed fields, an
    // unterminated string, mmap entry_size < 24); each was skipped or read as empty.
    uint32_t malformed_tags = 0;
    bool cmdline_unterminated = false;  // the cmdline tag had no NUL: cmdline is "" instead
    bool modules_truncated = false;     // more modules than kMaxModules
};

// `bytes` is the whole info block (its first u32 is total_size). Returns the parsed
// info; on malformed input sets `error` and keeps what was parsed before the fault.
void parse_multiboot2(std::span<const uint8_t> bytes, BootInfo& out);
const char* to_string(ParseError e);

} // namespace boot
