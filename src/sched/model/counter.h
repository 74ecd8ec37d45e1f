// A statistic with one writer and racy readers (metrics dump, tests): a relaxed load plus
// a relaxed store, no lock prefix. Readers may see a slightly old value, never a torn one,
// and TSan sees atomics, not a data race.
#pragma once
#include <atomic>
#include <cstdint>

namespace sched {

class Counter {
public:
    // relaxed (both): single writer; nothing is published through a statistic.
    void add(uint64_t n = 1) { m_value.store(m_value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void operator++() { add(1); }
    uint64_t get() const { return m_value.load(std::memory_order_relaxed); }
    void set(uint64_t v) { m_value.store(v, std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> m_value{0};
};

}  // namespace sched
