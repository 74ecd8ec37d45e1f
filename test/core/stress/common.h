// Shared plumbing of the core stress harnesses (used by core_tests and core_stress).
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>

namespace core_stress {

using Clock = std::chrono::steady_clock;

// Sanitizer and delay builds run the same harnesses with fewer items: TSan is ~10-20x
// slower, ASan ~3x. CORE_TEST_SCALE (a divisor, env) overrides the compiled default.
#if defined(CORE_TSAN)
inline constexpr uint64_t kDefaultScaleDivisor = 8;
#elif defined(CORE_ASAN)
inline constexpr uint64_t kDefaultScaleDivisor = 4;
#elif defined(CORE_DELAY)
// Each atomic access waits ~150 cycles on average: the harnesses would run ~10x longer.
inline constexpr uint64_t kDefaultScaleDivisor = 8;
#else
inline constexpr uint64_t kDefaultScaleDivisor = 1;
#endif

inline uint64_t scale_divisor()
{
    if (const char* text = std::getenv("CORE_TEST_SCALE")) {
        char* end = nullptr;
        unsigned long long v = std::strtoull(text, &end, 10);
        if (end != text && *end == '\0' && v > 0)
            return v;
    }
    return kDefaultScaleDivisor;
}

// `count` divided by the sanitizer divisor, at least `minimum`.
inline uint64_t scaled(uint64_t count, uint64_t minimum = 1000)
{
    uint64_t v = count / scale_divisor();
    return v < minimum ? minimum : v;
}

// Called about once a second by long runs with a one-line status.
using ProgressFn = std::function<void(const std::string&)>;

// xorshift64*: cheap, per-thread, reproducible from the run's seed.
class Rng {
public:
    explicit Rng(uint64_t seed)
        : m_state(seed ? seed : 0x9e3779b97f4a7c15ull)
    {
    }
    uint64_t next()
    {
        m_state ^= m_state >> 12;
        m_state ^= m_state << 25;
        m_state ^= m_state >> 27;
        return m_state * 0x2545f4914f6cdd1dull;
    }
    uint32_t below(uint32_t n) { return uint32_t((next() >> 32) % n); }

private:
    uint64_t m_state;
};

inline uint64_t mix_seed(uint64_t seed, uint64_t stream) { return (seed + 1) * 0x9e3779b97f4a7c15ull ^ (stream * 0xbf58476d1ce4e5b9ull); }

} // namespace core_stress
