// The kernel's platform for workloads::run_core_stress: workers are tasks pinned one to
// each CPU that was online when the run started, waiting is sched::yield(), the clock is
// the TSC's nanoseconds since boot.
#include "kbench/core_stress.h"

#include <atomic>
#include <new>

#include "arch/x86_64/tsc.h"
#include "lib/log.h"
#include "mm/heap.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"

namespace sched::kbench {
namespace {

struct WorkerStart {
    void (*body)(void* arg, uint32_t index) = nullptr;
    void* arg = nullptr;
    uint32_t index = 0;
};

// On the heap: per-CPU arrays too large for a task stack.
struct KernelStressPlatform {
    uint32_t cpus[kMaxCpus] = {};
    uint32_t cpu_count = 0;
    WorkerStart starts[kMaxCpus];
    TaskHandle handles[kMaxCpus];
    uint32_t started = 0;
};

int64_t worker_task(void* arg) {
    const WorkerStart& start = *static_cast<const WorkerStart*>(arg);
    start.body(start.arg, start.index);
    return 0;
}

uint32_t worker_count(void* context) {
    auto& p = *static_cast<KernelStressPlatform*>(context);
    // acquire: as hotplug publishes the online set (pairs with its release update).
    const CpuMask online = shared().online.load(std::memory_order_acquire);
    p.cpu_count = 0;
    for (uint32_t cpu = online.next(0); cpu < kMaxCpus; cpu = online.next(cpu + 1)) p.cpus[p.cpu_count++] = cpu;
    return p.cpu_count;
}

bool start_worker(void* context, uint32_t index, void (*body)(void*, uint32_t), void* arg) {
    auto& p = *static_cast<KernelStressPlatform*>(context);
    if (index >= p.cpu_count) return false;
    p.starts[index] = WorkerStart{body, arg, index};
    auto r = spawn(worker_task, &p.starts[index], {.name = "core-stress", .affinity = CpuMask::single(p.cpus[index])});
    if (!r.ok()) {
        log_warn("stress: cannot start the worker for cpu %u: %s", p.cpus[index], to_string(r.error));
        return false;
    }
    p.handles[index] = static_cast<TaskHandle&&>(r.handle);
    p.started = index + 1;
    return true;
}

void join_workers(void* context) {
    auto& p = *static_cast<KernelStressPlatform*>(context);
    for (uint32_t i = 0; i < p.started; ++i)
        if (p.handles[i].valid()) join(p.handles[i]);
    p.started = 0;
}

uint64_t now_ns() { return arch::ns_since_boot(); }
void sleep_ns(uint64_t ns) { sleep_for(ns); }
void pause() { yield(); }

}  // namespace

workloads::CoreStressResult run_core_stress_on_cpus(const workloads::CoreStressOptions& options) {
    void* memory = mm::kmalloc(sizeof(KernelStressPlatform), alignof(KernelStressPlatform));
    if (!memory) {
        workloads::CoreStressResult result;
        result.error = workloads::CoreStressError::out_of_memory;
        return result;
    }
    workloads::CoreStressPlatform platform;
    auto* context = new (memory) KernelStressPlatform;
    platform.context = context;
    platform.worker_count = &worker_count;
    platform.start_worker = &start_worker;
    platform.join_workers = &join_workers;
    platform.now_ns = &now_ns;
    platform.sleep_ns = &sleep_ns;
    platform.pause = &pause;
    const workloads::CoreStressResult result = workloads::run_core_stress(options, platform);
    context->~KernelStressPlatform();
    mm::kfree(memory);
    return result;
}

}  // namespace sched::kbench
