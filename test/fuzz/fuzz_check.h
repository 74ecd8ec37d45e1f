// What every fuzz target shares: a check that, unlike assert(), survives -DNDEBUG and
// names the broken promise before aborting, so libFuzzer saves the input as a crash.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

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

// The input made a table that passes acpi::validate_table: `signature`, length = the
// input's size, checksum fixed (the ACPI targets parse this besides the raw input, so the
// bytes behind the header are reached on almost every input). Inputs shorter than the
// 36-byte header come back as they are.
inline std::vector<uint8_t> as_valid_table(const uint8_t* data, size_t size, const char (&signature)[5])
{
    std::vector<uint8_t> table(data, data + size);
    if (size < 36)
        return table;
    std::memcpy(table.data(), signature, 4);
    const uint32_t length = static_cast<uint32_t>(size);
    std::memcpy(table.data() + 4, &length, 4);
    table[9] = 0;
    uint8_t sum = 0;
    for (uint8_t byte : table)
        sum = static_cast<uint8_t>(sum + byte);
    table[9] = static_cast<uint8_t>(-sum);
    return table;
}

inline bool inside(const void* p, std::span<const uint8_t> bytes)
{
    const auto* byte = static_cast<const uint8_t*>(p);
    return byte >= bytes.data() && byte < bytes.data() + bytes.size();
}

} // namespace fuzz
