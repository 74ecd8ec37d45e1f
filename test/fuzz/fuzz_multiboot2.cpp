// libFuzzer target: boot::parse_multiboot2 over arbitrary info blocks. Beyond "no crash"
// (ASan/UBSan watch every read), it checks what the parser promises its caller: counts
// within their arrays, every string it hands out NUL-terminated inside the block, the
// RSDP copy one of the two sizes, and a clean result only for a block that fits.
#include "fuzz_check.h"
#include <boot/multiboot2.h>

namespace {

// The parser's own "" (outside the input) or a string whose NUL lies inside the bytes
// total_size covers: the kernel calls strlen on these.
void check_string(const char* text, std::span<const uint8_t> info)
{
    if (!fuzz::inside(text, info)) {
        FUZZ_CHECK(text[0] == '\0');
        return;
    }
    const auto* start = reinterpret_cast<const uint8_t*>(text);
    const size_t room = static_cast<size_t>(info.data() + info.size() - start);
    FUZZ_CHECK(std::memchr(start, 0, room) != nullptr);
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
    FUZZ_CHECK(info.total_size == fuzz::le32(bytes, 0));
    if (info.error == boot::ParseError::none)
        FUZZ_CHECK(info.total_size >= 8 && info.total_size <= size);
    // Nothing past total_size (nor past the span) may be handed out.
    const auto info_bytes = bytes.first(info.total_size < size ? info.total_size : size);

    FUZZ_CHECK(info.memory_count <= boot::kMaxMemoryRegions);
    FUZZ_CHECK(!info.memory_truncated || info.memory_count == boot::kMaxMemoryRegions);
    FUZZ_CHECK(info.module_count <= boot::kMaxModules);
    FUZZ_CHECK(!info.modules_truncated || info.module_count == boot::kMaxModules);
    FUZZ_CHECK(info.rsdp_size == 0 || info.rsdp_size == 20 || info.rsdp_size == 36);
    for (size_t i = info.rsdp_size; i < sizeof info.rsdp; ++i)
        FUZZ_CHECK(info.rsdp[i] == 0);
    check_string(info.cmdline, info_bytes);
    check_string(info.bootloader_name, info_bytes);
    FUZZ_CHECK(!info.cmdline_unterminated || info.cmdline[0] == '\0');
    FUZZ_CHECK(!info.cmdline_unterminated || info.malformed_tags > 0);
    for (size_t i = 0; i < info.module_count; ++i)
        check_string(info.modules[i].cmdline, info_bytes);
    return 0;
}
