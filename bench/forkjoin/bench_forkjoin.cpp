// Fork-join on host threads: fib(30) (spawn overhead) and UTS T1 (irregular parallelism),
// each run sequentially and on ours / tbb / tbb_invoke / mutex at 1 and 2 workers.
// One worker runs everything on the benchmark thread, so it is timed in that thread's CPU
// time (robust when other jobs share the machine); two workers are timed in wall time.
// Counters (not on the sequential rows themselves):
//   spawns         joins per run (one job offered to other workers per join)
//   ns_per_spawn   (time of this run - best sequential time) / spawns
//   speedup        best sequential time / time of this run
#include "common/affinity.h"
#include "forkjoin/algorithms.h"
#include "forkjoin/mutex_pool.h"
#include "forkjoin/tbb_executor.h"
#include "forkjoin/ws_executor.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

namespace bench {

namespace {

constexpr int kFibN = 30;
constexpr std::uint64_t kFib30 = 832040;

enum class Workload { Fib, Uts };

// Best sequential time per run, in seconds: the fastest repetition of the seq benchmarks
// (which run first), or measured here if a filter skipped them.
double g_sequential_seconds[2] = { 0.0, 0.0 };

// Wall time, or the calling thread's CPU time when only this thread does the work.
class RunTimer {
public:
    explicit RunTimer(bool thread_cpu_time)
        : m_cpu(thread_cpu_time)
        , m_start(now())
    {
    }
    double seconds() const { return now() - m_start; }

private:
    double now() const
    {
        timespec ts {};
        clock_gettime(m_cpu ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
        return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
    }
    bool m_cpu;
    double m_start;
};

std::uint64_t run_workload(SequentialExecutor& executor, Workload workload)
{
    if (workload == Workload::Fib)
        return fib(executor, kFibN);
    return uts_count(executor, kUtsT1, uts_root(kUtsT1)).nodes;
}

double sequential_seconds(Workload workload)
{
    double& cached = g_sequential_seconds[int(workload)];
    if (cached == 0.0) {
        SequentialExecutor executor;
        double best = 1e30;
        for (int run = 0; run < 3; ++run) {
            RunTimer const timer(true);
            benchmark::DoNotOptimize(run_workload(executor, workload));
            best = std::min(best, timer.seconds());
        }
        cached = best;
    }
    return cached;
}

void record_sequential(Workload workload, double seconds)
{
    double& best = g_sequential_seconds[int(workload)];
    if (best == 0.0 || seconds < best)
        best = seconds;
}

UtsCount const& uts_t1_reference()
{
    static UtsCount const count = [] {
        std::vector<UtsNode> stack(1 << 16);
        UtsCount c;
        if (!lib::uts_count_sequential(kUtsT1, c, stack.data(), std::uint32_t(stack.size())))
            std::fprintf(stderr, "bench_forkjoin: UTS T1 deeper than the reference stack\n");
        return c;
    }();
    return count;
}

std::size_t workers_of(benchmark::State const& state) { return std::size_t(state.range(0)); }

template<class Executor>
void report(benchmark::State& state, Workload workload, double seconds_per_run, std::uint64_t spawns)
{
    state.counters["spawns"] = double(spawns);
    if constexpr (std::is_same_v<Executor, SequentialExecutor>) {
        record_sequential(workload, seconds_per_run);
        return; // the sequential row itself: nothing to compare with
    }
    double const sequential = sequential_seconds(workload);
    state.counters["ns_per_spawn"] = (seconds_per_run - sequential) * 1e9 / double(spawns);
    state.counters["speedup"] = sequential / seconds_per_run;
}

template<class Executor>
void bm_fib(benchmark::State& state)
{
    pin_current_thread(0);
    Executor executor(workers_of(state));
    std::uint64_t result = 0;
    RunTimer const timer(workers_of(state) == 1);
    for (auto _ : state) {
        executor.run([&] { result = fib(executor, kFibN); });
        benchmark::DoNotOptimize(result);
    }
    double const per_run = timer.seconds() / double(state.iterations());
    if (result != kFib30) {
        state.SkipWithError("fib(30) returned a wrong value");
        return;
    }
    report<Executor>(state, Workload::Fib, per_run, fib_spawn_count(kFibN));
}

template<class Executor>
void bm_uts(benchmark::State& state)
{
    pin_current_thread(0);
    UtsCount const& reference = uts_t1_reference();
    Executor executor(workers_of(state));
    UtsCount result;
    RunTimer const timer(workers_of(state) == 1);
    for (auto _ : state) {
        executor.run([&] { result = uts_count(executor, kUtsT1, uts_root(kUtsT1)); });
        benchmark::DoNotOptimize(result);
    }
    double const per_run = timer.seconds() / double(state.iterations());
    if (result.nodes != reference.nodes || result.leaves != reference.leaves) {
        state.SkipWithError("UTS T1 node count differs from the sequential count");
        return;
    }
    state.counters["nodes"] = double(result.nodes);
    report<Executor>(state, Workload::Uts, per_run, result.leaves - 1);
}

template<class Executor>
void register_executor(bool parallel)
{
    std::string const suffix = std::string("/") + Executor::name;
    for (bool uts : { false, true }) {
        std::string const name = (uts ? "BM_uts_t1" : "BM_fib30") + suffix;
        auto* function = uts ? bm_uts<Executor> : bm_fib<Executor>;
        // One worker (or sequential): CPU time of this thread, as measured above.
        auto* one = benchmark::RegisterBenchmark(name.c_str(), function);
        one->ArgName("workers")->Arg(1)->Unit(benchmark::kMillisecond);
        if (uts)
            one->Iterations(2); // about a second each; two per repetition are enough
        if (!parallel)
            continue;
        auto* two = benchmark::RegisterBenchmark(name.c_str(), function);
        two->ArgName("workers")->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
        if (uts)
            two->Iterations(2);
    }
}

}

}

int main(int argc, char** argv)
{
    using namespace bench;
    std::printf("UTS T1: %llu nodes, %llu leaves (reference UTS: %llu nodes); %zu CPUs\n",
        static_cast<unsigned long long>(uts_t1_reference().nodes),
        static_cast<unsigned long long>(uts_t1_reference().leaves),
        static_cast<unsigned long long>(kUtsT1ReferenceNodes), online_cpus());
    register_executor<SequentialExecutor>(false);
    register_executor<WorkStealingExecutor>(true);
    register_executor<TbbExecutor>(true);
    register_executor<TbbInvokeExecutor>(true);
    register_executor<MutexPoolExecutor>(true);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
