// The scheduler timeline (issue 5, "Ready-queue variants and trace hooks"): with `trace=on` every CPU records what its
// scheduler does into its own ring of 16-byte records with TSC timestamps, and the rings
// are dumped over serial at the end of the run (docs/tracing.md; bench/trace2perfetto.py
// turns the dump into Perfetto JSON and a PNG).
//
// Portable: the hook sites in idle.cpp, placement.cpp, lockfree_queues.cpp and
// locked_queues.cpp are compiled for the host too, so the hot half (hook, ring,
// record_slow) lives here, header-only. Starting, stopping and dumping are kernel only (trace.cpp).
//
// Cost when off: one load of g_trace_on and a not-taken branch per hook; everything the
// record needs (task id, flags, the TSC) is computed behind it, in the cold out-of-line
// record_slow. `-DSCHED_TRACE=0` (`make kernel SCHED_TRACE=0`) compiles every hook out;
// bench/trace_cost.sh compares the two kernels.
//
// Ring discipline: CPU c's ring is written only by CPU c, with interrupts off (every hook
// site runs with IF=0: owner operations, the switch, the IPI hook), so a write is never
// interrupted by another write to the same ring and the writer needs no atomics. The
// recording flag and the buffer pointer are changed only on the owner too, inside a
// call-function handler (trace.cpp: restart/stop), which runs with IF=0 between two
// records, never inside one. Readers (the dump, the tests) read a ring only after stop(),
// whose call_on_all(wait=true) handshake orders every record before the read.
//
// Wrap: a full ring overwrites its oldest records. `written` counts every record since
// the last restart, so the number lost is written - capacity; the dump prints it.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"
#include "sched_platform.h"

#ifndef SCHED_TRACE
#define SCHED_TRACE 1
#endif

namespace sched::trace {

enum class Event : uint8_t {
    switch_to,  // task = the task switched to; arg = kSwitchToIdle | the reason prev left
    steal,  // task = tasks moved (0: the attempt failed); arg = victim cpu
    wake,  // task = woken task; arg = the state it left (TaskState: blocked, sleeping)
    ipi_send,  // arg = target cpu (a wakeup IPI of the "The idle/wakeup protocol" protocol)
    ipi_recv,  // a reschedule IPI arrived (wakeup, hotplug or realtime preemption)
    idle_enter,  // the CPU halts ("The idle/wakeup protocol" step 5)
    idle_exit,  // and is awake again
    migrate,  // task = task sent to another CPU's inbox; arg = that cpu
    spawn,  // task = new task; arg = index of its name in this CPU's name table
    exit,  // task = exiting task; arg = low 16 bits of its exit code
};
inline constexpr uint32_t kEventCount = 10;

// Short names, used in the dump and by bench/trace2perfetto.py.
constexpr const char* event_name(Event e) {
    constexpr const char* names[kEventCount] = {"switch",     "steal",     "wake",    "ipi_send", "ipi_recv",
                                                "idle_enter", "idle_exit", "migrate", "spawn",    "exit"};
    return uint32_t(e) < kEventCount ? names[uint32_t(e)] : "?";
}

// Set in a switch_to record when the task switched to is the CPU's idle task (whose id, 0,
// is shared with the init task).
inline constexpr uint16_t kSwitchToIdle = 0x100;

struct Record {
    uint64_t tsc;
    uint32_t task;  // low 32 bits of the task id (or a count, see Event)
    uint16_t arg;
    Event event;
    uint8_t cpu;
};
static_assert(sizeof(Record) == 16, "Ready-queue variants and trace hooks: a 16-byte record");
static_assert(kMaxCpus <= 256, "Record::cpu is 8 bits");

// One CPU's ring. Owner-only (see the file comment): plain fields.
struct alignas(64) CpuRing {
    Record* records = nullptr;
    uint64_t mask = 0;  // capacity - 1; the capacity is a power of two
    uint64_t written = 0;  // records written since the last restart; the next slot is written & mask
    bool recording = false;

    uint64_t capacity() const { return records ? mask + 1 : 0; }
    uint64_t kept() const { return written < capacity() ? written : capacity(); }
    uint64_t lost() const { return written - kept(); }  // overwritten by the wrap
    // The i-th record still in the ring, oldest first (i < kept()).
    const Record& kept_record(uint64_t i) const { return records[(written - kept() + i) & mask]; }

    void write(const Record& record) {
        records[written & mask] = record;  // a full ring overwrites its oldest record
        ++written;
    }
};

// relaxed everywhere: a switch, not a publication. The rings it guards are set up (and
// their recording flags set) before it turns true, and each owner checks its own ring's
// flag; a CPU that sees a stale value records nothing (false) or finds its flag clear
// (true after stop()). A relaxed load is a plain `cmpb` on x86, the cost of a bool.
inline std::atomic<bool> g_trace_on{false};
inline CpuRing g_rings[kMaxCpus];

[[gnu::cold, gnu::noinline]] inline void record_slow(uint32_t cpu, Event event, uint32_t task, uint16_t arg) {
    CpuRing& ring = g_rings[cpu];
    if (!ring.recording) return;
    ring.write(Record{platform::now_tsc(), task, arg, event, uint8_t(cpu)});
}

[[gnu::cold, gnu::noinline]] inline void record_task_slow(uint32_t cpu, Event event, const Task* task, uint16_t arg) {
    record_slow(cpu, event, uint32_t(task->id), arg);
}

[[gnu::cold, gnu::noinline]] inline void record_switch_slow(uint32_t cpu, const Task* next, uint8_t reason) {
    record_slow(cpu, Event::switch_to, uint32_t(next->id), uint16_t(reason | (next->is_idle_task ? kSwitchToIdle : 0)));
}

inline bool on() {
#if SCHED_TRACE
    // relaxed: see g_trace_on.
    return __builtin_expect(g_trace_on.load(std::memory_order_relaxed), 0);
#else
    return false;
#endif
}

// The hooks. Interrupts off, on CPU `cpu` itself.
inline void hook(uint32_t cpu, Event event, uint32_t value, uint16_t arg) {
    if (on()) record_slow(cpu, event, value, arg);
}
inline void hook(uint32_t cpu, Event event, const Task* task, uint16_t arg) {
    if (on()) record_task_slow(cpu, event, task, arg);
}
template <typename Reason>
inline void hook_switch(uint32_t cpu, const Task* next, Reason reason) {
    if (on()) record_switch_slow(cpu, next, uint8_t(reason));
}

// ---- kernel only (trace.cpp) ----

// Records per CPU with trace=on (1 MiB each).
inline constexpr uint32_t kBootCapacity = 64 * 1024;

// sched::start(), before any AP enters the scheduler: allocates a ring per CPU and turns
// tracing on. False (with a warning) when there is no memory or tracing is compiled out.
bool start_at_boot(uint32_t cpu_count);
// From a task: clears every ring (new ones of `capacity` records, a power of two, when the
// size changes) and records from now on. Tests use it with small rings.
bool restart(uint32_t capacity);
// From a task: stops recording on every CPU and waits until each has stopped; the rings
// can be read (g_rings[c]) and dumped afterwards. Harmless when not recording.
void stop();
// Whether a trace is being recorded, and whether one was asked for on the command line.
bool recording();
bool requested_at_boot();
// The dump (after stop()): TRACE-BEGIN (with end_tsc, when stop() began), per CPU a TRACE-CPU line, its name table (N
// lines) and its records (T lines, oldest first), TRACE-END. Serial only.
void dump();
// End of a run: if recording, stop() and dump(). True when a trace was dumped.
bool finish();
// The spawn hook: interns the task's name in this CPU's name table (kernel tasks.cpp).
void record_spawn_slow(uint32_t cpu, const Task* task);
inline void hook_spawn(uint32_t cpu, const Task* task) {
    if (on()) record_spawn_slow(cpu, task);
}

}  // namespace sched::trace
