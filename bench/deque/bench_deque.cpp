// Deque benchmarks: the loops of deque_shapes.h over ours, crossbeam-deque (when cargo could
// build it), xenium and a mutex + std::deque. Registration order is the column order of
// bench/compare.py's table.
#include "deque/baseline_deques.h"
#include "deque/crossbeam_rows.h"
#include "deque/deque_shapes.h"
#include "deque/ours_deque.h"

#include <benchmark/benchmark.h>

int main(int argc, char** argv)
{
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
