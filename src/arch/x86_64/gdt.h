// Per-CPU GDT and TSS (the tables live in PerCpu, so each CPU has its own TSS and IST).
#pragma once
#include <cstdint>

namespace arch {

struct PerCpu;

constexpr uint16_t kKernelCodeSelector = 0x08;
constexpr uint16_t kKernelDataSelector = 0x10;
constexpr uint16_t kTssSelector = 0x28;

// Builds pc.gdt (null, kernel code/data, user data/code, TSS) around pc.tss, loads it,
// reloads every segment register and the task register. Leaves GS base at 0: the caller
// writes MSR_GS_BASE afterwards.
void gdt_load(PerCpu& pc);

}  // namespace arch
