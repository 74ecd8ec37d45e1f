#pragma once
// The two fork-join workloads, written once over an executor's join(a, b): a runs inline,
// b is offered to other workers. Every executor (and the sequential one) runs this same code.
#include "workloads/uts.h"

#include <cstddef>
#include <cstdint>

namespace bench {

// One UTS for the kernel and the host: src/lib/uts.h.
using lib::kUtsT1;
using lib::kUtsT1ReferenceNodes;
using lib::uts_child;
using lib::uts_child_count;
using lib::uts_root;
using lib::UtsCount;
using lib::UtsNode;
using lib::UtsTree;

// Runs a then b on the calling thread: the sequential reference, with no spawn at all.
struct SequentialExecutor {
    static constexpr char const* name = "seq";

    explicit SequentialExecutor(std::size_t = 1) { }

    template<class Root>
    void run(Root&& root)
    {
        root();
    }

    template<class A, class B>
    void join(A&& a, B&& b)
    {
        a();
        b();
    }
};

// Naive doubly recursive Fibonacci, one join per call with n >= 2, so fib(n) spawns
// fib(n + 1) - 1 times: the classic measure of spawn overhead.
template<class Executor>
std::uint64_t fib(Executor& executor, int n)
{
    if (n < 2)
        return std::uint64_t(n);
    std::uint64_t smaller = 0;
    std::uint64_t larger = 0;
    executor.join([&] { larger = fib(executor, n - 1); }, [&] { smaller = fib(executor, n - 2); });
    return larger + smaller;
}

inline std::uint64_t fib_spawn_count(int n)
{
    std::uint64_t previous = 0, current = 1; // fib(0), fib(1)
    for (int i = 1; i <= n; ++i) {
        std::uint64_t const next = previous + current;
        previous = current;
        current = next;
    }
    return current - 1; // fib(n + 1) - 1
}

template<class Executor>
UtsCount uts_count(Executor& executor, UtsTree const& tree, UtsNode const& node);

// The children [first, last) of parent, split in halves so a node with k children costs
// k - 1 joins; over the tree that is (leaves - 1) joins.
template<class Executor>
UtsCount uts_count_children(Executor& executor, UtsTree const& tree, UtsNode const& parent, std::uint32_t first, std::uint32_t last)
{
    if (last - first == 1)
        return uts_count(executor, tree, uts_child(parent, first));
    std::uint32_t const middle = first + (last - first) / 2;
    UtsCount left, right;
    executor.join([&] { left = uts_count_children(executor, tree, parent, first, middle); },
        [&] { right = uts_count_children(executor, tree, parent, middle, last); });
    return UtsCount { left.nodes + right.nodes, left.leaves + right.leaves };
}

template<class Executor>
UtsCount uts_count(Executor& executor, UtsTree const& tree, UtsNode const& node)
{
    std::uint32_t const children = uts_child_count(tree, node);
    if (children == 0)
        return UtsCount { 1, 1 };
    UtsCount below = uts_count_children(executor, tree, node, 0u, children);
    below.nodes += 1;
    return below;
}

}
