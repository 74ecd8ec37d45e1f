// Leaving the machine: ACPI soft-off and reset, with the fallbacks a PC offers. Each says
// in one line what it tries; each returns only when nothing worked.
#pragma once

namespace console {
void power_off();
void reboot();
}  // namespace console
