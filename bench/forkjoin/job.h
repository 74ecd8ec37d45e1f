#pragma once
// The unit of work every fork-join executor here (ours, the mutex pool) queues: a job that
// lives in its forking thread's stack frame. The forker never returns before the job is done,
// so queueing a pointer to the frame is safe and spawning allocates nothing.
#include <atomic>

namespace bench {

struct Job {
    void (*execute)(Job*);
    // release store by whoever ran the job; acquire load by the joiner waiting for it.
    std::atomic<bool> done { false };
};

template<class Work>
struct StackJob final : Job {
    explicit StackJob(Work& work)
        : Job { &StackJob::run }
        , m_work(work)
    {
    }

    static void run(Job* job)
    {
        auto* self = static_cast<StackJob*>(job);
        self->m_work();
        // release: publishes the job's results to the joiner's acquire load of done. The
        // joiner may return (and the frame vanish) right after this store: touch nothing.
        self->done.store(true, std::memory_order_release);
    }

    Work& m_work;
};

}
