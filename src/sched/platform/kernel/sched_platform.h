// Kernel implementation of the scheduler's platform hooks. The host file of the same name
// (S-P) lists the interface both provide; the include path picks one. Here a CPU is a
// CPU: halt is `sti; hlt` with the LAPIC one-shot as deadline, kick is the reschedule IPI.
#pragma once
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/spinlock.h"

namespace sched {
struct Task;
}

namespace sched::platform {

// The LAPIC's IRR is the latch: an IPI sent while the target has IF=0 stays pending and
// ends its next hlt at once. Nothing to keep in memory.
struct HaltLatch {};

// Proof that interrupts are off on this CPU, held for the life of an OwnerCpu.
using InterruptsOff = arch::InterruptGuard;

inline uint64_t now_tsc() { return arch::rdtsc(); }

// SchedStats' OpCost counters: an rdtsc pair and two relaxed counter updates per pick,
// steal round and wakeup (about 10 instructions each; on hardware each rdtsc is tens of
// cycles, and under QEMU each is a helper call). Off by default, so the hot paths read
// no clock; `make bench-icount` builds with SCHED_OP_COSTS=1, the only place whose
// figures need them (kbench reports zero operations without them).
#ifndef SCHED_OP_COSTS
#define SCHED_OP_COSTS 0
#endif
constexpr bool kCountOpCosts = SCHED_OP_COSTS != 0;

// Split so no product overflows (and no 128-bit division, which freestanding lacks):
// (ns % 1e9) * hz stays below 2^64 for any hz under 18 GHz.
inline uint64_t tsc_from_ns(uint64_t ns) {
    uint64_t hz = arch::tsc_hz();
    return ns / 1000000000u * hz + ns % 1000000000u * hz / 1000000000u;
}
inline uint64_t ns_from_tsc(uint64_t ticks) {
    uint64_t hz = arch::tsc_hz();
    return ticks / hz * 1000000000u + ticks % hz * 1000000000u / hz;
}

inline void cpu_relax() { arch::cpu_relax(); }

// Whether interrupts are off on this CPU, the precondition of every owner operation.
inline bool interrupts_off() { return !arch::interrupts_enabled(); }

// SCHED_VERIFY's failure: the panic report, naming the invariant.
[[noreturn, gnu::cold]] void verify_failed(const char* invariant, const char* condition, const char* file, int line);

// One turn of dispatch()'s wait for a task's last CPU to get off its stack: the kernel
// waits for as long as it takes (the idle detour keeps the wait short and cycle-free).
inline bool keep_waiting_on_cpu(const Task&, uint64_t /*since_tsc*/) {
    arch::cpu_relax();
    return true;
}

// The lock of a locked ready queue (issue 5), always taken with IF=0 (every ReadyQueues
// operation runs so), hence a plain spinlock (locked_queues.cpp's Guard takes it).
using QueueLock = ::Spinlock;

// Called with IF=0 on the halting CPU (since its idle re-check): arms the one-shot at
// `deadline_tsc` (0: none), then `sti; hlt; cli`. Returns on any interrupt: a kick, the
// deadline, another device, or a kick latched before the hlt.
void halt(HaltLatch& latch, uint64_t deadline_tsc);

// Sends the reschedule IPI to `cpu`. Out of line so this header stays free of smp/.
void kick(uint32_t cpu, HaltLatch& latch);

// The kick of a wakeup (kick_cpu(): work was published for a halted CPU). With fail=ipi:N
// armed it drops every Nth one (fault injection) and remembers that it did, so the idle
// loop can count the halts the backstop timer had to end instead (a rescue).
void kick_wakeup(uint32_t cpu, HaltLatch& latch);
// True once after a wakeup kick to `cpu` was dropped; clears the mark. On `cpu` itself.
bool take_dropped_wakeup(uint32_t cpu);

}  // namespace sched::platform

// SCHED_VERIFY(cond, "name"): an invariant of the scheduler, checked in every build (a
// compare and a branch where it holds). A violation panics, and the report names it.
#define SCHED_VERIFY(cond, invariant)                                                                             \
    do {                                                                                                          \
        if (__builtin_expect(!(cond), 0)) ::sched::platform::verify_failed(invariant, #cond, __FILE__, __LINE__); \
    } while (0)
