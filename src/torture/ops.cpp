// The operations of the workload. Each one checks what it can see for itself (checksums,
// runs, affinity, wake and sleep bounds) and counts itself; the controller (torture.cpp)
// checks the totals at every pause.
#include "torture/ops.h"

#include <atomic>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "kbench/core_stress.h"
#include "mm/heap.h"
#include "sched/model/victims.h"
#include "sched/scheduler.h"
#include "sched/sync/event.h"
#include "sched/sync/mutex.h"
#include "sched/sync/semaphore.h"
#include "torture/checks.h"
#include "torture/sched_probe.h"

namespace torture {
namespace {

using sched::CpuMask;
using sched::Priority;
using sched::Rng;
using sched::TaskHandle;

Limits g_limits;  // written by set_limits() before any worker is spawned (spawn publishes it)

// Every counter below is a statistic or a check total: relaxed. The controller reads them
// at a pause, after joining every task, and join orders each task's writes before it.
std::atomic<bool> g_stop{false};
std::atomic<uint64_t> g_ops[kOpCount];
std::atomic<uint64_t> g_spawned{0}, g_started{0}, g_joined{0};
std::atomic<int64_t> g_live{0};
std::atomic<uint64_t> g_spawn_oom{0}, g_spawn_offline{0}, g_spawn_capped{0}, g_heap_oom{0}, g_affinity_refused{0};
std::atomic<uint64_t> g_max_wake_tsc{0}, g_max_sleep_late_tsc{0};
std::atomic<uint64_t> g_core_runs{0}, g_core_rounds{0}, g_core_items{0}, g_core_refused{0};
// One core stress at a time: each starts a worker on every online CPU. acquire/release:
// a gate only; the run publishes nothing through it.
std::atomic<bool> g_core_busy{false};

// Torture tasks spawned and not yet joined, for dump_live_tasks(): a slot per task, found
// by a probe from a hash of its id. relaxed: the registry is read only to diagnose a stall.
constexpr size_t kRegistrySlots = 16384;  // above the live cap at 64 CPUs (128 each)
std::atomic<sched::Task*> g_registry[kRegistrySlots];

size_t register_task(sched::Task* task) {
    for (size_t i = 0, slot = task->id * 0x9e3779b97f4a7c15ull >> 50;; ++i, slot = (slot + 1) % kRegistrySlots) {
        sched::Task* expected = nullptr;
        if (i == kRegistrySlots) return kRegistrySlots;  // full: not registered, never in practice
        if (g_registry[slot].compare_exchange_strong(expected, task, std::memory_order_relaxed)) return slot;
    }
}

void unregister_task(size_t slot) {
    if (slot < kRegistrySlots) g_registry[slot].store(nullptr, std::memory_order_relaxed);
}

void bump(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }
void count(Op op) { bump(g_ops[size_t(op)]); }

void note_max(std::atomic<uint64_t>& max, uint64_t value) {
    uint64_t seen = max.load(std::memory_order_relaxed);
    while (value > seen && !max.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {}
}

uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t us_from_tsc(uint64_t tsc) { return tsc / (arch::tsc_hz() / 1'000'000); }

const char* task_name() {
    const sched::Task* self = sched::current_task();
    return self ? self->name : "?";
}

void check_affinity(const char* where) {
    uint32_t cpu = 0;
    bool widened = false;
    if (!running_within_affinity(cpu, widened))
        fail(Check::affinity, "%s: task '%s' runs on cpu %u outside its %s affinity", where, task_name(), cpu,
             widened ? "widened" : "requested");
}

// The waiter's side of wake_bound: `stamp` is the TSC the waker read just before it woke us
// (published to us by the primitive's own release/acquire pair).
void check_wake(const std::atomic<uint64_t>& stamp, const char* what) {
    uint64_t late = arch::rdtsc() - stamp.load(std::memory_order_relaxed);
    note_max(g_max_wake_tsc, late);
    if (late > g_limits.wake_bound_tsc)
        fail(Check::wake_bound, "%s: waiter '%s' ran %llu us after its wake (bound %llu us)", what, task_name(),
             (unsigned long long)us_from_tsc(late), (unsigned long long)us_from_tsc(g_limits.wake_bound_tsc));
}

// ---------------------------------------------------------------- spawning under the cap

// An empty handle when the live cap or spawn says no; the caller copes (runs the work
// inline or skips it) and the reason is counted.
// The registry slot of a spawned task travels with its handle.
struct Spawned {
    TaskHandle handle;
    size_t slot = kRegistrySlots;
    bool valid() const { return handle.valid(); }
};

Spawned spawn_counted(sched::TaskFn fn, void* arg, const sched::SpawnOptions& options) {
    if (g_live.fetch_add(1, std::memory_order_relaxed) >= g_limits.live_cap) {
        g_live.fetch_sub(1, std::memory_order_relaxed);
        bump(g_spawn_capped);
        return {};
    }
    sched::SpawnResult r = sched::spawn(fn, arg, options);
    if (!r.ok()) {
        g_live.fetch_sub(1, std::memory_order_relaxed);
        if (r.error == sched::SpawnError::out_of_memory)
            bump(g_spawn_oom);
        else if (r.error == sched::SpawnError::affinity_offline)
            bump(g_spawn_offline);
        else
            fail(Check::exactly_once, "spawn of '%s' failed: %s", options.name, sched::to_string(r.error));
        return {};
    }
    bump(g_spawned);
    Spawned s;
    s.slot = register_task(r.handle.task());
    s.handle = static_cast<TaskHandle&&>(r.handle);
    return s;
}

int64_t join_counted(Spawned& spawned) {
    int64_t code = sched::join(spawned.handle);
    unregister_task(spawned.slot);
    g_live.fetch_sub(1, std::memory_order_relaxed);
    bump(g_joined);
    return code;
}

// Each spawned task's first act: counts its start and its own runs (exactly_once).
void started(std::atomic<uint32_t>& runs) {
    bump(g_started);
    runs.fetch_add(1, std::memory_order_relaxed);  // relaxed: the joiner reads it after join()
    check_affinity("task start");
}

void check_runs(const std::atomic<uint32_t>& runs, const char* what) {
    uint32_t n = runs.load(std::memory_order_relaxed);  // relaxed: after join(), which orders it
    if (n != 1) fail(Check::exactly_once, "%s ran %u times before its join returned", what, n);
}

CpuMask random_mask(Rng& rng) {
    uint32_t cpus = g_limits.cpus;
    switch (rng.below(3)) {
        case 0:
            return CpuMask::all();
        case 1:
            return CpuMask::single(rng.below(cpus));  // maybe offline: spawn refuses, or widening
        default: {
            CpuMask m;
            for (uint32_t c = 0; c < cpus; ++c)
                if (rng.below(2)) m.add(c);
            if (m.empty()) m.add(rng.below(cpus));
            return m;
        }
    }
}

// ---------------------------------------------------------------- spawn

struct Carried {
    uint64_t seed = 0;
    uint8_t* payload = nullptr;
    size_t bytes = 0;
    bool yield_once = false;
    std::atomic<uint32_t> runs{0};
};

uint64_t payload_checksum(const uint8_t* p, size_t n, uint64_t seed) {
    uint64_t h = seed ^ 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

int64_t carried_main(void* arg) {
    auto* c = static_cast<Carried*>(arg);
    started(c->runs);
    if (c->yield_once) {
        sched::yield();
        check_affinity("child after yield");
    }
    return int64_t(payload_checksum(c->payload, c->bytes, c->seed));
}

void op_spawn(Rng& rng) {
    constexpr uint32_t kMax = 4;
    Carried children[kMax];
    Spawned handles[kMax];
    uint8_t fallback[kMax][64];
    uint32_t n = 1 + rng.below(kMax);
    for (uint32_t i = 0; i < n; ++i) {
        Carried& c = children[i];
        c.seed = rng.next();
        c.bytes = 16 + rng.below(2048);
        c.payload = static_cast<uint8_t*>(mm::kmalloc(c.bytes));
        if (!c.payload) {  // fail=heap:N: the payload goes on our stack instead
            bump(g_heap_oom);
            c.payload = fallback[i];
            c.bytes = sizeof fallback[i];
        }
        for (size_t b = 0; b < c.bytes; ++b) c.payload[b] = uint8_t(mix(c.seed + b));
        c.yield_once = rng.below(2);
        uint32_t roll = rng.below(20);
        Priority priority = roll == 0 ? Priority::idle : roll < 4 ? Priority::realtime : Priority::normal;
        handles[i] = spawn_counted(&carried_main, &c,
                                   {.name = "torture-child", .priority = priority, .affinity = random_mask(rng)});
    }
    for (uint32_t i = 0; i < n; ++i) {
        Carried& c = children[i];
        if (handles[i].valid()) {
            int64_t code = join_counted(handles[i]);
            check_runs(c.runs, "child");
            int64_t want = int64_t(payload_checksum(c.payload, c.bytes, c.seed));
            if (code != want)
                fail(Check::exactly_once, "child exit code %lld is not its checksum %lld", (long long)code,
                     (long long)want);
        }
        if (c.payload != fallback[i]) mm::kfree(c.payload);
    }
}

// ---------------------------------------------------------------- yield, sleep

void op_yield(Rng& rng) {
    for (uint32_t i = 1 + rng.below(8); i > 0; --i) {
        sched::yield();
        check_affinity("after yield");
    }
}

uint64_t ns_from_tsc(uint64_t tsc) {
    uint64_t hz = arch::tsc_hz();
    return tsc / hz * 1'000'000'000ull + tsc % hz * 1'000'000'000ull / hz;
}

void op_sleep(Rng& rng) {
    uint64_t ns = uint64_t(rng.below(3000)) * 1000;
    uint64_t start = arch::rdtsc();
    sched::sleep_for(ns);
    uint64_t elapsed_tsc = arch::rdtsc() - start;
    uint64_t elapsed_ns = ns_from_tsc(elapsed_tsc);
    if (elapsed_ns < ns)
        fail(Check::sleep_bound, "sleep_for(%llu ns) returned after %llu ns", (unsigned long long)ns,
             (unsigned long long)elapsed_ns);
    uint64_t asked_tsc = ns * (arch::tsc_hz() / 1'000'000) / 1000;
    uint64_t late = elapsed_tsc > asked_tsc ? elapsed_tsc - asked_tsc : 0;
    note_max(g_max_sleep_late_tsc, late);
    if (late > g_limits.sleep_bound_tsc)
        fail(Check::sleep_bound, "sleep_for(%llu us) woke %llu us late (bound %llu us)",
             (unsigned long long)(ns / 1000), (unsigned long long)us_from_tsc(late),
             (unsigned long long)us_from_tsc(g_limits.sleep_bound_tsc));
    check_affinity("after sleep");
}

// ---------------------------------------------------------------- ping-pong across CPUs

struct PingPong {
    Op kind = Op::semaphore;
    uint32_t rounds = 0;
    sched::Semaphore to_partner{0}, to_worker{0};
    sched::Event partner_go, worker_go;
    sched::Mutex mutex;
    uint64_t counter = 0;  // plain: only ever touched under `mutex`
    std::atomic<uint32_t> inside{0};  // tasks inside `mutex` now; more than one is the failure
    std::atomic<uint64_t> stamp{0};  // TSC of the last wake (see check_wake)
    std::atomic<uint32_t> runs{0};  // the partner's
};

void mutex_rounds(PingPong& p, Rng& rng) {
    for (uint32_t i = 0; i < p.rounds; ++i) {
        p.mutex.lock();
        // relaxed: a detector; the Mutex's acquire/release is what is under test.
        if (p.inside.fetch_add(1, std::memory_order_relaxed) != 0)
            fail(Check::mutual_exclusion, "two tasks inside one Mutex (task '%s')", task_name());
        ++p.counter;
        if (rng.below(4) == 0) sched::yield();  // others block on the lock meanwhile
        p.inside.fetch_sub(1, std::memory_order_relaxed);
        p.mutex.unlock();
        if (rng.below(4) == 0) sched::yield();
    }
}

// One side of a ping-pong; side 0 is the worker, which serves first.
void ping_pong_side(PingPong& p, uint32_t side, Rng& rng) {
    if (p.kind == Op::mutex) return mutex_rounds(p, rng);
    const char* what = p.kind == Op::semaphore ? "semaphore" : "event";
    for (uint32_t i = 0; i < p.rounds; ++i) {
        if (p.kind == Op::semaphore) {
            if (side == 0) {
                p.stamp.store(arch::rdtsc(), std::memory_order_relaxed);  // relaxed: up() releases it
                p.to_partner.up();
                p.to_worker.down();
                check_wake(p.stamp, what);
            } else {
                p.to_partner.down();
                check_wake(p.stamp, what);
                p.stamp.store(arch::rdtsc(), std::memory_order_relaxed);
                p.to_worker.up();
            }
        } else {
            // Each side resets the event it waited on before it sets the other's, so a set
            // of the next round can never be wiped out by the reset of this one.
            if (side == 0) {
                p.stamp.store(arch::rdtsc(), std::memory_order_relaxed);  // relaxed: set() releases it
                p.partner_go.set();
                p.worker_go.wait();
                check_wake(p.stamp, what);
                p.worker_go.reset();
            } else {
                p.partner_go.wait();
                check_wake(p.stamp, what);
                p.partner_go.reset();
                p.stamp.store(arch::rdtsc(), std::memory_order_relaxed);
                p.worker_go.set();
            }
        }
    }
}

struct PartnerArg {
    PingPong* pp;
    uint64_t seed;
};

int64_t partner_main(void* arg) {
    auto* a = static_cast<PartnerArg*>(arg);
    started(a->pp->runs);
    Rng rng(a->seed);
    ping_pong_side(*a->pp, 1, rng);
    check_affinity("partner after ping-pong");
    return int64_t(a->seed & 0x7fffffff);
}

void op_ping_pong(Op kind, Rng& rng) {
    PingPong p;
    p.kind = kind;
    p.rounds = 8 + rng.below(56);
    PartnerArg arg{&p, rng.next()};
    // Usually on another CPU than ours (the cross-CPU case), sometimes anywhere.
    uint32_t here = sched::current_cpu();
    CpuMask where = CpuMask::all();
    if (g_limits.cpus > 1 && rng.below(4) != 0)
        where = CpuMask::single((here + 1 + rng.below(g_limits.cpus - 1)) % g_limits.cpus);
    Spawned partner = spawn_counted(&partner_main, &arg, {.name = "torture-partner", .affinity = where});
    if (!partner.valid()) return;  // no partner (out of memory, its CPU offline, the cap): nothing to do
    ping_pong_side(p, 0, rng);
    int64_t code = join_counted(partner);
    check_runs(p.runs, "ping-pong partner");
    if (code != int64_t(arg.seed & 0x7fffffff))
        fail(Check::exactly_once, "partner exit code %lld is wrong", (long long)code);
    if (kind == Op::mutex && p.counter != 2ull * p.rounds)
        fail(Check::mutual_exclusion, "counter under the Mutex is %llu after 2 x %u increments",
             (unsigned long long)p.counter, p.rounds);
}

// ---------------------------------------------------------------- affinity and class

void op_affinity(Rng& rng) {
    CpuMask mask = random_mask(rng);
    if (sched::set_affinity(mask) != sched::SpawnError::none) {
        bump(g_affinity_refused);  // every CPU of it offline now
        return;
    }
    check_affinity("after set_affinity");
    for (uint32_t i = rng.below(4); i > 0; --i) {
        sched::yield();
        check_affinity("pinned, after yield");
    }
    sched::set_affinity(CpuMask::all());
    check_affinity("after set_affinity(all)");
}

void op_class(Rng& rng) {
    sched::set_priority(rng.below(2) ? Priority::realtime : Priority::idle);
    for (uint32_t i = 1 + rng.below(3); i > 0; --i) {
        volatile uint64_t sink = 0;
        for (uint32_t k = 0; k < 2000; ++k) sink = sink + mix(k);  // a little work in the class
        sched::yield();
        check_affinity("after a class change");
    }
    sched::set_priority(Priority::normal);
}

// ---------------------------------------------------------------- fork-join

uint64_t combine(uint64_t left, uint64_t right) { return mix(left ^ (right << 1 | right >> 63)); }

uint64_t tree_sequential(uint64_t seed, uint32_t depth) {
    if (depth == 0) return mix(seed);
    return combine(tree_sequential(seed * 2 + 1, depth - 1), tree_sequential(seed * 2 + 2, depth - 1));
}

struct Node {
    uint64_t seed;
    uint32_t depth;
    std::atomic<uint32_t> runs{0};
};

uint64_t tree_parallel(uint64_t seed, uint32_t depth);

int64_t node_main(void* arg) {
    auto* n = static_cast<Node*>(arg);
    started(n->runs);
    return int64_t(tree_parallel(n->seed, n->depth));
}

// Help-first: the left subtree becomes a task, we do the right one, then join.
uint64_t tree_parallel(uint64_t seed, uint32_t depth) {
    if (depth == 0) return mix(seed);
    Node left{seed * 2 + 1, depth - 1};
    Spawned handle = spawn_counted(&node_main, &left, {.name = "torture-fj"});
    uint64_t right = tree_parallel(seed * 2 + 2, depth - 1);
    uint64_t left_value;
    if (handle.valid()) {
        left_value = uint64_t(join_counted(handle));
        check_runs(left.runs, "fork-join node");
    } else {
        left_value = tree_parallel(left.seed, left.depth);  // no task: the work runs inline
    }
    return combine(left_value, right);
}

void op_forkjoin(Rng& rng) {
    uint64_t seed = rng.next() >> 8;  // room for the tree's seed arithmetic
    uint32_t depth = 4 + rng.below(7);
    uint64_t got = tree_parallel(seed, depth);
    uint64_t want = tree_sequential(seed, depth);
    if (got != want)
        fail(Check::exactly_once, "fork-join tree of depth %u returned %llx, sequential %llx", depth,
             (unsigned long long)got, (unsigned long long)want);
}

// ---------------------------------------------------------------- heap

void op_heap(Rng& rng) {
    size_t bytes = (size_t(16) << rng.below(10)) + rng.below(64);
    auto* block = static_cast<uint8_t*>(mm::kmalloc(bytes));
    if (!block) {
        bump(g_heap_oom);
        return;
    }
    uint64_t seed = rng.next();
    for (size_t i = 0; i < bytes; ++i) block[i] = uint8_t(mix(seed + i));
    sched::yield();  // maybe onto another CPU: the block must read the same there
    for (size_t i = 0; i < bytes; ++i) {
        if (block[i] != uint8_t(mix(seed + i))) {
            fail(Check::heap_content, "a %zu-byte block changed at offset %zu", bytes, i);
            break;
        }
    }
    mm::kfree(block);
}

// ---------------------------------------------------------------- the core stress

bool core_cancelled(void*) { return stopping(); }

void op_core(Rng& rng) {
    bool expected = false;
    if (!g_core_busy.compare_exchange_strong(expected, true, std::memory_order_acquire, std::memory_order_relaxed)) {
        op_yield(rng);  // another worker runs it now
        return;
    }
    workloads::CoreStressOptions options;
    options.seconds = 1;
    options.items_per_worker = 256 + rng.below(768);
    options.seed = rng.next() | 1;
    options.cancelled = &core_cancelled;  // the phase's stop ends it after the round in flight
    const workloads::CoreStressResult r = sched::kbench::run_core_stress_on_cpus(options);
    g_core_busy.store(false, std::memory_order_release);
    const workloads::CoreStressCounts& c = r.counts;
    // fail=heap:N / stack:N: its items, deques or workers could not be had. It says so
    // before it starts and frees what it took; the caller copes by going on.
    if (r.error != workloads::CoreStressError::none) {
        bump(g_core_refused);
        return;
    }
    if (r.cancelled && c.rounds == 0) return;  // stopped before a round: nothing was checked
    bump(g_core_runs);
    g_core_rounds.fetch_add(c.rounds, std::memory_order_relaxed);
    g_core_items.fetch_add(c.pushed + c.sent, std::memory_order_relaxed);
    if (!r.passed())
        fail(Check::core_stress,
             "%s: %llu rounds, lost %llu, duplicated %llu, corrupted %llu, out of order %llu, "
             "freed objects seen %llu",
             workloads::describe(r), (unsigned long long)c.rounds, (unsigned long long)c.lost,
             (unsigned long long)c.duplicated, (unsigned long long)c.corrupted, (unsigned long long)c.out_of_order,
             (unsigned long long)c.epoch_poison_seen);
}

// ---------------------------------------------------------------- the mix

struct Weight {
    Op op;
    uint32_t weight;
};
constexpr Weight kMix[] = {
    {Op::spawn, 20},   {Op::yield, 10}, {Op::sleep, 10},   {Op::mutex, 6}, {Op::semaphore, 6}, {Op::event, 6},
    {Op::affinity, 8}, {Op::klass, 6},  {Op::forkjoin, 4}, {Op::heap, 10}, {Op::core, 2},
};

Op pick(Rng& rng) {
    uint32_t total = 0;
    for (const Weight& w : kMix) total += w.weight;
    uint32_t roll = rng.below(total);
    for (const Weight& w : kMix) {
        if (roll < w.weight) return w.op;
        roll -= w.weight;
    }
    return Op::yield;
}

void run_op(Op op, Rng& rng) {
    switch (op) {
        case Op::spawn:
            return op_spawn(rng);
        case Op::yield:
            return op_yield(rng);
        case Op::sleep:
            return op_sleep(rng);
        case Op::mutex:
        case Op::semaphore:
        case Op::event:
            return op_ping_pong(op, rng);
        case Op::affinity:
            return op_affinity(rng);
        case Op::klass:
            return op_class(rng);
        case Op::forkjoin:
            return op_forkjoin(rng);
        case Op::heap:
            return op_heap(rng);
        case Op::core:
            return op_core(rng);
    }
}

}  // namespace

const char* op_name(Op op) {
    switch (op) {
        case Op::spawn:
            return "spawn";
        case Op::yield:
            return "yield";
        case Op::sleep:
            return "sleep";
        case Op::mutex:
            return "mutex";
        case Op::semaphore:
            return "sem";
        case Op::event:
            return "event";
        case Op::affinity:
            return "affinity";
        case Op::klass:
            return "class";
        case Op::forkjoin:
            return "forkjoin";
        case Op::heap:
            return "heap";
        case Op::core:
            return "core";
    }
    return "?";
}

void set_limits(const Limits& limits) { g_limits = limits; }

int64_t worker_checksum(const WorkerArg& arg) { return int64_t(mix(arg.seed) >> 1); }

int64_t worker_main(void* arg) {
    auto* w = static_cast<WorkerArg*>(arg);
    Rng rng(mix(w->seed));
    check_affinity("worker start");
    // relaxed: the flag only ends the loop; each operation is complete in itself.
    while (!g_stop.load(std::memory_order_relaxed)) {
        Op op = pick(rng);
        w->doing.store(op_name(op), std::memory_order_relaxed);
        run_op(op, rng);
        count(op);
    }
    w->doing.store("done", std::memory_order_relaxed);
    return worker_checksum(*w);
}

void start_workers() { g_stop.store(false, std::memory_order_relaxed); }  // relaxed: see worker_main
void stop_workers() { g_stop.store(true, std::memory_order_relaxed); }
bool stopping() { return g_stop.load(std::memory_order_relaxed); }

OpTotals op_totals() {
    OpTotals t;
    for (size_t i = 0; i < kOpCount; ++i) t.ops[i] = g_ops[i].load(std::memory_order_relaxed);
    t.spawned = g_spawned.load(std::memory_order_relaxed);
    t.started = g_started.load(std::memory_order_relaxed);
    t.joined = g_joined.load(std::memory_order_relaxed);
    t.live = g_live.load(std::memory_order_relaxed);
    t.spawn_oom = g_spawn_oom.load(std::memory_order_relaxed);
    t.spawn_offline = g_spawn_offline.load(std::memory_order_relaxed);
    t.spawn_capped = g_spawn_capped.load(std::memory_order_relaxed);
    t.heap_oom = g_heap_oom.load(std::memory_order_relaxed);
    t.affinity_refused = g_affinity_refused.load(std::memory_order_relaxed);
    t.max_wake_tsc = g_max_wake_tsc.load(std::memory_order_relaxed);
    t.max_sleep_late_tsc = g_max_sleep_late_tsc.load(std::memory_order_relaxed);
    t.core_runs = g_core_runs.load(std::memory_order_relaxed);
    t.core_rounds = g_core_rounds.load(std::memory_order_relaxed);
    t.core_items = g_core_items.load(std::memory_order_relaxed);
    t.core_refused = g_core_refused.load(std::memory_order_relaxed);
    return t;
}

void reset_op_totals() {
    for (auto& op : g_ops) op.store(0, std::memory_order_relaxed);
    for (auto* c : {&g_spawned, &g_started, &g_joined, &g_spawn_oom, &g_spawn_offline, &g_spawn_capped, &g_heap_oom,
                    &g_affinity_refused, &g_max_wake_tsc, &g_max_sleep_late_tsc, &g_core_runs, &g_core_rounds,
                    &g_core_items, &g_core_refused})
        c->store(0, std::memory_order_relaxed);
    g_live.store(0, std::memory_order_relaxed);
}

void dump_live_tasks() {
    for (const auto& slot : g_registry) {
        const sched::Task* task = slot.load(std::memory_order_relaxed);
        if (task) dump_task("live", task);
    }
}

}  // namespace torture
