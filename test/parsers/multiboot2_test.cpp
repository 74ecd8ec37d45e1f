// Multiboot2 info parser: realistic GRUB layouts, then every way the block can lie.
#include "builders.h"
#include "samples.h"
#include <boot/multiboot2.h>
#include <gtest/gtest.h>

using namespace testbytes;
using boot::BootInfo;
using boot::MemoryType;
using boot::ParseError;

namespace {

// Parses from an exact-size heap copy; keeps the copy alive so pointers can be checked.
struct Parsed {
    explicit Parsed(const Bytes& bytes)
        : buffer(bytes)
    {
        info = std::make_unique<BootInfo>();
        boot::parse_multiboot2(buffer.span(), *info);
    }
    bool points_inside(const char* s) const
    {
        auto p = reinterpret_cast<const uint8_t*>(s);
        return p >= buffer.begin() && p < buffer.end();
    }
    ExactBuffer buffer;
    std::unique_ptr<BootInfo> info;
};

} // namespace

TEST(Multiboot2, bios_layout_yields_every_field)
{
    Parsed p(bios_layout());
    const BootInfo& info = *p.info;
    EXPECT_EQ(info.error, ParseError::none);
    EXPECT_STREQ(info.cmdline, "test=all smp.max_cpus=4");
    EXPECT_TRUE(p.points_inside(info.cmdline));
    EXPECT_STREQ(info.bootloader_name, "GRUB 2.06-13+deb12u1");
    ASSERT_EQ(info.memory_count, 6u);
    EXPECT_EQ(info.memory[3].base, 0x100000u);
    EXPECT_EQ(info.memory[3].length, 0xfee0000u);
    EXPECT_EQ(info.memory[3].type, MemoryType::usable);
    EXPECT_EQ(info.memory[5].base, 0xfffc0000u);
    EXPECT_EQ(info.memory[5].type, MemoryType::reserved);
    EXPECT_FALSE(info.memory_truncated);
    EXPECT_EQ(info.rsdp_size, 20u);
    EXPECT_EQ(Bytes(info.rsdp, info.rsdp + 20), make_rsdp_v1(0x0ffe1a2b));
    EXPECT_FALSE(info.efi_boot);
    EXPECT_FALSE(info.framebuffer.present);
    EXPECT_EQ(info.unknown_tags, 0u);
    EXPECT_EQ(info.malformed_tags, 0u);
    EXPECT_EQ(info.total_size, bios_layout().size());
}

TEST(Multiboot2, efi_layout_prefers_the_new_rsdp_in_either_order)
{
    for (bool new_first : { true, false }) {
        Parsed p(efi_layout(new_first));
        const BootInfo& info = *p.info;
        EXPECT_EQ(info.error, ParseError::none);
        EXPECT_STREQ(info.cmdline, "");
        EXPECT_TRUE(info.efi_boot);
        ASSERT_EQ(info.rsdp_size, 36u) << "new_first=" << new_first;
        EXPECT_EQ(Bytes(info.rsdp, info.rsdp + 36), make_rsdp_v2(0x7fb7e014, 0x7fb7e0e8));
        ASSERT_EQ(info.module_count, 1u);
        EXPECT_EQ(info.modules[0].start, 0x200000u);
        EXPECT_EQ(info.modules[0].end, 0x201234u);
        EXPECT_STREQ(info.modules[0].cmdline, "initrd ramdisk");
        ASSERT_TRUE(info.framebuffer.present);
        EXPECT_EQ(info.framebuffer.phys_addr, 0x80000000u);
        EXPECT_EQ(info.framebuffer.width, 1280u);
        EXPECT_EQ(info.framebuffer.height, 800u);
        EXPECT_EQ(info.framebuffer.pitch, 5120u);
        EXPECT_EQ(info.framebuffer.bpp, 32);
        EXPECT_EQ(info.framebuffer.type, 1);
        EXPECT_EQ(info.framebuffer.red_pos, 16);
        EXPECT_EQ(info.framebuffer.green_pos, 8);
        EXPECT_EQ(info.framebuffer.blue_pos, 0);
        EXPECT_EQ(info.framebuffer.blue_size, 8);
        EXPECT_EQ(info.memory_count, 4u);
        EXPECT_EQ(info.memory[2].type, MemoryType::acpi_nvs);
        EXPECT_EQ(info.unknown_tags, 0u);
        EXPECT_EQ(info.malformed_tags, 0u);
    }
}

TEST(Multiboot2, spans_shorter_than_the_header_are_too_short)
{
    const Bytes full = bios_layout();
    for (size_t n = 0; n < 8; ++n) {
        Parsed p(Bytes(full.begin(), full.begin() + n));
        EXPECT_EQ(p.info->error, ParseError::too_short) << n;
    }
}

TEST(Multiboot2, total_size_larger_than_the_span_is_flagged_and_the_span_still_walked)
{
    // The kernel maps at most a fixed window; a block claiming more still yields the
    // tags inside that window (the memory map comes early), under bad_total_size.
    Bytes bytes = MultibootBuilder().cmdline("x").memory_map(bios_memory_map()).end().build();
    set_u32(bytes, 0, static_cast<uint32_t>(bytes.size() + 8));
    Parsed p(bytes);
    EXPECT_EQ(p.info->error, ParseError::bad_total_size);
    EXPECT_STREQ(p.info->cmdline, "x");
    EXPECT_EQ(p.info->memory_count, 6u);

    set_u32(bytes, 0, 0xffffffff);
    Parsed q(Bytes(bytes.begin(), bytes.begin() + 40));  // cut inside the memory map tag
    EXPECT_EQ(q.info->error, ParseError::bad_total_size);
    EXPECT_STREQ(q.info->cmdline, "x");
    EXPECT_EQ(q.info->memory_count, 0u);
}

TEST(Multiboot2, total_size_smaller_than_the_header_is_rejected)
{
    for (uint32_t total : { 0u, 1u, 7u }) {
        Bytes bytes = MultibootBuilder().end().build(total);
        EXPECT_EQ(Parsed(bytes).info->error, ParseError::bad_total_size) << total;
    }
}

TEST(Multiboot2, bytes_past_total_size_are_never_read)
{
    // The span is longer than the info block; the end tag lies beyond total_size.
    MultibootBuilder b;
    b.cmdline("kept");
    const auto total = static_cast<uint32_t>(b.size());
    Parsed p(b.end().build(total));
    EXPECT_EQ(p.info->error, ParseError::no_end_tag);
    EXPECT_STREQ(p.info->cmdline, "kept");
}

TEST(Multiboot2, every_truncation_of_a_valid_block_is_an_error)
{
    const Bytes full = efi_layout(true);
    for (size_t n = 8; n < full.size(); ++n) {
        // Both ways of truncating: a span cut short, and a block whose total_size shrank.
        Bytes cut(full.begin(), full.begin() + n);
        EXPECT_EQ(Parsed(cut).info->error, ParseError::bad_total_size) << n;
        set_u32(cut, 0, static_cast<uint32_t>(n));
        Parsed p(cut);
        EXPECT_TRUE(p.info->error == ParseError::no_end_tag || p.info->error == ParseError::tag_overruns) << n;
        EXPECT_TRUE(p.info->cmdline[0] == '\0' || p.points_inside(p.info->cmdline));
        EXPECT_LE(p.info->memory_count, 4u);
    }
}

TEST(Multiboot2, a_tag_running_past_the_end_stops_the_walk_and_keeps_earlier_tags)
{
    Bytes bytes = MultibootBuilder().cmdline("early").bootloader_name("GRUB").end().build();
    // The bootloader-name tag starts at 8 + 16 = 24; claim it is 4 KiB long.
    ASSERT_EQ(get_u32(bytes, 24), 2u);
    set_u32(bytes, 28, 4096);
    Parsed p(bytes);
    EXPECT_EQ(p.info->error, ParseError::tag_overruns);
    EXPECT_STREQ(p.info->cmdline, "early");
    EXPECT_STREQ(p.info->bootloader_name, "");

    set_u32(bytes, 28, 0xffffffff);
    EXPECT_EQ(Parsed(bytes).info->error, ParseError::tag_overruns);
}

TEST(Multiboot2, a_tag_smaller_than_its_header_is_misaligned)
{
    for (uint32_t size : { 0u, 1u, 7u }) {
        Bytes bytes = MultibootBuilder().cmdline("early").tag(99, {}, size).end().build();
        Parsed p(bytes);
        EXPECT_EQ(p.info->error, ParseError::misaligned) << size;
        EXPECT_STREQ(p.info->cmdline, "early");
    }
}

TEST(Multiboot2, sizes_that_are_not_multiples_of_8_are_followed_through_the_padding)
{
    // cmdline "abc\0" -> size 12, padded to 16; name "GRUB\0" -> size 13, padded to 16.
    Bytes bytes = MultibootBuilder()
                      .cmdline("abc")
                      .bootloader_name("GRUB")
                      .memory_map({ { 0x100000, 0x1000, 1 } })
                      .end()
                      .build();
    ASSERT_EQ(get_u32(bytes, 12), 12u);
    ASSERT_EQ(get_u32(bytes, 28), 13u);
    Parsed p(bytes);
    EXPECT_EQ(p.info->error, ParseError::none);
    EXPECT_STREQ(p.info->cmdline, "abc");
    EXPECT_STREQ(p.info->bootloader_name, "GRUB");
    ASSERT_EQ(p.info->memory_count, 1u);
    EXPECT_EQ(p.info->memory[0].base, 0x100000u);
}

TEST(Multiboot2, a_missing_end_tag_is_reported_after_parsing_the_tags)
{
    Bytes bytes = MultibootBuilder().cmdline("no end").memory_map(bios_memory_map()).build();
    Parsed p(bytes);
    EXPECT_EQ(p.info->error, ParseError::no_end_tag);
    EXPECT_STREQ(p.info->cmdline, "no end");
    EXPECT_EQ(p.info->memory_count, 6u);
}

TEST(Multiboot2, header_only_block_has_no_end_tag)
{
    EXPECT_EQ(Parsed(MultibootBuilder().build()).info->error, ParseError::no_end_tag);
}

TEST(Multiboot2, memory_map_honours_a_larger_entry_size)
{
    for (uint32_t entry_size : { 24u, 32u, 40u, 64u }) {
        Bytes bytes = MultibootBuilder().memory_map(bios_memory_map(), entry_size).end().build();
        Parsed p(bytes);
        EXPECT_EQ(p.info->error, ParseError::none);
        ASSERT_EQ(p.info->memory_count, 6u) << entry_size;
        const auto expected = bios_memory_map();
        for (size_t i = 0; i < 6; ++i) {
            EXPECT_EQ(p.info->memory[i].base, expected[i].base);
            EXPECT_EQ(p.info->memory[i].length, expected[i].length);
            EXPECT_EQ(static_cast<uint32_t>(p.info->memory[i].type), expected[i].type);
        }
        EXPECT_EQ(p.info->malformed_tags, 0u);
    }
}

TEST(Multiboot2, memory_map_with_an_entry_size_below_24_is_skipped_as_malformed)
{
    for (uint32_t entry_size : { 0u, 1u, 16u, 23u }) {
        Bytes payload;
        put_u32(payload, entry_size);
        put_u32(payload, 0);
        payload.resize(payload.size() + 48, 0x11);
        Parsed p(MultibootBuilder().tag(6, payload).end().build());
        EXPECT_EQ(p.info->error, ParseError::none);
        EXPECT_EQ(p.info->memory_count, 0u) << entry_size;
        EXPECT_EQ(p.info->malformed_tags, 1u);
    }
}

TEST(Multiboot2, memory_map_keeps_whole_entries_and_flags_a_trailing_partial_one)
{
    Bytes payload;
    put_u32(payload, 24);
    put_u32(payload, 0);
    put_u64(payload, 0x1000);
    put_u64(payload, 0x2000);
    put_u32(payload, 1);
    put_u32(payload, 0);
    payload.resize(payload.size() + 10, 0xff);  // 10 bytes of a second entry
    Parsed p(MultibootBuilder().tag(6, payload).end().build());
    EXPECT_EQ(p.info->error, ParseError::none);
    ASSERT_EQ(p.info->memory_count, 1u);
    EXPECT_EQ(p.info->memory[0].length, 0x2000u);
    EXPECT_EQ(p.info->malformed_tags, 1u);
}

TEST(Multiboot2, memory_map_longer_than_the_array_is_truncated_and_flagged)
{
    std::vector<MemoryEntry> many;
    for (uint64_t i = 0; i < boot::kMaxMemoryRegions + 5; ++i)
        many.push_back({ i * 0x1000, 0x1000, 1 });
    Parsed p(MultibootBuilder().memory_map(many).end().build());
    EXPECT_EQ(p.info->error, ParseError::none);
    EXPECT_EQ(p.info->memory_count, boot::kMaxMemoryRegions);
    EXPECT_TRUE(p.info->memory_truncated);
    EXPECT_EQ(p.info->memory[boot::kMaxMemoryRegions - 1].base, (boot::kMaxMemoryRegions - 1) * 0x1000);
}

TEST(Multiboot2, an_unterminated_cmdline_reads_as_empty_and_is_flagged)
{
    // "nosmp" fills the tag exactly: size 13, no NUL inside; the padding holds a zero but
    // lies outside the tag.
    Bytes bytes = MultibootBuilder().cmdline("nosmp", false).end().build();
    Parsed p(bytes);
    EXPECT_EQ(p.info->error, ParseError::none);
    EXPECT_STREQ(p.info->cmdline, "");
    EXPECT_TRUE(p.info->cmdline_unterminated);
    EXPECT_EQ(p.info->malformed_tags, 1u);

    // Same with the padding filled with non-zero bytes.
    for (size_t i = 21; i < 24; ++i)
        bytes[i] = 'X';
    Parsed q(bytes);
    EXPECT_STREQ(q.info->cmdline, "");
    EXPECT_TRUE(q.info->cmdline_unterminated);
}

// Found by the libFuzzer target (corpus/multiboot2/regress-unterminated-then-good-cmdline):
// the flag of an earlier bad cmdline tag stayed set beside the later good cmdline.
TEST(Multiboot2, the_unterminated_flag_describes_the_cmdline_that_won)
{
    Parsed p(MultibootBuilder().cmdline("nosmp", false).cmdline("log=debug").end().build());
    EXPECT_STREQ(p.info->cmdline, "log=debug");
    EXPECT_FALSE(p.info->cmdline_unterminated);
    EXPECT_EQ(p.info->malformed_tags, 1u);

    Parsed q(MultibootBuilder().cmdline("log=debug").cmdline("nosmp", false).end().build());
    EXPECT_STREQ(q.info->cmdline, "");
    EXPECT_TRUE(q.info->cmdline_unterminated);
}

TEST(Multiboot2, an_unterminated_bootloader_name_reads_as_empty)
{
    Parsed p(MultibootBuilder().string_tag(2, "GRUB", false).end().build());
    EXPECT_STREQ(p.info->bootloader_name, "");
    EXPECT_EQ(p.info->malformed_tags, 1u);
}

TEST(Multiboot2, an_empty_cmdline_tag_is_empty_and_flagged)
{
    Parsed p(MultibootBuilder().tag(1, {}).end().build());
    EXPECT_EQ(p.info->error, ParseError::none);
    EXPECT_STREQ(p.info->cmdline, "");
    EXPECT_TRUE(p.info->cmdline_unterminated);
}

TEST(Multiboot2, unknown_tags_are_counted_and_skipped)
{
    Bytes bytes = MultibootBuilder()
                      .tag(0x1234, Bytes(5, 0xee))
                      .cmdline("after unknown")
                      .tag(22, Bytes(16, 0))
                      .tag(0xffffffff, {})
                      .end()
                      .build();
    Parsed p(bytes);
    EXPECT_EQ(p.info->error, ParseError::none);
    EXPECT_EQ(p.info->unknown_tags, 3u);
    EXPECT_STREQ(p.info->cmdline, "after unknown");
}

TEST(Multiboot2, modules_past_the_array_are_flagged)
{
    MultibootBuilder b;
    for (uint32_t i = 0; i < boot::kMaxModules + 2; ++i)
        b.module(0x100000 * (i + 1), 0x100000 * (i + 1) + 0x800, "m");
    Parsed p(b.end().build());
    EXPECT_EQ(p.info->module_count, boot::kMaxModules);
    EXPECT_TRUE(p.info->modules_truncated);
}

TEST(Multiboot2, a_module_with_an_unterminated_name_keeps_its_range)
{
    Bytes payload;
    put_u32(payload, 0x300000);
    put_u32(payload, 0x300100);
    put_text(payload, "abc");
    Parsed p(MultibootBuilder().tag(3, payload).tag(3, Bytes(4, 0)).end().build());
    ASSERT_EQ(p.info->module_count, 1u);
    EXPECT_EQ(p.info->modules[0].start, 0x300000u);
    EXPECT_STREQ(p.info->modules[0].cmdline, "");
    EXPECT_EQ(p.info->malformed_tags, 2u);  // the unterminated name and the 12-byte tag
}

TEST(Multiboot2, short_rsdp_tags_are_ignored)
{
    Bytes v2 = make_rsdp_v2(1, 2);
    Parsed p(MultibootBuilder()
                 .rsdp_tag(kTagAcpiOld, Bytes(v2.begin(), v2.begin() + 19))
                 .rsdp_tag(kTagAcpiNew, Bytes(v2.begin(), v2.begin() + 24))
                 .end()
                 .build());
    EXPECT_EQ(p.info->error, ParseError::none);
    EXPECT_EQ(p.info->rsdp_size, 0u);
    EXPECT_EQ(p.info->malformed_tags, 2u);
}

TEST(Multiboot2, rsdp_copy_is_capped_at_36_bytes)
{
    Bytes big = make_rsdp_v2(1, 2);
    big.resize(64, 0xcc);  // a loader copying more than the structure
    Parsed p(MultibootBuilder().rsdp_tag(kTagAcpiNew, big).end().build());
    EXPECT_EQ(p.info->rsdp_size, 36u);
    EXPECT_EQ(Bytes(p.info->rsdp, p.info->rsdp + 36), make_rsdp_v2(1, 2));
}

TEST(Multiboot2, a_short_framebuffer_tag_is_not_present)
{
    Parsed p(MultibootBuilder().tag(8, Bytes(20, 0)).end().build());
    EXPECT_FALSE(p.info->framebuffer.present);
    EXPECT_EQ(p.info->malformed_tags, 1u);
}

TEST(Multiboot2, ega_text_framebuffer_has_no_colour_info)
{
    Bytes payload;
    put_u64(payload, 0xb8000);
    put_u32(payload, 160);
    put_u32(payload, 80);
    put_u32(payload, 25);
    put_u8(payload, 16);
    put_u8(payload, 2);
    put_u16(payload, 0);
    Parsed p(MultibootBuilder().tag(8, payload).end().build());
    ASSERT_TRUE(p.info->framebuffer.present);
    EXPECT_EQ(p.info->framebuffer.type, 2);
    EXPECT_EQ(p.info->framebuffer.width, 80u);
    EXPECT_EQ(p.info->malformed_tags, 0u);
}

TEST(Multiboot2, info_phys_belongs_to_the_caller_and_stale_results_are_cleared)
{
    BootInfo info;
    info.info_phys = 0x12345000;
    info.memory_count = 99;
    info.unknown_tags = 7;
    info.cmdline = "stale";
    Bytes bytes = MultibootBuilder().end().build();
    boot::parse_multiboot2(bytes, info);
    EXPECT_EQ(info.error, ParseError::none);
    EXPECT_EQ(info.info_phys, 0x12345000u);
    EXPECT_EQ(info.memory_count, 0u);
    EXPECT_EQ(info.unknown_tags, 0u);
    EXPECT_STREQ(info.cmdline, "");
}

// Found by the libFuzzer target (test/fuzz/corpus/multiboot2/regress-stale-rsdp): a block
// without an RSDP tag left the previous parse's RSDP bytes behind a zero rsdp_size.
TEST(Multiboot2, reparsing_without_an_rsdp_tag_leaves_no_stale_rsdp_bytes)
{
    BootInfo info;
    const Bytes with_rsdp = MultibootBuilder().rsdp_tag(kTagAcpiNew, make_rsdp_v2(1, 2)).end().build();
    boot::parse_multiboot2(with_rsdp, info);
    ASSERT_EQ(info.rsdp_size, 36u);
    const Bytes without_rsdp = MultibootBuilder().cmdline("x").end().build();
    boot::parse_multiboot2(without_rsdp, info);
    EXPECT_EQ(info.rsdp_size, 0u);
    EXPECT_EQ(Bytes(info.rsdp, info.rsdp + sizeof info.rsdp), Bytes(sizeof info.rsdp, 0));
}

TEST(Multiboot2, every_error_has_a_readable_name)
{
    for (auto e : { ParseError::none, ParseError::too_short, ParseError::bad_total_size, ParseError::tag_overruns,
             ParseError::misaligned, ParseError::no_end_tag }) {
        EXPECT_GT(std::strlen(boot::to_string(e)), 1u);
    }
}
