// Host stress of the portable scheduler logic: CPU threads run the kernel's own run loop
// (decide_next / dispatch / release_on_cpu / idle_step of sched/policy/run_loop.h, and
// under them pick_local / steal_round / spin_for_work / idle_halt / place) with an idle
// task per CPU, on the futex platform, and tasks are
// step machines (spawn, yield, block, wake, sleep, exit). Checks: no task lost (every
// spawned task completes), none run twice (a per-task in-flight counter, and a dead or
// non-ready task is never picked), pinned tasks run only where allowed, and no wakeup is
// missed: a watchdog fails the run if a CPU stays halted while its inbox or any deque
// holds work for longer than `stall_ms`. With `backstop_ms == 0` nothing but the "The idle/wakeup protocol"
// protocol can end a halt (sleep deadlines aside), so a lost wakeup is a hang the
// watchdog names.
#pragma once
#include <cstdint>
#include <string>

namespace sched_stress {

struct Config {
    uint32_t cpus = 4;
    uint64_t tasks = 20000;      // total spawns
    uint64_t seed = 1;
    uint64_t backstop_ms = 0;    // 0: no backstop (the protocol alone wakes CPUs)
    uint64_t stall_ms = 2000;    // watchdog: halted CPU + visible work for this long fails
    uint64_t time_limit_ms = 60000;
    uint64_t deque_capacity = 8; // small, so deques grow and retire buffers
    uint64_t spin_us = 30;       // 0: never spin (every idle CPU halts)
    // Spawning stops while this many tasks are neither blocked nor dead (0: no cap). A cap
    // near the CPU count keeps CPUs going idle and waking all the time (idle churn).
    uint64_t max_live = 0;
    // Share of tasks pinned to one CPU. Pinned tasks move only through inboxes with
    // targeted wakes, and nobody else can run them: a wakeup lost there is a hang.
    uint32_t pinned_percent = 10;
    // The ready-queue variant under test (issue 5): false = LockFreeReadyQueues, true =
    // LockedReadyQueues. Everything else (placement, "The idle/wakeup protocol", the model) is the same code.
    bool locked_queues = false;
};

struct Result {
    bool ok = false;
    std::string failure; // empty when ok
    uint64_t spawned = 0, completed = 0, steps = 0, wakes = 0, sleeps = 0, blocks = 0;
    uint64_t halts = 0, ipis_sent = 0, steals = 0, handoffs_skipped_polling = 0, rotations = 0;
    uint64_t idle_detours = 0; // decide_next()'s detours (run_loop.cpp), counted by the shared code
    uint64_t elapsed_ms = 0;
    std::string summary() const;
};

Result run(const Config& config);

} // namespace sched_stress
