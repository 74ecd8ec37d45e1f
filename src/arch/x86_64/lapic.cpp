// The local APIC access layer. In xAPIC mode registers are 32-bit MMIO words in one 4 KiB
// page; in x2APIC mode they are MSRs 0x800 + offset/16 and the ICR is one 64-bit MSR.
// Callers name registers by their xAPIC offset and never see the difference.
#include <atomic>

#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/interrupts.h"
#include "lib/log.h"
#include "mm/paging.h"

namespace arch::lapic {
namespace {

constexpr uint64_t kApicBaseEnable = 1ull << 11;
constexpr uint64_t kApicBaseX2apic = 1ull << 10;
constexpr uint64_t kApicBaseAddressMask = 0x000ffffffffff000ull;
constexpr uint32_t kX2apicMsrBase = 0x800;
constexpr uint32_t kSpuriousEnable = 1u << 8;
constexpr uint32_t kIcrDeliveryPending = 1u << 12;
constexpr uint32_t kLvtNmi = 4u << 8;
constexpr uint32_t kLvtLevelTriggered = 1u << 15;
constexpr uint32_t kLvtActiveLow = 1u << 13;

// Written once by init_bsp() before any AP exists; APs read them after the BSP's release
// store that starts them (the trampoline hand-off), so plain variables suffice.
Mode g_mode = Mode::none;
volatile uint32_t* g_mmio = nullptr;

uint32_t msr_of(Reg reg) { return kX2apicMsrBase + (uint32_t(reg) >> 4); }

void enable_in_msr() {
    uint64_t base = rdmsr(MSR_APIC_BASE) | kApicBaseEnable;
    wrmsr(MSR_APIC_BASE, base);
    // Turning x2APIC on needs the enable bit already set (SDM 10.12.5: the
    // disabled -> x2APIC transition is invalid), hence two writes.
    if (g_mode == Mode::x2apic) wrmsr(MSR_APIC_BASE, base | kApicBaseX2apic);
}

}  // namespace

Mode mode() { return g_mode; }
bool ready() { return g_mode != Mode::none; }
const char* mode_name() {
    switch (g_mode) {
        case Mode::xapic:
            return "xAPIC";
        case Mode::x2apic:
            return "x2APIC";
        default:
            return "none";
    }
}

uint32_t read(Reg reg) {
    if (g_mode == Mode::x2apic) return uint32_t(rdmsr(msr_of(reg)));
    return g_mmio[reg / 4];
}

void write(Reg reg, uint32_t value) {
    if (g_mode == Mode::x2apic)
        wrmsr(msr_of(reg), value);
    else
        g_mmio[reg / 4] = value;
}

uint32_t id() {
    if (g_mode == Mode::x2apic) return uint32_t(rdmsr(msr_of(kRegId)));
    return g_mmio[kRegId / 4] >> 24;
}

void eoi() {
    if (g_mode != Mode::none) write(kRegEoi, 0);
}

uint32_t max_addressable_id() { return g_mode == Mode::x2apic ? 0xfffffffe : 0xfe; }

void send_ipi(uint32_t dest, uint8_t vector, Delivery delivery, Shorthand shorthand, bool level_assert) {
    if (g_mode == Mode::none) return;
    uint32_t low = vector | uint32_t(delivery) | uint32_t(shorthand) | (level_assert ? 1u << 14 : 0);
    if (g_mode == Mode::x2apic) {
        // x2APIC ICR writes are not serializing: without the fence the target may take the
        // IPI before our earlier stores (a call-function request) are visible to it. The
        // mfence orders those stores before the WRMSR (as Linux's weak_wrmsr_fence does).
        asm volatile("mfence; lfence" ::: "memory");
        wrmsr(msr_of(kRegIcrLow), uint64_t(dest) << 32 | low);
        return;
    }
    // xAPIC: the ICR is two registers, so an interrupt handler sending its own IPI between
    // the writes would corrupt ours; UC MMIO stores are ordered after earlier stores.
    InterruptGuard guard;
    while (g_mmio[kRegIcrLow / 4] & kIcrDeliveryPending) cpu_relax();
    g_mmio[kRegIcrHigh / 4] = dest << 24;
    g_mmio[kRegIcrLow / 4] = low;
    while (g_mmio[kRegIcrLow / 4] & kIcrDeliveryPending) cpu_relax();
}

void init_this_cpu() {
    if (g_mode == Mode::none) return;
    enable_in_msr();
    write(kRegTpr, 0);
    write(kRegLvtTimer, kLvtMasked | kVectorTimer);
    write(kRegLvtLint0, kLvtMasked);
    write(kRegLvtLint1, kLvtNmi);  // the PC default; the MADT's NMI entries may refine it
    write(kRegLvtError, kLvtMasked | kVectorSpurious);
    // The ESR latches errors; it is cleared by a write before reading (SDM 10.5.3).
    write(kRegEsr, 0);
    write(kRegEsr, 0);
    write(kRegSpurious, kSpuriousEnable | kVectorSpurious);
    eoi();  // drop anything left in service by firmware
}

void apply_nmi_entries(const acpi::Madt& madt, uint32_t acpi_uid) {
    for (size_t i = 0; i < madt.nmi_count; ++i) {
        const acpi::MadtNmi& n = madt.nmis[i];
        if (!n.all_cpus && n.acpi_uid != acpi_uid) continue;
        if (n.lint > 1) {
            log_warn("lapic: MADT NMI entry names LINT%u, ignored", n.lint);
            continue;
        }
        // MPS INTI flags: polarity bits 0-1 (3 = active low), trigger bits 2-3 (3 = level).
        uint32_t lvt = kLvtNmi;
        if ((n.flags & 3) == 3) lvt |= kLvtActiveLow;
        if (((n.flags >> 2) & 3) == 3) lvt |= kLvtLevelTriggered;
        write(n.lint == 0 ? kRegLvtLint0 : kRegLvtLint1, lvt);
    }
}

void init_bsp(bool allow_x2apic, uint64_t madt_base) {
    const CpuFeatures& f = cpuinfo().features;
    uint64_t base_msr = rdmsr(MSR_APIC_BASE);
    if (!f.apic && !(base_msr & kApicBaseEnable)) {
        log_error("lapic: CPUID reports no local APIC; interrupts stay off");
        return;
    }
    bool firmware_x2apic = (base_msr & kApicBaseEnable) && (base_msr & kApicBaseX2apic);
    if (firmware_x2apic && !allow_x2apic) {
        // Leaving x2APIC mode means disabling the APIC first (SDM 10.12.5), which would
        // also drop firmware state; staying is the safer default.
        log_warn("lapic: firmware left x2APIC enabled; x2apic=off ignored");
    }
    if (firmware_x2apic || (f.x2apic && allow_x2apic)) {
        g_mode = Mode::x2apic;
    } else {
        uint64_t phys = base_msr & kApicBaseAddressMask;
        if (phys == 0) phys = madt_base ? madt_base : 0xfee00000;
        if (madt_base && madt_base != phys)
            log_warn("lapic: MADT says base 0x%lx, APIC_BASE MSR says 0x%lx; using the MSR", (unsigned long)madt_base,
                     (unsigned long)phys);
        g_mmio = static_cast<volatile uint32_t*>(mm::map_mmio(phys, 4096));
        if (!g_mmio) {
            log_error("lapic: cannot map the xAPIC page at 0x%lx", (unsigned long)phys);
            return;
        }
        g_mode = Mode::xapic;
    }
    init_this_cpu();
    log_info("lapic: %s mode%s, BSP APIC ID %u, version 0x%x", mode_name(), f.x2apic ? "" : " (CPUID offers no x2APIC)",
             id(), read(kRegVersion) & 0xff);
}

}  // namespace arch::lapic
