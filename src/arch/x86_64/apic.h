// Interrupt controllers: the legacy 8259 pair (remapped, then masked for good), the local
// APIC of each CPU (one access layer for xAPIC MMIO and x2APIC MSRs) and the IOAPICs.
#pragma once
#include <cstdint>

namespace acpi {
struct Madt;
}

namespace arch {

// ---------------------------------------------------------------- 8259 PIC
// Moves the PIC vectors to 0x20-0x2f (so a stray legacy interrupt cannot look like an
// exception) and masks every line. The PIC is never unmasked afterwards.
void pic_remap_and_mask();

// ---------------------------------------------------------------- local APIC
namespace lapic {

enum class Mode : uint8_t { none, xapic, x2apic };

// Register offsets in xAPIC MMIO space; x2APIC uses MSR 0x800 + offset / 16.
enum Reg : uint32_t {
    kRegId = 0x20,
    kRegVersion = 0x30,
    kRegTpr = 0x80,
    kRegEoi = 0xb0,
    kRegSpurious = 0xf0,
    kRegEsr = 0x280,
    kRegIcrLow = 0x300,
    kRegIcrHigh = 0x310,  // xAPIC only
    kRegLvtTimer = 0x320,
    kRegLvtLint0 = 0x350,
    kRegLvtLint1 = 0x360,
    kRegLvtError = 0x370,
    kRegTimerInitial = 0x380,
    kRegTimerCurrent = 0x390,
    kRegTimerDivide = 0x3e0,
};

constexpr uint32_t kLvtMasked = 1u << 16;
constexpr uint32_t kLvtTimerPeriodic = 1u << 17;
constexpr uint32_t kLvtTimerTscDeadline = 2u << 17;

// ICR bits (low word).
enum class Delivery : uint32_t { fixed = 0u << 8, nmi = 4u << 8, init = 5u << 8, startup = 6u << 8 };
enum class Shorthand : uint32_t { none = 0u << 18, self = 1u << 18, all = 2u << 18, all_but_self = 3u << 18 };

// BSP: picks the mode (x2APIC when CPUID offers it and `allow_x2apic`), maps the xAPIC
// page when needed, then initializes this CPU like init_this_cpu(). `madt_base` is the
// address from the MADT (0 when unknown); the APIC_BASE MSR wins when they differ.
void init_bsp(bool allow_x2apic, uint64_t madt_base);
// Every AP: the same mode as the BSP, software-enabled, spurious vector 0xff, TPR 0,
// LINT0 masked, LINT1 as NMI (or as the MADT says), error LVT masked.
void init_this_cpu();
// Applies the MADT's local-APIC NMI entries for the CPU with `acpi_uid`.
void apply_nmi_entries(const acpi::Madt& madt, uint32_t acpi_uid);

Mode mode();
bool ready();  // init_bsp() has run
const char* mode_name();

uint32_t read(Reg reg);
void write(Reg reg, uint32_t value);
uint32_t id();  // this CPU's APIC ID (32-bit in x2APIC mode)
void eoi();

// Sends an IPI. `dest` is an APIC ID (ignored with a shorthand). Waits for the previous
// xAPIC send to be accepted; interrupts are off during the two-register write.
void send_ipi(uint32_t dest, uint8_t vector, Delivery delivery = Delivery::fixed, Shorthand shorthand = Shorthand::none,
              bool level_assert = true);
// Largest APIC ID an IPI can address in the current mode.
uint32_t max_addressable_id();

}  // namespace lapic

// ---------------------------------------------------------------- IOAPIC
namespace ioapic {
// Maps every IOAPIC the MADT lists and masks all their inputs.
void init(const acpi::Madt& madt);
// Routes ISA IRQ `irq` (through the MADT's interrupt source overrides) to `vector` on the
// CPU with `dest_apic_id`, unmasked. False (with one log line) when no IOAPIC serves it.
bool route_isa_irq(const acpi::Madt& madt, uint8_t irq, uint8_t vector, uint32_t dest_apic_id);
uint32_t count();
}  // namespace ioapic

// ---------------------------------------------------------------- COM1 receive interrupt
// Routes COM1 (ISA IRQ 4) to kVectorSerial on the BSP and enables the UART's
// receive interrupt. The handler drains the receive FIFO and counts the bytes.
void serial_irq_init(const acpi::Madt* madt, uint32_t bsp_apic_id);
// Each received byte is also handed to `hook`, in the interrupt handler (CPU 0, IF=0).
using SerialReceiveHook = void (*)(uint8_t byte);
void set_serial_receive_hook(SerialReceiveHook hook);

}  // namespace arch
