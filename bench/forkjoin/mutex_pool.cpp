#include "forkjoin/mutex_pool.h"

#include "common/affinity.h"
#include "common/spin.h"

#include <iterator>

namespace bench {

MutexPoolExecutor::MutexPoolExecutor(std::size_t workers)
{
    for (std::size_t index = 1; index < workers; ++index)
        m_threads.emplace_back([this, index] { worker_loop(index); });
}

MutexPoolExecutor::~MutexPoolExecutor()
{
    m_shutdown.store(true, std::memory_order_relaxed);
    // release: the parked workers' acquire wakes them to see m_shutdown.
    m_running.store(true, std::memory_order_release);
    m_running.notify_all();
    for (auto& thread : m_threads)
        thread.join();
}

void MutexPoolExecutor::begin_run()
{
    pin_current_thread(0);
    // release: pairs with the workers' acquire wait; nothing is queued yet, it only wakes them.
    m_running.store(true, std::memory_order_release);
    m_running.notify_all();
}

void MutexPoolExecutor::end_run()
{
    // relaxed: every job of this run is done (root joined them all); workers only go idle.
    m_running.store(false, std::memory_order_relaxed);
}

void MutexPoolExecutor::enqueue(Job* job)
{
    std::lock_guard lock(m_lock);
    m_queue.push_back(job);
}

bool MutexPoolExecutor::take_if_queued(Job* wanted)
{
    std::lock_guard lock(m_lock);
    for (auto it = m_queue.rbegin(); it != m_queue.rend(); ++it) {
        if (*it == wanted) {
            m_queue.erase(std::next(it).base());
            return true;
        }
    }
    return false;
}

Job* MutexPoolExecutor::take_oldest()
{
    std::lock_guard lock(m_lock);
    if (m_queue.empty())
        return nullptr;
    Job* job = m_queue.front();
    m_queue.pop_front();
    return job;
}

void MutexPoolExecutor::help_until_done(Job const& awaited)
{
    // How many help_until_done frames this thread has open; see the class comment.
    static thread_local int t_help_depth = 0;
    constexpr int kMaxHelpDepth = 16;
    ++t_help_depth;
    // acquire: pairs with the release store of done in StackJob::run.
    while (!awaited.done.load(std::memory_order_acquire)) {
        Job* job = t_help_depth <= kMaxHelpDepth ? take_oldest() : nullptr;
        if (job != nullptr)
            job->execute(job);
        else
            spin_pause();
    }
    --t_help_depth;
}

void MutexPoolExecutor::worker_loop(std::size_t index)
{
    pin_current_thread(index);
    for (;;) {
        // acquire: pairs with the release store in begin_run() / the destructor.
        m_running.wait(false, std::memory_order_acquire);
        if (m_shutdown.load(std::memory_order_relaxed))
            return;
        // relaxed: a stale value only costs one more look at the queue.
        while (m_running.load(std::memory_order_relaxed) && !m_shutdown.load(std::memory_order_relaxed)) {
            if (Job* job = take_oldest())
                job->execute(job);
            else
                spin_pause();
        }
    }
}

}
