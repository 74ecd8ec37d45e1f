// IOAPICs: every input masked at boot; only COM1 is routed (to the BSP). The COM1 receive
// interrupt lives here too because routing it is the only thing the IOAPIC is used for yet.
#include <atomic>

#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "lib/log.h"
#include "mm/paging.h"

namespace arch::ioapic {
namespace {

constexpr uint32_t kRegVersion = 0x01;
constexpr uint32_t kRegRedirectionBase = 0x10;
constexpr uint64_t kRedirMasked = 1ull << 16;
constexpr uint64_t kRedirLevel = 1ull << 15;
constexpr uint64_t kRedirActiveLow = 1ull << 13;

struct IoApic {
    volatile uint32_t* mmio = nullptr;  // IOREGSEL at +0, IOWIN at +0x10
    uint32_t gsi_base = 0;
    uint32_t inputs = 0;
    uint8_t id = 0;
};

IoApic g_ioapics[acpi::kMaxIoApics];
uint32_t g_count = 0;

// IOREGSEL/IOWIN is a select-then-access pair. Only the BSP programs IOAPICs, during
// init, so the pair needs no lock yet; a second user would need one.
uint32_t read_reg(IoApic& io, uint32_t reg) {
    io.mmio[0] = reg;
    return io.mmio[4];
}
void write_reg(IoApic& io, uint32_t reg, uint32_t value) {
    io.mmio[0] = reg;
    io.mmio[4] = value;
}
void write_redirection(IoApic& io, uint32_t input, uint64_t entry) {
    uint32_t reg = kRegRedirectionBase + 2 * input;
    // Mask first so the entry is never live with a half-written destination.
    write_reg(io, reg, uint32_t(kRedirMasked));
    write_reg(io, reg + 1, uint32_t(entry >> 32));
    write_reg(io, reg, uint32_t(entry));
}

}  // namespace

uint32_t count() { return g_count; }

void init(const acpi::Madt& madt) {
    for (size_t i = 0; i < madt.ioapic_count && g_count < acpi::kMaxIoApics; ++i) {
        const acpi::MadtIoApic& m = madt.ioapics[i];
        if (m.address == 0 || (m.address & 0xf) != 0) {
            log_warn("ioapic: MADT entry %zu has bad address 0x%x, skipped", i, m.address);
            continue;
        }
        void* mapped = mm::map_mmio(m.address, 4096);
        if (!mapped) {
            log_warn("ioapic: cannot map 0x%x, skipped", m.address);
            continue;
        }
        IoApic& io = g_ioapics[g_count];
        io.mmio = static_cast<volatile uint32_t*>(mapped);
        io.gsi_base = m.gsi_base;
        io.id = m.id;
        uint32_t version = read_reg(io, kRegVersion);
        if (version == 0xffffffff) {
            log_warn("ioapic: nothing answers at 0x%x, skipped", m.address);
            continue;
        }
        io.inputs = ((version >> 16) & 0xff) + 1;
        for (uint32_t input = 0; input < io.inputs; ++input) write_redirection(io, input, kRedirMasked);
        log_info("ioapic: id %u at 0x%x, GSIs %u-%u, all masked", io.id, m.address, io.gsi_base,
                 io.gsi_base + io.inputs - 1);
        ++g_count;
    }
    if (g_count == 0) log_warn("ioapic: none usable; no device interrupts");
}

bool route_isa_irq(const acpi::Madt& madt, uint8_t irq, uint8_t vector, uint32_t dest_apic_id) {
    // ISA defaults: GSI = IRQ, edge triggered, active high, unless an override says otherwise.
    uint32_t gsi = irq;
    uint16_t flags = 0;
    for (size_t i = 0; i < madt.override_count; ++i) {
        if (madt.overrides[i].bus == 0 && madt.overrides[i].source_irq == irq) {
            gsi = madt.overrides[i].gsi;
            flags = madt.overrides[i].flags;
        }
    }
    for (uint32_t i = 0; i < g_count; ++i) {
        IoApic& io = g_ioapics[i];
        if (gsi < io.gsi_base || gsi - io.gsi_base >= io.inputs) continue;
        if (dest_apic_id > 0xff) {
            // Without interrupt remapping the IOAPIC destination field is 8 bits.
            log_warn("ioapic: APIC ID %u is not addressable, IRQ %u not routed", dest_apic_id, irq);
            return false;
        }
        uint64_t entry = vector | uint64_t(dest_apic_id) << 56;  // fixed, physical destination
        if ((flags & 3) == 3) entry |= kRedirActiveLow;
        if (((flags >> 2) & 3) == 3) entry |= kRedirLevel;
        write_redirection(io, gsi - io.gsi_base, entry);
        log_info("ioapic: ISA IRQ %u -> GSI %u -> vector 0x%x on APIC %u (%s, %s)", irq, gsi, vector, dest_apic_id,
                 entry & kRedirLevel ? "level" : "edge", entry & kRedirActiveLow ? "active low" : "active high");
        return true;
    }
    log_warn("ioapic: no IOAPIC serves GSI %u (ISA IRQ %u); not routed", gsi, irq);
    return false;
}

}  // namespace arch::ioapic

namespace arch {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
constexpr uint8_t kCom1Irq = 4;

// Bytes received, counted by the BSP's handler only (it logs the first one).
std::atomic<uint64_t> g_serial_bytes{0};
// The console's input queue (set once, before the console reads); relaxed: see idt.cpp's
// handler table, the same single pointer-sized store.
std::atomic<SerialReceiveHook> g_serial_hook{nullptr};

void serial_interrupt(InterruptFrame&) {
    // Reading IIR acknowledges a THR-empty cause; draining RBR clears "data available".
    (void)inb(kCom1 + 2);
    while (inb(kCom1 + 5) & 1) {
        uint8_t byte = inb(kCom1);
        // relaxed: a statistic, single writer.
        uint64_t before = g_serial_bytes.fetch_add(1, std::memory_order_relaxed);
        if (before == 0) log_debug("serial: first byte received: 0x%x", byte);
        if (auto hook = g_serial_hook.load(std::memory_order_relaxed)) hook(byte);
    }
    lapic::eoi();
}

}  // namespace

void set_serial_receive_hook(SerialReceiveHook hook) { g_serial_hook.store(hook, std::memory_order_relaxed); }

void serial_irq_init(const acpi::Madt* madt, uint32_t bsp_apic_id) {
    if (!madt || ioapic::count() == 0) {
        log_info("serial: no IOAPIC, COM1 receive interrupt not used");
        return;
    }
    set_interrupt_handler(kVectorSerial, serial_interrupt);
    if (!ioapic::route_isa_irq(*madt, kCom1Irq, kVectorSerial, bsp_apic_id)) return;
    while (inb(kCom1 + 5) & 1) (void)inb(kCom1);  // stale input would hold the line high
    outb(kCom1 + 4, inb(kCom1 + 4) | 0x08);  // MCR.OUT2 gates the IRQ line on PCs
    outb(kCom1 + 1, 0x01);  // IER: received data available only
}

}  // namespace arch
