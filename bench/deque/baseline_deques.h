#pragma once
// Two of the deque benchmarks' baselines (crossbeam is in crossbeam_deque.h), behind the same
// small interface as ours (ours_deque.h): push/take/renew for the owner, a Thief handle
// (deque, thief index) with steal() and, where the deque has one, a batch steal into a
// private list (steal_batch_and_take, take_own). Every implementation stores the same item
// type (a pointer to bench::Item).
#include "deque/item.h"

#include <xenium/chase_work_stealing_deque.hpp>
#include <xenium/policy.hpp>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace bench {

// xenium's Chase-Lev deque as Debian packages it. Its default container is a growing array
// that never frees old segments, so it needs no reclaimer. Its minimum capacity is a template
// argument: kDequeCapacity for every row (the initial capacity ours gets, so neither grows
// during a run), kGrowFrom for BM_deque_burst_grow. It has no batch steal.
template<std::size_t MinCapacity>
class BasicXeniumDeque {
public:
    static constexpr char const* name = "xenium";

    explicit BasicXeniumDeque(std::size_t) { m_deque.emplace(); }

    bool push(Item* item) { return m_deque->try_push(item); }

    Item* take()
    {
        Item* item = nullptr;
        return m_deque->try_pop(item) ? item : nullptr;
    }

    // A new, empty deque of the minimum capacity (owner only, no thief running).
    void renew()
    {
        m_deque.reset();
        m_deque.emplace();
    }

    class Thief {
    public:
        Thief(BasicXeniumDeque& owner, std::size_t) : m_owner(owner) { }
        Item* steal()
        {
            Item* item = nullptr;
            return m_owner.m_deque->try_steal(item) ? item : nullptr;
        }

    private:
        BasicXeniumDeque& m_owner;
    };

private:
    std::optional<xenium::chase_work_stealing_deque<Item, xenium::policy::capacity<MinCapacity>>> m_deque;
};

using XeniumDeque = BasicXeniumDeque<kDequeCapacity>;

// The locked ready queue this project replaces: one mutex around a std::deque. The owner
// works at the back (LIFO), thieves at the front, exactly like the lock-free deques.
class MutexDeque {
public:
    static constexpr char const* name = "mutex";

    explicit MutexDeque(std::size_t) { }

    // A new, empty std::deque (owner only, no thief running).
    void renew() { m_items = std::deque<Item*>(); }

    bool push(Item* item)
    {
        std::lock_guard lock(m_lock);
        m_items.push_back(item);
        return true;
    }

    Item* take()
    {
        std::lock_guard lock(m_lock);
        if (m_items.empty())
            return nullptr;
        Item* item = m_items.back();
        m_items.pop_back();
        return item;
    }

    class Thief {
    public:
        Thief(MutexDeque& owner, std::size_t)
            : m_owner(owner)
        {
            m_own.reserve(kStealBatch);
        }

        Item* steal()
        {
            std::lock_guard lock(m_owner.m_lock);
            if (m_owner.m_items.empty())
                return nullptr;
            Item* item = m_owner.m_items.front();
            m_owner.m_items.pop_front();
            return item;
        }

        // One lock for the whole batch: half of the queue (rounded up), at most kStealBatch,
        // moved to a private list; the newest of them is returned.
        Item* steal_batch_and_take()
        {
            {
                std::lock_guard lock(m_owner.m_lock);
                std::size_t count = std::min((m_owner.m_items.size() + 1) / 2, kStealBatch);
                for (std::size_t i = 0; i < count; ++i) {
                    m_own.push_back(m_owner.m_items.front());
                    m_owner.m_items.pop_front();
                }
            }
            return take_own();
        }

        Item* take_own()
        {
            if (m_own.empty())
                return nullptr;
            Item* item = m_own.back();
            m_own.pop_back();
            return item;
        }

    private:
        MutexDeque& m_owner;
        std::vector<Item*> m_own;
    };

private:
    std::mutex m_lock;
    std::deque<Item*> m_items;
};

}
