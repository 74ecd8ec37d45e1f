// Walks the .ktests and .ktests_sched sections (start/stop symbols from linker/kernel.ld)
// and runs the tests whose names match. The protocol lines ("ok", "FAIL", the summary) are raw output, so a
// host script can grep them regardless of log prefixes.
#include <atomic>
#include <cstdarg>

#include "arch/x86_64/cpu.h"
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

// Written by the test thread between tests; read by the watchdog (which only ever reads
// them on the way out). relaxed: counters, not publication.
std::atomic<size_t> g_passed{0};
std::atomic<size_t> g_failed{0};
std::atomic<size_t> g_skipped{0};

// The test now running (nullptr between tests) and when it started. release/acquire: the
// watchdog that sees a name also sees its start time.
std::atomic<const char*> g_running{nullptr};
std::atomic<uint64_t> g_running_since_tsc{0};
std::atomic<bool> g_watchdog_fired{false};
void (*g_watchdog_dump)() = nullptr;  // set once before the tests that need it

// `filter` is "all" or a comma-separated list of name prefixes.
bool matches(const char* name, const char* filter) {
    if (strcmp(filter, "all") == 0) return true;
    const char* p = filter;
    while (*p) {
        const char* end = p;
        while (*end && *end != ',') ++end;
        size_t len = size_t(end - p);
        if (len > 0 && strncmp(name, p, len) == 0) return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

} // namespace

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

void set_active() { g_active.store(true, std::memory_order_relaxed); }
bool active() { return g_active.load(std::memory_order_relaxed); }

void run(Phase phase, const char* filter) {
    set_active();
    const TestCase* first = phase == Phase::platform ? __start_ktests : __start_ktests_sched;
    const TestCase* last = phase == Phase::platform ? __stop_ktests : __stop_ktests_sched;
    for (const TestCase* t = first; t < last; ++t) {
        if (!matches(t->name, filter)) continue;
        Context ctx;
        g_running_since_tsc.store(arch::rdtsc(), std::memory_order_relaxed);
        g_running.store(t->name, std::memory_order_release);
        t->fn(ctx);
        g_running.store(nullptr, std::memory_order_relaxed);
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

void watchdog_poll() {
    // acquire: pairs with the release store of the name in run().
    const char* name = g_running.load(std::memory_order_acquire);
    if (!name) return;
    uint64_t since = g_running_since_tsc.load(std::memory_order_relaxed);
    if (arch::rdtsc() - since < kWatchdogSeconds * arch::tsc_hz()) return;
    // relaxed: only one poller may report; nothing else is published through the flag.
    if (g_watchdog_fired.exchange(true, std::memory_order_relaxed)) return;
    klog::print("FAIL %s: watchdog: still running after %llu s\n", name, (unsigned long long)kWatchdogSeconds);
    if (g_watchdog_dump) g_watchdog_dump();
    g_failed.fetch_add(1, std::memory_order_relaxed);
    finish("");
    exit_qemu(false);
}

} // namespace ktest
