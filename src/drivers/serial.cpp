// Polled 16550 driver for COM1. No interrupts: the log must work before the IDT does
// and while a panic has interrupts off.
#include "drivers/serial.h"

#include <cstdint>

#include "arch/x86_64/cpu.h"

namespace serial {
namespace {

constexpr uint16_t kCom1 = 0x3f8;
// Register offsets from the base port.
constexpr uint16_t kData = 0, kInterruptEnable = 1, kFifoControl = 2, kLineControl = 3, kModemControl = 4,
                   kLineStatus = 5;
constexpr uint8_t kLineStatusTxEmpty = 1 << 5;
// A wedged or absent UART must not hang the kernel: give up on a byte after this many polls.
constexpr int kMaxTxPolls = 100000;

bool g_present = false;

void put_byte(uint8_t c) {
    for (int i = 0; i < kMaxTxPolls; ++i) {
        if (arch::inb(kCom1 + kLineStatus) & kLineStatusTxEmpty) break;
        arch::cpu_relax();
    }
    arch::outb(kCom1 + kData, c);
}

}  // namespace

void init() {
    arch::outb(kCom1 + kInterruptEnable, 0x00);
    arch::outb(kCom1 + kLineControl, 0x80);  // DLAB on: the next two bytes are the divisor
    arch::outb(kCom1 + kData, 1);  // 115200 / 1
    arch::outb(kCom1 + kInterruptEnable, 0);
    arch::outb(kCom1 + kLineControl, 0x03);  // 8 data bits, no parity, 1 stop bit
    arch::outb(kCom1 + kFifoControl, 0xc7);  // FIFO on, cleared, 14-byte threshold
    // Loopback self-test: a missing UART reads back 0xff.
    arch::outb(kCom1 + kModemControl, 0x1e);
    arch::outb(kCom1 + kData, 0xae);
    g_present = arch::inb(kCom1 + kData) == 0xae;
    arch::outb(kCom1 + kModemControl, 0x0f);  // normal mode, DTR/RTS/OUT1/OUT2
}

bool present() { return g_present; }

void write(const char* s, size_t n) {
    if (!g_present) return;
    for (size_t i = 0; i < n; ++i) {
        if (s[i] == '\n') put_byte('\r');
        put_byte(uint8_t(s[i]));
    }
}

}  // namespace serial
