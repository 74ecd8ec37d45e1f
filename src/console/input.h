// The console's input queue: interrupt handlers put bytes in, the console task takes them
// out, sleeping in a sched::Semaphore (the scheduler's wait queue) while there are none.
// Both producers are interrupt handlers on CPU 0 (COM1 on IRQ 4, the keyboard on IRQ 1),
// which cannot interrupt each other: the ring has a single producer at any time.
#pragma once
#include <cstdint>
#include <optional>

namespace console::input {

enum class Source : uint8_t { serial, keyboard };
struct Byte {
    Source source;
    uint8_t value;
};

// Installs the serial hook and probes the PS/2 keyboard. On CPU 0, once, before the
// console task reads.
void init();

// Interrupt context. A PS/2 scan code is decoded here (the decoder's state belongs to the
// one producer) and queued as the bytes a VT100 terminal would send for that key.
void push_serial(uint8_t byte);
void push_scancode(uint8_t byte);

// Task context, the console task only (single consumer).
Byte pop();  // blocks until a byte arrives
std::optional<Byte> try_pop();

// Ctrl-C (from either source) sets this as it is queued, so a command that does not read
// input can still notice it. The console clears it before each command.
bool interrupted();
void clear_interrupt();

uint64_t dropped();  // bytes lost to a full ring
bool keyboard_present();

}  // namespace console::input
