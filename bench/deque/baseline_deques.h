#pragma once
// The two baselines of the deque benchmarks, behind the same small interface as ours
// (see ours_deque.h): push/take for the owner, a Thief handle with steal() for other threads.
// Every implementation stores the same item type (a pointer to bench::Item).
#include "deque/item.h"

#include <xenium/chase_work_stealing_deque.hpp>
#include <xenium/policy.hpp>

#include <cstddef>
#include <deque>
#include <mutex>

namespace bench {

// xenium's Chase-Lev deque as Debian packages it. Its default container is a growing array
// that never frees old segments, so it needs no reclaimer. We fix the minimum capacity at
// kDequeCapacity, the same initial capacity ours gets, so neither grows during a run.
class XeniumDeque {
public:
    static constexpr char const* name = "xenium";

    explicit XeniumDeque(std::size_t) { }

    bool push(Item* item) { return m_deque.try_push(item); }

    Item* take()
    {
        Item* item = nullptr;
        return m_deque.try_pop(item) ? item : nullptr;
    }

    class Thief {
    public:
        explicit Thief(XeniumDeque& owner) : m_owner(owner) { }
        Item* steal()
        {
            Item* item = nullptr;
            return m_owner.m_deque.try_steal(item) ? item : nullptr;
        }

    private:
        XeniumDeque& m_owner;
    };

    Thief thief() { return Thief(*this); }

private:
    xenium::chase_work_stealing_deque<Item, xenium::policy::capacity<kDequeCapacity>> m_deque;
};

// The locked ready queue this project replaces: one mutex around a std::deque. The owner
// works at the back (LIFO), thieves at the front, exactly like the lock-free deques.
class MutexDeque {
public:
    static constexpr char const* name = "mutex";

    explicit MutexDeque(std::size_t) { }

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
        explicit Thief(MutexDeque& owner) : m_owner(owner) { }
        Item* steal()
        {
            std::lock_guard lock(m_owner.m_lock);
            if (m_owner.m_items.empty())
                return nullptr;
            Item* item = m_owner.m_items.front();
            m_owner.m_items.pop_front();
            return item;
        }

    private:
        MutexDeque& m_owner;
    };

    Thief thief() { return Thief(*this); }

private:
    std::mutex m_lock;
    std::deque<Item*> m_items;
};

}
