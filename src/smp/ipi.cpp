// Typed IPIs (reschedule, call-function, halt) and the NMI that stops all other CPUs.
#include <atomic>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/percpu.h"
#include "smp/smp.h"
#include "smp/smp_internal.h"

namespace smp {
namespace {

// relaxed counters: statistics read by tests after a call-function round trip, which
// itself orders them (the handler's increment precedes its EOI and the test's wait).
std::atomic<uint64_t> g_reschedules[kMaxCpus];

// release/acquire: the hook's data is set up before it is installed.
std::atomic<ReschedHook> g_resched_hook{nullptr};

// Set (release) by stop_other_cpus() before the NMI is sent; the NMI handler's acquire
// load tells a deliberate stop from any other NMI.
std::atomic<bool> g_stop_requested{false};

// release/acquire: the hook's data is set up before it is installed (the lockup
// detector's per-CPU records), and the NMI handler loads it with acquire.
std::atomic<NmiHook> g_nmi_hook{nullptr};

uint8_t vector_of(Ipi kind) {
    switch (kind) {
        case Ipi::reschedule:
            return arch::kVectorIpiReschedule;
        case Ipi::call_function:
            return arch::kVectorIpiCallFunction;
        case Ipi::halt:
            return arch::kVectorIpiHalt;
    }
    return arch::kVectorIpiReschedule;
}

void reschedule_interrupt(InterruptFrame&) {
    arch::PerCpu* me = arch::this_cpu();
    ++me->ipis_received;
    g_reschedules[me->index].fetch_add(1, std::memory_order_relaxed);
    arch::lapic::eoi();
    if (ReschedHook hook = g_resched_hook.load(std::memory_order_acquire)) hook();
}

void call_function_interrupt(InterruptFrame&) {
    arch::PerCpu* me = arch::this_cpu();
    ++me->ipis_received;
    // EOI first: a request may not return quickly (the halt test parks a CPU in one).
    arch::lapic::eoi();
    detail::call_function_drain(me->index);
}

[[noreturn]] void park_forever() {
    for (;;) {
        arch::cli();
        arch::halt();
    }
}

void halt_interrupt(InterruptFrame&) {
    ++arch::this_cpu()->ipis_received;
    arch::lapic::eoi();
    park_forever();
}

void nmi_interrupt(InterruptFrame& frame) {
    if (g_stop_requested.load(std::memory_order_acquire)) park_forever();
    arch::PerCpu* me = arch::this_cpu_safe();
    me->nmi_nesting = me->nmi_nesting + 1;  // the console: this CPU may have been interrupted inside its lock
    NmiHook hook = g_nmi_hook.load(std::memory_order_acquire);  // pairs with set_nmi_hook()
    bool handled = hook != nullptr && hook(frame);
    me->nmi_nesting = me->nmi_nesting - 1;
    if (!handled) arch::handle_exception(frame);  // the exception policy (panic parking, reports)
}

bool targetable(uint32_t cpu_index) {
    return arch::lapic::ready() && cpu_index < arch::cpu_count() && cpu_index != arch::this_cpu()->index;
}

}  // namespace

namespace detail {

void ipi_init() {
    arch::set_interrupt_handler(arch::kVectorIpiReschedule, reschedule_interrupt);
    arch::set_interrupt_handler(arch::kVectorIpiCallFunction, call_function_interrupt);
    arch::set_interrupt_handler(arch::kVectorIpiHalt, halt_interrupt);
    arch::set_interrupt_handler(arch::kVectorNmi, nmi_interrupt);
}

uint64_t reschedule_count(uint32_t cpu_index) {
    return cpu_index < kMaxCpus ? g_reschedules[cpu_index].load(std::memory_order_relaxed) : 0;
}

}  // namespace detail

ReschedHook set_reschedule_hook(ReschedHook hook) {
    return g_resched_hook.exchange(hook, std::memory_order_acq_rel);  // release: pairs with the handler
}

void send_ipi(uint32_t cpu_index, Ipi kind) {
    if (!targetable(cpu_index)) {
        // To self: a self-IPI through the shorthand, so the same handler runs.
        if (arch::lapic::ready() && cpu_index == arch::this_cpu()->index)
            arch::lapic::send_ipi(0, vector_of(kind), arch::lapic::Delivery::fixed, arch::lapic::Shorthand::self);
        return;
    }
    arch::lapic::send_ipi(arch::cpu(cpu_index).apic_id, vector_of(kind));
}

void send_ipi(const CpuMask& set, Ipi kind) {
    uint32_t online = arch::cpu_count();
    for (uint32_t i = 0; i < online; ++i)
        if (set.contains(i)) send_ipi(i, kind);
}

void send_ipi_all_but_self(Ipi kind) {
    // One IPI per online CPU rather than the all-but-self shorthand: the shorthand would
    // also reach CPUs that are present but were left out of bring-up.
    uint32_t online = arch::cpu_count();
    uint32_t self = arch::this_cpu()->index;
    for (uint32_t i = 0; i < online; ++i)
        if (i != self) send_ipi(i, kind);
}

NmiHook set_nmi_hook(NmiHook hook) {
    return g_nmi_hook.exchange(hook, std::memory_order_acq_rel);  // release: pairs with nmi_interrupt()
}

bool send_nmi(uint32_t cpu_index) {
    if (!targetable(cpu_index)) return false;
    // The vector field is ignored for delivery mode NMI; the IDT's vector 2 runs.
    arch::lapic::send_ipi(arch::cpu(cpu_index).apic_id, 0, arch::lapic::Delivery::nmi);
    return true;
}

void stop_other_cpus() {
    // Before the LAPIC is up no other CPU runs, so there is nothing to stop.
    if (!arch::lapic::ready()) return;
    g_stop_requested.store(true, std::memory_order_release);  // pairs with nmi_interrupt()
    // The shorthand needs no CPU table, which may be what the panic is about. CPUs never
    // started are in wait-for-SIPI, where NMIs are held off.
    arch::lapic::send_ipi(0, 0, arch::lapic::Delivery::nmi, arch::lapic::Shorthand::all_but_self);
}

}  // namespace smp
