// Pairing heap operations for TimerQueue (see timer_queue.h).
#include "sched/model/timer_queue.h"

namespace sched {

// Links the later root as the first child of the earlier one. Both are roots (no sibling).
TimerNode* TimerQueue::meld(TimerNode* a, TimerNode* b) {
    if (!a) return b;
    if (!b) return a;
    if (before(b, a)) {
        TimerNode* t = a;
        a = b;
        b = t;
    }
    b->timer_sibling = a->timer_child;
    a->timer_child = b;
    return a;
}

void TimerQueue::insert(TimerNode* node) {
    node->timer_seq = m_next_seq++;
    node->timer_child = nullptr;
    node->timer_sibling = nullptr;
    m_root = meld(m_root, node);
    ++m_size;
}

TimerNode* TimerQueue::pop_min() {
    TimerNode* top = m_root;
    if (!top) return nullptr;
    // Two-pass pairing, iteratively (a recursive merge could go as deep as the child
    // list is long, and kernel stacks are 16 KiB). Pass 1, left to right: meld the
    // children in pairs and push each pair onto a stack threaded through timer_sibling.
    TimerNode* pairs = nullptr;
    TimerNode* child = top->timer_child;
    while (child) {
        TimerNode* first = child;
        TimerNode* second = first->timer_sibling;
        child = second ? second->timer_sibling : nullptr;
        first->timer_sibling = nullptr;
        if (second) second->timer_sibling = nullptr;
        TimerNode* melded = meld(first, second);
        melded->timer_sibling = pairs;
        pairs = melded;
    }
    // Pass 2, right to left (the stack pops the last pair first): meld into one heap.
    TimerNode* root = nullptr;
    while (pairs) {
        TimerNode* next = pairs->timer_sibling;
        pairs->timer_sibling = nullptr;
        root = meld(root, pairs);
        pairs = next;
    }
    m_root = root;
    --m_size;
    top->timer_child = nullptr;
    top->timer_sibling = nullptr;
    return top;
}

}  // namespace sched
