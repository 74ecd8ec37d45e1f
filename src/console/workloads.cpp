// Work a person can start from the console: `run fib N`, `run uts t1|t3`, `run messaging`
// in the foreground, and background `load` workloads (fork-join fib or UTS rounds,
// messaging rounds, or spinning tasks) to watch with `top`. Every task started here is
// joined before the command or the `load stop` that ends it returns.
#include <atomic>
#include <cstddef>

#include "arch/x86_64/tsc.h"
#include "console/commands.h"
#include "console/input.h"
#include "console/output.h"
#include "console/sched_view.h"
#include "kbench/runs.h"
#include "lib/log.h"
#include "mm/heap.h"
#include "sched/scheduler.h"

namespace console {
namespace {

constexpr uint64_t kMaxRunFib = 32;
constexpr uint64_t kLoadFib = 18;  // one round of a fib workload task
constexpr size_t kMaxWorkloads = 8;
constexpr uint64_t kMaxLoadTasks = 64;
// UTS and messaging load tasks each run a whole parallel round (dozens of tasks at once).
constexpr uint64_t kMaxLoadRounds = 8;
constexpr uint64_t kWatchStepNs = 10'000'000;

// The trees `run uts` and `load uts` count: the benchmarks' TCG-sized cuts of T1 and T3.
constexpr lib::UtsTree const* kUtsTrees[] = {&lib::kUtsT1Small, &lib::kUtsT3Small};
constexpr uint64_t kUtsNodes[] = {lib::kUtsT1SmallNodes, lib::kUtsT3SmallNodes};

// Shared by every task of one job; lives until all of them are joined.
struct Job {
    // Set by `load stop`, or by the console on Ctrl-C for a foreground run; the run's tasks
    // poll it. relaxed everywhere: a flag, and the joins that follow order everything else.
    std::atomic<bool> stop{false};
    bool foreground = false;  // Ctrl-C stops it too (polled directly by fib)
    std::atomic<uint64_t> rounds{0};
    // A watched foreground run's root task sets it last. release: pairs with the console's
    // acquire load in run_watched(), which then joins.
    std::atomic<bool> finished{false};
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

int64_t uts_load_task(void* arg) {
    Job& job = *static_cast<Job*>(arg);
    while (!stopping(job)) {
        sched::kbench::uts_count_with_tasks(*kUtsTrees[0], &job.stop);
        job.rounds.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    }
    return 0;
}

int64_t messaging_load_task(void* arg) {
    Job& job = *static_cast<Job*>(arg);
    while (!stopping(job)) {
        if (sched::kbench::messaging_once(&job.stop).spawn_failed)
            sched::sleep_for(100'000'000);  // out of memory: back off
        job.rounds.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    }
    return 0;
}

struct LoadKind {
    std::string_view name;
    sched::TaskFn task;
    const char* task_name;
    uint64_t max_count;  // tasks (fib, spin) or parallel rounds (uts, messaging)
    bool count_is_rounds;
};
constexpr LoadKind kLoadKinds[] = {
    {"fib", fib_load_task, "load-fib", kMaxLoadTasks, false},
    {"spin", spin_load_task, "load-spin", kMaxLoadTasks, false},
    {"uts", uts_load_task, "load-uts", kMaxLoadRounds, true},
    {"messaging", messaging_load_task, "load-messaging", kMaxLoadRounds, true},
};

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
    const LoadKind* kind = nullptr;
    for (const LoadKind& k : kLoadKinds)
        if (k.name == command.argument(0)) kind = &k;
    if (!kind) {
        usage_error(command, "load: unknown workload (fib, spin, uts or messaging)");
        return;
    }
    // fib and spin: one task per CPU by default; uts and messaging: one round at a time.
    uint64_t count = kind->count_is_rounds ? 1 : sched_cpu_count();
    if (command.argument_count() == 2) {
        const auto n = parse_number(command.argument(1), kind->max_count);
        if (!n || *n == 0) {
            char what[96];
            ksnprintf(what, sizeof what, "load: N must be a number of %s from 1 to %llu",
                      kind->count_is_rounds ? "parallel rounds" : "tasks", (unsigned long long)kind->max_count);
            usage_error(command, what);
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
    *slot = Workload{g_next_workload_id++, kind->name.data(), job, tasks, count, arch::ns_since_boot()};
    size_t started = 0;
    for (size_t i = 0; i < count; ++i) {
        auto r = sched::spawn(kind->task, job, {.name = kind->task_name});
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
    slot->count = started;
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

// CPUs in the scheduler's online set now (what a run can use), for its result line.
uint32_t online_cpus() {
    uint32_t online = 0;
    for (uint32_t i = 0; i < sched_cpu_count(); ++i) {
        CpuView view;
        online += sched_cpu_view(i, view) && view.online;
    }
    return online;
}

void read_steals(uint64_t* steals, uint32_t cpus) {
    for (uint32_t i = 0; i < cpus; ++i) {
        CpuView view;
        sched_cpu_view(i, view);
        steals[i] = view.steals;
    }
}

void run_fib(const ParsedCommand& command) {
    const auto n = parse_number(command.argument(1), kMaxRunFib);
    if (!n) {
        usage_error(command, "run: N must be a number from 0 to 32");
        return;
    }
    const uint32_t cpus = sched_cpu_count();
    uint64_t steals_before[kMaxCpus] = {};
    read_steals(steals_before, cpus);
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
            (unsigned long long)(us / 1000), (unsigned long long)(us % 1000), online_cpus());
    print_steals(steals_before, cpus);
}

// A foreground run whose tasks poll Job::stop rather than the console's Ctrl-C flag (the
// shared benchmark code knows no console): its root task runs body(arg) while the console
// task watches for Ctrl-C, sets the flag, and joins the root once it has finished.
struct Watched {
    void (*body)(void* arg, Job& job);
    void* arg;
    Job* job;
    uint64_t elapsed_ns = 0;
};

int64_t watched_task(void* arg) {
    auto* w = static_cast<Watched*>(arg);
    const uint64_t start_ns = arch::ns_since_boot();
    w->body(w->arg, *w->job);
    w->elapsed_ns = arch::ns_since_boot() - start_ns;
    w->job->finished.store(true, std::memory_order_release);  // release: see Job::finished
    return 0;
}

// False when the root task could not be spawned (said so).
bool run_watched(Watched& w, const char* name) {
    auto r = sched::spawn(watched_task, &w, {.name = name});
    if (!r.ok()) {
        out("run: spawn failed: %s\n", sched::to_string(r.error));
        return false;
    }
    // acquire: pairs with the release store in watched_task(); the join orders the rest.
    while (!w.job->finished.load(std::memory_order_acquire)) {
        if (input::interrupted()) w.job->stop.store(true, std::memory_order_relaxed);  // relaxed: see Job::stop
        sched::sleep_for(kWatchStepNs);
    }
    sched::join(r.handle);
    return true;
}

void print_ms(const char* before, uint64_t ns) {
    out("%s%llu.%03llu ms", before, (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000));
}

struct UtsRunArgs {
    const lib::UtsTree* tree;
    sched::kbench::UtsCountResult result;
};

void run_uts(const ParsedCommand& command) {
    size_t which = 2;
    if (command.argument(1) == "t1") which = 0;
    if (command.argument(1) == "t3") which = 1;
    if (which == 2) {
        usage_error(command, "run: the UTS trees are t1 and t3");
        return;
    }
    const uint32_t cpus = sched_cpu_count();
    uint64_t steals_before[kMaxCpus] = {};
    read_steals(steals_before, cpus);
    Job job;
    UtsRunArgs args{kUtsTrees[which], {}};
    Watched w{[](void* arg, Job& j) {
                  auto* a = static_cast<UtsRunArgs*>(arg);
                  a->result = sched::kbench::uts_count_with_tasks(*a->tree, &j.stop);
              },
              &args, &job};
    if (!run_watched(w, "uts")) return;
    if (job.stop.load(std::memory_order_relaxed)) {  // relaxed: after the join
        print_ms("run: uts interrupted after ", w.elapsed_ns);
        out(" (%llu nodes counted); every task joined\n", (unsigned long long)args.result.nodes);
    } else {
        out("uts %s: %llu nodes (%s) in", args.tree->name, (unsigned long long)args.result.nodes,
            args.result.nodes == kUtsNodes[which] ? "the reference count" : "WRONG: not the reference count");
        print_ms(" ", w.elapsed_ns);
        out(" on %u cpus, %llu inline for lack of memory\n", online_cpus(), (unsigned long long)args.result.inlined);
    }
    print_steals(steals_before, cpus);
}

void run_messaging() {
    const uint32_t cpus = sched_cpu_count();
    uint64_t steals_before[kMaxCpus] = {};
    read_steals(steals_before, cpus);
    Job job;
    sched::kbench::MessagingResult result;
    Watched w{[](void* arg, Job& j) {
                  *static_cast<sched::kbench::MessagingResult*>(arg) = sched::kbench::messaging_once(&j.stop);
              },
              &result, &job};
    if (!run_watched(w, "messaging")) return;
    if (job.stop.load(std::memory_order_relaxed)) {  // relaxed: after the join
        print_ms("run: messaging interrupted after ", w.elapsed_ns);
        out(" (%llu of %llu messages); every task joined\n", (unsigned long long)result.messages,
            (unsigned long long)result.expected);
    } else {
        out("messaging: %llu of %llu messages, %u groups of %u senders and %u receivers, checksum %s, in",
            (unsigned long long)result.messages, (unsigned long long)result.expected, result.groups, result.senders,
            result.receivers, result.checksum_ok ? "ok" : "WRONG");
        print_ms(" ", w.elapsed_ns);
        out(" on %u cpus%s\n", online_cpus(), result.spawn_failed ? " (stopped early: out of memory)" : "");
    }
    print_steals(steals_before, cpus);
}

}  // namespace

bool workloads_running() {
    for (const Workload& w : g_workloads)
        if (w.id != 0) return true;
    return false;
}

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
        if (!any) out("no workloads (load fib|spin|uts|messaging [N] starts one)\n");
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
    const std::string_view program = command.argument(0);
    if (program == "fib" && command.argument_count() == 2) return run_fib(command);
    if (program == "uts" && command.argument_count() == 2) return run_uts(command);
    if (program == "messaging" && command.argument_count() == 1) return run_messaging();
    usage_error(command, "run: the programs are fib N, uts t1|t3 and messaging");
}

}  // namespace console
