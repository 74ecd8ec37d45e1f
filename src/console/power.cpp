// poweroff: PM1a_CNT with SLP_TYPa from \_S5 (acpi::power_off). Without a usable \_S5, the
// SLP_TYP values firmware commonly uses for S5 are tried in turn: 0 (QEMU, Bochs), 7 (Intel
// ICH), then 5 (VirtualBox), last because on ICH 5 is S3, suspend to RAM. Never the
// isa-debug-exit port: that is a test device, not a power switch.
// reboot: the FADT reset register (ACPI 2+), else the 8042 reset line, else a triple fault.
#include "console/power.h"

#include <cstdint>

#include "acpi/platform.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "console/output.h"
#include "drivers/keyboard.h"
#include "mm/paging.h"

namespace console {
namespace {

constexpr uint16_t kSleepEnable = 1u << 13;
constexpr uint64_t kSettleUs = 200000;

constexpr uint8_t kAddressSpaceMemory = 0, kAddressSpaceIo = 1;

// The FADT's reset register, as acpi::parse_fadt read it.
bool acpi_reset() {
    const acpi::Fadt& fadt = acpi::platform().fadt;
    if (!fadt.has_reset) return false;
    const uint64_t address = fadt.reset_address;
    if (fadt.reset_space == kAddressSpaceIo && address <= 0xffff) {
        out("reboot: ACPI reset register (I/O port 0x%llx <- 0x%x)\n", (unsigned long long)address, fadt.reset_value);
        arch::outb(uint16_t(address), fadt.reset_value);
    } else if (fadt.reset_space == kAddressSpaceMemory) {
        auto* reg = static_cast<volatile uint8_t*>(mm::map_mmio(address & ~0xfffull, 4096));
        if (!reg) return false;
        out("reboot: ACPI reset register (memory 0x%llx <- 0x%x)\n", (unsigned long long)address, fadt.reset_value);
        reg[address & 0xfff] = fadt.reset_value;
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
    const uint16_t port = platform.fadt.pm1a_control_port;
    if (port && platform.s5 == acpi::Platform::S5::found) {
        out("poweroff: ACPI S5 (SLP_TYPa %u from \\_S5) through PM1a_CNT port 0x%x\n", platform.slp_typa_s5, port);
        acpi::power_off();
        arch::delay_us(kSettleUs);
    } else if (port) {
        out("poweroff: %s; trying the common SLP_TYP values 0, 7, 5 through PM1a_CNT port 0x%x\n",
            platform.s5 == acpi::Platform::S5::unusable ? "the DSDT's \\_S5 is unusable" : "no \\_S5 in the DSDT", port);
        for (uint16_t type : {0, 7, 5}) {
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
