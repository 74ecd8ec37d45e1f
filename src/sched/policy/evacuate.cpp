// Hotplug evacuation (plan §12): the CPU going offline hands every task queued on it to
// the online CPUs. Only this CPU may run owner operations on its structures, so it does
// the work itself; thieves may still steal from its deque meanwhile (harmless: a stolen
// task is simply not ours to move any more).
#include "sched/queues/ready_queues.h"

namespace sched {

size_t LockFreeReadyQueues::evacuate(OwnerCpu& me)
{
    size_t moved = 0;
    auto move = [&](Task* task) {
        place_remote(me, task);
        ++moved;
    };
    if (Task* held = me->held_next) {
        me->held_next = nullptr;
        move(held);
    }
    while (Task* task = me.deque().take())
        move(task);
    for (TaskList* list : { &me->realtime, &me->pinned, &me->background }) {
        while (Task* task = list->pop_front())
            move(task);
    }
    // The inbox last: placers that read the old online mask have finished (the caller's
    // synchronize()), so nothing new arrives after this drain. pop() may return nullptr
    // while a producer is mid-push; empty_approx() tells us to come back.
    while (!me->inbox.empty_approx()) {
        if (Task* task = me->inbox.pop())
            move(task);
        else
            platform::cpu_relax();
    }
    // Sleepers stay sleeping; the receiver's drain_inbox() files them by deadline.
    while (TimerNode* node = me->sleepers.pop_min())
        move(task_from_timer(node));
    return moved;
}

} // namespace sched
