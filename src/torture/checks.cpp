#include "torture/checks.h"

#include <atomic>
#include <cstdarg>

#include "lib/log.h"

namespace torture {
namespace {

// Past this many lines per check only the count grows: a broken invariant usually breaks
// thousands of times, and the first lines say what there is to say.
constexpr uint64_t kLinesPerCheck = 5;

// relaxed: counts; the verdict reads them after every task of the workload was joined.
std::atomic<uint64_t> g_failures[kCheckCount];

}  // namespace

const char* check_name(Check check) {
    switch (check) {
        case Check::exactly_once:
            return "exactly_once";
        case Check::join_count:
            return "join_count";
        case Check::affinity:
            return "affinity";
        case Check::wake_bound:
            return "wake_bound";
        case Check::sleep_bound:
            return "sleep_bound";
        case Check::mutual_exclusion:
            return "mutual_exclusion";
        case Check::epoch_progress:
            return "epoch_progress";
        case Check::stop_bound:
            return "stop_bound";
        case Check::backend_switch:
            return "backend_switch";
        case Check::hotplug:
            return "hotplug";
        case Check::memory_returned:
            return "memory_returned";
        case Check::heap_content:
            return "heap_content";
        case Check::core_stress:
            return "core_stress";
        case Check::lockup:
            return "lockup";
    }
    return "?";
}

void fail(Check check, const char* fmt, ...) {
    uint64_t n = g_failures[size_t(check)].fetch_add(1, std::memory_order_relaxed);
    if (n >= kLinesPerCheck) return;
    char detail[192];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    log_error("torture: FAIL %s: %s%s", check_name(check), detail,
              n + 1 == kLinesPerCheck ? " (further failures of this check are only counted)" : "");
}

uint64_t failures(Check check) { return g_failures[size_t(check)].load(std::memory_order_relaxed); }

uint64_t total_failures() {
    uint64_t n = 0;
    for (size_t i = 0; i < kCheckCount; ++i) n += failures(Check(i));
    return n;
}

void reset_failures() {
    for (auto& f : g_failures) f.store(0, std::memory_order_relaxed);
}

}  // namespace torture
