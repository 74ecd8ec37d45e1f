// Fork-join on host threads: fib(30) (spawn overhead) and UTS T1 (irregular parallelism),
// each run sequentially and on ours / tbb / mutex at 1 and 2 workers. Counters:
//   spawns         joins per run (one job offered to other workers per join)
//   ns_per_spawn   (time of this run - sequential time) / spawns
//   speedup        sequential time / time of this run
#include "common/affinity.h"
#include "forkjoin/algorithms.h"
#include "forkjoin/mutex_pool.h"
#include "forkjoin/tbb_executor.h"
#include "forkjoin/uts.h"
#include "forkjoin/ws_executor.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <type_traits>

namespace bench {

namespace {

constexpr int kFibN = 30;
constexpr std::uint64_t kFib30 = 832040;

enum class Workload { Fib, Uts };

// Best sequential time per run, in seconds: the fastest repetition of the seq benchmarks
// (which run first), or measured here if a filter skipped them.
double g_sequential_seconds[2] = { 0.0, 0.0 };

double seconds_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

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
            auto const start = std::chrono::steady_clock::now();
            benchmark::DoNotOptimize(run_workload(executor, workload));
            best = std::min(best, seconds_since(start));
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
    static UtsCount const count = uts_count_sequential(kUtsT1, uts_root(kUtsT1));
    return count;
}

void report(benchmark::State& state, Workload workload, double seconds_per_run, std::uint64_t spawns)
{
    double const sequential = sequential_seconds(workload);
    state.counters["spawns"] = double(spawns);
    state.counters["ns_per_spawn"] = (seconds_per_run - sequential) * 1e9 / double(spawns);
    state.counters["speedup"] = sequential / seconds_per_run;
}

template<class Executor>
void bm_fib(benchmark::State& state)
{
    pin_current_thread(0);
    Executor executor(std::size_t(state.range(0)));
    std::uint64_t result = 0;
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state) {
        executor.run([&] { result = fib(executor, kFibN); });
        benchmark::DoNotOptimize(result);
    }
    double const per_run = seconds_since(start) / double(state.iterations());
    if (result != kFib30) {
        state.SkipWithError("fib(30) returned a wrong value");
        return;
    }
    if constexpr (std::is_same_v<Executor, SequentialExecutor>)
        record_sequential(Workload::Fib, per_run);
    report(state, Workload::Fib, per_run, fib_spawn_count(kFibN));
}

template<class Executor>
void bm_uts(benchmark::State& state)
{
    pin_current_thread(0);
    UtsCount const& reference = uts_t1_reference();
    Executor executor(std::size_t(state.range(0)));
    UtsCount result;
    auto const start = std::chrono::steady_clock::now();
    for (auto _ : state) {
        executor.run([&] { result = uts_count(executor, kUtsT1, uts_root(kUtsT1)); });
        benchmark::DoNotOptimize(result);
    }
    double const per_run = seconds_since(start) / double(state.iterations());
    if (result.nodes != reference.nodes || result.leaves != reference.leaves) {
        state.SkipWithError("UTS T1 node count differs from the sequential count");
        return;
    }
    if constexpr (std::is_same_v<Executor, SequentialExecutor>)
        record_sequential(Workload::Uts, per_run);
    state.counters["nodes"] = double(result.nodes);
    report(state, Workload::Uts, per_run, result.leaves - 1);
}

template<class Executor>
void register_executor(bool parallel)
{
    std::string const suffix = std::string("/") + Executor::name;
    auto* fib_bench = benchmark::RegisterBenchmark(("BM_fib30" + suffix).c_str(), bm_fib<Executor>);
    auto* uts_bench = benchmark::RegisterBenchmark(("BM_uts_t1" + suffix).c_str(), bm_uts<Executor>);
    for (auto* bench : { fib_bench, uts_bench }) {
        bench->ArgName("workers")->UseRealTime()->Unit(benchmark::kMillisecond);
        bench->Arg(1);
        if (parallel)
            bench->Arg(2);
    }
    // One UTS run takes about a second sequentially; two per repetition are enough.
    uts_bench->Iterations(2);
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
