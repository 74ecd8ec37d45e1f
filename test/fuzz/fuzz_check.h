// What every fuzz target shares: a check that, unlike assert(), survives -DNDEBUG and
// names the broken promise before aborting, so libFuzzer saves the input as a crash.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#define FUZZ_CHECK(condition)                                                                    \
    do {                                                                                         \
        if (!(condition)) {                                                                      \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                        \
        }                                                                                        \
    } while (0)

namespace fuzz {

inline uint32_t le32(std::span<const uint8_t> bytes, size_t offset)
{
    uint32_t value = 0;
    std::memcpy(&value, bytes.data() + offset, sizeof value);  // x86 host: little-endian
    return value;
}

inline uint64_t le64(std::span<const uint8_t> bytes, size_t offset)
{
    uint64_t value = 0;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

inline bool inside(const void* p, std::span<const uint8_t> bytes)
{
    const auto* byte = static_cast<const uint8_t*>(p);
    return byte >= bytes.data() && byte < bytes.data() + bytes.size();
}

} // namespace fuzz
