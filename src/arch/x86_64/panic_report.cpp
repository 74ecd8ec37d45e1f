// The panic report. Exactly one CPU prints it: the first to claim g_panic_cpu. A CPU
// that panics while another is reporting parks itself (the reporter stops it with an NMI
// anyway); a CPU that panics inside its own report prints one line and stops.
#include "arch/x86_64/panic_report.h"

#include <atomic>
#include <cstdint>

#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "lib/panic.h"

namespace arch {
namespace {

constexpr int32_t kNobody = -1;
// The CPU that owns the panic report. The claim is an acq_rel CAS; panic_in_progress()
// loads it with acquire, pairing with that CAS, so an NMI handler that sees a panicking
// CPU also sees what it wrote before claiming.
std::atomic<int32_t> g_panic_cpu{kNobody};

// The hooks: each set once, at its owner's init on the BSP, before any other CPU runs.
void (*g_enter_panic_mode)() = nullptr;
void (*g_write_raw)(const char*, size_t) = nullptr;
void (*g_stop_other_cpus)() = nullptr;
void (*g_end_run)() = nullptr;

[[noreturn]] void halt_forever() {
    for (;;) {
        cli();
        halt();
    }
}

[[noreturn]] void finish() {
    if (g_stop_other_cpus) g_stop_other_cpus();
    if (g_end_run) g_end_run();
    klog::print("System halted.\n");
    halt_forever();
}

void print_registers(const InterruptFrame& f) {
    klog::print("rax %016llx  rbx %016llx  rcx %016llx\n", (unsigned long long)f.rax, (unsigned long long)f.rbx,
                (unsigned long long)f.rcx);
    klog::print("rdx %016llx  rsi %016llx  rdi %016llx\n", (unsigned long long)f.rdx, (unsigned long long)f.rsi,
                (unsigned long long)f.rdi);
    klog::print("rbp %016llx  rsp %016llx  r8  %016llx\n", (unsigned long long)f.rbp, (unsigned long long)f.rsp,
                (unsigned long long)f.r8);
    klog::print("r9  %016llx  r10 %016llx  r11 %016llx\n", (unsigned long long)f.r9, (unsigned long long)f.r10,
                (unsigned long long)f.r11);
    klog::print("r12 %016llx  r13 %016llx  r14 %016llx\n", (unsigned long long)f.r12, (unsigned long long)f.r13,
                (unsigned long long)f.r14);
    klog::print("r15 %016llx  rflags %016llx  cs %llx ss %llx\n", (unsigned long long)f.r15,
                (unsigned long long)f.rflags, (unsigned long long)f.cs, (unsigned long long)f.ss);
}

void print_rip(const InterruptFrame& f) {
    char symbol[160];
    ksyms::format(f.rip, symbol, sizeof symbol);
    klog::print("rip %016llx %s\n", (unsigned long long)f.rip, symbol);
}

void print_frame_backtrace(const InterruptFrame& f) {
    char symbol[160];
    ksyms::format(f.rip, symbol, sizeof symbol);
    klog::print("backtrace:\n");
    // The interrupted function itself, then its callers.
    klog::print("  #   0x%016llx %s\n", (unsigned long long)f.rip, symbol);
    ksyms::print_backtrace(f.rbp);
}

[[noreturn]] void report(const InterruptFrame* frame, const char* message, uint64_t caller_rbp) {
    cli();
    PerCpu* cpu = this_cpu_safe();
    int32_t me = int32_t(cpu->index);
    int32_t expected = kNobody;
    if (!g_panic_cpu.compare_exchange_strong(expected, me, std::memory_order_acq_rel)) {
        if (expected != me) halt_forever();
        // A fault inside our own report: say so on the raw serial line and stop.
        if (g_write_raw) {
            const char line[] = "\nPANIC: recursive panic during the panic report: ";
            g_write_raw(line, sizeof line - 1);
            g_write_raw(message, strlen(message));
            g_write_raw("\n", 1);
        }
        finish();
    }
    if (g_enter_panic_mode) g_enter_panic_mode();

    klog::print("\n======== KERNEL PANIC ========\n");
    klog::print("panic: %s\n", message);
    klog::print("cpu %u (apic id %u)\n", cpu->index, cpu->apic_id);
    if (frame != nullptr) {
        klog::print("exception: %s (vector %llu), error code 0x%llx\n", exception_name(frame->vector),
                    (unsigned long long)frame->vector, (unsigned long long)frame->error_code);
        print_rip(*frame);
        klog::print("rsp %016llx\n", (unsigned long long)frame->rsp);
        // A #DF is usually a #PF that could not be delivered (a stack ran into its guard
        // page), and CR2 still names the address; for a #PF it is the faulting address.
        if (frame->vector == kVectorDoubleFault) {
            uint64_t cr2 = read_cr2();
            char note[64];
            describe_fault_address(cr2, note, sizeof note);
            klog::print("cr2 %016llx (last page-fault address)%s%s\n", (unsigned long long)cr2, note[0] ? " " : "",
                        note);
        }
        if (frame->vector == kVectorPageFault) {
            uint64_t cr2 = read_cr2();
            char note[64];
            describe_fault_address(cr2, note, sizeof note);
            const char* access = (frame->error_code & 2) ? "write" : "read";
            if (frame->error_code & 16) access = "instruction fetch";
            klog::print("cr2 %016llx (%s, %s)%s%s\n", (unsigned long long)cr2, access,
                        (frame->error_code & 1) ? "protection violation" : "page not present", note[0] ? " " : "",
                        note);
        }
        print_registers(*frame);
        print_frame_backtrace(*frame);
    } else {
        klog::print("backtrace:\n");
        ksyms::print_backtrace(caller_rbp);
    }
    klog::print("==============================\n");
    finish();
}

// lib/panic's reporter: a panic() call, its message formatted, `caller_rbp` its frame.
[[noreturn]] void report_panic(const char* message, uint64_t caller_rbp) { report(nullptr, message, caller_rbp); }

klog::Stamp log_stamp() { return {this_cpu_safe()->index, ns_since_boot()}; }

}  // namespace

void reporting_init() {
    set_panic_reporter(&report_panic);
    klog::set_stamp(&log_stamp);
}

bool panic_in_progress() { return g_panic_cpu.load(std::memory_order_acquire) != kNobody; }

void print_interrupted_context(const InterruptFrame& frame) {
    print_rip(frame);
    klog::print("rsp %016llx\n", (unsigned long long)frame.rsp);
    print_registers(frame);
    print_frame_backtrace(frame);
}

void panic_from_exception(const InterruptFrame& frame, const char* what) { report(&frame, what, 0); }

void set_panic_console(void (*enter_panic_mode)(), void (*write_raw)(const char*, size_t)) {
    g_enter_panic_mode = enter_panic_mode;
    g_write_raw = write_raw;
}
void set_panic_stop_other_cpus(void (*stop_other_cpus)()) { g_stop_other_cpus = stop_other_cpus; }
void set_panic_end_run(void (*end_run)()) { g_end_run = end_run; }

}  // namespace arch
