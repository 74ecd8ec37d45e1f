// Kernel tests of CPU hotplug ("CPU hotplug"), run as the init task (pinned to CPU 0, which
// never goes offline). At -smp 1 there is no CPU that may go offline: only the refusal
// tests apply there, and the others report "skip", not "ok".
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "ktest/ktest.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "mm/frames.h"
#include "mm/kstack.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/kernel/task_memory.h"

namespace {

using sched::CpuMask;
using sched::HotplugError;
using sched::HotplugState;

constexpr uint64_t kWaitSecondsBusy = 15;
constexpr uint32_t kNoCpuIndex = 0xffffffffu;
constexpr const char* kSmp1Skip = "needs a CPU other than cpu 0; at -smp 1 only the refusal tests apply";

uint32_t cpu_count() { return sched::shared().cpu_count; }

CpuMask online_mask() {
    // acquire: pairs with the seq_cst updates in join_scheduler() / cpu_offline().
    return sched::shared().online.load(std::memory_order_acquire);
}

HotplugState state_of(uint32_t cpu) {
    // acquire: pairs with the release stores of the state by that CPU.
    return sched::shared().cpu(cpu).hotplug.load(std::memory_order_acquire);
}

uint64_t widened_total() {
    uint64_t n = 0;
    sched::SchedShared& s = sched::shared();
    for (uint32_t i = 0; i < s.cpu_count; ++i) n += s.cpu(i).stats.affinity_widened.get();  // racy sum
    return n;
}

// Yields until `done()` or `seconds` of guest TSC pass, or the ktest watchdog cancels the
// test. Generous by design: TCG runs up to 64 vCPUs on 2 shared host cores, and a vCPU may
// be off the host for a long while. A wait that ends well is progress for the watchdog.
template <typename Done>
bool wait_until(Done done, uint64_t seconds) {
    uint64_t deadline = arch::rdtsc() + seconds * arch::tsc_hz();
    while (!done()) {
        if (arch::rdtsc() > deadline || ktest::cancelled()) return false;
        sched::yield();
    }
    ktest::progress();
    return true;
}

}  // namespace

// ---------------------------------------------------------------- refusals

KTEST_SCHED(sched_hotplug_refuses_the_bootstrap_cpu) {
    CpuMask before = online_mask();
    HotplugError e = sched::cpu_offline(0);
    KEXPECT(e == HotplugError::boot_cpu, "cpu_offline(0) returned \"%s\", expected boot_cpu", sched::to_string(e));
    KEXPECT(strcmp(sched::to_string(e), "cpu 0 is the bootstrap CPU and cannot go offline") == 0,
            "wrong message for boot_cpu: \"%s\"", sched::to_string(e));
    log_info("sched_hotplug: cpu_offline(0) refused: %s", sched::to_string(e));
    e = sched::cpu_online(0);
    KEXPECT(e == HotplugError::not_parked, "cpu_online(0) returned \"%s\", expected not_parked", sched::to_string(e));
    KEXPECT(online_mask() == before && state_of(0) == HotplugState::running, "a refused request changed cpu 0");
}

KTEST_SCHED(sched_hotplug_refuses_bad_cpu_numbers) {
    uint32_t n = cpu_count();
    CpuMask before = online_mask();
    const uint32_t bad[] = {n, n + 1, sched::kMaxCpus, 0xffffffffu};
    for (uint32_t cpu : bad) {
        HotplugError e = sched::cpu_offline(cpu);
        KEXPECT(e == HotplugError::no_such_cpu, "cpu_offline(%u) with %u cpus: \"%s\"", cpu, n, sched::to_string(e));
        e = sched::cpu_online(cpu);
        KEXPECT(e == HotplugError::no_such_cpu, "cpu_online(%u) with %u cpus: \"%s\"", cpu, n, sched::to_string(e));
    }
    // Every existing CPU is running: bringing one online is refused.
    for (uint32_t cpu = 0; cpu < n; ++cpu) {
        HotplugError e = sched::cpu_online(cpu);
        KEXPECT(e == HotplugError::not_parked, "cpu_online(%u) of a running cpu: \"%s\"", cpu, sched::to_string(e));
    }
    KEXPECT(online_mask() == before, "refused requests changed the online mask");
    if (n == 1) log_info("sched_hotplug: 1 cpu: only the refusal tests apply; the offline/online tests are skipped");
}

// ---------------------------------------------------------------- one at a time
namespace {

struct OfflineArg {
    uint32_t cpu;
    HotplugError result;
};

int64_t offline_task(void* arg) {
    auto* a = static_cast<OfflineArg*>(arg);
    a->result = sched::cpu_offline(a->cpu);
    return 0;
}

}  // namespace

// A task on CPU 0 takes cpu 1 offline; init, also on CPU 0, asks for cpu_online(1) in a
// yield loop meanwhile. The offline operation must yield (its grace period cannot end
// without the other CPUs' quiescent points), and round robin on CPU 0 then runs init,
// which must see busy; once the operation is over, cpu_online(1) succeeds.
KTEST_SCHED(sched_hotplug_second_operation_is_busy) {
    if (cpu_count() < 2) {
        ktest_ctx.skip("%s", kSmp1Skip);
        return;
    }
    static OfflineArg arg;
    arg = OfflineArg{1, HotplugError::not_started};
    auto r = sched::spawn(offline_task, &arg, {.name = "hp-offline", .affinity = CpuMask::single(0)});
    KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
    uint32_t busy = 0, not_parked = 0, other = 0;
    HotplugError e = HotplugError::not_started;
    uint64_t deadline = arch::rdtsc() + kWaitSecondsBusy * arch::tsc_hz();
    while ((e = sched::cpu_online(1)) != HotplugError::none && arch::rdtsc() < deadline) {
        if (e == HotplugError::busy)
            ++busy;
        else if (e == HotplugError::not_parked)
            ++not_parked;  // before the task claimed, or before cpu 1 parked
        else
            ++other;
        sched::yield();
    }
    sched::join(r.handle);
    KEXPECT(arg.result == HotplugError::none, "the concurrent cpu_offline(1): %s", sched::to_string(arg.result));
    KEXPECT(e == HotplugError::none, "cpu_online(1) never succeeded: %s", sched::to_string(e));
    KEXPECT(other == 0, "%u unexpected results", other);
    KEXPECT(busy > 0, "no busy result while cpu_offline(1) was in progress (%u not_parked)", not_parked);
    KEXPECT(state_of(1) == HotplugState::running && online_mask().contains(1), "cpu 1 not back");
    log_info("sched_hotplug: %u busy refusals during one cpu_offline", busy);
}

// ---------------------------------------------------------------- a CPU takes itself offline
namespace {

struct SelfArg {
    uint32_t cpu;
    HotplugError result;
    uint32_t ran_on_before, ran_on_after;
};

int64_t self_offline_task(void* arg) {
    auto* a = static_cast<SelfArg*>(arg);
    a->ran_on_before = sched::current_cpu();  // pinned: exact
    a->result = sched::cpu_offline(a->cpu);  // evacuates this very task
    a->ran_on_after = sched::current_cpu();  // widened: may be stale, never the parked cpu
    return 0;
}

}  // namespace

// The caller of cpu_offline(n) runs on n itself (pinned there): it is evacuated like any
// other task, widened, and returns elsewhere.
KTEST_SCHED(sched_hotplug_a_task_takes_its_own_cpu_offline) {
    uint32_t n = cpu_count();
    if (n < 2) {
        ktest_ctx.skip("%s", kSmp1Skip);
        return;
    }
    uint32_t cpu = n - 1;
    static SelfArg arg;
    arg = SelfArg{cpu, HotplugError::not_started, kNoCpuIndex, kNoCpuIndex};
    auto r = sched::spawn(self_offline_task, &arg, {.name = "hp-self", .affinity = CpuMask::single(cpu)});
    KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
    sched::join(r.handle);
    KEXPECT(arg.result == HotplugError::none, "cpu_offline(%u) from cpu %u: %s", cpu, cpu,
            sched::to_string(arg.result));
    KEXPECT(arg.ran_on_before == cpu, "the task started on cpu %u, not %u", arg.ran_on_before, cpu);
    KEXPECT(arg.ran_on_after != cpu, "the task came back on parked cpu %u", cpu);
    KEXPECT(state_of(cpu) == HotplugState::parked, "cpu %u not parked", cpu);
    HotplugError e = sched::cpu_online(cpu);
    KEXPECT(e == HotplugError::none, "cpu_online(%u): %s", cpu, sched::to_string(e));
}

// ---------------------------------------------------------------- every AP under load
namespace {

constexpr uint32_t kChildren = 20'000;  // spawned by the spawners over the whole test
constexpr uint32_t kChildrenInFlight = 64;
constexpr uint32_t kPinnedPerCpu = 2;
constexpr uint64_t kWaitSeconds = 15;  // per wait; each wait that ends well is watchdog progress

struct PinnedYielder {
    uint32_t cpu = 0;
    // relaxed counters: read by the driver as progress hints, bounded by deadlines.
    std::atomic<uint64_t> home_runs{0};  // iterations on its own cpu
    std::atomic<uint64_t> away_runs{0};  // iterations elsewhere (widened)
    std::atomic<uint32_t> not_widened_away{0};  // elsewhere without being widened: a bug
};

struct Load {
    // relaxed: the flag only needs to be seen eventually; join orders the rest.
    std::atomic<bool> stop{false};
    // Per-CPU run counters: every load task bumps the counter of the CPU it runs on.
    std::atomic<uint64_t> runs[kMaxCpus] = {};
    std::atomic<uint32_t> on_parked_cpu{0};
    std::atomic<uint32_t> child_ran[kChildren] = {};
    std::atomic<uint32_t> children_spawned{0};
    // release in the child, acquire in the checker: its child_ran bump is visible.
    std::atomic<uint32_t> children_done{0};
    std::atomic<uint32_t> spawn_failures{0};
    std::atomic<uint32_t> pinned_children{0};
    PinnedYielder pinned[kMaxCpus * kPinnedPerCpu];
};

Load g_load;

// One iteration of a load task: count it on the CPU it runs on, and check that CPU is
// not parked. Interrupts off, so the CPU read is the one the check is about.
uint32_t note_run() {
    arch::InterruptGuard irq_off;
    uint32_t cpu = arch::this_cpu()->index;
    g_load.runs[cpu].fetch_add(1, std::memory_order_relaxed);
    if (state_of(cpu) == HotplugState::parked) g_load.on_parked_cpu.fetch_add(1, std::memory_order_relaxed);
    return cpu;
}

int64_t load_child(void* arg) {
    uint32_t id = uint32_t(reinterpret_cast<uintptr_t>(arg));
    note_run();
    sched::yield();
    note_run();
    g_load.child_ran[id].fetch_add(1, std::memory_order_relaxed);  // relaxed: published by done
    g_load.children_done.fetch_add(1, std::memory_order_release);
    return 0;
}

// Spawns short children, one in eight pinned to an AP (which may be going away: spawn
// refuses an offline set, placement widens a set that went offline meanwhile).
int64_t load_spawner(void*) {
    uint32_t n = cpu_count();
    while (!g_load.stop.load(std::memory_order_relaxed)) {
        note_run();
        uint32_t done = g_load.children_done.load(std::memory_order_acquire);
        uint32_t spawned = g_load.children_spawned.load(std::memory_order_relaxed);
        if (spawned - done >= kChildrenInFlight || spawned >= kChildren) {
            sched::yield();
            continue;
        }
        uint32_t id = g_load.children_spawned.fetch_add(1, std::memory_order_relaxed);
        if (id >= kChildren) continue;  // another spawner took the last id
        sched::SpawnOptions options{.name = "hp-child", .detached = true};
        if (id % 8 == 0) {
            options.affinity = CpuMask::single(1 + id / 8 % (n - 1));
            g_load.pinned_children.fetch_add(1, std::memory_order_relaxed);
        }
        auto r = sched::spawn(load_child, reinterpret_cast<void*>(uintptr_t(id)), options);
        if (!r.ok() && r.error == sched::SpawnError::affinity_offline) {
            options.affinity = CpuMask::all();  // its cpu is offline right now: run it anywhere
            r = sched::spawn(load_child, reinterpret_cast<void*>(uintptr_t(id)), options);
        }
        if (!r.ok()) {
            // Count it as done so the accounting below still balances; the failure fails the test.
            g_load.spawn_failures.fetch_add(1, std::memory_order_relaxed);
            g_load.child_ran[id].fetch_add(1, std::memory_order_relaxed);
            g_load.children_done.fetch_add(1, std::memory_order_release);
        }
        sched::yield();
    }
    return 0;
}

int64_t pinned_yielder(void* arg) {
    auto* p = static_cast<PinnedYielder*>(arg);
    while (!g_load.stop.load(std::memory_order_relaxed)) {
        {
            arch::InterruptGuard irq_off;  // the cpu and the widened flag of one moment
            uint32_t cpu = note_run();
            if (cpu == p->cpu) {
                p->home_runs.fetch_add(1, std::memory_order_relaxed);
            } else {
                p->away_runs.fetch_add(1, std::memory_order_relaxed);
                if (!sched::this_cpu_sched().current.load(std::memory_order_relaxed)->widened)
                    p->not_widened_away.fetch_add(1, std::memory_order_relaxed);
            }
        }
        sched::yield();
    }
    return 0;
}

struct LoadTasks {
    sched::TaskHandle spawners[4];
    sched::TaskHandle yielders[kMaxCpus * kPinnedPerCpu];
    uint32_t spawner_count = 0, yielder_count = 0;
};

// Stops the load and joins every task of it (once: joined handles are emptied), after
// bringing back any AP the test left parked. The test's own end and its cleanup hook.
void stop_load(void* arg) {
    auto* tasks = static_cast<LoadTasks*>(arg);
    for (uint32_t c = 1; c < cpu_count(); ++c)
        if (state_of(c) == HotplugState::parked) sched::cpu_online(c);
    g_load.stop.store(true, std::memory_order_relaxed);
    for (uint32_t i = 0; i < tasks->spawner_count; ++i) sched::join(tasks->spawners[i]);
    for (uint32_t i = 0; i < tasks->yielder_count; ++i) sched::join(tasks->yielders[i]);
    tasks->spawner_count = tasks->yielder_count = 0;
}

}  // namespace

// Takes every AP offline and back in turn while spawners, their children and yielders
// pinned to each AP run. Checks: each operation's result and the states it leaves; no
// task runs on a parked CPU (per-CPU run counters, and each task's own check); tasks
// pinned to the parked CPU keep running elsewhere (widened), and run on their own CPU
// again after cpu_online; every child runs exactly once.
KTEST_SCHED(sched_hotplug_offline_online_every_ap_under_load) {
    uint32_t n = cpu_count();
    if (n < 2) {
        ktest_ctx.skip("%s", kSmp1Skip);
        return;
    }
    Load& g = g_load;
    g.stop.store(false, std::memory_order_relaxed);
    for (auto& r : g.runs) r.store(0, std::memory_order_relaxed);
    for (auto& c : g.child_ran) c.store(0, std::memory_order_relaxed);
    g.on_parked_cpu.store(0, std::memory_order_relaxed);
    g.children_spawned.store(0, std::memory_order_relaxed);
    g.children_done.store(0, std::memory_order_relaxed);
    g.spawn_failures.store(0, std::memory_order_relaxed);
    g.pinned_children.store(0, std::memory_order_relaxed);

    // A failed KEXPECT returns early: the cleanup stops the load and joins it, with every
    // parked AP brought back, so nothing of this test runs into the next one.
    static LoadTasks tasks;
    tasks = LoadTasks{};
    ktest::on_cleanup(stop_load, &tasks);
    for (uint32_t i = 0; i < (n < 4 ? n : 4); ++i) {
        auto r = sched::spawn(load_spawner, nullptr, {.name = "hp-spawner"});
        KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
        tasks.spawners[tasks.spawner_count++] = static_cast<sched::TaskHandle&&>(r.handle);
    }
    for (uint32_t c = 1; c < n; ++c) {
        for (uint32_t k = 0; k < kPinnedPerCpu; ++k) {
            PinnedYielder& p = g.pinned[tasks.yielder_count];
            p.cpu = c;
            p.home_runs.store(0, std::memory_order_relaxed);
            p.away_runs.store(0, std::memory_order_relaxed);
            p.not_widened_away.store(0, std::memory_order_relaxed);
            auto r = sched::spawn(pinned_yielder, &p, {.name = "hp-pinned", .affinity = CpuMask::single(c)});
            KEXPECT(r.ok(), "spawn pinned to cpu %u failed: %s", c, sched::to_string(r.error));
            tasks.yielders[tasks.yielder_count++] = static_cast<sched::TaskHandle&&>(r.handle);
        }
    }
    uint32_t yielder_count = tasks.yielder_count;
    uint64_t widened_before = widened_total();
    uint64_t offline_tsc = 0, online_tsc = 0;

    for (uint32_t c = 1; c < n; ++c, ktest::progress()) {
        PinnedYielder* mine = &g.pinned[(c - 1) * kPinnedPerCpu];
        uint64_t t0 = arch::rdtsc();
        HotplugError e = sched::cpu_offline(c);
        offline_tsc += arch::rdtsc() - t0;
        KEXPECT(e == HotplugError::none, "cpu_offline(%u): %s", c, sched::to_string(e));
        KEXPECT(!online_mask().contains(c), "cpu %u still in the online mask", c);
        KEXPECT(state_of(c) == HotplugState::parked, "cpu %u is not parked after cpu_offline", c);
        KEXPECT(!sched::shared().cpu(c).epoch.has_value(), "cpu %u still has an epoch participant", c);
        uint64_t parked_runs = g.runs[c].load(std::memory_order_relaxed);
        e = sched::cpu_offline(c);
        KEXPECT(e == HotplugError::not_online, "second cpu_offline(%u): %s", c, sched::to_string(e));

        // Its pinned tasks run elsewhere (widened), a good number of times.
        uint64_t away0[kPinnedPerCpu];
        for (uint32_t k = 0; k < kPinnedPerCpu; ++k) away0[k] = mine[k].away_runs.load(std::memory_order_relaxed);
        bool moved = wait_until(
            [&] {
                for (uint32_t k = 0; k < kPinnedPerCpu; ++k)
                    if (mine[k].away_runs.load(std::memory_order_relaxed) < away0[k] + 20) return false;
                return true;
            },
            kWaitSeconds);
        KEXPECT(moved, "tasks pinned to offline cpu %u did not keep running elsewhere within %llu s", c,
                (unsigned long long)kWaitSeconds);
        uint64_t runs_now = g.runs[c].load(std::memory_order_relaxed);
        KEXPECT(runs_now == parked_runs, "%llu task iterations ran on cpu %u while it was parked",
                (unsigned long long)(runs_now - parked_runs), c);
        KEXPECT(state_of(c) == HotplugState::parked, "cpu %u left the parked state by itself", c);

        t0 = arch::rdtsc();
        e = sched::cpu_online(c);
        online_tsc += arch::rdtsc() - t0;
        KEXPECT(e == HotplugError::none, "cpu_online(%u): %s", c, sched::to_string(e));
        KEXPECT(online_mask().contains(c) && state_of(c) == HotplugState::running,
                "cpu %u not running after cpu_online", c);
        e = sched::cpu_online(c);
        KEXPECT(e == HotplugError::not_parked, "second cpu_online(%u): %s", c, sched::to_string(e));

        // Restored: each pinned task runs on its own CPU again.
        uint64_t home0[kPinnedPerCpu];
        for (uint32_t k = 0; k < kPinnedPerCpu; ++k) home0[k] = mine[k].home_runs.load(std::memory_order_relaxed);
        bool back = wait_until(
            [&] {
                for (uint32_t k = 0; k < kPinnedPerCpu; ++k)
                    if (mine[k].home_runs.load(std::memory_order_relaxed) < home0[k] + 20) return false;
                return true;
            },
            kWaitSeconds);
        KEXPECT(back, "tasks pinned to cpu %u did not return to it within %llu s of cpu_online", c,
                (unsigned long long)kWaitSeconds);
    }
    uint64_t widened = widened_total() - widened_before;

    // Let the children finish, then stop the load and account for everything.
    bool children = wait_until(
        [&] {
            return g.children_spawned.load(std::memory_order_relaxed) >= kChildren &&
                   g.children_done.load(std::memory_order_acquire) >= kChildren;
        },
        kWaitSeconds);
    stop_load(&tasks);
    uint32_t spawned = g.children_spawned.load(std::memory_order_relaxed);
    if (spawned > kChildren) spawned = kChildren;
    uint32_t done = g.children_done.load(std::memory_order_acquire);
    KEXPECT(children || done == spawned, "%u of %u children finished within %llu s (lost tasks?)", done, spawned,
            (unsigned long long)kWaitSeconds);
    KEXPECT(done == spawned, "%u children done, %u spawned", done, spawned);
    uint32_t wrong = 0, first_wrong = 0;
    for (uint32_t i = 0; i < spawned; ++i)
        if (g.child_ran[i].load(std::memory_order_relaxed) != 1 && wrong++ == 0) first_wrong = i;
    KEXPECT(wrong == 0, "%u children did not run exactly once (first: child %u ran %u times)", wrong, first_wrong,
            g.child_ran[first_wrong].load(std::memory_order_relaxed));
    KEXPECT(g.spawn_failures.load(std::memory_order_relaxed) == 0, "%u spawns failed",
            g.spawn_failures.load(std::memory_order_relaxed));
    KEXPECT(g.on_parked_cpu.load(std::memory_order_relaxed) == 0, "%u task iterations saw their cpu parked",
            g.on_parked_cpu.load(std::memory_order_relaxed));
    uint32_t bad_away = 0;
    for (uint32_t i = 0; i < yielder_count; ++i)
        bad_away += g.pinned[i].not_widened_away.load(std::memory_order_relaxed);
    KEXPECT(bad_away == 0, "%u iterations of pinned tasks ran off their cpu without being widened", bad_away);
    KEXPECT(widened >= yielder_count, "only %llu widenings for %u pinned yielders", (unsigned long long)widened,
            yielder_count);
    uint64_t hz = arch::tsc_hz();
    log_info(
        "sched_hotplug: %u aps offline/online under load: offline avg %llu us, online avg %llu us; %u children "
        "(%u pinned), %llu widenings",
        n - 1, (unsigned long long)(offline_tsc / (n - 1) * 1'000'000 / hz),
        (unsigned long long)(online_tsc / (n - 1) * 1'000'000 / hz), spawned,
        g.pinned_children.load(std::memory_order_relaxed), (unsigned long long)widened);
}

// ---------------------------------------------------------------- frames after churn
namespace {

constexpr uint32_t kChurnRounds = 2;
constexpr uint32_t kChurnBatch = 8;  // per AP and round, pinned there; as many unpinned
constexpr uint32_t kPreparedSlots = 512;

// release in the task, acquire in the driver.
std::atomic<uint32_t> g_churn_done{0};

int64_t churn_task(void*) {
    // Long enough that some are still queued when their CPU is asked to go.
    for (int i = 0; i < 20; ++i) sched::yield();
    g_churn_done.fetch_add(1, std::memory_order_release);
    return 0;
}

// Spawns the batch for `cpu`: tasks pinned to it, which exit there (garbage in its epoch
// participant, memory in its cache) or are evacuated mid-run, and as many free ones.
bool spawn_batch(uint32_t cpu, uint32_t& spawned) {
    for (uint32_t i = 0; i < kChurnBatch; ++i) {
        auto pinned =
            sched::spawn(churn_task, nullptr, {.name = "hp-churn", .affinity = CpuMask::single(cpu), .detached = true});
        auto free = sched::spawn(churn_task, nullptr, {.name = "hp-churn", .detached = true});
        if (!pinned.ok() || !free.ok()) return false;
        spawned += 2;
    }
    return true;
}

}  // namespace

// Hotplug strands no memory: stacks cached on a CPU that parks, and garbage still waiting
// in its epoch participant, come back. Measured as in sched_churn_returns_every_frame:
// free frames after drain + trim equal the baseline.
KTEST_SCHED(sched_hotplug_churn_returns_every_frame) {
    uint32_t n = cpu_count();
    if (n < 2) {
        ktest_ctx.skip("%s", kSmp1Skip);
        return;
    }
    uint32_t spawned = 0;
    g_churn_done.store(0, std::memory_order_relaxed);
    // Warm-up: the same pattern once, so whatever it allocates for good (page tables of
    // the stack slots it reaches) exists before the baseline. Each AP cycled is progress:
    // at -smp 64 on a busy host the loop takes minutes, and without these the watchdog
    // cancelled a healthy run (issue 11).
    for (uint32_t c = 1; c < n; ++c, ktest::progress()) {
        KEXPECT(spawn_batch(c, spawned), "warm-up spawn failed");
        HotplugError e = sched::cpu_offline(c);
        KEXPECT(e == HotplugError::none, "cpu_offline(%u): %s", c, sched::to_string(e));
        e = sched::cpu_online(c);
        KEXPECT(e == HotplugError::none, "cpu_online(%u): %s", c, sched::to_string(e));
    }
    KEXPECT(wait_until([&] { return g_churn_done.load(std::memory_order_acquire) == spawned; }, kWaitSeconds),
            "warm-up: %u of %u tasks finished", g_churn_done.load(std::memory_order_acquire), spawned);
    KEXPECT(sched::drain_reclaim(), "retired tasks still pending after the warm-up");
    sched::trim_task_memory();
    static mm::KernelStack prepared[kPreparedSlots];
    for (auto& stack : prepared) stack = mm::alloc_kernel_stack(sched::kTaskStackPages);
    for (auto& stack : prepared) mm::free_kernel_stack(stack);
    size_t baseline = mm::free_frame_count();

    for (uint32_t round = 0; round < kChurnRounds; ++round) {
        for (uint32_t c = 1; c < n; ++c, ktest::progress()) {
            KEXPECT(spawn_batch(c, spawned), "spawn failed (round %u, cpu %u)", round, c);
            HotplugError e = sched::cpu_offline(c);
            KEXPECT(e == HotplugError::none, "cpu_offline(%u): %s", c, sched::to_string(e));
            KEXPECT(wait_until([&] { return g_churn_done.load(std::memory_order_acquire) == spawned; }, kWaitSeconds),
                    "%u of %u tasks finished with cpu %u offline", g_churn_done.load(std::memory_order_acquire),
                    spawned, c);
            e = sched::cpu_online(c);
            KEXPECT(e == HotplugError::none, "cpu_online(%u): %s", c, sched::to_string(e));
        }
    }
    KEXPECT(sched::drain_reclaim(), "retired tasks still pending after the churn");
    size_t cached = sched::cached_task_memory();
    size_t released = sched::trim_task_memory();
    KEXPECT(released == cached, "trim released %zu stacks of %zu cached", released, cached);
    size_t after = mm::free_frame_count();
    KEXPECT(after == baseline, "free frames: %zu before, %zu after %u hotplug rounds over %u aps", baseline, after,
            kChurnRounds, n - 1);
}
