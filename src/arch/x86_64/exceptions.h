// CPU exception policy: names, the expected-fault hook, and the descriptions the panic
// report uses. The IDT itself is in idt.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

struct InterruptFrame;

namespace arch {

constexpr uint8_t kVectorNmi = 2;
constexpr uint8_t kVectorDoubleFault = 8;
constexpr uint8_t kVectorPageFault = 14;
constexpr uint8_t kVectorMachineCheck = 18;

const char* exception_name(uint64_t vector);  // "#PF page fault", ... or "interrupt"
// Appends what is known about a faulting address ("guard page hit", "null pointer", ...)
// to `buf`; empty when nothing notable. Memory knows that: mm registers the describer
// (mm::fault_hooks_init); without one the note is empty.
void describe_fault_address(uint64_t address, char* buf, size_t size);
using FaultAddressDescriber = void (*)(uint64_t address, char* buf, size_t size);
void set_fault_address_describer(FaultAddressDescriber describer);
// Vectors 0-31 without a registered handler: the expected-fault hook, else panic.
void handle_exception(InterruptFrame& frame);

}  // namespace arch
