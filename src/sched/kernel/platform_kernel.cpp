// The out-of-line half of the kernel's sched_platform.h.
#include "sched_platform.h"

#include <atomic>

#include "arch/x86_64/timer.h"
#include "lib/cpu_mask.h"
#include "lib/fault_inject.h"
#include "lib/panic.h"
#include "sched/kernel/kernel_glue.h"
#include "smp/smp.h"

namespace sched::platform {
namespace {

// A wakeup kick to CPU i was dropped and its halt has not yet been looked at.
// relaxed: a mark for the rescue count; the work itself is published by the queues'
// own release/acquire pairs and the idle re-check, not through this flag.
std::atomic<bool> g_dropped_wakeup[kMaxCpus];

}  // namespace

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

void kick_wakeup(uint32_t cpu, HaltLatch& latch) {
    if (fault::should_fail(fault::Site::ipi)) {
        g_dropped_wakeup[cpu % kMaxCpus].store(true, std::memory_order_relaxed);
        return;  // lost, as on a machine that drops IPIs: only the backstop ends the halt
    }
    kick(cpu, latch);
}

bool take_dropped_wakeup(uint32_t cpu) {
    // relaxed: see g_dropped_wakeup.
    return g_dropped_wakeup[cpu % kMaxCpus].exchange(false, std::memory_order_relaxed);
}

void verify_failed(const char* invariant, const char* condition, const char* file, int line) {
    panic("sched invariant violated: %s (%s, %s:%d)", invariant, condition, file, line);
}

}  // namespace sched::platform
