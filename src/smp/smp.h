// Multiprocessor bring-up and cross-CPU calls.
#pragma once
#include <cstdint>
#include <span>

#include "lib/cpu_mask.h"

struct InterruptFrame;

namespace smp {

// What bring-up takes from the boot loader and the command line (kmain fills it in).
struct Config {
    // The ACPI RSDP as the loader copied it out (multiboot2 tag); empty: scan BIOS memory.
    std::span<const uint8_t> loader_rsdp;
    bool x2apic = true;  // x2apic=off forces xAPIC even if supported
    uint32_t max_cpus = kMaxCpus;  // smp.max_cpus= (nosmp: 1)
    uint32_t ap_timeout_ms = 200;  // smp.ap_timeout_ms=
    bool expect_ap_failure = false;  // testing: the last AP gets no SIPI (the timeout path)
};

// Called once by kmain on the BSP after memory, IDT and the BSP's per-CPU block are up:
// ACPI (MADT), LAPIC (x2APIC when present), IOAPIC, timer calibration, CPU topology,
// then INIT-SIPI-SIPI for every enabled AP. Prints "smp: <online>/<found> cpus online"
// and one topology line per CPU. Never fails: missing tables mean one CPU.
void init(const Config& config);

enum class Ipi : uint8_t { reschedule, call_function, halt };
void send_ipi(uint32_t cpu_index, Ipi kind);
void send_ipi(const CpuMask& set, Ipi kind);
void send_ipi_all_but_self(Ipi kind);

// Runs in the reschedule IPI handler (after EOI, interrupts off) on the CPU that took it;
// for the scheduler's wakeups. Returns the previous hook.
using ReschedHook = void (*)();
ReschedHook set_reschedule_hook(ReschedHook hook);

// Runs fn(arg) on every CPU in `set` (the caller included if it is in the set), via the
// call-function IPI. With wait=true returns after every target has finished.
using CallFn = void (*)(void* arg);
void call_on(const CpuMask& set, CallFn fn, void* arg, bool wait);
void call_on_all(CallFn fn, void* arg, bool wait);

// After bring-up the APs idle in `sti; hlt`, serving IPIs. This hands them a main loop
// (the scheduler's): every online AP leaves its idle loop and calls fn(), which should
// not return (if it does, the AP goes back to idling and does not call that fn again).
// nullptr leaves APs idling.
using ApMain = void (*)();
void start_ap_main(ApMain fn);

// Panic path: stops every other CPU with an NMI. Safe to call before SMP is up.
void stop_other_cpus();

// An NMI to one other online CPU (LAPIC delivery mode NMI, xAPIC or x2APIC), for the
// lockup detector: it reaches a CPU that has interrupts off. False when it cannot be sent
// (no LAPIC, no such CPU, or the caller itself).
bool send_nmi(uint32_t cpu_index);
// Runs in the NMI handler (on the NMI's IST stack, interrupts off, NMIs blocked until it
// returns) unless the panic path is stopping this CPU. Returns true when the NMI was its
// own; otherwise the exception policy handles it (an unexplained NMI panics). Returns the
// previous hook.
using NmiHook = bool (*)(InterruptFrame& frame);
NmiHook set_nmi_hook(NmiHook hook);

}  // namespace smp
