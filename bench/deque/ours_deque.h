#pragma once
// Our Chase-Lev deque (src/core/deque.h) behind the benchmark interface. A thief must be in
// an epoch section of the deque's domain while it steals; like a kernel CPU it is an online
// (QSBR) participant that says quiescent() between steals, which costs two plain loads.
#include "core/deque.h"
#include "core/epoch.h"
#include "deque/item.h"

#include <cstddef>
#include <cstdint>

namespace bench {

class OursDeque {
public:
    static constexpr char const* name = "ours";

    explicit OursDeque(std::size_t capacity)
        : m_deque(m_epochs, capacity)
    {
    }

    bool push(Item* item) { return m_deque.push(item) == core::PushResult::ok; }

    Item* take() { return m_deque.take(); }

    class Thief {
    public:
        explicit Thief(OursDeque& owner)
            : m_owner(owner)
            , m_epoch(owner.m_epochs, kThiefParticipant)
        {
            m_epoch.go_online();
        }
        ~Thief() { m_epoch.go_offline(); }
        Thief(Thief const&) = delete;
        Thief& operator=(Thief const&) = delete;

        Item* steal()
        {
            m_epoch.quiescent();
            return m_owner.m_deque.steal().item;
        }

    private:
        OursDeque& m_owner;
        core::EpochParticipant m_epoch;
    };

    Thief thief() { return Thief(*this); }

private:
    static constexpr std::uint32_t kThiefParticipant = 0;

    // Declared before the deque: it must outlive it (the deque retires its buffer there).
    core::EpochDomain m_epochs { 1 };
    core::WorkStealingDeque<Item> m_deque;
};

}
