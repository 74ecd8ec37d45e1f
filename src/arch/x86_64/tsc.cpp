// Time since boot from the TSC. ns = base_ns + (tsc - base_tsc) * mult >> 32, with
// mult = 2^32 * 1e9 / tsc_hz, so conversion is one 64x64->128 multiply and no division
// (a 128-bit division would need libgcc, which the kernel does not link).
#include "arch/x86_64/tsc.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/timer.h"

namespace arch {
namespace {

constexpr uint64_t kGuessHz = 1000000000;  // until calibration: 1 GHz
constexpr uint64_t kNsPerSecond = 1000000000;

// Writers: tsc_mark_boot() and set_tsc_hz(), both on the BSP before any AP runs (the AP
// start hand-off orders them before every AP read). Readers on any CPU use relaxed loads:
// a log timestamp computed from a mix of old and new values during calibration would be
// off, never unsafe, and only the BSP runs then.
std::atomic<uint64_t> g_base_tsc{0};
std::atomic<uint64_t> g_base_ns{0};
std::atomic<uint64_t> g_hz{kGuessHz};
std::atomic<uint64_t> g_mult{uint64_t(1) << 32};  // 1 ns per cycle at 1 GHz
std::atomic<bool> g_calibrated{false};

uint64_t ns_at(uint64_t tsc) {
    uint64_t base_tsc = g_base_tsc.load(std::memory_order_relaxed);
    if (tsc < base_tsc) return g_base_ns.load(std::memory_order_relaxed);  // unsynchronized TSCs
    unsigned __int128 scaled = (unsigned __int128)(tsc - base_tsc) * g_mult.load(std::memory_order_relaxed);
    return g_base_ns.load(std::memory_order_relaxed) + uint64_t(scaled >> 32);
}

}  // namespace

void tsc_mark_boot() { g_base_tsc.store(rdtsc(), std::memory_order_relaxed); }

uint64_t tsc_hz() { return g_hz.load(std::memory_order_relaxed); }

void set_tsc_hz(uint64_t hz) {
    if (hz < 1000000) hz = kGuessHz;  // below 1 MHz is a measurement error
    // Re-base so that time keeps running forward from what the 1 GHz guess said so far.
    uint64_t now = rdtsc();
    uint64_t now_ns = ns_at(now);
    g_base_tsc.store(now, std::memory_order_relaxed);
    g_base_ns.store(now_ns, std::memory_order_relaxed);
    g_mult.store((kNsPerSecond << 32) / hz, std::memory_order_relaxed);
    g_hz.store(hz, std::memory_order_relaxed);
    g_calibrated.store(true, std::memory_order_relaxed);
}

uint64_t ns_since_boot() { return ns_at(rdtsc()); }

void delay_us(uint64_t us) {
    if (!g_calibrated.load(std::memory_order_relaxed)) {
        if (pit_wait_us(us)) return;
        // No PIT either: fall through to the 1 GHz guess rather than not waiting at all.
    }
    uint64_t hz = tsc_hz();
    uint64_t cycles = us * (hz / 1000000) + us * (hz % 1000000) / 1000000;
    uint64_t start = rdtsc();
    while (rdtsc() - start < cycles) cpu_relax();
}

}  // namespace arch
