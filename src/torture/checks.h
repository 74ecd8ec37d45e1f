// The torture's named checks (docs/reliability.md, "What each check means"). A failed check
// prints one line naming it at once ("torture: FAIL <check>: ..."), up to a few lines per
// check, and is counted; the verdict lists every check that failed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace torture {

enum class Check : uint8_t {
    exactly_once,  // a spawned task ran more or less than once, or its exit code is not its checksum
    join_count,  // spawned, started and joined totals disagree at a pause
    affinity,  // a task ran on a CPU outside its affinity
    wake_bound,  // a woken waiter ran later than the bound after its wake
    sleep_bound,  // sleep_for returned early, or later than the bound
    mutual_exclusion,  // two tasks inside one Mutex at once (or an update lost)
    epoch_progress,  // no grace period completed within the bound
    stop_bound,  // the workload did not stop within the bound (a lost wakeup, a hang)
    backend_switch,  // select_backend refused at a quiescent pause
    hotplug,  // cpu_offline/cpu_online failed where they should not
    memory_returned,  // frames, heap bytes or task stacks not back at their pre-torture values
    heap_content,  // a heap block did not hold what was written into it
    core_stress,  // the lock-free core's own stress lost, duplicated or corrupted an item, or saw a freed object
    lockup,  // the lockup detector (sched/watchdog.h) reported a hard or soft lockup during the run
};
constexpr size_t kCheckCount = 14;
const char* check_name(Check check);

void fail(Check check, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t failures(Check check);
uint64_t total_failures();
void reset_failures();  // a new run

}  // namespace torture
