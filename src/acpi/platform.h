// Kernel side of ACPI: finds the tables in physical memory and keeps what the kernel uses.
#pragma once
#include <cstdint>
#include <span>

#include "acpi/acpi.h"

namespace acpi {

// BSP, once, after paging and the heap are up. RSDP from `loader_rsdp` (the multiboot2
// tag's copy; may be empty), else a scan of the EBDA and 0xE0000-0xFFFFF; then XSDT (or
// RSDT), MADT, FADT and \_S5 from the DSDT. Every problem is one log line; returns
// platform().has_madt.
bool discover(std::span<const uint8_t> loader_rsdp);
const Platform& platform();

// ACPI soft-off through PM1a_CNT when the FADT and \_S5 were found; returns only when
// that was impossible or did not work.
void power_off();

}  // namespace acpi
