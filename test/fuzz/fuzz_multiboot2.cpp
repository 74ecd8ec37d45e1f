// libFuzzer target: boot::parse_multiboot2 over arbitrary info blocks. Beyond "no crash"
// (ASan/UBSan watch every read), the result is checked against an independent walk of
// the tag chain written from the multiboot2 spec: every memory region and module the
// parser reports is the entry at that position inside a tag inside total_size, in
// order, capped at its array; the cmdline and RSDP are those of the tag that wins;
// every string handed out is NUL-terminated inside the block.
#include "fuzz_check.h"
#include <boot/multiboot2.h>
#include <vector>

namespace {

struct Tag {
    uint32_t type;
    std::span<const uint8_t> bytes;  // header included, exactly `size` long
};

// The spec's chain: 8-byte header, then tags on 8-byte boundaries, each at least its
// 8-byte header long and inside the block, up to the type-0 end tag. Returns whether
// the end tag was reached.
bool walk(std::span<const uint8_t> info, std::vector<Tag>& tags)
{
    for (size_t offset = 8; info.size() - offset >= 8;) {
        const uint32_t type = fuzz::le32(info, offset), size = fuzz::le32(info, offset + 4);
        if (size < 8 || size > info.size() - offset)
            return false;
        if (type == 0)
            return true;
        tags.push_back({ type, info.subspan(offset, size) });
        offset += (size + 7) & ~size_t { 7 };
        if (offset >= info.size())
            return false;
    }
    return false;
}

// The parser's own "" (outside the input) or a string whose NUL lies inside the bytes
// total_size covers: the kernel calls strlen on these.
void check_string(const char* text, std::span<const uint8_t> info)
{
    if (!fuzz::inside(text, info)) {
        FUZZ_CHECK(text[0] == '\0');
        return;
    }
    const auto* start = reinterpret_cast<const uint8_t*>(text);
    FUZZ_CHECK(std::memchr(start, 0, static_cast<size_t>(info.data() + info.size() - start)) != nullptr);
}

bool has_nul(std::span<const uint8_t> bytes)
{
    return std::memchr(bytes.data(), 0, bytes.size()) != nullptr;
}

void check_memory_map(const boot::BootInfo& info, const std::vector<Tag>& tags)
{
    size_t expected = 0;
    for (const Tag& tag : tags) {
        if (tag.type != 6 || tag.bytes.size() < 16)
            continue;
        const size_t entry_size = fuzz::le32(tag.bytes, 8);
        if (entry_size < 24)
            continue;
        for (size_t at = 16; tag.bytes.size() - at >= entry_size; at += entry_size, ++expected) {
            if (expected >= boot::kMaxMemoryRegions)
                continue;
            const boot::MemoryRegion& region = info.memory[expected];
            FUZZ_CHECK(region.base == fuzz::le64(tag.bytes, at));
            FUZZ_CHECK(region.length == fuzz::le64(tag.bytes, at + 8));
            FUZZ_CHECK(static_cast<uint32_t>(region.type) == fuzz::le32(tag.bytes, at + 16));
        }
    }
    FUZZ_CHECK(info.memory_count == (expected < boot::kMaxMemoryRegions ? expected : boot::kMaxMemoryRegions));
    FUZZ_CHECK(info.memory_truncated == (expected > boot::kMaxMemoryRegions));
}

void check_modules(const boot::BootInfo& info, const std::vector<Tag>& tags)
{
    size_t expected = 0;
    for (const Tag& tag : tags) {
        if (tag.type != 3 || tag.bytes.size() < 16)
            continue;
        if (expected < boot::kMaxModules) {
            const boot::Module& module = info.modules[expected];
            FUZZ_CHECK(module.start == fuzz::le32(tag.bytes, 8) && module.end == fuzz::le32(tag.bytes, 12));
            const auto name = tag.bytes.subspan(16);
            if (has_nul(name))
                FUZZ_CHECK(module.cmdline == reinterpret_cast<const char*>(name.data()));
            else
                FUZZ_CHECK(module.cmdline[0] == '\0');
        }
        ++expected;
    }
    FUZZ_CHECK(info.module_count == (expected < boot::kMaxModules ? expected : boot::kMaxModules));
    FUZZ_CHECK(info.modules_truncated == (expected > boot::kMaxModules));
}

// The last cmdline tag wins; the newest usable RSDP tag (15 over 14) wins.
void check_cmdline_and_rsdp(const boot::BootInfo& info, const std::vector<Tag>& tags)
{
    const Tag* cmdline = nullptr;
    const Tag* rsdp = nullptr;
    for (const Tag& tag : tags) {
        if (tag.type == 1)
            cmdline = &tag;
        if ((tag.type == 15 && tag.bytes.size() >= 8 + 36) || (tag.type == 14 && tag.bytes.size() >= 8 + 20))
            rsdp = rsdp && rsdp->type == 15 && tag.type == 14 ? rsdp : &tag;
    }
    if (!cmdline) {
        FUZZ_CHECK(info.cmdline[0] == '\0' && !info.cmdline_unterminated);
    } else if (has_nul(cmdline->bytes.subspan(8))) {
        FUZZ_CHECK(info.cmdline == reinterpret_cast<const char*>(cmdline->bytes.data() + 8));
        FUZZ_CHECK(!info.cmdline_unterminated);
    } else {
        FUZZ_CHECK(info.cmdline[0] == '\0' && info.cmdline_unterminated);
    }
    const size_t rsdp_size = !rsdp ? 0 : rsdp->type == 15 ? 36 : 20;
    FUZZ_CHECK(info.rsdp_size == rsdp_size);
    if (rsdp)
        FUZZ_CHECK(std::memcmp(info.rsdp, rsdp->bytes.data() + 8, rsdp_size) == 0);
    for (size_t i = rsdp_size; i < sizeof info.rsdp; ++i)
        FUZZ_CHECK(info.rsdp[i] == 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // Starts dirty, so every input on its own shows a result the parser forgot to
    // reset (a stale pointer is non-canonical and faults when read).
    static boot::BootInfo info;
    std::memset(static_cast<void*>(&info), 0xA5, sizeof info);
    const std::span<const uint8_t> bytes(data, size);
    boot::parse_multiboot2(bytes, info);

    if (size < 8) {
        FUZZ_CHECK(info.error == boot::ParseError::too_short);
        return 0;
    }
    const uint32_t total_size = fuzz::le32(bytes, 0);
    FUZZ_CHECK(info.total_size == total_size);
    if (total_size < 8) {
        FUZZ_CHECK(info.error == boot::ParseError::bad_total_size);
        FUZZ_CHECK(info.memory_count == 0 && info.module_count == 0 && info.rsdp_size == 0);
        return 0;
    }
    // Nothing past total_size (nor past the span) may be handed out.
    const auto block = bytes.first(total_size < size ? total_size : size);
    std::vector<Tag> tags;
    const bool ended = walk(block, tags);
    FUZZ_CHECK((info.error == boot::ParseError::none) == (ended && total_size <= size));
    if (total_size > size)
        FUZZ_CHECK(info.error == boot::ParseError::bad_total_size);

    check_memory_map(info, tags);
    check_modules(info, tags);
    check_cmdline_and_rsdp(info, tags);
    check_string(info.cmdline, block);
    check_string(info.bootloader_name, block);
    for (size_t i = 0; i < info.module_count; ++i)
        check_string(info.modules[i].cmdline, block);
    FUZZ_CHECK(!info.cmdline_unterminated || info.malformed_tags > 0);
    return 0;
}
