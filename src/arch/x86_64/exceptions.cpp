// What happens on a CPU exception that no driver claimed: a test may have announced it
// (expect_fault), an NMI may be the panic path stopping this CPU, otherwise it is a
// kernel bug and ends in panic_from_exception.
#include "arch/x86_64/exceptions.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/panic_report.h"
#include "arch/x86_64/percpu.h"
#include "lib/log.h"

namespace arch {
namespace {

const char* const kExceptionNames[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved 31",
};

// One armed expectation per CPU, indexed by the dense CPU index. Written and read by the
// same CPU only (the test arms it, that CPU's fault handler consumes it), so plain
// pointers suffice.
ExpectedFault* g_expected[kMaxCpus];

// Set once at boot (kmain, before any other CPU runs).
FaultAddressDescriber g_describer = nullptr;

}  // namespace

const char* exception_name(uint64_t vector) { return vector < 32 ? kExceptionNames[vector] : "interrupt"; }

void describe_fault_address(uint64_t address, char* buf, size_t size) {
    if (g_describer)
        g_describer(address, buf, size);
    else if (buf && size)
        buf[0] = '\0';
}

void set_fault_address_describer(FaultAddressDescriber describer) { g_describer = describer; }

void expect_fault(ExpectedFault* f) { g_expected[this_cpu_safe()->index] = f; }

void handle_exception(InterruptFrame& frame) {
    uint32_t me = this_cpu_safe()->index;
    ExpectedFault* expected = g_expected[me];
    if (expected != nullptr && expected->vector == frame.vector) {
        // One fault only: disarm before resuming so a second one panics as usual.
        g_expected[me] = nullptr;
        expected->fault_address = frame.vector == kVectorPageFault ? read_cr2() : frame.rip;
        expected->hit = true;
        char note[64];
        describe_fault_address(expected->fault_address, note, sizeof note);
        log_info("expected fault: %s at 0x%llx, rip 0x%llx%s%s", exception_name(frame.vector),
                 (unsigned long long)expected->fault_address, (unsigned long long)frame.rip, note[0] ? ", " : "", note);
        frame.rip = expected->resume_rip;
        return;
    }
    // The panicking CPU stops the others with an NMI: park here without a second report.
    if (frame.vector == kVectorNmi && panic_in_progress()) {
        for (;;) {
            cli();
            halt();
        }
    }
    panic_from_exception(frame, "unhandled exception");
}

}  // namespace arch
