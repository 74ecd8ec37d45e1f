// PIT channel 2 as a one-shot stopwatch. Channel 2's gate is bit 0 of port 0x61 and its
// output can be read back as bit 5, so it can be polled without IRQ 0 (which is masked).
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"

namespace arch {
namespace {

constexpr uint16_t kPitChannel2 = 0x42;
constexpr uint16_t kPitCommand = 0x43;
constexpr uint16_t kSystemControl = 0x61;  // bit 0 gate 2, bit 1 speaker, bit 5 OUT2
constexpr uint8_t kChannel2Mode0 = 0xb0;   // channel 2, lobyte/hibyte, mode 0, binary
constexpr uint32_t kMaxWindowUs = 50000;   // 65535 ticks is 54.9 ms
// Upper bound on one window in TSC cycles (a 20 GHz TSC over 50 ms) so a machine without
// a PIT cannot hang the boot.
constexpr uint64_t kGiveUpCycles = 1000000000ull;

} // namespace

bool pit_measure(uint32_t us, void (*on_start)(void*), void (*on_end)(void*), void* ctx) {
    if (us > kMaxWindowUs) us = kMaxWindowUs;
    uint32_t ticks = uint32_t(uint64_t(us) * kPitHz / 1000000);
    if (ticks == 0) ticks = 1;
    // Gate high and speaker off first: in mode 0 the count then starts on the clock after
    // the last count byte is written (Linux's pit_calibrate_tsc does the same), which is
    // also what QEMU models, as it ignores the gate in mode 0.
    outb(kSystemControl, (inb(kSystemControl) & ~0x02) | 0x01);
    outb(kPitCommand, kChannel2Mode0);
    outb(kPitChannel2, uint8_t(ticks));
    outb(kPitChannel2, uint8_t(ticks >> 8));
    if (on_start) on_start(ctx);
    uint64_t start = rdtsc();
    bool ok = true;
    while (!(inb(kSystemControl) & 0x20)) {
        if (rdtsc() - start > kGiveUpCycles) { ok = false; break; }
    }
    if (on_end) on_end(ctx);
    outb(kSystemControl, inb(kSystemControl) & ~0x01);
    return ok;
}

bool pit_wait_us(uint64_t us) {
    while (us > 0) {
        uint32_t chunk = us > kMaxWindowUs ? kMaxWindowUs : uint32_t(us);
        if (!pit_measure(chunk, nullptr, nullptr, nullptr)) return false;
        us -= chunk;
    }
    return true;
}

} // namespace arch
