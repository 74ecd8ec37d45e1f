// The boot demo (demo=on, without test=): a fork-join fib on every CPU, then the metrics.
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "lib/log.h"
#include "sched/scheduler.h"

namespace sched {
namespace {

constexpr int64_t kDemoFib = 22;

int64_t demo_fib_task(void* arg);

int64_t demo_fib(int64_t n) {
    if (n < 2) return n;
    auto r = spawn(demo_fib_task, reinterpret_cast<void*>(uintptr_t(n - 1)), {.name = "fib"});
    if (!r.ok()) return demo_fib(n - 1) + demo_fib(n - 2);  // out of memory: stay serial
    int64_t b = demo_fib(n - 2);
    return join(r.handle) + b;
}

int64_t demo_fib_task(void* arg) { return demo_fib(int64_t(reinterpret_cast<uintptr_t>(arg))); }

}  // namespace

void run_demo() {
    uint64_t start = arch::rdtsc();
    auto r = spawn(demo_fib_task, reinterpret_cast<void*>(uintptr_t(kDemoFib)), {.name = "fib"});
    if (!r.ok()) {
        log_warn("demo: spawn failed: %s", to_string(r.error));
        return;
    }
    int64_t result = join(r.handle);
    uint64_t us = (arch::rdtsc() - start) / (arch::tsc_hz() / 1000000 ? arch::tsc_hz() / 1000000 : 1);
    log_info("demo: fork-join fib(%lld) = %lld on %u cpus in %llu us", (long long)kDemoFib, (long long)result,
             arch::cpu_count(), (unsigned long long)us);
    dump_metrics();
}

}  // namespace sched
