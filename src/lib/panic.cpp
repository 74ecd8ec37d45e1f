// The panic report. Exactly one CPU prints it: the first to claim g_panic_cpu. A CPU
// that panics while another is reporting parks itself (the reporter stops it with an NMI
// anyway); a CPU that panics inside its own report prints one line and stops.
#include "lib/panic.h"

#include <atomic>
#include <cstdarg>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/percpu.h"
#include "drivers/console.h"
#include "drivers/serial.h"
#include "ktest/ktest.h"
#include "lib/backtrace.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "smp/smp.h"

namespace {

constexpr int32_t kNobody = -1;
// The CPU that owns the panic report. The claim is an acq_rel CAS; panic_in_progress()
// loads it with acquire, pairing with that CAS, so an NMI handler that sees a panicking
// CPU also sees what it wrote before claiming.
std::atomic<int32_t> g_panic_cpu{kNobody};

[[noreturn]] void halt_forever() {
    for (;;) {
        arch::cli();
        arch::halt();
    }
}

[[noreturn]] void finish() {
    smp::stop_other_cpus();
    if (ktest::active()) ktest::exit_qemu(false);
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

[[noreturn]] void report(const InterruptFrame* frame, const char* message, uint64_t caller_rbp) {
    arch::cli();
    arch::PerCpu* cpu = arch::this_cpu_safe();
    int32_t me = int32_t(cpu->index);
    int32_t expected = kNobody;
    if (!g_panic_cpu.compare_exchange_strong(expected, me, std::memory_order_acq_rel)) {
        if (expected != me) halt_forever();
        // A fault inside our own report: say so on the raw serial line and stop.
        const char line[] = "\nPANIC: recursive panic during the panic report: ";
        serial::write(line, sizeof line - 1);
        serial::write(message, strlen(message));
        serial::write("\n", 1);
        finish();
    }
    console::enter_panic_mode();

    klog::print("\n======== KERNEL PANIC ========\n");
    klog::print("panic: %s\n", message);
    klog::print("cpu %u (apic id %u)\n", cpu->index, cpu->apic_id);
    char symbol[160];
    if (frame != nullptr) {
        klog::print("exception: %s (vector %llu), error code 0x%llx\n", arch::exception_name(frame->vector),
                    (unsigned long long)frame->vector, (unsigned long long)frame->error_code);
        ksyms::format(frame->rip, symbol, sizeof symbol);
        klog::print("rip %016llx %s\n", (unsigned long long)frame->rip, symbol);
        klog::print("rsp %016llx\n", (unsigned long long)frame->rsp);
        // A #DF is usually a #PF that could not be delivered (a stack ran into its guard
        // page), and CR2 still names the address; for a #PF it is the faulting address.
        if (frame->vector == arch::kVectorDoubleFault) {
            uint64_t cr2 = arch::read_cr2();
            char note[64];
            arch::describe_fault_address(cr2, note, sizeof note);
            klog::print("cr2 %016llx (last page-fault address)%s%s\n", (unsigned long long)cr2, note[0] ? " " : "",
                        note);
        }
        if (frame->vector == arch::kVectorPageFault) {
            uint64_t cr2 = arch::read_cr2();
            char note[64];
            arch::describe_fault_address(cr2, note, sizeof note);
            const char* access = (frame->error_code & 2) ? "write" : "read";
            if (frame->error_code & 16) access = "instruction fetch";
            klog::print("cr2 %016llx (%s, %s)%s%s\n", (unsigned long long)cr2, access,
                        (frame->error_code & 1) ? "protection violation" : "page not present", note[0] ? " " : "",
                        note);
        }
        print_registers(*frame);
        klog::print("backtrace:\n");
        // The faulting function itself, then its callers.
        klog::print("  #   0x%016llx %s\n", (unsigned long long)frame->rip, symbol);
        ksyms::print_backtrace(frame->rbp);
    } else {
        klog::print("backtrace:\n");
        ksyms::print_backtrace(caller_rbp);
    }
    klog::print("==============================\n");
    finish();
}

} // namespace

bool panic_in_progress() { return g_panic_cpu.load(std::memory_order_acquire) != kNobody; }

void panic(const char* fmt, ...) {
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    report(nullptr, message, reinterpret_cast<uint64_t>(__builtin_frame_address(0)));
}

void panic_from_exception(const InterruptFrame& frame, const char* what) { report(&frame, what, 0); }
