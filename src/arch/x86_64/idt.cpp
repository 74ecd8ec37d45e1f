// The IDT: one shared table for all CPUs, every vector pointing at its stub in
// asm/interrupts.S. interrupt_dispatch() routes a vector to its registered handler;
// unclaimed exceptions go to handle_exception(), unclaimed device vectors are logged.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/exceptions.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/percpu.h"
#include "lib/log.h"

extern "C" const char isr_stubs[];

namespace arch {
namespace {

struct __attribute__((packed)) Gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;  // bits 0-2: IST slot, 0 = stay on the current stack
    uint8_t type_attr;  // present | DPL 0 | 64-bit interrupt gate (IF cleared on entry)
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};
static_assert(sizeof(Gate) == 16);

constexpr uint16_t kKernelCodeSelector = 0x08;
constexpr uint8_t kInterruptGate = 0x8e;
constexpr uint64_t kStubStride = 16;  // matches the .align 16 in asm/interrupts.S

alignas(16) Gate g_idt[256];

// relaxed: handlers are registered during bring-up, before the vector can fire (the
// device or IPI sender is programmed afterwards, which orders it); a late registration
// is a single pointer-sized store that the dispatcher sees either before or after.
std::atomic<InterruptHandler> g_handlers[256];

void set_gate(uint8_t vector, uint8_t ist) {
    uint64_t stub = reinterpret_cast<uint64_t>(isr_stubs) + kStubStride * vector;
    g_idt[vector] =
        Gate{uint16_t(stub), kKernelCodeSelector, ist, kInterruptGate, uint16_t(stub >> 16), uint32_t(stub >> 32), 0};
}

}  // namespace

void idt_init() {
    for (int v = 0; v < 256; ++v) set_gate(uint8_t(v), 0);
    // Known-good stacks for the exceptions that can arrive on a broken one (percpu.cpp
    // fills IST1-3 of every CPU's TSS).
    set_gate(kVectorDoubleFault, 1);
    set_gate(kVectorNmi, 2);
    set_gate(kVectorMachineCheck, 3);
}

void idt_load() {
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr{sizeof g_idt - 1, reinterpret_cast<uint64_t>(g_idt)};
    asm volatile("lidt %0" ::"m"(idtr));
}

void set_interrupt_handler(uint8_t vector, InterruptHandler handler) {
    g_handlers[vector].store(handler, std::memory_order_relaxed);
}

}  // namespace arch

extern "C" void interrupt_dispatch(InterruptFrame* frame) {
    uint64_t vector = frame->vector & 0xff;
    arch::PerCpu* cpu = arch::this_cpu_safe();
    ++cpu->interrupts;
    if (auto handler = arch::g_handlers[vector].load(std::memory_order_relaxed)) {
        handler(*frame);
        return;
    }
    if (vector < 32) {
        arch::handle_exception(*frame);
        return;
    }
    // Spurious LAPIC interrupts need no EOI; legacy PIC vectors are masked but can still
    // deliver a spurious IRQ 7/15. Anything else has no driver: say so once per vector.
    if (vector == arch::kVectorSpurious || (vector >= 32 && vector < 48)) return;
    static std::atomic<bool> reported[256];
    // relaxed: only de-duplicates a diagnostic line.
    if (!reported[vector].exchange(true, std::memory_order_relaxed))
        log_warn("interrupt: vector %llu has no handler (no EOI sent)", (unsigned long long)vector);
}
