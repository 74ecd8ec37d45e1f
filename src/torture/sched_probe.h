// What the torture reads of the scheduler's insides: totals of the per-CPU counters, the
// epoch statistics and the online set. Racy sums of single-writer counters, read-only. The
// one torture file that includes sched internals, as console/sched_view does for the console.
#pragma once
#include <cstdint>

#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"

namespace torture {

struct SchedTotals {
    uint64_t switches = 0, spawned = 0, exited = 0, steals = 0, migrations_in = 0;
    uint64_t wake_ipis_sent = 0, backstop_wakeups = 0;
    uint64_t backstop_rescues = 0;  // halts the backstop ended with a dropped wakeup's work waiting
    uint64_t affinity_widened = 0, realtime_preemptions = 0, reclaimed = 0;
    uint64_t epoch = 0, epoch_advances = 0, epoch_pending = 0;
};
SchedTotals sched_totals();

uint32_t sched_cpu_count();  // CPUs the scheduler knows (online or parked)
sched::CpuMask sched_online();  // the scheduler's online set (acquire)
// The calling task runs on a CPU its affinity allows: its requested set, or, while it is
// widened (every requested CPU went offline), the set placement widened it to. Fills in
// the CPU and whether the task was widened.
bool running_within_affinity(uint32_t& cpu, bool& widened);
// Hands every cached task stack back to mm (sched's trim_task_memory), so stack and frame
// counts can be compared with the pre-torture ones. Nothing may spawn meanwhile.
size_t release_task_memory();
// For a stalled run: one line per CPU (scheduler and hotplug state, halted bit, what its
// queues hold) and one per task given (state, on_cpu, queued, CPU, class, affinity).
// Racy reads of a stopped system; for diagnosis only.
void dump_cpus();
void dump_task(const char* label, const sched::Task* task);

}  // namespace torture
