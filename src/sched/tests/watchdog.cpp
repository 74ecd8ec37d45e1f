// Kernel tests of the lockup detector (sched/watchdog.h; docs/smp.md, "Lockup detector"),
// run as the init task. Each lowers the bound to test_bound_ms() so it ends in seconds,
// and restores it in its cleanup. The lockups are deliberate spins that end themselves
// once the detector's count moves, so the kernel runs on cleanly; the assertions are on
// what the detector counted and recorded (which CPU, which task, which function the
// backtrace names), never on how long anything took on the host.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "drivers/console.h"
#include "ktest/ktest.h"
#include "lib/log.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/watchdog.h"

namespace {

using sched::watchdog::Counts;
using sched::watchdog::LockupRecord;

constexpr const char* kOffSkip = "the lockup detector is off (watchdog=off)";

uint32_t cpu_count() { return sched::shared().cpu_count; }

// 1 s, and 1 s more per 8 CPUs: under TCG all vCPUs share the host's cores, and the more
// there are, the longer one of them may wait for the host (or for QEMU's global lock) while
// its watcher runs. The probe keeps that out of the reports, but a vCPU that answers and
// then waits again with interrupts off (a dispatch() spin on another descheduled vCPU) for
// a quarter bound would be reported; the bound grows so such waits stay well inside it.
uint32_t test_bound_ms() {
    uint32_t eighths = cpu_count() / 8;
    return 1000 * (eighths > 1 ? eighths : 1);
}

bool online(uint32_t cpu) {
    // acquire: pairs with the seq_cst updates of the mask (join_scheduler, cpu_offline).
    return sched::shared().online.contains(cpu, std::memory_order_acquire);
}

void restore_threshold(void* arg) { sched::watchdog::set_threshold_ms(uint32_t(reinterpret_cast<uintptr_t>(arg))); }

// Lowers the bound for this test; the cleanup puts the old one back, passed or failed.
void lower_threshold() {
    uint32_t old = sched::watchdog::set_threshold_ms(test_bound_ms());
    ktest::on_cleanup(restore_threshold, reinterpret_cast<void*>(uintptr_t(old)));
}

// Spins until `done()` or the ktest watchdog gives up on the test. Guest TSC bounds the
// spin only as a last resort (a broken detector must not leave a CPU spinning for good).
template <typename Done>
void spin_until(Done done) {
    uint64_t limit = arch::rdtsc() + 2 * ktest::kWatchdogSeconds * arch::tsc_hz();
    while (!done() && !ktest::cancelled() && arch::rdtsc() < limit) arch::cpu_relax();
}

// ---------------------------------------------------------------- hard lockup

struct HardSpin {
    uint64_t reports_before = 0;
    std::atomic<uint32_t> cpu{0};
};

// The deliberate hard lockup: interrupts off, so this CPU's tick stops, until the
// detector's NMI has printed the report (the handler runs on this very CPU, so the count
// has moved when the spin looks again). Not inlined, so the backtrace can name it.
[[gnu::noinline]] int64_t spin_with_interrupts_off(void* arg) {
    auto* spin = static_cast<HardSpin*>(arg);
    arch::cli();
    spin->cpu.store(sched::current_cpu(), std::memory_order_relaxed);  // relaxed: read after join
    spin_until([&] { return sched::watchdog::counts().hard_lockups != spin->reports_before; });
    arch::sti();
    return 0;
}

// What one deliberate hard lockup left behind: the counts around it and its record.
struct HardLockupRun {
    uint32_t target = 0;  // the CPU the spinner was pinned to
    Counts before, after;
    LockupRecord rec;
};

// The frame both hard-lockup tests share: on the last CPU (skipped when it is the only
// one), with the bound lowered, `entry` spins with interrupts off until the report count
// moves; then exactly one report must have been recorded. Fails (ktest_ctx.failed) or
// skips (ktest_ctx.skipped) through ktest_ctx; the caller returns then.
void run_hard_spinner(ktest::Context& ktest_ctx, int64_t (*entry)(void*), const char* name, HardLockupRun& run) {
    if (!sched::watchdog::enabled()) return ktest_ctx.skip("%s", kOffSkip);
    run.target = cpu_count() - 1;
    if (run.target == 0)
        return ktest_ctx.skip("needs a second CPU: a CPU with interrupts off cannot notice its own missing tick");
    KEXPECT(online(run.target), "cpu %u is not online", run.target);
    lower_threshold();
    static HardSpin spin;  // the spinner may outlive a cancelled test's frame
    spin.cpu.store(0, std::memory_order_relaxed);  // relaxed: the spawn publishes it
    run.before = sched::watchdog::counts();
    spin.reports_before = run.before.hard_lockups;
    auto r = sched::spawn(entry, &spin, {.name = name, .affinity = sched::CpuMask::single(run.target)});
    KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
    sched::join(r.handle);
    ktest::progress();
    run.after = sched::watchdog::counts();
    KEXPECT(run.after.hard_lockups == run.before.hard_lockups + 1, "%llu hard lockup reports, expected 1",
            (unsigned long long)(run.after.hard_lockups - run.before.hard_lockups));
    KEXPECT(sched::watchdog::last_hard_lockup(run.rec), "no record of the report");
    uint32_t spun_on = spin.cpu.load(std::memory_order_relaxed);  // relaxed: the join ordered it
    KEXPECT(spun_on == run.target, "the spinner ran on cpu %u, not the cpu %u it was pinned to", spun_on, run.target);
    KEXPECT(run.rec.cpu == run.target && run.rec.interrupts_were_off,
            "the report names cpu %u (interrupts %s), expected cpu %u with interrupts off", run.rec.cpu,
            run.rec.interrupts_were_off ? "off" : "on", run.target);
}

}  // namespace

// One CPU spins with interrupts off; the CPU before it in the ring notices the missing
// tick, probes it with an NMI, and its second NMI makes the spinning CPU print the report.
// The record must name the spinning CPU, another CPU as the one that noticed, interrupts
// off, and the spinning function in the backtrace.
KTEST_SCHED(watchdog_hard_lockup_is_reported_with_an_nmi) {
    HardLockupRun run;
    run_hard_spinner(ktest_ctx, spin_with_interrupts_off, "hard-spinner", run);
    if (ktest_ctx.failed || ktest_ctx.skipped) return;
    const LockupRecord& rec = run.rec;
    KEXPECT(rec.seen_by != run.target && rec.seen_by < cpu_count(), "noticed by cpu %u", rec.seen_by);
    KEXPECT(rec.mentions("spin_with_interrupts_off"), "the backtrace (%zu frames) does not name the spinning function",
            rec.frame_count);
    KEXPECT(run.after.probes_sent > run.before.probes_sent && run.after.reports_sent > run.before.reports_sent,
            "NMIs sent: %llu probes, %llu reports", (unsigned long long)(run.after.probes_sent - run.before.probes_sent),
            (unsigned long long)(run.after.reports_sent - run.before.reports_sent));
    log_info(
        "watchdog test: cpu %u reported by cpu %u after %llu ms without a tick (bound %u ms); %llu probe(s), "
        "%llu report NMI(s), %llu stale",
        rec.cpu, rec.seen_by, (unsigned long long)rec.stalled_ms, test_bound_ms(),
        (unsigned long long)(run.after.probes_sent - run.before.probes_sent),
        (unsigned long long)(run.after.reports_sent - run.before.reports_sent),
        (unsigned long long)(run.after.stale_alarms - run.before.stale_alarms));
}

// ---------------------------------------------------------------- hard lockup, console lock held

namespace {

// The same spin, inside a console write: interrupts off and the console lock held by this
// CPU. The report's NMI interrupts the lock's holder; waiting for the lock there would
// never end, so the report must go out without it.
[[gnu::noinline]] void spin_holding_the_console_lock(void* arg) {
    auto* spin = static_cast<HardSpin*>(arg);
    spin->cpu.store(sched::current_cpu(), std::memory_order_relaxed);  // relaxed: read after join
    spin_until([&] { return sched::watchdog::counts().hard_lockups != spin->reports_before; });
}

int64_t lock_console_and_spin(void* arg) {
    console::run_with_lock_held(spin_holding_the_console_lock, arg);
    return 0;
}

}  // namespace

// A CPU stuck with interrupts off while it holds the console lock still gets its report
// printed (from its own NMI, to serial, without the lock), and the kernel goes on: the
// count moves, the spin ends and releases the lock. Nothing else logs meanwhile (the init
// task only joins; idle CPUs do not log).
KTEST_SCHED(watchdog_hard_lockup_report_gets_past_a_held_console_lock) {
    HardLockupRun run;
    run_hard_spinner(ktest_ctx, lock_console_and_spin, "console-spinner", run);
    if (ktest_ctx.failed || ktest_ctx.skipped) return;
    KEXPECT(run.rec.mentions("spin_holding_the_console_lock"), "the backtrace (%zu frames) does not name the spin",
            run.rec.frame_count);
    log_info("watchdog test: cpu %u reported while holding the console lock, after %llu ms without a tick", run.rec.cpu,
             (unsigned long long)run.rec.stalled_ms);
}

// ---------------------------------------------------------------- soft lockup

namespace {

struct SoftSpin {
    uint64_t warnings_before = 0;
    uint64_t extra_spin_tsc = 0;  // how long to go on spinning after each warning
};

// The deliberate soft lockup, twice: preemption off, interrupts on (the tick keeps coming
// but cannot switch), until the warning; then on past it for another bound and a half,
// which must not warn again; then one scheduling point (preempt_enable preempts) and a
// second episode, which must warn again.
[[gnu::noinline]] int64_t spin_with_preemption_disabled(void* arg) {
    auto* spin = static_cast<SoftSpin*>(arg);
    for (uint64_t episode = 1; episode <= 2; ++episode) {
        sched::PreemptGuard no_preemption;
        spin_until([&] { return sched::watchdog::counts().soft_lockups >= spin->warnings_before + episode; });
        uint64_t until = arch::rdtsc() + spin->extra_spin_tsc;
        spin_until([&] { return arch::rdtsc() >= until; });
    }
    return 0;
}

}  // namespace

// A task spins with preemption disabled on one CPU: the CPU's own tick warns once per
// episode, naming the task and, in its backtrace, the spinning function; the CPU keeps
// ticking, so it is no hard lockup. Works at -smp 1 too.
KTEST_SCHED(watchdog_soft_lockup_warns_once_per_episode) {
    if (!sched::watchdog::enabled()) return ktest_ctx.skip("%s", kOffSkip);
    uint32_t cpu = cpu_count() - 1;
    KEXPECT(online(cpu), "cpu %u is not online", cpu);
    lower_threshold();
    static SoftSpin spin;
    Counts before = sched::watchdog::counts();
    spin.warnings_before = before.soft_lockups;
    spin.extra_spin_tsc = uint64_t(test_bound_ms()) * 3 / 2 * arch::tsc_hz() / 1000;
    auto r = sched::spawn(spin_with_preemption_disabled, &spin,
                          {.name = "soft-spinner", .affinity = sched::CpuMask::single(cpu)});
    KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
    uint64_t id = r.handle.task()->id;
    sched::join(r.handle);
    ktest::progress();
    Counts after = sched::watchdog::counts();
    LockupRecord rec;
    KEXPECT(after.soft_lockups == before.soft_lockups + 2, "%llu soft lockup warnings for 2 episodes",
            (unsigned long long)(after.soft_lockups - before.soft_lockups));
    KEXPECT(after.hard_lockups == before.hard_lockups, "a hard lockup was reported for a CPU that kept ticking");
    KEXPECT(sched::watchdog::last_soft_lockup(rec), "no record of the warning");
    KEXPECT(rec.cpu == cpu && rec.task_id == id, "the warning names cpu %u task %llu, expected cpu %u task %llu",
            rec.cpu, (unsigned long long)rec.task_id, cpu, (unsigned long long)id);
    KEXPECT(rec.preemption_was_disabled && !rec.interrupts_were_off, "the warning says preemption %s, interrupts %s",
            rec.preemption_was_disabled ? "off" : "on", rec.interrupts_were_off ? "off" : "on");
    KEXPECT(rec.mentions("spin_with_preemption_disabled"),
            "the backtrace (%zu frames) does not name the spinning function", rec.frame_count);
    log_info("watchdog test: task %llu on cpu %u warned after %llu ms without a scheduling point (bound %u ms)",
             (unsigned long long)id, cpu, (unsigned long long)rec.stalled_ms, test_bound_ms());
}

// ---------------------------------------------------------------- a busy system

namespace {

constexpr uint32_t kBusyThresholds = 4;  // the load runs this many bounds
constexpr uint32_t kSpinnersPerCpu = 2;

struct Busy {
    std::atomic<bool> stop{false};
    // relaxed: a count read after the joins, which order it.
    std::atomic<uint64_t> rounds{0};
    sched::TaskHandle tasks[kMaxCpus * (kSpinnersPerCpu + 1)];
    uint32_t count = 0;
};
Busy g_busy;

// Computes with interrupts on and never yields: only the tick takes it off its CPU.
int64_t busy_spinner(void*) {
    uint64_t x = 1;
    while (!g_busy.stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 10000; ++i) x = x * 6364136223846793005ull + 1442695040888963407ull;
        g_busy.rounds.fetch_add(1, std::memory_order_relaxed);
    }
    return int64_t(x & 1);
}

// Sleeps and wakes all the time, so CPUs go in and out of halt under the detector's eyes.
int64_t busy_sleeper(void*) {
    while (!g_busy.stop.load(std::memory_order_relaxed)) {
        sched::sleep_for(1'000'000);
        sched::yield();
    }
    return 0;
}

void stop_busy(void*) {
    for (uint32_t c = 1; c < cpu_count(); ++c)
        if (sched::shared().cpu(c).hotplug.load(std::memory_order_acquire) == sched::HotplugState::parked)
            sched::cpu_online(c);  // acquire: pairs with the CPU's release store of its state
    g_busy.stop.store(true, std::memory_order_relaxed);
    for (uint32_t i = 0; i < g_busy.count; ++i) sched::join(g_busy.tasks[i]);
    g_busy.count = 0;
}

void cleanup_busy(void* old_threshold) {
    stop_busy(nullptr);
    restore_threshold(old_threshold);
}

// Sleeps (yielding the CPU to the load) until `ms` of guest time have passed.
void sleep_ms(uint64_t ms) {
    uint64_t until = arch::rdtsc() + ms * arch::tsc_hz() / 1000;
    while (arch::rdtsc() < until && !ktest::cancelled()) {
        sched::sleep_for(20'000'000);
        ktest::progress();
    }
}

}  // namespace

// Every CPU busy for several bounds (spinners that only the tick preempts, sleepers that
// make CPUs halt and wake), one CPU taken offline for more than a bound and back: with the
// bound lowered, no lockup is reported. Probes are allowed (a vCPU the host stops for a
// bound looks stalled from outside; the probe is how the detector finds out it is not),
// and are logged.
KTEST_SCHED(watchdog_busy_system_reports_no_lockup) {
    if (!sched::watchdog::enabled()) return ktest_ctx.skip("%s", kOffSkip);
    uint32_t n = cpu_count();
    uint32_t bound_ms = test_bound_ms();
    uint32_t old = sched::watchdog::set_threshold_ms(bound_ms);
    ktest::on_cleanup(cleanup_busy, reinterpret_cast<void*>(uintptr_t(old)));
    g_busy.stop.store(false, std::memory_order_relaxed);
    g_busy.rounds.store(0, std::memory_order_relaxed);
    Counts before = sched::watchdog::counts();
    for (uint32_t c = 0; c < n; ++c) {
        for (uint32_t k = 0; k <= kSpinnersPerCpu; ++k) {
            auto fn = k < kSpinnersPerCpu ? busy_spinner : busy_sleeper;
            auto r = sched::spawn(fn, nullptr, {.name = k < kSpinnersPerCpu ? "busy-spin" : "busy-sleep"});
            KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
            g_busy.tasks[g_busy.count++] = static_cast<sched::TaskHandle&&>(r.handle);
        }
    }
    uint32_t quarter = bound_ms * kBusyThresholds / 4;
    sleep_ms(quarter);
    bool cycled = false;
    if (n >= 2) {
        uint32_t victim = n - 1;
        sched::HotplugError e = sched::cpu_offline(victim);
        KEXPECT(e == sched::HotplugError::none, "cpu_offline(%u): %s", victim, sched::to_string(e));
        sleep_ms(bound_ms * 3 / 2);  // parked, without ticks, for more than a bound
        e = sched::cpu_online(victim);
        KEXPECT(e == sched::HotplugError::none, "cpu_online(%u): %s", victim, sched::to_string(e));
        cycled = true;
    }
    sleep_ms(quarter * 2);
    stop_busy(nullptr);
    Counts after = sched::watchdog::counts();
    KEXPECT(g_busy.rounds.load(std::memory_order_relaxed) > 0, "the spinners never ran");
    KEXPECT(after.hard_lockups == before.hard_lockups && after.reports_sent == before.reports_sent,
            "%llu hard lockup report(s) on a busy system",
            (unsigned long long)(after.hard_lockups - before.hard_lockups));
    KEXPECT(after.soft_lockups == before.soft_lockups, "%llu soft lockup warning(s) on a busy system",
            (unsigned long long)(after.soft_lockups - before.soft_lockups));
    log_info(
        "watchdog test: %u cpus busy for %u bounds of %u ms%s: no report; %llu probe(s) (%llu answered), %llu stale "
        "alarm(s), %llu late look(s)",
        n, kBusyThresholds, bound_ms, cycled ? ", one cpu offline and back" : "",
        (unsigned long long)(after.probes_sent - before.probes_sent),
        (unsigned long long)(after.probes_answered - before.probes_answered),
        (unsigned long long)(after.stale_alarms - before.stale_alarms),
        (unsigned long long)(after.late_looks - before.late_looks));
}
