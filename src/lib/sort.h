// Insertion sort of samples (latency percentiles in kernel tests and benchmarks): a few
// thousand values at most, no allocation, no libgcc.
#pragma once
#include <cstdint>

namespace lib {

inline void insertion_sort(uint64_t* v, uint32_t n) {
    for (uint32_t i = 1; i < n; ++i) {
        uint64_t x = v[i];
        uint32_t j = i;
        for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
        v[j] = x;
    }
}

}  // namespace lib
