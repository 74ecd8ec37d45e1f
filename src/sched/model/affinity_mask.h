// A task's CPU set as the Task stores it: "all CPUs" is a flag, and only a restricted set
// writes its four words. Almost every task may run anywhere; as two plain CpuMasks the
// Task's two affinities were 8 of the ~47 stores of every spawn, and every placement's
// stealable() test was a four-word is_all() (counted under QEMU -icount,
// docs/benchmarks.md "Kernel costs in instructions").
#pragma once
#include <cstdint>

#include "sched/model/cpu_mask.h"

namespace sched {

class AffinityMask {
public:
    // All CPUs; the words stay unwritten until a restricted set is stored.
    constexpr AffinityMask() = default;
    AffinityMask(const CpuMask& mask) { *this = mask; }  // NOLINT: a CpuMask stored as is
    AffinityMask(const AffinityMask& other) { *this = other; }

    AffinityMask& operator=(const CpuMask& mask) {
        m_all = mask.is_all();
        if (!m_all) {
            #pragma GCC unroll 4
            for (uint32_t i = 0; i < CpuMask::kWords; ++i) m_words[i] = mask.word(i);
        }
        return *this;
    }
    AffinityMask& operator=(const AffinityMask& other) {
        m_all = other.m_all;
        if (!m_all) {
            #pragma GCC unroll 4
            for (uint32_t i = 0; i < CpuMask::kWords; ++i) m_words[i] = other.m_words[i];
        }
        return *this;
    }

    // The words are read only when the set is restricted: for "all" they hold whatever
    // the memory held before (a Task is built over a reused stack).
    bool is_all() const { return m_all; }
    bool contains(uint32_t cpu) const {
        return cpu < kMaxCpus && (m_all || (m_words[cpu / 64] & (uint64_t(1) << (cpu % 64))) != 0);
    }
    uint64_t word(uint32_t i) const { return m_all ? ~uint64_t(0) : m_words[i]; }
    CpuMask mask() const {
        if (m_all) return CpuMask::all();
        CpuMask m;
        #pragma GCC unroll 4
        for (uint32_t i = 0; i < CpuMask::kWords; ++i) m.set_word(i, m_words[i]);
        return m;
    }
    operator CpuMask() const { return mask(); }  // NOLINT: reads as the set it is
    uint32_t next(uint32_t from) const { return mask().next(from); }
    // `this & other`; for "all" that is `other` itself, with no word of ours read.
    CpuMask operator&(const CpuMask& other) const { return m_all ? other : mask() & other; }
    bool operator==(const CpuMask& other) const { return mask() == other; }
    bool operator==(const AffinityMask& other) const { return mask() == other.mask(); }

private:
    bool m_all = true;
    uint64_t m_words[CpuMask::kWords];  // meaningful only when !m_all
};

}  // namespace sched
