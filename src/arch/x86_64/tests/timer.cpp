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

}  // namespace

// The LAPIC timer counted against the TSC over 20 ms must give the calibrated rate. TCG
// runs both from host clocks but samples them at different instants, and a host
// preemption between the samples skews one window; the best of up to seven is kept (a
// host that preempts the vCPU between two adjacent reads seven times running is not one
// that any test can use), and the tolerance is 5%.
KTEST(timer_lapic_and_tsc_agree) {
    KEXPECT(arch::lapic::ready(), "no local APIC");
    uint64_t expected = arch::timer::lapic_hz();
    uint64_t best_off = ~0ull, best_hz = 0;
    for (int attempt = 0; attempt < 7 && best_off > 1; ++attempt) {
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
        if (off < best_off) {
            best_off = off;
            best_hz = hz;
        }
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
    // How late it came is the host's doing under TCG (a descheduled vCPU): logged below, and
    // "within 1 s" above is the only upper bound judged.
    wait_ns(20000000);
    KEXPECT(g_ticks.load(std::memory_order_relaxed) == 1, "one-shot fired %u times",
            g_ticks.load(std::memory_order_relaxed));
    log_info("timer test: one-shot (%s) of 5 ms fired after %lu us", arch::timer::mode_name(),
             (unsigned long)(elapsed / 1000));
}

// Judged by counting, not by the host's clock (issue 11): wait for kWanted ticks (a host
// that deschedules the vCPU makes QEMU drop ticks, re-arming from "now", so they may take
// longer than kWanted periods, but never less), then stop and see that none follow.
KTEST(timer_periodic_interrupt_repeats_and_stops) {
    constexpr uint64_t kPeriodNs = 2000000;
    constexpr uint32_t kWanted = 10;
    TimerTestScope scope;
    uint64_t start = arch::ns_since_boot();
    arch::timer::periodic_ns(kPeriodNs);
    uint64_t deadline = start + 10000000000ull;  // 10 s of guest time: only a timer that stopped misses it
    while (g_ticks.load(std::memory_order_relaxed) < kWanted && arch::ns_since_boot() < deadline) arch::cpu_relax();
    uint64_t elapsed = arch::ns_since_boot() - start;
    arch::timer::stop();
    uint32_t ticks = g_ticks.load(std::memory_order_relaxed);
    KEXPECT(ticks >= kWanted, "periodic %lu ns: %u ticks in 10 s, %u expected", (unsigned long)kPeriodNs, ticks,
            kWanted);
    // Faster than the period (one edge of slack) would mean the period is wrong.
    KEXPECT(elapsed >= (ticks - 1) * kPeriodNs, "periodic %lu ns gave %u ticks in %lu ns: too fast",
            (unsigned long)kPeriodNs, ticks, (unsigned long)elapsed);
    wait_ns(10 * kPeriodNs);
    KEXPECT(g_ticks.load(std::memory_order_relaxed) == ticks, "ticks kept coming after stop()");
    log_info("timer test: periodic 2 ms gave %u ticks in %lu us", ticks, (unsigned long)(elapsed / 1000));
}

KTEST(timer_delay_us_matches_ns_since_boot) {
    uint64_t start = arch::ns_since_boot();
    arch::delay_us(10000);
    uint64_t elapsed = arch::ns_since_boot() - start;
    // Never shorter; longer only by what the host took from the vCPU (not judged: logged).
    KEXPECT(elapsed >= 10000000, "delay_us(10000) took %lu ns", (unsigned long)elapsed);
    log_info("timer test: delay_us(10000) took %lu us", (unsigned long)(elapsed / 1000));
}
