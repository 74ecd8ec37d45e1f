// Steal victim order of one CPU ("Stealing and spinning"): level 0 its SMT siblings (same package and
// core), level 1 the rest of its package, level 2 every other CPU. A round starts each
// level at a random position and walks it cyclically, so thieves spread within a level.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "sched/model/cpu_mask.h"

namespace sched {

// Where a CPU sits (kernel: from PerCpu::topology).
struct CpuPlace {
    uint32_t package = 0;
    uint32_t core = 0;
};

// xorshift64*: cheap, owner-local, good enough to randomize victim starts.
class Rng {
public:
    explicit Rng(uint64_t seed = 0x9e3779b97f4a7c15ull) : m_state(seed ? seed : 1) {}
    uint64_t next() {
        m_state ^= m_state >> 12;
        m_state ^= m_state << 25;
        m_state ^= m_state >> 27;
        return m_state * 0x2545f4914f6cdd1dull;
    }
    // Uniform enough in [0, n); 0 when n == 0.
    uint32_t below(uint32_t n) { return n ? uint32_t((next() >> 32) % n) : 0; }

private:
    uint64_t m_state;
};

class VictimOrder {
public:
    static constexpr uint32_t kLevels = 3;

    // `places[i]` describes CPU i, for i < places.size(). `self` is left out.
    void build(uint32_t self, std::span<const CpuPlace> places);

    uint32_t level_size(uint32_t level) const { return m_end[level] - begin(level); }
    uint32_t at(uint32_t level, uint32_t i) const { return m_order[begin(level) + i]; }
    uint32_t total() const { return m_end[kLevels - 1]; }

    // Calls visit(cpu) for every victim, level by level, each level from a random start.
    // Stops and returns true as soon as visit returns true.
    template <typename Visit>
    bool for_each(Rng& rng, Visit&& visit) const {
        for (uint32_t level = 0; level < kLevels; ++level) {
            uint32_t size = level_size(level);
            uint32_t start = rng.below(size);
            for (uint32_t k = 0; k < size; ++k) {
                uint32_t i = start + k;
                if (i >= size) i -= size;
                if (visit(at(level, i))) return true;
            }
        }
        return false;
    }

private:
    uint32_t begin(uint32_t level) const { return level == 0 ? 0 : m_end[level - 1]; }

    std::array<uint16_t, kMaxCpus> m_order{};
    std::array<uint32_t, kLevels> m_end{};
};

}  // namespace sched
