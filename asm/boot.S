// Multiboot2 header and the 32-bit entry: GRUB (BIOS or UEFI) jumps to _start32 in
// protected mode, paging off, EAX = magic, EBX = physical address of the boot info.
// We build boot page tables, enter long mode, jump to the higher half and call
//   kmain(uint32_t magic, uint64_t info_phys).
// The image is linked at KERNEL_VMA + 1 MiB but runs here at 1 MiB physical, so every
// address used before the jump to the higher half goes through V2P().

#define KERNEL_VMA 0xffffffff80000000
#define V2P(x) ((x) - KERNEL_VMA)

#define MB2_MAGIC      0xe85250d6
#define MB2_BOOT_MAGIC 0x36d76289

#define PTE_P  0x001
#define PTE_W  0x002
#define PTE_PS 0x080

#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define EFER_MSR 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

#define BOOT_STACK_SIZE 32768
#define BOOT_DIRECT_MAP_GIB 4

// ---------------------------------------------------------------- multiboot2 header
.section .multiboot2, "a"
.align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                                  // architecture: i386 protected mode
    .long mb2_header_end - mb2_header
    .long 0x100000000 - (MB2_MAGIC + 0 + (mb2_header_end - mb2_header))

    // Entry address tag: the ELF entry is a higher-half address GRUB cannot jump to.
    .align 8
    .short 3, 0
    .long 12
    .long V2P(_start32)

    // Console flags: we can drive EGA text (bit 1), no console is required (bit 0 clear).
    .align 8
    .short 4, 0
    .long 12
    .long 2

    // Framebuffer request (optional, flags bit 0): GRUB may still give EGA text under BIOS.
    .align 8
    .short 5, 1
    .long 20
    .long 1024, 768, 32

    .align 8
    .short 0, 0                              // end tag
    .long 8
mb2_header_end:

// ---------------------------------------------------------------- 32-bit entry
.section .boot.text, "ax"
.code32
.global _start32
_start32:
    cli
    cld
    mov $V2P(boot_stack_top), %esp

    cmp $MB2_BOOT_MAGIC, %eax
    jne .Lbad_magic
    mov %eax, %edi                           // kmain's arguments survive in edi/esi
    mov %ebx, %esi

    // Long mode must exist; remember whether NX does (EFER.NXE would #GP otherwise).
    mov $0x80000000, %eax
    cpuid
    cmp $0x80000001, %eax
    jb .Lno_long_mode
    mov $0x80000001, %eax
    cpuid
    test $(1 << 29), %edx
    jz .Lno_long_mode
    mov %edx, %ebp

    // Clear the boot page tables (GRUB zeroes .bss for ELF, but do not rely on it).
    push %edi
    mov $V2P(boot_page_tables), %edi
    mov $(boot_page_tables_end - boot_page_tables) / 4, %ecx
    xor %eax, %eax
    rep stosl
    pop %edi

    // Four page directories of 2 MiB pages: physical 0 .. 4 GiB.
    mov $V2P(boot_pd), %ebx
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $(PTE_P | PTE_W | PTE_PS), %eax
    mov %eax, (%ebx, %ecx, 8)
    inc %ecx
    cmp $(512 * BOOT_DIRECT_MAP_GIB), %ecx
    jb 1b

    // The low PDPT points at all four directories; it serves both the identity map
    // (PML4[0], needed until we run in the higher half) and the early direct map at
    // 0xffff800000000000 (PML4[256]) through which kmain reads the boot info.
    mov $V2P(boot_pdpt_low), %ebx
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $12, %eax
    add $V2P(boot_pd) + (PTE_P | PTE_W), %eax
    mov %eax, (%ebx, %ecx, 8)
    inc %ecx
    cmp $BOOT_DIRECT_MAP_GIB, %ecx
    jb 2b

    // Kernel image: 0xffffffff80000000 (PML4[511], PDPT[510]) -> physical 0.
    mov $V2P(boot_pdpt_high), %ebx
    movl $V2P(boot_pd) + (PTE_P | PTE_W), 510 * 8(%ebx)
    movl $V2P(boot_pd) + 4096 + (PTE_P | PTE_W), 511 * 8(%ebx)

    mov $V2P(boot_pml4), %ebx
    movl $V2P(boot_pdpt_low) + (PTE_P | PTE_W), 0 * 8(%ebx)
    movl $V2P(boot_pdpt_low) + (PTE_P | PTE_W), 256 * 8(%ebx)
    movl $V2P(boot_pdpt_high) + (PTE_P | PTE_W), 511 * 8(%ebx)

    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov %ebx, %cr3

    mov $EFER_MSR, %ecx
    rdmsr
    or $EFER_LME, %eax
    test $(1 << 20), %ebp
    jz 3f
    or $EFER_NXE, %eax
3:  wrmsr

    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0

    lgdt V2P(boot_gdtr32)
    ljmp $0x08, $V2P(.Llong_mode_low)

.Lno_long_mode:
    mov $V2P(msg_no_long_mode), %esi
    jmp .Lfail
.Lbad_magic:
    mov $V2P(msg_bad_magic), %esi
    // fall through
// Writes the NUL-terminated message at esi to COM1 and the top-left of VGA text, halts.
.Lfail:
    mov $0xb8000, %edi
4:  lodsb
    test %al, %al
    jz 5f
    mov $0x3f8, %dx
    outb %al, %dx
    movb %al, (%edi)
    movb $0x4f, 1(%edi)
    add $2, %edi
    jmp 4b
5:  hlt
    jmp 5b

.code64
.Llong_mode_low:
    // Still on the identity map; continue at our linked (higher-half) address.
    movabs $boot_higher_half, %rax
    jmp *%rax
// A named symbol, so backtraces end in "boot_higher_half" rather than "_start32+0x15d".
boot_higher_half:
    lgdt boot_gdtr64                         // GDT base as a higher-half address
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %eax, %eax
    mov %ax, %fs
    mov %ax, %gs
    // GS base 0 means "per-CPU block not installed yet" to this_cpu_safe(); a null
    // selector load does not clear the base on every CPU, so write the MSR too.
    mov $0xc0000101, %ecx                    // MSR_GS_BASE
    xor %edx, %edx
    wrmsr

    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp                           // ends the frame-pointer chain for backtraces
    mov %edi, %edi                           // zero-extend: upper halves are undefined
    mov %esi, %esi
    call kmain
6:  cli
    hlt
    jmp 6b

// ---------------------------------------------------------------- data
.section .rodata
msg_bad_magic:
    .asciz "boot: not loaded by a multiboot2 loader (bad magic), halting"
msg_no_long_mode:
    .asciz "boot: this CPU has no 64-bit long mode, halting"

.align 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff                 // 0x08: 64-bit code, DPL 0
    .quad 0x00cf92000000ffff                 // 0x10: data, DPL 0
boot_gdt_end:
boot_gdtr32:
    .short boot_gdt_end - boot_gdt - 1
    .long V2P(boot_gdt)
.align 8
boot_gdtr64:
    .short boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

.section .bss
.align 4096
boot_page_tables:
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096 * BOOT_DIRECT_MAP_GIB
boot_page_tables_end:

// The boot stack (kmain, the tests) sits above a guard page that paging_init() leaves
// unmapped, so an overflow faults instead of corrupting .bss.
.global boot_stack_guard, boot_stack_bottom, boot_stack_top
.align 4096
boot_stack_guard:  .skip 4096
boot_stack_bottom: .skip BOOT_STACK_SIZE
boot_stack_top:

.section .note.GNU-stack, "", @progbits
