// Time sources: the PIT (channel 2 only, for calibration and early delays), the TSC (see
// tsc.h) and the per-CPU LAPIC timer, which raises kVectorTimer.
#pragma once
#include <cstdint>

struct InterruptFrame;

namespace arch {

// ---------------------------------------------------------------- PIT channel 2
constexpr uint32_t kPitHz = 1193182;
// Busy-waits `us` microseconds (split into chunks of at most ~50 ms) on PIT channel 2,
// gated through port 0x61 so no interrupt is involved. False if the PIT never answered
// (gave up after a generous TSC bound).
bool pit_wait_us(uint64_t us);
// One calibration window: starts channel 2 for `us` (<= 50000) microseconds and returns
// when OUT2 rises. The TSC brackets where the count started ([start_lo, start_hi]) and
// where it ended ([end_lo, end_hi]); a host preemption or SMI widens a bracket instead of
// silently skewing the result. `on_start`/`on_end` run inside the brackets, so the caller
// can sample other clocks there. False if the PIT never answered.
struct PitWindow {
    uint64_t start_lo = 0, start_hi = 0, end_lo = 0, end_hi = 0;
    uint64_t slack() const { return (start_hi - start_lo) + (end_hi - end_lo); }
    uint64_t cycles() const { return ((end_lo + end_hi) - (start_lo + start_hi)) / 2; }
};
bool pit_measure(uint32_t us, PitWindow& window, void (*on_start)(void*), void (*on_end)(void*), void* ctx);

// ---------------------------------------------------------------- LAPIC timer
namespace timer {

enum class Mode : uint8_t { lapic_oneshot, tsc_deadline };

// BSP, once, after lapic::init_bsp(): TSC frequency from CPUID 0x15/0x16 when given, else
// PIT channel 2; LAPIC timer rate against the same window. Installs the timer vector.
void calibrate();
// Every CPU (after its LAPIC): the timer LVT, masked, divider 16.
void init_this_cpu();

uint64_t lapic_hz();  // LAPIC timer counts per second (after the divider)
Mode mode();  // one-shot mode used by oneshot_ns()
const char* mode_name();

// On the calling CPU. Arm replaces whatever was armed before.
void oneshot_ns(uint64_t ns);
void periodic_ns(uint64_t ns);
void stop();

// Runs in the timer interrupt on the CPU that took it, after EOI (so it may switch tasks
// without blocking the next tick). One callback for all
// CPUs (the scheduler's tick); returns the previous one so a test can restore it.
using TickCallback = void (*)(InterruptFrame& frame);
TickCallback set_tick_callback(TickCallback cb);

}  // namespace timer
}  // namespace arch
