// What both ready-queue variants share (issue 12): the held-next hand-off, the order of
// the local pick ("The pick policy and fairness"), and the idle re-check ("The idle/wakeup protocol" step 3); the frame of an evacuation is in
// policy/evacuate.cpp. The variants differ only in their structures, reached through the
// protected hooks of ReadyQueues.
#include "sched/queues/ready_queues.h"

namespace sched {

Task* ReadyQueues::pick_beyond_own(OwnerCpu& me) {
    if (steal(me)) {
        if (Task* task = pick_own(me, PickReason::idle)) return unqueued(task);
    }
    return unqueued(pick_background(me));
}

bool ReadyQueues::steal(OwnerCpu& me) {
    uint64_t start = OpCost::stamp();
    if (!steal_round(me)) return false;
    me->stats.steal_cost.add_since(start);
    return true;
}

bool ReadyQueues::has_local_work(CpuSched& cpu) { return cpu.held_next || has_queued_work(cpu); }

bool ReadyQueues::has_work_for(CpuSched& cpu) {
    if (has_local_work(cpu) || cpu.sleepers.next_deadline() <= platform::now_tsc()) return true;
    // acquire: pairs with the release store of the request ("CPU hotplug").
    if (cpu.hotplug.load(std::memory_order_acquire) != HotplugState::running) return true;
    return has_stealable_work(cpu.shared);
}

}  // namespace sched
