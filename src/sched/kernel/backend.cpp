// The two ready-queue variants ("Ready-queue variants and trace hooks") and switching between them: sched= at boot, and
// select_backend() within one boot while the system is quiescent (bench=all runs every
// benchmark under both).
//
// The swap is a rendezvous in a call-function IPI on every CPU (Linux's stop_machine in
// miniature). Handlers run with IF=0 at a point where their CPU had interrupts on, and
// every ReadyQueues operation runs with IF=0 from start to end, so no CPU is inside one.
// Every CPU announces its arrival and then waits; the last to arrive checks quiescence on
// a stopped system and, if it holds, stores the new pointer; then all leave. Merely
// storing the pointer and waiting for call_on_all() would not do: a CPU still inside an
// operation of the old variant (an idle re-check, "The idle/wakeup protocol") could miss work the first placers
// put into the new one, and the plain pointer would be read while written.
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/log.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "smp/smp.h"

namespace sched {
namespace {

// Built by the global constructors (no allocation).
LockFreeReadyQueues g_lock_free_queues;
LockedReadyQueues g_locked_queues;

const char* name_of(const ReadyQueues* queues) { return queues == &g_locked_queues ? "locked" : "lockfree"; }

enum class Verdict : uint8_t { pending, swapped, refused };

struct SwapRequest {
    ReadyQueues* next = nullptr;
    Task* caller = nullptr;  // the task calling select_backend (init)
    uint32_t cpus = 0;  // CPUs that run swap_on_each_cpu (every CPU smp knows)
    std::atomic<uint32_t> arrived{0};
    std::atomic<Verdict> verdict{Verdict::pending};
    char reason[112] = {};  // written by the leader before its release of the verdict
};

// Quiescence, checked by the last CPU to arrive while every other CPU waits in the
// rendezvous: their owner-only structures are not changing, and the arrivals' release
// RMWs make their last writes visible to the leader's acquire RMW. Empty when quiescent.
bool quiescent(SwapRequest& req) {
    SchedShared& s = shared();
    int64_t alive = 0;
    for (uint32_t i = 0; i < s.cpu_count; ++i)
        alive += int64_t(s.cpu(i).stats.tasks_spawned.get()) - int64_t(s.cpu(i).stats.tasks_exited.get());
    if (alive != 0) {
        ksnprintf(req.reason, sizeof req.reason, "%lld spawned tasks are still alive", (long long)alive);
        return false;
    }
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        CpuSched& cpu = s.cpu(i);
        // relaxed: cpu i is stopped in the rendezvous (see above).
        Task* running = cpu.current.load(std::memory_order_relaxed);
        if (running != cpu.idle_task && running != req.caller) {
            ksnprintf(req.reason, sizeof req.reason, "cpu %u runs task '%s'", i, running ? running->name : "?");
            return false;
        }
        if (s.ready->has_local_work(cpu) || req.next->has_local_work(cpu)) {
            ksnprintf(req.reason, sizeof req.reason, "tasks are queued on cpu %u", i);
            return false;
        }
        if (cpu.sleepers.next_deadline() != ~uint64_t(0)) {
            ksnprintf(req.reason, sizeof req.reason, "tasks sleep on cpu %u", i);
            return false;
        }
    }
    return true;
}

void swap_on_each_cpu(void* arg) {
    auto& req = *static_cast<SwapRequest*>(arg);
    // acq_rel: release publishes this CPU's last scheduler writes to the leader; acquire
    // (for the leader, whose RMW reads the end of the release sequence) sees them all.
    if (req.arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == req.cpus) {
        bool ok = quiescent(req);
        if (ok) shared().ready = req.next;  // nobody reads it now: every CPU is here
        // release: pairs with the acquire loads below and in select_backend(): the new
        // pointer (or the reason) is visible before anyone leaves.
        req.verdict.store(ok ? Verdict::swapped : Verdict::refused, std::memory_order_release);
        return;
    }
    // acquire: pairs with the leader's release store of the verdict.
    while (req.verdict.load(std::memory_order_acquire) == Verdict::pending) arch::cpu_relax();
}

}  // namespace

ReadyQueues& ready_queues_for(Backend kind) {
    if (kind == Backend::locked) return g_locked_queues;
    return g_lock_free_queues;
}

const char* backend_name() { return started() ? name_of(shared().ready) : "none"; }

QueueLockCounts locked_queue_lock_counts() {
    LockedReadyQueues::LockStats s = g_locked_queues.lock_stats();
    return QueueLockCounts{s.taken, s.contended};
}

bool select_backend(Backend kind) {
    const char* wanted = kind == Backend::locked ? "locked" : "lockfree";
    if (!started()) {
        log_warn("sched: select_backend(%s) refused: the scheduler is not started", wanted);
        return false;
    }
    ReadyQueues* next = &ready_queues_for(kind);
    // Only a swap writes the pointer, and every CPU (ours included) takes part in it, so
    // this read cannot overlap one.
    if (shared().ready == next) return true;
    SwapRequest req;
    req.next = next;
    req.caller = current_task();
    req.cpus = arch::cpu_count();  // call_on_all()'s targets
    smp::call_on_all(&swap_on_each_cpu, &req, true);
    // acquire: pairs with the leader's release store (call_on's wait orders it too).
    if (req.verdict.load(std::memory_order_acquire) != Verdict::swapped) {
        log_warn("sched: select_backend(%s) refused: %s; still %s", wanted, req.reason, backend_name());
        return false;
    }
    log_info("sched: ready queues now %s", wanted);
    return true;
}

}  // namespace sched
