// Virtual memory layout (see docs/memory.md):
//   0xffff800000000000  direct map of all physical memory (NX, RW), "HHDM"
//   0xffffc00000000000  kernel stacks, each below an unmapped guard page
//   0xffffffff80000000  kernel image (linked at -2 GiB, loaded at 1 MiB physical), W^X per section
// The low identity map built by asm/boot.S is dropped once paging::init() runs.
#pragma once
#include <cstdint>

namespace mm {

constexpr uint64_t kPageSize = 4096;
constexpr uint64_t kDirectMapBase = 0xffff800000000000ull;
constexpr uint64_t kKernelStackBase = 0xffffc00000000000ull;
constexpr uint64_t kKernelBase = 0xffffffff80000000ull;

inline void* phys_to_virt(uint64_t phys) { return reinterpret_cast<void*>(phys + kDirectMapBase); }
template <typename T>
inline T* phys_to_ptr(uint64_t phys) {
    return static_cast<T*>(phys_to_virt(phys));
}
inline uint64_t kernel_virt_to_phys(const void* v) { return reinterpret_cast<uint64_t>(v) - kKernelBase; }

constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }
constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }

}  // namespace mm
