// Multiboot2 boot information parser. The info block is a u32 total_size, a u32
// reserved word, then a chain of tags, each {u32 type, u32 size, payload} starting on an
// 8-byte boundary; `size` counts the tag header and payload but not the padding. The
// chain ends with a type-0 tag. Nothing here trusts a length: every tag is checked
// against both total_size and the span, every field against its tag.
#include <boot/multiboot2.h>
#include <lib/le_bytes.h>

namespace boot {
namespace {

constexpr size_t kInfoHeaderSize = 8;  // total_size, reserved
constexpr size_t kTagHeaderSize = 8;  // type, size
constexpr size_t kTagAlignment = 8;

enum TagType : uint32_t {
    tag_end = 0,
    tag_cmdline = 1,
    tag_bootloader_name = 2,
    tag_module = 3,
    tag_basic_meminfo = 4,
    tag_bios_boot_device = 5,
    tag_memory_map = 6,
    tag_vbe = 7,
    tag_framebuffer = 8,
    tag_elf_sections = 9,
    tag_apm = 10,
    tag_efi32_system_table = 11,
    tag_efi64_system_table = 12,
    tag_smbios = 13,
    tag_acpi_old_rsdp = 14,
    tag_acpi_new_rsdp = 15,
    tag_network = 16,
    tag_efi_memory_map = 17,
    tag_efi_boot_services = 18,
    tag_efi32_image_handle = 19,
    tag_efi64_image_handle = 20,
    tag_image_load_base = 21,
};

// Fixed layouts, as offsets from the start of the tag (header included).
constexpr size_t kMemoryMapEntriesOffset = 16;  // after entry_size, entry_version
constexpr size_t kMemoryMapMinEntrySize = 24;  // u64 base, u64 length, u32 type, u32 reserved
constexpr size_t kModuleStringOffset = 16;  // after mod_start, mod_end
// Framebuffer: u64 addr, u32 pitch, width, height, u8 bpp, u8 type, u16 reserved (GRUB's
// layout; the spec's prose once said u8 reserved), then the colour info.
constexpr size_t kFramebufferCommonSize = 32;
constexpr size_t kFramebufferRgbInfoSize = 6;
constexpr uint8_t kFramebufferTypeRgb = 1;
constexpr size_t kRsdpV1Size = 20;
constexpr size_t kRsdpV2Size = 36;
static_assert(sizeof(BootInfo::rsdp) == kRsdpV2Size);

constexpr size_t align_up(size_t value, size_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

// The string at the start of `payload` when a NUL ends it inside the payload, else null:
// a string that runs to the end of its tag would let a later strlen walk off the block.
const char* terminated_string(std::span<const uint8_t> payload) {
    for (uint8_t byte : payload) {
        if (byte == 0) return reinterpret_cast<const char*>(payload.data());
    }
    return nullptr;
}

class TagParser {
public:
    explicit TagParser(BootInfo& out) : m_out(out) {}

    // `tag` spans exactly the tag's `size` bytes, header included.
    void parse(uint32_t type, std::span<const uint8_t> tag) {
        switch (type) {
            case tag_cmdline:
                return parse_cmdline(tag);
            case tag_bootloader_name:
                return parse_bootloader_name(tag);
            case tag_module:
                return parse_module(tag);
            case tag_memory_map:
                return parse_memory_map(tag);
            case tag_framebuffer:
                return parse_framebuffer(tag);
            case tag_acpi_old_rsdp:
                return parse_rsdp(tag, kRsdpV1Size, false);
            case tag_acpi_new_rsdp:
                return parse_rsdp(tag, kRsdpV2Size, true);
            case tag_efi32_system_table:
            case tag_efi64_system_table:
            case tag_efi_memory_map:
            case tag_efi_boot_services:
            case tag_efi32_image_handle:
            case tag_efi64_image_handle:
                m_out.efi_boot = true;
                return;
            // Known, and not needed by this kernel.
            case tag_basic_meminfo:
            case tag_bios_boot_device:
            case tag_vbe:
            case tag_elf_sections:
            case tag_apm:
            case tag_smbios:
            case tag_network:
            case tag_image_load_base:
                return;
            default:
                ++m_out.unknown_tags;
                return;
        }
    }

private:
    void parse_cmdline(std::span<const uint8_t> tag) {
        const char* text = terminated_string(tag.subspan(kTagHeaderSize));
        if (!text) {
            m_out.cmdline = "";
            m_out.cmdline_unterminated = true;
            ++m_out.malformed_tags;
            return;
        }
        // The last cmdline tag wins; its flag must describe it, not an earlier one.
        m_out.cmdline = text;
        m_out.cmdline_unterminated = false;
    }

    void parse_bootloader_name(std::span<const uint8_t> tag) {
        const char* text = terminated_string(tag.subspan(kTagHeaderSize));
        if (!text) {
            m_out.bootloader_name = "";
            ++m_out.malformed_tags;
            return;
        }
        m_out.bootloader_name = text;
    }

    void parse_module(std::span<const uint8_t> tag) {
        if (tag.size() < kModuleStringOffset) {
            ++m_out.malformed_tags;
            return;
        }
        if (m_out.module_count == kMaxModules) {
            m_out.modules_truncated = true;
            return;
        }
        const char* text = terminated_string(tag.subspan(kModuleStringOffset));
        if (!text) {
            // The module itself is still described correctly; only its name is lost.
            ++m_out.malformed_tags;
            text = "";
        }
        m_out.modules[m_out.module_count++] = Module{
            .start = lib::load_le32(tag.data() + 8),
            .end = lib::load_le32(tag.data() + 12),
            .cmdline = text,
        };
    }

    void parse_memory_map(std::span<const uint8_t> tag) {
        if (tag.size() < kMemoryMapEntriesOffset) {
            ++m_out.malformed_tags;
            return;
        }
        // entry_size may grow in later versions of the format: step by it, read the
        // fields we know from the front of each entry.
        const size_t entry_size = lib::load_le32(tag.data() + 8);
        if (entry_size < kMemoryMapMinEntrySize) {
            ++m_out.malformed_tags;
            return;
        }
        const auto entries = tag.subspan(kMemoryMapEntriesOffset);
        if (entries.size() % entry_size != 0) ++m_out.malformed_tags;  // the whole entries are still good
        for (size_t offset = 0; entries.size() - offset >= entry_size; offset += entry_size) {
            if (m_out.memory_count == kMaxMemoryRegions) {
                m_out.memory_truncated = true;
                return;
            }
            const uint8_t* entry = entries.data() + offset;
            m_out.memory[m_out.memory_count++] = MemoryRegion{
                .base = lib::load_le64(entry),
                .length = lib::load_le64(entry + 8),
                .type = static_cast<MemoryType>(lib::load_le32(entry + 16)),
            };
        }
    }

    void parse_framebuffer(std::span<const uint8_t> tag) {
        if (tag.size() < kFramebufferCommonSize) {
            ++m_out.malformed_tags;
            return;
        }
        const uint8_t* p = tag.data();
        Framebuffer fb;
        fb.present = true;
        fb.phys_addr = lib::load_le64(p + 8);
        fb.pitch = lib::load_le32(p + 16);
        fb.width = lib::load_le32(p + 20);
        fb.height = lib::load_le32(p + 24);
        fb.bpp = p[28];
        fb.type = p[29];
        if (fb.type == kFramebufferTypeRgb) {
            if (tag.size() >= kFramebufferCommonSize + kFramebufferRgbInfoSize) {
                const uint8_t* colour = p + kFramebufferCommonSize;
                fb.red_pos = colour[0];
                fb.red_size = colour[1];
                fb.green_pos = colour[2];
                fb.green_size = colour[3];
                fb.blue_pos = colour[4];
                fb.blue_size = colour[5];
            } else {
                ++m_out.malformed_tags;  // usable geometry, unknown pixel layout
            }
        }
        m_out.framebuffer = fb;
    }

    // Tag 14 carries the 20-byte ACPI 1.0 RSDP, tag 15 the 36-byte ACPI 2.0+ one. The
    // newer one wins whatever the tag order. Validation of the contents is acpi's job.
    void parse_rsdp(std::span<const uint8_t> tag, size_t rsdp_size, bool is_new) {
        const auto payload = tag.subspan(kTagHeaderSize);
        if (payload.size() < rsdp_size) {
            ++m_out.malformed_tags;
            return;
        }
        if (!is_new && m_seen_new_rsdp) return;
        for (size_t i = 0; i < rsdp_size; ++i) m_out.rsdp[i] = payload[i];
        for (size_t i = rsdp_size; i < sizeof(m_out.rsdp); ++i) m_out.rsdp[i] = 0;
        m_out.rsdp_size = rsdp_size;
        m_seen_new_rsdp = m_seen_new_rsdp || is_new;
    }

    BootInfo& m_out;
    bool m_seen_new_rsdp = false;
};

// Everything the parser produces; info_phys belongs to the caller and is left alone.
void reset_parsed_fields(BootInfo& out) {
    out.error = ParseError::none;
    out.total_size = 0;
    out.cmdline = "";
    out.bootloader_name = "";
    out.memory_count = 0;
    out.memory_truncated = false;
    out.module_count = 0;
    for (uint8_t& byte : out.rsdp) byte = 0;
    out.rsdp_size = 0;
    out.framebuffer = Framebuffer{};
    out.efi_boot = false;
    out.unknown_tags = 0;
    out.malformed_tags = 0;
    out.cmdline_unterminated = false;
    out.modules_truncated = false;
}

// `info` is the block (header included) as far as it may be read.
void walk_tags(std::span<const uint8_t> info, BootInfo& out) {
    TagParser parser(out);
    size_t offset = kInfoHeaderSize;
    for (;;) {
        if (info.size() - offset < kTagHeaderSize) {
            // Ran out of bytes (exactly or mid-header) without meeting the end tag.
            out.error = ParseError::no_end_tag;
            return;
        }
        const uint32_t type = lib::load_le32(info.data() + offset);
        const uint32_t size = lib::load_le32(info.data() + offset + 4);
        if (size < kTagHeaderSize) {
            // Cannot even hold its own header: the next tag's position is meaningless.
            out.error = ParseError::misaligned;
            return;
        }
        if (size > info.size() - offset) {
            out.error = ParseError::tag_overruns;
            return;
        }
        if (type == tag_end) return;
        parser.parse(type, info.subspan(offset, size));
        // Checked here, not at the top of the loop: the padding may be cut off by
        // total_size, and `info.size() - offset` must never wrap.
        const size_t next = offset + align_up(size, kTagAlignment);
        if (next >= info.size()) {
            out.error = ParseError::no_end_tag;
            return;
        }
        offset = next;
    }
}

}  // namespace

void parse_multiboot2(std::span<const uint8_t> bytes, BootInfo& out) {
    reset_parsed_fields(out);
    if (bytes.size() < kInfoHeaderSize) {
        out.error = ParseError::too_short;
        return;
    }
    const uint32_t total_size = lib::load_le32(bytes.data());
    out.total_size = total_size;
    if (total_size < kInfoHeaderSize) {
        out.error = ParseError::bad_total_size;
        return;
    }
    // A block claiming more than the caller could map is still walked as far as the
    // span goes: the memory map usually comes early, and without it the kernel cannot
    // boot at all. The error stays bad_total_size, the root cause, whatever the cut-off
    // tag then looks like. Bytes past total_size are never read.
    const bool cut_short = total_size > bytes.size();
    const auto info = cut_short ? bytes : bytes.first(total_size);
    walk_tags(info, out);
    if (cut_short) out.error = ParseError::bad_total_size;
}

const char* to_string(ParseError e) {
    switch (e) {
        case ParseError::none:
            return "ok";
        case ParseError::too_short:
            return "info block shorter than its 8-byte header";
        case ParseError::bad_total_size:
            return "total_size smaller than the header or larger than the block";
        case ParseError::tag_overruns:
            return "a tag runs past the end of the block";
        case ParseError::misaligned:
            return "a tag size is smaller than the tag header";
        case ParseError::no_end_tag:
            return "no end tag";
    }
    return "unknown error";
}

}  // namespace boot
