#include "console/sched_view.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/log.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/kernel/registry.h"
#include "sched/kernel/task_memory.h"
#include "mm/frames.h"
#include "mm/kstack.h"
#include "sched/scheduler.h"

namespace console {
namespace {

constexpr size_t kMaxTaskViews = 64;
sched::registry::TaskInfo g_task_infos[kMaxTaskViews];  // console task only

// "all", or ranges "0-2,5"; "..." at the end when they do not fit.
void format_affinity(const CpuMask& mask, bool widened, char* out, size_t size) {
    size_t n = 0;
    const uint32_t cpus = sched_cpu_count();
    bool all = true;
    for (uint32_t c = 0; c < cpus; ++c) all = all && mask.contains(c);
    if (all) {
        n = size_t(ksnprintf(out, size, "all"));
    } else {
        out[0] = '\0';
        for (uint32_t c = mask.next(0); c < cpus && c != kNoCpu; c = mask.next(c + 1)) {
            uint32_t last = c;
            while (last + 1 < cpus && mask.contains(last + 1)) ++last;
            char range[16];
            const int len = last == c ? ksnprintf(range, sizeof range, "%s%u", n ? "," : "", c)
                                      : ksnprintf(range, sizeof range, "%s%u-%u", n ? "," : "", c, last);
            if (n + size_t(len) + 4 >= size) {
                n += size_t(ksnprintf(out + n, size - n, "..."));
                break;
            }
            n += size_t(ksnprintf(out + n, size - n, "%s", range));
            c = last;
        }
    }
    if (widened && n + 1 < size) ksnprintf(out + n, size - n, "*");
}

}  // namespace

size_t sched_task_views(TaskView* out, size_t max, TaskTotals& totals) {
    sched::registry::Totals t;
    const size_t copied = sched::registry::snapshot(g_task_infos, max < kMaxTaskViews ? max : kMaxTaskViews, t);
    const uint64_t cycles_per_us = arch::tsc_hz() / 1000000 ? arch::tsc_hz() / 1000000 : 1;
    for (size_t i = 0; i < copied; ++i) {
        const sched::registry::TaskInfo& info = g_task_infos[i];
        TaskView& view = out[i];
        view.id = info.id;
        for (size_t k = 0; k < sizeof view.name; ++k) {
            const char c = info.name[k];
            view.name[k] = c == '\0' || (c >= 0x20 && c < 0x7f) ? c : '?';
        }
        view.name[sizeof view.name - 1] = '\0';
        view.state = sched::to_string(info.state);
        view.klass = sched::to_string(info.priority);
        view.cpu = info.cpu;
        format_affinity(info.affinity, info.widened, view.affinity, sizeof view.affinity);
        view.cpu_us = info.run_cycles / cycles_per_us;
    }
    totals.tasks = t.tasks;
    totals.running = t.by_state[size_t(sched::TaskState::running)];
    totals.ready = t.by_state[size_t(sched::TaskState::ready)] + t.by_state[size_t(sched::TaskState::created)];
    totals.blocked = t.by_state[size_t(sched::TaskState::blocked)];
    totals.sleeping = t.by_state[size_t(sched::TaskState::sleeping)];
    return copied;
}

SystemView sched_system_view() {
    SystemView view;
    if (!sched::started()) return view;
    const core::EpochStats epoch = sched::shared().epoch.stats();
    view.epoch = sched::shared().epoch.epoch();
    view.epoch_pending = epoch.pending;
    view.free_frames = mm::free_frame_count();
    view.task_stacks = mm::kernel_stack_stats().in_use;
    view.cached_stacks = sched::cached_task_memory();
    return view;
}

uint32_t sched_cpu_count() { return sched::started() ? sched::shared().cpu_count : 0; }

bool sched_cpu_view(uint32_t index, CpuView& out) {
    if (index >= sched_cpu_count()) return false;
    sched::SchedShared& s = sched::shared();
    const sched::CpuSched& cpu = s.cpu(index);
    const sched::SchedStats& st = cpu.stats;
    out.online = s.online.contains(index, std::memory_order_relaxed);  // relaxed: a display
    out.parked = cpu.hotplug.load(std::memory_order_relaxed) == sched::HotplugState::parked;
    out.switches = st.context_switches.get();
    out.steals = st.steals_succeeded.get();
    out.steal_tries = st.steals_tried.get();
    out.halts = st.halts.get();
    out.ipis_sent = st.ipis_sent.get();
    out.ipis_received = st.wake_ipis_received.get();
    out.idle_cycles = st.idle_cycles.get() + st.halted_cycles.get();
    out.spawned = st.tasks_spawned.get();
    out.exited = st.tasks_exited.get();
    // Interrupts off while we hold the pointer: this CPU passes no quiescent point, so a task
    // that exits meanwhile is not freed before we are done (its grace period waits for us).
    arch::InterruptGuard irq_off;
    // Also why shared().ready cannot change under us: a backend switch rewrites it only in a
    // call-function IPI taken by every online CPU, this one too, which interrupts off hold
    // off (backend.cpp).
    const sched::QueueDepths depths = s.ready->depths_approx(s.cpu(index));
    out.deque = depths.stealable;
    out.pinned = depths.pinned;
    out.inbox = depths.inbox;
    out.other = depths.other;
    out.split = depths.split;
    const sched::Task* task = cpu.current.load(std::memory_order_acquire);  // acquire: its name is set
    out.current_id = 0;
    out.current[0] = '\0';
    if (task) {
        out.current_id = task->id;
        size_t i = 0;
        for (; i + 1 < sizeof out.current && i < sizeof task->name && task->name[i] != '\0'; ++i) {
            const char c = task->name[i];
            out.current[i] = c >= 0x20 && c < 0x7f ? c : '?';
        }
        out.current[i] = '\0';
    }
    return true;
}

size_t sched_release_cached_stacks(size_t keep) {
    if (!sched::started()) return 0;
    // The tasks of a run that just ended may still wait for their grace period on another
    // CPU (on a loaded host its vCPU can lag far behind): their stacks reach the caches
    // only when reclaimed, so reclaim first, then trim.
    sched::drain_reclaim();
    if (sched::cached_task_memory() <= keep) return 0;
    return sched::trim_task_memory();
}

uint64_t sched_live_tasks() {
    int64_t alive = 0;
    for (uint32_t i = 0; i < sched_cpu_count(); ++i) {
        const sched::SchedStats& st = sched::shared().cpu(i).stats;
        alive += int64_t(st.tasks_spawned.get()) - int64_t(st.tasks_exited.get());
    }
    return alive > 0 ? uint64_t(alive) : 0;
}

}  // namespace console
