#pragma once
// Our Chase-Lev deque (src/core/deque.h) behind the benchmark interface. A thief must be in
// an epoch section of the deque's domain while it steals; like a kernel CPU it is an online
// (QSBR) participant that says quiescent() between steals, which costs two plain loads.
#include "core/deque.h"
#include "core/epoch.h"
#include "deque/item.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace bench {

class OursDeque {
public:
    static constexpr char const* name = "ours";

    explicit OursDeque(std::size_t capacity)
        : m_capacity(capacity)
    {
        open();
    }

    bool push(Item* item) { return m_owner->push(item) == core::PushResult::ok; }

    Item* take() { return m_owner->take(); }

    // A new, empty deque of the first capacity (owner only, no thief running). No thread
    // is pinned, so two epoch advances end the grace period of every buffer retired so far,
    // and the owner frees them here, as a kernel CPU's reclaim pass would.
    void renew()
    {
        m_owner.reset();
        m_deque.reset();
        open();
        m_epochs.try_advance();
        m_epochs.try_advance();
        m_epochs.reclaim_shared();
    }

    class Thief {
    public:
        Thief(OursDeque& owner, std::size_t index)
            : m_victim(owner.m_deque->stealer())
            , m_epoch(owner.m_epochs, std::uint32_t(index))
        {
            m_epoch.go_online();
        }
        ~Thief() { m_epoch.go_offline(); }
        Thief(Thief const&) = delete;
        Thief& operator=(Thief const&) = delete;

        Item* steal()
        {
            m_epoch.quiescent();
            return m_victim.steal().item;
        }

        // Moves up to half of the victim, at most kStealBatch, into our own deque and takes
        // the newest of them.
        Item* steal_batch_and_take()
        {
            m_epoch.quiescent();
            if (m_victim.steal_batch(m_own, kStealBatch) == 0)
                return nullptr;
            return m_own.take();
        }

        Item* take_own() { return m_own.take(); }

    private:
        core::DequeStealer<Item> m_victim; // the deque lives as long as this thief (no renew())
        core::EpochParticipant m_epoch;
        // Nobody steals from this one; its buffer never grows past kStealBatch.
        core::EpochDomain m_own_epochs { 1 };
        core::WorkStealingDeque<Item> m_own_deque { m_own_epochs, kStealBatch };
        core::DequeOwner<Item> m_own = m_own_deque.owner();
    };

private:
    void open()
    {
        m_deque.emplace(m_epochs, m_capacity);
        m_owner.emplace(m_deque->owner());
    }

    std::size_t m_capacity;
    // Declared before the deque: it must outlive it (the deque retires its buffer there).
    core::EpochDomain m_epochs { kMaxThieves };
    std::optional<core::WorkStealingDeque<Item>> m_deque;
    std::optional<core::DequeOwner<Item>> m_owner; // the benchmark's thread is the owner
};

}
