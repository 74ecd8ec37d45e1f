// Walks the .ktests and .ktests_sched sections (start/stop symbols from linker/kernel.ld)
// and runs the tests whose names match. The protocol lines ("ok", "FAIL", the summary) are raw output, so a
// host script can grep them regardless of log prefixes.
#include <atomic>
#include <cstdarg>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/panic_report.h"
#include "arch/x86_64/tsc.h"
#include "ktest/ktest.h"
#include "lib/libc.h"
#include "lib/log.h"

extern "C" const ktest::TestCase __start_ktests[];
extern "C" const ktest::TestCase __stop_ktests[];
extern "C" const ktest::TestCase __start_ktests_sched[];
extern "C" const ktest::TestCase __stop_ktests_sched[];

namespace ktest {
namespace {

// relaxed: set once on the BSP during boot; a panic on another CPU that misses it only
// halts instead of exiting (and the BSP's own panic path sees its own store).
std::atomic<bool> g_active{false};

// The panic report's end of the run (arch::set_panic_end_run).
[[noreturn]] void fail_run() { exit_qemu(false); }

// Written by the test thread between tests; read by the watchdog (which only ever reads
// them on the way out). relaxed: counters, not publication.
std::atomic<size_t> g_passed{0};
std::atomic<size_t> g_failed{0};
std::atomic<size_t> g_skipped{0};

// The test now running (nullptr between tests). release/acquire: the watchdog that sees
// a name also sees the progress stamp stored before it.
std::atomic<const char*> g_running{nullptr};
// Bumped by progress() and at each test's start; the watchdog (CPU 0's tick only) notes
// when it last moved. relaxed: a counter, compared only for change.
std::atomic<uint64_t> g_progress{0};
uint64_t g_seen_progress = ~0ull;  // watchdog-private
uint64_t g_seen_progress_tsc = 0;  // watchdog-private
// Set by the watchdog when it cancels the running test; cleared by run() between tests.
// relaxed: a flag the test polls; nothing is published through it.
std::atomic<bool> g_cancelled{false};
uint64_t g_cancelled_tsc = 0;  // watchdog-private
// relaxed: only one poller may report the final failure; nothing is published through it.
std::atomic<bool> g_watchdog_fired{false};
void (*g_watchdog_dump)() = nullptr;  // set once before the tests that need it
// The running test's cleanup: written and read only by the test runner's task.
void (*g_cleanup)(void*) = nullptr;
void* g_cleanup_arg = nullptr;

// `filter` is a comma-separated list: "all" (every test not named break_*), name
// prefixes to run, and "-prefix" to leave out, e.g. "all,-sched_fair,-watchdog". A list
// of exclusions alone means all but those. Tests named break_* end the run on purpose (a
// check that must be seen to fire): only a prefix naming them runs them, never "all".
bool matches(const char* name, const char* filter) {
    const bool is_break = strncmp(name, "break_", 6) == 0;
    bool any_include = false, included = false;
    for (const char* p = filter; *p;) {
        const char* end = p;
        while (*end && *end != ',') ++end;
        size_t len = size_t(end - p);
        if (len > 1 && *p == '-') {
            if (strncmp(name, p + 1, len - 1) == 0) return false;
        } else if (len > 0 && *p != '-') {
            any_include = true;
            if (len == 3 && strncmp(p, "all", 3) == 0)
                included = included || !is_break;
            else if (strncmp(name, p, len) == 0)
                included = true;
        }
        p = *end ? end + 1 : end;
    }
    return any_include ? included : !is_break;
}

}  // namespace

void Context::fail(const char* fmt, ...) {
    failed = true;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
}

void Context::skip(const char* fmt, ...) {
    skipped = true;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
}

void set_active() {
    // The first call is kmain's, before any AP runs: the hook is registered once, then.
    if (!g_active.exchange(true, std::memory_order_relaxed))
        arch::set_panic_end_run(&fail_run);  // a panic now ends the run as a failure
}
bool active() { return g_active.load(std::memory_order_relaxed); }

void run(Phase phase, const char* filter) {
    set_active();
    const TestCase* first = phase == Phase::platform ? __start_ktests : __start_ktests_sched;
    const TestCase* last = phase == Phase::platform ? __stop_ktests : __stop_ktests_sched;
    for (const TestCase* t = first; t < last; ++t) {
        if (!matches(t->name, filter)) continue;
        Context ctx;
        g_cleanup = nullptr;
        progress();
        g_running.store(t->name, std::memory_order_release);
        t->fn(ctx);
        if (g_cleanup) g_cleanup(g_cleanup_arg);
        g_running.store(nullptr, std::memory_order_relaxed);
        if (g_cancelled.exchange(false, std::memory_order_relaxed) && !ctx.failed)
            ctx.fail("watchdog: no progress for %llu s; cancelled", (unsigned long long)kWatchdogSeconds);
        if (ctx.failed) {
            g_failed.fetch_add(1, std::memory_order_relaxed);
            klog::print("FAIL %s: %s\n", t->name, ctx.reason);
        } else if (ctx.skipped) {
            g_skipped.fetch_add(1, std::memory_order_relaxed);
            klog::print("skip %s: %s\n", t->name, ctx.reason);
        } else {
            g_passed.fetch_add(1, std::memory_order_relaxed);
            klog::print("ok %s\n", t->name);
        }
    }
}

bool finish(const char* filter) {
    size_t passed = g_passed.load(std::memory_order_relaxed);
    size_t failed = g_failed.load(std::memory_order_relaxed);
    klog::print("ktest: %zu passed, %zu failed\n", passed, failed);
    size_t skipped = g_skipped.load(std::memory_order_relaxed);
    if (skipped) klog::print("ktest: %zu skipped (not applicable to this machine)\n", skipped);
    if (passed + failed == 0) {
        klog::print("ktest: no test matches \"%s\"\n", filter);
        return false;
    }
    return failed == 0;
}

void set_watchdog_dump(void (*dump)()) { g_watchdog_dump = dump; }

void progress() { g_progress.fetch_add(1, std::memory_order_relaxed); }
bool cancelled() { return g_cancelled.load(std::memory_order_relaxed); }

void on_cleanup(void (*fn)(void*), void* arg) {
    g_cleanup = fn;
    g_cleanup_arg = arg;
}

void watchdog_poll() {
    // acquire: pairs with the release store of the name in run().
    const char* name = g_running.load(std::memory_order_acquire);
    if (!name) return;
    uint64_t now = arch::rdtsc();
    uint64_t steps = g_progress.load(std::memory_order_relaxed);
    if (steps != g_seen_progress) {
        g_seen_progress = steps;
        g_seen_progress_tsc = now;
        return;
    }
    uint64_t limit = kWatchdogSeconds * arch::tsc_hz();
    if (!g_cancelled.load(std::memory_order_relaxed)) {
        if (now - g_seen_progress_tsc < limit) return;
        klog::print("ktest: watchdog: %s made no progress for %llu s; cancelling it\n", name,
                    (unsigned long long)kWatchdogSeconds);
        if (g_watchdog_dump) g_watchdog_dump();
        g_cancelled_tsc = now;
        g_cancelled.store(true, std::memory_order_relaxed);
        return;
    }
    if (now - g_cancelled_tsc < limit) return;
    // It ignored the cancellation: hung for good. relaxed: only one poller reports.
    if (g_watchdog_fired.exchange(true, std::memory_order_relaxed)) return;
    klog::print("FAIL %s: watchdog: no progress for %llu s, and still running %llu s after it was cancelled\n", name,
                (unsigned long long)kWatchdogSeconds, (unsigned long long)kWatchdogSeconds);
    g_failed.fetch_add(1, std::memory_order_relaxed);
    finish("");
    exit_qemu(false);
}

}  // namespace ktest
