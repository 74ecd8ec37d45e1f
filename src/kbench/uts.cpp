// UTS: the two trees of kUtsCases counted by one task per node, at every CPU count of the
// scaling runs; also the most task stacks a variant's scheduling order holds at once.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "mm/kstack.h"
#include "sched/kernel/task_memory.h"

namespace sched::kbench {
namespace {

// One task per tree node: it spawns a task per child (in batches of kUtsFanout, whose
// arguments live on its own stack while it waits) and joins them, so no task's stack grows
// with the tree's depth (T3-b200 is 333 levels deep; kernel stacks are 16 KiB).
constexpr uint32_t kUtsFanout = 32;

struct UtsArg {
    const lib::UtsTree* tree;
    lib::UtsNode node;
};

int64_t uts_task(void* arg);

// Children run inline because spawn failed (out of task memory). relaxed: a count, read
// after the run's join, which orders every increment before it.
std::atomic<uint64_t> g_uts_inlined{0};

int64_t uts_subtree(const lib::UtsTree& tree, const lib::UtsNode& node) {
    uint32_t children = lib::uts_child_count(tree, node);
    int64_t nodes = 1;
    for (uint32_t first = 0; first < children; first += kUtsFanout) {
        uint32_t n = children - first < kUtsFanout ? children - first : kUtsFanout;
        UtsArg args[kUtsFanout];
        TaskHandle handles[kUtsFanout];
        for (uint32_t i = 0; i < n; ++i) {
            args[i] = UtsArg{&tree, lib::uts_child(node, first + i)};
            auto r = spawn(uts_task, &args[i], {.name = "uts"});
            if (r.ok())
                handles[i] = static_cast<TaskHandle&&>(r.handle);
            else {
                g_uts_inlined.fetch_add(1, std::memory_order_relaxed);  // relaxed: see above
                nodes += uts_subtree(tree, args[i].node);  // out of memory: inline
            }
        }
        for (uint32_t i = 0; i < n; ++i) {
            if (handles[i].valid()) nodes += join(handles[i]);
        }
    }
    return nodes;
}

int64_t uts_task(void* arg) {
    auto* a = static_cast<UtsArg*>(arg);
    return uts_subtree(*a->tree, a->node);
}

// One timed run of `tree`; row.nodes is what the tasks counted.
UtsRow uts_run(const lib::UtsTree& tree) {
    UtsRow row;
    UtsArg root{&tree, lib::uts_root(tree)};
    g_uts_inlined.store(0, std::memory_order_relaxed);  // relaxed: no run is going on
    uint64_t start = arch::rdtsc();
    auto r = spawn(uts_task, &root, {.name = "uts"});
    row.nodes = uint64_t(r.ok() ? join(r.handle) : uts_subtree(tree, root.node));
    row.cycles = arch::rdtsc() - start;
    row.inlined = g_uts_inlined.load(std::memory_order_relaxed);  // relaxed: after the join
    return row;
}

// An untimed run first, from empty stack caches, measures the memory the variant's
// scheduling order holds: the most task stacks allocated at once (live tasks plus the few
// in the caches). It also warms the caches, as spawn+exit's warm-up does, so the timed run
// maps no fresh stacks.
UtsRow bench_uts(const lib::UtsTree& tree) {
    drain_reclaim();
    trim_task_memory();
    mm::reset_kernel_stack_peak();
    UtsRow warm = uts_run(tree);
    uint64_t peak = mm::kernel_stack_stats().peak;
    UtsRow row = uts_run(tree);
    row.inlined += warm.inlined;
    for (uint32_t run = 1; run < kBestOf - 1; ++run) {  // the warm-up makes kBestOf runs in all
        UtsRow again = uts_run(tree);
        row.inlined += again.inlined;
        if (again.nodes != row.nodes) row.nodes = 0;  // reported as a wrong count
        if (again.cycles < row.cycles) row.cycles = again.cycles;
    }
    row.peak_stacks = peak;
    if (warm.nodes != row.nodes) row.nodes = 0;
    if (row.inlined) {
        log_warn("bench: UTS %s: %llu children ran inline: spawn ran out of task memory (%llu stacks at peak)",
                 tree.name, (unsigned long long)row.inlined, (unsigned long long)peak);
    }
    return row;
}

}  // namespace

void run_uts(Variants& vs, const Level& level) {
    for (uint32_t t = 0; t < kUtsTrees; ++t) {
        const UtsCase& c = kUtsCases[t];
        vs.each(level.index, LockSlot(kLockUtsT1 + t), [&](Results& res) {
            log_info("bench: sched: %s: %u cpus: UTS %s (%llu nodes)", res.variant, level.cpus, c.tree->name,
                     (unsigned long long)c.expected_nodes);
            UtsRow& row = res.uts[t][level.index];
            row = bench_uts(*c.tree);
            if (row.nodes != c.expected_nodes) {
                log_error("bench: UTS %s counted %llu nodes, expected %llu", c.tree->name,
                          (unsigned long long)row.nodes, (unsigned long long)c.expected_nodes);
                vs.ok = false;
            }
        });
    }
}

}  // namespace sched::kbench
