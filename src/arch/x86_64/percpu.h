// Per-CPU block, reached through GS on every CPU. The first field points to itself so
// that this_cpu() is one gs-relative load.
#pragma once
#include <cstddef>
#include <cstdint>

#include "lib/cpu_mask.h"

namespace arch {

// IST stacks per CPU (TSS ist[0..2]): IST1 #DF, IST2 NMI, IST3 #MC.
constexpr int kIstStacks = 3;

struct CpuTopology {
    uint32_t package = 0, core = 0, thread = 0;
};

struct PerCpu {
    PerCpu* self;  // must stay first: this_cpu() reads gs:0
    uint32_t index;  // dense 0..online-1, BSP is 0
    uint32_t apic_id;
    CpuTopology topology;
    // counters
    uint64_t interrupts;
    uint64_t timer_ticks;
    uint64_t ipis_received;
    uint64_t call_functions_run;
    // Non-zero while this CPU runs its NMI handler (smp/ipi.cpp), which may have
    // interrupted this very CPU inside the console lock: the console then does not wait
    // for itself. Written and read only by this CPU, like a signal handler's flag; the
    // handler's writes sit around opaque calls, so the compiler keeps them in place.
    volatile uint32_t nmi_nesting;
    // The scheduler's run structures of this CPU (a sched::CpuSched, which arch does not
    // know), set once by sched::start() before the CPU schedules: this_cpu_sched() is then
    // one gs-relative load (this_cpu_slot()) instead of three.
    void* scheduler;
    // arch-private: GDT/TSS/IST stacks live here so each CPU has its own
    alignas(16) uint64_t gdt[7];
    struct __attribute__((packed)) Tss {
        uint32_t reserved0;
        uint64_t rsp[3];
        uint64_t reserved1;
        uint64_t ist[7];
        uint64_t reserved2;
        uint16_t reserved3;
        uint16_t iomap_base;
    } tss;
};

inline PerCpu* this_cpu() {
    PerCpu* p;
    asm volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}
// A pointer-sized field of this CPU's block, read with one gs-relative load (no self
// pointer, no index). `offset` is offsetof(PerCpu, field). volatile as this_cpu(): a task
// may move to another CPU between two reads.
template <size_t offset>
inline void* this_cpu_slot() {
    void* p;
    asm volatile("mov %%gs:%c1, %0" : "=r"(p) : "i"(offset));
    return p;
}
// Early boot (before GS is set up) this returns the BSP's block.
PerCpu* this_cpu_safe();

PerCpu& cpu(uint32_t index);  // by dense index
uint32_t cpu_count();  // CPUs online
PerCpu* cpu_by_apic_id(uint32_t apic_id);

// Sets GS base to `pc` and loads this CPU's GDT/TSS (with IST stacks for #DF and NMI).
void percpu_install(PerCpu& pc);
// BSP only, first thing in kmain: a static block for CPU 0.
PerCpu& bsp_percpu();
// Publishes a CPU that has finished percpu_install() on itself: cpu(index) and
// cpu_by_apic_id() find it and cpu_count() includes it. The BSP registers itself in kmain.
// Indices are expected to come online densely (0, 1, 2, ...).
void percpu_register_online(PerCpu& pc);

}  // namespace arch
