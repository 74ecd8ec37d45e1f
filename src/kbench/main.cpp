// bench=<list>: which benchmarks run, under which scheduler variants, in which order; then
// the reports. Each benchmark is in a file of its own (spawn, forkjoin, uts, messaging,
// yield, wake); docs/benchmarks.md explains the figures.
#include "kbench/bench_sched.h"

#include <cstdint>
#include <new>

#include "kbench/bench.h"
#include "lib/libc.h"
#include "mm/heap.h"

namespace sched {
namespace kbench {
namespace {

struct BenchName {
    const char* name;
    uint32_t bits;
};
constexpr BenchName kBenchNames[] = {
    {"spawn", kBenchSpawn},         {"fib", kBenchFib},     {"uts", kBenchUts},
    {"messaging", kBenchMessaging}, {"yield", kBenchYield}, {"wake", kBenchWake},
};

bool same(const char* a, const char* b) { return strcmp(a, b) == 0; }

// One name of a comma list, `len` characters at `p`: its Bench bits, 0 when unknown.
uint32_t bench_bits(const char* p, size_t len) {
    for (const BenchName& b : kBenchNames) {
        if (strlen(b.name) == len && memcmp(b.name, p, len) == 0) return b.bits;
    }
    return 0;
}

// bench=<list>: "sched" (every benchmark, the variant sched= chose), "all" (every
// benchmark under both variants), or names from kBenchNames separated by commas (those,
// under both variants). Returns the Bench bits; 0 for an unknown name, after a warning
// unless `quiet`.
uint32_t parse_bench_list(const char* list, bool& both, bool quiet = false) {
    both = true;
    if (same(list, "sched")) {
        both = false;
        return kBenchEvery;
    }
    if (same(list, "all")) return kBenchEvery;
    uint32_t bits = 0;
    const char* p = list;
    while (*p) {
        const char* end = p;
        while (*end && *end != ',') ++end;
        size_t len = size_t(end - p);
        uint32_t found = bench_bits(p, len);
        if (!found) {
            if (quiet) return 0;
            log_warn(
                "bench: unknown benchmark \"%.*s\" in bench=%s (known: sched, all, spawn, fib, uts, "
                "messaging, yield, wake, or a comma list of the last six); none run",
                int(len), p, list);
            return 0;
        }
        bits |= found;
        p = *end ? end + 1 : end;
    }
    return bits;
}

// The variant the boot chose (sched=).
sched::Backend booted_variant() {
    return same(backend_name(), "locked") ? sched::Backend::locked : sched::Backend::lockfree;
}

// Both variants, interleaved (see Variants), or only the booted one.
Variants variants_for(Results* results, bool both, sched::Backend booted) {
    Variants vs;
    vs.res = results;
    if (both) {
        vs.kind[0] = sched::Backend::lockfree;
        vs.kind[1] = sched::Backend::locked;
        results[0].variant = "lockfree";
        results[1].variant = "locked";
        vs.count = 2;
        log_info("bench: every benchmark runs under the lockfree and the locked scheduler, back to back");
    } else {
        vs.kind[0] = booted;
        results[0].variant = backend_name();
        vs.count = 1;
    }
    return vs;
}

// The scaling runs, then yield, then wake.
bool run_set(Variants& vs, uint32_t which) {
    for (uint32_t v = 0; v < vs.count; ++v) vs.res[v].ran = which;
    if (which & kBenchScaling) run_scaling(vs, which);
    if (which & kBenchYield) run_yield(vs);
    if (which & kBenchWake) run_wake(vs);
    return vs.ok;
}

}  // namespace
}  // namespace kbench

bool valid_benchmark_list(const char* name) {
    bool both = true;
    return kbench::parse_bench_list(name, both, true) != 0;
}

bool run_benchmarks(const char* name, bool (*cancelled)()) {
    using namespace kbench;
    bool both = true;
    uint32_t which = parse_bench_list(name, both);
    if (!which) return false;
    // In the heap: per-level rows for 256 CPUs are too big for a stack.
    auto* results = static_cast<Results*>(mm::kmalloc(2 * sizeof(Results)));
    if (results == nullptr) {
        log_error("bench: no memory for the results (%llu bytes)", (unsigned long long)(2 * sizeof(Results)));
        return false;
    }
    new (&results[0]) Results();
    new (&results[1]) Results();
    // bench=sched: the variant this boot runs. Otherwise both, then back to the booted one.
    const sched::Backend booted = booted_variant();
    Variants vs = variants_for(results, both, booted);
    vs.cancelled = cancelled;
    bool ok = run_set(vs, which);
    if (vs.stopped) {
        log_warn("bench: stopped before the end; no tables (they would be partial)");
        ok = false;
    } else {
        print_reports(results, vs.count);
    }
    if (both && !select_backend(booted)) ok = false;
    results[1].~Results();
    results[0].~Results();
    mm::kfree(results);
    return ok;
}

}  // namespace sched
