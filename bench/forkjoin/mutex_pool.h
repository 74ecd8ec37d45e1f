#pragma once
// Baseline executor: a classic thread pool with one shared job queue behind one mutex. Joiners
// help from the back (newest first, like a local deque); idle workers take the oldest job
// from the front. Same jobs, same join protocol and same pinning as WorkStealingExecutor;
// only the queue differs.
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
        if (take_newest_if(&job_b)) {
            b();
            return;
        }
        help_until_done(job_b);
    }

private:
    void begin_run();
    void end_run();
    void enqueue(Job*);
    bool take_newest_if(Job*);
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
