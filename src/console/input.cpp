#include "console/input.h"

#include <atomic>
#include <cstddef>

#include "acpi/platform.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/percpu.h"
#include "console/editing/scancode_decoder.h"
#include "drivers/keyboard.h"
#include "sched/sync/semaphore.h"

namespace console::input {
namespace {

constexpr size_t kRingSize = 512;  // a power of two
constexpr uint8_t kCtrlC = 0x03;

// Slot: the byte in bits 0-7, the source in bit 8.
uint16_t g_ring[kRingSize];
// head: written by the producer only, tail: by the consumer only; both count forever.
std::atomic<uint64_t> g_head{0}, g_tail{0};
sched::Semaphore g_available{0};  // one unit per queued byte
std::atomic<bool> g_interrupt{false};
std::atomic<uint64_t> g_dropped{0};
bool g_keyboard = false;
ScancodeDecoder g_scancodes;  // producer side only (IRQ 1 on CPU 0)

void push(Source source, uint8_t byte) {
    // relaxed: only the producer writes head.
    const uint64_t head = g_head.load(std::memory_order_relaxed);
    // acquire: pairs with the consumer's release store of tail: the slot is free to reuse.
    if (head - g_tail.load(std::memory_order_acquire) == kRingSize) {
        g_dropped.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
        return;
    }
    g_ring[head % kRingSize] = uint16_t(byte | (source == Source::keyboard ? 0x100 : 0));
    // release: publishes the slot to the consumer's acquire load of head.
    g_head.store(head + 1, std::memory_order_release);
    // release: pairs with the acquire exchange in clear_interrupt()/load in interrupted().
    if (byte == kCtrlC) g_interrupt.store(true, std::memory_order_release);
    // Hands the unit to the console task if it waits (making it ready; the wake path IPIs
    // a halted CPU), else counts it.
    g_available.up();
}

void push_keyboard_text(const char* text) {
    for (; *text; ++text) push(Source::keyboard, uint8_t(*text));
}

}  // namespace

void init() {
    arch::set_serial_receive_hook(&push_serial);
    const acpi::Platform& platform = acpi::platform();
    g_keyboard = keyboard::init(platform.has_madt ? &platform.madt : nullptr, arch::cpu(0).apic_id, &push_scancode);
}

void push_serial(uint8_t byte) { push(Source::serial, byte); }

void push_scancode(uint8_t byte) {
    const Key key = g_scancodes.feed(byte);
    switch (key.code) {
        case KeyCode::none:
            return;
        case KeyCode::character:
            push(Source::keyboard, uint8_t(key.ch));
            return;
        case KeyCode::ctrl:
            push(Source::keyboard, uint8_t(key.ch - 'a' + 1));
            return;
        case KeyCode::enter:
            push(Source::keyboard, '\r');
            return;
        case KeyCode::backspace:
            push(Source::keyboard, 0x7f);
            return;
        case KeyCode::tab:
            push(Source::keyboard, '\t');
            return;
        case KeyCode::del:
            push_keyboard_text("\x1b[3~");
            return;
        case KeyCode::up:
            push_keyboard_text("\x1b[A");
            return;
        case KeyCode::down:
            push_keyboard_text("\x1b[B");
            return;
        case KeyCode::right:
            push_keyboard_text("\x1b[C");
            return;
        case KeyCode::left:
            push_keyboard_text("\x1b[D");
            return;
        case KeyCode::home:
            push_keyboard_text("\x1b[H");
            return;
        case KeyCode::end:
            push_keyboard_text("\x1b[F");
            return;
    }
}

namespace {
Byte take() {
    // relaxed: only the consumer writes tail.
    const uint64_t tail = g_tail.load(std::memory_order_relaxed);
    // The semaphore unit we own was released after the slot's head store, so the slot is
    // visible (acquire in Semaphore::try_down / the wait queue lock).
    const uint16_t slot = g_ring[tail % kRingSize];
    // release: pairs with the producer's acquire load of tail (the slot may be reused).
    g_tail.store(tail + 1, std::memory_order_release);
    return Byte{slot & 0x100 ? Source::keyboard : Source::serial, uint8_t(slot)};
}
}  // namespace

Byte pop() {
    g_available.down();
    return take();
}

std::optional<Byte> try_pop() {
    if (!g_available.try_down()) return std::nullopt;
    return take();
}

bool interrupted() { return g_interrupt.load(std::memory_order_acquire); }
void clear_interrupt() { g_interrupt.store(false, std::memory_order_relaxed); }
uint64_t dropped() { return g_dropped.load(std::memory_order_relaxed); }
bool keyboard_present() { return g_keyboard; }

}  // namespace console::input
