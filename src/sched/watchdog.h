// The lockup detector (docs/smp.md, "Lockup detector"). Kernel only; on from
// sched::start() unless watchdog=off, with the bound watchdog_s= (default 10 s).
//
// Hard lockup: a CPU whose timer tick stops (interrupts off, or stuck in a handler) while
// it is online and not halted. Every CPU's tick bumps its heartbeat and looks at the next
// online CPU's (the ring). After watchdog_s without a beat it sends that CPU a probe NMI;
// once the probe is answered (the CPU runs, it is not just a vCPU the host descheduled)
// and the beat is still missing a quarter bound later, a second NMI makes that CPU print
// its registers, current task and backtrace.
//
// Soft lockup: a task that runs watchdog_s without passing a scheduling point (its CPU's
// tick finds it current with no schedule() since: preemption disabled, or a tick that
// cannot preempt). Its own CPU's tick prints a warning with its backtrace, once.
//
//   sched::watchdog::Counts before = sched::watchdog::counts();
//   ... sched::watchdog::last_hard_lockup(record) ...
#pragma once
#include <cstddef>
#include <cstdint>

namespace sched::watchdog {

bool enabled();
uint32_t threshold_ms();
// Changes the bound at run time (tests lower it to finish in seconds); returns the old
// one. Values below kMinThresholdMs are raised to it. No effect while disabled.
constexpr uint32_t kMinThresholdMs = 200;
uint32_t set_threshold_ms(uint32_t ms);

// What the detector did since boot (racy sums over the CPUs; exact once quiet).
struct Counts {
    uint64_t probes_sent = 0;  // first NMIs: a neighbour's heartbeat stalled for the bound
    uint64_t probes_answered = 0;  // ... that reached a CPU still without a tick
    uint64_t reports_sent = 0;  // second NMIs: stalled and running
    uint64_t hard_lockups = 0;  // reports printed by NMI handlers
    uint64_t soft_lockups = 0;  // warnings printed by ticks
    uint64_t stale_alarms = 0;  // NMIs that found the heartbeat moving again
    uint64_t late_looks = 0;  // looks that came late (the checker missed ticks): each counted one gap
};
Counts counts();

// One report, kept for tests (and debuggers): the CPU, its task and where it was.
struct LockupRecord {
    static constexpr size_t kFrames = 16;
    uint32_t cpu = 0;  // the CPU that locked up (hard) or ran the task (soft)
    uint32_t seen_by = 0;  // hard: the CPU whose NMI asked for the report; soft: cpu
    uint64_t stalled_ms = 0;  // how long without a tick / a scheduling point
    uint64_t task_id = 0;
    char task_name[24] = {};
    bool interrupts_were_off = false;
    bool preemption_was_disabled = false;
    uint64_t rip = 0;
    size_t frame_count = 0;
    uint64_t frames[kFrames] = {};  // return addresses, innermost first

    // True when rip or a frame lies in a function whose name contains `fragment`.
    bool mentions(const char* fragment) const;
};
// The latest report of each kind; false when there was none. Read them once the count
// in counts() has moved (its acquire load publishes the record), while no new report of
// the same kind can be written.
bool last_hard_lockup(LockupRecord& out);
bool last_soft_lockup(LockupRecord& out);

}  // namespace sched::watchdog
