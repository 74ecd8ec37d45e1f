// Kernel implementation of the core's platform hooks (the host has its own file with the
// same name): the heap, the pause instruction, and panic for a broken precondition.
#pragma once
#include <atomic>
#include <cstddef>

#include "arch/x86_64/cpu.h"
#include "lib/panic.h"
#include "mm/heap.h"

namespace core::platform {

inline void cpu_relax() { arch::cpu_relax(); }

// Called before every atomic access of the core (core::Atomic). The host's delay build
// pauses there; the kernel never does, and this empty body compiles to nothing.
inline void atomic_delay_point() {}

// In the kernel there is no one to yield to below the scheduler: waiting is spinning.
inline void yield() { arch::cpu_relax(); }

// The epoch pair's two fences (the host file explains the asymmetric scheme). The kernel
// keeps a full fence on both sides: its CPUs are QSBR participants whose pin() runs only
// when the epoch moved, at a context switch, so the read side has no fence to save
// (docs/core.md, "Asymmetric fences").
// No participant ever pins with the compiler barrier alone, known at compile time: the
// epoch participant then keeps no fence-mode tag at all.
inline constexpr bool kAsymmetricFencesPossible = false;
inline bool asymmetric_fences() { return false; }
inline void light_fence(bool) { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void heavy_fence(bool) { std::atomic_thread_fence(std::memory_order_seq_cst); }

// Aligned allocation from the kernel heap; nullptr on failure.
inline void* alloc(size_t bytes, size_t align) { return mm::kmalloc(bytes, align); }

inline void free(void* p) { mm::kfree(p); }

// A caller broke a documented precondition of the core's API: a kernel bug.
[[noreturn]] inline void contract_violation(const char* what) { panic("core: contract violated: %s", what); }

}  // namespace core::platform
