// UTS: the two trees of kUtsCases counted by one task per node, at every CPU count of the
// scaling runs; also the most task stacks a variant's scheduling order holds at once.
#include <atomic>
#include <cstdint>

#include "arch/x86_64/tsc.h"
#include "kbench/bench.h"
#include "kbench/runs.h"
#include "mm/kstack.h"
#include "sched/kernel/task_memory.h"

namespace sched::kbench {
namespace {

// One task per tree node: it spawns a task per child (in batches of kUtsFanout, whose
// arguments live on its own stack while it waits) and joins them, so no task's stack grows
// with the tree's depth (T3-b200 is 333 levels deep; kernel stacks are 16 KiB).
constexpr uint32_t kUtsFanout = 32;

// What every task of one count shares; on the stack of the task that started the count.
struct UtsRun {
    const lib::UtsTree* tree;
    const std::atomic<bool>* stop;
    // Children run inline because spawn failed (out of task memory). relaxed: a count,
    // read after the run's join, which orders every increment before it.
    std::atomic<uint64_t> inlined{0};
};

struct UtsArg {
    UtsRun* run;
    lib::UtsNode node;
};

int64_t uts_task(void* arg);

bool stopped(const UtsRun& run) {
    // relaxed: a flag polled before each batch; the joins order everything else.
    return run.stop && run.stop->load(std::memory_order_relaxed);
}

int64_t uts_subtree(UtsRun& run, const lib::UtsNode& node) {
    uint32_t children = lib::uts_child_count(*run.tree, node);
    int64_t nodes = 1;
    for (uint32_t first = 0; first < children && !stopped(run); first += kUtsFanout) {
        uint32_t n = children - first < kUtsFanout ? children - first : kUtsFanout;
        UtsArg args[kUtsFanout];
        TaskHandle handles[kUtsFanout];
        for (uint32_t i = 0; i < n; ++i) {
            args[i] = UtsArg{&run, lib::uts_child(node, first + i)};
            auto r = spawn(uts_task, &args[i], {.name = "uts"});
            if (r.ok())
                handles[i] = static_cast<TaskHandle&&>(r.handle);
            else {
                run.inlined.fetch_add(1, std::memory_order_relaxed);  // relaxed: see UtsRun
                nodes += uts_subtree(run, args[i].node);  // out of memory: inline
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
    return uts_subtree(*a->run, a->node);
}

// One timed run of `tree`; row.nodes is what the tasks counted.
UtsRow uts_run(const lib::UtsTree& tree) {
    UtsRow row;
    uint64_t start = arch::rdtsc();
    const UtsCountResult count = uts_count_with_tasks(tree, nullptr);
    row.cycles = arch::rdtsc() - start;
    row.nodes = count.nodes;
    row.inlined = count.inlined;
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

UtsCountResult uts_count_with_tasks(const lib::UtsTree& tree, const std::atomic<bool>* stop) {
    UtsRun run{&tree, stop};
    UtsArg root{&run, lib::uts_root(tree)};
    auto r = spawn(uts_task, &root, {.name = "uts"});
    UtsCountResult result;
    result.nodes = uint64_t(r.ok() ? join(r.handle) : uts_subtree(run, root.node));
    result.inlined = run.inlined.load(std::memory_order_relaxed);  // relaxed: after the join
    return result;
}

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
