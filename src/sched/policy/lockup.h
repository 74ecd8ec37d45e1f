// The lockup detector's judgments (docs/smp.md, "Lockup detector"), portable: the kernel's
// watchdog (sched/kernel/watchdog.cpp) feeds them what a tick sees and acts on the verdict
// (sends the NMI, prints the warning); the host tests (test/sched/lockup_test.cpp) feed
// them timelines: a CPU with interrupts off, a vCPU the host stopped, the whole VM stopped,
// a halted or an offline CPU. Times are in one clock's ticks (TSC in the kernel).
#pragma once
#include <cstdint>

namespace sched::lockup {

struct Bounds {
    uint64_t threshold = 0;  // watchdog_s: this long without a tick / a scheduling point
    // A watcher whose own looks are further apart than this missed ticks itself (the VM,
    // or its vCPU, stalled), so what it saw meanwhile proves little: such a late look
    // counts as only `gap` of stall, however late it is. On a host too slow for every
    // watcher, detection slows down with the host (threshold / gap late looks) instead of
    // stopping, and a single long stop of the whole VM counts as one gap, not a lockup.
    uint64_t gap = 0;
    // After the stalled CPU answered the probe (so it runs), how long its tick may still
    // be missing before the report: a descheduled vCPU that runs again takes its overdue
    // timer interrupt at once.
    uint64_t confirm = 0;
};

constexpr uint32_t kNoTarget = ~uint32_t(0);

// ---------------------------------------------------------------- hard lockup

// What a watcher sees of its neighbour at one of its ticks.
struct Look {
    uint32_t target = kNoTarget;  // kNoTarget: nobody to watch (alone, or the neighbour is
        // offline or between hotplug states)
    uint64_t now = 0;
    uint64_t heartbeat = 0;  // the neighbour's tick count
    // +1 entering and leaving a state without ticks that is not a lockup (a halt; printing
    // a lockup report with interrupts off): odd while in it.
    uint64_t quiet = 0;
    bool answered = false;  // the neighbour answered a probe at this very heartbeat
};

// The watcher's memory of its neighbour, between its ticks.
struct Observation {
    uint32_t target = kNoTarget;
    uint64_t heartbeat = 0;
    uint64_t quiet = 0;
    uint64_t alive = 0;  // when the neighbour last showed life
    uint64_t look = 0;  // the previous look
    uint64_t probe = 0;  // when the probe of this stall was sent (0: not yet)
    uint64_t answer = 0;  // when the answer was first seen (0: not yet)
    bool reported = false;  // the report of this stall was sent
};

enum class Action : uint8_t { none, probe, report };

struct Verdict {
    Action action = Action::none;
    bool late = false;  // the watcher itself missed ticks: this look counted as one gap
};

// How far a look overran the gap bound after the previous one (0: on time). Moving a
// window's timestamps forward by it makes the late look count as exactly `gap`.
inline uint64_t overrun(uint64_t previous_look, uint64_t now, const Bounds& b) {
    uint64_t elapsed = now - previous_look;
    return elapsed > b.gap ? elapsed - b.gap : 0;
}

// Moves one timestamp forward by an overrun; 0 stays 0 ("not yet").
inline void shift(uint64_t& stamp, uint64_t by) {
    if (stamp != 0) stamp += by;
}

// One look. The caller sends what the verdict asks for and, when the NMI went out, calls
// sent() (a send can fail: another watcher holds the target's request slot).
inline Verdict watch(Observation& o, const Look& look, const Bounds& b) {
    Verdict v;
    if (look.target == kNoTarget) {
        o.target = kNoTarget;  // when the neighbour is back, its window starts afresh
        return v;
    }
    bool alive = look.heartbeat != o.heartbeat || look.quiet != o.quiet || (look.quiet & 1) != 0;
    if (look.target != o.target || alive) {
        o = Observation{look.target, look.heartbeat, look.quiet, look.now, look.now, 0, 0, false};
        return v;
    }
    if (uint64_t by = overrun(o.look, look.now, b)) {
        v.late = true;
        o.alive += by;
        shift(o.probe, by);
        shift(o.answer, by);
    }
    o.look = look.now;
    if (look.now - o.alive < b.threshold || o.reported) return v;
    if (!look.answered) {
        // Not answered (yet): the CPU may not be running at all. Probe again after a bound.
        if (o.probe == 0 || look.now - o.probe >= b.threshold) v.action = Action::probe;
        return v;
    }
    if (o.answer == 0) o.answer = look.now;
    if (look.now - o.answer >= b.confirm) v.action = Action::report;
    return v;
}

inline void sent(Observation& o, Action action, uint64_t now) {
    if (action == Action::probe) o.probe = now;
    if (action == Action::report) o.reported = true;
}

// How long the neighbour has gone without a sign of life, as of the last look.
inline uint64_t stalled_for(const Observation& o) { return o.look - o.alive; }

// ---------------------------------------------------------------- soft lockup

// A CPU's memory of its own current task, between its ticks.
struct OwnTask {
    const void* task = nullptr;  // nullptr: idle (never a lockup)
    uint64_t points = 0;  // scheduling points passed on this CPU so far
    uint64_t since = 0;  // current without one since then
    uint64_t tick = 0;  // the previous tick
    bool warned = false;  // one warning per episode
};

struct OwnVerdict {
    bool warn = false;
    bool late = false;  // this tick came late: it counted as one gap
};

// One tick: `task` is the CPU's current task (nullptr for its idle task), `points` its
// count of scheduling points. An episode ends at the next scheduling point or another
// task; a late tick (a gap in the CPU's own ticks: the VM or the vCPU stalled) counts as
// one gap of running, however late it is.
inline OwnVerdict watch_own(OwnTask& own, const void* task, uint64_t points, uint64_t now, const Bounds& b) {
    OwnVerdict v;
    if (task == nullptr) {
        own.task = nullptr;
        return v;
    }
    bool same = task == own.task && points == own.points;
    uint64_t by = overrun(own.tick, now, b);
    own.tick = now;
    if (!same) {
        own = OwnTask{task, points, now, now, false};
        return v;
    }
    if (by != 0) {
        v.late = true;
        own.since += by;
    }
    if (own.warned || now - own.since < b.threshold) return v;
    own.warned = true;
    v.warn = true;
    return v;
}

}  // namespace sched::lockup
