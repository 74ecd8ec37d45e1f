// Work a person can start from the console: `run fib N` in the foreground, background
// `load` workloads (fork-join fib rounds, or spinning tasks) and the `top` view that shows
// what they do to the CPUs. Every task started here is joined before the command or the
// `load stop` that ends it returns.
#include <atomic>
#include <cstddef>

#include "arch/x86_64/tsc.h"
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "console/sched_view.h"
#include "mm/heap.h"
#include "sched/scheduler.h"

namespace console {
namespace {

constexpr uint64_t kMaxRunFib = 32;
constexpr uint64_t kLoadFib = 18;  // one round of a fib workload task
constexpr size_t kMaxWorkloads = 8;
constexpr uint64_t kMaxLoadTasks = 64;

// Shared by every task of one job; lives until all of them are joined.
struct Job {
    std::atomic<bool> stop{false};
    bool foreground = false;  // Ctrl-C stops it too
    std::atomic<uint64_t> rounds{0};
};

bool stopping(const Job& job) {
    // relaxed: a flag polled in a loop; the join that follows orders everything else.
    return job.stop.load(std::memory_order_relaxed) || (job.foreground && input::interrupted());
}

struct FibArgs {
    Job* job;
    int64_t n;
};

int64_t fib_task(void* arg);

// Fork-join fib; once the job stops, no new task is spawned and every level returns at once.
int64_t fib(Job& job, int64_t n) {
    if (n < 2) return n;
    if (stopping(job)) return 0;
    FibArgs child{&job, n - 1};  // on our stack: we join the child before returning
    auto r = sched::spawn(fib_task, &child, {.name = "fib"});
    if (!r.ok()) return fib(job, n - 1) + fib(job, n - 2);  // out of memory: stay serial
    const int64_t b = fib(job, n - 2);
    return sched::join(r.handle) + b;
}

int64_t fib_task(void* arg) {
    auto* a = static_cast<FibArgs*>(arg);
    return fib(*a->job, a->n);
}

int64_t fib_load_task(void* arg) {
    Job& job = *static_cast<Job*>(arg);
    while (!stopping(job)) {
        fib(job, kLoadFib);
        job.rounds.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    }
    return 0;
}

int64_t spin_load_task(void* arg) {
    Job& job = *static_cast<Job*>(arg);
    while (!stopping(job)) {
        const uint64_t until = arch::ns_since_boot() + 1000000;  // 1 ms of pure CPU
        while (arch::ns_since_boot() < until) arch::cpu_relax();
        job.rounds.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    }
    return 0;
}

struct Workload {
    uint32_t id = 0;  // 0: slot free
    const char* kind = "";
    Job* job = nullptr;
    sched::TaskHandle* tasks = nullptr;  // kmalloc'd array of `count`
    size_t count = 0;
    uint64_t started_ns = 0;
};

// Only the console task touches these.
Workload g_workloads[kMaxWorkloads];
uint32_t g_next_workload_id = 1;

void stop_workload(Workload& w) {
    w.job->stop.store(true, std::memory_order_relaxed);  // relaxed: see stopping()
    for (size_t i = 0; i < w.count; ++i)
        if (w.tasks[i].valid()) sched::join(w.tasks[i]);
    const uint64_t rounds = w.job->rounds.load(std::memory_order_relaxed);
    for (size_t i = 0; i < w.count; ++i) w.tasks[i].~TaskHandle();
    mm::kfree(w.tasks);
    delete w.job;
    out("load %u (%s) stopped: %zu tasks joined, %llu rounds\n", w.id, w.kind, w.count, (unsigned long long)rounds);
    w = Workload{};
}

void start_workload(const ParsedCommand& command) {
    const std::string_view kind = command.argument(0);
    const bool is_fib = kind == "fib";
    if (!is_fib && kind != "spin") {
        usage_error(command, "load: unknown workload (fib or spin)");
        return;
    }
    uint64_t count = sched_cpu_count();
    if (command.argument_count() == 2) {
        const auto n = parse_number(command.argument(1), kMaxLoadTasks);
        if (!n || *n == 0) {
            usage_error(command, "load: N must be a number of tasks from 1 to 64");
            return;
        }
        count = *n;
    }
    Workload* slot = nullptr;
    for (Workload& w : g_workloads)
        if (w.id == 0) {
            slot = &w;
            break;
        }
    if (!slot) {
        out("load: %zu workloads already run; stop one first (load stop ID)\n", kMaxWorkloads);
        return;
    }
    Job* job = new Job;
    auto* tasks = static_cast<sched::TaskHandle*>(mm::kmalloc(sizeof(sched::TaskHandle) * count));
    if (!job || !tasks) {
        delete job;
        mm::kfree(tasks);
        out("load: out of memory\n");
        return;
    }
    for (size_t i = 0; i < count; ++i) new (&tasks[i]) sched::TaskHandle();
    *slot = Workload{g_next_workload_id++, is_fib ? "fib" : "spin", job, tasks, count, arch::ns_since_boot()};
    size_t started = 0;
    for (size_t i = 0; i < count; ++i) {
        auto r =
            sched::spawn(is_fib ? fib_load_task : spin_load_task, job, {.name = is_fib ? "load-fib" : "load-spin"});
        if (!r.ok()) {
            out("load: spawn failed after %zu tasks: %s\n", started, sched::to_string(r.error));
            break;
        }
        tasks[i] = static_cast<sched::TaskHandle&&>(r.handle);
        ++started;
    }
    if (started == 0) {
        stop_workload(*slot);
        return;
    }
    out("load %u: %zu %s tasks started (load stop %u ends them)\n", slot->id, started, slot->kind, slot->id);
}

void print_steals(const uint64_t* before, uint32_t cpus) {
    out("steals per cpu:");
    for (uint32_t i = 0; i < cpus; ++i) {
        CpuView view;
        sched_cpu_view(i, view);
        out(" %u:%llu", i, (unsigned long long)(view.steals - before[i]));
    }
    out("\n");
}

}  // namespace

void list_workloads() {
    for (const Workload& w : g_workloads) {
        if (w.id == 0) continue;
        out("load %u: %zu %s tasks, %llu rounds, running %llu s\n", w.id, w.count, w.kind,
            (unsigned long long)w.job->rounds.load(std::memory_order_relaxed),
            (unsigned long long)((arch::ns_since_boot() - w.started_ns) / 1000000000));
    }
}

void cmd_load(const ParsedCommand& command) {
    if (command.argument_count() == 0) {
        bool any = false;
        for (const Workload& w : g_workloads) any = any || w.id != 0;
        if (!any) out("no workloads (load fib|spin [N] starts one)\n");
        list_workloads();
        return;
    }
    if (command.argument(0) != "stop") {
        start_workload(command);
        return;
    }
    if (command.argument_count() == 1) {
        size_t stopped = 0;
        for (Workload& w : g_workloads) {
            if (w.id == 0) continue;
            stop_workload(w);
            ++stopped;
        }
        if (stopped == 0) out("load stop: no workloads\n");
        return;
    }
    const auto id = parse_number(command.argument(1), UINT32_MAX);
    for (Workload& w : g_workloads) {
        if (id && w.id == *id) {
            stop_workload(w);
            return;
        }
    }
    usage_error(command, "load stop: no workload with that id (load lists them)");
}

void cmd_run(const ParsedCommand& command) {
    if (command.argument(0) != "fib") {
        usage_error(command, "run: the only program is fib");
        return;
    }
    const auto n = parse_number(command.argument(1), kMaxRunFib);
    if (!n) {
        usage_error(command, "run: N must be a number from 0 to 32");
        return;
    }
    const uint32_t cpus = sched_cpu_count();
    uint64_t steals_before[256] = {};
    for (uint32_t i = 0; i < cpus; ++i) {
        CpuView view;
        sched_cpu_view(i, view);
        steals_before[i] = view.steals;
    }
    Job job;
    job.foreground = true;
    FibArgs root{&job, int64_t(*n)};
    const uint64_t start_ns = arch::ns_since_boot();
    auto r = sched::spawn(fib_task, &root, {.name = "fib"});
    if (!r.ok()) {
        out("run: spawn failed: %s\n", sched::to_string(r.error));
        return;
    }
    const int64_t result = sched::join(r.handle);
    const uint64_t us = (arch::ns_since_boot() - start_ns) / 1000;
    if (stopping(job))
        out("run: fib(%llu) interrupted after %llu ms; every task joined\n", (unsigned long long)*n,
            (unsigned long long)(us / 1000));
    else
        out("fib(%llu) = %lld in %llu.%03llu ms on %u cpus\n", (unsigned long long)*n, (long long)result,
            (unsigned long long)(us / 1000), (unsigned long long)(us % 1000), cpus);
    print_steals(steals_before, cpus);
}

bool wait_for_key_ms(uint64_t ms) {
    const uint64_t deadline = arch::ns_since_boot() + ms * 1000000;
    for (;;) {
        if (input::try_pop()) {
            // The rest of an escape sequence arrives with it; swallow it too.
            sched::sleep_for(20000000);
            while (input::try_pop()) {}
            return true;
        }
        const uint64_t now = arch::ns_since_boot();
        if (now >= deadline) return false;
        const uint64_t step = deadline - now < 50000000 ? deadline - now : 50000000;
        sched::sleep_for(step);
    }
}

void cmd_top(const ParsedCommand&) {
    const uint32_t cpus = sched_cpu_count();
    static CpuView before[256], now[256];
    for (uint32_t i = 0; i < cpus; ++i) sched_cpu_view(i, before[i]);
    uint64_t before_ns = arch::ns_since_boot(), before_tsc = arch::rdtsc();
    out_serial("\x1b[2J");
    for (uint32_t frame = 0;; ++frame) {
        if (wait_for_key_ms(500)) break;
        const uint64_t now_ns = arch::ns_since_boot(), now_tsc = arch::rdtsc();
        const uint64_t dt_ns = now_ns - before_ns ? now_ns - before_ns : 1;
        const uint64_t dt_tsc = now_tsc - before_tsc ? now_tsc - before_tsc : 1;
        out_serial("\x1b[H");
        out("top: %u cpus, %llu tasks besides the console, %s queues, frame %u (any key quits)\x1b[K\n", cpus,
            (unsigned long long)sched_live_tasks(), sched::backend_name(), frame);
        out("cpu  state    busy%%  switch/s  steal/s  running\x1b[K\n");
        for (uint32_t i = 0; i < cpus; ++i) {
            sched_cpu_view(i, now[i]);
            const uint64_t idle = now[i].idle_cycles - before[i].idle_cycles;
            const uint64_t busy_pct = idle >= dt_tsc ? 0 : 100 - idle * 100 / dt_tsc;
            out("%-4u %-8s %4llu  %8llu %8llu  %s\x1b[K\n", i, now[i].online ? "online" : "offline",
                (unsigned long long)(now[i].online ? busy_pct : 0),
                (unsigned long long)((now[i].switches - before[i].switches) * 1000000000 / dt_ns),
                (unsigned long long)((now[i].steals - before[i].steals) * 1000000000 / dt_ns), now[i].current);
            before[i] = now[i];
        }
        list_workloads();
        out_serial("\x1b[J");
        before_ns = now_ns;
        before_tsc = now_tsc;
    }
    out("top: done\n");
}

}  // namespace console
