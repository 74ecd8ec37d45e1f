// Per-CPU blocks: a static one for the BSP (usable before the heap exists), and the table
// of online CPUs. The APs' blocks come from smp (bringup.cpp allocates them).
#include "arch/x86_64/percpu.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/interrupts.h"
#include "lib/panic.h"

namespace arch {
namespace {

constexpr size_t kBspIstStackBytes = 8192;

PerCpu g_bsp;
// The BSP installs its block before frames exist, so its IST stacks are static.
alignas(16) uint8_t g_bsp_ist_stacks[kIstStacks][kBspIstStackBytes];

PerCpu* g_cpus[kMaxCpus];
// release (in register): pairs with the acquire loads in cpu_count(), so whoever sees the
// new count also sees g_cpus[index] and the block's contents.
std::atomic<uint32_t> g_online{0};

}  // namespace

PerCpu* this_cpu_safe() {
    // GS base is 0 until percpu_install() ran on this CPU.
    if (rdmsr(MSR_GS_BASE) == 0) return &g_bsp;
    return this_cpu();
}

PerCpu& cpu(uint32_t index) {
    KASSERT(index < kMaxCpus && g_cpus[index] != nullptr);
    return *g_cpus[index];
}

uint32_t cpu_count() { return g_online.load(std::memory_order_acquire); }

PerCpu* cpu_by_apic_id(uint32_t apic_id) {
    uint32_t n = cpu_count();
    for (uint32_t i = 0; i < n; ++i)
        if (g_cpus[i] != nullptr && g_cpus[i]->apic_id == apic_id) return g_cpus[i];
    return nullptr;
}

PerCpu& bsp_percpu() {
    g_bsp.self = &g_bsp;
    g_bsp.index = 0;
    g_bsp.apic_id = cpuid(1).ebx >> 24;  // xAPIC ID; smp::init may refine it (x2APIC)
    for (int i = 0; i < kIstStacks; ++i)
        g_bsp.tss.ist[i] = reinterpret_cast<uint64_t>(g_bsp_ist_stacks[i] + kBspIstStackBytes);
    return g_bsp;
}

void percpu_install(PerCpu& pc) {
    pc.self = &pc;
    gdt_load(pc);
    wrmsr(MSR_GS_BASE, reinterpret_cast<uint64_t>(&pc));
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void percpu_register_online(PerCpu& pc) {
    KASSERT(pc.index < kMaxCpus);
    g_cpus[pc.index] = &pc;
    g_online.fetch_add(1, std::memory_order_release);
}

}  // namespace arch
