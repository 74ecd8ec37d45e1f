#pragma once
// Our fork-join executor for the host benchmarks: one core::WorkStealingDeque per worker
// thread (the very header the kernel scheduler uses), thieves pick random victims, and a
// joiner whose job was stolen helps by stealing instead of blocking. The calling thread of
// run() is worker 0; workers 1..n-1 are threads pinned to CPUs 1..n-1.
#include "core/deque.h"
#include "core/epoch.h"
#include "deque/item.h"
#include "forkjoin/job.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace bench {

class WorkStealingExecutor {
public:
    static constexpr char const* name = "ours";

    explicit WorkStealingExecutor(std::size_t workers);
    ~WorkStealingExecutor();
    WorkStealingExecutor(WorkStealingExecutor const&) = delete;
    WorkStealingExecutor& operator=(WorkStealingExecutor const&) = delete;

    // Runs root on the calling thread (as worker 0) while the other workers steal from it.
    template<class Root>
    void run(Root&& root)
    {
        begin_run();
        root();
        end_run();
    }

    // Must be called from inside run(): a runs here, b is offered to thieves.
    template<class A, class B>
    void join(A&& a, B&& b)
    {
        Worker& self = *t_current_worker;
        StackJob<B> job_b(b);
        if (self.deque.push(&job_b) != core::PushResult::ok) {
            // Out of memory for a bigger deque: nothing to share, run both here.
            a();
            b();
            return;
        }
        a();
        // Everything a() pushed has been joined, so the newest job is job_b unless stolen.
        if (self.deque.take() == &job_b) {
            b();
            return;
        }
        help_until_done(self, job_b);
    }

private:
    struct Worker {
        Worker(core::EpochDomain&, std::uint32_t index);

        // Online (QSBR) while a run is on: steals need a section, and quiescent() between
        // jobs is two plain loads. Offline while parked, so it never holds epochs back.
        core::EpochParticipant epoch;
        core::WorkStealingDeque<Job> storage;
        core::DequeOwner<Job> deque; // the owner handle: this worker's thread only
        core::DequeStealer<Job> stealer; // for the other workers
        std::uint32_t index;
        std::uint64_t random_state;
    };

    void begin_run();
    void end_run();
    void help_until_done(Worker&, Job const&);
    void worker_loop(std::uint32_t index);
    Job* steal_from_random_victim(Worker&);

    static inline thread_local Worker* t_current_worker = nullptr;

    core::EpochDomain m_epochs;
    std::vector<std::unique_ptr<Worker>> m_workers;
    // release by run(), acquire by parked workers (also their futex word, via wait/notify).
    std::atomic<bool> m_running { false };
    std::atomic<bool> m_shutdown { false };
    std::vector<std::thread> m_threads;
};

}
