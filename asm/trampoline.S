// AP start-up trampoline: 16-bit real mode -> 32-bit protected mode -> 64-bit long mode.
//
// The bytes between trampoline_start and trampoline_end are copied by the BSP
// (src/smp/bringup.cpp) to a free page P below 1 MiB; the SIPI vector is P >> 12, so the
// AP starts here with CS = P >> 4, IP = 0. All code is position independent: real mode
// addresses are offsets from CS, and from protected mode on %ebx holds P.
//
// Layout of the copied page (offsets from trampoline_start):
//   code (16, 32, 64-bit)  |  GDT (null, code32, data, code64)  |  GDTR + two far pointers
//   | TrampolineData (8-byte aligned; filled by the BSP before each INIT-SIPI-SIPI):
//       cr3        temporary PML4 below 4 GiB: identity map of 0-2 MiB + kernel upper half
//       efer       EFER to load (LME, plus NXE when the kernel page tables use NX)
//       stack_top  the AP's kernel stack (upper-half virtual address)
//       entry      64-bit C++ entry, ap_entry(PerCpu*)
//       arg        its PerCpu block
//       apic_id    the APIC ID of the AP this data is for (low 32 bits)
#define OFF(label) ((label) - trampoline_start)

#define CR0_PE 0x00000001
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080

#define SEL_CODE32 0x08
#define SEL_DATA 0x10
#define SEL_CODE64 0x18

    // Only copied, never executed in place; .rodata keeps it out of the W^X text section.
    .section .rodata.trampoline, "a"
    .balign 16
    .global trampoline_start, trampoline_end, trampoline_data

    .code16
trampoline_start:
    cli
    cld
    mov %cs, %ax
    mov %ax, %ds
    xor %ebx, %ebx
    mov %cs, %bx
    shl $4, %ebx                      // %ebx = P, the page's physical address

    // Fix up the absolute addresses this copy needs: GDT base and the two far jumps.
    lea OFF(gdt)(%ebx), %eax
    mov %eax, OFF(gdtr_base)
    lea OFF(protected_mode)(%ebx), %eax
    mov %eax, OFF(far_to_32)
    lea OFF(long_mode)(%ebx), %eax
    mov %eax, OFF(far_to_64)

    lgdtl OFF(gdtr)
    mov %cr0, %eax
    or $CR0_PE, %eax
    mov %eax, %cr0
    ljmpl *OFF(far_to_32)

    .code32
protected_mode:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov OFF(data_cr3)(%ebx), %eax
    mov %eax, %cr3
    mov $MSR_EFER, %ecx
    mov OFF(data_efer)(%ebx), %eax
    mov OFF(data_efer) + 4(%ebx), %edx
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0                    // now in compatibility mode, running identity mapped
    ljmpl *OFF(far_to_64)(%ebx)

    .code64
long_mode:
    mov $SEL_DATA, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ebx, %esi                    // P, kept across CPUID (which writes %ebx);
                                      // upper halves are undefined after the mode switch
    // A late AP must not take the data of the next one. When the BSP gives up on an AP it
    // parks it with INIT, but an emulator may still hold that AP's SIPI and start it later
    // (seen under QEMU TCG at -smp 64 on a busy host): it would run on the stack and
    // per-CPU block prepared for the AP started after it. So before touching the stack,
    // compare our APIC ID (CPUID: the x2APIC ID of leaf 0xB, else leaf 1) with the one the
    // data is for, and halt for good when they differ.
    xor %eax, %eax
    cpuid                             // %eax = highest basic leaf
    cmp $0xb, %eax
    jb 1f
    mov $0xb, %eax
    xor %ecx, %ecx
    cpuid
    test $0xff00, %ecx                // leaf 0xB implemented (a level type in ECX[15:8])
    jz 1f
    mov %edx, %eax                    // the x2APIC ID
    jmp 2f
1:  mov $1, %eax
    cpuid
    mov %ebx, %eax
    shr $24, %eax                     // the initial APIC ID, CPUID.1:EBX[31:24]
2:  cmp OFF(data_apic_id)(%rsi), %eax
    jne not_for_us
    mov %esi, %ebx
    mov OFF(data_stack_top)(%rbx), %rsp
    mov OFF(data_arg)(%rbx), %rdi
    mov OFF(data_entry)(%rbx), %rax
    xor %ebp, %ebp                    // ends backtraces
    push $0                           // fake return address: entry sees an aligned frame
    jmp *%rax
not_for_us:
    cli
    hlt
    jmp not_for_us

    .balign 8
gdt:
    .quad 0
    .quad 0x00cf9a000000ffff          // 0x08: 32-bit code, base 0, 4 GiB
    .quad 0x00cf92000000ffff          // 0x10: data, base 0, 4 GiB
    .quad 0x00af9a000000ffff          // 0x18: 64-bit code
gdt_end:
gdtr:
    .word gdt_end - gdt - 1
gdtr_base:
    .long 0
far_to_32:
    .long 0
    .word SEL_CODE32
far_to_64:
    .long 0
    .word SEL_CODE64

    .balign 8
trampoline_data:
data_cr3:       .quad 0
data_efer:      .quad 0
data_stack_top: .quad 0
data_entry:     .quad 0
data_arg:       .quad 0
data_apic_id:   .quad 0
trampoline_end:
