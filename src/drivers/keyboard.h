// PS/2 keyboard behind an 8042 controller, interrupt-driven on ISA IRQ 1. The driver only
// delivers raw bytes (scan code set 1: the controller's translation stays on); decoding
// them is the console's business.
#pragma once
#include <cstdint>

namespace acpi {
struct Madt;
}

namespace keyboard {

using ScancodeSink = void (*)(uint8_t byte);

// Probes the 8042 with bounded waits (a machine without one answers nothing, or 0xff),
// programs it (port 1 on, IRQ 1 on, translation on, the mouse port off), routes IRQ 1 to
// `dest_apic_id` and hands every byte to `sink` in the interrupt handler. Logs one line
// either way; false when there is no usable controller or no IOAPIC.
// On the CPU that programs the IOAPIC (the BSP), once.
bool init(const acpi::Madt* madt, uint32_t dest_apic_id, ScancodeSink sink);

// Pulses the CPU reset line through the 8042 (command 0xFE). Returns if nothing happened.
void pulse_reset_line();

}  // namespace keyboard
