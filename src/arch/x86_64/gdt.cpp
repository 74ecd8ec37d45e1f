// Segmentation in long mode is vestigial, but the CPU still needs a code/data segment
// for CS/SS and a TSS for the interrupt stack table (IST) and, later, rsp0.
#include "arch/x86_64/gdt.h"

#include "arch/x86_64/percpu.h"

namespace arch {
namespace {

constexpr uint64_t kKernelCode64 = 0x00af9a000000ffff;  // present, DPL 0, code, L=1
constexpr uint64_t kKernelData = 0x00cf92000000ffff;  // present, DPL 0, data, writable
constexpr uint64_t kUserData = 0x00cff2000000ffff;  // DPL 3 (unused, keeps the layout conventional)
constexpr uint64_t kUserCode64 = 0x00affa000000ffff;
constexpr uint64_t kTssAvailable = 0x89;  // present, 64-bit TSS, not busy

static_assert(sizeof(PerCpu::Tss) == 104);
static_assert(sizeof(PerCpu::gdt) / sizeof(uint64_t) == 7);

}  // namespace

void gdt_load(PerCpu& pc) {
    pc.tss.iomap_base = sizeof(PerCpu::Tss);  // no I/O permission bitmap
    uint64_t base = reinterpret_cast<uint64_t>(&pc.tss);
    uint64_t limit = sizeof(PerCpu::Tss) - 1;
    pc.gdt[0] = 0;
    pc.gdt[1] = kKernelCode64;
    pc.gdt[2] = kKernelData;
    pc.gdt[3] = kUserData;
    pc.gdt[4] = kUserCode64;
    // Rebuilt on every load, so the TSS is "available" again even if this CPU loaded it before.
    pc.gdt[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (kTssAvailable << 40) | (((limit >> 16) & 0xf) << 48) |
                (((base >> 24) & 0xff) << 56);
    pc.gdt[6] = base >> 32;

    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gdtr{sizeof pc.gdt - 1, reinterpret_cast<uint64_t>(pc.gdt)};

    asm volatile(
        "lgdt %0\n\t"
        // Reload CS with a far return to the next instruction.
        "pushq %[code]\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %[data], %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movw %%ax, %%fs\n\t"
        "movw %%ax, %%gs\n\t"  // zeroes the GS base too: set it after this
        "movw %[tss], %%ax\n\t"
        "ltr %%ax"
        :
        : "m"(gdtr), [code] "i"(uint64_t(kKernelCodeSelector)), [data] "i"(kKernelDataSelector), [tss] "i"(kTssSelector)
        : "rax", "memory");
}

}  // namespace arch
