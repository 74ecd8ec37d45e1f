// The lock-free ready queues: pick policy ("The pick policy and fairness"), stealing ("Stealing and spinning"), and the walk of an
// evacuation ("CPU hotplug").
#include "sched/queues/ready_queues.h"
#include "sched/trace/trace.h"

namespace sched {

void LockFreeReadyQueues::push_local(OwnerCpu& me, Task* task, PushKind) {
    if (task->priority == Priority::realtime) {
        me->realtime.push_back(task);
    } else if (task->priority == Priority::idle) {
        me->background.push_back(task);
    } else if (!task->stealable()) {
        // A deque cannot skip its middle, so a task that may not run everywhere never
        // enters one (DESIGN §3).
        me->pinned.push_back(task);
    } else {
        push_stealable(me, task);
    }
}

void LockFreeReadyQueues::push_remote(CpuSched& target, Task* task) {
    target.inbox_pushed.fetch_add(1, std::memory_order_relaxed);  // relaxed: a monitor's count (cpu_sched.h)
    target.inbox.push(task);
}

QueueDepths LockFreeReadyQueues::depths_approx(CpuSched& cpu) {
    QueueDepths d;
    const uint64_t taken = cpu.inbox_taken.get();
    const uint64_t pushed = cpu.inbox_pushed.load(std::memory_order_relaxed);  // relaxed: a hint
    const int64_t deque = cpu.stealer().size_approx();
    d.stealable = deque > 0 ? uint32_t(deque) : 0;
    d.pinned = uint32_t(cpu.pinned.size());
    d.inbox = pushed > taken ? uint32_t(pushed - taken) : 0;
    d.other = uint32_t(cpu.realtime.size() + cpu.background.size());
    return d;
}

void LockFreeReadyQueues::drain_inbox(OwnerCpu& me) {
    for (uint32_t i = 0; i < kInboxDrainMax; ++i) {
        Task* task = me->inbox.pop();
        if (!task) return;
        ++me->inbox_taken;
        ++me->stats.tasks_migrated_in;
        // acquire: pairs with the release store of the state by whoever placed it (a
        // sleeping task moved by evacuation keeps sleeping here).
        if (task->state.load(std::memory_order_acquire) == TaskState::sleeping) {
            me->sleepers.insert(task);
            continue;
        }
        if (!task->affinity.contains(me.index())) {
            // Its affinity changed (or this CPU is going away) since it was sent here.
            place_again(me, task);
            continue;
        }
        push_local(me, task, PushKind::wake);
    }
}

// Inlined into pick_own(), its one caller (as a call it was a frame per pick).
[[gnu::always_inline]] inline Task* LockFreeReadyQueues::take_deque(OwnerCpu& me, PickReason reason) {
    // "The pick policy and fairness" (fifo_pick_due()): FIFO is take_fifo(), a self-steal from the top.
    if (fifo_pick_due(me, reason)) return me.deque().take_fifo();
    return me.deque().take();
}

Task* LockFreeReadyQueues::pick_own(OwnerCpu& me, PickReason reason) {
    // The call only when something is linked: most picks find the inbox empty.
    if (!me->inbox.nothing_to_pop()) drain_inbox(me);
    if (Task* task = me->realtime.pop_front()) return task;
    bool have_pinned = !me->pinned.empty();
    if (have_pinned && (me->pick_pinned_first || me.deque().size_approx() == 0)) {
        me->pick_pinned_first = false;
        return me->pinned.pop_front();
    }
    if (Task* task = take_deque(me, reason)) {
        me->pick_pinned_first = have_pinned;
        return task;
    }
    return me->pinned.pop_front();  // the deque was emptied by thieves meanwhile
}

Task* LockFreeReadyQueues::pick_background(OwnerCpu& me) { return me->background.pop_front(); }

bool LockFreeReadyQueues::steal_round(OwnerCpu& me) {
    SchedShared& shared = me.shared();
    // acquire: pairs with the seq_cst update in cpu_online(): a CPU seen online has its
    // structures set up. (A stale view is harmless: an offline CPU's deque is drained.)
    CpuMask online = shared.online.load(std::memory_order_acquire);
    size_t moved = 0;
    me->victims.for_each(me->rng, [&](uint32_t victim_index) {
        if (!online.contains(victim_index) || victim_index >= shared.cpu_count) return false;
        core::DequeStealer<Task> victim = shared.cpu(victim_index).stealer();
        int64_t size = victim.size_approx();  // a hint: skip victims that look empty
        if (size == 0) return false;
        ++me->stats.steals_tried;
        if (size >= int64_t(kBatchThreshold)) {
            moved = victim.steal_batch(me.deque(), kBatchMax);
        } else {
            for (int attempt = 0; attempt < 2 && moved == 0; ++attempt) {
                core::StealResult<Task> r = victim.steal();
                if (r.status == core::StealStatus::success) {
                    push_local(me, r.item, PushKind::wake);
                    moved = 1;
                } else if (r.status == core::StealStatus::lost_race) {
                    ++me->stats.steals_lost_race;
                } else {
                    break;
                }
            }
        }
        trace::hook(me.index(), trace::Event::steal, uint32_t(moved), uint16_t(victim_index));
        if (moved) ++me->stats.steals_succeeded;
        return moved > 0;
    });
    // The batch is now in our deque, which is stealable work published without a wake:
    // announce it, so an idle CPU helps instead of waiting for the next push.
    if (moved > 1) notify_stealable(me);
    return moved > 0;
}

bool LockFreeReadyQueues::has_stealable_work(SchedShared& shared) {
    // Called after a full fence ("The idle/wakeup protocol"): the hint loads of size_approx() are ordered by it
    // (TSan: by the RMW that synchronized with the publisher).
    // acquire: as in steal_round().
    CpuMask online = shared.online.load(std::memory_order_acquire);
    for (uint32_t c = online.next(0); c != kNoCpu && c < shared.cpu_count; c = online.next(c + 1)) {
        if (shared.cpu(c).stealer().size_approx() > 0) return true;
    }
    return false;
}

bool LockFreeReadyQueues::has_queued_work(CpuSched& cpu) {
    return !cpu.inbox.empty_approx() || !cpu.realtime.empty() || !cpu.pinned.empty() || !cpu.background.empty() ||
           cpu.stealer().size_approx() > 0;
}

bool LockFreeReadyQueues::has_waiting_work(OwnerCpu& me) {
    // Owner-side reads, apart from the inbox hint: an item that lands just after only
    // waits a slice.
    CpuSched& cpu = me.cpu();
    return me.deque().size_approx() != 0 || !cpu.inbox.empty_approx() || !cpu.pinned.empty() || !cpu.realtime.empty();
}

size_t LockFreeReadyQueues::evacuate_queued(OwnerCpu& me) {
    size_t moved = 0;
    auto move = [&](Task* task) {
        place_remote(me, task);
        ++moved;
    };
    while (Task* task = me.deque().take()) move(task);
    for (TaskList* list : {&me->realtime, &me->pinned, &me->background}) {
        while (Task* task = list->pop_front()) move(task);
    }
    // The inbox last: placers that read the old online mask have finished (the caller's
    // synchronize()), so nothing new arrives after this drain. pop() may return nullptr
    // while a producer is mid-push; empty_approx() tells us to come back.
    while (!me->inbox.empty_approx()) {
        if (Task* task = me->inbox.pop()) {
            ++me->inbox_taken;
            move(task);
        } else {
            platform::cpu_relax();
        }
    }
    return moved;
}

}  // namespace sched
