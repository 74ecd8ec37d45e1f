// The context switch between kernel tasks (docs/scheduler-plan.md §15).
//
//   void* sched_switch(uint64_t* save_rsp, uint64_t new_rsp, void* prev)
//
// Called with interrupts off; returns with them off, on the new stack, with `prev` in
// rax. Only the callee-saved registers of the SysV ABI are saved: the caller of
// sched_switch already treats every other register as clobbered. There is no FPU/SSE
// state to save, since the kernel is built with -mgeneral-regs-only.
//
// A task that has never run starts with this frame at new_rsp (sched/switch_frame.h
// builds it):
//     [r15, r14, r13 = entry, r12 = arg, rbx = 0, rbp = 0, ret = sched_task_bootstrap]
// so its first "return" from sched_switch lands in sched_task_bootstrap, which calls
// entry(prev, arg). rbp = 0 ends frame-pointer backtraces there. The builder places the
// frame so that rsp is 16-byte aligned at bootstrap's call, as the ABI requires.

.section .text
.code64

.global sched_switch
.type sched_switch, @function
sched_switch:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    mov %rdx, %rax
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
.size sched_switch, . - sched_switch

.global sched_task_bootstrap
.type sched_task_bootstrap, @function
sched_task_bootstrap:
    mov %rax, %rdi          // prev, as sched_switch returned it
    mov %r12, %rsi          // arg
    call *%r13              // entry(prev, arg): must not return
    ud2
.size sched_task_bootstrap, . - sched_task_bootstrap

.section .note.GNU-stack, "", @progbits
