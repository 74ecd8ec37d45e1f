// Deque benchmarks: the loops of deque_shapes.h over ours, crossbeam-deque (when cargo could
// build it), xenium and a mutex + std::deque. Registration order is the column order of
// bench/compare.py's table.
#include "deque/baseline_deques.h"
#include "deque/crossbeam_rows.h"
#include "deque/deque_shapes.h"
#include "deque/ours_deque.h"

#include <benchmark/benchmark.h>

#include <thread>

int main(int argc, char** argv)
{
    // glibc skips the atomic operations of its locks and of malloc while a process has never
    // had a second thread. Repetitions run in random order, so without this a mutex or
    // allocation row would run lock-free or not depending on whether an owner_thief row had
    // run before it (measured: 9 us against 28 us for burst/mutex). A kernel CPU's queue is
    // always shared, so every row runs in a multi-threaded process.
    std::thread([] { }).join();
    bench::register_deque<bench::OursDeque>();
    bench::register_crossbeam_rows();
    bench::register_deque<bench::XeniumDeque, bench::BasicXeniumDeque<bench::kGrowFrom>>();
    bench::register_deque<bench::MutexDeque>();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
