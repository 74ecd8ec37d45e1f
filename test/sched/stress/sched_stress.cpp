// The host scheduler stress (see sched_stress.h).
#include "stress/sched_stress.h"

#include <chrono>
#include <cstdarg>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sched/policy/run_loop.h"
#include "sched/queues/ready_queues.h"

namespace sched_stress {

namespace {

using namespace sched;
using Clock = std::chrono::steady_clock;

struct ModelTask : Task {
    // Incremented while a CPU runs the task: any value but 0 before the increment means
    // two CPUs run it at once.
    std::atomic<uint32_t> in_flight { 0 };
    uint32_t steps_left = 0; // touched only by the CPU running the task
    Rng rng;
};

constexpr uint32_t kPoolSlots = 64;

struct World {
    explicit World(const Config& c)
        : config(c)
        , shared(c.cpus)
        , ready(c.locked_queues ? static_cast<ReadyQueues*>(&locked) : &lock_free)
    {
    }

    Config config;
    SchedShared shared;
    LockFreeReadyQueues lock_free;
    LockedReadyQueues locked;
    ReadyQueues* ready;
    std::vector<std::unique_ptr<CpuSched>> cpus;

    std::mutex tasks_mutex; // the harness's allocation list, not scheduler state
    std::vector<std::unique_ptr<ModelTask>> tasks;

    // Counters: relaxed unless stated; they are read for the verdict after join().
    std::atomic<uint64_t> spawned { 0 }, completed { 0 }, steps { 0 }, wakes { 0 }, sleeps { 0 }, blocks { 0 };
    std::atomic<uint32_t> started { 0 };
    // Tasks neither blocked nor dead. seq_cst: the rescue argument in block_task().
    std::atomic<int64_t> live_unblocked { 0 };
    std::array<std::atomic<ModelTask*>, kPoolSlots> pool {}; // blocked tasks ("wait queue")

    std::vector<std::unique_ptr<Task>> idle_tasks; // one per CPU, as the kernel's

    std::atomic<bool> stop { false };
    std::mutex failure_mutex;
    std::string failure;

    void fail(const std::string& why)
    {
        {
            std::lock_guard<std::mutex> lock(failure_mutex);
            if (failure.empty())
                failure = why;
        }
        request_stop();
    }
    void request_stop()
    {
        stop.store(true, std::memory_order_release); // release: pairs with the CPU loops' acquire
        for (auto& cpu : cpus)
            platform::kick(cpu->index, cpu->latch);
    }
    bool stopping() const { return stop.load(std::memory_order_acquire); }
};

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...)
{
    char buffer[512];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(buffer, sizeof buffer, fmt, args);
    va_end(args);
    return buffer;
}

// Takes one unit of the spawn budget; false when it is used up.
bool reserve_spawn(World& w, bool successor)
{
    // relaxed: a soft cap, only shapes the load. A successor (one per exiting task) is
    // exempt, so the population stays near the cap until the budget is spent.
    if (!successor && w.config.max_live
        && uint64_t(w.live_unblocked.load(std::memory_order_relaxed)) >= w.config.max_live)
        return false;
    uint64_t n = w.spawned.load(std::memory_order_relaxed);
    do {
        if (n >= w.config.tasks)
            return false;
    } while (!w.spawned.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
}

void spawn_one(World& w, OwnerCpu& me, Rng& rng, bool successor = false)
{
    if (!reserve_spawn(w, successor))
        return;
    auto owned = std::make_unique<ModelTask>();
    ModelTask* task = owned.get();
    {
        std::lock_guard<std::mutex> lock(w.tasks_mutex);
        task->id = w.tasks.size();
        w.tasks.push_back(std::move(owned));
    }
    task->rng = Rng(rng.next() | 1);
    task->steps_left = 1 + rng.below(8);
    uint32_t kind = rng.below(100);
    if (kind < w.config.pinned_percent) {
        task->affinity = task->affinity_requested = CpuMask::single(rng.below(w.config.cpus));
    } else if (kind < w.config.pinned_percent + 3) {
        task->priority = Priority::realtime;
    } else if (kind < w.config.pinned_percent + 5) {
        task->priority = Priority::idle;
    }
    task->last_cpu = uint16_t(me.index());
    w.live_unblocked.fetch_add(1, std::memory_order_seq_cst);
    // release: the task's fields are complete for whoever picks it.
    change_state(task, TaskState::created, TaskState::ready, std::memory_order_release);
    place(me, task, PushKind::spawn, WakeHint::none);
}

// Wakes one blocked task from the pool, if any.
bool wake_one(World& w, OwnerCpu& me, Rng& rng)
{
    uint32_t start = rng.below(kPoolSlots);
    for (uint32_t k = 0; k < kPoolSlots; ++k) {
        auto& slot = w.pool[(start + k) % kPoolSlots];
        // relaxed: a hint to skip empty slots; the exchange is the claim.
        if (!slot.load(std::memory_order_relaxed))
            continue;
        // acq_rel: acquire sees the blocker's writes; release keeps the slot ours.
        ModelTask* task = slot.exchange(nullptr, std::memory_order_acq_rel);
        if (!task)
            continue;
        w.live_unblocked.fetch_add(1, std::memory_order_seq_cst);
        w.wakes.fetch_add(1, std::memory_order_relaxed);
        if (!make_ready(me, task, TaskState::blocked, WakeHint::none))
            w.fail(format("task %" PRIu64 " taken from the wait pool but not blocked", task->id));
        return true;
    }
    return false;
}

// A task leaves the "not blocked" count (blocking or exiting). If it was the last one, no
// one would ever wake the blocked tasks: wake one (every blocker's insert precedes its own
// decrement, so the decrement that reaches 0 sees every blocked task).
void leave_unblocked(World& w, OwnerCpu& me, Rng& rng)
{
    if (w.live_unblocked.fetch_sub(1, std::memory_order_seq_cst) == 1)
        wake_one(w, me, rng);
}

// Puts the running task into the pool. False if the pool is full (the task stays runnable).
bool block_task(World& w, ModelTask* task, Rng& rng)
{
    // release: pairs with the acq_rel CAS in make_ready().
    task->state.store(TaskState::blocked, std::memory_order_release);
    uint32_t start = rng.below(kPoolSlots);
    for (uint32_t k = 0; k < kPoolSlots; ++k) {
        ModelTask* expected = nullptr;
        // release: publishes the blocked state to the waker's acquire exchange.
        if (w.pool[(start + k) % kPoolSlots].compare_exchange_strong(expected, task, std::memory_order_release,
                std::memory_order_relaxed))
            return true;
    }
    task->state.store(TaskState::running, std::memory_order_relaxed); // relaxed: still ours
    return false;
}

// The kernel's switch order, which the model keeps by running the kernel's own decisions
// (sched/policy/run_loop.h): a CPU decides and dispatches its next task while it is still
// on the previous one (prev's on_cpu set), and only then releases prev. A yielded task is
// requeued before the pick and a blocked one may be woken before its CPU let go of it, so
// two CPUs can each pick what the other is leaving: the idle detour of decide_next() keeps
// them from waiting on each other, and the on_cpu watch below names the cycle if it fails.

// The watch on dispatch()'s wait (platform::OnCpuWatch): the kernel would wait for ever in
// a cycle of on_cpu waits; the bound names it. Gives up too when the run is stopping.
struct WaitWatch {
    World* w;
    uint32_t cpu;
};

bool keep_waiting(void* context, const Task& task, uint64_t since_tsc)
{
    auto* watch = static_cast<WaitWatch*>(context);
    World& w = *watch->w;
    if (w.stopping())
        return false;
    if (platform::now_tsc() - since_tsc < platform::tsc_from_ns(5'000'000'000))
        return true;
    w.fail(format("cpu %u waited 5 s for task %" PRIu64 " to leave cpu %u: a cycle of on_cpu waits", watch->cpu,
        task.id, unsigned(task.last_cpu)));
    return false;
}

// Runs one step of `task`, which dispatch() made current here. It stays on the CPU (on_cpu
// set) until release_on_cpu(). Returns why its CPU schedules next.
PickReason run_task(World& w, OwnerCpu& me, ModelTask* task, Rng& rng)
{
    TaskState state = task->state.load(std::memory_order_relaxed); // relaxed: ours while it runs
    if (state != TaskState::running)
        w.fail(format("cpu %u runs task %" PRIu64 " in state %d", me.index(), task->id, int(state)));
    if (!task->affinity.contains(me.index()))
        w.fail(format("task %" PRIu64 " (pinned) ran on cpu %u", task->id, me.index()));
    // acq_rel: a concurrent runner would have incremented first.
    if (task->in_flight.fetch_add(1, std::memory_order_acq_rel) != 0)
        w.fail(format("task %" PRIu64 " runs on two cpus at once", task->id));
    w.steps.fetch_add(1, std::memory_order_relaxed);

    PickReason reason = PickReason::yielded;
    bool exited = false;
    if (task->steps_left == 0) {
        exited = true;
        if (w.config.max_live)
            spawn_one(w, me, task->rng, true);
    } else {
        --task->steps_left;
        uint32_t action = task->rng.below(100);
        if (action < 30) {
            uint32_t children = 1 + task->rng.below(3);
            for (uint32_t i = 0; i < children; ++i)
                spawn_one(w, me, task->rng);
        } else if (action < 45) {
            if (block_task(w, task, rng))
                reason = PickReason::blocked;
        } else if (action < 65) {
            wake_one(w, me, rng);
        } else if (action < 75) {
            task->state.store(TaskState::sleeping, std::memory_order_release); // release: read at expiry
            task->deadline_tsc = platform::now_tsc() + platform::tsc_from_ns(10'000 + task->rng.below(190'000));
            me->sleepers.insert(task);
            w.sleeps.fetch_add(1, std::memory_order_relaxed);
            reason = PickReason::sleeping;
        } else if (action < 85) {
            // A timeslice end: decide_next() may send the task on to the next CPU ("The pick policy and fairness").
            reason = PickReason::preempted;
        }
    }
    task->in_flight.fetch_sub(1, std::memory_order_release); // release: pairs with the next runner's acq_rel

    if (exited) {
        task->state.store(TaskState::dead, std::memory_order_release);
        reason = PickReason::exited;
    }
    // A yielded or preempted task is requeued by decide_next(), as schedule() does.
    return reason;
}

// The harness's bookkeeping for a run that ended: a blocked task leaves the "unblocked"
// count, an exited one completes.
void account(World& w, OwnerCpu& me, PickReason reason, Rng& rng)
{
    if (reason == PickReason::blocked) {
        w.blocks.fetch_add(1, std::memory_order_relaxed);
        leave_unblocked(w, me, rng);
    } else if (reason == PickReason::exited) {
        w.completed.fetch_add(1, std::memory_order_release); // release: read by the monitor
        leave_unblocked(w, me, rng);
    }
}

// The CPU's first switch, into its idle task (the kernel's enter_idle_task()).
void enter_idle_task(CpuSched& cpu)
{
    Task* idle = cpu.idle_task;
    // relaxed: only this CPU ever runs its idle task.
    idle->on_cpu.store(true, std::memory_order_relaxed);
    idle->state.store(TaskState::running, std::memory_order_relaxed);
    idle->slice_start_tsc = platform::now_tsc();
    cpu.current.store(idle, std::memory_order_relaxed); // relaxed: read by dumps only
}

// The CPU's current task runs: a step of a model task, or one pass of the idle task (the
// kernel's idle_task_main). Returns the reason to schedule, or nothing after a halt.
std::optional<PickReason> run_current(World& w, OwnerCpu& me, Task* current, Rng& rng)
{
    if (!current->is_idle_task)
        return run_task(w, me, static_cast<ModelTask*>(current), rng);
    if (idle_step(me))
        return PickReason::idle;
    return std::nullopt;
}

// Places this CPU's roots (two tasks) before the loop starts.
void spawn_roots(World& w, OwnerCpu& me, Rng& rng)
{
    w.live_unblocked.fetch_add(1, std::memory_order_seq_cst); // the roots below must all go out
    for (int i = 0; i < 2; ++i)
        spawn_one(w, me, rng);
    leave_unblocked(w, me, rng);
    w.started.fetch_add(1, std::memory_order_release); // release: the roots are placed
}

// The kernel's schedule(), with a model task or the idle task as prev: the same decisions,
// then (instead of a stack switch) the harness's bookkeeping of prev's run. Returns the
// task this CPU is on now, or nullptr when the wait for next was given up.
Task* schedule_from(World& w, OwnerCpu& me, Task* prev, PickReason reason, Rng& rng)
{
    uint64_t now = platform::now_tsc();
    Decision decision = decide_next(me, prev, reason, now);
    if (decision.same) {
        account(w, me, reason, rng); // picked again before we left it: its run ended all the same
        return prev;
    }
    if (!dispatch(me, decision.next, now)) // still on prev, as the kernel is
        return nullptr;
    release_on_cpu(prev); // the kernel's finish_switch(), on the next task's side
    account(w, me, reason, rng);
    return decision.next;
}

void cpu_main(World& w, uint32_t index)
{
    CpuSched& cpu = *w.cpus[index];
    platform::InterruptsOff interrupts_off;
    OwnerCpu me(cpu, interrupts_off);
    WaitWatch watch { &w, index };
    platform::t_on_cpu_watch = { &keep_waiting, &watch };
    cpu.epoch.emplace(w.shared.epoch, index);
    cpu.epoch->go_online();
    Rng rng(w.config.seed * 1000003 + index + 1);
    spawn_roots(w, me, rng);
    enter_idle_task(cpu);

    Task* current = cpu.idle_task;
    while (current && !w.stopping()) {
        if (std::optional<PickReason> reason = run_current(w, me, current, rng))
            current = schedule_from(w, me, current, *reason, rng);
    }
    if (current)
        release_on_cpu(current);
    if (cpu.spinning) {
        cpu.spinning = false;
        w.shared.spinners.fetch_sub(1, std::memory_order_seq_cst);
    }
    cpu.epoch->go_offline();
    platform::t_on_cpu_watch = {};
}

// Whether `cpu`'s own queue visibly holds work placed there (lock-free: its inbox; locked:
// its queue). Atomics only: the owner lists are not safe to read from the monitor.
bool queued_here(World& w, CpuSched& cpu)
{
    return w.config.locked_queues ? w.locked.queued_approx(cpu.index) > 0 : !cpu.inbox.empty_approx();
}

std::string describe_queues(World& w)
{
    std::string text;
    for (auto& cpu : w.cpus) {
        if (w.config.locked_queues)
            text += format(" [cpu%u queued=%u halted=%u]", cpu->index, w.locked.queued_approx(cpu->index),
                cpu->latch.in_halt.load(std::memory_order_relaxed));
        else
            text += format(" [cpu%u deque=%" PRId64 " inbox=%s halted=%u]", cpu->index, cpu->stealer().size_approx(),
                cpu->inbox.empty_approx() ? "empty" : "WORK", cpu->latch.in_halt.load(std::memory_order_relaxed));
    }
    // Where the unfinished tasks are: the wait pool, and each one's state (atomics only;
    // the owner lists are not safe to read from here).
    uint32_t in_pool = 0;
    for (auto& slot : w.pool)
        in_pool += slot.load(std::memory_order_relaxed) != nullptr; // relaxed: a report
    text += format(" pool=%u live_unblocked=%" PRId64, in_pool, w.live_unblocked.load(std::memory_order_relaxed));
    std::lock_guard<std::mutex> lock(w.tasks_mutex);
    uint32_t listed = 0;
    for (auto& task : w.tasks) {
        // relaxed: a report.
        TaskState state = task->state.load(std::memory_order_relaxed);
        if (state == TaskState::dead || listed++ >= 16)
            continue;
        text += format(" [task%" PRIu64 " state=%d on_cpu=%d last_cpu=%u prio=%d pinned=%d]", task->id, int(state),
            int(task->on_cpu.load(std::memory_order_relaxed)), unsigned(task->last_cpu), int(task->priority),
            int(!task->affinity.is_all()));
    }
    return text;
}

// Watchdog and completion monitor, on the main thread.
void monitor(World& w, Clock::time_point start)
{
    struct Stall {
        bool tracking = false;
        uint64_t halts = 0;
        Clock::time_point since;
    };
    std::vector<Stall> stalls(w.cpus.size());
    uint64_t last_completed = ~uint64_t(0);
    auto last_progress = Clock::now();
    // acquire: pairs with each CPU's release after placing its roots.
    while (w.started.load(std::memory_order_acquire) < w.config.cpus && !w.stopping())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    while (!w.stopping()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        auto now = Clock::now();
        // Completion: completed first, then spawned (see the argument in the report:
        // c == s means no task was alive when c was read, so none can spawn again).
        uint64_t completed = w.completed.load(std::memory_order_acquire);
        uint64_t spawned = w.spawned.load(std::memory_order_relaxed);
        if (completed == spawned) {
            w.request_stop();
            return;
        }
        if (now - start > std::chrono::milliseconds(w.config.time_limit_ms)) {
            w.fail(format("time limit: %" PRIu64 " of %" PRIu64 " tasks completed;", completed, spawned)
                + describe_queues(w));
            return;
        }
        // No progress while every CPU sits halted: with the backstop off only a lost
        // wakeup (or a lost task) leaves work behind like this.
        uint64_t now_tsc = platform::now_tsc();
        bool all_halted = true;
        for (auto& cpu : w.cpus)
            all_halted &= cpu->latch.stuck(now_tsc);
        if (completed != last_completed || !all_halted) {
            last_completed = completed;
            last_progress = now;
        } else if (now - last_progress > std::chrono::milliseconds(w.config.stall_ms)) {
            w.fail(format("missed wakeup: every cpu halted for %llu ms with %" PRIu64 " of %" PRIu64
                          " tasks unfinished;",
                       (unsigned long long)w.config.stall_ms, spawned - completed, spawned)
                + describe_queues(w));
            return;
        }
        // Stealable work anywhere (deques, or the locked queues' stealable counts).
        bool any_deque_work = w.ready->has_stealable_work(w.shared);
        for (size_t i = 0; i < w.cpus.size(); ++i) {
            CpuSched& cpu = *w.cpus[i];
            bool halted = cpu.latch.stuck(now_tsc);
            // relaxed: instrumentation counter.
            uint64_t halts = cpu.latch.halts.load(std::memory_order_relaxed);
            bool work = any_deque_work || queued_here(w, cpu);
            Stall& s = stalls[i];
            if (!halted || !work) {
                s.tracking = false;
                continue;
            }
            if (!s.tracking || s.halts != halts) {
                s = { true, halts, now };
                continue;
            }
            auto stalled_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.since).count();
            if (uint64_t(stalled_ms) > w.config.stall_ms) {
                w.fail(format("missed wakeup: cpu %zu halted for %lld ms while work was queued;", i,
                           (long long)stalled_ms)
                    + describe_queues(w));
                return;
            }
        }
    }
}

// The kernel's make_idle_task(): never queued, pinned to its CPU.
Task* make_idle_task(World& w, uint32_t index)
{
    w.idle_tasks.push_back(std::make_unique<Task>());
    Task* idle = w.idle_tasks.back().get();
    idle->id = ~uint64_t(index);
    std::snprintf(idle->name, sizeof idle->name, "idle/%u", index);
    idle->priority = Priority::idle;
    idle->is_idle_task = true;
    idle->affinity = idle->affinity_requested = CpuMask::single(index);
    idle->last_cpu = uint16_t(index);
    // relaxed: threads start after.
    idle->state.store(TaskState::ready, std::memory_order_relaxed);
    return idle;
}

} // namespace

std::string Result::summary() const
{
    return format("%s spawned=%" PRIu64 " completed=%" PRIu64 " steps=%" PRIu64 " wakes=%" PRIu64
                  " sleeps=%" PRIu64 " blocks=%" PRIu64 " halts=%" PRIu64 " ipis=%" PRIu64 " steals=%" PRIu64
                  " skipped_polling=%" PRIu64 " rotations=%" PRIu64 " detours=%" PRIu64 " %" PRIu64 "ms",
               ok ? "PASS" : "FAIL", spawned, completed, steps, wakes, sleeps, blocks, halts, ipis_sent, steals,
               handoffs_skipped_polling, rotations, idle_detours, elapsed_ms)
        + (failure.empty() ? "" : ": " + failure); // appended whole: the buffer of format() is short
}

Result run(const Config& config)
{
    World w(config);
    w.shared.config.timeslice_tsc = platform::tsc_from_ns(1'000'000);
    w.shared.config.spin_tsc = platform::tsc_from_ns(config.spin_us * 1000);
    w.shared.config.backstop_tsc = platform::tsc_from_ns(config.backstop_ms * 1'000'000);
    w.shared.config.max_spinners = config.cpus / 4 > 1 ? config.cpus / 4 : 1;
    // Break-it: SCHED_STRESS_NO_IDLE_DETOUR=1 turns the idle detour off, to show the cycle
    // of on_cpu waits it prevents.
    w.shared.config.idle_detour = !std::getenv("SCHED_STRESS_NO_IDLE_DETOUR");
    w.shared.ready = w.ready;
    w.shared.cpu_count = config.cpus;
    // Two packages of two-thread cores, so all three victim levels exist.
    std::vector<CpuPlace> places(config.cpus);
    for (uint32_t i = 0; i < config.cpus; ++i)
        places[i] = { i / 4, (i / 2) % 2 };
    for (uint32_t i = 0; i < config.cpus; ++i) {
        w.cpus.push_back(std::make_unique<CpuSched>(w.shared, i, config.deque_capacity));
        w.cpus.back()->victims.build(i, places);
        w.cpus.back()->idle_task = make_idle_task(w, i);
        w.shared.cpus[i] = w.cpus.back().get();
        w.shared.online.add(i, std::memory_order_relaxed); // relaxed: threads start after
    }

    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (uint32_t i = 0; i < config.cpus; ++i)
        threads.emplace_back(cpu_main, std::ref(w), i);
    monitor(w, start);
    for (auto& t : threads)
        t.join();

    Result r;
    r.elapsed_ms = uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
    r.spawned = w.spawned.load();
    r.completed = w.completed.load();
    r.steps = w.steps.load();
    r.wakes = w.wakes.load();
    r.sleeps = w.sleeps.load();
    r.blocks = w.blocks.load();
    for (auto& cpu : w.cpus) {
        r.halts += cpu->stats.halts.get();
        r.ipis_sent += cpu->stats.ipis_sent.get();
        r.steals += cpu->stats.steals_succeeded.get();
        r.handoffs_skipped_polling += cpu->stats.ipis_skipped_polling.get();
        r.rotations += cpu->stats.rotations.get();
        r.idle_detours += cpu->stats.idle_detours.get();
    }
    r.failure = w.failure;
    if (r.failure.empty() && r.completed != r.spawned)
        r.failure = format("lost tasks: %" PRIu64 " spawned, %" PRIu64 " completed", r.spawned, r.completed);
    r.ok = r.failure.empty();
    return r;
}

} // namespace sched_stress
