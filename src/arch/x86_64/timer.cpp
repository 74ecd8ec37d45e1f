// Calibration (TSC and LAPIC timer, no HPET) and the per-CPU LAPIC timer.
#include "arch/x86_64/timer.h"

#include <atomic>

#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/log.h"

namespace arch::timer {
namespace {

constexpr uint32_t kDivideBy16 = 0x3;  // divide configuration register encoding
constexpr uint32_t kDivider = 16;
constexpr uint32_t kWindowUs = 10000;
constexpr int kGoodWindows = 2;  // stop after this many clean windows
constexpr int kMaxWindows = 20;  // 200 ms at worst
constexpr uint64_t kNsPerSecond = 1000000000;

// Written by calibrate() on the BSP before any AP starts; read-only afterwards.
uint64_t g_lapic_hz = 0;
Mode g_mode = Mode::lapic_oneshot;
bool g_from_cpuid = false;

// release/acquire: the callback's own data is set up before it is installed (release in
// set_tick_callback), and the interrupt that runs it reads it with acquire.
std::atomic<TickCallback> g_callback{nullptr};

struct Window {
    uint64_t tsc_start = 0, tsc_end = 0;
    uint32_t lapic_start = 0, lapic_end = 0;
};

void sample_start(void* p) {
    auto* w = static_cast<Window*>(p);
    w->lapic_start = lapic::ready() ? lapic::read(lapic::kRegTimerCurrent) : 0;
    w->tsc_start = rdtsc();
}
void sample_end(void* p) {
    auto* w = static_cast<Window*>(p);
    w->tsc_end = rdtsc();
    w->lapic_end = lapic::ready() ? lapic::read(lapic::kRegTimerCurrent) : 0;
}

// Starts the LAPIC timer counting down from its maximum, masked, so that its current
// count can be sampled against another clock.
void start_free_running_lapic() {
    lapic::write(lapic::kRegLvtTimer, lapic::kLvtMasked | kVectorTimer);
    lapic::write(lapic::kRegTimerDivide, kDivideBy16);
    lapic::write(lapic::kRegTimerInitial, 0xffffffff);
}

// ns * rate / 1e9 without overflow for any ns below ~584 years.
uint64_t scale_ns(uint64_t ns, uint64_t rate) {
    return (ns / kNsPerSecond) * rate + (ns % kNsPerSecond) * rate / kNsPerSecond;
}

// CPUID 0x15 gives TSC = crystal * EBX / EAX; when the crystal (ECX) is not reported,
// CPUID 0x16 EAX is the base frequency in MHz, which equals the TSC rate on those parts.
uint64_t tsc_hz_from_cpuid() {
    const CpuInfo& info = cpuinfo();
    if (info.max_basic_leaf < 0x15) return 0;
    CpuidRegs r = cpuid(0x15);
    if (r.eax == 0 || r.ebx == 0) return 0;
    if (r.ecx != 0) return uint64_t(r.ecx) * r.ebx / r.eax;
    if (info.max_basic_leaf >= 0x16) {
        uint32_t base_mhz = cpuid(0x16).eax & 0xffff;
        if (base_mhz) return uint64_t(base_mhz) * 1000000;
    }
    return 0;
}

void timer_interrupt(InterruptFrame& frame) {
    ++this_cpu()->timer_ticks;  // only this CPU writes its own counter
    // EOI first: the callback may switch tasks and not come back here for a while.
    lapic::eoi();
    TickCallback cb = g_callback.load(std::memory_order_acquire);  // pairs with set_tick_callback
    if (cb) cb(frame);
}

}  // namespace

uint64_t lapic_hz() { return g_lapic_hz; }
Mode mode() { return g_mode; }
const char* mode_name() { return g_mode == Mode::tsc_deadline ? "TSC-deadline" : "LAPIC one-shot"; }

TickCallback set_tick_callback(TickCallback cb) {
    return g_callback.exchange(cb, std::memory_order_acq_rel);  // release: pairs with timer_interrupt
}

void calibrate() {
    set_interrupt_handler(kVectorTimer, timer_interrupt);
    if (!lapic::ready()) log_warn("timer: no local APIC; only the TSC is available");
    uint64_t cpuid_hz = tsc_hz_from_cpuid();
    // A window is trusted when its TSC brackets are within 0.1% of its length; host
    // preemption under TCG (or an SMI) makes some windows useless, so try several and
    // keep the tightest.
    Window best;
    PitWindow best_pit;
    int tried = 0, good = 0;
    bool pit_ok = true;
    for (; tried < kMaxWindows && good < kGoodWindows; ++tried) {
        Window w;
        PitWindow pw;
        if (lapic::ready()) start_free_running_lapic();
        if (cpuid_hz) {
            // The TSC rate is known: time the LAPIC against it; the samples bracket themselves.
            pw.start_lo = rdtsc();
            sample_start(&w);
            pw.start_hi = rdtsc();
            while (rdtsc() - w.tsc_start < cpuid_hz / (1000000 / kWindowUs)) cpu_relax();
            pw.end_lo = rdtsc();
            sample_end(&w);
            pw.end_hi = rdtsc();
        } else if (!pit_measure(kWindowUs, pw, sample_start, sample_end, &w)) {
            pit_ok = false;
            break;
        }
        if (pw.slack() * 1000 <= pw.cycles()) ++good;
        if (tried == 0 || pw.slack() < best_pit.slack()) {
            best = w;
            best_pit = pw;
        }
    }
    if (lapic::ready()) lapic::write(lapic::kRegTimerInitial, 0);

    uint64_t cycles = best_pit.cycles();
    uint64_t slack_ppm = cycles ? best_pit.slack() * 1000000 / cycles : 0;
    if (cpuid_hz) {
        g_from_cpuid = true;
        set_tsc_hz(cpuid_hz);
    } else if (pit_ok && cycles) {
        set_tsc_hz(cycles * (1000000 / kWindowUs));
        if (good == 0)
            log_warn("timer: no clean PIT window in %d tries; TSC rate uncertain by up to %lu ppm", tried,
                     (unsigned long)slack_ppm);
    } else {
        log_warn("timer: PIT channel 2 does not count; keeping the 1 GHz TSC guess");
    }
    if (lapic::ready()) {
        uint64_t lapic_cycles = best.tsc_end - best.tsc_start;
        if (pit_ok && lapic_cycles) {
            // counts per cycle is exact for the window; scale by the TSC rate just chosen.
            uint64_t counts = uint32_t(best.lapic_start - best.lapic_end);
            g_lapic_hz = counts * tsc_hz() / lapic_cycles;
        }
        if (g_lapic_hz == 0) {
            // No usable measurement: QEMU's bus clock is 1 GHz, so 1 GHz / 16 is a defensible guess.
            g_lapic_hz = 1000000000 / kDivider;
            log_warn("timer: LAPIC timer rate unknown; guessing %lu Hz", (unsigned long)g_lapic_hz);
        }
    }
    g_mode = cpuinfo().features.tsc_deadline ? Mode::tsc_deadline : Mode::lapic_oneshot;
    uint64_t tsc = tsc_hz();
    log_info(
        "timer: TSC %lu.%03lu MHz (%s%s; %d windows, %d clean, best +-%lu ppm), LAPIC timer %lu.%03lu MHz "
        "(divider %u), one-shot mode: %s",
        (unsigned long)(tsc / 1000000), (unsigned long)(tsc / 1000 % 1000),
        g_from_cpuid ? "CPUID 0x15/0x16" : "PIT channel 2", cpuinfo().features.invariant_tsc ? ", invariant" : "",
        tried, good, (unsigned long)slack_ppm, (unsigned long)(g_lapic_hz / 1000000),
        (unsigned long)(g_lapic_hz / 1000 % 1000), kDivider, mode_name());
}

void init_this_cpu() {
    if (!lapic::ready()) return;
    lapic::write(lapic::kRegTimerInitial, 0);
    lapic::write(lapic::kRegTimerDivide, kDivideBy16);
    lapic::write(lapic::kRegLvtTimer, lapic::kLvtMasked | kVectorTimer);
}

void oneshot_ns(uint64_t ns) {
    if (!lapic::ready()) return;
    InterruptGuard guard;  // LVT mode and count must change together on this CPU
    if (g_mode == Mode::tsc_deadline) {
        lapic::write(lapic::kRegLvtTimer, lapic::kLvtTimerTscDeadline | kVectorTimer);
        // The LVT write must land before the deadline MSR write, or the deadline can be
        // dropped (SDM 10.5.4.1); MMIO/x2APIC writes are not ordered with WRMSR otherwise.
        asm volatile("mfence" ::: "memory");
        uint64_t cycles = scale_ns(ns, tsc_hz());
        wrmsr(MSR_TSC_DEADLINE, rdtsc() + (cycles ? cycles : 1));
        return;
    }
    uint64_t counts = scale_ns(ns, g_lapic_hz);
    if (counts == 0) counts = 1;
    if (counts > 0xffffffff) counts = 0xffffffff;
    lapic::write(lapic::kRegLvtTimer, kVectorTimer);  // one-shot, unmasked
    lapic::write(lapic::kRegTimerDivide, kDivideBy16);
    lapic::write(lapic::kRegTimerInitial, uint32_t(counts));
}

void periodic_ns(uint64_t ns) {
    if (!lapic::ready()) return;
    InterruptGuard guard;
    if (g_mode == Mode::tsc_deadline) wrmsr(MSR_TSC_DEADLINE, 0);
    uint64_t counts = scale_ns(ns, g_lapic_hz);
    if (counts == 0) counts = 1;
    if (counts > 0xffffffff) counts = 0xffffffff;
    lapic::write(lapic::kRegLvtTimer, lapic::kLvtTimerPeriodic | kVectorTimer);
    lapic::write(lapic::kRegTimerDivide, kDivideBy16);
    lapic::write(lapic::kRegTimerInitial, uint32_t(counts));
}

void stop() {
    if (!lapic::ready()) return;
    InterruptGuard guard;
    lapic::write(lapic::kRegLvtTimer, lapic::kLvtMasked | kVectorTimer);
    lapic::write(lapic::kRegTimerInitial, 0);
    if (g_mode == Mode::tsc_deadline) wrmsr(MSR_TSC_DEADLINE, 0);
}

}  // namespace arch::timer
