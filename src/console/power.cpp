// poweroff: PM1a_CNT with SLP_TYPa from \_S5 (acpi::power_off). Without \_S5, the SLP_TYP
// values firmware commonly uses for S5 (0: QEMU, Bochs; 5: ICH chipsets, VirtualBox; 7) are
// tried in turn. Never the isa-debug-exit port: that is a test device, not a power switch.
// reboot: the FADT reset register (ACPI 2+), else the 8042 reset line, else a triple fault.
#include "console/power.h"

#include <cstdint>

#include "acpi/platform.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "console/output.h"
#include "drivers/keyboard.h"
#include "mm/layout.h"
#include "mm/paging.h"

namespace console {
namespace {

constexpr uint16_t kSleepEnable = 1u << 13;
constexpr uint64_t kSettleUs = 200000;

// FADT fields (ACPI 6.x table 5.9): Flags at 112, RESET_REG (a generic address) at 116,
// RESET_VALUE at 128. Flags bit 10: RESET_REG_SUP.
constexpr uint32_t kFadtFlags = 112, kFadtResetReg = 116, kFadtResetValue = 128;
constexpr uint32_t kFlagResetRegSupported = 1u << 10;
constexpr uint8_t kAddressSpaceMemory = 0, kAddressSpaceIo = 1;

bool acpi_reset() {
    const acpi::Platform& platform = acpi::platform();
    if (platform.fadt_phys == 0) return false;
    const uint8_t* fadt = mm::phys_to_ptr<const uint8_t>(platform.fadt_phys);
    uint32_t length = 0;
    for (int i = 0; i < 4; ++i) length |= uint32_t(fadt[4 + i]) << (8 * i);
    if (length < kFadtResetValue + 1) return false;
    uint32_t flags = 0;
    for (int i = 0; i < 4; ++i) flags |= uint32_t(fadt[kFadtFlags + i]) << (8 * i);
    if (!(flags & kFlagResetRegSupported)) return false;
    const uint8_t space = fadt[kFadtResetReg];
    uint64_t address = 0;
    for (int i = 0; i < 8; ++i) address |= uint64_t(fadt[kFadtResetReg + 4 + i]) << (8 * i);
    const uint8_t value = fadt[kFadtResetValue];
    if (address == 0) return false;
    if (space == kAddressSpaceIo && address <= 0xffff) {
        out("reboot: ACPI reset register (I/O port 0x%llx <- 0x%x)\n", (unsigned long long)address, value);
        arch::outb(uint16_t(address), value);
    } else if (space == kAddressSpaceMemory) {
        auto* reg = static_cast<volatile uint8_t*>(mm::map_mmio(address & ~0xfffull, 4096));
        if (!reg) return false;
        out("reboot: ACPI reset register (memory 0x%llx <- 0x%x)\n", (unsigned long long)address, value);
        reg[address & 0xfff] = value;
    } else {
        return false;  // PCI configuration space: not done here
    }
    arch::delay_us(kSettleUs);
    return true;
}

[[noreturn]] void triple_fault() {
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty_idt{0, 0};
    asm volatile("cli; lidt %0; int3" ::"m"(empty_idt));
    for (;;) arch::halt();
}

}  // namespace

void power_off() {
    const acpi::Platform& platform = acpi::platform();
    const uint16_t port = platform.pm1a_control_port;
    if (port && platform.has_s5) {
        out("poweroff: ACPI S5 (SLP_TYPa %u from \\_S5) through PM1a_CNT port 0x%x\n", platform.slp_typa_s5, port);
        acpi::power_off();
        arch::delay_us(kSettleUs);
    } else if (port) {
        out("poweroff: no \\_S5 in the DSDT; trying the common SLP_TYP values 0, 5, 7 through PM1a_CNT port 0x%x\n",
            port);
        for (uint16_t type : {0, 5, 7}) {
            arch::outw(port, uint16_t(type << 10 | kSleepEnable));
            arch::delay_us(kSettleUs);
        }
    }
    out("poweroff: the machine is still on (%s); switch it off by hand\n",
        port ? "the ACPI soft-off did not take" : "no ACPI PM1a control block");
}

void reboot() {
    if (!acpi_reset()) out("reboot: no usable ACPI reset register\n");
    out("reboot: pulsing the reset line through the 8042\n");
    keyboard::pulse_reset_line();
    out("reboot: still here; triple fault\n");
    arch::delay_us(50000);  // let the line reach the serial port
    triple_fault();
}

}  // namespace console
