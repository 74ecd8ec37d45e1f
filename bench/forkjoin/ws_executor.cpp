#include "forkjoin/ws_executor.h"

#include "common/affinity.h"
#include "common/spin.h"

namespace bench {

WorkStealingExecutor::Worker::Worker(core::EpochDomain& domain, std::uint32_t worker_index)
    : epoch(domain, worker_index)
    , storage(domain, kDequeCapacity)
    , deque(storage.owner())
    , stealer(storage.stealer())
    , index(worker_index)
    , random_state(0x9e3779b97f4a7c15ull * (worker_index + 1))
{
}

WorkStealingExecutor::WorkStealingExecutor(std::size_t workers)
    : m_epochs(std::uint32_t(workers))
{
    for (std::size_t i = 0; i < workers; ++i)
        m_workers.push_back(std::make_unique<Worker>(m_epochs, std::uint32_t(i)));
    for (std::size_t i = 1; i < workers; ++i)
        m_threads.emplace_back([this, i] { worker_loop(std::uint32_t(i)); });
}

WorkStealingExecutor::~WorkStealingExecutor()
{
    m_shutdown.store(true, std::memory_order_relaxed);
    // release: the parked workers' acquire wakes them to see m_shutdown.
    m_running.store(true, std::memory_order_release);
    m_running.notify_all();
    for (auto& thread : m_threads)
        thread.join();
}

void WorkStealingExecutor::begin_run()
{
    pin_current_thread(0);
    t_current_worker = m_workers[0].get();
    t_current_worker->epoch.go_online();
    // release: pairs with the workers' acquire wait; nothing is queued yet, it only wakes them.
    m_running.store(true, std::memory_order_release);
    m_running.notify_all();
}

void WorkStealingExecutor::end_run()
{
    // relaxed: every job of this run is done (root joined them all); workers only go idle.
    m_running.store(false, std::memory_order_relaxed);
    t_current_worker->epoch.go_offline();
    t_current_worker = nullptr;
}

Job* WorkStealingExecutor::steal_from_random_victim(Worker& self)
{
    std::size_t const workers = m_workers.size();
    if (workers < 2)
        return nullptr;
    // xorshift64: cheap, per worker, good enough to spread thieves over victims.
    std::uint64_t x = self.random_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self.random_state = x;
    std::size_t victim = std::size_t(x % (workers - 1));
    if (victim >= self.index)
        ++victim; // never ourselves
    // Between jobs we hold no buffer of any deque: announce it, then steal in that section.
    self.epoch.quiescent();
    return m_workers[victim]->stealer.steal().item;
}

void WorkStealingExecutor::help_until_done(Worker& self, Job const& awaited)
{
    // acquire: pairs with the release store of done in StackJob::run by the thief.
    while (!awaited.done.load(std::memory_order_acquire)) {
        if (Job* job = steal_from_random_victim(self))
            job->execute(job);
        else
            spin_pause();
    }
}

void WorkStealingExecutor::worker_loop(std::uint32_t index)
{
    pin_current_thread(index);
    Worker& self = *m_workers[index];
    t_current_worker = &self;
    for (;;) {
        // acquire: pairs with the release store in begin_run() / the destructor.
        m_running.wait(false, std::memory_order_acquire);
        if (m_shutdown.load(std::memory_order_relaxed))
            return;
        self.epoch.go_online();
        // relaxed: a stale value only costs one more steal attempt.
        while (m_running.load(std::memory_order_relaxed) && !m_shutdown.load(std::memory_order_relaxed)) {
            if (Job* job = steal_from_random_victim(self))
                job->execute(job);
            else
                spin_pause();
        }
        self.epoch.go_offline();
    }
}

}
