// Owner-only FIFO of tasks linked through Task::run_next: a CPU's pinned, realtime and
// background lists. Never changed by another CPU (so never stolen from), which is why a
// plain singly linked list with a tail pointer is enough; only its size is read from
// elsewhere, by monitors.
#pragma once
#include <atomic>
#include <cstddef>

#include "sched/model/task.h"

namespace sched {

class TaskList {
public:
    TaskList() = default;
    TaskList(const TaskList&) = delete;
    TaskList& operator=(const TaskList&) = delete;

    bool empty() const { return m_head == nullptr; }
    // Exact on the owner; from any other CPU a racy hint for monitors (`top`), never for
    // decisions.
    size_t size() const { return m_size.load(std::memory_order_relaxed); }
    Task* front() const { return m_head; }

    void push_back(Task* task) {
        task->run_next = nullptr;
        if (m_tail)
            m_tail->run_next = task;
        else
            m_head = task;
        m_tail = task;
        bump(1);
    }
    void push_front(Task* task) {
        task->run_next = m_head;
        m_head = task;
        if (!m_tail) m_tail = task;
        bump(1);
    }
    Task* pop_front() {
        Task* task = m_head;
        if (!task) return nullptr;
        m_head = task->run_next;
        if (!m_head) m_tail = nullptr;
        task->run_next = nullptr;
        bump(-1);
        return task;
    }

private:
    // relaxed (load and store): the owner is the only writer; other CPUs read the size only
    // as a monitor's hint (size()), so nothing is published through it.
    void bump(int delta) { m_size.store(m_size.load(std::memory_order_relaxed) + size_t(delta), std::memory_order_relaxed); }

    Task* m_head = nullptr;
    Task* m_tail = nullptr;
    std::atomic<size_t> m_size{0};
};

}  // namespace sched
