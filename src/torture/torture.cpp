// The controller: phases, pauses, hotplug, progress lines and the verdict.
#include "torture/torture.h"

#include <atomic>
#include <cstdarg>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "mm/frames.h"
#include "sched/model/victims.h"
#include "sched/scheduler.h"
#include "sched/watchdog.h"
#include "torture/checks.h"
#include "torture/memory.h"
#include "torture/ops.h"
#include "torture/sched_probe.h"

namespace torture {
namespace {

using sched::CpuMask;
using sched::Rng;
using sched::TaskHandle;

constexpr uint64_t kProgressSeconds = 10;
constexpr uint32_t kPhaseMinMs = 2000, kPhaseMaxMs = 8000;
constexpr uint64_t kPollNs = 50'000'000;
constexpr uint32_t kWorkersPerCpu = 2, kMaxWorkers = 32;
// Bounds, in guest TSC seconds. Generous on purpose: under TCG a vCPU is a host thread, and
// on a busy 2-core host it can be off the CPU for a long while. What they catch is a
// waiter that never runs, a sleeper never woken, an epoch that never advances; the
// progress lines report the largest latencies actually seen.
constexpr uint64_t kWakeBoundSeconds = 20;
constexpr uint64_t kSleepBoundSeconds = 20;
constexpr uint64_t kStopBoundSeconds = 120;
constexpr uint64_t kEpochBoundSeconds = kProgressSeconds;
// Garbage stamped with epoch e is freed once the epoch reaches e + 2 (core/epoch.h): a
// grace period is two advances.
constexpr uint64_t kAdvancesPerGracePeriod = 2;
constexpr int64_t kLiveTasksPerCpu = 128;  // far below a deque's first 4096 slots

uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The hotplug task's counts. relaxed: statistics, read by the controller (after the join
// at a pause, racily in progress lines).
std::atomic<uint64_t> g_offlines{0}, g_onlines{0};
// Tasks of the phase that finished their loop. release: pairs with the controller's acquire
// load; the join that follows orders everything anyway.
std::atomic<uint32_t> g_done{0};

// Static, not on the controller's stack: after a stop_bound failure the controller gives up
// on tasks that may still read them.
WorkerArg g_worker_args[kMaxWorkers];
TaskHandle g_workers[kMaxWorkers];
uint64_t g_hotplug_seed = 0;
TaskHandle g_hotplug;

int64_t worker_entry(void* arg) {
    int64_t code = worker_main(arg);
    g_done.fetch_add(1, std::memory_order_release);
    return code;
}

// Takes random CPUs offline and brings them back, never the last one (CPU 0, the bootstrap
// CPU, never goes offline at all: cpu_offline refuses it).
int64_t hotplug_main(void* arg) {
    Rng rng(mix(*static_cast<uint64_t*>(arg)));
    uint32_t cpus = sched_cpu_count();
    while (!stopping()) {
        sched::sleep_for(uint64_t(20 + rng.below(280)) * 1'000'000);
        if (stopping()) break;
        uint32_t cpu = 1 + rng.below(cpus - 1);
        CpuMask online = sched_online();
        sched::HotplugError e;
        if (online.contains(cpu)) {
            if (online.count() <= 1) continue;
            e = sched::cpu_offline(cpu);
            if (e == sched::HotplugError::none) g_offlines.fetch_add(1, std::memory_order_relaxed);
        } else {
            e = sched::cpu_online(cpu);
            if (e == sched::HotplugError::none) g_onlines.fetch_add(1, std::memory_order_relaxed);
        }
        // The only hotplug caller: busy, not_online and not_parked cannot happen.
        if (e != sched::HotplugError::none)
            fail(Check::hotplug, "%s(%u): %s", online.contains(cpu) ? "cpu_offline" : "cpu_online", cpu,
                 sched::to_string(e));
    }
    g_done.fetch_add(1, std::memory_order_release);
    return 0;
}

struct Run {
    Config config;
    uint64_t seed = 0;
    Rng rng;
    uint64_t hz = 0;
    uint64_t start_tsc = 0;
    uint64_t last_progress_tsc = 0;
    uint64_t next_progress_tsc = 0;
    uint64_t phases = 0;
    uint64_t backend_switches = 0;
    uint64_t workers_spawned = 0, workers_joined = 0, worker_spawn_failures = 0;
    OpTotals last_ops;
    SchedTotals last_sched;
    uint64_t last_epoch_advance_tsc = 0;
    sched::watchdog::Counts lockups_before;  // the lockup detector's counts at the start
    bool aborted = false;
};

uint64_t seconds_since(const Run& r, uint64_t tsc) { return (tsc - r.start_tsc) / r.hz; }

uint64_t per_second(uint64_t delta, uint64_t tsc, uint64_t hz) { return tsc ? delta * hz / tsc : 0; }

uint64_t injected_total() {
    uint64_t n = 0;
    for (size_t i = 0; i < fault::kSiteCount; ++i) n += fault::counts(fault::Site(i)).injected;
    return n;
}

// Appends to a line buffer; cut silently at its end.
struct Line {
    char text[480] = {};
    size_t length = 0;
    void add(const char* fmt, ...) __attribute__((format(printf, 2, 3))) {
        va_list ap;
        va_start(ap, fmt);
        int n = kvsnprintf(text + length, sizeof text - length, fmt, ap);
        va_end(ap);
        if (n > 0) length = length + size_t(n) < sizeof text ? length + size_t(n) : sizeof text - 1;
    }
};

// epoch_progress: some grace period completed since the last line. A quiet system may
// simply have nothing to retire, so before failing, drain: that retires nothing new but
// pushes every CPU through a quiescent point and tries to advance.
void check_epochs(Run& r, SchedTotals& now_sched, uint64_t now) {
    if (now_sched.epoch_advances != r.last_sched.epoch_advances) {
        r.last_epoch_advance_tsc = now;
        return;
    }
    if (now - r.last_epoch_advance_tsc < kEpochBoundSeconds * r.hz) return;
    sched::drain_reclaim();
    now_sched = sched_totals();
    if (now_sched.epoch_advances != r.last_sched.epoch_advances) {
        r.last_epoch_advance_tsc = arch::rdtsc();
        return;
    }
    fail(Check::epoch_progress, "the epoch stayed at %llu for %llu s with %llu objects pending",
         (unsigned long long)now_sched.epoch, (unsigned long long)((now - r.last_epoch_advance_tsc) / r.hz),
         (unsigned long long)now_sched.epoch_pending);
}

void progress_line(Run& r) {
    uint64_t now = arch::rdtsc();
    uint64_t span = now - r.last_progress_tsc;
    OpTotals ops = op_totals();
    SchedTotals st = sched_totals();
    check_epochs(r, st, now);
    MemorySnapshot m = measure_now();
    Line line;
    line.add("torture: %llu s: ops/s", (unsigned long long)seconds_since(r, now));
    for (size_t i = 0; i < kOpCount; ++i)
        line.add(" %s %llu", op_name(Op(i)),
                 (unsigned long long)per_second(ops.ops[i] - r.last_ops.ops[i], span, r.hz));
    line.add(
        " | hotplug %llu off %llu on | backend switches %llu (%s) | grace periods %llu | faults %llu |"
        " rescues %llu | mem %llu frames used, heap %llu B, %llu stacks, %lld tasks",
        (unsigned long long)g_offlines.load(std::memory_order_relaxed),
        (unsigned long long)g_onlines.load(std::memory_order_relaxed), (unsigned long long)r.backend_switches,
        sched::backend_name(),
        (unsigned long long)((st.epoch_advances - r.last_sched.epoch_advances) / kAdvancesPerGracePeriod),
        (unsigned long long)injected_total(), (unsigned long long)st.backstop_rescues,
        (unsigned long long)(mm::total_frame_count() - m.free_frames), (unsigned long long)m.heap_bytes,
        (unsigned long long)m.task_stacks, (long long)ops.live);
    sched::watchdog::Counts lockups = sched::watchdog::counts();
    line.add(" | lockups %llu hard %llu soft",
             (unsigned long long)(lockups.hard_lockups - r.lockups_before.hard_lockups),
             (unsigned long long)(lockups.soft_lockups - r.lockups_before.soft_lockups));
    log_info("%s", line.text);
    r.last_ops = ops;
    r.last_sched = st;
    r.last_progress_tsc = now;
    r.next_progress_tsc = now + kProgressSeconds * r.hz;
}

void progress_if_due(Run& r) {
    if (arch::rdtsc() >= r.next_progress_tsc) progress_line(r);
}

// Sleeps in short steps until `done()` or `deadline_tsc`, printing progress lines when due.
template <typename Done>
bool wait_until(Run& r, uint64_t deadline_tsc, Done done) {
    while (!done()) {
        if (arch::rdtsc() >= deadline_tsc) return false;
        sched::sleep_for(kPollNs);
        progress_if_due(r);
    }
    return true;
}

void spawn_phase_tasks(Run& r, uint32_t workers) {
    g_done.store(0, std::memory_order_relaxed);  // relaxed: no phase task runs yet
    start_workers();
    for (uint32_t i = 0; i < workers; ++i) {
        g_worker_args[i].seed = r.rng.next();
        g_worker_args[i].doing.store("starting", std::memory_order_relaxed);
        // With fail= armed this spawn can fail too: the phase then runs with fewer workers.
        sched::SpawnResult s = sched::spawn(&worker_entry, &g_worker_args[i], {.name = "torture-worker"});
        if (!s.ok()) {
            ++r.worker_spawn_failures;
            continue;
        }
        g_workers[i] = static_cast<TaskHandle&&>(s.handle);
        ++r.workers_spawned;
    }
    if (sched_cpu_count() > 1) {
        g_hotplug_seed = r.rng.next();
        sched::SpawnResult s = sched::spawn(&hotplug_main, &g_hotplug_seed, {.name = "torture-hotplug"});
        if (s.ok()) g_hotplug = static_cast<TaskHandle&&>(s.handle);
    }
}

uint32_t phase_task_count(uint32_t workers) {
    uint32_t n = g_hotplug.valid() ? 1 : 0;
    for (uint32_t i = 0; i < workers; ++i) n += g_workers[i].valid() ? 1 : 0;
    return n;
}

// One phase: spawn, run for `length_tsc`, stop, wait (bounded), join and verify.
bool run_phase(Run& r, uint64_t length_tsc) {
    uint32_t workers = kWorkersPerCpu * sched_cpu_count();
    if (workers > kMaxWorkers) workers = kMaxWorkers;
    spawn_phase_tasks(r, workers);
    uint32_t expected = phase_task_count(workers);
    wait_until(r, arch::rdtsc() + length_tsc, [] { return false; });
    stop_workers();
    uint64_t stop_tsc = arch::rdtsc();
    bool drained = wait_until(r, stop_tsc + kStopBoundSeconds * r.hz,
                              [&] { return g_done.load(std::memory_order_acquire) == expected; });
    if (!drained) {
        fail(Check::stop_bound, "phase %llu: %u of %u tasks still running %llu s after the stop (a lost wakeup?)",
             (unsigned long long)r.phases, expected - g_done.load(std::memory_order_acquire), expected,
             (unsigned long long)kStopBoundSeconds);
        for (uint32_t i = 0; i < workers; ++i) {
            if (!g_workers[i].valid()) continue;
            char label[48];
            ksnprintf(label, sizeof label, "worker %u (%s)", i, g_worker_args[i].doing.load(std::memory_order_relaxed));
            dump_task(label, g_workers[i].task());
        }
        dump_task("hotplug task", g_hotplug.task());
        dump_live_tasks();
        dump_cpus();
        sched::dump_state();
        r.aborted = true;
        return false;
    }
    for (uint32_t i = 0; i < workers; ++i) {
        if (!g_workers[i].valid()) continue;
        int64_t code = sched::join(g_workers[i]);
        ++r.workers_joined;
        if (code != worker_checksum(g_worker_args[i]))
            fail(Check::exactly_once, "worker %u exit code %lld is not its checksum", i, (long long)code);
    }
    if (g_hotplug.valid()) sched::join(g_hotplug);
    return true;
}

// The pause between phases: every torture task is joined, so the totals must agree, and
// the system is quiescent: the moment for a live switch of the ready queues.
void pause(Run& r) {
    OpTotals t = op_totals();
    if (t.live != 0 || t.started != t.spawned || t.joined != t.spawned)
        fail(Check::join_count, "after phase %llu: %llu spawned, %llu started, %llu joined, %lld alive",
             (unsigned long long)r.phases, (unsigned long long)t.spawned, (unsigned long long)t.started,
             (unsigned long long)t.joined, (long long)t.live);
    if (r.rng.below(2) != 0) return;
    bool locked = strcmp(sched::backend_name(), "locked") == 0;
    sched::Backend next = locked ? sched::Backend::lockfree : sched::Backend::locked;
    if (sched::select_backend(next))
        ++r.backend_switches;
    else
        fail(Check::backend_switch, "select_backend(%s) refused at the pause after phase %llu",
             locked ? "lockfree" : "locked", (unsigned long long)r.phases);
}

void bring_all_online() {
    for (uint32_t cpu = 1; cpu < sched_cpu_count(); ++cpu) {
        if (sched_online().contains(cpu)) continue;
        sched::HotplugError e = sched::cpu_online(cpu);
        if (e != sched::HotplugError::none)
            fail(Check::hotplug, "final cpu_online(%u): %s", cpu, sched::to_string(e));
        else
            g_onlines.fetch_add(1, std::memory_order_relaxed);
    }
}

void print_plan(const Run& r) {
    const fault::Plan& p = r.config.fail;
    Line line;
    line.add(
        "torture: %u s on %u cpus, %s ready queues, seed %llu (torture.seed=%llu replays the choices, not the "
        "interleaving), faults: ",
        r.config.seconds, sched_cpu_count(), sched::backend_name(), (unsigned long long)r.seed,
        (unsigned long long)r.seed);
    if (!p.any()) line.add("none");
    for (size_t i = 0; i < fault::kSiteCount; ++i)
        if (p.every[i])
            line.add("%s %s %u ", fault::site_name(fault::Site(i)), p.random ? "1 in" : "every", p.every[i]);
    if (p.random) line.add("(fail.seed=%llu)", (unsigned long long)p.seed);
    log_info("%s", line.text);
}

void print_memory(const char* when, const MemorySnapshot& m) {
    log_info(
        "torture: memory %s: %llu free frames, heap %llu B in use (%llu class pages), %llu page-table frames, "
        "%llu task stacks",
        when, (unsigned long long)m.free_frames, (unsigned long long)m.heap_bytes,
        (unsigned long long)m.heap_class_pages, (unsigned long long)m.page_table_frames,
        (unsigned long long)m.task_stacks);
}

void print_verdict(const Run& r, bool pass) {
    uint64_t now = arch::rdtsc();
    OpTotals t = op_totals();
    SchedTotals s = sched_totals();
    Line ops;
    uint64_t all = 0;
    for (size_t i = 0; i < kOpCount; ++i) {
        ops.add(" %s %llu", op_name(Op(i)), (unsigned long long)t.ops[i]);
        all += t.ops[i];
    }
    log_info("torture: totals: ops %llu:%s", (unsigned long long)all, ops.text);
    log_info(
        "torture: totals: tasks %llu spawned, %llu started, %llu joined (+%llu workers); spawn refused: %llu out "
        "of memory, %llu cpu offline, %llu capped; %llu heap allocations refused; %llu set_affinity refused",
        (unsigned long long)t.spawned, (unsigned long long)t.started, (unsigned long long)t.joined,
        (unsigned long long)r.workers_joined, (unsigned long long)t.spawn_oom, (unsigned long long)t.spawn_offline,
        (unsigned long long)t.spawn_capped, (unsigned long long)t.heap_oom, (unsigned long long)t.affinity_refused);
    log_info("torture: totals: core stress %llu runs, %llu rounds, %llu items checked, %llu could not start",
             (unsigned long long)t.core_runs, (unsigned long long)t.core_rounds, (unsigned long long)t.core_items,
             (unsigned long long)t.core_refused);
    Line faults;
    for (size_t i = 0; i < fault::kSiteCount; ++i) {
        fault::SiteCounts c = fault::counts(fault::Site(i));
        faults.add(" %s %llu/%llu", fault::site_name(fault::Site(i)), (unsigned long long)c.injected,
                   (unsigned long long)c.calls);
    }
    log_info(
        "torture: totals: hotplug %llu offline %llu online; backend switches %llu; phases %llu; grace periods "
        "%llu; injected faults (failed/calls):%s; backstop rescues %llu; affinity widenings %llu; max wake "
        "latency %llu us, max sleep lateness %llu us",
        (unsigned long long)g_offlines.load(std::memory_order_relaxed),
        (unsigned long long)g_onlines.load(std::memory_order_relaxed), (unsigned long long)r.backend_switches,
        (unsigned long long)r.phases, (unsigned long long)(s.epoch_advances / kAdvancesPerGracePeriod), faults.text,
        (unsigned long long)s.backstop_rescues, (unsigned long long)s.affinity_widened,
        (unsigned long long)(t.max_wake_tsc / (r.hz / 1'000'000)),
        (unsigned long long)(t.max_sleep_late_tsc / (r.hz / 1'000'000)));
    Line failed;
    for (size_t i = 0; i < kCheckCount; ++i)
        if (failures(Check(i))) failed.add(" %s x%llu", check_name(Check(i)), (unsigned long long)failures(Check(i)));
    log_info(
        "torture: verdict %s after %llu s, seed %llu: %llu ops, %llu tasks joined, %llu hotplug, %llu backend "
        "switches, %llu grace periods, %llu faults injected, %llu backstop rescues%s%s",
        pass ? "PASS" : "FAIL", (unsigned long long)seconds_since(r, now), (unsigned long long)r.seed,
        (unsigned long long)all, (unsigned long long)(t.joined + r.workers_joined),
        (unsigned long long)(g_offlines.load(std::memory_order_relaxed) + g_onlines.load(std::memory_order_relaxed)),
        (unsigned long long)r.backend_switches, (unsigned long long)(s.epoch_advances / kAdvancesPerGracePeriod),
        (unsigned long long)injected_total(), (unsigned long long)s.backstop_rescues,
        pass ? "" : "; failed checks:", failed.text);
}

}  // namespace

bool run(const Config& config) {
    Run r;
    r.config = config;
    r.hz = arch::tsc_hz();
    r.seed = config.seed_given ? config.seed : mix(arch::rdtsc());
    r.rng = Rng(mix(r.seed));
    reset_op_totals();
    reset_failures();
    g_offlines.store(0, std::memory_order_relaxed);
    g_onlines.store(0, std::memory_order_relaxed);
    const bool started_locked = strcmp(sched::backend_name(), "locked") == 0;
    fault::configure(config.fail);
    set_limits({.wake_bound_tsc = kWakeBoundSeconds * r.hz,
                .sleep_bound_tsc = kSleepBoundSeconds * r.hz,
                .live_cap = kLiveTasksPerCpu * int64_t(sched_cpu_count()),
                .cpus = sched_cpu_count()});
    print_plan(r);

    MemorySnapshot before = settle_and_measure();
    print_memory("before", before);

    r.start_tsc = r.last_progress_tsc = r.last_epoch_advance_tsc = arch::rdtsc();
    r.next_progress_tsc = r.start_tsc + kProgressSeconds * r.hz;
    r.last_sched = sched_totals();
    r.lockups_before = sched::watchdog::counts();
    uint64_t end_tsc = r.start_tsc + uint64_t(config.seconds) * r.hz;
    fault::arm(true);
    while (!r.aborted && arch::rdtsc() < end_tsc) {
        uint64_t left = end_tsc - arch::rdtsc();
        uint64_t length = uint64_t(kPhaseMinMs + r.rng.below(kPhaseMaxMs - kPhaseMinMs)) * (r.hz / 1000);
        if (!run_phase(r, length < left ? length : left)) break;
        ++r.phases;
        pause(r);
    }
    fault::arm(false);
    if (r.aborted) {
        sched::watchdog::Counts lockups = sched::watchdog::counts();
        log_info("torture: lockup detector: %llu hard, %llu soft lockups during the run",
                 (unsigned long long)(lockups.hard_lockups - r.lockups_before.hard_lockups),
                 (unsigned long long)(lockups.soft_lockups - r.lockups_before.soft_lockups));
        print_verdict(r, false);
        return false;
    }
    bring_all_online();
    // Leave the ready queues as we found them (the console's `sched` setting).
    if ((strcmp(sched::backend_name(), "locked") == 0) != started_locked) {
        if (sched::select_backend(started_locked ? sched::Backend::locked : sched::Backend::lockfree))
            ++r.backend_switches;
        else
            fail(Check::backend_switch, "select_backend back to %s refused at the end",
                 started_locked ? "locked" : "lockfree");
    }
    progress_line(r);
    MemorySnapshot after = settle_and_measure();
    print_memory("after", after);
    check_returned(before, after);
    // The lockup detector (when on) watched the whole run: a report is a failure here too.
    sched::watchdog::Counts lockups = sched::watchdog::counts();
    uint64_t hard = lockups.hard_lockups - r.lockups_before.hard_lockups;
    uint64_t soft = lockups.soft_lockups - r.lockups_before.soft_lockups;
    if (hard || soft)
        fail(Check::lockup, "the lockup detector reported %llu hard and %llu soft lockups during the run",
             (unsigned long long)hard, (unsigned long long)soft);
    bool pass = total_failures() == 0;
    print_verdict(r, pass);
    return pass;
}

}  // namespace torture
