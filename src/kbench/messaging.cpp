// Messaging (hackbench): groups of senders and receivers over kernel wait queues. Every
// receiver owns a bounded channel (two semaphores and a short IRQ-off spinlock around the
// ring); every sender of a group sends kMsgLoops messages to every receiver of its group.
// Full and empty channels block, so the run is mostly wakeups. Total time, all messages
// counted and checksummed; at every CPU count of the scaling runs.
#include <atomic>
#include <cstdint>
#include <new>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "kbench/runs.h"
#include "lib/spinlock.h"
#include "mm/heap.h"
#include "sched/sync/semaphore.h"

namespace sched::kbench {
namespace {

constexpr uint32_t kChannelSlots = 8;
constexpr uint32_t kMsgTasks = kMsgGroups * 2 * kMsgPerSide;
constexpr uint64_t kMsgTotal = uint64_t(kMsgGroups) * kMsgPerSide * kMsgPerSide * kMsgLoops;

struct Channel {
    Semaphore items{0};
    Semaphore slots{kChannelSlots};
    Spinlock lock;
    uint64_t ring[kChannelSlots] = {};
    uint32_t head = 0, tail = 0;  // under `lock`

    void send(uint64_t value) {
        slots.down();
        {
            IrqSaveLocker guard(lock);
            ring[tail++ % kChannelSlots] = value;
        }
        items.up();
    }
    uint64_t receive() {
        items.down();
        uint64_t value;
        {
            IrqSaveLocker guard(lock);
            value = ring[head++ % kChannelSlots];
        }
        slots.up();
        return value;
    }
};

// A receiver that reads this ends early: sent only by the controller of a stopped run,
// after every sender is joined, so a complete run never carries it.
constexpr uint64_t kStopMarker = ~uint64_t(0);

struct MsgGroup {
    Channel channels[kMsgPerSide];
    uint32_t group = 0;
    uint64_t received[kMsgPerSide] = {};  // per receiver, read after join
    uint64_t checksum[kMsgPerSide] = {};
};

// Why a run stops early: the caller's flag (may be null), or a failed spawn of ours.
// relaxed loads and stores: flags polled once per loop; the joins order everything else.
struct MsgStop {
    const std::atomic<bool>* caller = nullptr;
    std::atomic<bool> spawn_failed{false};
    bool requested() const {
        return (caller && caller->load(std::memory_order_relaxed)) || spawn_failed.load(std::memory_order_relaxed);
    }
};

struct MsgArg {
    MsgGroup* group;
    uint32_t index;
    const MsgStop* stop;
};

uint64_t message_value(uint32_t group, uint32_t sender, uint32_t receiver, uint32_t loop) {
    return (uint64_t(group) << 48) | (uint64_t(sender) << 32) | (uint64_t(receiver) << 16) | loop;
}

int64_t msg_sender(void* arg) {
    auto* a = static_cast<MsgArg*>(arg);
    for (uint32_t loop = 0; loop < kMsgLoops && !a->stop->requested(); ++loop) {
        for (uint32_t r = 0; r < kMsgPerSide; ++r)
            a->group->channels[r].send(message_value(a->group->group, a->index, r, loop));
    }
    return 0;
}

int64_t msg_receiver(void* arg) {
    auto* a = static_cast<MsgArg*>(arg);
    Channel& mine = a->group->channels[a->index];
    uint64_t sum = 0, count = 0;
    for (; count < kMsgPerSide * kMsgLoops; ++count) {
        const uint64_t value = mine.receive();
        if (value == kStopMarker) break;
        sum += value;
    }
    a->group->received[a->index] = count;
    a->group->checksum[a->index] = sum;
    return 0;
}

// One run's memory, in the heap.
struct MsgMemory {
    MsgGroup* groups = nullptr;
    MsgArg* args = nullptr;
    TaskHandle* handles = nullptr;
    bool* is_receiver = nullptr;
};

void free_memory(MsgMemory& m) {
    mm::kfree(m.groups);
    mm::kfree(m.args);
    mm::kfree(m.handles);
    mm::kfree(m.is_receiver);
}

bool allocate(MsgMemory& m) {
    m.groups = static_cast<MsgGroup*>(mm::kmalloc(sizeof(MsgGroup) * kMsgGroups, alignof(MsgGroup)));
    m.args = static_cast<MsgArg*>(mm::kmalloc(sizeof(MsgArg) * kMsgTasks));
    m.handles = static_cast<TaskHandle*>(mm::kmalloc(sizeof(TaskHandle) * kMsgTasks));
    m.is_receiver = static_cast<bool*>(mm::kmalloc(sizeof(bool) * kMsgTasks));
    if (m.groups && m.args && m.handles && m.is_receiver) return true;
    log_warn("bench: messaging: no memory for %u groups", kMsgGroups);
    free_memory(m);
    return false;
}

// Builds the groups and spawns their receivers and senders; `count` is how many started.
// False when a spawn failed: the tasks already running are then told to stop.
bool spawn_groups(MsgMemory& m, uint32_t& count, MsgStop& stop) {
    for (uint32_t g = 0; g < kMsgGroups; ++g) {
        new (&m.groups[g]) MsgGroup();
        m.groups[g].group = g;
    }
    for (uint32_t g = 0; g < kMsgGroups; ++g) {
        for (uint32_t side = 0; side < 2; ++side) {
            for (uint32_t i = 0; i < kMsgPerSide; ++i) {
                m.args[count] = MsgArg{&m.groups[g], i, &stop};
                auto r = spawn(side == 0 ? msg_receiver : msg_sender, &m.args[count],
                               {.name = side == 0 ? "receiver" : "sender"});
                if (!r.ok()) {
                    log_warn("bench: messaging: spawn failed (%s); the run stops early", to_string(r.error));
                    stop.spawn_failed.store(true, std::memory_order_relaxed);  // relaxed: see MsgStop
                    return false;
                }
                new (&m.handles[count]) TaskHandle(static_cast<TaskHandle&&>(r.handle));
                m.is_receiver[count] = side == 0;
                ++count;
            }
        }
    }
    return true;
}

// What receiver r of group g sums when every message reached it.
uint64_t expected_checksum(uint32_t g, uint32_t r) {
    uint64_t sum = 0;
    for (uint32_t s = 0; s < kMsgPerSide; ++s) {
        for (uint32_t loop = 0; loop < kMsgLoops; ++loop) sum += message_value(g, s, r, loop);
    }
    return sum;
}

void count_messages(const MsgGroup* groups, MessagingResult& result) {
    bool sums_ok = true;
    for (uint32_t g = 0; g < kMsgGroups; ++g) {
        for (uint32_t r = 0; r < kMsgPerSide; ++r) {
            result.messages += groups[g].received[r];
            if (groups[g].checksum[r] != expected_checksum(g, r)) sums_ok = false;
        }
    }
    result.checksum_ok = sums_ok && result.messages == kMsgTotal;
}

// Senders first: once they are joined nothing else is sent, so a stopped run can release
// each receiver still waiting with one marker (its channel has room: nobody else sends).
// A complete run sends none, and its receivers end by their count.
void join_all(MsgMemory& m, uint32_t count, const MsgStop& stop) {
    for (uint32_t i = 0; i < count; ++i)
        if (!m.is_receiver[i]) join(m.handles[i]);
    // Read after the senders' joins: a sender that saw the stop and quit early is joined,
    // so a stop it acted on is visible here. A stop set after the last sender finished
    // sends markers nobody needs; they stay in the rings and go with the groups.
    if (stop.requested()) {
        for (uint32_t i = 0; i < count; ++i) {
            if (!m.is_receiver[i]) continue;
            const MsgArg& a = m.args[i];
            a.group->channels[a.index].send(kStopMarker);
        }
    }
    for (uint32_t i = 0; i < count; ++i)
        if (m.is_receiver[i]) join(m.handles[i]);
}

MsgRow bench_messaging() {
    const MessagingResult result = messaging_once(nullptr);
    MsgRow row;
    row.cycles = result.cycles;
    row.messages = result.messages;
    row.checksum_ok = result.checksum_ok;
    return row;
}

}  // namespace

MessagingResult messaging_once(const std::atomic<bool>* caller_stop) {
    MessagingResult result{kMsgGroups, kMsgPerSide, kMsgPerSide, 0, kMsgTotal, 0, false, false};
    MsgMemory m;
    if (!allocate(m)) {
        result.spawn_failed = true;
        return result;
    }
    MsgStop stop;
    stop.caller = caller_stop;
    uint32_t count = 0;
    const uint64_t start = arch::rdtsc();
    result.spawn_failed = !spawn_groups(m, count, stop);
    join_all(m, count, stop);
    result.cycles = arch::rdtsc() - start;
    count_messages(m.groups, result);
    for (uint32_t g = 0; g < kMsgGroups; ++g) m.groups[g].~MsgGroup();
    for (uint32_t i = 0; i < count; ++i) m.handles[i].~TaskHandle();
    free_memory(m);
    return result;
}

void run_messaging(Variants& vs, const Level& level) {
    vs.each(level.index, kLockMsg, [&](Results& res) {
        log_info("bench: sched: %s: %u cpus: messaging, %u groups of %u senders and %u receivers", res.variant,
                 level.cpus, kMsgGroups, kMsgPerSide, kMsgPerSide);
        MsgRow& row = res.msg[level.index];
        row = bench_messaging();
        for (uint32_t run = 1; run < kBestOf && row.checksum_ok; ++run) {
            MsgRow again = bench_messaging();
            if (!again.checksum_ok || again.cycles < row.cycles) row = again;
        }
        if (!row.checksum_ok) {
            log_error("bench: messaging: %llu messages, or their checksum, wrong", (unsigned long long)row.messages);
            vs.ok = false;
        }
    });
}

}  // namespace sched::kbench
