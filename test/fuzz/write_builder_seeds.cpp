// Writes the builder-made fuzz seeds (test/fuzz/corpus/<target>/builder-*): the layouts
// the unit tests use, plus the edge cases real firmware rarely shows (full lists, odd
// entry sizes, unterminated strings). Run through `test/fuzz/run_fuzz.sh --write-seeds`.
#include "samples.h"
#include <cstdio>
#include <string>

using namespace testbytes;

namespace {

std::string g_root;

void write(const std::string& target, const std::string& name, const Bytes& bytes)
{
    const std::string path = g_root + "/" + target + "/builder-" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
}

void write_text(const std::string& target, const std::string& name, std::string_view text)
{
    write(target, name, Bytes(text.begin(), text.end()));
}

void multiboot2_seeds()
{
    write("multiboot2", "bios", bios_layout());
    write("multiboot2", "efi-new-rsdp-first", efi_layout(true));
    write("multiboot2", "efi-old-rsdp-first", efi_layout(false));
    write("multiboot2", "unterminated-cmdline-wide-mmap",
        MultibootBuilder().cmdline("x", false).memory_map(bios_memory_map(), 40).end().build());
    MultibootBuilder modules;
    for (uint32_t i = 0; i < 10; ++i)
        modules.module(0x200000 + i * 0x1000, 0x200800 + i * 0x1000, "mod");
    write("multiboot2", "ten-modules", modules.memory_map(bios_memory_map()).end().build());
    std::vector<MemoryEntry> many;
    for (uint64_t i = 0; i < 130; ++i)
        many.push_back({ i << 20, 1 << 20, static_cast<uint32_t>(1 + i % 5) });
    write("multiboot2", "130-regions", MultibootBuilder().memory_map(many).end().build());
    write("multiboot2", "cut-by-total-size", MultibootBuilder().memory_map(bios_memory_map()).end().build(4096));
}

void acpi_seeds()
{
    write("rsdp", "v1", make_rsdp_v1(0x7fe1a2b));
    write("rsdp", "v2", make_rsdp_v2(0x7fb7e014, 0x7fb7e0e8));
    const Bytes v2 = make_rsdp_v2(0x7fb7e014, 0x7fb7e0e8);
    write("rsdp", "v2-prefix", Bytes(v2.begin(), v2.begin() + 20));

    write("root_table", "xsdt", make_root_table(true, { 0x7fb7d000, 0x7fb7c000, 0x7fb7b000, 0x7fb7a000 }));
    write("root_table", "rsdt", make_root_table(false, { 0x7fe1000, 0x7fe2000, 0x7fe3000 }));
    std::vector<uint64_t> seventy;
    for (uint64_t i = 0; i < 70; ++i)
        seventy.push_back(0x100000000 + i * 0x1000);
    write("root_table", "xsdt-70-entries", make_root_table(true, seventy));
    SdtBuilder ragged("XSDT");
    put_u64(ragged.body(), 0x7fb7d000);
    put_u32(ragged.body(), 0x7fb7c000);  // half an entry
    write("root_table", "xsdt-half-entry", ragged.finish());

    write("madt", "qemu-like", qemu_like_madt().finish());
    MadtBuilder rich = qemu_like_madt();
    rich.x2apic(0x100, 9).x2apic(0x101, 10, 0).x2apic_nmi(0xFFFFFFFF, 0, 1).address_override(0xFEE00000);
    rich.raw({ 0x0B, 6, 1, 2, 3, 4 });
    write("madt", "x2apic-and-unknown", rich.finish());
    MadtBuilder many;
    for (uint32_t i = 0; i < 260; ++i)
        many.x2apic(i, i);
    write("madt", "260-x2apic", many.finish());
    MadtBuilder placeholders;
    placeholders.local_apic(0, 0).local_apic(1, 0xFF).local_apic(2, 1, 0).local_apic(3, 1).x2apic(1, 4);
    write("madt", "placeholders-and-broadcast-id", placeholders.finish());
    MadtBuilder hotplug;  // online-capable (ACPI 6.3 flag bit 1) but not enabled, then listed again
    hotplug.local_apic(0, 0).local_apic(1, 1, 2).x2apic(1, 1).local_apic(2, 2, 2).local_apic(3, 2, 0);
    write("madt", "online-capable-listed-twice", hotplug.finish());
    MadtBuilder full_lists;
    for (uint8_t i = 0; i < 9; ++i)
        full_lists.io_apic(i, 0xFEC00000 + i * 0x1000, i * 24u);
    for (uint8_t i = 0; i < 17; ++i)
        full_lists.interrupt_override(0, i, i, 0xd).local_apic_nmi(i, 5, 1);
    write("madt", "overfull-lists", full_lists.finish());

    write("fadt", "acpi6-x-fields", make_fadt(276, { .dsdt = 0x1000, .pm1a_control = 0x604, .x_dsdt = 0x1'2345'6000,
        .x_pm1a_control = 0xb004, .flags = 1u << 10, .reset_address = 0xcf9, .reset_value = 6 }));
    write("fadt", "memory-reset-register", make_fadt(244, { .dsdt = 0x1000, .pm1a_control = 0x604, .flags = 1u << 10,
        .reset_space = 0, .reset_address = 0xfed0'0f00, .reset_value = 0x0e }));
    write("fadt", "x-pm1a-in-memory-space", make_fadt(276, { .dsdt = 0x1000, .pm1a_control = 0x604, .x_pm1a_space = 0,
        .x_pm1a_control = 0xfed0'0000 }));
    write("fadt", "ports-beyond-16-bits", make_fadt(244, { .dsdt = 0x1000, .pm1a_control = 0x1'0604,
        .x_pm1a_control = 0x1'0000 }));
    write("fadt", "cut-before-x-dsdt", make_fadt(140, { .dsdt = 0x1000, .pm1a_control = 0x604 }));
    write("fadt", "dsdt-field-only", make_fadt(44, { .dsdt = 0x1000 }));

    write("dsdt", "root-prefix-byte-values", make_dsdt({ 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05,
        0x0a, 0x05 }));
    write("dsdt", "word-and-dword-values", make_dsdt({ 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x07, 0x00,
        0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x01, 0x0c, 0x09, 0x00, 0x00, 0x00 }));
    Bytes long_package { 0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x01, 0x02, 0x0a, 0x03 };
    long_package.resize(long_package.size() + 12, 0x00);
    write("dsdt", "reference-then-two-byte-pkglength", make_dsdt(long_package));
    write("dsdt", "package-past-the-end", make_dsdt({ 0x08, '_', 'S', '5', '_', 0x12, 0x83, 0x01, 0x02, 0x0a, 0x03 }));
}

void cmdline_seeds()
{
    write_text("cmdline", "options", "test=all bench=deque log=debug timeslice_us=2500 x2apic=off smp.max_cpus=6");
    write_text("cmdline", "flags", "smp.ap_timeout_ms=50 demo=off sched=locked trace=on nosmp expect_ap_failure=on");
    write_text("cmdline", "bad-values", "test=all timeslice_us=12abc log=loud smp.max_cpus=0 bogus_option=1 x2apic=maybe");
    write_text("cmdline", "overflows",
        "timeslice_us=99999999999999999999 smp.max_cpus=4294967297 \t test=" + std::string(70, 'a'));
    write_text("cmdline", "empty-values", "test= bench= log= sched.spin_us= nosmp= =x = ==");
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
        return 2;
    }
    g_root = argv[1];
    multiboot2_seeds();
    acpi_seeds();
    cmdline_seeds();
    return 0;
}
