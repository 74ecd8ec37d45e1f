// Thin wrappers over x86-64 instructions, and the RAII types built on cli/sti.
// Header-only; no state.
#pragma once
#include <cstdint>

#include "lib/spinlock.h"

namespace arch {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
    uint8_t v;
    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint16_t inw(uint16_t port) {
    uint16_t v;
    asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
inline uint32_t inl(uint16_t port) {
    uint32_t v;
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
    asm volatile("wrmsr" ::"c"(msr), "a"(uint32_t(v)), "d"(uint32_t(v >> 32)) : "memory");
}

struct CpuidRegs {
    uint32_t eax, ebx, ecx, edx;
};
inline CpuidRegs cpuid(uint32_t leaf, uint32_t subleaf = 0) {
    CpuidRegs r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(subleaf));
    return r;
}

inline uint64_t rdtsc() {
    uint32_t lo, hi;
    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t(hi) << 32) | lo;
}

inline void cpu_relax() { asm volatile("pause" ::: "memory"); }
inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void halt() { asm volatile("hlt" ::: "memory"); }
// sti takes effect after the next instruction, so no interrupt can land between them.
inline void sti_halt() { asm volatile("sti; hlt" ::: "memory"); }
inline bool interrupts_enabled() {
    uint64_t f;
    asm volatile("pushfq; popq %0" : "=r"(f));
    return f & (1u << 9);
}

inline uint64_t read_cr2() {
    uint64_t v;
    asm volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}
inline uint64_t read_cr3() {
    uint64_t v;
    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}
inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }

// RAII: interrupts off for the scope, restored to their previous state after.
// InterruptGuard's tag for a scope where interrupts are off already (an interrupt gate, the
// scheduler's entry with IF=0), which the caller has just checked: the guard then neither
// saves nor clears nor restores IF (8 instructions on every context switch).
struct AlreadyOff {};
inline constexpr AlreadyOff already_off{};

class InterruptGuard {
public:
    InterruptGuard() : m_were_enabled(interrupts_enabled()) { cli(); }
    explicit InterruptGuard(AlreadyOff) : m_were_enabled(false) {}
    // Whether interrupts were on before the guard (a slow path inside it may turn them on
    // for a while, and off again).
    bool were_enabled() const { return m_were_enabled; }
    ~InterruptGuard() {
        if (m_were_enabled) sti();
    }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    bool m_were_enabled;
};

}  // namespace arch

// Interrupts off first, then the lock; released in reverse order by the destructors.
class IrqSaveLocker {
public:
    explicit IrqSaveLocker(Spinlock& lock) : m_locker(lock) {}

private:
    arch::InterruptGuard m_irq;  // declared first: constructed before, destroyed after the lock
    SpinlockLocker m_locker;
};

namespace arch {

constexpr uint32_t MSR_APIC_BASE = 0x1b;
constexpr uint32_t MSR_EFER = 0xc0000080;
constexpr uint32_t MSR_GS_BASE = 0xc0000101;
constexpr uint32_t MSR_KERNEL_GS_BASE = 0xc0000102;
constexpr uint32_t MSR_TSC_DEADLINE = 0x6e0;

}  // namespace arch
