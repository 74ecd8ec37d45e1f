// What the console shows of the scheduler's insides, read-only and racy (every counter is
// a single-writer relaxed atomic). The one console file that reads sched internals, so a
// change there touches only sched_view.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

namespace console {

struct CpuView {
    bool online = false;  // in the scheduler's online set
    bool parked = false;  // offline (hotplug)
    uint64_t switches = 0, steals = 0, steal_tries = 0, halts = 0;
    uint64_t ipis_sent = 0, ipis_received = 0;  // wakeup IPIs, as the metrics dump counts them
    uint64_t idle_cycles = 0;  // spinning + halted
    uint64_t spawned = 0, exited = 0;
    // Run-queue depth now (sched::QueueDepths): the deque (the locked variant's one queue),
    // pinned list, inbox, and realtime + background lists; `split` false for the locked
    // variant, which has only the one queue.
    uint32_t deque = 0, pinned = 0, inbox = 0, other = 0;
    bool split = true;
    char current[24] = {};  // name of the task running now ("idle", ...), best effort
    uint64_t current_id = 0;
};

// One live spawned task, for `ps` (the scheduler's registry, sched/kernel/registry.h).
struct TaskView {
    uint64_t id = 0;
    char name[24] = {};
    const char* state = "";  // "running", "ready", "blocked", "sleeping", ...
    const char* klass = "";  // "realtime", "normal", "idle"
    uint32_t cpu = 0;  // where it runs, or last ran
    char affinity[20] = {};  // "all", "3", "0-2,5", "..." when long; "*" when hotplug widened it
    uint64_t cpu_us = 0;  // time on a CPU up to its last switch-out
};
struct TaskTotals {
    size_t tasks = 0, running = 0, ready = 0, blocked = 0, sleeping = 0;
};
// Fills up to `max` rows, counts every live task. From the console task only (a static
// buffer behind it).
size_t sched_task_views(TaskView* out, size_t max, TaskTotals& totals);

// Machine-wide figures for `top` (racy reads).
struct SystemView {
    uint64_t epoch = 0, epoch_pending = 0;  // the scheduler's epoch domain
    uint64_t free_frames = 0;
    uint64_t task_stacks = 0, cached_stacks = 0;
};
SystemView sched_system_view();

uint32_t sched_cpu_count();  // CPUs the scheduler knows (online or parked)
bool sched_cpu_view(uint32_t cpu, CpuView& out);
uint64_t sched_live_tasks();  // spawned - exited over all CPUs

// Exited tasks' stacks stay cached for reuse (sched/kernel/task_memory.h). Reclaims every
// dead task first (sched::drain_reclaim); then, when more than `keep` are cached, gives them
// all back to mm (sched::trim_task_memory: a call-function
// IPI to every CPU and a TLB flush) and returns how many; otherwise 0. From a task.
size_t sched_release_cached_stacks(size_t keep);

}  // namespace console
