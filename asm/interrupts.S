// Interrupt entry: one 16-byte stub per vector (0-255). Each pushes a zero error code
// when the CPU did not push one, then its vector, and joins the common path, which saves
// the general registers in the order of struct InterruptFrame (src/arch/x86_64/interrupts.h)
// and calls interrupt_dispatch(frame). The stubs are laid out at a fixed stride so
// idt.cpp computes stub addresses as isr_stubs + 16 * vector.

.section .text
.code64

.global isr_stubs
.align 16
isr_stubs:
.set vector, 0
.rept 256
    .align 16
    // Exceptions that push an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX.
    .if (vector == 8) || (vector >= 10 && vector <= 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    .else
    pushq $0
    .endif
    pushq $vector
    jmp isr_common
    .set vector, vector + 1
.endr
.global isr_stubs_end
isr_stubs_end:

isr_common:
    cld
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi                           // InterruptFrame*
    // A fake call frame {interrupted rbp, interrupted rip} so that frame-pointer
    // backtraces walk from the handler on into the code that was interrupted.
    pushq 17 * 8(%rsp)                       // frame->rip
    push %rbp
    mov %rsp, %rbp
    // 5 CPU words + 2 stub words + 15 registers + 2 = 192 bytes, and the CPU aligned RSP
    // to 16 before pushing, so the call below sees an ABI-aligned stack.
    call interrupt_dispatch
    add $16, %rsp
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp                            // vector + error code
    iretq

// bool probe_read_faults(uint64_t address): reads one byte at `address`; returns false.
// The caller arms arch::expect_fault() with resume_rip = probe_read_resume first: if the
// read faults, the handler resumes at probe_read_resume, which returns true. The stack is
// untouched between the read and either return, so both paths are sound.
.global probe_read_faults, probe_read_resume
probe_read_faults:
    xor %eax, %eax
    movb (%rdi), %cl
    ret
probe_read_resume:
    mov $1, %eax
    ret

.section .note.GNU-stack, "", @progbits
