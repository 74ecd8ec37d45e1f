// Intrusive multi-producer single-consumer queue (Vyukov's non-intrusive-stub MPSC queue).
// Tasks placed on another CPU (remote wakeup, affinity, hotplug migration) go through the
// target CPU's inbox; only that CPU pops.
//
// push() is wait-free (one exchange + one store) from any CPU. pop() is consumer-only and
// never allocates. Order: the queue is linearised by the exchange on m_head, so items of
// one producer come out in the order it pushed them (FIFO per producer, and FIFO overall
// in exchange order).
//
// The one non-lock-free window: between a producer's exchange and its link store, the
// consumer cannot see past that producer's node; pop() then returns nullptr although
// empty_approx() is false. The producer finishes in a few instructions; callers simply
// pop again later (the scheduler re-checks its inbox on its next pass).
#pragma once
#include <atomic>
#include <concepts>

#include "core/ordering.h"

namespace core {

// Embed by deriving from it: struct Task : MpscNode, ... { };
struct MpscNode {
    Atomic<MpscNode*> m_next_in_inbox{nullptr};
};

template <typename T>
requires std::derived_from<T, MpscNode>
class MpscInbox {
public:
    MpscInbox() = default;
    MpscInbox(const MpscInbox&) = delete;
    MpscInbox& operator=(const MpscInbox&) = delete;

    // Any thread. The node must not be in any inbox already.
    void push(T* item) { push_node(static_cast<MpscNode*>(item)); }

    // Consumer only. Oldest item, or nullptr when empty (or a producer is mid-push).
    T* pop() {
        // relaxed: m_tail is the consumer's own; it is atomic only so that watchdogs on
        // other threads may read it through empty_approx().
        MpscNode* tail = m_tail.load(std::memory_order_relaxed);
        // acquire: pairs with the release store of the link in push_node(), so the item's
        // contents written before push() are visible.
        MpscNode* next = tail->m_next_in_inbox.load(std::memory_order_acquire);
        if (tail == &m_stub) {
            if (!next) return nullptr;
            m_tail.store(next, std::memory_order_relaxed);  // relaxed: consumer-only
            tail = next;
            next = next->m_next_in_inbox.load(std::memory_order_acquire);  // acquire: as above
        }
        if (next) {
            m_tail.store(next, std::memory_order_relaxed);  // relaxed: consumer-only
            return static_cast<T*>(tail);
        }
        // tail is the last linked node. If it is not the head, a producer has exchanged
        // the head but not linked yet: come back later.
        // acquire: pairs with the acq_rel exchange in push_node().
        if (tail != m_head.load(std::memory_order_acquire)) return nullptr;
        // Re-insert the stub behind tail so tail can be handed out without leaving the
        // queue without a node.
        push_node(&m_stub);
        next = tail->m_next_in_inbox.load(std::memory_order_acquire);  // acquire: as above
        if (next) {
            m_tail.store(next, std::memory_order_relaxed);  // relaxed: consumer-only
            return static_cast<T*>(tail);
        }
        // A producer exchanged the head between our check and the stub's insertion and
        // has not linked tail to its node yet. tail is still unconsumed, so the head
        // being the stub does not mean empty here: empty_approx() also looks at m_tail.
        return nullptr;
    }

    // Consumer only: pop()'s first look, for a caller that would rather not make the call
    // on an empty inbox. True when the stub is the tail with nothing linked behind it,
    // where pop() returns nullptr at once (a push still between its exchange and its link
    // is missed here as it is there; the caller comes back on its next pass).
    bool nothing_to_pop() const {
        // relaxed: m_tail is the consumer's own (as in pop()).
        // relaxed: only whether the link is null matters; a caller that sees it set calls
        // pop(), whose acquire load of the same link is the one that publishes the item.
        return m_tail.load(std::memory_order_relaxed) == &m_stub &&
               !m_stub.m_next_in_inbox.load(std::memory_order_relaxed);
    }

    // May be wrong by the time it returns; true means "nothing pushed and not yet popped"
    // at some recent moment. Exact for the consumer after a full fence, which is how the
    // idle re-check uses it: a push that precedes the fence has moved m_head off the stub
    // (or linked the stub), and nothing the consumer has not popped lies behind m_tail.
    // All three are needed. The head alone is wrong after pop() re-inserted the stub
    // while a producer raced it (head == stub, stub unlinked, two nodes still queued
    // before it); that once let a CPU halt on a non-empty inbox (test: Inbox.
    // empty_approx_never_hides_a_finished_push).
    bool empty_approx() const {
        // relaxed (all): a hint, ordered by the caller's fence where it matters.
        return m_tail.load(std::memory_order_relaxed) == &m_stub &&
               !m_stub.m_next_in_inbox.load(std::memory_order_relaxed) &&
               m_head.load(std::memory_order_relaxed) == &m_stub;
    }

private:
    void push_node(MpscNode* node) {
        // relaxed: published by the release store below (the consumer reads it only
        // through the predecessor's link).
        node->m_next_in_inbox.store(nullptr, std::memory_order_relaxed);
        // acq_rel: release orders the null above before we become the head; acquire
        // makes the previous head's node ours to link (its earlier producer finished with
        // it). Exchange order is the queue's order.
        MpscNode* previous = m_head.exchange(node, std::memory_order_acq_rel);
        // release: pairs with the acquire loads of the link in pop(): the node and the
        // item around it are complete when the consumer reaches it.
        previous->m_next_in_inbox.store(node, std::memory_order_release);
    }

    alignas(64) Atomic<MpscNode*> m_head{&m_stub};  // producers
    alignas(64) Atomic<MpscNode*> m_tail{&m_stub};  // written by the consumer only
    MpscNode m_stub;
};

}  // namespace core
