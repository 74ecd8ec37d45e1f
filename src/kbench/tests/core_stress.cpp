// The lock-free core's stress inside the kernel (workloads/core_stress.h, one worker pinned to
// each online CPU: what the console's `stress` and the torture run), bounded by rounds, never
// by time, so it runs at every CPU count and under both ready-queue variants of the QEMU
// matrix. The second test breaks the run on purpose: a verdict that cannot fail proves nothing.
#include <atomic>

#include "kbench/core_stress.h"
#include "ktest/ktest.h"
#include "sched/kernel/kernel_glue.h"

namespace {

constexpr uint64_t kRounds = 4;
constexpr uint32_t kItemsPerWorker = 512;

uint64_t g_last_rounds = 0;  // the running test's, for its progress callback

workloads::CoreStressOptions bounded_options(workloads::CoreStressFault fault) {
    g_last_rounds = 0;
    workloads::CoreStressOptions options;
    options.seconds = 3600;  // never reached: the rounds end the run
    options.max_rounds = kRounds;
    options.items_per_worker = kItemsPerWorker;
    options.fault = fault;
    // About once a second while it runs. The watchdog judges progress, not age: a round
    // completed since the last look is progress, a second without one is not.
    options.progress = [](void* last_rounds, const workloads::CoreStressCounts& so_far, uint64_t) {
        uint64_t& last = *static_cast<uint64_t*>(last_rounds);
        if (so_far.rounds == last) return;
        last = so_far.rounds;
        ktest::progress();
    };
    options.progress_context = &g_last_rounds;
    options.cancelled = [](void*) { return ktest::cancelled(); };
    return options;
}

uint32_t online_cpus() {
    // acquire: as hotplug publishes the online set.
    return sched::shared().online.load(std::memory_order_acquire).count();
}

}  // namespace

KTEST_SCHED(core_stress_claims_every_item_exactly_once_on_every_cpu) {
    const uint32_t cpus = online_cpus();
    const auto r = sched::kbench::run_core_stress_on_cpus(bounded_options(workloads::CoreStressFault::none));
    const workloads::CoreStressCounts& c = r.counts;
    KEXPECT(r.error == workloads::CoreStressError::none, "stress could not start (error %u)", unsigned(r.error));
    KEXPECT(r.workers == cpus, "%u workers for %u online cpus", r.workers, cpus);
    KEXPECT(c.rounds == kRounds, "%llu rounds, expected %llu", (unsigned long long)c.rounds,
            (unsigned long long)kRounds);
    KEXPECT(c.pushed + c.sent == kRounds * cpus * kItemsPerWorker, "%llu items published, expected %llu",
            (unsigned long long)(c.pushed + c.sent), (unsigned long long)(kRounds * cpus * kItemsPerWorker));
    KEXPECT(c.lost == 0 && c.duplicated == 0 && c.corrupted == 0, "lost %llu, duplicated %llu, corrupted %llu",
            (unsigned long long)c.lost, (unsigned long long)c.duplicated, (unsigned long long)c.corrupted);
    KEXPECT(r.passed(), "verdict %s", workloads::describe(r));
}

KTEST_SCHED(core_stress_verdict_fails_when_an_item_is_lost) {
    const auto r = sched::kbench::run_core_stress_on_cpus(bounded_options(workloads::CoreStressFault::lose_item));
    KEXPECT(r.counts.lost == 1, "the deliberately lost item counted as %llu lost", (unsigned long long)r.counts.lost);
    KEXPECT(!r.passed(), "the verdict passed with a lost item");
}
