// Per-CPU queue of sleeping tasks ordered by deadline: an intrusive pairing heap
// (Fredman, Sedgewick, Sleator, Tarjan 1986). O(1) insert, O(log n) amortized pop, no
// allocation. Equal deadlines come out in insertion order (a per-queue sequence number
// breaks ties), so sleepers with the same deadline wake FIFO.
//
// Owner CPU only (IF=0 in the kernel): not thread-safe, by design.
#pragma once
#include <cstddef>
#include <cstdint>

namespace sched {

// Embedded in Task (as a base). Fields belong to the queue while the node is in it.
struct TimerNode {
    constexpr TimerNode() : deadline_tsc(0), timer_seq(0), timer_child(nullptr), timer_sibling(nullptr) {}
    // A node nobody reads before it is queued: insert() sets the links and the seq, its
    // caller the deadline first. For a spawned Task (four stores fewer per spawn).
    struct Unset {};
    constexpr explicit TimerNode(Unset) {}

    uint64_t deadline_tsc;
    uint64_t timer_seq;  // tie-break, set by insert()
    TimerNode* timer_child;  // leftmost child
    TimerNode* timer_sibling;
};

class TimerQueue {
public:
    TimerQueue() = default;
    TimerQueue(const TimerQueue&) = delete;
    TimerQueue& operator=(const TimerQueue&) = delete;

    bool empty() const { return m_root == nullptr; }
    size_t size() const { return m_size; }
    // The earliest node (nullptr when empty); stays queued.
    TimerNode* min() const { return m_root; }
    // Earliest deadline, or UINT64_MAX when empty.
    uint64_t next_deadline() const { return m_root ? m_root->deadline_tsc : ~uint64_t(0); }

    // `node->deadline_tsc` must be set; the node must not be in any queue.
    void insert(TimerNode* node);
    // Removes and returns the earliest node, or nullptr.
    TimerNode* pop_min();
    // Pops the earliest node if its deadline is <= now_tsc, else nullptr.
    TimerNode* pop_due(uint64_t now_tsc) { return (m_root && m_root->deadline_tsc <= now_tsc) ? pop_min() : nullptr; }

private:
    static bool before(const TimerNode* a, const TimerNode* b) {
        return a->deadline_tsc != b->deadline_tsc ? a->deadline_tsc < b->deadline_tsc : a->timer_seq < b->timer_seq;
    }
    static TimerNode* meld(TimerNode* a, TimerNode* b);

    TimerNode* m_root = nullptr;
    size_t m_size = 0;
    uint64_t m_next_seq = 0;
};

}  // namespace sched
