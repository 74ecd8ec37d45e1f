// Symbolization from the embedded symbol table (.ksyms, see test/gen_ksyms.sh) and
// frame-pointer backtraces (the kernel is built with -fno-omit-frame-pointer).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ksyms {

// The function containing `address`, and the offset into it; false when unknown.
bool lookup(uint64_t address, const char** name, uint64_t* offset);
// "name+0xoff" or "?" into `buf`.
void format(uint64_t address, char* buf, size_t size);

// Prints "  #i 0xaddr name+0xoff" lines (raw console output) for the return addresses
// found by walking saved frame pointers from `rbp`. Stops at a null or implausible frame
// pointer (unmapped, misaligned, not moving up the stack) or after `max_frames`.
void print_backtrace(uint64_t rbp, int max_frames = 64);
// The same walk, into `return_addresses` instead of the console (at most `max` of them);
// returns how many it found. Safe where printing is not (an NMI keeps a record of it).
size_t capture_backtrace(uint64_t rbp, uint64_t* return_addresses, size_t max);

// The page-table lookup the walk uses to read only mapped words: the physical address
// of `virt`, ~0 when unmapped. Registered by mm (mm::fault_hooks_init); until then the
// walk prints nothing.
using VirtToPhys = uint64_t (*)(uint64_t virt);
void set_address_probe(VirtToPhys virt_to_phys);

}  // namespace ksyms
