#pragma once
// Baseline executor: a classic thread pool with one shared job queue behind one mutex. Idle
// workers take the oldest job (front). A joiner runs its own job inline if it is still
// queued (searched from the back, where it usually is); otherwise it helps with the oldest
// jobs while it waits. Helping is capped in depth: with one shared queue a helper can pick
// up a job that itself waits and helps again, and uncapped that nesting overflowed the
// stack in UTS (65,000 frames). Same jobs and same pinning as WorkStealingExecutor.
#include "forkjoin/job.h"

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {

class MutexPoolExecutor {
public:
    static constexpr char const* name = "mutex";

    explicit MutexPoolExecutor(std::size_t workers);
    ~MutexPoolExecutor();
    MutexPoolExecutor(MutexPoolExecutor const&) = delete;
    MutexPoolExecutor& operator=(MutexPoolExecutor const&) = delete;

    // Runs root on the calling thread with the pool's workers helping; returns when it is done.
    template<class Root>
    void run(Root&& root)
    {
        begin_run();
        root();
        end_run();
    }

    template<class A, class B>
    void join(A&& a, B&& b)
    {
        StackJob<B> job_b(b);
        enqueue(&job_b);
        a();
        if (take_if_queued(&job_b)) {
            b();
            return;
        }
        help_until_done(job_b);
    }

private:
    void begin_run();
    void end_run();
    void enqueue(Job*);
    bool take_if_queued(Job*);
    Job* take_oldest();
    void help_until_done(Job const&);
    void worker_loop(std::size_t index);

    std::mutex m_lock;
    std::deque<Job*> m_queue; // guarded by m_lock
    // release by run(), acquire by parked workers (also their futex word, via wait/notify).
    std::atomic<bool> m_running { false };
    std::atomic<bool> m_shutdown { false };
    std::vector<std::thread> m_threads;
};

}
