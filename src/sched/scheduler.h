// The scheduler's public API ("Tasks and their states"): kernel tasks with their own guarded stacks, run by
// per-CPU work-stealing ready structures. Kernel only; the portable queueing logic behind
// it is in ready_queues.h.
//
//   auto r = sched::spawn(worker, &arg, {.name = "worker"});
//   if (!r.ok()) ...;                          // r.error says why
//   int64_t code = sched::join(r.handle);
//
// Every function here may be called only by a task (after start()), with interrupts on
// unless said otherwise.
#pragma once
#include <cstdint>

#include "sched/config.h"
#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"

namespace sched {

struct SpawnOptions {
    const char* name = "task";
    Priority priority = Priority::normal;
    CpuMask affinity = CpuMask::all();
    bool detached = false;  // no handle: the task's memory goes when it exits
};

enum class SpawnError : uint8_t { none, out_of_memory, empty_affinity, affinity_offline };
const char* to_string(SpawnError error);

// Owns one reference to a task ("Exit, join and reclamation"): the task's memory outlives every handle.
// Move-only; dropping it without join() detaches the task.
class TaskHandle {
public:
    TaskHandle() = default;
    explicit TaskHandle(Task* task) : m_task(task) {}
    TaskHandle(TaskHandle&& other) : m_task(other.m_task) { other.m_task = nullptr; }
    // Inline, as reset()'s empty case: moving a handle, or destroying a moved-from or
    // joined one, is no call.
    TaskHandle& operator=(TaskHandle&& other) {
        if (this != &other) {
            reset();
            m_task = other.m_task;
            other.m_task = nullptr;
        }
        return *this;
    }
    TaskHandle(const TaskHandle&) = delete;
    TaskHandle& operator=(const TaskHandle&) = delete;
    ~TaskHandle() { reset(); }

    bool valid() const { return m_task != nullptr; }
    Task* task() const { return m_task; }
    // Drops the reference.
    void reset() {
        if (m_task) drop();
    }

private:
    void drop();  // reset() of a handle that holds a task

    Task* m_task = nullptr;
};

struct SpawnResult {
    TaskHandle handle;  // empty for a detached task or on error
    SpawnError error = SpawnError::none;
    bool ok() const { return error == SpawnError::none; }
};

// On the BSP, once: builds the per-CPU structures, makes the calling context the "init"
// task (pinned to CPU 0) and returns as that task. APs join with ap_main (step 5).
void start(const Config& config);
bool started();

SpawnResult spawn(TaskFn entry, void* arg, const SpawnOptions& options = {});
[[noreturn]] void exit(int64_t code);
// Waits until the task has exited and returns its code; consumes the handle.
int64_t join(TaskHandle& handle);
void yield();
// Sleeps at least `ns` nanoseconds (never less; 0 is yield()). "Preemption, timers and sleep".
void sleep_for(uint64_t ns);

// CPU hotplug ("CPU hotplug"). Offline: CPU n stops taking work, everything queued on it moves
// to online CPUs, it leaves the epoch set and parks. Online brings a parked CPU back. A
// task pinned only to offline CPUs is widened to the online ones with a logged warning
// and returns to its own set when one of them is back.
enum class HotplugError : uint8_t { none, boot_cpu, no_such_cpu, not_online, not_parked, busy, not_started };
const char* to_string(HotplugError error);
HotplugError cpu_offline(uint32_t cpu);
HotplugError cpu_online(uint32_t cpu);

// Preemption ("Preemption, timers and sleep"). Between preempt_disable() and the matching
// preempt_enable() neither the tick nor a reschedule IPI switches the calling task away:
// it stays on this CPU, interrupts on, until it enables preemption again, and a
// preemption that came due meanwhile happens then. Nests. The task must not yield, sleep,
// wait or exit in between (SCHED_VERIFY "switch_with_preemption_disabled"). A long spin
// in here is what the soft lockup detector reports (sched/watchdog.h).
void preempt_disable();
void preempt_enable();
class PreemptGuard {
public:
    PreemptGuard() { preempt_disable(); }
    ~PreemptGuard() { preempt_enable(); }
    PreemptGuard(const PreemptGuard&) = delete;
    PreemptGuard& operator=(const PreemptGuard&) = delete;
};
// The calling task's own affinity and class, changed at once: the task yields, and
// requeue_current() moves it if this CPU is no longer allowed. A task changes only itself,
// so nobody else ever sees a queued task change under it. set_affinity refuses an empty set
// (empty_affinity) and one with no CPU online (affinity_offline), changing nothing; a set
// whose CPUs all go offline later is widened like a spawned one ("CPU hotplug").
SpawnError set_affinity(const CpuMask& affinity);
void set_priority(Priority priority);

Task* current_task();
uint32_t current_cpu();  // may be stale as soon as it returns, unless pinned

// For tests: passes quiescent points and reclaims on this CPU until no retired object is
// pending (or a bound of rounds passes). True when nothing is pending.
bool drain_reclaim();

// The ready-queue variant (issue 5; docs/scheduler.md "The locked variant"). sched= picks
// it at boot. select_backend() switches within a boot, for the init task when the system
// is quiescent: no spawned task alive (per-CPU tasks_spawned - tasks_exited is 0), every
// other CPU in its idle task, nothing queued or sleeping anywhere. Otherwise it logs one
// line saying why and returns false. Selecting the active variant returns true at once.
bool select_backend(Backend kind);
const char* backend_name();  // "lockfree" or "locked"
// The locked variant's queue-lock acquisitions since boot, and how many of them found the
// lock held (racy sums; for benchmarks on a quiet system).
struct QueueLockCounts {
    uint64_t taken = 0, contended = 0;
};
QueueLockCounts locked_queue_lock_counts();

// The boot demo (demo=on): a fork-join fib over every CPU, then dump_metrics().
void run_demo();

// Per-CPU counters, totals and epoch statistics on the console.
void dump_metrics();
// What each CPU runs, then dump_metrics(): the test watchdog's dump.
void dump_state();

}  // namespace sched
