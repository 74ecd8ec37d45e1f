#pragma once
// Baseline executors: oneTBB. A task_arena fixes the worker count and an observer pins its
// threads exactly like ours (arena slot i on CPU i).
#include "common/affinity.h"

#include <tbb/global_control.h>
#include <tbb/parallel_invoke.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <tbb/task_scheduler_observer.h>

#include <cstddef>

namespace bench {

// TBB sizes its worker pool once per process; without this, a first arena of one thread
// can leave the pool at zero workers for every later arena. Construct before any arena.
inline tbb::global_control& tbb_allow_all_cpus()
{
    static tbb::global_control control(tbb::global_control::max_allowed_parallelism, online_cpus());
    return control;
}

// How a join is expressed in TBB: task_group is the general API the issue asks for;
// parallel_invoke is TBB's lighter dedicated fork-join, kept as a second, stronger baseline.
enum class TbbJoin { TaskGroup, ParallelInvoke };

template<TbbJoin Style>
class TbbExecutorOf {
public:
    static constexpr char const* name = Style == TbbJoin::TaskGroup ? "tbb" : "tbb_invoke";

    explicit TbbExecutorOf(std::size_t workers)
        : m_arena((tbb_allow_all_cpus(), int(workers)))
        , m_pinner(m_arena)
    {
        m_pinner.observe(true);
    }

    ~TbbExecutorOf() { m_pinner.observe(false); }

    template<class Root>
    void run(Root&& root)
    {
        pin_current_thread(0);
        m_arena.execute([&] { root(); });
    }

    template<class A, class B>
    void join(A&& a, B&& b)
    {
        if constexpr (Style == TbbJoin::TaskGroup) {
            tbb::task_group group;
            group.run([&] { b(); });
            a();
            group.wait();
        } else {
            tbb::parallel_invoke([&] { a(); }, [&] { b(); });
        }
    }

private:
    class Pinner final : public tbb::task_scheduler_observer {
    public:
        explicit Pinner(tbb::task_arena& arena) : tbb::task_scheduler_observer(arena) { }
        void on_scheduler_entry(bool) override
        {
            pin_current_thread(std::size_t(tbb::this_task_arena::current_thread_index()));
        }
    };

    tbb::task_arena m_arena;
    Pinner m_pinner;
};

using TbbExecutor = TbbExecutorOf<TbbJoin::TaskGroup>;
using TbbInvokeExecutor = TbbExecutorOf<TbbJoin::ParallelInvoke>;

}
