// A doubly linked FIFO of tasks through Task::run_next / run_prev: the lists of the locked
// ready queues (issue 5). Not synchronized: its owner (LockedReadyQueues) holds the CPU's
// queue lock around every call. Both ends are O(1), so the owner can take the newest task
// (the "The pick policy and fairness" LIFO pick) while thieves take the oldest one they may run.
#pragma once
#include <cstddef>

#include "sched/model/task.h"

namespace sched {

class RunList {
public:
    RunList() = default;
    RunList(const RunList&) = delete;
    RunList& operator=(const RunList&) = delete;

    bool empty() const { return m_head == nullptr; }
    size_t size() const { return m_size; }

    void push_back(Task* task) {
        task->run_next = nullptr;
        task->run_prev = m_tail;
        if (m_tail)
            m_tail->run_next = task;
        else
            m_head = task;
        m_tail = task;
        ++m_size;
    }
    Task* pop_front() { return m_head ? remove(m_head) : nullptr; }
    Task* pop_back() { return m_tail ? remove(m_tail) : nullptr; }
    // The oldest task for which accept(task) holds, unlinked; nullptr if none.
    template <typename Accept>
    Task* take_first_if(Accept&& accept) {
        for (Task* task = m_head; task; task = task->run_next) {
            if (accept(task)) return remove(task);
        }
        return nullptr;
    }

private:
    Task* remove(Task* task) {
        if (task->run_prev)
            task->run_prev->run_next = task->run_next;
        else
            m_head = task->run_next;
        if (task->run_next)
            task->run_next->run_prev = task->run_prev;
        else
            m_tail = task->run_prev;
        task->run_next = nullptr;
        task->run_prev = nullptr;
        --m_size;
        return task;
    }

    Task* m_head = nullptr;
    Task* m_tail = nullptr;
    size_t m_size = 0;
};

}  // namespace sched
