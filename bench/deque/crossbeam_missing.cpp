#include "deque/crossbeam_rows.h"

#include <cstdio>

namespace bench {

// CROSSBEAM_MISSING_REASON: set by bench/CMakeLists.txt, e.g. "/usr/bin/cargo not found".
void register_crossbeam_rows()
{
    std::fprintf(stderr, "bench_deque: no crossbeam-deque rows: %s\n", CROSSBEAM_MISSING_REASON);
}

}
