#include "deque/crossbeam_rows.h"

#include "deque/crossbeam_deque.h"
#include "deque/deque_shapes.h"

#include <benchmark/benchmark.h>

namespace bench {

void register_crossbeam_rows()
{
    register_deque<CrossbeamDeque>();
    // Only push_take: it is the row where a call per operation shows most.
    benchmark::RegisterBenchmark("BM_deque_push_take/crossbeam_per_call", bm_push_take<CrossbeamPerCallDeque>);
}

}
