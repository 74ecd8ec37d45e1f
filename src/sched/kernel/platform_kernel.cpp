// The out-of-line half of the kernel's sched_platform.h.
#include "sched_platform.h"

#include "arch/x86_64/timer.h"
#include "lib/panic.h"
#include "sched/kernel/kernel_glue.h"
#include "smp/smp.h"

namespace sched::platform {

void halt(HaltLatch&, uint64_t deadline_tsc) {
    if (deadline_tsc != 0) {
        uint64_t now = now_tsc();
        uint64_t left = deadline_tsc > now ? deadline_tsc - now : 1;
        // Round up: an early wakeup only costs a re-check, but the caller asked for "not
        // before", and scale truncation in the timer would otherwise make it early twice.
        uint64_t ns = ns_from_tsc(left) + 1;
        arch::timer::oneshot_ns(ns);
    }
    watchdog_halt_begin();
    arch::sti_halt();
    arch::cli();
    watchdog_halt_end();
}

void kick(uint32_t cpu, HaltLatch&) { smp::send_ipi(cpu, smp::Ipi::reschedule); }

void verify_failed(const char* invariant, const char* condition, const char* file, int line) {
    panic("sched invariant violated: %s (%s, %s:%d)", invariant, condition, file, line);
}

}  // namespace sched::platform
