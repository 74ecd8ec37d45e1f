// The lockup detector (sched/watchdog.h; docs/smp.md, "Lockup detector"). Everything runs
// in the tick of some CPU (interrupts off) or in an NMI handler; nothing here allocates,
// takes a lock or waits.
//
// Who watches whom: CPU c watches the next online CPU after c in index order (the last
// one wraps to the first). Each CPU is watched by exactly one other and watches one, so
// the cost per tick is a few loads whatever the CPU count, and the ring re-forms by itself
// when CPUs go offline. A single CPU has no neighbour: a CPU whose interrupts are off has
// no tick to notice anything with, and an NMI to itself would come from the very code
// that is stuck, so at -smp 1 only soft lockups are reported (start() logs it).
//
// False alarms, and why they do not become reports. Under TCG a vCPU is a host thread,
// and on a loaded host it may not run for a long time:
//  - The whole VM stalls (all vCPU threads off the host together): the TSC, which follows
//    the host, jumps for everyone, so every heartbeat looks stalled at once. But the
//    watcher stalled too: its own looks are then far apart. A look more than g_gap_tsc
//    after the previous one is late, and counts as only g_gap_tsc of stall however late
//    it is, so one stall of the whole VM adds one gap, not a lockup. (Voiding the window
//    instead blinded the detector on a host too slow for every watcher: at -smp 64 on 2
//    cores every look was late and nothing was ever reported.)
//  - One vCPU stalls alone while its watcher runs: indistinguishable, from the outside,
//    from a CPU spinning with interrupts off. Hence two NMIs. The first (probe) only asks
//    the CPU to answer; a descheduled vCPU cannot, and when the host runs it again it
//    answers and takes its overdue timer interrupt right after, so its heartbeat moves
//    and the episode ends. Only a CPU that answers (it is running) and still has no tick
//    a quarter bound later (at least kMinConfirmNs) gets the second NMI, which prints
//    the report. The NMI handler re-checks the heartbeat the watcher saw each time: an
//    NMI that finds it moved is a stale alarm, counted and otherwise ignored.
//  - Halted CPUs have no tick to miss (a tickless halt is legal): platform::halt()
//    brackets the halt with a counter that is odd while halted, and any change of it or
//    an odd value counts as life. Offline and parked CPUs leave the online mask first, and
//    a CPU that is not online (or not in HotplugState::running) is not watched; its
//    watcher forgets its observation and starts over when it is back.
//  - A CPU printing a soft lockup report from its tick (interrupts off, slow serial) is
//    making progress: the same counter is odd meanwhile (report_soft_lockup()).
// A soft lockup is judged by the CPU itself, from its own ticks, so only the first case
// applies: the same gap rule caps what a late tick of its own counts.
#include "sched/watchdog.h"

#include <atomic>

#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/panic_report.h"
#include "arch/x86_64/percpu.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/policy/lockup.h"
#include "smp/smp.h"

namespace sched {
namespace {

constexpr uint64_t kNsPerMs = 1'000'000;
// A watcher whose own looks are further apart than this missed ticks itself (the VM or
// its vCPU stalled), so what it saw of its neighbour meanwhile proves nothing. Ticks come
// at least every timeslice on a busy CPU and every 20 ms backstop on an idle one.
constexpr uint64_t kMinGapNs = 500 * kNsPerMs;
// The wait between an answered probe and the report: a quarter of the bound, at least this.
constexpr uint64_t kMinConfirmNs = 100 * kNsPerMs;
constexpr uint64_t kRflagsInterruptsEnabled = 1u << 9;

// A request to a watched CPU's NMI handler. One at a time per CPU: a watcher claims the
// slot (idle -> claimed), writes the request and arms it (release), then sends the NMI;
// the handler reads the request and frees the slot (release).
enum class NmiSlot : uint8_t { idle, claimed, armed };
enum class Ask : uint8_t { probe, report };

struct alignas(64) CpuWatch {
    Counter heartbeat;  // +1 per tick of this CPU; its watcher reads it (single writer)
    // +1 entering and +1 leaving platform::halt(), and the same around a soft lockup report
    // printed with interrupts off: odd while in either (lockup.h's Look::quiet).
    Counter quiet;
    std::atomic<NmiSlot> slot{NmiSlot::idle};
    // relaxed: read only by a watcher deciding whether an armed slot is old enough to take
    // over (an NMI that was lost); a stale value delays that by a tick.
    std::atomic<uint64_t> slot_armed_tsc{0};
    // The request: written by the watcher that claimed the slot, published by its release
    // store of `armed`, read by this CPU's NMI handler after its acquire load.
    Ask ask = Ask::probe;
    uint64_t ask_heartbeat = 0;
    uint32_t asked_by = 0;
    uint64_t asked_stall_tsc = 0;
    // The heartbeat + 1 at which this CPU answered a probe (0: none). release by the NMI
    // handler; acquire by the watcher: the answer is about that heartbeat value.
    std::atomic<uint64_t> answered{0};
    uint64_t reported_heartbeat = ~0ull;  // NMI handler only: one report per episode
    lockup::Observation watching;  // of the neighbour; this CPU's tick only
    lockup::OwnTask own;  // of this CPU's own task; its tick only
};

CpuWatch g_watch[kMaxCpus];

// release (store in watchdog_start) / acquire (every tick): g_gap_tsc and the NMI hook
// are set up before any tick acts on them.
std::atomic<bool> g_enabled{false};
uint64_t g_gap_tsc = 0;
uint64_t g_min_confirm_tsc = 0;
// relaxed: a tunable; a tick that reads the old value judges by it once more.
std::atomic<uint64_t> g_threshold_tsc{0};
std::atomic<uint32_t> g_threshold_ms{0};

// relaxed: statistics, nothing is published through them.
std::atomic<uint64_t> g_probes_sent{0}, g_probes_answered{0}, g_reports_sent{0}, g_stale_alarms{0}, g_late_looks{0};
// The records, each published by the release increment of its count (acquire in counts()
// and last_*()). Written by one NMI handler or tick at a time in practice (one report per
// episode); a test reads them when no other lockup is going on.
watchdog::LockupRecord g_hard_record, g_soft_record;
std::atomic<uint64_t> g_hard_lockups{0}, g_soft_lockups{0};

lockup::Bounds bounds(uint64_t threshold_tsc) {
    uint64_t quarter = threshold_tsc / 4;
    return {threshold_tsc, g_gap_tsc, quarter > g_min_confirm_tsc ? quarter : g_min_confirm_tsc};
}

uint64_t ms_from_tsc(uint64_t tsc) { return platform::ns_from_tsc(tsc) / kNsPerMs; }

void fill_record(watchdog::LockupRecord& r, uint32_t cpu, uint32_t seen_by, uint64_t stall_tsc, const Task* task,
                 const InterruptFrame& frame, bool preempt_blocked) {
    r.cpu = cpu;
    r.seen_by = seen_by;
    r.stalled_ms = ms_from_tsc(stall_tsc);
    r.task_id = task ? task->id : 0;
    ksnprintf(r.task_name, sizeof r.task_name, "%s", task ? task->name : "-");
    r.interrupts_were_off = (frame.rflags & kRflagsInterruptsEnabled) == 0;
    r.preemption_was_disabled = preempt_blocked;
    r.rip = frame.rip;
    r.frame_count = ksyms::capture_backtrace(frame.rbp, r.frames, watchdog::LockupRecord::kFrames);
}

// ---------------------------------------------------------------- hard lockup: the NMI

// On the watched CPU: the request was armed, so its NMI is ours.
void report_hard_lockup(uint32_t me, uint32_t seen_by, uint64_t stall_tsc, const InterruptFrame& frame) {
    CpuSched& cpu = shared().cpu(me);
    // relaxed: our own CPU's field; the task's memory stays mapped while it is current.
    const Task* task = cpu.current.load(std::memory_order_relaxed);
    fill_record(g_hard_record, me, seen_by, stall_tsc, task, frame, preemption_blocked(cpu));
    uint64_t ms = g_hard_record.stalled_ms;
    log_error("watchdog: hard lockup on cpu %u: no timer tick for %llu.%03llu s (noticed by cpu %u), interrupts %s", me,
              (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000), seen_by,
              g_hard_record.interrupts_were_off ? "off" : "on");
    klog::print("cpu %u (apic id %u) running task '%s' (id %llu)\n", me, arch::this_cpu()->apic_id,
                g_hard_record.task_name, (unsigned long long)g_hard_record.task_id);
    arch::print_interrupted_context(frame);
    g_hard_lockups.fetch_add(1, std::memory_order_release);  // publishes g_hard_record
}

// smp's NMI hook. True when the NMI was the watchdog's.
bool on_nmi(InterruptFrame& frame) {
    uint32_t me = arch::this_cpu()->index;
    CpuWatch& w = g_watch[me];
    // acquire: pairs with the release store of `armed` in send_request(), so the request
    // fields are visible.
    NmiSlot slot = w.slot.load(std::memory_order_acquire);
    if (slot == NmiSlot::idle) return false;  // not ours: the exception policy decides
    // claimed: a watcher is taking over a slot whose NMI it thought lost, and this is that
    // late NMI; the watcher's own NMI follows with the request.
    if (slot == NmiSlot::claimed) return true;
    Ask ask = w.ask;
    uint64_t heartbeat = w.ask_heartbeat;
    uint32_t asked_by = w.asked_by;
    uint64_t stall_tsc = w.asked_stall_tsc;
    // release: pairs with the acquire CAS of the next claim; the request is read.
    w.slot.store(NmiSlot::idle, std::memory_order_release);
    if (w.heartbeat.get() != heartbeat) {
        g_stale_alarms.fetch_add(1, std::memory_order_relaxed);  // a tick came meanwhile
        return true;
    }
    if (ask == Ask::probe) {
        g_probes_answered.fetch_add(1, std::memory_order_relaxed);
        // release: pairs with the watcher's acquire load; the answer is for this heartbeat.
        w.answered.store(heartbeat + 1, std::memory_order_release);
        return true;
    }
    if (w.reported_heartbeat == heartbeat) return true;  // one report per episode
    w.reported_heartbeat = heartbeat;
    report_hard_lockup(me, asked_by, stall_tsc, frame);
    return true;
}

// On the watcher: claims `target`'s slot, writes the request, arms it and sends the NMI.
bool send_request(uint32_t from, uint32_t target, Ask ask, uint64_t heartbeat, uint64_t stall_tsc, uint64_t now,
                  uint64_t threshold_tsc) {
    CpuWatch& t = g_watch[target];
    NmiSlot expected = NmiSlot::idle;
    // acquire: pairs with the handler's release store of idle, so it has read the old request.
    if (!t.slot.compare_exchange_strong(expected, NmiSlot::claimed, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
        // Armed and never handled for two bounds: the NMI was lost; take the slot over.
        if (expected != NmiSlot::armed || now - t.slot_armed_tsc.load(std::memory_order_relaxed) < 2 * threshold_tsc)
            return false;
        // acquire: as above (a handler that ran meanwhile has moved it to idle: we fail).
        if (!t.slot.compare_exchange_strong(expected, NmiSlot::claimed, std::memory_order_acquire,
                                            std::memory_order_relaxed))
            return false;
    }
    t.ask = ask;
    t.ask_heartbeat = heartbeat;
    t.asked_by = from;
    t.asked_stall_tsc = stall_tsc;
    t.slot_armed_tsc.store(now, std::memory_order_relaxed);
    // release: pairs with the acquire load in on_nmi(); the request above is visible there.
    // The NMI itself is sent after: an xAPIC ICR write is ordered after earlier stores, and
    // the x2APIC path fences first (lapic.cpp).
    t.slot.store(NmiSlot::armed, std::memory_order_release);
    if (!smp::send_nmi(target)) {
        t.slot.store(NmiSlot::idle, std::memory_order_release);  // as the handler would
        return false;
    }
    (ask == Ask::probe ? g_probes_sent : g_reports_sent).fetch_add(1, std::memory_order_relaxed);
    return true;
}

// ---------------------------------------------------------------- hard lockup: the watcher

// The CPU `me` watches: the next online one, or kNoCpu (alone, or not online itself).
uint32_t neighbour_of(const SchedShared& s, uint32_t me) {
    // acquire: pairs with the seq_cst updates of the mask in join_scheduler() and
    // cpu_offline(); a CPU seen online has joined (its heartbeat is its own from then on).
    CpuMask online = s.online.load(std::memory_order_acquire);
    if (!online.contains(me)) return kNoCpu;
    uint32_t next = online.next(me + 1);
    if (next == kNoCpu) next = online.next(0);
    return next == me ? kNoCpu : next;
}

void watch_neighbour(CpuSched& me, uint64_t now, uint64_t threshold_tsc) {
    lockup::Observation& o = g_watch[me.index].watching;
    lockup::Look look;
    look.now = now;
    uint32_t target = neighbour_of(me.shared, me.index);
    // acquire: pairs with the release stores of the state by that CPU (hotplug.cpp). A CPU
    // on its way out or back in is not watched.
    if (target != kNoCpu && me.shared.cpu(target).hotplug.load(std::memory_order_acquire) == HotplugState::running) {
        CpuWatch& t = g_watch[target];
        look.target = target;
        look.heartbeat = t.heartbeat.get();
        look.quiet = t.quiet.get();
        // acquire: pairs with the release store of the answer in on_nmi().
        look.answered = t.answered.load(std::memory_order_acquire) == look.heartbeat + 1;
    }
    lockup::Verdict verdict = lockup::watch(o, look, bounds(threshold_tsc));
    if (verdict.late) g_late_looks.fetch_add(1, std::memory_order_relaxed);
    if (verdict.action == lockup::Action::none) return;
    Ask ask = verdict.action == lockup::Action::probe ? Ask::probe : Ask::report;
    if (send_request(me.index, target, ask, look.heartbeat, lockup::stalled_for(o), now, threshold_tsc))
        lockup::sent(o, verdict.action, now);
}

// ---------------------------------------------------------------- soft lockup

// Every pass through schedule() by a task counts one of these on its CPU: a switch, or a
// preemption or a yield that picked the same task again (run_loop.cpp).
uint64_t scheduling_points(const CpuSched& me) {
    return me.stats.context_switches.get() + me.stats.preemptions.get() + me.stats.yields.get();
}

void report_soft_lockup(CpuSched& me, const Task* task, uint64_t ran_tsc, const InterruptFrame& frame) {
    // The report is some twenty lines, printed from the tick with interrupts off. On a
    // loaded host serial output under TCG crawls (every byte is a port write that takes
    // QEMU's global lock): it took over 1.3 s at load 77, long enough for the watcher to
    // report this CPU as a hard lockup inside its own soft lockup report. Printing is
    // progress, so the CPU is quiet meanwhile, as in a halt.
    Counter& quiet = g_watch[me.index].quiet;
    quiet.add();
    fill_record(g_soft_record, me.index, me.index, ran_tsc, task, frame, preemption_blocked(me));
    uint64_t ms = g_soft_record.stalled_ms;
    log_warn("watchdog: soft lockup on cpu %u: task '%s' (id %llu) ran %llu.%03llu s without a scheduling point%s",
             me.index, task->name, (unsigned long long)task->id, (unsigned long long)(ms / 1000),
             (unsigned long long)(ms % 1000), g_soft_record.preemption_was_disabled ? " (preemption disabled)" : "");
    arch::print_interrupted_context(frame);
    quiet.add();
    g_soft_lockups.fetch_add(1, std::memory_order_release);  // publishes g_soft_record
}

void watch_own_task(CpuSched& me, const InterruptFrame& frame, uint64_t now, uint64_t threshold_tsc) {
    lockup::OwnTask& own = g_watch[me.index].own;
    // relaxed: our own CPU's field.
    const Task* task = me.current.load(std::memory_order_relaxed);
    // The idle task is never a lockup: it halts, or finds work and switches.
    const Task* watched = task != nullptr && !task->is_idle_task ? task : nullptr;
    lockup::OwnVerdict verdict =
        lockup::watch_own(own, watched, watched ? scheduling_points(me) : 0, now, bounds(threshold_tsc));
    if (verdict.late) g_late_looks.fetch_add(1, std::memory_order_relaxed);
    if (verdict.warn) report_soft_lockup(me, task, now - own.since, frame);
}

}  // namespace

// ---------------------------------------------------------------- the scheduler's side

void watchdog_tick(CpuSched& me, const InterruptFrame& frame, uint64_t now) {
    g_watch[me.index].heartbeat.add();
    // acquire: pairs with the release store in watchdog_start().
    if (!g_enabled.load(std::memory_order_acquire)) return;
    uint64_t threshold_tsc = g_threshold_tsc.load(std::memory_order_relaxed);
    watch_neighbour(me, now, threshold_tsc);
    watch_own_task(me, frame, now, threshold_tsc);
}

void watchdog_halt_begin() { g_watch[arch::this_cpu()->index].quiet.add(); }
void watchdog_halt_end() { g_watch[arch::this_cpu()->index].quiet.add(); }

void watchdog_start(uint32_t watchdog_s) {
    if (watchdog_s == 0) {
        log_info("watchdog: off");
        return;
    }
    uint64_t twice_slice = 2 * shared().config.timeslice_tsc;
    uint64_t min_gap = platform::tsc_from_ns(kMinGapNs);
    g_gap_tsc = twice_slice > min_gap ? twice_slice : min_gap;
    g_min_confirm_tsc = platform::tsc_from_ns(kMinConfirmNs);
    g_threshold_ms.store(watchdog_s * 1000, std::memory_order_relaxed);
    g_threshold_tsc.store(platform::tsc_from_ns(uint64_t(watchdog_s) * 1000 * kNsPerMs), std::memory_order_relaxed);
    smp::set_nmi_hook(&on_nmi);
    g_enabled.store(true, std::memory_order_release);  // pairs with the acquire load in watchdog_tick()
    if (shared().cpu_count == 1)
        log_info("watchdog: soft lockups reported after %u s; hard lockups need a second cpu to notice them",
                 watchdog_s);
    else
        log_info("watchdog: lockups reported after %u s (each cpu watches the next online one's tick)", watchdog_s);
}

namespace watchdog {

// acquire: pairs with the release store in watchdog_start().
bool enabled() { return g_enabled.load(std::memory_order_acquire); }

uint32_t threshold_ms() { return g_threshold_ms.load(std::memory_order_relaxed); }

uint32_t set_threshold_ms(uint32_t ms) {
    if (!enabled()) return threshold_ms();
    if (ms < kMinThresholdMs) ms = kMinThresholdMs;
    g_threshold_tsc.store(platform::tsc_from_ns(uint64_t(ms) * kNsPerMs), std::memory_order_relaxed);
    return g_threshold_ms.exchange(ms, std::memory_order_relaxed);
}

Counts counts() {
    Counts c;
    c.probes_sent = g_probes_sent.load(std::memory_order_relaxed);
    c.probes_answered = g_probes_answered.load(std::memory_order_relaxed);
    c.reports_sent = g_reports_sent.load(std::memory_order_relaxed);
    // acquire: pairs with the release increments after each record was written.
    c.hard_lockups = g_hard_lockups.load(std::memory_order_acquire);
    c.soft_lockups = g_soft_lockups.load(std::memory_order_acquire);
    c.stale_alarms = g_stale_alarms.load(std::memory_order_relaxed);
    c.late_looks = g_late_looks.load(std::memory_order_relaxed);
    return c;
}

bool last_hard_lockup(LockupRecord& out) {
    if (g_hard_lockups.load(std::memory_order_acquire) == 0) return false;  // acquire: as in counts()
    out = g_hard_record;
    return true;
}

bool last_soft_lockup(LockupRecord& out) {
    if (g_soft_lockups.load(std::memory_order_acquire) == 0) return false;  // acquire: as in counts()
    out = g_soft_record;
    return true;
}

bool LockupRecord::mentions(const char* fragment) const {
    auto contains = [fragment](uint64_t address) {
        const char* name;
        uint64_t offset;
        if (!ksyms::lookup(address, &name, &offset)) return false;
        size_t n = strlen(fragment);
        for (const char* p = name; *p; ++p)
            if (strncmp(p, fragment, n) == 0) return true;
        return false;
    };
    if (contains(rip)) return true;
    for (size_t i = 0; i < frame_count; ++i)
        if (contains(frames[i] - 1)) return true;  // the call instruction, as print_backtrace does
    return false;
}

}  // namespace watchdog
}  // namespace sched
