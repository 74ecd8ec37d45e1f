// Kernel tests of sleep_for ("Preemption, timers and sleep") and of the wait-queue primitives on the kernel glue
// ("Wait queues, Mutex, Semaphore, Event"): WaitQueue, Mutex, Semaphore, Event. They run as the init task (pinned to
// CPU 0), after sched::start().
//
// Timing under TCG: vCPUs share 2 host cores, so only "never early" is a hard property;
// lateness is logged, and bounded only generously (see kMaxLatenessMs).
#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "ktest/ktest.h"
#include "lib/log.h"
#include "sched/sync/event.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/sync/mutex.h"
#include "sched/scheduler.h"
#include "sched/sync/semaphore.h"
#include "sched/sync/wait_queue.h"

namespace {

using sched::CpuMask;
using sched::SpawnOptions;
using sched::TaskHandle;

constexpr uint32_t kMaxTasks = 2 * kMaxCpus + 3;  // the largest n below is 2 * cpus + 2 (-smp 64 overran 128)

uint64_t xorshift(uint64_t& s) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

uint64_t tsc_to_us(uint64_t ticks) { return ticks * 1000000u / arch::tsc_hz(); }

// Smallest TSC interval that is at least `ns` (what "never early" is measured against).
uint64_t tsc_ceil_from_ns(uint64_t ns) {
    uint64_t hz = arch::tsc_hz();
    return ns / 1000000000u * hz + (ns % 1000000000u * hz + 999999999u) / 1000000000u;
}

// Spawns `n` tasks running `fn(&args[i])`; the i-th is pinned to CPU i % cpus when `pin`.
template <typename Arg>
bool spawn_all(TaskHandle* handles, uint32_t n, int64_t (*fn)(void*), Arg* args, const char* name, bool pin) {
    uint32_t cpus = arch::cpu_count();
    for (uint32_t i = 0; i < n; ++i) {
        SpawnOptions options{.name = name};
        if (pin) options.affinity = CpuMask::single(i % cpus);
        auto r = sched::spawn(fn, &args[i], options);
        if (!r.ok()) return false;
        handles[i] = static_cast<TaskHandle&&>(r.handle);
    }
    return true;
}

void join_all(TaskHandle* handles, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
        if (handles[i].valid()) sched::join(handles[i]);
}

// Polls `done()` with 1 ms sleeps until it holds or `seconds` pass. True if it held.
template <typename Done>
bool wait_for(Done&& done, uint64_t seconds) {
    uint64_t deadline = arch::rdtsc() + seconds * arch::tsc_hz();
    while (!done()) {
        if (arch::rdtsc() > deadline) return false;
        sched::sleep_for(1'000'000);
    }
    return true;
}

void sort(uint64_t* v, uint32_t n) {
    for (uint32_t i = 1; i < n; ++i)
        for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; --j) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

}  // namespace

// ---------------------------------------------------------------- sleep_for on time
namespace {

constexpr uint32_t kSleepTasks = 64;
constexpr uint32_t kSleepsEach = 4;
constexpr uint64_t kMinSleepNs = 50'000;  // 50 us
constexpr uint64_t kMaxSleepNs = 20'000'000;  // 20 ms
// "On time" under TCG with 8 vCPUs on 2 host cores: a vCPU may not run for tens of ms.
// Half a second of lateness would mean a lost wakeup rescued by something else.
constexpr uint64_t kMaxLatenessMs = 500;

struct SleepArg {
    uint32_t index;
    uint64_t lateness[kSleepsEach];  // TSC ticks past the deadline, written by the task
    uint32_t early;  // wakes before the deadline (must stay 0)
};

int64_t sleeper_task(void* arg) {
    auto* a = static_cast<SleepArg*>(arg);
    uint64_t rng = 0x2545f4914f6cdd1dull * (a->index + 1);
    for (uint32_t k = 0; k < kSleepsEach; ++k) {
        uint64_t ns = kMinSleepNs + xorshift(rng) % (kMaxSleepNs - kMinSleepNs);
        uint64_t deadline = arch::rdtsc() + tsc_ceil_from_ns(ns);
        sched::sleep_for(ns);
        uint64_t now = arch::rdtsc();
        if (now < deadline) ++a->early;
        a->lateness[k] = now >= deadline ? now - deadline : 0;
    }
    return 0;
}

}  // namespace

KTEST_SCHED(sched_sleep_for_wakes_on_time_never_early) {
    static SleepArg args[kSleepTasks];
    static TaskHandle handles[kSleepTasks];
    for (uint32_t i = 0; i < kSleepTasks; ++i) args[i] = SleepArg{i, {}, 0};
    // Half pinned round-robin (every CPU has sleepers), half free (they migrate).
    bool ok =
        spawn_all(handles, kSleepTasks / 2, sleeper_task, args, "sleeper", true) &&
        spawn_all(handles + kSleepTasks / 2, kSleepTasks / 2, sleeper_task, args + kSleepTasks / 2, "sleeper", false);
    join_all(handles, kSleepTasks);  // every task completes, or the watchdog says so
    KEXPECT(ok, "spawn failed");
    static uint64_t all[kSleepTasks * kSleepsEach];
    uint32_t early = 0;
    for (uint32_t i = 0; i < kSleepTasks; ++i) {
        early += args[i].early;
        for (uint32_t k = 0; k < kSleepsEach; ++k) all[i * kSleepsEach + k] = args[i].lateness[k];
    }
    KEXPECT(early == 0, "%u sleeps woke before their deadline", early);
    constexpr uint32_t n = kSleepTasks * kSleepsEach;
    sort(all, n);
    uint64_t median_us = tsc_to_us(all[n / 2]), max_us = tsc_to_us(all[n - 1]);
    klog::print("  sleep_for: %u sleeps of 50 us..20 ms on %u cpus: lateness median %llu us, max %llu us\n", n,
                arch::cpu_count(), (unsigned long long)median_us, (unsigned long long)max_us);
    KEXPECT(max_us < kMaxLatenessMs * 1000, "a sleep woke %llu us late (bound %llu ms)", (unsigned long long)max_us,
            (unsigned long long)kMaxLatenessMs);
}

// ---------------------------------------------------------------- sleep_for(0), busy CPU
namespace {

constexpr uint32_t kZeroSleeps = 200;

int64_t zero_sleeper(void*) {
    for (uint32_t i = 0; i < kZeroSleeps; ++i) sched::sleep_for(0);
    return 0;
}

}  // namespace

// sleep_for(0) is yield(): it counts as a yield on its CPU and never touches the sleepers.
KTEST_SCHED(sched_sleep_for_zero_is_yield) {
    uint32_t cpu = arch::cpu_count() - 1;
    sched::CpuSched& target = sched::shared().cpu(cpu);
    uint64_t yields_before = target.stats.yields.get();  // racy read of a single-writer counter
    auto r = sched::spawn(zero_sleeper, nullptr, {.name = "zero", .affinity = CpuMask::single(cpu)});
    KEXPECT(r.ok(), "spawn failed: %s", sched::to_string(r.error));
    sched::join(r.handle);
    uint64_t yields = target.stats.yields.get() - yields_before;
    KEXPECT(yields >= kZeroSleeps, "%u sleep_for(0) calls counted %llu yields on cpu %u", kZeroSleeps,
            (unsigned long long)yields, cpu);
}

namespace {

constexpr uint32_t kBusySleepers = 4;
constexpr uint32_t kBusySleeps = 10;
constexpr uint64_t kBusySleepNs = 300'000;  // 300 us: well inside a 4 ms timeslice

struct BusyCpu {
    std::atomic<uint32_t> sleepers_done{0};  // relaxed: a flag for the spinner; join orders the rest
    std::atomic<uint32_t> early{0};
    uint64_t deadline_tsc = 0;
    bool spinner_timed_out = false;
};

int64_t busy_spinner(void* arg) {
    auto* b = static_cast<BusyCpu*>(arg);
    // Never yields: the CPU's idle task cannot run until the sleepers are done.
    while (b->sleepers_done.load(std::memory_order_relaxed) < kBusySleepers) {
        if (arch::rdtsc() > b->deadline_tsc) {
            b->spinner_timed_out = true;
            break;
        }
        arch::cpu_relax();
    }
    return 0;
}

int64_t busy_sleeper(void* arg) {
    auto* b = static_cast<BusyCpu*>(arg);
    for (uint32_t i = 0; i < kBusySleeps; ++i) {
        uint64_t deadline = arch::rdtsc() + tsc_ceil_from_ns(kBusySleepNs);
        sched::sleep_for(kBusySleepNs);
        if (arch::rdtsc() < deadline) b->early.fetch_add(1, std::memory_order_relaxed);
    }
    b->sleepers_done.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

}  // namespace

// Sleepers sharing a CPU with a task that never yields: the idle task never runs there, so
// the sleepers must be expired by the tick (counted by on_tick) or at slice ends.
KTEST_SCHED(sched_sleepers_on_a_busy_cpu_are_woken_by_the_tick) {
    static BusyCpu b;
    b.sleepers_done.store(0, std::memory_order_relaxed);
    b.early.store(0, std::memory_order_relaxed);
    b.spinner_timed_out = false;
    b.deadline_tsc = arch::rdtsc() + 20 * arch::tsc_hz();  // generous for TCG
    uint32_t cpu = arch::cpu_count() - 1;
    uint64_t tick_wakes_before = sched::tick_sleeper_wakeups(cpu);
    SpawnOptions options{.name = "busy", .affinity = CpuMask::single(cpu)};
    auto spinner = sched::spawn(busy_spinner, &b, options);
    TaskHandle sleepers[kBusySleepers];
    bool ok = spinner.ok();
    for (uint32_t i = 0; i < kBusySleepers; ++i) {
        auto r = sched::spawn(busy_sleeper, &b, options);
        ok = ok && r.ok();
        sleepers[i] = static_cast<TaskHandle&&>(r.handle);
    }
    if (!ok) b.sleepers_done.store(kBusySleepers, std::memory_order_relaxed);  // let the spinner go
    join_all(sleepers, kBusySleepers);
    sched::join(spinner.handle);
    KEXPECT(ok, "spawn failed");
    KEXPECT(!b.spinner_timed_out, "the sleepers on busy cpu %u did not finish within 20 s", cpu);
    KEXPECT(b.early.load(std::memory_order_relaxed) == 0, "%u sleeps woke early",
            b.early.load(std::memory_order_relaxed));
    uint64_t tick_wakes = sched::tick_sleeper_wakeups(cpu) - tick_wakes_before;
    klog::print("  busy cpu %u: %llu of %u sleeps expired by the tick\n", cpu, (unsigned long long)tick_wakes,
                kBusySleepers * kBusySleeps);
    // Sleeps of 300 us in 4 ms slices: most deadlines fall inside the spinner's slice,
    // where only the tick can expire them.
    KEXPECT(tick_wakes > 0, "no sleeper on busy cpu %u was woken by the tick", cpu);
}

// ---------------------------------------------------------------- Mutex
namespace {

constexpr uint32_t kMutexIters = 2000;
constexpr uint32_t kNapEvery = 32;  // hold the lock across a short sleep now and then
constexpr uint64_t kNapNs = 50'000;  // 50 us

struct MutexTest {
    sched::Mutex mutex;
    uint64_t counter = 0;  // plain: protected by the mutex
    std::atomic<uint64_t> contended{0};  // relaxed: statistics, read after the joins
    std::atomic<uint64_t> blocked{0};
};

int64_t mutex_task(void* arg) {
    auto* m = *static_cast<MutexTest**>(arg);
    sched::Task* self = sched::current_task();
    for (uint32_t i = 0; i < kMutexIters; ++i) {
        if (!m->mutex.try_lock()) {
            m->contended.fetch_add(1, std::memory_order_relaxed);
            uint64_t switches = self->counters.switches_in.get();
            m->mutex.lock();
            // Each switch-in during lock() ends a block (or, rarely, a preemption). One
            // lock() may block many times: unlock() wakes a waiter, but a running task
            // may take the lock first (no hand-off, as in Drepper's mutex).
            m->blocked.fetch_add(self->counters.switches_in.get() - switches, std::memory_order_relaxed);
        }
        uint64_t v = m->counter;
        // Holding the lock across a sleep makes every task that tries meanwhile block, on
        // any number of CPUs (plain contention is rare under TCG).
        if (i % kNapEvery == 0) sched::sleep_for(kNapNs);
        m->counter = v + 1;
        m->mutex.unlock();
    }
    return 0;
}

}  // namespace

KTEST_SCHED(sched_mutex_counts_exactly_under_contention) {
    static MutexTest m;
    m.counter = 0;
    m.contended.store(0, std::memory_order_relaxed);
    m.blocked.store(0, std::memory_order_relaxed);
    uint32_t n = arch::cpu_count() * 2;
    if (n > kMaxTasks) n = kMaxTasks;
    static MutexTest* args[kMaxTasks];
    static TaskHandle handles[kMaxTasks];
    for (uint32_t i = 0; i < n; ++i) args[i] = &m;
    bool ok = spawn_all(handles, n, mutex_task, args, "mutex", false);
    join_all(handles, n);
    KEXPECT(ok, "spawn failed");
    KEXPECT(m.counter == uint64_t(n) * kMutexIters, "counter %llu, expected %llu", (unsigned long long)m.counter,
            (unsigned long long)(uint64_t(n) * kMutexIters));
    uint64_t contended = m.contended.load(std::memory_order_relaxed);
    uint64_t blocked = m.blocked.load(std::memory_order_relaxed);
    klog::print("  mutex: %u tasks x %u: %llu contended acquisitions, %llu blocks\n", n, kMutexIters,
                (unsigned long long)contended, (unsigned long long)blocked);
    // The sleep inside the critical section makes waiters find it taken, and block, at
    // any CPU count.
    KEXPECT(contended > 0 && blocked > 0, "no contention (%llu) or no blocking (%llu)", (unsigned long long)contended,
            (unsigned long long)blocked);
}

// ---------------------------------------------------------------- Semaphore
namespace {

constexpr uint64_t kSemLimit = 3;
constexpr uint32_t kSemIters = 300;

struct SemLimitTest {
    sched::Semaphore sem{kSemLimit};
    // relaxed: the semaphore's own acquire/release orders the critical sections; these
    // only count, and an RMW sees every earlier value in its modification order.
    std::atomic<uint64_t> inside{0};
    std::atomic<uint64_t> max_inside{0};
    std::atomic<uint64_t> passes{0};
};

int64_t sem_limit_task(void* arg) {
    auto* s = *static_cast<SemLimitTest**>(arg);
    for (uint32_t i = 0; i < kSemIters; ++i) {
        s->sem.down();
        uint64_t now = s->inside.fetch_add(1, std::memory_order_relaxed) + 1;
        uint64_t max = s->max_inside.load(std::memory_order_relaxed);
        while (now > max && !s->max_inside.compare_exchange_weak(max, now, std::memory_order_relaxed)) {}
        if (i % 8 == 0) sched::yield();  // stay inside a while, so others pile up
        s->inside.fetch_sub(1, std::memory_order_relaxed);
        s->passes.fetch_add(1, std::memory_order_relaxed);
        s->sem.up();
    }
    return 0;
}

}  // namespace

KTEST_SCHED(sched_semaphore_never_exceeds_its_count) {
    static SemLimitTest s;
    s.inside.store(0, std::memory_order_relaxed);
    s.max_inside.store(0, std::memory_order_relaxed);
    s.passes.store(0, std::memory_order_relaxed);
    uint32_t n = arch::cpu_count() * 2 + 2;
    static SemLimitTest* args[kMaxTasks];
    static TaskHandle handles[kMaxTasks];
    for (uint32_t i = 0; i < n; ++i) args[i] = &s;
    bool ok = spawn_all(handles, n, sem_limit_task, args, "sem", false);
    join_all(handles, n);
    KEXPECT(ok, "spawn failed");
    uint64_t max = s.max_inside.load(std::memory_order_relaxed);
    uint64_t passes = s.passes.load(std::memory_order_relaxed);
    klog::print("  semaphore(%llu): %u tasks, at most %llu inside\n", (unsigned long long)kSemLimit, n,
                (unsigned long long)max);
    KEXPECT(max >= 1 && max <= kSemLimit, "%llu tasks inside a semaphore of %llu", (unsigned long long)max,
            (unsigned long long)kSemLimit);
    KEXPECT(passes == uint64_t(n) * kSemIters, "%llu passes, expected %llu", (unsigned long long)passes,
            (unsigned long long)(uint64_t(n) * kSemIters));
    KEXPECT(s.sem.count_approx() == kSemLimit, "count %llu after all ups, expected %llu",
            (unsigned long long)s.sem.count_approx(), (unsigned long long)kSemLimit);
}

namespace {

constexpr uint32_t kItemsPerProducer = 500;
constexpr uint32_t kMaxItems = 8 * kItemsPerProducer;  // producers <= 8 (see the test)
constexpr uint64_t kSlots = 8;  // flow control: producers block too

struct ProdCons {
    sched::Semaphore items{0};
    sched::Semaphore slots{kSlots};
    std::atomic<uint32_t> write_index{0};  // relaxed: only hands out unique slots
    std::atomic<uint32_t> read_index{0};
    // item + 1, 0 while empty. release by the producer, acquire by the consumer.
    std::atomic<uint32_t> buffer[kMaxItems];
    std::atomic<uint32_t> seen[kMaxItems];  // times each item was consumed
    uint32_t per_consumer = 0;
};

struct PcArg {
    ProdCons* pc;
    uint32_t first_item;
};

int64_t producer_task(void* arg) {
    auto* a = static_cast<PcArg*>(arg);
    ProdCons& pc = *a->pc;
    for (uint32_t i = 0; i < kItemsPerProducer; ++i) {
        pc.slots.down();
        uint32_t at = pc.write_index.fetch_add(1, std::memory_order_relaxed);
        // release: pairs with the consumer's acquire load of the slot.
        pc.buffer[at].store(a->first_item + i + 1, std::memory_order_release);
        pc.items.up();
    }
    return 0;
}

int64_t consumer_task(void* arg) {
    auto* a = static_cast<PcArg*>(arg);
    ProdCons& pc = *a->pc;
    for (uint32_t i = 0; i < pc.per_consumer; ++i) {
        pc.items.down();
        uint32_t at = pc.read_index.fetch_add(1, std::memory_order_relaxed);
        // The unit we got may be for a later slot whose producer ran ahead of this one's:
        // this one's is on its way (its write index was taken before either up).
        uint32_t item;
        // acquire: pairs with the producer's release store.
        while ((item = pc.buffer[at].load(std::memory_order_acquire)) == 0) sched::yield();
        pc.seen[item - 1].fetch_add(1, std::memory_order_relaxed);  // relaxed: read after the joins
        pc.slots.up();
    }
    return 0;
}

}  // namespace

KTEST_SCHED(sched_semaphore_producer_consumer_counts_every_item_once) {
    static ProdCons pc;
    uint32_t producers = arch::cpu_count() < 8 ? arch::cpu_count() : 8;
    if (producers < 2) producers = 2;
    uint32_t consumers = producers;
    uint32_t total = producers * kItemsPerProducer;
    pc.write_index.store(0, std::memory_order_relaxed);
    pc.read_index.store(0, std::memory_order_relaxed);
    for (uint32_t i = 0; i < kMaxItems; ++i) {
        pc.buffer[i].store(0, std::memory_order_relaxed);
        pc.seen[i].store(0, std::memory_order_relaxed);
    }
    pc.per_consumer = total / consumers;
    static PcArg pargs[8], cargs[8];
    static TaskHandle phandles[8], chandles[8];
    for (uint32_t i = 0; i < producers; ++i) pargs[i] = PcArg{&pc, i * kItemsPerProducer};
    for (uint32_t i = 0; i < consumers; ++i) cargs[i] = PcArg{&pc, 0};
    // Consumers first, so they block on an empty semaphore before anything is produced.
    bool ok = spawn_all(chandles, consumers, consumer_task, cargs, "consumer", true) &&
              spawn_all(phandles, producers, producer_task, pargs, "producer", false);
    join_all(phandles, producers);
    join_all(chandles, consumers);
    KEXPECT(ok, "spawn failed");
    uint32_t missing = 0, duplicated = 0;
    for (uint32_t i = 0; i < total; ++i) {
        uint32_t times = pc.seen[i].load(std::memory_order_relaxed);
        if (times == 0) ++missing;
        if (times > 1) ++duplicated;
    }
    KEXPECT(missing == 0 && duplicated == 0, "%u of %u items never consumed, %u consumed twice", missing, total,
            duplicated);
    KEXPECT(pc.items.count_approx() == 0 && pc.slots.count_approx() == kSlots,
            "semaphores not back to rest: items %llu, slots %llu", (unsigned long long)pc.items.count_approx(),
            (unsigned long long)pc.slots.count_approx());
}

// ---------------------------------------------------------------- Event
namespace {

struct EventTest {
    sched::Event event;
    std::atomic<uint32_t> released{0};  // relaxed: read after the joins
};

int64_t event_waiter(void* arg) {
    auto* e = *static_cast<EventTest**>(arg);
    e->event.wait();
    e->released.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

// Whether every task in `handles` is blocked (in the event's queue, here).
bool all_blocked(TaskHandle* handles, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
        // acquire: the state is set under the queue's lock before the task switches away.
        if (handles[i].task()->state.load(std::memory_order_acquire) != sched::TaskState::blocked) return false;
    return true;
}

}  // namespace

KTEST_SCHED(sched_event_set_releases_every_waiter) {
    static EventTest e;
    e.event.reset();
    e.released.store(0, std::memory_order_relaxed);
    uint32_t n = arch::cpu_count() * 2;
    static EventTest* args[kMaxTasks];
    static TaskHandle handles[kMaxTasks];
    for (uint32_t i = 0; i < n; ++i) args[i] = &e;
    bool ok = spawn_all(handles, n, event_waiter, args, "waiter", true);
    bool blocked = ok && wait_for([&] { return all_blocked(handles, n); }, 10);
    uint32_t early = e.released.load(std::memory_order_relaxed);
    e.event.set();
    join_all(handles, n);
    KEXPECT(ok, "spawn failed");
    KEXPECT(blocked, "the waiters did not all block within 10 s");
    KEXPECT(early == 0, "%u waiters passed an unset event", early);
    KEXPECT(e.released.load(std::memory_order_relaxed) == n, "%u of %u waiters released",
            e.released.load(std::memory_order_relaxed), n);

    // A waiter arriving after set() passes without blocking. With interrupts off nothing
    // but a block could switch us out, so an unchanged switch count proves it.
    sched::Task* self = sched::current_task();
    uint64_t switches;
    {
        arch::InterruptGuard irq_off;
        switches = self->counters.switches_in.get();
        e.event.wait();
        switches = self->counters.switches_in.get() - switches;
    }
    KEXPECT(switches == 0, "a wait on a set event switched away %llu times", (unsigned long long)switches);
}

// ---------------------------------------------------------------- WaitQueue
namespace {

struct WqTest {
    sched::WaitQueue queue;
    std::atomic<uint32_t> queued{0};  // incremented under the queue's lock, just before blocking
    std::atomic<uint32_t> woken{0};  // relaxed: counters
};

int64_t wq_waiter(void* arg) {
    auto* w = *static_cast<WqTest**>(arg);
    // relaxed: the queue's lock orders it with the waker's pop.
    w->queue.wait_if([&] {
        w->queued.fetch_add(1, std::memory_order_relaxed);
        return true;
    });
    w->woken.fetch_add(1, std::memory_order_relaxed);
    return 0;
}

}  // namespace

KTEST_SCHED(sched_wait_queue_wake_one_wakes_exactly_one) {
    static WqTest w;
    w.queued.store(0, std::memory_order_relaxed);
    w.woken.store(0, std::memory_order_relaxed);
    uint32_t n = arch::cpu_count() + 3;
    static WqTest* args[kMaxTasks];
    static TaskHandle handles[kMaxTasks];
    for (uint32_t i = 0; i < n; ++i) args[i] = &w;
    bool ok = spawn_all(handles, n, wq_waiter, args, "wq", true);
    // Every waiter ran its predicate under the lock, so it is in the queue (a wake pops
    // it whether or not it has switched away yet).
    bool queued = ok && wait_for([&] { return w.queued.load(std::memory_order_relaxed) == n; }, 10);
    bool one = w.queue.wake_one();
    bool first_woke = wait_for([&] { return w.woken.load(std::memory_order_relaxed) >= 1; }, 10);
    sched::sleep_for(20'000'000);  // 20 ms for a wrongly woken second waiter to show up
    uint32_t after_one = w.woken.load(std::memory_order_relaxed);
    size_t rest = w.queue.wake_all();
    join_all(handles, n);
    KEXPECT(ok, "spawn failed");
    KEXPECT(queued, "only %u of %u waiters queued within 10 s", w.queued.load(std::memory_order_relaxed), n);
    KEXPECT(one && first_woke, "wake_one returned %d, woken task ran: %d", one, first_woke);
    KEXPECT(after_one == 1, "wake_one woke %u tasks", after_one);
    KEXPECT(rest == n - 1, "wake_all woke %u, expected %u", uint32_t(rest), n - 1);
    KEXPECT(w.woken.load(std::memory_order_relaxed) == n, "%u of %u waiters ran",
            w.woken.load(std::memory_order_relaxed), n);
    KEXPECT(w.queue.empty_approx(), "the queue is not empty after wake_all");
}

namespace {

constexpr uint32_t kTokensPerWaker = 2000;

struct RaceTest {
    sched::WaitQueue queue;
    // relaxed for tokens/done loads in the predicate: it runs under the queue's lock, and
    // a waker changes them before taking that lock (wake_one/wake_all), so a waiter either
    // sees the change or is queued before the wake pops it.
    std::atomic<uint64_t> tokens{0};
    std::atomic<uint64_t> consumed{0};
    std::atomic<bool> done{false};
    std::atomic<uint64_t> waits{0};  // times a waiter actually blocked
};

int64_t race_waker(void* arg) {
    auto* r = *static_cast<RaceTest**>(arg);
    for (uint32_t i = 0; i < kTokensPerWaker; ++i) {
        // release: pairs with the waiter's acquire CAS; the wake's lock orders it too.
        r->tokens.fetch_add(1, std::memory_order_release);
        r->queue.wake_one();
        if (i % 16 == 0) sched::yield();
    }
    return 0;
}

int64_t race_waiter(void* arg) {
    auto* r = *static_cast<RaceTest**>(arg);
    for (;;) {
        uint64_t t = r->tokens.load(std::memory_order_relaxed);
        // acquire: pairs with the waker's release increment.
        while (t > 0 &&
               !r->tokens.compare_exchange_weak(t, t - 1, std::memory_order_acquire, std::memory_order_relaxed)) {}
        if (t > 0) {
            r->consumed.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (r->done.load(std::memory_order_acquire)) return 0;  // acquire: pairs with the test's release
        if (r->queue.wait_if([&] {
                return r->tokens.load(std::memory_order_relaxed) == 0 && !r->done.load(std::memory_order_relaxed);
            }))
            r->waits.fetch_add(1, std::memory_order_relaxed);
    }
}

}  // namespace

// Wakers on every CPU add a token and wake_one; waiters on every CPU take tokens and block
// when there is none. A lost wakeup leaves tokens untaken with every waiter asleep.
KTEST_SCHED(sched_wait_queue_loses_no_wakeup_across_cpus) {
    static RaceTest r;
    r.tokens.store(0, std::memory_order_relaxed);
    r.consumed.store(0, std::memory_order_relaxed);
    r.done.store(false, std::memory_order_relaxed);
    r.waits.store(0, std::memory_order_relaxed);
    uint32_t cpus = arch::cpu_count();
    uint32_t wakers = cpus, waiters = cpus + 1;
    uint64_t total = uint64_t(wakers) * kTokensPerWaker;
    static RaceTest* args[kMaxTasks];
    static TaskHandle waker_handles[kMaxTasks], waiter_handles[kMaxTasks];
    for (uint32_t i = 0; i < kMaxTasks; ++i) args[i] = &r;
    bool ok = spawn_all(waiter_handles, waiters, race_waiter, args, "racew", true) &&
              spawn_all(waker_handles, wakers, race_waker, args, "racek", false);
    join_all(waker_handles, wakers);
    // Every token was added and followed by a wake: the waiters must take them all
    // without any further help.
    bool all = wait_for([&] { return r.consumed.load(std::memory_order_relaxed) == total; }, 10);
    r.done.store(true, std::memory_order_release);  // release: pairs with the waiters' acquire
    r.queue.wake_all();
    join_all(waiter_handles, waiters);
    KEXPECT(ok, "spawn failed");
    klog::print("  wait queue race: %llu tokens, %llu blocking waits\n", (unsigned long long)total,
                (unsigned long long)r.waits.load(std::memory_order_relaxed));
    KEXPECT(all, "%llu of %llu tokens taken within 10 s of the last wake: a wakeup was lost",
            (unsigned long long)r.consumed.load(std::memory_order_relaxed), (unsigned long long)total);
    KEXPECT(r.waits.load(std::memory_order_relaxed) > 0, "no waiter ever blocked: the race was not exercised");
}
