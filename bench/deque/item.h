#pragma once
// What the deque benchmarks move around: a pointer to a small task-like record. Consumers
// read its payload, so every implementation pays the same cache traffic for the item itself.
#include <cstddef>
#include <cstdint>

namespace bench {

struct Item {
    std::uint64_t payload;
};

// Initial capacity for every deque that can be given one: large enough that no run grows it.
inline constexpr std::size_t kDequeCapacity = 4096;

// Most thieves any benchmark starts on one deque.
inline constexpr std::uint32_t kMaxThieves = 3;

// Most items one batch steal moves (crossbeam-deque's MAX_BATCH).
inline constexpr std::size_t kStealBatch = 32;

}
