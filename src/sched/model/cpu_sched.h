// Per-CPU run structures ("Per-CPU run structures") and the state the CPUs share.
//
// API changes (S-K reads this): additions only so far. Renames are announced here.
//
// Ownership rule: every owner-side operation (deque push/take/take_fifo, steal_batch into
// the own deque, the owner lists, sleepers, the epoch participant, stats) runs on its own
// CPU with interrupts off, and takes an OwnerCpu&, which can only be built with proof of
// that (kernel: an arch::InterruptGuard; host: once per CPU thread). An OwnerCpu is never
// kept across a context switch: after sched_switch returns, build a new one. For the deque
// the rule is a type: its owner handle is reached only through OwnerCpu::deque(); other
// CPUs get a thief view, CpuSched::stealer().
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/deque.h"
#include "core/epoch.h"
#include "core/inbox.h"
#include "sched/model/counter.h"
#include "sched/model/cpu_mask.h"
#include "sched/model/task.h"
#include "sched/model/task_list.h"
#include "sched/model/timer_queue.h"
#include "sched/model/victims.h"
#include "sched_platform.h"

namespace sched {

class ReadyQueues;

// Ticks spent in one kind of scheduler operation, and how many ran. Under QEMU's -icount
// shift=0 the TSC counts guest instructions, so these are instruction counts there
// (docs/benchmarks.md, "Kernel costs in instructions"); elsewhere TSC ticks or, on the
// host, nothing (platform::kCountOpCosts is false: no clock read on the hot paths).
// A measurement longer than kOutlierTicks is counted in `outliers` and left out of the
// sums: the operation runs with interrupts off, so only the emulator can stretch it (under
// -icount QEMU runs the vCPUs in turn on one counter, and a turn that ends mid-operation
// adds the other vCPU's whole turn; a pick or steal is a few hundred instructions).
struct OpCost {
    static constexpr uint64_t kOutlierTicks = 50'000;
    Counter count, ticks, outliers;
    static uint64_t stamp() { return platform::kCountOpCosts ? platform::now_tsc() : 0; }
    void add_since(uint64_t start) {
        if (!platform::kCountOpCosts) return;
        uint64_t spent = platform::now_tsc() - start;
        if (spent > kOutlierTicks) {
            ++outliers;
            return;
        }
        ++count;
        ticks.add(spent);
    }
};

// "Metrics". Single writer (the owner CPU); anyone may read.
struct SchedStats {
    Counter context_switches, tasks_run, tasks_started, preemptions, yields;
    Counter steals_tried, steals_succeeded, steals_lost_race;
    Counter tasks_migrated_in, tasks_migrated_out;
    Counter ipis_sent, wake_ipis_received, ipi_received_running;
    Counter ipis_skipped_awake, ipis_skipped_polling, ipis_skipped_none_idle, control_ipis;
    Counter spins, halts, idle_cycles, halted_cycles, backstop_wakeups, backstop_found_work;
    Counter idle_detours;  // picks of a task still on another CPU, taken through the idle task
    Counter realtime_preemptions;  // a running lower-class task preempted for a realtime one
    Counter reclaimed, tasks_spawned, tasks_exited, affinity_widened;
    Counter rotations;  // preempted tasks sent to the next CPU for fairness ("The pick policy and fairness")
    // A pick that found a task (steal rounds inside it included), a steal round that moved
    // work, a won wakeup (make_ready() from its CAS to the end of place()).
    OpCost pick_cost, steal_cost, wake_cost;
};

enum class HotplugState : uint8_t { running, evacuate_requested, parked, online_requested };

struct CpuSched;

// What all CPUs share. One instance (kernel: a global built in start(); host: one per test).
struct SchedShared {
    // Tuning, in platform ticks (TSC in the kernel, ns on the host).
    struct Config {
        uint64_t timeslice_tsc = 0;
        uint64_t spin_tsc = 0;  // bounded spin before halting (plan: 30 us)
        uint64_t backstop_tsc = 0;  // idle backstop (plan: 20 ms); 0 = none (host stress)
        uint32_t max_spinners = 1;  // max(1, online / 4)
        // The idle detour of decide_next() (run_loop.cpp). Off only in the host break-it
        // (sched_stress with SCHED_STRESS_NO_IDLE_DETOUR=1), which shows the cycle it prevents.
        bool idle_detour = true;
    };

    explicit SchedShared(uint32_t max_cpus) : epoch(max_cpus) {}
    SchedShared(const SchedShared&) = delete;
    SchedShared& operator=(const SchedShared&) = delete;

    core::EpochDomain epoch;  // deque buffers, retired tasks
    AtomicCpuMask online;  // the scheduler's view: placement and stealing use only these
    AtomicCpuMask halted;  // "The idle/wakeup protocol": claimable idle CPUs (a waker's fetch_and claims one)
    std::atomic<uint32_t> spinners{0};  // CPUs in spin_for_work ("Stealing and spinning")
    Config config;
    ReadyQueues* ready = nullptr;
    // Filled before any CPU runs (happens-before every CPU's start), never changed after.
    std::array<CpuSched*, kMaxCpus> cpus{};
    uint32_t cpu_count = 0;

    CpuSched& cpu(uint32_t index) const { return *cpus[index]; }
};

struct alignas(64) CpuSched {
    static constexpr size_t kDequeCapacity = 4096;

    CpuSched(SchedShared& shared_state, uint32_t cpu_index, size_t deque_capacity = kDequeCapacity)
        : shared(shared_state),
          index(cpu_index),
          m_deque(shared_state.epoch, deque_capacity),
          m_deque_owner(m_deque.owner()),
          rng(0x9e3779b97f4a7c15ull * (cpu_index + 1)) {}
    CpuSched(const CpuSched&) = delete;
    CpuSched& operator=(const CpuSched&) = delete;

    // A thief's view of this CPU's deque, for any CPU (the owner's handle: OwnerCpu::deque()).
    core::DequeStealer<Task> stealer() { return m_deque.stealer(); }

    SchedShared& shared;
    const uint32_t index;

private:
    friend class OwnerCpu;
    core::WorkStealingDeque<Task> m_deque;  // normal tasks with affinity == all, nothing else
    core::DequeOwner<Task> m_deque_owner;  // its one owner handle

public:
    core::MpscInbox<Task> inbox;  // placed here by other CPUs
    // Tasks pushed into the inbox so far (any CPU) and taken out of it (the owner): their
    // difference is the inbox's depth, for monitors only. relaxed (the placer's fetch_add,
    // the owner's Counter, the monitor's loads): nothing is published through them; the
    // inbox's own release/acquire carries the task.
    std::atomic<uint64_t> inbox_pushed{0};
    Counter inbox_taken;
    TaskList pinned, realtime, background;  // owner only, never stolen
    TimerQueue sleepers;  // owner only

    Task* idle_task = nullptr;
    // relaxed everywhere: others read it only for dumps and watchdogs.
    std::atomic<Task*> current{nullptr};
    std::optional<core::EpochParticipant> epoch;  // id == index; empty while parked ("CPU hotplug")
    std::atomic<HotplugState> hotplug{HotplugState::running};
    // Set by a placer that queued a realtime task here while a lower-class task may be
    // running; the reschedule IPI that follows preempts it (kernel: on_reschedule_ipi).
    std::atomic<bool> preempt_for_realtime{false};

    bool spinning = false;  // holds a g_spinners slot
    bool pick_pinned_first = false;  // alternation of "The pick policy and fairness" step 3
    uint64_t slice_end_tsc = 0;
    uint64_t fifo_due_tsc = 0;  // "The pick policy and fairness": a FIFO pick is forced at or after this
    uint32_t retired_since_reclaim = 0;  // put_ref(): tasks retired here since the last try_reclaim
    uint64_t armed_deadline_tsc = 0;
    // A task this CPU picked while another CPU was still switching away from it (on_cpu
    // set). The CPU then goes to its idle task first, which releases its own previous
    // task, and picks this one before anything else (pick_local()). Owner only.
    Task* held_next = nullptr;

    VictimOrder victims;
    Rng rng;
    SchedStats stats;
    platform::HaltLatch latch;
};

// Proof that the caller is CPU `cpu` with interrupts off. Not copyable; never kept across
// a switch.
class OwnerCpu {
public:
    OwnerCpu(CpuSched& cpu, const platform::InterruptsOff&) : m_cpu(cpu) {}
    OwnerCpu(const OwnerCpu&) = delete;
    OwnerCpu& operator=(const OwnerCpu&) = delete;

    CpuSched& cpu() const { return m_cpu; }
    CpuSched* operator->() const { return &m_cpu; }
    // The own deque's owner handle: push, take, take_fifo, and the target of steal_batch.
    core::DequeOwner<Task>& deque() const { return m_cpu.m_deque_owner; }
    SchedShared& shared() const { return m_cpu.shared; }
    uint32_t index() const { return m_cpu.index; }

private:
    CpuSched& m_cpu;
};

}  // namespace sched
