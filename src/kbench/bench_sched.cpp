// bench=sched: the scheduler's figures, measured in the kernel (issue 4).
//
//   spawn+exit   every online CPU runs a driver pinned to it that spawns nop tasks (default
//                affinity, so they land on its own deque and may be stolen) in batches of
//                kSpawnBatch and joins them: tasks per second for the whole machine.
//   fib(24)      fork-join fib from init, each level spawning one child and joining it.
//                Both of these run at k = N, N-1, ..., 1 CPUs in one boot: the CPUs above k
//                are taken offline through hotplug, so every k runs the real deque and
//                stealing paths (an affinity mask would put the tasks on pinned lists).
//   yield        two tasks pinned to CPU 0 yield to each other: cycles per switch.
//   wake         a task pinned to CPU 1 blocks on a semaphore; a task pinned to CPU 0 waits
//                until it is blocked, then stamps the TSC and ups the semaphore; the woken
//                task stamps again when it runs. Two target states: "halted" (the waker
//                sleeps kHaltGapNs first, so CPU 1 has stopped spinning and halted: an IPI
//                wakes it) and "polling" (the waker ups at once, while CPU 1 still spins
//                in its idle loop: no IPI needed). The IPIs sent during each run are
//                reported, so the table shows which path each run really took.
//
// Under TCG the TSC runs at host rate while guest instructions are emulated: only ratios
// within one run mean anything (docs/benchmarks.md).
#include "kbench/bench_sched.h"

#include <atomic>
#include <cstdint>
#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/tsc.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "lib/sort.h"
#include "lib/spinlock.h"
#include "workloads/uts.h"
#include "mm/heap.h"
#include "mm/kstack.h"
#include "sched/model/cpu_sched.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/sync/semaphore.h"
#include "sched/kernel/task_memory.h"

namespace sched {
namespace {

constexpr uint32_t kSpawnTotal = 200'000;  // nop tasks per timed spawn+exit run, split over the drivers
constexpr uint32_t kSpawnWarmup = 20'000;  // an untimed run first: stack caches and page tables warm
constexpr uint32_t kSpawnBatch = 32;
constexpr int64_t kFibN = 24;
constexpr int64_t kFibExpected = 46368;
constexpr uint32_t kFibRuns = 2;          // best of
// Best of this many timed runs for spawn+exit, UTS and messaging: single runs under TCG
// varied by up to 40% at 1 CPU from boot to boot (host scheduling of the vCPU threads).
constexpr uint32_t kBestOf = 3;
constexpr uint32_t kYieldsPerTask = 20'000;
constexpr uint32_t kWakeRounds = 2'000;
constexpr uint64_t kHaltGapNs = 300'000;  // well past the 30 us idle spin
constexpr uint32_t kMaxLevels = kMaxCpus;

// No libgcc in the kernel: 64-bit arithmetic only (cycles * 1000 fits for runs of days).
uint64_t ns_from_tsc(uint64_t cycles) {
    uint64_t mhz = arch::tsc_hz() / 1'000'000;
    return mhz ? cycles * 1000 / mhz : 0;
}

uint64_t per_second(uint64_t count, uint64_t cycles) { return cycles ? count * arch::tsc_hz() / cycles : 0; }

// CpuMask::count() would need libgcc's popcount helper.
uint32_t count_of(CpuMask mask) {
    uint32_t n = 0;
    for (uint32_t cpu = mask.next(0); cpu < kMaxCpus; cpu = mask.next(cpu + 1)) ++n;
    return n;
}

// One SchedStats counter summed over every CPU (a racy sum: the benchmarks read it on a
// quiet machine, before and after a run).
uint64_t stat_total(Counter SchedStats::*counter) {
    SchedShared& s = shared();
    uint64_t n = 0;
    for (uint32_t i = 0; i < s.cpu_count; ++i) n += (s.cpu(i).stats.*counter).get();
    return n;
}

// "tcg", "kvm", another hypervisor's CPUID signature, or "none" on bare metal.
void accelerator_name(char (&out)[16]) {
    if (!arch::cpuinfo().features.hypervisor) {
        memcpy(out, "none", 5);
        return;
    }
    arch::CpuidRegs r = arch::cpuid(0x40000000);
    char sig[13] = {};
    memcpy(sig + 0, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    if (memcmp(sig, "TCGTCGTCGTCG", 12) == 0) {
        memcpy(out, "tcg", 4);
    } else if (memcmp(sig, "KVMKVMKVM", 9) == 0) {
        memcpy(out, "kvm", 4);
    } else {
        uint32_t n = 0;
        for (char c : sig) {
            if (c >= 0x21 && c <= 0x7e && n + 1 < sizeof out) out[n++] = c;  // JSON-safe
        }
        out[n] = '\0';
    }
}

// ---------------------------------------------------------------- spawn+exit

int64_t nop_task(void*) { return 0; }

struct SpawnDriver {
    uint32_t tasks = 0;     // to spawn
    uint32_t failed = 0;    // spawns refused (out of memory): counted, not retried
};

int64_t spawn_driver(void* arg) {
    auto* d = static_cast<SpawnDriver*>(arg);
    TaskHandle batch[kSpawnBatch];
    for (uint32_t done = 0; done < d->tasks;) {
        uint32_t n = d->tasks - done < kSpawnBatch ? d->tasks - done : kSpawnBatch;
        for (uint32_t i = 0; i < n; ++i) {
            auto r = spawn(nop_task, nullptr, {.name = "nop"});
            if (r.ok()) {
                batch[i] = static_cast<TaskHandle&&>(r.handle);
            } else {
                ++d->failed;
            }
        }
        for (uint32_t i = 0; i < n; ++i) {
            if (batch[i].valid()) join(batch[i]);
        }
        done += n;
    }
    return 0;
}

struct SpawnResultRow {
    uint32_t cpus = 0;
    uint32_t tasks = 0, failed = 0;
    uint64_t cycles = 0;
    uint64_t steals = 0, halts = 0, ipis = 0;  // during the timed run, all CPUs
    uint64_t stacks_before = 0, peak_stacks = 0;  // task stacks allocated: at the start, at most
};

// Drivers on every online CPU; init (on CPU 0) blocks in join meanwhile.
SpawnResultRow spawn_exit_run(CpuMask online, uint32_t total) {
    SpawnResultRow row;
    row.cpus = count_of(online);
    SpawnDriver drivers[kMaxLevels];
    TaskHandle handles[kMaxLevels];
    uint32_t count = 0;
    uint64_t steals = stat_total(&SchedStats::steals_succeeded);
    uint64_t halts = stat_total(&SchedStats::halts);
    uint64_t ipis = stat_total(&SchedStats::ipis_sent);
    uint64_t start = arch::rdtsc();
    for (uint32_t cpu = online.next(0); cpu < kMaxCpus; cpu = online.next(cpu + 1)) {
        SpawnDriver& d = drivers[count];
        d.tasks = total / row.cpus + (count < total % row.cpus ? 1 : 0);
        auto r = spawn(spawn_driver, &d, {.name = "spawner", .affinity = CpuMask::single(cpu)});
        if (!r.ok()) {
            log_warn("bench: spawn of the driver for cpu %u failed: %s", cpu, to_string(r.error));
            continue;
        }
        handles[count++] = static_cast<TaskHandle&&>(r.handle);
    }
    for (uint32_t i = 0; i < count; ++i) join(handles[i]);
    row.cycles = arch::rdtsc() - start;
    row.steals = stat_total(&SchedStats::steals_succeeded) - steals;
    row.halts = stat_total(&SchedStats::halts) - halts;
    row.ipis = stat_total(&SchedStats::ipis_sent) - ipis;
    for (uint32_t i = 0; i < count; ++i) {
        row.tasks += drivers[i].tasks - drivers[i].failed;
        row.failed += drivers[i].failed;
    }
    return row;
}

// The first spawns at a CPU count map fresh stacks (the per-CPU stack caches are empty or
// sit on other CPUs); measured cold, that cost landed on whichever count ran first and
// made 2 CPUs look 2.5x slower than 1. So an untimed run first.
SpawnResultRow bench_spawn_exit(CpuMask online) {
    drain_reclaim();
    trim_task_memory();
    spawn_exit_run(online, kSpawnWarmup);
    mm::reset_kernel_stack_peak();
    uint64_t before = mm::kernel_stack_stats().in_use;
    SpawnResultRow row = spawn_exit_run(online, kSpawnTotal);
    for (uint32_t run = 1; run < kBestOf; ++run) {
        SpawnResultRow again = spawn_exit_run(online, kSpawnTotal);
        if (again.failed == 0 && again.cycles < row.cycles) row = again;
    }
    row.stacks_before = before;
    row.peak_stacks = mm::kernel_stack_stats().peak;
    return row;
}

// ---------------------------------------------------------------- compute baseline

// The emulator's own ceiling: the same fixed loop on every online CPU at once, one task
// pinned to each, no scheduler traffic while it runs. fib's speedup is read against this.
constexpr uint64_t kComputeIterations = 100'000'000;

int64_t compute_task(void*) {
    uint64_t x = 1;
    for (uint64_t i = 0; i < kComputeIterations; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        asm volatile("" : "+r"(x));  // keep every iteration
    }
    return int64_t(x & 1);
}

uint64_t bench_compute(CpuMask online) {
    TaskHandle handles[kMaxLevels];
    uint32_t count = 0;
    uint64_t start = arch::rdtsc();
    for (uint32_t cpu = online.next(0); cpu < kMaxCpus; cpu = online.next(cpu + 1)) {
        auto r = spawn(compute_task, nullptr, {.name = "compute", .affinity = CpuMask::single(cpu)});
        if (r.ok()) handles[count++] = static_cast<TaskHandle&&>(r.handle);
    }
    for (uint32_t i = 0; i < count; ++i) join(handles[i]);
    return arch::rdtsc() - start;
}

// ---------------------------------------------------------------- fib

int64_t fib_task(void* arg);

int64_t fib(int64_t n) {
    if (n < 2) return n;
    auto r = spawn(fib_task, reinterpret_cast<void*>(uintptr_t(n - 1)), {.name = "fib"});
    if (!r.ok()) return fib(n - 1) + fib(n - 2);  // out of memory: serial, still right
    int64_t b = fib(n - 2);
    return join(r.handle) + b;
}

int64_t fib_task(void* arg) { return fib(int64_t(reinterpret_cast<uintptr_t>(arg))); }

struct FibRow {
    uint32_t cpus = 0;
    uint64_t compute_cycles = 0;  // the compute baseline at this CPU count
    uint64_t cycles = 0;  // best of kFibRuns
    int64_t result = 0;
    uint64_t steals = 0;  // successful steals during the runs
};

FibRow bench_fib(CpuMask online) {
    FibRow row;
    row.cpus = count_of(online);
    uint64_t steals_before = stat_total(&SchedStats::steals_succeeded);
    for (uint32_t run = 0; run < kFibRuns; ++run) {
        uint64_t start = arch::rdtsc();
        auto r = spawn(fib_task, reinterpret_cast<void*>(uintptr_t(kFibN)), {.name = "fib"});
        int64_t result = r.ok() ? join(r.handle) : fib(kFibN);
        uint64_t cycles = arch::rdtsc() - start;
        if (run == 0 || cycles < row.cycles) row.cycles = cycles;
        if (run == 0 || result != kFibExpected) row.result = result;  // keep a wrong one visible
    }
    row.steals = stat_total(&SchedStats::steals_succeeded) - steals_before;
    return row;
}

// ---------------------------------------------------------------- UTS

// One task per tree node: it spawns a task per child (in batches of kUtsFanout, whose
// arguments live on its own stack while it waits) and joins them, so no task's stack grows
// with the tree's depth (T3-b200 is 333 levels deep; kernel stacks are 16 KiB).
constexpr uint32_t kUtsFanout = 32;

struct UtsArg {
    const lib::UtsTree* tree;
    lib::UtsNode node;
};

int64_t uts_task(void* arg);

// Children run inline because spawn failed (out of task memory). relaxed: a count, read
// after the run's join, which orders every increment before it.
std::atomic<uint64_t> g_uts_inlined{0};

int64_t uts_subtree(const lib::UtsTree& tree, const lib::UtsNode& node) {
    uint32_t children = lib::uts_child_count(tree, node);
    int64_t nodes = 1;
    for (uint32_t first = 0; first < children; first += kUtsFanout) {
        uint32_t n = children - first < kUtsFanout ? children - first : kUtsFanout;
        UtsArg args[kUtsFanout];
        TaskHandle handles[kUtsFanout];
        for (uint32_t i = 0; i < n; ++i) {
            args[i] = UtsArg{&tree, lib::uts_child(node, first + i)};
            auto r = spawn(uts_task, &args[i], {.name = "uts"});
            if (r.ok()) handles[i] = static_cast<TaskHandle&&>(r.handle);
            else {
                g_uts_inlined.fetch_add(1, std::memory_order_relaxed);  // relaxed: see above
                nodes += uts_subtree(tree, args[i].node);  // out of memory: inline
            }
        }
        for (uint32_t i = 0; i < n; ++i) {
            if (handles[i].valid()) nodes += join(handles[i]);
        }
    }
    return nodes;
}

int64_t uts_task(void* arg) {
    auto* a = static_cast<UtsArg*>(arg);
    return uts_subtree(*a->tree, a->node);
}

struct UtsRow {
    uint64_t cycles = 0;
    uint64_t nodes = 0;
    uint64_t peak_stacks = 0;  // most task stacks allocated at once (mm::kernel_stack_stats)
    uint64_t inlined = 0;      // children run inline because spawn ran out of memory
};

// One timed run of `tree`; row.nodes is what the tasks counted.
UtsRow uts_run(const lib::UtsTree& tree) {
    UtsRow row;
    UtsArg root{&tree, lib::uts_root(tree)};
    g_uts_inlined.store(0, std::memory_order_relaxed);  // relaxed: no run is going on
    uint64_t start = arch::rdtsc();
    auto r = spawn(uts_task, &root, {.name = "uts"});
    row.nodes = uint64_t(r.ok() ? join(r.handle) : uts_subtree(tree, root.node));
    row.cycles = arch::rdtsc() - start;
    row.inlined = g_uts_inlined.load(std::memory_order_relaxed);  // relaxed: after the join
    return row;
}

// An untimed run first, from empty stack caches, measures the memory the variant's
// scheduling order holds: the most task stacks allocated at once (live tasks plus the few
// in the caches). It also warms the caches, as spawn+exit's warm-up does, so the timed run
// maps no fresh stacks.
UtsRow bench_uts(const lib::UtsTree& tree) {
    drain_reclaim();
    trim_task_memory();
    mm::reset_kernel_stack_peak();
    UtsRow warm = uts_run(tree);
    uint64_t peak = mm::kernel_stack_stats().peak;
    UtsRow row = uts_run(tree);
    row.inlined += warm.inlined;
    for (uint32_t run = 1; run < kBestOf - 1; ++run) {  // the warm-up makes kBestOf runs in all
        UtsRow again = uts_run(tree);
        row.inlined += again.inlined;
        if (again.nodes != row.nodes) row.nodes = 0;  // reported as a wrong count
        if (again.cycles < row.cycles) row.cycles = again.cycles;
    }
    row.peak_stacks = peak;
    if (warm.nodes != row.nodes) row.nodes = 0;
    if (row.inlined) {
        log_warn("bench: UTS %s: %llu children ran inline: spawn ran out of task memory (%llu stacks at peak)",
                 tree.name, (unsigned long long)row.inlined, (unsigned long long)peak);
    }
    return row;
}

// ---------------------------------------------------------------- messaging (hackbench)

// Groups of senders and receivers, as in hackbench, over kernel wait queues: every
// receiver owns a bounded channel (two semaphores and a short IRQ-off spinlock around the
// ring); every sender of a group sends kMsgLoops messages to every receiver of its group.
// Full and empty channels block, so the run is mostly wakeups. Total time, all messages
// counted and checksummed.
constexpr uint32_t kMsgGroups = 4;
constexpr uint32_t kMsgPerSide = 8;   // senders and receivers per group
constexpr uint32_t kMsgLoops = 200;
constexpr uint32_t kChannelSlots = 8;

struct Channel {
    Semaphore items{0};
    Semaphore slots{kChannelSlots};
    Spinlock lock;
    uint64_t ring[kChannelSlots] = {};
    uint32_t head = 0, tail = 0;  // under `lock`

    void send(uint64_t value) {
        slots.down();
        {
            IrqSaveLocker guard(lock);
            ring[tail++ % kChannelSlots] = value;
        }
        items.up();
    }
    uint64_t receive() {
        items.down();
        uint64_t value;
        {
            IrqSaveLocker guard(lock);
            value = ring[head++ % kChannelSlots];
        }
        slots.up();
        return value;
    }
};

struct MsgGroup {
    Channel channels[kMsgPerSide];
    uint32_t group = 0;
    uint64_t received[kMsgPerSide] = {};   // per receiver, read after join
    uint64_t checksum[kMsgPerSide] = {};
};

struct MsgArg {
    MsgGroup* group;
    uint32_t index;
};

uint64_t message_value(uint32_t group, uint32_t sender, uint32_t receiver, uint32_t loop) {
    return (uint64_t(group) << 48) | (uint64_t(sender) << 32) | (uint64_t(receiver) << 16) | loop;
}

int64_t msg_sender(void* arg) {
    auto* a = static_cast<MsgArg*>(arg);
    for (uint32_t loop = 0; loop < kMsgLoops; ++loop) {
        for (uint32_t r = 0; r < kMsgPerSide; ++r)
            a->group->channels[r].send(message_value(a->group->group, a->index, r, loop));
    }
    return 0;
}

int64_t msg_receiver(void* arg) {
    auto* a = static_cast<MsgArg*>(arg);
    Channel& mine = a->group->channels[a->index];
    uint64_t sum = 0;
    for (uint32_t i = 0; i < kMsgPerSide * kMsgLoops; ++i) sum += mine.receive();
    a->group->received[a->index] = kMsgPerSide * kMsgLoops;
    a->group->checksum[a->index] = sum;
    return 0;
}

struct MsgRow {
    uint64_t cycles = 0;
    uint64_t messages = 0;
    bool checksum_ok = false;
};

MsgRow bench_messaging() {
    MsgRow row;
    auto* groups = static_cast<MsgGroup*>(mm::kmalloc(sizeof(MsgGroup) * kMsgGroups, alignof(MsgGroup)));
    auto* args = static_cast<MsgArg*>(mm::kmalloc(sizeof(MsgArg) * kMsgGroups * 2 * kMsgPerSide));
    auto* handles = static_cast<TaskHandle*>(mm::kmalloc(sizeof(TaskHandle) * kMsgGroups * 2 * kMsgPerSide));
    if (!groups || !args || !handles) {
        log_warn("bench: messaging: no memory for %u groups", kMsgGroups);
        mm::kfree(groups);
        mm::kfree(args);
        mm::kfree(handles);
        return row;
    }
    uint32_t count = 0;
    bool spawned_all = true;
    uint64_t start = arch::rdtsc();
    for (uint32_t g = 0; g < kMsgGroups; ++g) {
        new (&groups[g]) MsgGroup();
        groups[g].group = g;
    }
    for (uint32_t g = 0; g < kMsgGroups && spawned_all; ++g) {
        for (uint32_t side = 0; side < 2 && spawned_all; ++side) {
            for (uint32_t i = 0; i < kMsgPerSide; ++i) {
                args[count] = MsgArg{&groups[g], i};
                auto r = spawn(side == 0 ? msg_receiver : msg_sender, &args[count],
                               {.name = side == 0 ? "receiver" : "sender"});
                if (!r.ok()) {
                    // Senders and receivers of a group wait on each other: a missing one
                    // would leave the rest blocked forever. Only at boot-time scale of
                    // memory, so say so and stop.
                    log_error("bench: messaging: spawn failed (%s); the run is abandoned with tasks blocked",
                              to_string(r.error));
                    spawned_all = false;
                    break;
                }
                new (&handles[count]) TaskHandle(static_cast<TaskHandle&&>(r.handle));
                ++count;
            }
        }
    }
    if (!spawned_all) return row;  // the blocked tasks keep their memory
    for (uint32_t i = 0; i < count; ++i) join(handles[i]);
    row.cycles = arch::rdtsc() - start;
    uint64_t expected_sum_ok = 1;
    for (uint32_t g = 0; g < kMsgGroups; ++g) {
        for (uint32_t r = 0; r < kMsgPerSide; ++r) {
            uint64_t sum = 0;
            for (uint32_t s = 0; s < kMsgPerSide; ++s) {
                for (uint32_t loop = 0; loop < kMsgLoops; ++loop) sum += message_value(g, s, r, loop);
            }
            row.messages += groups[g].received[r];
            expected_sum_ok &= groups[g].checksum[r] == sum;
        }
        groups[g].~MsgGroup();
    }
    row.checksum_ok = expected_sum_ok && row.messages == uint64_t(kMsgGroups) * kMsgPerSide * kMsgPerSide * kMsgLoops;
    for (uint32_t i = 0; i < count; ++i) handles[i].~TaskHandle();
    mm::kfree(groups);
    mm::kfree(args);
    mm::kfree(handles);
    return row;
}

// ---------------------------------------------------------------- yield

struct YieldPair {
    std::atomic<uint32_t> arrived{0};
    std::atomic<uint64_t> first_start{~uint64_t(0)};
    std::atomic<uint64_t> last_end{0};
};

int64_t yield_task(void* arg) {
    auto* p = static_cast<YieldPair*>(arg);
    // relaxed: both tasks run on CPU 0; init reads the stamps after join(), which orders them.
    p->arrived.fetch_add(1, std::memory_order_relaxed);
    while (p->arrived.load(std::memory_order_relaxed) < 2) yield();
    uint64_t start = arch::rdtsc();
    for (uint32_t i = 0; i < kYieldsPerTask; ++i) yield();
    uint64_t end = arch::rdtsc();
    uint64_t seen = p->first_start.load(std::memory_order_relaxed);
    while (start < seen && !p->first_start.compare_exchange_weak(seen, start, std::memory_order_relaxed)) {}
    seen = p->last_end.load(std::memory_order_relaxed);
    while (end > seen && !p->last_end.compare_exchange_weak(seen, end, std::memory_order_relaxed)) {}
    return 0;
}

struct YieldRow {
    uint64_t switches = 0;
    uint64_t cycles = 0;
};

bool bench_yield(YieldRow& row) {
    YieldPair pair;
    SpawnOptions options{.name = "yielder", .affinity = CpuMask::single(0)};
    auto a = spawn(yield_task, &pair, options);
    auto b = spawn(yield_task, &pair, options);
    if (!a.ok() || !b.ok()) {
        log_warn("bench: yield: spawn failed: %s", to_string(a.ok() ? b.error : a.error));
        if (a.ok()) join(a.handle);  // each finishes once the other arrives; alone, it never
        return false;                // would, so this path only runs when a is the failure
    }
    join(a.handle);
    join(b.handle);
    row.switches = 2ull * kYieldsPerTask;
    row.cycles = pair.last_end.load(std::memory_order_relaxed) - pair.first_start.load(std::memory_order_relaxed);
    return true;
}

// ---------------------------------------------------------------- wake

struct WakeRun {
    Semaphore sem{0};
    bool halted = false;
    uint64_t* samples = nullptr;
    Task* waiter = nullptr;
    // Round handshake. release/acquire pairs: `ready` (waiter -> waker: about to block on
    // round r), `done` (waiter -> waker: sample r written). `stamp` is published to the
    // waiter by the semaphore (up's release, down's acquire), so it can be relaxed.
    std::atomic<uint32_t> ready{0};
    std::atomic<uint32_t> done{0};
    std::atomic<uint64_t> stamp{0};
    uint32_t no_block = 0;  // rounds where the waiter was not blocked when woken (not sampled)
};

int64_t wake_waiter(void* arg) {
    auto* w = static_cast<WakeRun*>(arg);
    for (uint32_t r = 1; r <= kWakeRounds; ++r) {
        w->ready.store(r, std::memory_order_release);  // release: pairs with the waker's acquire
        w->sem.down();
        uint64_t now = arch::rdtsc();
        w->samples[r - 1] = now - w->stamp.load(std::memory_order_relaxed);
        w->done.store(r, std::memory_order_release);  // release: the sample, for init after join
    }
    return 0;
}

int64_t wake_waker(void* arg) {
    auto* w = static_cast<WakeRun*>(arg);
    for (uint32_t r = 1; r <= kWakeRounds; ++r) {
        // acquire: pairs with the waiter's release of `ready`.
        while (w->ready.load(std::memory_order_acquire) != r) arch::cpu_relax();
        // Wait until it has really blocked (the switch away publishes `blocked`); a bounded
        // wait, since a round where it never blocks is counted, not sampled.
        uint64_t limit = arch::rdtsc() + arch::tsc_hz() / 10;
        // acquire: pairs with the store of the blocked state in the wait path.
        while (w->waiter->state.load(std::memory_order_acquire) != TaskState::blocked && arch::rdtsc() < limit)
            arch::cpu_relax();
        if (w->waiter->state.load(std::memory_order_acquire) != TaskState::blocked) ++w->no_block;
        if (w->halted) sleep_for(kHaltGapNs);
        w->stamp.store(arch::rdtsc(), std::memory_order_relaxed);  // published by up()'s release
        w->sem.up();
        // acquire: pairs with the waiter's release of `done`.
        while (w->done.load(std::memory_order_acquire) != r) arch::cpu_relax();
    }
    return 0;
}

constexpr uint32_t kHistBuckets = 40;  // log2 buckets of TSC cycles: [2^i, 2^(i+1))

struct WakeRow {
    uint32_t hist[kHistBuckets] = {};
    const char* mode = "";
    bool ran = false;
    uint32_t samples = 0, no_block = 0;
    uint64_t p50 = 0, p99 = 0, p999 = 0, max = 0;
    uint64_t ipis = 0;
};

bool bench_wake(bool halted, WakeRow& row) {
    row.mode = halted ? "halted" : "polling";
    auto* samples = static_cast<uint64_t*>(mm::kmalloc(kWakeRounds * sizeof(uint64_t)));
    if (samples == nullptr) {
        log_warn("bench: wake: no memory for %u samples", kWakeRounds);
        return false;
    }
    WakeRun run;
    run.halted = halted;
    run.samples = samples;
    uint64_t ipis_before = stat_total(&SchedStats::ipis_sent);
    auto waiter = spawn(wake_waiter, &run, {.name = "wake-waiter", .affinity = CpuMask::single(1)});
    if (!waiter.ok()) {
        log_warn("bench: wake: spawn failed: %s", to_string(waiter.error));
        mm::kfree(samples);
        return false;
    }
    run.waiter = waiter.handle.task();
    auto waker = spawn(wake_waker, &run, {.name = "wake-waker", .affinity = CpuMask::single(0)});
    if (!waker.ok()) {
        // The waiter blocks on round 1 forever without its waker: say so and give up on it.
        log_warn("bench: wake: spawn of the waker failed: %s; waiter left blocked", to_string(waker.error));
        return false;
    }
    join(waker.handle);
    join(waiter.handle);
    row.ipis = stat_total(&SchedStats::ipis_sent) - ipis_before;
    row.no_block = run.no_block;
    row.samples = kWakeRounds;
    lib::insertion_sort(samples, kWakeRounds);
    row.p50 = samples[kWakeRounds / 2];
    row.p99 = samples[kWakeRounds * 99 / 100];
    row.p999 = samples[kWakeRounds * 999 / 1000];
    row.max = samples[kWakeRounds - 1];
    for (uint32_t i = 0; i < kWakeRounds; ++i) {
        uint32_t b = samples[i] ? uint32_t(63 - __builtin_clzll(samples[i])) : 0;
        ++row.hist[b < kHistBuckets ? b : kHistBuckets - 1];
    }
    row.ran = true;
    mm::kfree(samples);
    return true;
}

// ---------------------------------------------------------------- the set

// The benchmarks bench= can name; "sched" and "all" name every one.
enum Bench : uint32_t {
    kBenchSpawn = 1u << 0,      // spawn+exit
    kBenchFib = 1u << 1,        // fib(24) and the compute ceiling
    kBenchUts = 1u << 2,        // UTS T1 and T3
    kBenchMessaging = 1u << 3,  // hackbench-style groups
    kBenchYield = 1u << 4,
    kBenchWake = 1u << 5,
    kBenchEvery = (1u << 6) - 1,
    kBenchScaling = kBenchSpawn | kBenchFib | kBenchUts | kBenchMessaging,  // run at N..1 CPUs
};

struct BenchName {
    const char* name;
    uint32_t bits;
};
constexpr BenchName kBenchNames[] = {
    {"spawn", kBenchSpawn}, {"fib", kBenchFib},     {"uts", kBenchUts},
    {"messaging", kBenchMessaging}, {"yield", kBenchYield}, {"wake", kBenchWake},
};

// Queue-lock acquisitions of the locked variant during one benchmark, and how many waited.
struct LockRow {
    uint64_t taken = 0, contended = 0;
};
enum LockSlot : uint32_t { kLockSpawn, kLockFib, kLockUtsT1, kLockUtsT3, kLockMsg, kLockYield, kLockSlots };
constexpr const char* kLockSlotNames[kLockSlots] = {"spawn_exit", "fib", "uts_t1", "uts_t3", "messaging", "yield"};

struct Results {
    const char* variant = "";
    uint32_t ran = 0;  // Bench bits
    LockRow locks[kMaxLevels][kLockSlots];  // locked variant only; yield in level 0
    SpawnResultRow spawn[kMaxLevels];
    FibRow fib[kMaxLevels];
    UtsRow uts_geo[kMaxLevels], uts_bin[kMaxLevels];
    MsgRow msg[kMaxLevels];
    uint32_t levels = 0;  // rows filled, highest CPU count first
    YieldRow yield;
    bool yield_ran = false;
    WakeRow wake[2];
};

// The variants one benchmark runs under: both in the same boot (bench=all or names), or the
// one the boot chose (bench=sched). Every benchmark runs under each variant back to back,
// in alternating order, so a drift over the boot (the emulator's translation caches, the
// memory the kernel has mapped by then, host load) falls on both alike: run one variant's
// whole set first and the second set ran 5-25% faster at 1 CPU for that reason alone.
struct Variants {
    Results* res;             // one Results per variant
    boot::Options::Sched kind[2];
    uint32_t count = 0;
    uint32_t turn = 0;        // benchmarks run so far: the order flips each time
    bool ok = true;

    // Runs fn(Results&) under every variant. A refused switch (its log line says why)
    // leaves that variant's row empty and `ok` false. The locked variant's queue-lock
    // counts during fn go to locks[level][slot] (kLockSlots: not recorded).
    template <typename Fn>
    void each(uint32_t level, LockSlot slot, Fn&& fn) {
        for (uint32_t i = 0; i < count; ++i) {
            uint32_t v = (turn & 1) ? count - 1 - i : i;
            if (count > 1 && !select_backend(kind[v])) {
                log_error("bench: could not switch to the %s scheduler; its figures are missing", res[v].variant);
                ok = false;
                continue;
            }
            QueueLockCounts before = locked_queue_lock_counts();
            fn(res[v]);
            QueueLockCounts after = locked_queue_lock_counts();
            if (slot < kLockSlots)
                res[v].locks[level][slot] = LockRow{after.taken - before.taken, after.contended - before.contended};
        }
        ++turn;
    }
};

bool run_sched_set(Variants& vs, uint32_t which) {
    bool& ok = vs.ok;
    for (uint32_t v = 0; v < vs.count; ++v) vs.res[v].ran = which;
    uint32_t n = shared().cpu_count;
    CpuMask online = shared().online.load(std::memory_order_acquire);  // acquire: as hotplug publishes it
    if (which & kBenchScaling)
        log_info("bench: sched: %u cpus online; the scaling runs at %u down to 1 cpus", count_of(online), count_of(online));

    // Highest CPU first; after each level the highest online AP goes offline.
    uint32_t offlined[kMaxLevels];
    uint32_t offlined_count = 0;
    uint32_t levels = 0;
    while (which & kBenchScaling) {
        uint32_t k = count_of(online);
        uint32_t l = levels;
        for (uint32_t v = 0; v < vs.count; ++v) {
            vs.res[v].spawn[l].cpus = k;
            vs.res[v].fib[l].cpus = k;
        }
        if (which & kBenchSpawn) {
            vs.each(l, kLockSpawn, [&](Results& res) {
                log_info("bench: sched: %s: %u cpus: spawn+exit", res.variant, k);
                res.spawn[l] = bench_spawn_exit(online);
            });
        }
        if (which & kBenchFib) {
            vs.each(l, kLockFib, [&](Results& res) {
                log_info("bench: sched: %s: %u cpus: fib(%lld) x%u", res.variant, k, (long long)kFibN, kFibRuns);
                res.fib[l] = bench_fib(online);
                if (res.fib[l].result != kFibExpected) {
                    log_error("bench: fib(%lld) = %lld, expected %lld", (long long)kFibN,
                              (long long)res.fib[l].result, (long long)kFibExpected);
                    ok = false;
                }
            });
            // The emulator's ceiling does not depend on the scheduler: once per level.
            log_info("bench: sched: %u cpus: compute baseline", k);
            uint64_t compute = bench_compute(online);
            for (uint32_t v = 0; v < vs.count; ++v) vs.res[v].fib[l].compute_cycles = compute;
        }
        if (which & kBenchUts) {
            const lib::UtsTree* trees[2] = {&lib::kUtsT1Small, &lib::kUtsT3Small};
            const uint64_t expected[2] = {lib::kUtsT1SmallNodes, lib::kUtsT3SmallNodes};
            for (uint32_t t = 0; t < 2; ++t) {
                vs.each(l, t == 0 ? kLockUtsT1 : kLockUtsT3, [&](Results& res) {
                    log_info("bench: sched: %s: %u cpus: UTS %s (%llu nodes)", res.variant, k, trees[t]->name,
                             (unsigned long long)expected[t]);
                    UtsRow& row = (t == 0 ? res.uts_geo : res.uts_bin)[l];
                    row = bench_uts(*trees[t]);
                    if (row.nodes != expected[t]) {
                        log_error("bench: UTS %s counted %llu nodes, expected %llu", trees[t]->name,
                                  (unsigned long long)row.nodes, (unsigned long long)expected[t]);
                        ok = false;
                    }
                });
            }
        }
        if (which & kBenchMessaging) {
            vs.each(l, kLockMsg, [&](Results& res) {
                log_info("bench: sched: %s: %u cpus: messaging, %u groups of %u senders and %u receivers", res.variant,
                         k, kMsgGroups, kMsgPerSide, kMsgPerSide);
                res.msg[l] = bench_messaging();
                for (uint32_t run = 1; run < kBestOf && res.msg[l].checksum_ok; ++run) {
                    MsgRow again = bench_messaging();
                    if (!again.checksum_ok || again.cycles < res.msg[l].cycles) res.msg[l] = again;
                }
                if (!res.msg[l].checksum_ok) {
                    log_error("bench: messaging: %llu messages, or their checksum, wrong",
                              (unsigned long long)res.msg[l].messages);
                    ok = false;
                }
            });
        }
        ++levels;
        for (uint32_t v = 0; v < vs.count; ++v) vs.res[v].levels = levels;
        if (k <= 1) break;
        uint32_t top = 0;
        for (uint32_t cpu = online.next(1); cpu < kMaxCpus; cpu = online.next(cpu + 1)) top = cpu;
        if (top == 0) break;
        HotplugError e = cpu_offline(top);
        if (e != HotplugError::none) {
            log_warn("bench: cpu_offline(%u) failed: %s; stopping the scaling runs at %u cpus", top, to_string(e), k);
            break;
        }
        offlined[offlined_count++] = top;
        online.remove(top);
    }
    for (uint32_t i = offlined_count; i-- > 0;) {
        HotplugError e = cpu_online(offlined[i]);
        if (e != HotplugError::none) {
            log_error("bench: cpu_online(%u) failed: %s", offlined[i], to_string(e));
            ok = false;
        }
    }

    if (which & kBenchYield) {
        vs.each(0, kLockYield, [&](Results& res) {
            log_info("bench: sched: %s: yield ping-pong on cpu 0 (%u yields per task)", res.variant, kYieldsPerTask);
            res.yield_ran = bench_yield(res.yield);
            ok = ok && res.yield_ran;
        });
    }

    if (!(which & kBenchWake)) {
        // not asked for
    } else if (n >= 2) {
        for (int halted = 1; halted >= 0; --halted) {
            vs.each(0, kLockSlots, [&](Results& res) {
                log_info("bench: sched: %s: cross-cpu wake cpu 0 -> cpu 1, target %s (%u rounds)", res.variant,
                         halted ? "halted" : "polling", kWakeRounds);
                ok = bench_wake(halted == 1, res.wake[halted ? 0 : 1]) && ok;
            });
        }
    } else {
        log_info("bench: sched: cross-cpu wake needs 2 cpus; skipped on 1");
    }
    return ok;
}

void print_table(const Results& res, const char* accel) {
    uint64_t hz = arch::tsc_hz();
    klog::print("bench sched (%s): accelerator %s, %u cpus, tsc %llu MHz\n", res.variant, accel, shared().cpu_count,
                (unsigned long long)(hz / 1'000'000));
    const FibRow* one = nullptr;
    const SpawnResultRow* spawn_one = nullptr;
    for (uint32_t i = 0; i < res.levels; ++i) {
        if (res.fib[i].cpus == 1) one = &res.fib[i];
        if (res.spawn[i].cpus == 1) spawn_one = &res.spawn[i];
    }
    klog::print("  cpus  spawn+exit tasks/s  (x 1 cpu)  fib(%lld) ms  speedup  steals  %s ms  %s ms  messaging ms\n",
                (long long)kFibN, lib::kUtsT1Small.name, lib::kUtsT3Small.name);
    for (uint32_t i = res.levels; i-- > 0;) {
        const SpawnResultRow& s = res.spawn[i];
        const FibRow& f = res.fib[i];
        uint64_t tps = per_second(s.tasks, s.cycles);
        uint64_t tps_one = spawn_one ? per_second(spawn_one->tasks, spawn_one->cycles) : 0;
        uint64_t scale100 = tps_one ? tps * 100 / tps_one : 0;
        uint64_t speed100 = one && f.cycles ? one->cycles * 100 / f.cycles : 0;
        klog::print("  %4u  %18llu  %6llu.%02llu  %11llu  %3llu.%02llu  %6llu  %8llu  %10llu  %12llu\n", s.cpus,
                    (unsigned long long)tps, (unsigned long long)(scale100 / 100), (unsigned long long)(scale100 % 100),
                    (unsigned long long)(ns_from_tsc(f.cycles) / 1'000'000), (unsigned long long)(speed100 / 100),
                    (unsigned long long)(speed100 % 100), (unsigned long long)f.steals,
                    (unsigned long long)(ns_from_tsc(res.uts_geo[i].cycles) / 1'000'000),
                    (unsigned long long)(ns_from_tsc(res.uts_bin[i].cycles) / 1'000'000),
                    (unsigned long long)(ns_from_tsc(res.msg[i].cycles) / 1'000'000));
    }
    for (uint32_t i = res.levels; i-- > 0;) {
        uint64_t taken = 0, contended = 0;
        for (uint32_t s = 0; s < kLockSlots; ++s) {
            taken += res.locks[i][s].taken;
            contended += res.locks[i][s].contended;
        }
        if (!taken) continue;
        uint64_t per10k = contended * 10'000 / taken;
        klog::print("  %u cpus: %llu queue-lock acquisitions, %llu.%02llu%% of them waited\n", res.spawn[i].cpus,
                    (unsigned long long)taken, (unsigned long long)(per10k / 100), (unsigned long long)(per10k % 100));
    }
    if (res.yield_ran) {
        klog::print("  yield: %llu switches, %llu cycles/switch (%llu ns)\n", (unsigned long long)res.yield.switches,
                    (unsigned long long)(res.yield.cycles / res.yield.switches),
                    (unsigned long long)ns_from_tsc(res.yield.cycles / res.yield.switches));
    }
    for (const WakeRow& w : res.wake) {
        if (!w.ran) continue;
        klog::print("  wake %-7s: %u rounds, cycles p50 %llu p99 %llu p99.9 %llu max %llu (p50 %llu us, p99 %llu us); "
                    "%llu ipis sent, %u rounds not blocked yet\n",
                    w.mode, w.samples, (unsigned long long)w.p50, (unsigned long long)w.p99,
                    (unsigned long long)w.p999, (unsigned long long)w.max, (unsigned long long)(ns_from_tsc(w.p50) / 1000),
                    (unsigned long long)(ns_from_tsc(w.p99) / 1000), (unsigned long long)w.ipis, w.no_block);
    }
}

// One JSON object; bench/kernel_sched.py reads it. Cycles are TSC cycles.
void print_json(const Results& res, const char* accel) {
    klog::print("BENCH-JSON-BEGIN sched\n");
    klog::print("{\"bench\": \"sched\", \"variant\": \"%s\", \"accelerator\": \"%s\", \"cpus\": %u, \"tsc_hz\": %llu, "
                "\"timeslice_us\": %llu, \"spin_us\": %llu,\n",
                res.variant, accel, shared().cpu_count, (unsigned long long)arch::tsc_hz(),
                (unsigned long long)(ns_from_tsc(shared().config.timeslice_tsc) / 1000),
                (unsigned long long)(ns_from_tsc(shared().config.spin_tsc) / 1000));
    // A benchmark that was not asked for prints no runs.
    auto levels = [&](uint32_t bits) { return (res.ran & bits) ? res.levels : 0u; };
    klog::print(" \"spawn_exit\": [");
    for (uint32_t n = levels(kBenchSpawn), i = n; i-- > 0;) {
        const SpawnResultRow& s = res.spawn[i];
        klog::print("%s{\"cpus\": %u, \"tasks\": %u, \"failed\": %u, \"cycles\": %llu, \"steals\": %llu, "
                    "\"halts\": %llu, \"ipis\": %llu, \"stacks_before\": %llu, \"peak_stacks\": %llu}",
                    i + 1 == n ? "" : ", ", s.cpus, s.tasks, s.failed, (unsigned long long)s.cycles,
                    (unsigned long long)s.steals, (unsigned long long)s.halts, (unsigned long long)s.ipis,
                    (unsigned long long)s.stacks_before, (unsigned long long)s.peak_stacks);
    }
    klog::print("],\n \"fib\": {\"n\": %lld, \"expected\": %lld, \"runs\": [", (long long)kFibN, (long long)kFibExpected);
    for (uint32_t n = levels(kBenchFib), i = n; i-- > 0;) {
        const FibRow& f = res.fib[i];
        klog::print("%s{\"cpus\": %u, \"cycles\": %llu, \"result\": %lld, \"steals\": %llu, "
                    "\"compute_cycles\": %llu}",
                    i + 1 == n ? "" : ", ", f.cpus, (unsigned long long)f.cycles, (long long)f.result,
                    (unsigned long long)f.steals, (unsigned long long)f.compute_cycles);
    }
    klog::print("]},\n");
    const lib::UtsTree* trees[2] = {&lib::kUtsT1Small, &lib::kUtsT3Small};
    const uint64_t expected[2] = {lib::kUtsT1SmallNodes, lib::kUtsT3SmallNodes};
    const UtsRow* rows[2] = {res.uts_geo, res.uts_bin};
    klog::print(" \"uts\": [");
    for (uint32_t t = 0; t < (levels(kBenchUts) ? 2u : 0u); ++t) {
        klog::print("%s{\"tree\": \"%s\", \"expected_nodes\": %llu, \"runs\": [", t ? ", " : "", trees[t]->name,
                    (unsigned long long)expected[t]);
        for (uint32_t i = res.levels; i-- > 0;) {
            klog::print("%s{\"cpus\": %u, \"cycles\": %llu, \"nodes\": %llu, \"peak_stacks\": %llu, \"inlined\": %llu}",
                        i + 1 == res.levels ? "" : ", ", res.spawn[i].cpus, (unsigned long long)rows[t][i].cycles,
                        (unsigned long long)rows[t][i].nodes, (unsigned long long)rows[t][i].peak_stacks,
                        (unsigned long long)rows[t][i].inlined);
        }
        klog::print("]}");
    }
    klog::print("],\n \"messaging\": {\"groups\": %u, \"senders\": %u, \"receivers\": %u, \"loops\": %u, \"runs\": [",
                kMsgGroups, kMsgPerSide, kMsgPerSide, kMsgLoops);
    for (uint32_t n = levels(kBenchMessaging), i = n; i-- > 0;) {
        klog::print("%s{\"cpus\": %u, \"cycles\": %llu, \"messages\": %llu, \"checksum_ok\": %s}",
                    i + 1 == n ? "" : ", ", res.spawn[i].cpus, (unsigned long long)res.msg[i].cycles,
                    (unsigned long long)res.msg[i].messages, res.msg[i].checksum_ok ? "true" : "false");
    }
    klog::print("]},\n");
    if (res.yield_ran) {
        klog::print(" \"yield\": {\"switches\": %llu, \"cycles\": %llu},\n", (unsigned long long)res.yield.switches,
                    (unsigned long long)res.yield.cycles);
    } else {
        klog::print(" \"yield\": null,\n");
    }
    // The locked variant's queue locks: [acquisitions, of which waited] per benchmark.
    bool any_locks = false;
    for (uint32_t i = 0; i < res.levels; ++i)
        for (uint32_t s = 0; s < kLockSlots; ++s) any_locks = any_locks || res.locks[i][s].taken;
    if (any_locks) {
        klog::print(" \"queue_locks\": [");
        for (uint32_t i = res.levels; i-- > 0;) {
            klog::print("%s{\"cpus\": %u", i + 1 == res.levels ? "" : ", ", res.spawn[i].cpus);
            for (uint32_t s = 0; s < kLockSlots; ++s) {
                if (s == kLockYield && i != 0) continue;
                klog::print(", \"%s\": [%llu, %llu]", kLockSlotNames[s], (unsigned long long)res.locks[i][s].taken,
                            (unsigned long long)res.locks[i][s].contended);
            }
            klog::print("}");
        }
        klog::print("],\n");
    }
    klog::print(" \"wake\": [");
    bool first = true;
    for (const WakeRow& w : res.wake) {
        if (!w.ran) continue;
        klog::print("%s{\"target\": \"%s\", \"samples\": %u, \"not_blocked\": %u, \"p50\": %llu, \"p99\": %llu, "
                    "\"p999\": %llu, \"max\": %llu, \"ipis\": %llu, \"hist_log2\": [",
                    first ? "" : ", ", w.mode, w.samples, w.no_block, (unsigned long long)w.p50,
                    (unsigned long long)w.p99, (unsigned long long)w.p999, (unsigned long long)w.max,
                    (unsigned long long)w.ipis);
        // Samples per log2 bucket of cycles: bucket i counts [2^i, 2^(i+1)).
        for (uint32_t b = 0; b < kHistBuckets; ++b) klog::print("%s%u", b ? ", " : "", w.hist[b]);
        klog::print("]}");
        first = false;
    }
    klog::print("]}\n");
    klog::print("BENCH-JSON-END\n");
}

bool same(const char* a, const char* b) { return strcmp(a, b) == 0; }

// Both variants ran: lock-free against locked, per figure, as "x" = how many times better
// the lock-free scheduler did (time and cycles: locked / lock-free; throughput the other
// way round), so above 1 means lock-free won.
void print_ratios(const Results& lf, const Results& lk) {
    auto ratio100 = [](uint64_t better_if_small_lf, uint64_t better_if_small_lk) -> uint64_t {
        return better_if_small_lf ? better_if_small_lk * 100 / better_if_small_lf : 0;
    };
    auto print_x = [](const char* what, uint64_t x100) {
        if (x100 == 0) return;  // not run under both
        klog::print("  %-28s %4llu.%02llux\n", what, (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
    };
    klog::print("bench: lock-free against locked (above 1.00x: lock-free better)\n");
    char what[48];
    for (uint32_t i = lf.levels; i-- > 0;) {
        if (i >= lk.levels || lf.spawn[i].cpus != lk.spawn[i].cpus) continue;
        uint32_t k = lf.spawn[i].cpus;
        // Throughput: tasks per cycle, lock-free over locked.
        uint64_t lf_rate = lf.spawn[i].cycles ? lf.spawn[i].tasks * 1'000'000'000ull / lf.spawn[i].cycles : 0;
        uint64_t lk_rate = lk.spawn[i].cycles ? lk.spawn[i].tasks * 1'000'000'000ull / lk.spawn[i].cycles : 0;
        ksnprintf(what, sizeof what, "%u cpus: spawn+exit", k);
        print_x(what, lk_rate ? lf_rate * 100 / lk_rate : 0);
        ksnprintf(what, sizeof what, "%u cpus: fib(%lld)", k, (long long)kFibN);
        print_x(what, ratio100(lf.fib[i].cycles, lk.fib[i].cycles));
        ksnprintf(what, sizeof what, "%u cpus: UTS %s", k, lib::kUtsT1Small.name);
        print_x(what, ratio100(lf.uts_geo[i].cycles, lk.uts_geo[i].cycles));
        ksnprintf(what, sizeof what, "%u cpus: UTS %s", k, lib::kUtsT3Small.name);
        print_x(what, ratio100(lf.uts_bin[i].cycles, lk.uts_bin[i].cycles));
        ksnprintf(what, sizeof what, "%u cpus: messaging", k);
        print_x(what, ratio100(lf.msg[i].cycles, lk.msg[i].cycles));
    }
    if (lf.yield_ran && lk.yield_ran)
        print_x("yield cycles/switch", ratio100(lf.yield.cycles, lk.yield.cycles));
    for (uint32_t w = 0; w < 2; ++w) {
        if (!lf.wake[w].ran || !lk.wake[w].ran) continue;
        ksnprintf(what, sizeof what, "wake %s p50", lf.wake[w].mode);
        print_x(what, ratio100(lf.wake[w].p50, lk.wake[w].p50));
        ksnprintf(what, sizeof what, "wake %s p99", lf.wake[w].mode);
        print_x(what, ratio100(lf.wake[w].p99, lk.wake[w].p99));
        ksnprintf(what, sizeof what, "wake %s p99.9", lf.wake[w].mode);
        print_x(what, ratio100(lf.wake[w].p999, lk.wake[w].p999));
    }
}

// bench=<list>: "sched" (every benchmark, the variant sched= chose), "all" (every
// benchmark under both variants), or names from kBenchNames separated by commas (those,
// under both variants). Returns the Bench bits, 0 after a warning for an unknown name.
uint32_t parse_bench_list(const char* list, bool& both) {
    both = true;
    if (same(list, "sched")) {
        both = false;
        return kBenchEvery;
    }
    if (same(list, "all")) return kBenchEvery;
    uint32_t bits = 0;
    const char* p = list;
    while (*p) {
        const char* end = p;
        while (*end && *end != ',') ++end;
        size_t len = size_t(end - p);
        uint32_t found = 0;
        for (const BenchName& b : kBenchNames) {
            if (strlen(b.name) == len && memcmp(b.name, p, len) == 0) found = b.bits;
        }
        if (!found) {
            log_warn("bench: unknown benchmark \"%.*s\" in bench=%s (known: sched, all, spawn, fib, uts, "
                     "messaging, yield, wake, or a comma list of the last six); none run",
                     int(len), p, list);
            return 0;
        }
        bits |= found;
        p = *end ? end + 1 : end;
    }
    return bits;
}

} // namespace

bool run_benchmarks(const char* name) {
    bool both = true;
    uint32_t which = parse_bench_list(name, both);
    if (!which) return false;
    // In the heap: per-level rows for 256 CPUs are too big for a stack.
    auto* results = static_cast<Results*>(mm::kmalloc(2 * sizeof(Results)));
    if (results == nullptr) {
        log_error("bench: no memory for the results (%llu bytes)", (unsigned long long)(2 * sizeof(Results)));
        return false;
    }
    new (&results[0]) Results();
    new (&results[1]) Results();
    char accel[16];
    accelerator_name(accel);
    // bench=sched: the variant this boot runs (sched=). Otherwise both, interleaved (see
    // Variants), then back to what the boot chose.
    const boot::Options::Sched booted = same(backend_name(), "locked") ? boot::Options::Sched::locked
                                                                      : boot::Options::Sched::lockfree;
    Variants vs;
    vs.res = results;
    if (both) {
        vs.kind[0] = boot::Options::Sched::lockfree;
        vs.kind[1] = boot::Options::Sched::locked;
        results[0].variant = "lockfree";
        results[1].variant = "locked";
        vs.count = 2;
        log_info("bench: every benchmark runs under the lockfree and the locked scheduler, back to back");
    } else {
        vs.kind[0] = booted;
        results[0].variant = backend_name();
        vs.count = 1;
    }
    bool ok = run_sched_set(vs, which);
    for (uint32_t v = 0; v < vs.count; ++v) {
        print_table(results[v], accel);
        print_json(results[v], accel);
    }
    if (both) {
        if (results[0].levels && results[1].levels) print_ratios(results[0], results[1]);
        if (!select_backend(booted)) ok = false;
    }
    results[1].~Results();
    results[0].~Results();
    mm::kfree(results);
    return ok;
}

} // namespace sched
