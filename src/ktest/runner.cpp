// Walks the .ktests section (start/stop symbols from linker/kernel.ld) and runs the tests
// whose names match. The protocol lines ("ok", "FAIL", the summary) are raw output, so a
// host script can grep them regardless of log prefixes.
#include <atomic>
#include <cstdarg>

#include "ktest/ktest.h"
#include "lib/libc.h"
#include "lib/log.h"

extern "C" const ktest::TestCase __start_ktests[];
extern "C" const ktest::TestCase __stop_ktests[];

namespace ktest {
namespace {

// relaxed: set once on the BSP during boot; a panic on another CPU that misses it only
// halts instead of exiting (and the BSP's own panic path sees its own store).
std::atomic<bool> g_active{false};

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

void set_active() { g_active.store(true, std::memory_order_relaxed); }
bool active() { return g_active.load(std::memory_order_relaxed); }

bool run(const char* filter) {
    set_active();
    size_t passed = 0, failed = 0;
    for (const TestCase* t = __start_ktests; t < __stop_ktests; ++t) {
        if (!matches(t->name, filter)) continue;
        Context ctx;
        t->fn(ctx);
        if (ctx.failed) {
            ++failed;
            klog::print("FAIL %s: %s\n", t->name, ctx.reason);
        } else {
            ++passed;
            klog::print("ok %s\n", t->name);
        }
    }
    klog::print("ktest: %zu passed, %zu failed\n", passed, failed);
    if (passed + failed == 0) {
        klog::print("ktest: no test matches \"%s\"\n", filter);
        return false;
    }
    return failed == 0;
}

} // namespace ktest
