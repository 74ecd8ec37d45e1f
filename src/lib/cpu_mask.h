// The kernel's one set of CPU indices (dense, 0 .. kMaxCpus-1), and its one CPU limit.
// CpuMask is a plain value (affinities, IPI and call-function targets, snapshots);
// AtomicCpuMask is the shared form of the same set (the scheduler's online set, the halted
// set of "The idle/wakeup protocol"). Portable (host tests use it as is) and free of libgcc calls, so it links in
// the freestanding kernel.
#pragma once
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

// Per-CPU tables everywhere (arch, smp, sched) are sized by this.
inline constexpr uint32_t kMaxCpus = 256;
inline constexpr uint32_t kNoCpu = ~uint32_t(0);

// Bits set in `w`. std::popcount compiles to a call to libgcc's __popcountdi2 unless the
// target has POPCNT (-mpopcnt), and the kernel links no libgcc: the SWAR sum instead.
constexpr uint32_t popcount64(uint64_t w) {
    w = w - ((w >> 1) & 0x5555555555555555ull);
    w = (w & 0x3333333333333333ull) + ((w >> 2) & 0x3333333333333333ull);
    w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return uint32_t((w * 0x0101010101010101ull) >> 56);
}

// The loops over the four words carry `#pragma GCC unroll 4`: at -O2 GCC kept them as loops
// (index, add, compare and branch per word, and a new mask zeroed before the loop filled
// it), ~25 instructions per `a & b` or load of the online set where 8-12 do, several times
// per placement (counted under QEMU -icount, docs/benchmarks.md "Kernel costs in
// instructions").
class CpuMask {
public:
    static constexpr uint32_t kWords = kMaxCpus / 64;

    constexpr CpuMask() = default;
    static constexpr CpuMask all() {
        CpuMask m;
        for (auto& w : m.m_words) w = ~uint64_t(0);
        return m;
    }
    static constexpr CpuMask single(uint32_t cpu) {
        CpuMask m;
        m.add(cpu);
        return m;
    }
    // CPUs 0 .. count-1.
    static constexpr CpuMask first(uint32_t count) {
        CpuMask m;
        for (uint32_t i = 0; i < count && i < kMaxCpus; ++i) m.add(i);
        return m;
    }

    constexpr void add(uint32_t cpu) {
        if (cpu < kMaxCpus) m_words[cpu / 64] |= bit(cpu);
    }
    constexpr void remove(uint32_t cpu) {
        if (cpu < kMaxCpus) m_words[cpu / 64] &= ~bit(cpu);
    }
    constexpr bool contains(uint32_t cpu) const { return cpu < kMaxCpus && (m_words[cpu / 64] & bit(cpu)) != 0; }
    // Word 0 decides most calls (a CPU of the first 64 set, or a mask that is not all);
    // past it the rest is folded without a branch per word. The loop with an exit per word
    // cost ~15 instructions per is_all() of an all-CPUs mask, on every spawn and placement
    // (counted under QEMU -icount, docs/benchmarks.md "Kernel costs in instructions").
    constexpr bool empty() const {
        if (m_words[0]) return false;
        uint64_t any = 0;
        #pragma GCC unroll 4
        for (uint32_t i = 1; i < kWords; ++i) any |= m_words[i];
        return any == 0;
    }
    constexpr bool is_all() const {
        if (m_words[0] != ~uint64_t(0)) return false;
        uint64_t all = ~uint64_t(0);
        #pragma GCC unroll 4
        for (uint32_t i = 1; i < kWords; ++i) all &= m_words[i];
        return all == ~uint64_t(0);
    }
    // Whether the two masks share a CPU: !(a & b).empty() without building a & b.
    constexpr bool intersects(const CpuMask& o) const {
        uint64_t any = 0;
        #pragma GCC unroll 4
        for (uint32_t i = 0; i < kWords; ++i) any |= m_words[i] & o.m_words[i];
        return any != 0;
    }
    constexpr uint32_t count() const {
        uint32_t n = 0;
        for (auto w : m_words) n += popcount64(w);
        return n;
    }
    // Smallest member >= from, or kNoCpu. Iterate: for (c = m.next(0); c != kNoCpu; c = m.next(c + 1)).
    constexpr uint32_t next(uint32_t from) const {
        for (uint32_t word = from / 64; from < kMaxCpus && word < kWords; ++word) {
            uint64_t w = m_words[word];
            if (word == from / 64) w &= ~uint64_t(0) << (from % 64);
            if (w) return word * 64 + uint32_t(std::countr_zero(w));
        }
        return kNoCpu;
    }
    constexpr CpuMask operator&(const CpuMask& o) const {
        CpuMask m;
        #pragma GCC unroll 4
        for (uint32_t i = 0; i < kWords; ++i) m.m_words[i] = m_words[i] & o.m_words[i];
        return m;
    }
    constexpr CpuMask operator|(const CpuMask& o) const {
        CpuMask m;
        #pragma GCC unroll 4
        for (uint32_t i = 0; i < kWords; ++i) m.m_words[i] = m_words[i] | o.m_words[i];
        return m;
    }
    constexpr bool operator==(const CpuMask&) const = default;
    constexpr uint64_t word(uint32_t i) const { return m_words[i]; }
    constexpr void set_word(uint32_t i, uint64_t w) { m_words[i] = w; }

private:
    static constexpr uint64_t bit(uint32_t cpu) { return uint64_t(1) << (cpu % 64); }
    std::array<uint64_t, kWords> m_words{};
};

// Shared CPU set. Every operation names its ordering, because the halted set is one side
// of the "The idle/wakeup protocol" Dekker pair: callers pass the order their protocol needs.
class AtomicCpuMask {
public:
    // Returns whether the bit was set before.
    bool add(uint32_t cpu, std::memory_order order) { return (word(cpu).fetch_or(bit(cpu), order) & bit(cpu)) != 0; }
    // Returns whether the bit was set before: true means this caller cleared it (the
    // claim of "The idle/wakeup protocol": exactly one fetch_and sees the bit).
    bool remove(uint32_t cpu, std::memory_order order) {
        return (word(cpu).fetch_and(~bit(cpu), order) & bit(cpu)) != 0;
    }
    bool contains(uint32_t cpu, std::memory_order order) const {
        return cpu < kMaxCpus && (m_words[cpu / 64].load(order) & bit(cpu)) != 0;
    }
    // Word-by-word snapshot (not atomic as a whole; each word is).
    CpuMask load(std::memory_order order) const {
        CpuMask m;
        #pragma GCC unroll 4
        for (uint32_t i = 0; i < CpuMask::kWords; ++i) m.set_word(i, m_words[i].load(order));
        return m;
    }
    void store(const CpuMask& m, std::memory_order order) {
        #pragma GCC unroll 4
        for (uint32_t i = 0; i < CpuMask::kWords; ++i) m_words[i].store(m.word(i), order);
    }
    std::atomic<uint64_t>& word(uint32_t cpu) { return m_words[(cpu % kMaxCpus) / 64]; }
    const std::atomic<uint64_t>& word(uint32_t cpu) const { return m_words[(cpu % kMaxCpus) / 64]; }
    static constexpr uint64_t bit(uint32_t cpu) { return uint64_t(1) << (cpu % 64); }

private:
    std::array<std::atomic<uint64_t>, CpuMask::kWords> m_words{};
};
