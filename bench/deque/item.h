#pragma once
// What the deque benchmarks move around: a pointer to a small task-like record. Consumers
// read its payload, so every implementation pays the same cache traffic for the item itself.
#include <cstddef>
#include <cstdint>

namespace bench {

struct Item {
    std::uint64_t payload;
};

// Initial capacity for every deque under test: large enough that no run ever grows it.
inline constexpr std::size_t kDequeCapacity = 4096;

}
