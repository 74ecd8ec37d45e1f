// PIT channel 2 as a one-shot stopwatch. Channel 2's gate is bit 0 of port 0x61 and its
// output can be read back as bit 5, so it can be polled without IRQ 0 (which is masked).
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"

namespace arch {
namespace {

constexpr uint16_t kPitChannel2 = 0x42;
constexpr uint16_t kPitCommand = 0x43;
constexpr uint16_t kSystemControl = 0x61;  // bit 0 gate 2, bit 1 speaker, bit 5 OUT2
constexpr uint8_t kChannel2Mode0 = 0xb0;  // channel 2, lobyte/hibyte, mode 0, binary
constexpr uint32_t kMaxWindowUs = 50000;  // 65535 ticks is 54.9 ms
// Upper bound on one window in TSC cycles (a 20 GHz TSC over 50 ms) so a machine without
// a PIT cannot hang the boot.
constexpr uint64_t kGiveUpCycles = 1000000000ull;

}  // namespace

bool pit_measure(uint32_t us, PitWindow& w, void (*on_start)(void*), void (*on_end)(void*), void* ctx) {
    if (us > kMaxWindowUs) us = kMaxWindowUs;
    uint32_t ticks = uint32_t(uint64_t(us) * kPitHz / 1000000);
    if (ticks == 0) ticks = 1;
    // Gate high and speaker off first: in mode 0 the count then starts on the clock after
    // the last count byte is written (Linux's pit_calibrate_tsc does the same), which is
    // also what QEMU models, as it ignores the gate in mode 0.
    outb(kSystemControl, (inb(kSystemControl) & ~0x02) | 0x01);
    outb(kPitCommand, kChannel2Mode0);
    outb(kPitChannel2, uint8_t(ticks));
    w.start_lo = rdtsc();
    outb(kPitChannel2, uint8_t(ticks >> 8));  // counting starts here
    if (on_start) on_start(ctx);
    w.start_hi = rdtsc();
    // OUT2 rose after the last poll that read it low began, and before the first poll
    // that read it high ended.
    bool ok = true;
    w.end_lo = w.start_hi;
    for (;;) {
        uint64_t before_poll = rdtsc();
        if (inb(kSystemControl) & 0x20) break;
        w.end_lo = before_poll;
        if (before_poll - w.start_lo > kGiveUpCycles) {
            ok = false;
            break;
        }
    }
    if (on_end) on_end(ctx);
    w.end_hi = rdtsc();
    outb(kSystemControl, inb(kSystemControl) & ~0x01);
    return ok;
}

bool pit_wait_us(uint64_t us) {
    while (us > 0) {
        uint32_t chunk = us > kMaxWindowUs ? kMaxWindowUs : uint32_t(us);
        PitWindow w;
        if (!pit_measure(chunk, w, nullptr, nullptr, nullptr)) return false;
        us -= chunk;
    }
    return true;
}

}  // namespace arch
