// Kernel tests of the ready-queue variants (issue 5): switching lockfree -> locked ->
// lockfree within one boot with select_backend(), real work under each, and the
// quiescence rule. They run as the init task.
#include <atomic>
#include <cstdint>

#include "ktest/ktest.h"
#include "lib/libc.h"
#include "sched/scheduler.h"

namespace {

using Sched = sched::Backend;

constexpr uint32_t kStormTasks = 3000;
constexpr uint32_t kStormInFlight = 128;  // joined in a window: memory stays small (64 MiB case)
constexpr int64_t kFibN = 16;
constexpr int64_t kFibExpected = 987;

std::atomic<uint8_t> g_ran[kStormTasks];
std::atomic<uint32_t> g_fib_spawned{0};
std::atomic<uint32_t> g_fib_ran{0};
std::atomic<bool> g_release_holder{false};

int64_t storm_task(void* arg) {
    uint32_t i = uint32_t(reinterpret_cast<uintptr_t>(arg));
    // relaxed: join() orders it before the checker's read (the dead state is release/acquire).
    g_ran[i].fetch_add(1, std::memory_order_relaxed);
    return int64_t(i);
}

int64_t fib_task(void* arg);

// fib(n) = spawn fib(n-1), compute fib(n-2) here, join (the Cilk shape of tests_sched.cpp).
int64_t fib(int64_t n) {
    if (n < 2) return n;
    auto r = sched::spawn(fib_task, reinterpret_cast<void*>(uintptr_t(n - 1)), {.name = "bfib"});
    if (!r.ok()) return -1000000;  // poisons the sum: the test wants every spawn to succeed
    g_fib_spawned.fetch_add(1, std::memory_order_relaxed);  // relaxed: read after the root's join
    int64_t b = fib(n - 2);
    return sched::join(r.handle) + b;
}

int64_t fib_task(void* arg) {
    g_fib_ran.fetch_add(1, std::memory_order_relaxed);  // relaxed: as above
    return fib(int64_t(reinterpret_cast<uintptr_t>(arg)));
}

int64_t holder_task(void*) {
    // acquire: pairs with the test's release store; nothing else is published.
    while (!g_release_holder.load(std::memory_order_acquire)) sched::yield();
    return 7;
}

// Spawn storm with joins in a sliding window; every task must run exactly once. Returns
// an empty string or the failure.
const char* run_storm(uint32_t& bad_index) {
    static sched::TaskHandle window[kStormInFlight];
    for (auto& r : g_ran) r.store(0, std::memory_order_relaxed);
    for (uint32_t i = 0; i < kStormTasks + kStormInFlight; ++i) {
        sched::TaskHandle& slot = window[i % kStormInFlight];
        if (slot.valid()) {
            uint32_t expected = i - kStormInFlight;
            if (sched::join(slot) != int64_t(expected)) {
                bad_index = expected;
                return "wrong exit code";
            }
        }
        if (i >= kStormTasks) continue;
        auto r = sched::spawn(storm_task, reinterpret_cast<void*>(uintptr_t(i)), {.name = "bstorm"});
        if (!r.ok()) {
            bad_index = i;
            return "spawn failed";
        }
        slot = static_cast<sched::TaskHandle&&>(r.handle);
    }
    for (uint32_t i = 0; i < kStormTasks; ++i) {
        if (g_ran[i].load(std::memory_order_relaxed) != 1) {
            bad_index = i;
            return "a task did not run exactly once";
        }
    }
    return "";
}

// Restores the variant the test found (sched=), whatever the test did.
struct RestoreBackend {
    Sched kind;
    ~RestoreBackend() { sched::select_backend(kind); }
};

Sched current_kind() { return strcmp(sched::backend_name(), "locked") == 0 ? Sched::locked : Sched::lockfree; }

}  // namespace

KTEST_SCHED(sched_backend_switch_lockfree_locked_lockfree_runs_work_under_each) {
    RestoreBackend restore{current_kind()};
    const Sched steps[] = {Sched::lockfree, Sched::locked, Sched::lockfree};
    for (Sched kind : steps) {
        const char* want = kind == Sched::locked ? "locked" : "lockfree";
        KEXPECT(sched::select_backend(kind), "select_backend(%s) refused on a quiescent system", want);
        KEXPECT(strcmp(sched::backend_name(), want) == 0, "backend_name() is %s after selecting %s",
                sched::backend_name(), want);
        uint32_t bad = 0;
        const char* failure = run_storm(bad);
        KEXPECT(failure[0] == '\0', "%s: storm task %u: %s", want, bad, failure);

        g_fib_spawned.store(0, std::memory_order_relaxed);
        g_fib_ran.store(0, std::memory_order_relaxed);
        auto root = sched::spawn(fib_task, reinterpret_cast<void*>(uintptr_t(kFibN)), {.name = "bfib"});
        KEXPECT(root.ok(), "%s: fib root spawn failed: %s", want, sched::to_string(root.error));
        int64_t result = sched::join(root.handle);
        uint32_t spawned = g_fib_spawned.load(std::memory_order_relaxed) + 1;  // + the root
        uint32_t ran = g_fib_ran.load(std::memory_order_relaxed);
        KEXPECT(result == kFibExpected, "%s: fib(%lld) = %lld, expected %lld", want, (long long)kFibN,
                (long long)result, (long long)kFibExpected);
        KEXPECT(ran == spawned, "%s: %u fib tasks spawned, %u ran", want, spawned, ran);
    }
}

KTEST_SCHED(sched_backend_select_refuses_while_tasks_are_alive) {
    RestoreBackend restore{current_kind()};
    Sched other = current_kind() == Sched::locked ? Sched::lockfree : Sched::locked;
    const char* before = sched::backend_name();
    g_release_holder.store(false, std::memory_order_relaxed);
    auto holder = sched::spawn(holder_task, nullptr, {.name = "holder"});
    KEXPECT(holder.ok(), "spawn failed: %s", sched::to_string(holder.error));
    bool switched = sched::select_backend(other);
    const char* during = sched::backend_name();
    // release: pairs with the holder's acquire load.
    g_release_holder.store(true, std::memory_order_release);
    int64_t code = sched::join(holder.handle);
    KEXPECT(!switched, "select_backend switched to %s while a spawned task was alive", during);
    KEXPECT(strcmp(during, before) == 0, "backend changed from %s to %s although refused", before, during);
    KEXPECT(code == 7, "holder exited with %lld", (long long)code);
    // Quiescent again: now it must switch (and the restore switches back).
    KEXPECT(sched::select_backend(other), "select_backend refused after the last task was joined");
    KEXPECT(strcmp(sched::backend_name(), before) != 0, "backend still %s after a successful select", before);
}
