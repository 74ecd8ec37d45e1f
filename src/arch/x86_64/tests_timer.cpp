// In-kernel tests of the TSC and the LAPIC timer (on the BSP, interrupts on).
#include <atomic>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/tsc.h"
#include "ktest/ktest.h"
#include "lib/log.h"

namespace {

// Ticks taken by the test callback; relaxed, the test only polls it.
std::atomic<uint32_t> g_ticks{0};
void count_tick(InterruptFrame&) { g_ticks.fetch_add(1, std::memory_order_relaxed); }

// Interrupts on for the test's duration, with its own tick callback; restores both.
class TimerTestScope {
public:
    TimerTestScope() : m_were_enabled(arch::interrupts_enabled()) {
        g_ticks.store(0, std::memory_order_relaxed);
        m_previous = arch::timer::set_tick_callback(count_tick);
        arch::sti();
    }
    ~TimerTestScope() {
        arch::timer::stop();
        arch::timer::set_tick_callback(m_previous);
        if (!m_were_enabled) arch::cli();
    }
private:
    bool m_were_enabled;
    arch::timer::TickCallback m_previous;
};

void wait_ns(uint64_t ns) {
    uint64_t end = arch::ns_since_boot() + ns;
    while (arch::ns_since_boot() < end) arch::cpu_relax();
}

// Percent difference of a from b, rounded toward zero.
uint64_t percent_off(uint64_t a, uint64_t b) { return (a > b ? a - b : b - a) * 100 / b; }

} // namespace

// The LAPIC timer counted against the TSC over 20 ms must give the calibrated rate. TCG
// runs both from host clocks but samples them at different instants, and a host
// preemption between the samples skews one window; the best of three is kept, and the
// tolerance is 5%.
KTEST(timer_lapic_and_tsc_agree) {
    KEXPECT(arch::lapic::ready(), "no local APIC");
    uint64_t expected = arch::timer::lapic_hz();
    uint64_t best_off = ~0ull, best_hz = 0;
    for (int attempt = 0; attempt < 3; ++attempt) {
        arch::InterruptGuard guard;
        arch::lapic::write(arch::lapic::kRegLvtTimer, arch::lapic::kLvtMasked | arch::kVectorTimer);
        arch::lapic::write(arch::lapic::kRegTimerDivide, 0x3);  // divide by 16, as calibrated
        arch::lapic::write(arch::lapic::kRegTimerInitial, 0xffffffff);
        uint32_t c0 = arch::lapic::read(arch::lapic::kRegTimerCurrent);
        uint64_t t0 = arch::rdtsc();
        while (arch::rdtsc() - t0 < arch::tsc_hz() / 50) arch::cpu_relax();
        uint32_t c1 = arch::lapic::read(arch::lapic::kRegTimerCurrent);
        uint64_t t1 = arch::rdtsc();
        arch::lapic::write(arch::lapic::kRegTimerInitial, 0);
        uint64_t hz = uint64_t(c0 - c1) * arch::tsc_hz() / (t1 - t0);
        uint64_t off = percent_off(hz, expected);
        if (off < best_off) { best_off = off; best_hz = hz; }
    }
    arch::timer::stop();
    log_info("timer test: LAPIC timer vs TSC over 20 ms: %lu Hz measured, %lu Hz calibrated (%lu%% off)",
             (unsigned long)best_hz, (unsigned long)expected, (unsigned long)best_off);
    KEXPECT(best_off <= 5, "LAPIC timer %lu Hz vs calibrated %lu Hz (%lu%% off)", (unsigned long)best_hz,
            (unsigned long)expected, (unsigned long)best_off);
}

KTEST(timer_oneshot_interrupt_fires_once_after_its_delay) {
    TimerTestScope scope;
    constexpr uint64_t kDelayNs = 5000000;
    uint64_t start = arch::ns_since_boot();
    arch::timer::oneshot_ns(kDelayNs);
    uint64_t deadline = start + 1000000000;
    while (g_ticks.load(std::memory_order_relaxed) == 0 && arch::ns_since_boot() < deadline) arch::cpu_relax();
    uint64_t elapsed = arch::ns_since_boot() - start;
    KEXPECT(g_ticks.load(std::memory_order_relaxed) == 1, "%s one-shot did not fire within 1 s",
            arch::timer::mode_name());
    // 10% under is calibration slack; anything far over would be a lost interrupt.
    KEXPECT(elapsed >= kDelayNs * 9 / 10, "fired after %lu ns, armed for %lu ns", (unsigned long)elapsed,
            (unsigned long)kDelayNs);
    KEXPECT(elapsed < 100000000, "fired only after %lu ns (armed for 5 ms)", (unsigned long)elapsed);
    wait_ns(20000000);
    KEXPECT(g_ticks.load(std::memory_order_relaxed) == 1, "one-shot fired %u times",
            g_ticks.load(std::memory_order_relaxed));
    log_info("timer test: one-shot (%s) of 5 ms fired after %lu us", arch::timer::mode_name(),
             (unsigned long)(elapsed / 1000));
}

KTEST(timer_periodic_interrupt_repeats_and_stops) {
    TimerTestScope scope;
    arch::timer::periodic_ns(2000000);
    wait_ns(50000000);
    arch::timer::stop();
    uint32_t ticks = g_ticks.load(std::memory_order_relaxed);
    // 25 expected. QEMU drops the ticks it could not deliver on time (it re-arms from
    // "now"), and under host load that can be half of them; more than 25 (+2 for the
    // edges) would mean the period is wrong.
    KEXPECT(ticks >= 5 && ticks <= 27, "periodic 2 ms over 50 ms gave %u ticks", ticks);
    wait_ns(10000000);
    KEXPECT(g_ticks.load(std::memory_order_relaxed) == ticks, "ticks kept coming after stop()");
    log_info("timer test: periodic 2 ms over 50 ms gave %u ticks", ticks);
}

KTEST(timer_delay_us_matches_ns_since_boot) {
    uint64_t start = arch::ns_since_boot();
    arch::delay_us(10000);
    uint64_t elapsed = arch::ns_since_boot() - start;
    KEXPECT(elapsed >= 10000000 && elapsed < 50000000, "delay_us(10000) took %lu ns", (unsigned long)elapsed);
}
