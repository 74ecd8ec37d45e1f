// The task control block, shared by the kernel glue and the host model.
//
// API changes (S-K reads this): additions (widen_warned, for hotplug; run_prev, for the
// locked ready queues of issue 5) and one removal: registry_next/prev/list are gone, `ps`
// walks task memory instead (issue 16). Renames are announced here.
//
// A task is in exactly one place at a time: current on one CPU, an owner list
// (TaskList via run_next), a deque, an inbox (MpscNode base), a timer queue (TimerNode
// base), a wait queue (wait_next), or nowhere (in transit, dead). See "Tasks and their states".
#pragma once
#include <atomic>
#include <cstdint>

#include "core/epoch.h"
#include "core/inbox.h"
#include "sched/model/affinity_mask.h"
#include "sched/model/counter.h"
#include "sched/model/cpu_mask.h"
#include "sched/model/timer_queue.h"
#include "sched_platform.h"

namespace sched {

enum class Priority : uint8_t { realtime, normal, idle };

enum class TaskState : uint8_t {
    created,  // spawned, not yet placed
    ready,  // in a ready structure (or in transit to one)
    running,  // current on some CPU
    blocked,  // in a wait queue
    sleeping,  // in a timer queue
    dead,  // exited; memory waits for the refs and the grace period
};

// Names for logs, `ps` and the torture's dumps (one place, so every reader agrees).
constexpr const char* to_string(TaskState state) {
    switch (state) {
        case TaskState::created: return "created";
        case TaskState::ready: return "ready";
        case TaskState::running: return "running";
        case TaskState::blocked: return "blocked";
        case TaskState::sleeping: return "sleeping";
        case TaskState::dead: return "dead";
    }
    return "?";
}

constexpr const char* to_string(Priority priority) {
    switch (priority) {
        case Priority::realtime: return "realtime";
        case Priority::normal: return "normal";
        case Priority::idle: return "idle";
    }
    return "?";
}

using TaskFn = int64_t (*)(void* arg);

// Portable copy of mm::KernelStack: [bottom, top), guard page just below bottom.
struct StackRange {
    uint64_t bottom = 0;
    uint64_t top = 0;
};

struct TaskCounters {
    Counter switches_in, preemptions, yields, times_stolen, migrations, run_cycles, wakeups;
};

// What spawn() knows before its Task exists: Task(const TaskStart&, StackRange) writes
// each of these once, where a default Task and the values after it wrote them twice.
struct TaskStart {
    uint64_t id = 0;
    Priority priority = Priority::normal;
    TaskFn entry = nullptr;
    void* arg = nullptr;
    uint32_t refs = 1;  // 1 while alive + 1 per handle
};

struct alignas(64) Task : core::MpscNode, TimerNode {
    // Every field zero or its default (idle and init tasks, host tests).
    Task()
        : run_next(nullptr),
          run_prev(nullptr),
          wait_next(nullptr),
          exit_code(0),
          retire_node(),
          saved_rsp(0),
          slice_start_tsc(0),
          wake_tsc(0) {}
    // A spawned task: each field written once. Left unwritten, as the timer node: the
    // fields their users always write before they read them (a list links a task when
    // it adds it, exit() sets exit_code before the dead state that join() waits for,
    // retire() all three fields of the retire node, spawn() the saved_rsp, dispatch() the
    // slice start, make_ready() the wake stamp); 14 stores fewer per spawn. Nobody else
    // knows the task until place() publishes it, so `refs` starts as a plain
    // initialization (the relaxed store it replaces had no partner either).
    Task(const TaskStart& start, StackRange stack_range)
        : TimerNode(TimerNode::Unset{}),
          id(start.id),
          priority(start.priority),
          refs(start.refs),
          stack(stack_range),
          entry(start.entry),
          arg(start.arg) {}

    // ---- identity
    uint64_t id = 0;
    char name[24] = {};
    Priority priority = Priority::normal;
    bool is_idle_task = false;

    // ---- scheduling
    // Transitions per "Tasks and their states". blocked -> ready is a CAS by the waker (make_ready).
    // Every store of a live state (ready, running, blocked, sleeping) is a release at least:
    // `ps`'s walk over task memory (kernel registry.cpp) reads the fields spawn filled in
    // after an acquire load of it.
    std::atomic<TaskState> state{TaskState::created};
    // True from dispatch until the CPU is off this task's stack. A picker spins while it
    // is set (acquire), release_on_cpu() (finish_switch) clears it (release), once per
    // dispatch (SCHED_VERIFY "on_cpu_released_once"). Linux's p->on_cpu.
    std::atomic<bool> on_cpu{false};
    // In the ready structures (a queue, an inbox, held_next) or in transit between them:
    // set by place() and requeue_current(), cleared by pick_local(). A task enters them
    // only once at a time (SCHED_VERIFY "task_on_one_queue"). Written by whoever holds the
    // task; the pushes and picks that hand it on publish it (release/acquire).
    bool queued = false;
    // All CPUs unless restricted; an AffinityMask writes its words only for a restricted set.
    AffinityMask affinity_requested;  // what spawn asked for
    AffinityMask affinity;  // what placement uses (widened, "CPU hotplug")
    bool widened = false;
    bool widen_warned = false;  // kernel glue: this widening's warning is logged (dispatch)
    uint16_t last_cpu = 0;  // CPU it last ran on (placement prefers it for pinned tasks)

    // ---- links (each owned by the structure the task is in)
    // No initializers here (the constructors say why): every list sets them as it links.
    Task* run_next;  // TaskList (owner lists of one CPU), RunList (locked queues)
    Task* run_prev;  // RunList only (the locked variant, issue 5)
    Task* wait_next;  // WaitQueue (under its lock)

    // ---- lifetime
    std::atomic<uint32_t> refs{1};  // 1 while alive + 1 per handle
    int64_t exit_code;
    // A variant member, so that a constructor that does not name it leaves it unwritten
    // (RetireNode's own initializers would zero it): retire() writes next, epoch and
    // free_fn before it links the node, and nothing reads the node before.
    union {
        core::RetireNode retire_node;
    };

    // ---- execution (kernel glue; the host model ignores these)
    uint64_t saved_rsp;
    StackRange stack;
    TaskFn entry = nullptr;
    void* arg = nullptr;
    uint64_t slice_start_tsc;
    uint64_t wake_tsc;

    // ---- statistics, written by the CPU running the task
    TaskCounters counters;

    // True when this task may run anywhere: only such normal tasks enter a deque.
    bool stealable() const { return priority == Priority::normal && affinity.is_all(); }
};

// The edges of "Tasks and their states", for the state changes the task's owner makes (the waker's CAS, blocked
// or sleeping -> ready, is checked in make_ready()).
constexpr bool is_state_edge(TaskState from, TaskState to) {
    switch (to) {
        case TaskState::ready:
            return from == TaskState::created || from == TaskState::running;
        case TaskState::running:
            return from == TaskState::ready;
        case TaskState::blocked:
        case TaskState::sleeping:
        case TaskState::dead:
            return from == TaskState::running;
        case TaskState::created:
            return false;
    }
    return false;
}

// Moves `task`, which the caller owns, from `from` to `to`: checks the edge and that the
// task really is in `from` (SCHED_VERIFY "task_state_edge"). `order` is the store's; the
// caller names its partner.
inline void change_state(Task* task, TaskState from, TaskState to, std::memory_order order) {
    SCHED_VERIFY(is_state_edge(from, to), "task_state_edge");
    // relaxed: the caller owns the task: its state is the caller's own last write, or came
    // with the task through whatever handed it over.
    SCHED_VERIFY(task->state.load(std::memory_order_relaxed) == from, "task_state_edge");
    task->state.store(to, order);
}

inline Task* task_from_timer(TimerNode* node) { return static_cast<Task*>(node); }

}  // namespace sched
