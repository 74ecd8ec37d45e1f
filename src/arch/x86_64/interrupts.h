// IDT, exception handlers and the registration of device/IPI vectors.
#pragma once
#include <cstdint>

// Layout pushed by the stubs in asm/interrupts.S (lowest address first).
struct InterruptFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
};

namespace arch {

// Vector plan: 0-31 exceptions, 32-47 legacy PIC (masked), 48+ IOAPIC devices,
// 0xf0+ IPIs, 0xff spurious.
constexpr uint8_t kVectorSerial = 0x30;
constexpr uint8_t kVectorKeyboard = 0x31;
constexpr uint8_t kVectorTimer = 0xe0;
constexpr uint8_t kVectorIpiReschedule = 0xf0;
constexpr uint8_t kVectorIpiCallFunction = 0xf1;
constexpr uint8_t kVectorIpiHalt = 0xf2;
constexpr uint8_t kVectorSpurious = 0xff;

using InterruptHandler = void (*)(InterruptFrame& frame);

void idt_init();  // once, on the BSP: builds the shared IDT
void idt_load();  // on every CPU
void set_interrupt_handler(uint8_t vector, InterruptHandler handler);

// A test may expect one fault (the guard-page test): the next fault on this CPU at a
// matching address resumes at resume_rip instead of panicking, and is reported.
struct ExpectedFault {
    uint8_t vector;
    uint64_t resume_rip;
    volatile bool hit;
    uint64_t fault_address;
};
void expect_fault(ExpectedFault* f);  // nullptr clears

}  // namespace arch
