// Kernel tests of issue 4 ("The pick policy and fairness", "Placement", "Preemption, timers and sleep"): no normal task starves, a woken task runs
// soon when a CPU is free, and idle CPUs stay tickless. They run as the init task (pinned
// to CPU 0), after sched::start().
//
// Timing under QEMU/TCG: guest TSC runs at host real time while the vCPUs are host threads
// sharing a few cores, so only what the scheduler controls is measured: the TSC a task
// spends current, and the TSC from a wake call to the woken task's first instructions.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "ktest/ktest.h"
#include "lib/log.h"
#include "lib/sort.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"

namespace {

using sched::SpawnOptions;

uint64_t us_from_tsc(uint64_t tsc) { return sched::platform::ns_from_tsc(tsc) / 1000; }

// A CPU's timer tick counter: a single-writer uint64_t, read whole (an aligned 8-byte load
// is atomic on x86; relaxed, as nothing else is published through it).
uint64_t ticks_of(uint32_t cpu) { return __atomic_load_n(&arch::cpu(cpu).timer_ticks, __ATOMIC_RELAXED); }

// ---------------------------------------------------------------- fairness
constexpr uint32_t kMaxFairTasks = 2 * kMaxCpus + 1;
constexpr uint64_t kFairWindowMs = 2000;
constexpr uint32_t kFairTolerancePercent = 20;
// The window holds 2 s of scheduling: at least 2 s, and at least the ticks 2 s give the
// CPUs at full speed (2 s / timeslice each, on average). Under TCG on a loaded host a busy
// vCPU's ticks come late (at -smp 8 we saw 9 per CPU in 2 s instead of 500): slices stretch
// to tens of ms at random, and with a handful of slices per task the shares measure the
// host, not the policy. Then the window grows, up to kFairMaxWindowMs, and the log says so
// (with the shares at 2 s, for the record).
//
// The dispatch counts judged below need a sample that grows with the CPU count: with
// rotation a task is displaced once per circuit of the ring of M CPUs, so a window of k
// circuits gives each task k or k + 1 dispatches, and +-20% needs k well above 5 (at -smp
// 32 a 2 s window gave 5, issue 11). So the window also lasts until the CPUs have
// dispatched kFairMinDispatches per task on average, and its cap grows with the CPUs.
constexpr uint64_t kFairMaxWindowMs = 20000;
constexpr uint64_t kFairMinDispatches = 20;
constexpr uint64_t kFairMinAllowance = 4;  // dispatches; see the check in run_fair_window()
uint64_t fair_max_window_ms(uint32_t cpus) { return kFairMaxWindowMs * (cpus > 8 ? cpus / 8 : 1); }

uint64_t total_ticks(uint32_t cpus) {
    uint64_t sum = 0;
    for (uint32_t c = 0; c < cpus; ++c) sum += ticks_of(c);
    return sum;
}

// Non-idle dispatches on every CPU so far (each CPU's own counter, read relaxed).
uint64_t total_dispatches(uint32_t cpus) {
    uint64_t sum = 0;
    for (uint32_t c = 0; c < cpus; ++c) sum += sched::shared().cpu(c).stats.tasks_run.get();
    return sum;
}

struct FairRun {
    uint32_t cpus = 0;
    uint64_t start_tsc = 0, min_end_tsc = 0, max_end_tsc = 0;
    uint64_t ticks_at_start = 0, ticks_needed = 0;
    uint64_t dispatches_at_start = 0, dispatches_needed = 0;
    uint64_t cpu_ticks_at_start[kMaxCpus] = {};
    // 0 until the first task sees the window's conditions met; then every task stops at
    // its first look at or after it. acq_rel/acquire: a plain agreement on one value.
    std::atomic<uint64_t> end_tsc{0};
    // Each written by its own task, read by init after join (which orders them).
    uint64_t run_tsc[kMaxFairTasks] = {};
    uint64_t run_at_2s_tsc[kMaxFairTasks] = {};
    uint64_t migrations[kMaxFairTasks] = {};
    uint64_t dispatches[kMaxFairTasks] = {};  // stints begun on some CPU: what the policy hands out
};

struct FairArg {
    FairRun* run;
    uint32_t index;
};

// The time the calling task has been current so far: the closed slices plus the open one.
// With interrupts off, so no switch splits the two reads.
uint64_t own_run_tsc() {
    arch::InterruptGuard irq_off;
    sched::Task* self = sched::this_cpu_sched().current.load(std::memory_order_relaxed);  // relaxed: own CPU
    return self->counters.run_cycles.get() + (arch::rdtsc() - self->slice_start_tsc);
}

// CPU-bound: spins on the TSC until the window ends, never yields or blocks. A task
// reads its time current the instant it sees a mark passed; one that was waiting at the
// mark reads it as soon as it runs again, so it gains nothing after the mark.
int64_t cpu_bound(void* arg) {
    auto* a = static_cast<FairArg*>(arg);
    FairRun& run = *a->run;
    bool past_2s = false;
    uint64_t next_progress = 0;
    for (;;) {
        uint64_t now = arch::rdtsc();
        if (a->index == 0 && now >= next_progress) {
            ktest::progress();  // the window may outlast the watchdog's period at many CPUs
            next_progress = now + arch::tsc_hz();
        }
        if (now < run.min_end_tsc) continue;
        if (!past_2s) {
            run.run_at_2s_tsc[a->index] = own_run_tsc();
            past_2s = true;
        }
        uint64_t end = run.end_tsc.load(std::memory_order_acquire);  // acquire: pairs with the CAS below
        if (end == 0 && ((total_ticks(run.cpus) - run.ticks_at_start >= run.ticks_needed &&
                          total_dispatches(run.cpus) - run.dispatches_at_start >= run.dispatches_needed) ||
                         now >= run.max_end_tsc)) {
            // acq_rel: the first to decide wins; the others adopt its value.
            if (run.end_tsc.compare_exchange_strong(end, now, std::memory_order_acq_rel, std::memory_order_acquire))
                end = now;
        }
        if (end != 0 && now >= end) break;
    }
    a->run->run_tsc[a->index] = own_run_tsc();
    a->run->migrations[a->index] = sched::current_task()->counters.migrations.get();
    a->run->dispatches[a->index] = sched::current_task()->counters.switches_in.get();
    return 0;
}

// Per mille of the fair share, for the log.
void print_shares(const char* label, const uint64_t* run_tsc, uint32_t tasks) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < tasks; ++i) total += run_tsc[i];
    klog::print("sched_fair:   %s, per mille of fair:", label);
    for (uint32_t i = 0; i < tasks; ++i) klog::print(" %llu", (unsigned long long)(run_tsc[i] * 1000 * tasks / total));
    klog::print("\n");
}

// Runs `tasks` CPU-bound tasks for the window; false (with the reason recorded) if a share
// is off by more than the tolerance.
bool run_fair_window(ktest::Context& ktest_ctx, uint32_t tasks) {
    static FairRun run;
    static FairArg args[kMaxFairTasks];
    static sched::TaskHandle handles[kMaxFairTasks];
    uint32_t cpus = arch::cpu_count();
    uint64_t slice_tsc = sched::shared().config.timeslice_tsc;
    run.cpus = cpus;
    run.ticks_needed = cpus * (kFairWindowMs * arch::tsc_hz() / 1000 / slice_tsc) * 95 / 100;
    run.ticks_at_start = total_ticks(cpus);
    run.dispatches_needed = kFairMinDispatches * tasks;
    run.dispatches_at_start = total_dispatches(cpus);
    for (uint32_t c = 0; c < cpus; ++c) run.cpu_ticks_at_start[c] = ticks_of(c);
    run.end_tsc.store(0, std::memory_order_relaxed);  // relaxed: published by spawn
    run.start_tsc = arch::rdtsc();
    run.min_end_tsc = run.start_tsc + kFairWindowMs * arch::tsc_hz() / 1000;
    run.max_end_tsc = run.start_tsc + fair_max_window_ms(cpus) * arch::tsc_hz() / 1000;
    for (uint32_t i = 0; i < tasks; ++i) {
        run.run_tsc[i] = run.run_at_2s_tsc[i] = run.migrations[i] = run.dispatches[i] = 0;
        args[i] = FairArg{&run, i};
        auto r = sched::spawn(cpu_bound, &args[i], {.name = "fair"});
        if (!r.ok()) {
            ktest_ctx.fail("spawn %u of %u failed: %s", i, tasks, sched::to_string(r.error));
            for (uint32_t j = 0; j < i; ++j) sched::join(handles[j]);
            return false;
        }
        handles[i] = static_cast<sched::TaskHandle&&>(r.handle);
    }
    for (uint32_t i = 0; i < tasks; ++i) sched::join(handles[i]);
    uint64_t window_tsc = run.end_tsc.load(std::memory_order_relaxed) - run.start_tsc;  // relaxed: after join
    uint64_t ticks = total_ticks(cpus) - run.ticks_at_start;

    uint64_t total = 0, low = ~uint64_t(0), high = 0, migrations = 0;
    for (uint32_t i = 0; i < tasks; ++i) {
        total += run.run_tsc[i];
        if (run.run_tsc[i] < low) low = run.run_tsc[i];
        if (run.run_tsc[i] > high) high = run.run_tsc[i];
        migrations += run.migrations[i];
    }
    uint64_t fair = total / tasks;
    uint64_t window_ms = us_from_tsc(window_tsc) / 1000;
    klog::print(
        "sched_fair: %u tasks on %u cpus, window %llu ms%s: %llu ticks per cpu (%llu per 2 s at full "
        "speed), %llu migrations per task, busy %llu%% of the cpus, fair share %llu ms, min %llu, max %llu "
        "per mille of it\n",
        tasks, cpus, (unsigned long long)window_ms,
        window_ms > kFairWindowMs + kFairWindowMs / 10 ? " (grown: the host delivered few ticks)" : "",
        (unsigned long long)(ticks / cpus), (unsigned long long)(kFairWindowMs * arch::tsc_hz() / 1000 / slice_tsc),
        (unsigned long long)(migrations / tasks), (unsigned long long)(total * 100 / (window_tsc * cpus)),
        (unsigned long long)(us_from_tsc(fair) / 1000), (unsigned long long)(low * 1000 / fair),
        (unsigned long long)(high * 1000 / fair));
    print_shares("over the window", run.run_tsc, tasks);
    print_shares("dispatches", run.dispatches, tasks);
    if (window_ms > kFairWindowMs + kFairWindowMs / 10) print_shares("at 2 s (not checked)", run.run_at_2s_tsc, tasks);

    // The policy itself: every task begins a stint (is dispatched) equally often, ±20%:
    // with rotation each task is displaced once per circuit of the ring; without it, N =
    // M + 1 gives the two tasks sharing a CPU hundreds of dispatches and the others one.
    // Host timing barely moves this count, so a policy regression fails here even when
    // the time shares below are noisy.
    uint64_t dispatches = 0;
    for (uint32_t i = 0; i < tasks; ++i) dispatches += run.dispatches[i];
    // Rotation itself leaves each task k or k + 1 dispatches after k circuits, and a vCPU
    // the host descheduled for a while holds its part of the ring back a circuit or two:
    // at -smp 32 on a 2-core CI host the window hit its 80 s cap at 12 dispatches per task
    // and one task had 15. So the allowance is never below 4 dispatches (it matters only
    // when the window hit its cap before kFairMinDispatches). A lost rotation is still far
    // outside it: with N = M + 1 and no rotation, M - 1 tasks get 1 dispatch each while
    // two share a CPU for hundreds, so the fair count is dozens and 1 fails by far.
    uint64_t fair_dispatches = dispatches / tasks;
    uint64_t allowance = fair_dispatches * kFairTolerancePercent / 100;
    if (allowance < kFairMinAllowance) allowance = kFairMinAllowance;
    for (uint32_t i = 0; i < tasks; ++i) {
        uint64_t got = run.dispatches[i];
        if (got + allowance < fair_dispatches || got > fair_dispatches + allowance) {
            ktest_ctx.fail("%u tasks on %u cpus: task %u was dispatched %llu times, fair %llu (+-%llu)", tasks, cpus, i,
                           (unsigned long long)got, (unsigned long long)fair_dispatches, (unsigned long long)allowance);
            return false;
        }
    }
    // The time shares. Under TCG a vCPU is a host thread, and on an oversubscribed host
    // (8 vCPUs on 2 cores) one can sit descheduled for tens of ms: its task's TSC runs on
    // while it does nothing and its tick comes late, which the guest cannot correct. So the
    // shares in TSC are judged only when every CPU took its ticks on time (at least 90% of
    // window / timeslice each, within a window that did not have to grow); otherwise the
    // log says why they were not judged, and the slice shares above (dispatches, which
    // host stalls do not move) are the check.
    uint64_t slice_ms = us_from_tsc(slice_tsc) / 1000;
    uint64_t expected_per_cpu = slice_ms ? window_ms / slice_ms : 0;
    uint32_t starved_cpu = sched::kNoCpu;
    uint64_t starved_ticks = 0;
    for (uint32_t c = 0; c < cpus; ++c) {
        uint64_t got = ticks_of(c) - run.cpu_ticks_at_start[c];
        if (got * 10 < expected_per_cpu * 9 && starved_cpu == sched::kNoCpu) {
            starved_cpu = c;
            starved_ticks = got;
        }
    }
    bool grown = window_ms > kFairWindowMs + kFairWindowMs / 10;
    if (grown || starved_cpu != sched::kNoCpu) {
        klog::print(
            "sched_fair:   time shares not judged: %s (cpu %u took %llu of %llu ticks); slice shares judged "
            "above\n",
            grown ? "the window had to grow" : "a vCPU was starved by the host",
            starved_cpu == sched::kNoCpu ? 0u : starved_cpu, (unsigned long long)starved_ticks,
            (unsigned long long)expected_per_cpu);
        return true;
    }
    uint64_t slack = fair * kFairTolerancePercent / 100;
    for (uint32_t i = 0; i < tasks; ++i) {
        uint64_t got = run.run_tsc[i];
        if (got + slack < fair || got > fair + slack) {
            ktest_ctx.fail("%u tasks on %u cpus: task %u ran %llu ms of %llu, fair share %llu ms (+-%u%%)", tasks, cpus,
                           i, (unsigned long long)(us_from_tsc(got) / 1000), (unsigned long long)window_ms,
                           (unsigned long long)(us_from_tsc(fair) / 1000), kFairTolerancePercent);
            return false;
        }
    }
    return true;
}

}  // namespace

// Issue 4: N CPU-bound tasks on M CPUs each get within ±20% of a fair share over 2 s (of
// scheduling: see kFairMaxWindowMs). N = M + 1 is the case a per-CPU round robin gets
// wrong (50% vs 100%); 2M + 1 leaves CPUs with 2 and 3 tasks. Each task's share is the
// guest TSC it spent current, which is what the scheduler controls.
KTEST_SCHED(sched_fair_cpu_bound_tasks_get_equal_shares) {
    uint32_t cpus = arch::cpu_count();
    KEXPECT(2 * cpus + 1 <= kMaxFairTasks, "%u cpus: too many for the test's arrays", cpus);
    if (!run_fair_window(ktest_ctx, cpus + 1)) return;
    if (!run_fair_window(ktest_ctx, 2 * cpus + 1)) return;
}

// ---------------------------------------------------------------- wake latency
namespace {

constexpr uint32_t kWakeRounds = 200;
constexpr uint64_t kWorkerSpinUs = 100;  // so the joiner has blocked before the exit
// At most this share of a path's wakes may see the running CPU take a timer tick between
// the wake and the woken task's first instruction. A correct wake takes none: the task runs
// next on the CPU the worker frees (sync), or the halted CPU is kicked at once (remote).
// A tick lands in the window only by coincidence, or when the host deschedules the vCPU
// for longer than the rest of its slice: a few percent on a loaded 2-core host. A scheduler
// that parks a woken task behind a slice, or leaves a halted CPU to its backstop, takes a
// tick on every wake.
constexpr uint32_t kMaxTickedPercent = 20;

struct WakeSamples {
    uint64_t tsc[2 * kWakeRounds];  // wake to first instruction: logged, not judged
    uint8_t ticked[2 * kWakeRounds];  // the running CPU took a tick in that window
    uint32_t count = 0;
    uint32_t joins_without_wait = 0;  // the worker was dead before join looked: no wake
    uint32_t wake_before_exit = 0;  // a wake stamped before the worker's exit began
};

WakeSamples g_wake;

// The worker's exit begins here: the joiner's wake comes after this stamp. The tick counts
// are taken just before it, so every tick after them that the joiner's CPU counts falls
// between the worker's exit and the joiner's resumption.
std::atomic<uint64_t> g_exit_started_tsc{0};
uint64_t g_exit_ticks[kMaxCpus];

int64_t short_worker(void*) {
    uint64_t end = arch::rdtsc() + kWorkerSpinUs * arch::tsc_hz() / 1000000;
    while (arch::rdtsc() < end) arch::cpu_relax();
    for (uint32_t c = 0; c < arch::cpu_count(); ++c) g_exit_ticks[c] = ticks_of(c);
    // release: pairs with the acquire load in join_and_sample(), which also orders the
    // tick counts above (ordered after our wake of the joiner anyway).
    g_exit_started_tsc.store(arch::rdtsc(), std::memory_order_release);
    return 0;
}

// Joins a worker spawned with `options` and records the wake: whether the CPU that resumes
// us took a tick since the worker's exit began, and (for the log) the TSC from the exiting
// worker's make_ready() (the task's wake_tsc) to our first instructions.
bool join_and_sample(ktest::Context& ktest_ctx, const SpawnOptions& options) {
    sched::Task* self = sched::current_task();
    // Only the waker that wins the blocked -> ready CAS writes it, after we block in join;
    // our read below follows our resumption, which that wake published.
    self->wake_tsc = 0;
    auto r = sched::spawn(short_worker, nullptr, options);
    if (!r.ok()) {
        ktest_ctx.fail("spawn failed: %s", sched::to_string(r.error));
        return false;
    }
    sched::join(r.handle);
    uint64_t first_run = arch::rdtsc();
    uint64_t ticks_now;
    uint32_t here;
    {
        arch::InterruptGuard irq_off;  // the tick count and the CPU index of one CPU
        here = arch::this_cpu()->index;
        ticks_now = ticks_of(here);
    }
    uint64_t woken = self->wake_tsc;
    if (woken == 0) {
        ++g_wake.joins_without_wait;
        return true;
    }
    // acquire: pairs with the release store in short_worker().
    if (woken < g_exit_started_tsc.load(std::memory_order_acquire)) ++g_wake.wake_before_exit;
    g_wake.ticked[g_wake.count] = ticks_now != g_exit_ticks[here];
    g_wake.tsc[g_wake.count++] = first_run - woken;
    return true;
}

int64_t joiner_task(void* arg) {
    auto* ctx = static_cast<ktest::Context*>(arg);
    for (uint32_t i = 0; i < kWakeRounds; ++i) {
        if (!join_and_sample(*ctx, {.name = "worker"})) return 1;
    }
    return 0;
}

uint32_t ticked_wakes(uint32_t first, uint32_t count) {
    uint32_t n = 0;
    for (uint32_t i = first; i < first + count; ++i) n += g_wake.ticked[i];
    return n;
}

}  // namespace

// Issue 4: a task woken while a CPU is free runs at once, before its CPU's next tick. Two
// wake paths, every sample counted: an unpinned joiner woken by its exiting worker (sync
// hint: it runs next on the CPU the worker frees), and init (pinned to CPU 0, halted
// meanwhile) woken from the last CPU through CPU 0's inbox and an IPI. Judged in ticks,
// which a descheduled vCPU cannot multiply (issue 11); the microseconds are logged.
KTEST_SCHED(sched_wake_woken_task_runs_before_its_cpu_ticks) {
    g_wake.count = 0;
    g_wake.joins_without_wait = 0;
    g_wake.wake_before_exit = 0;
    // Local: the joiner and its workers go wherever placement puts them.
    auto r = sched::spawn(joiner_task, &ktest_ctx, {.name = "joiner"});
    KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
    int64_t code = sched::join(r.handle);
    if (code != 0) return;  // the joiner recorded why
    uint32_t local_samples = g_wake.count;
    // Remote: init waits on CPU 0 for a worker pinned to the last CPU.
    uint32_t last = arch::cpu_count() - 1;
    for (uint32_t i = 0; i < kWakeRounds; ++i) {
        if (!join_and_sample(ktest_ctx, {.name = "far", .affinity = sched::CpuMask::single(last)})) return;
    }
    uint32_t n = g_wake.count;
    uint32_t rounds = 2 * kWakeRounds;
    KEXPECT(n + g_wake.joins_without_wait == rounds, "%u samples + %u joins without a wait != %u rounds", n,
            g_wake.joins_without_wait, rounds);
    // A worker that exits before its joiner blocks leaves no wake to measure; the 100 us
    // spin makes that rare. Most rounds must be real wakes, or the test measured nothing.
    KEXPECT(n >= rounds / 2, "only %u of %u joins waited for a wake", n, rounds);
    KEXPECT(g_wake.wake_before_exit == 0, "%u wakes were stamped before the worker's exit began",
            g_wake.wake_before_exit);
    uint32_t remote = n - local_samples;
    uint32_t local_ticked = ticked_wakes(0, local_samples), remote_ticked = ticked_wakes(local_samples, remote);
    lib::insertion_sort(g_wake.tsc, local_samples);
    lib::insertion_sort(g_wake.tsc + local_samples, remote);
    klog::print(
        "sched_wake: %u cpus; local (sync) wakes: %u, %u took a tick, p50 %llu us, max %llu us; "
        "to cpu 0 from cpu %u: %u, %u took a tick, p50 %llu us, max %llu us; %u joins without a wait\n",
        arch::cpu_count(), local_samples, local_ticked,
        (unsigned long long)(local_samples ? us_from_tsc(g_wake.tsc[local_samples / 2]) : 0),
        (unsigned long long)(local_samples ? us_from_tsc(g_wake.tsc[local_samples - 1]) : 0), last, remote,
        remote_ticked, (unsigned long long)(remote ? us_from_tsc(g_wake.tsc[local_samples + remote / 2]) : 0),
        (unsigned long long)(remote ? us_from_tsc(g_wake.tsc[n - 1]) : 0), g_wake.joins_without_wait);
    KEXPECT(local_ticked * 100 <= local_samples * kMaxTickedPercent,
            "%u of %u sync wakes saw their cpu tick before the woken task ran; at most %u%% may", local_ticked,
            local_samples, kMaxTickedPercent);
    KEXPECT(remote_ticked * 100 <= remote * kMaxTickedPercent,
            "%u of %u wakes of halted cpu 0 saw it tick before the woken task ran; at most %u%% may", remote_ticked,
            remote, kMaxTickedPercent);
}

// ---------------------------------------------------------------- tickless idle
namespace {
constexpr uint64_t kIdleIntervalMs = 500;
}  // namespace

// "Preemption, timers and sleep": an idle CPU takes no periodic tick, only its backstop (and the deadlines of its
// sleepers; there are none here). init spins on CPU 0 for the interval while every other
// CPU has nothing to do. CPU 0, running init alone, takes one tick per timeslice.
KTEST_SCHED(sched_wake_idle_cpus_take_only_backstop_ticks) {
    sched::SchedShared& s = sched::shared();
    uint32_t cpus = s.cpu_count;
    static uint64_t ticks_before[kMaxCpus], halted_before[kMaxCpus];
    uint64_t interval_tsc = kIdleIntervalMs * arch::tsc_hz() / 1000;
    // Let the CPUs settle into their halt first (the previous test's tasks just ended).
    uint64_t settle_end = arch::rdtsc() + s.config.backstop_tsc;
    while (arch::rdtsc() < settle_end) arch::cpu_relax();
    for (uint32_t c = 0; c < cpus; ++c) {
        ticks_before[c] = ticks_of(c);
        halted_before[c] = s.cpu(c).stats.halted_cycles.get();
    }
    uint64_t start = arch::rdtsc();
    while (arch::rdtsc() - start < interval_tsc) arch::cpu_relax();
    uint64_t elapsed = arch::rdtsc() - start;

    // Bounds: one backstop per backstop period, one tick per slice, plus 10% and 3 for
    // early fires (a one-shot may land a little before its TSC deadline and be re-armed)
    // and the period already running when the interval began.
    uint64_t idle_bound = elapsed / s.config.backstop_tsc;
    idle_bound += idle_bound / 10 + 3;
    uint64_t busy_bound = elapsed / s.config.timeslice_tsc;
    busy_bound += busy_bound / 10 + 3;
    uint64_t busy_ticks = ticks_of(0) - ticks_before[0];
    uint64_t idle_max = 0;
    uint64_t halted_min = ~uint64_t(0);
    for (uint32_t c = 1; c < cpus; ++c) {
        uint64_t ticks = ticks_of(c) - ticks_before[c];
        uint64_t halted = s.cpu(c).stats.halted_cycles.get() - halted_before[c];
        if (ticks > idle_max) idle_max = ticks;
        if (halted < halted_min) halted_min = halted;
    }
    klog::print(
        "sched_wake: over %llu ms, cpu 0 (busy) took %llu ticks (bound %llu); idle cpus took at most %llu "
        "(bound %llu), halted at least %llu ms%s\n",
        (unsigned long long)(us_from_tsc(elapsed) / 1000), (unsigned long long)busy_ticks,
        (unsigned long long)busy_bound, (unsigned long long)idle_max, (unsigned long long)idle_bound,
        (unsigned long long)(cpus > 1 ? us_from_tsc(halted_min) / 1000 : 0),
        cpus > 1 ? "" : " (no idle cpu at -smp 1: only cpu 0 checked)");
    KEXPECT(busy_ticks <= busy_bound, "cpu 0 took %llu ticks running one task, bound %llu",
            (unsigned long long)busy_ticks, (unsigned long long)busy_bound);
    for (uint32_t c = 1; c < cpus; ++c) {
        uint64_t ticks = ticks_of(c) - ticks_before[c];
        uint64_t halted = s.cpu(c).stats.halted_cycles.get() - halted_before[c];
        // The bound means something only if the CPU really idled: halted most of the time.
        KEXPECT(halted >= elapsed / 2, "cpu %u halted only %llu of %llu ms: not idle", c,
                (unsigned long long)(us_from_tsc(halted) / 1000), (unsigned long long)(us_from_tsc(elapsed) / 1000));
        KEXPECT(ticks <= idle_bound, "idle cpu %u took %llu ticks in %llu ms, bound %llu (backstop %llu ms)", c,
                (unsigned long long)ticks, (unsigned long long)(us_from_tsc(elapsed) / 1000),
                (unsigned long long)idle_bound, (unsigned long long)(us_from_tsc(s.config.backstop_tsc) / 1000));
    }
}
