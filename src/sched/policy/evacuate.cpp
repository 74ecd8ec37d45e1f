// Hotplug evacuation ("CPU hotplug"): the CPU going offline hands every task queued on it to
// the online CPUs. Only this CPU may run owner operations on its structures, so it does
// the work itself; thieves may still steal from its deque meanwhile (harmless: a stolen
// task is simply not ours to move any more). The variants walk their own structures
// (evacuate_queued()); the held-next task and the sleepers are the same for both.
#include "sched/queues/ready_queues.h"

namespace sched {

size_t ReadyQueues::evacuate(OwnerCpu& me) {
    size_t moved = 0;
    if (Task* held = take_held_next(me)) {
        place_remote(me, held);
        ++moved;
    }
    moved += evacuate_queued(me);
    // Sleepers stay sleeping; the receiver files them by deadline (lock-free: drain_inbox();
    // locked: file_sleepers()).
    while (TimerNode* node = me->sleepers.pop_min()) {
        place_remote(me, task_from_timer(node));
        ++moved;
    }
    return moved;
}

}  // namespace sched
