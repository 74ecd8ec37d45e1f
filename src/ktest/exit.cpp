// Leaving QEMU with a verdict. isa-debug-exit (iobase 0xf4) turns a write of v into exit
// status (v << 1) | 1: 0x10 -> 33 (pass), 0x11 -> 35 (fail). Without that device, fall back
// to the ACPI power-off ports QEMU and VirtualBox emulate, then halt.
#include "arch/x86_64/cpu.h"
#include "ktest/ktest.h"
#include "lib/log.h"

namespace ktest {

void exit_qemu(bool success) {
    arch::cli();
    arch::outb(0xf4, success ? 0x10 : 0x11);
    // Still here: no isa-debug-exit. PM1a control with SLP_EN|SLP_TYP for S5.
    klog::print("ktest: no isa-debug-exit device; trying ACPI power off\n");
    // The power-off request is taken asynchronously, so give each one a moment.
    auto settle = [] {
        for (int i = 0; i < 20'000'000; ++i) arch::cpu_relax();
    };
    arch::outw(0x604, 0x2000);  // QEMU q35 (ICH9 PM1a_CNT)
    settle();
    arch::outw(0xb004, 0x2000);  // QEMU pc (PIIX4) / Bochs
    settle();
    arch::outw(0x4004, 0x3400);  // VirtualBox
    settle();
    klog::print("ktest: power off failed; halting (verdict: %s)\n", success ? "pass" : "fail");
    for (;;) arch::halt();
}

}  // namespace ktest
