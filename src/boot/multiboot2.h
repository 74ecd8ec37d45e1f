// Multiboot2 boot information, parsed from the bytes GRUB hands over. Pure: the parser
// reads only the span it is given, checks every length against it, skips unknown tags,
// and is unit-tested on the host (test/parsers/).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "drivers/framebuffer_info.h"
#include "mm/memory_map.h"

namespace boot {

constexpr uint32_t kMultiboot2BootloaderMagic = 0x36d76289;

// The parser writes straight into the types of the layers that consume them.
using MemoryType = mm::MemoryType;
using MemoryRegion = mm::MemoryRegion;
using Framebuffer = fbcon::FramebufferInfo;

struct Module {
    uint64_t start, end;
    const char* cmdline;
};

constexpr size_t kMaxMemoryRegions = 128;
constexpr size_t kMaxModules = 8;

enum class ParseError { none, too_short, bad_total_size, tag_overruns, misaligned, no_end_tag };

struct BootInfo {
    ParseError error = ParseError::none;
    uint64_t info_phys = 0;  // where the info block itself lives (reserved by frames_init)
    uint32_t total_size = 0;
    const char* cmdline = "";  // points into the info block (NUL-terminated, checked)
    const char* bootloader_name = "";
    MemoryRegion memory[kMaxMemoryRegions];
    size_t memory_count = 0;
    bool memory_truncated = false;  // more regions than kMaxMemoryRegions
    Module modules[kMaxModules];
    size_t module_count = 0;
    // ACPI RSDP copied out of the tag: new (v2, XSDP) preferred over old (v1).
    uint8_t rsdp[36] = {};
    size_t rsdp_size = 0;  // 0: no RSDP tag; 20: v1; 36: v2
    Framebuffer framebuffer;
    bool efi_boot = false;  // EFI system table tag or EFI boot services tag seen
    uint32_t unknown_tags = 0;
    // Known tags whose payload was unusable (too short for its fixed fields, an
    // unterminated string, mmap entry_size < 24); each was skipped or read as empty.
    uint32_t malformed_tags = 0;
    bool cmdline_unterminated = false;  // the cmdline tag had no NUL: cmdline is "" instead
    bool modules_truncated = false;  // more modules than kMaxModules
};

// `bytes` is the whole info block (its first u32 is total_size). Returns the parsed
// info; on malformed input sets `error` and keeps what was parsed before the fault.
void parse_multiboot2(std::span<const uint8_t> bytes, BootInfo& out);
const char* to_string(ParseError e);

}  // namespace boot
