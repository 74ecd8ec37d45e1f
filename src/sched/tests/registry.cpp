// Kernel tests of `ps`'s view of the tasks (sched/kernel/registry.h): it walks task memory,
// so what these pin down is that the walk finds exactly the live spawned tasks, whatever
// the memory held before (cached stacks of exited tasks, rebuilt Tasks, trimmed slots).
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "ktest/ktest.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "sched/kernel/registry.h"
#include "sched/kernel/task_memory.h"
#include "sched/scheduler.h"
#include "sched/sync/event.h"

// KEXPECT for the helpers that return whether the test may go on.
#define PS_EXPECT(cond, ...)             \
    do {                                 \
        if (!(cond)) {                   \
            ktest_ctx.fail(__VA_ARGS__); \
            return false;                \
        }                                \
    } while (0)

namespace {

using sched::registry::TaskInfo;
using sched::registry::Totals;

// Each way a live task can wait: blocked (an Event), sleeping (sleep_for), ready or
// running (yield).
enum class Wait : uint32_t { blocked, sleeping, yielding, kinds };

constexpr uint32_t kTasks = 24;
constexpr size_t kRows = 256;  // more than the tasks a test boot has alive

struct Batch {
    sched::Event go;
    std::atomic<bool> stop{false};
    std::atomic<uint32_t> started{0};
    sched::TaskHandle handles[kTasks];
    uint64_t ids[kTasks] = {};
    uint32_t count = 0;
};
Batch g_batch;
TaskInfo g_rows[kRows];  // too big for the init task's stack

int64_t waiting_task(void* arg) {
    auto kind = Wait(uint32_t(reinterpret_cast<uintptr_t>(arg)));
    // release: pairs with the acquire load in wait_started(); nothing published but the count.
    g_batch.started.fetch_add(1, std::memory_order_release);
    switch (kind) {
        case Wait::blocked:
            g_batch.go.wait();
            break;
        case Wait::sleeping:
            while (!g_batch.stop.load(std::memory_order_acquire)) sched::sleep_for(200'000);  // acquire: as below
            break;
        default:
            // acquire: pairs with the release store in release_batch(); nothing else published.
            while (!g_batch.stop.load(std::memory_order_acquire)) sched::yield();
            break;
    }
    return 0;
}

// Spawns kTasks waiting tasks of every kind, pinned round robin to the CPUs and unpinned,
// and waits until each has started (so each is live and has run somewhere).
bool spawn_batch(ktest::Context& ktest_ctx) {
    Batch& b = g_batch;
    b.go.reset();
    b.stop.store(false, std::memory_order_relaxed);  // relaxed: no task of the batch runs yet
    b.started.store(0, std::memory_order_relaxed);
    b.count = 0;
    const uint32_t cpus = arch::cpu_count();
    for (uint32_t i = 0; i < kTasks; ++i) {
        const uint32_t kind = i % uint32_t(Wait::kinds);
        const sched::CpuMask affinity = i % 2 ? sched::CpuMask::single(i / 2 % cpus) : sched::CpuMask::all();
        char name[16];
        ksnprintf(name, sizeof name, "ps-%u", i);
        auto r = sched::spawn(waiting_task, reinterpret_cast<void*>(uintptr_t(kind)),
                              {.name = name, .affinity = affinity});
        PS_EXPECT(r.ok(), "spawn %u failed: %s", i, sched::to_string(r.error));
        b.ids[i] = r.handle.task()->id;
        b.handles[i] = static_cast<sched::TaskHandle&&>(r.handle);
        ++b.count;
    }
    // acquire: pairs with each task's release increment.
    while (b.started.load(std::memory_order_acquire) < kTasks) sched::yield();
    return true;
}

// Lets every task of the batch return, and joins them.
void release_batch(void*) {
    Batch& b = g_batch;
    b.stop.store(true, std::memory_order_release);  // release: pairs with the tasks' acquire loads
    b.go.set();
    for (uint32_t i = 0; i < b.count; ++i) sched::join(b.handles[i]);
    b.count = 0;
}

// How often `id` is among the first `rows` rows.
uint32_t times_listed(uint64_t id, size_t rows) {
    uint32_t n = 0;
    for (size_t i = 0; i < rows; ++i) n += g_rows[i].id == id;
    return n;
}

// The checks every snapshot must pass: rows in id order, only live states, and each count
// by state adding up to the total.
bool check_rows(ktest::Context& ktest_ctx, size_t rows, const Totals& totals) {
    for (size_t i = 1; i < rows; ++i)
        PS_EXPECT(g_rows[i - 1].id < g_rows[i].id, "rows %zu and %zu out of id order (%llu, %llu)", i - 1, i,
                (unsigned long long)g_rows[i - 1].id, (unsigned long long)g_rows[i].id);
    size_t by_state = 0;
    for (size_t count : totals.by_state) by_state += count;
    PS_EXPECT(by_state == totals.tasks, "counts by state add up to %zu, not %zu", by_state, totals.tasks);
    PS_EXPECT(totals.by_state[size_t(sched::TaskState::dead)] == 0 &&
                totals.by_state[size_t(sched::TaskState::created)] == 0,
            "%zu dead and %zu created tasks listed", totals.by_state[size_t(sched::TaskState::dead)],
            totals.by_state[size_t(sched::TaskState::created)]);
    for (size_t i = 0; i < rows; ++i)
        PS_EXPECT(g_rows[i].id != 0, "row %zu is an unspawned task ('%s', id 0)", i, g_rows[i].name);
    return true;
}

// Every task of the batch is listed exactly once, under its name.
bool check_batch_listed(ktest::Context& ktest_ctx, size_t rows) {
    for (uint32_t i = 0; i < kTasks; ++i) {
        const uint64_t id = g_batch.ids[i];
        PS_EXPECT(times_listed(id, rows) == 1, "live task %u (id %llu) listed %u times", i, (unsigned long long)id,
                times_listed(id, rows));
        char name[16];
        ksnprintf(name, sizeof name, "ps-%u", i);
        for (size_t r = 0; r < rows; ++r)
            if (g_rows[r].id == id)
                PS_EXPECT(strcmp(g_rows[r].name, name) == 0, "task id %llu listed as '%s', not '%s'",
                        (unsigned long long)id, g_rows[r].name, name);
    }
    return true;
}

bool check_none_listed(ktest::Context& ktest_ctx, const uint64_t* ids, size_t rows) {
    for (uint32_t i = 0; i < kTasks; ++i)
        PS_EXPECT(times_listed(ids[i], rows) == 0, "exited task %u (id %llu) still listed", i,
                (unsigned long long)ids[i]);
    return true;
}

}  // namespace

// Two batches, the second in the first one's memory: each task is listed exactly once while
// it lives, in every state a live task can be in, and not at all once it has exited (joined,
// before its memory is reclaimed), after its memory is reused, and after a trim unmapped it.
KTEST_SCHED(sched_ps_lists_exactly_the_live_tasks) {
    ktest::on_cleanup(release_batch, nullptr);
    Totals totals;
    uint64_t first_ids[kTasks];
    for (int round = 0; round < 2; ++round) {
        if (!spawn_batch(ktest_ctx)) return;
        size_t rows = sched::registry::snapshot(g_rows, kRows, totals);
        KEXPECT(rows < kRows, "%zu rows: more tasks alive than the test expects", rows);
        KEXPECT(rows == totals.tasks, "%zu rows copied of %zu tasks counted", rows, totals.tasks);
        if (!check_rows(ktest_ctx, rows, totals) || !check_batch_listed(ktest_ctx, rows)) return;
        if (round == 1 && !check_none_listed(ktest_ctx, first_ids, rows)) return;

        // A short snapshot keeps the oldest: a task of the batch that is left out is younger
        // than every row (the batch lives throughout, and ids only grow).
        const size_t few = kTasks / 2;
        Totals few_totals;
        size_t few_rows = sched::registry::snapshot(g_rows, few, few_totals);
        KEXPECT(few_rows == few, "a snapshot of at most %zu copied %zu", few, few_rows);
        KEXPECT(few_totals.tasks >= kTasks, "%zu tasks counted with %u alive", few_totals.tasks, kTasks);
        if (!check_rows(ktest_ctx, few_rows, few_totals)) return;
        for (uint32_t i = 0; i < kTasks; ++i)
            if (times_listed(g_batch.ids[i], few_rows) == 0)
                KEXPECT(g_batch.ids[i] > g_rows[few_rows - 1].id, "task id %llu left out, row id %llu kept",
                        (unsigned long long)g_batch.ids[i], (unsigned long long)g_rows[few_rows - 1].id);

        for (uint32_t i = 0; i < kTasks; ++i) first_ids[i] = g_batch.ids[i];
        release_batch(nullptr);
        rows = sched::registry::snapshot(g_rows, kRows, totals);
        if (!check_rows(ktest_ctx, rows, totals) || !check_none_listed(ktest_ctx, first_ids, rows)) return;
        // Reclaimed: the memory is cached again, still holding the dead Tasks.
        KEXPECT(sched::drain_reclaim(), "reclamation did not finish");
        rows = sched::registry::snapshot(g_rows, kRows, totals);
        if (!check_rows(ktest_ctx, rows, totals) || !check_none_listed(ktest_ctx, first_ids, rows)) return;
    }
    // Trimmed: the walk must not touch the unmapped slots (a fault would end the boot).
    sched::trim_task_memory();
    size_t rows = sched::registry::snapshot(g_rows, kRows, totals);
    if (!check_rows(ktest_ctx, rows, totals) || !check_none_listed(ktest_ctx, first_ids, rows)) return;
}

// ---------------------------------------------------------------- walks racing churn
namespace {

constexpr uint32_t kChurnTasks = 3'000;
constexpr uint32_t kMaxWalkers = 2;

struct Churn {
    std::atomic<bool> stop{false};
    // The id of churn task i, named "pc-<i>": 0 until its spawn returned, then written once.
    // relaxed stores and loads: a row named pc-<i> whose id differs from a nonzero entry is
    // one Task's name with another's id, in whichever order the two were seen.
    std::atomic<uint64_t> id_of[kChurnTasks];
    std::atomic<uint32_t> walks{0};
    std::atomic<uint32_t> rows_seen{0};
    std::atomic<uint32_t> mismatches{0};
    std::atomic<uint32_t> not_live{0};
};
Churn g_churn;
TaskInfo g_walker_rows[kMaxWalkers][kRows];  // one buffer per walker

int64_t nop_task(void*) { return 0; }

// Walks again and again until told to stop, checking each row it gets. relaxed counters:
// the test reads them after joining the walker.
int64_t walker(void* arg) {
    Churn& c = g_churn;
    TaskInfo* rows_out = g_walker_rows[uintptr_t(arg)];
    // acquire: pairs with the release store in the test; nothing else published.
    while (!c.stop.load(std::memory_order_acquire)) {
        Totals totals;
        const size_t rows = sched::registry::snapshot(rows_out, kRows, totals);
        for (size_t r = 0; r < rows; ++r) {
            const TaskInfo& row = rows_out[r];
            if (row.state == sched::TaskState::dead || row.state == sched::TaskState::created || row.id == 0)
                c.not_live.fetch_add(1, std::memory_order_relaxed);
            if (row.name[0] != 'p' || row.name[1] != 'c' || row.name[2] != '-') continue;
            uint32_t i = 0;
            for (const char* p = row.name + 3; *p >= '0' && *p <= '9'; ++p) i = i * 10 + uint32_t(*p - '0');
            if (i >= kChurnTasks) continue;
            c.rows_seen.fetch_add(1, std::memory_order_relaxed);
            const uint64_t expected = c.id_of[i].load(std::memory_order_relaxed);
            if (expected != 0 && expected != row.id) c.mismatches.fetch_add(1, std::memory_order_relaxed);
        }
        c.walks.fetch_add(1, std::memory_order_relaxed);
        sched::yield();
    }
    return 0;
}

}  // namespace

// Walkers (on CPUs 1 and 2, or on CPU 0 alone) walk while CPU 0 spawns and joins 3,000 tasks
// one at a time, through the same few blocks of memory: no row is ever a dead, unspawned
// or half-built task, or one Task's name with another's id.
KTEST_SCHED(sched_ps_walks_racing_spawn_and_exit_see_only_whole_live_tasks) {
    Churn& c = g_churn;
    c.stop.store(false, std::memory_order_relaxed);  // relaxed: no walker runs yet
    for (auto& id : c.id_of) id.store(0, std::memory_order_relaxed);
    c.walks.store(0, std::memory_order_relaxed);
    c.rows_seen.store(0, std::memory_order_relaxed);
    c.mismatches.store(0, std::memory_order_relaxed);
    c.not_live.store(0, std::memory_order_relaxed);
    const uint32_t cpus = arch::cpu_count();
    static sched::TaskHandle walkers[kMaxWalkers];
    uint32_t walker_count = 0;
    for (uint32_t cpu = cpus > 1 ? 1 : 0; cpu < cpus && walker_count < kMaxWalkers; ++cpu) {
        auto r = sched::spawn(walker, reinterpret_cast<void*>(uintptr_t(walker_count)),
                              {.name = "ps-walker", .affinity = sched::CpuMask::single(cpu)});
        if (r.ok()) walkers[walker_count++] = static_cast<sched::TaskHandle&&>(r.handle);
    }
    uint32_t failed = 0;
    for (uint32_t i = 0; i < kChurnTasks; ++i) {
        char name[16];
        ksnprintf(name, sizeof name, "pc-%u", i);
        auto r = sched::spawn(nop_task, nullptr, {.name = name, .affinity = sched::CpuMask::single(0)});
        if (!r.ok()) {
            ++failed;
            continue;
        }
        c.id_of[i].store(r.handle.task()->id, std::memory_order_relaxed);  // relaxed: see id_of
        sched::join(r.handle);
    }
    c.stop.store(true, std::memory_order_release);  // release: pairs with the walkers' acquire loads
    for (uint32_t i = 0; i < walker_count; ++i) sched::join(walkers[i]);
    // relaxed: the joins ordered the walkers' counts before these loads.
    const uint32_t walks = c.walks.load(std::memory_order_relaxed);
    KEXPECT(walker_count > 0, "no walker could be spawned");
    KEXPECT(failed == 0, "%u of %u spawns failed", failed, kChurnTasks);
    KEXPECT(c.not_live.load(std::memory_order_relaxed) == 0, "%u rows were not live spawned tasks",
            c.not_live.load(std::memory_order_relaxed));
    KEXPECT(c.mismatches.load(std::memory_order_relaxed) == 0,
            "%u rows had one task's name and another's id (of %u churn rows in %u walks)",
            c.mismatches.load(std::memory_order_relaxed), c.rows_seen.load(std::memory_order_relaxed), walks);
    KEXPECT(walks > 0, "the walkers never finished a walk");
    log_info("ktest: ps walks: %u walks saw %u churn rows", walks, c.rows_seen.load(std::memory_order_relaxed));
}
