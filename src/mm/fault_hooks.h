// What mm tells arch's fault and panic reports about addresses: whether a word is mapped
// (the backtrace walk reads only those) and whose guard page a faulting address is.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mm {

// Registers both with arch (backtrace.h, exceptions.h). First thing in kmain: the
// boot page tables already answer virt_to_phys().
void fault_hooks_init();

// "guard page hit (kernel stack overflow?)", "... (boot stack overflow)", "null pointer
// dereference", or "" into `buf`.
void describe_fault_address(uint64_t address, char* buf, size_t size);

}  // namespace mm
