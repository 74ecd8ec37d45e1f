// Realistic inputs shared by the unit tests and the fuzzer (which mutates them).
#pragma once
#include "builders.h"

namespace testbytes {

constexpr uint32_t kTagEfi64SystemTable = 12;
constexpr uint32_t kTagAcpiOld = 14;
constexpr uint32_t kTagAcpiNew = 15;

inline std::vector<MemoryEntry> bios_memory_map()
{
    return {
        { 0x0, 0x9fc00, 1 },
        { 0x9fc00, 0x400, 2 },
        { 0xf0000, 0x10000, 2 },
        { 0x100000, 0xfee0000, 1 },
        { 0xffe0000, 0x20000, 2 },
        { 0xfffc0000, 0x40000, 2 },
    };
}

// What GRUB 2.06 hands over on SeaBIOS (QEMU -machine pc), in GRUB's tag order.
inline Bytes bios_layout()
{
    return MultibootBuilder()
        .cmdline("test=all smp.max_cpus=4")
        .bootloader_name("GRUB 2.06-13+deb12u1")
        .basic_meminfo(639, 261120)
        .tag(5, { 0xe0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff })  // BIOS boot device
        .memory_map(bios_memory_map())
        .tag(9, Bytes(20, 0))   // ELF sections header, ignored
        .tag(10, Bytes(20, 0))  // APM
        .rsdp_tag(kTagAcpiOld, make_rsdp_v1(0x0ffe1a2b))
        .end()
        .build();
}

// GRUB on OVMF: framebuffer, EFI tags, both RSDP tags (old one a 20-byte v2 prefix).
inline Bytes efi_layout(bool new_rsdp_first)
{
    MultibootBuilder b;
    b.cmdline("").bootloader_name("GRUB 2.06").module(0x200000, 0x201234, "initrd ramdisk");
    b.memory_map({ { 0, 0xa0000, 1 }, { 0x100000, 0x700000, 1 }, { 0x800000, 0x8000, 4 }, { 0x808000, 0x8000, 1 } });
    b.framebuffer_rgb(0x80000000, 1280 * 4, 1280, 800, 32);
    b.u64_tag(kTagEfi64SystemTable, 0x7f9ee018);
    Bytes v2 = make_rsdp_v2(0x7fb7e014, 0x7fb7e0e8);
    Bytes v1_prefix(v2.begin(), v2.begin() + 20);
    if (new_rsdp_first)
        b.rsdp_tag(kTagAcpiNew, v2).rsdp_tag(kTagAcpiOld, v1_prefix);
    else
        b.rsdp_tag(kTagAcpiOld, v1_prefix).rsdp_tag(kTagAcpiNew, v2);
    b.tag(17, Bytes(8 + 48 * 3, 0));  // EFI memory map
    b.u64_tag(20, 0x7e2a4e98);        // EFI 64-bit image handle
    b.tag(21, { 0, 0, 0x20, 0, 0, 0, 0, 0 });  // image load base
    return b.end().build();
}

// Roughly what QEMU q35 builds for -smp 4 with x2APIC-capable CPUs.
inline MadtBuilder qemu_like_madt()
{
    MadtBuilder b(0xFEE00000, 1);
    for (uint8_t i = 0; i < 4; ++i)
        b.local_apic(i, i);
    b.io_apic(0, 0xFEC00000, 0);
    b.interrupt_override(0, 0, 2, 0);
    b.interrupt_override(0, 5, 5, 0x000d);
    b.interrupt_override(0, 9, 9, 0x000d);
    b.interrupt_override(0, 10, 10, 0x000d);
    b.interrupt_override(0, 11, 11, 0x000d);
    b.local_apic_nmi(0xFF, 0, 1);
    return b;
}

} // namespace testbytes
