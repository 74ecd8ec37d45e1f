#include "epoch/registry.h"

#include <benchmark/benchmark.h>

int main(int argc, char** argv)
{
    bench::register_ours_epoch_benchmarks();
    bench::register_urcu_memb_benchmarks();
    bench::register_urcu_qsbr_benchmarks();
    bench::register_ck_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
