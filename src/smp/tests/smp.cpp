// In-kernel tests of bring-up and cross-CPU calls (run on the BSP after smp::init).
#include <atomic>

#include "acpi/platform.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/tsc.h"
#include "ktest/ktest.h"
#include "lib/log.h"
#include "smp/smp.h"
#include "smp/smp_internal.h"

namespace {

constexpr uint64_t kWaitLimitNs = 2000000000;  // generous: TCG with 8 vCPUs on 2 host cores

bool contains(const uint32_t* ids, uint32_t n, uint32_t id) {
    for (uint32_t i = 0; i < n; ++i)
        if (ids[i] == id) return true;
    return false;
}

// relaxed (the add here and the contains() reads): the caller reads after
// call_on(wait=true), whose acquire on the completion counter orders every target's
// writes before the read.
void mark_this_cpu(void* arg) {
    static_cast<AtomicCpuMask*>(arg)->add(arch::this_cpu()->index, std::memory_order_relaxed);
}

}  // namespace

KTEST(smp_every_expected_cpu_ran_its_own_code) {
    const smp::detail::BringupReport& r = smp::detail::bringup_report();
    KEXPECT(r.ran_count == arch::cpu_count(), "%u CPUs recorded their APIC ID but %u are online", r.ran_count,
            arch::cpu_count());
    for (uint32_t i = 0; i < r.expected_count; ++i) {
        uint32_t id = r.expected[i];
        bool ran = contains(r.ran, r.ran_count, id), missing = contains(r.missing, r.missing_count, id);
        KEXPECT(ran != missing, "APIC ID %u: ran=%d missing=%d", id, ran, missing);
    }
    for (uint32_t i = 0; i < r.ran_count; ++i)
        KEXPECT(contains(r.expected, r.expected_count, r.ran[i]), "APIC ID %u ran but was not expected", r.ran[i]);
    for (uint32_t i = 0; i < arch::cpu_count(); ++i)
        KEXPECT(contains(r.ran, r.ran_count, arch::cpu(i).apic_id), "cpu %u (APIC ID %u) never ran", i,
                arch::cpu(i).apic_id);
    for (uint32_t i = 0; i < r.missing_count; ++i) log_info("smp test: APIC ID %u is missing", r.missing[i]);
    // With nothing missing or left out, the CPUs that ran are exactly the MADT's enabled ones.
    const acpi::Platform& p = acpi::platform();
    if (p.has_madt && r.missing_count == 0 && r.left_out == 0) {
        uint32_t enabled = 0;
        for (size_t i = 0; i < p.madt.cpu_count; ++i) {
            if (!p.madt.cpus[i].enabled) continue;
            ++enabled;
            KEXPECT(contains(r.ran, r.ran_count, p.madt.cpus[i].apic_id), "MADT CPU with APIC ID %u never ran",
                    p.madt.cpus[i].apic_id);
        }
        KEXPECT(enabled == r.ran_count, "MADT has %u enabled CPUs, %u ran", enabled, r.ran_count);
    }
}

KTEST(smp_call_function_reaches_each_cpu_individually) {
    for (uint32_t i = 0; i < arch::cpu_count(); ++i) {
        AtomicCpuMask seen;
        CpuMask target;
        target.add(i);
        smp::call_on(target, mark_this_cpu, &seen, true);
        for (uint32_t j = 0; j < arch::cpu_count(); ++j)
            KEXPECT(seen.contains(j, std::memory_order_relaxed) == (j == i), "call to cpu %u: cpu %u ran=%d", i, j,
                    seen.contains(j, std::memory_order_relaxed));
    }
}

KTEST(smp_call_function_reaches_all_cpus_together) {
    AtomicCpuMask seen;
    smp::call_on_all(mark_this_cpu, &seen, true);
    for (uint32_t i = 0; i < arch::cpu_count(); ++i)
        KEXPECT(seen.contains(i, std::memory_order_relaxed), "cpu %u did not run the call", i);
}

KTEST(smp_call_function_reaches_exactly_a_set) {
    // Every other CPU starting from the last one, so the BSP is in the set only sometimes.
    CpuMask set;
    uint32_t n = arch::cpu_count();
    for (uint32_t i = n; i-- > 0;)
        if ((n - 1 - i) % 2 == 0) set.add(i);
    AtomicCpuMask seen;
    smp::call_on(set, mark_this_cpu, &seen, true);
    for (uint32_t i = 0; i < n; ++i)
        KEXPECT(seen.contains(i, std::memory_order_relaxed) == set.contains(i), "cpu %u: in set %d, ran %d", i,
                set.contains(i), seen.contains(i, std::memory_order_relaxed));
}

// CpuMask::count() must link in the freestanding kernel (no libgcc __popcountdi2).
KTEST(smp_cpu_mask_counts_every_online_cpu) {
    uint32_t n = arch::cpu_count();
    CpuMask online = CpuMask::first(n);
    KEXPECT(online.count() == n, "a mask of %u cpus counts %u", n, online.count());
    online.remove(0);
    KEXPECT(online.count() == n - 1, "without cpu 0: %u, expected %u", online.count(), n - 1);
}

namespace {
std::atomic<uint32_t> g_async_runs{0};
// relaxed: the test polls the count only; nothing else is published through it.
void count_async(void*) { g_async_runs.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

KTEST(smp_call_function_without_wait_completes) {
    g_async_runs.store(0, std::memory_order_relaxed);
    uint32_t n = arch::cpu_count();
    for (int round = 0; round < 10; ++round) smp::call_on_all(count_async, nullptr, false);
    uint64_t deadline = arch::ns_since_boot() + kWaitLimitNs;
    while (g_async_runs.load(std::memory_order_relaxed) < 10 * n && arch::ns_since_boot() < deadline) arch::cpu_relax();
    KEXPECT(g_async_runs.load(std::memory_order_relaxed) == 10 * n, "%u of %u async calls ran",
            g_async_runs.load(std::memory_order_relaxed), 10 * n);
}

namespace {
// Each AP calls every CPU (the BSP included, which is itself waiting) from inside a
// call-function handler: only the drain-while-waiting rule lets this finish.
void call_everyone(void* arg) { smp::call_on_all(mark_this_cpu, arg, true); }
}  // namespace

KTEST(smp_nested_cross_calls_complete) {
    uint32_t n = arch::cpu_count();
    CpuMask aps;
    for (uint32_t i = 1; i < n; ++i) aps.add(i);
    AtomicCpuMask seen;
    smp::call_on(aps, call_everyone, &seen, true);
    for (uint32_t i = 0; i < n; ++i)
        KEXPECT(n == 1 || seen.contains(i, std::memory_order_relaxed), "cpu %u missed the nested calls", i);
}

KTEST(smp_reschedule_ipi_reaches_a_set) {
    uint32_t n = arch::cpu_count();
    uint64_t before[kMaxCpus];
    CpuMask set;
    for (uint32_t i = 0; i < n; ++i) {
        before[i] = smp::detail::reschedule_count(i);
        if (i % 2 == 1 || n == 1) set.add(i);
    }
    smp::send_ipi(set, smp::Ipi::reschedule);
    uint64_t deadline = arch::ns_since_boot() + kWaitLimitNs;
    for (uint32_t i = 0; i < n; ++i) {
        if (!set.contains(i)) continue;
        while (smp::detail::reschedule_count(i) == before[i] && arch::ns_since_boot() < deadline) arch::cpu_relax();
        KEXPECT(smp::detail::reschedule_count(i) > before[i], "cpu %u never took the reschedule IPI", i);
    }
}

namespace {
AtomicCpuMask g_ap_main_seen;
void record_ap_main() { g_ap_main_seen.add(arch::this_cpu()->index, std::memory_order_relaxed); }
}  // namespace

KTEST(smp_ap_main_runs_once_on_every_ap) {
    uint32_t n = arch::cpu_count();
    smp::start_ap_main(record_ap_main);
    uint64_t deadline = arch::ns_since_boot() + kWaitLimitNs;
    for (uint32_t i = 1; i < n; ++i) {
        while (!g_ap_main_seen.contains(i, std::memory_order_relaxed) && arch::ns_since_boot() < deadline)
            arch::cpu_relax();
        KEXPECT(g_ap_main_seen.contains(i, std::memory_order_relaxed), "cpu %u never ran the AP main", i);
    }
    KEXPECT(!g_ap_main_seen.contains(0, std::memory_order_relaxed), "the BSP ran the AP main");
    smp::start_ap_main(nullptr);  // back to plain idling for the tests that follow
}

namespace {
constexpr uint32_t kStormRounds = 20;  // ~3 s with 8 vCPUs on a 2-core host under TCG
std::atomic<uint64_t> g_storm_calls{0};
std::atomic<uint32_t> g_storms_done{0};
// relaxed: counted only; the waits in call_on order the increments before the checks.
void storm_increment(void*) { g_storm_calls.fetch_add(1, std::memory_order_relaxed); }
void storm(void*) {
    for (uint32_t r = 0; r < kStormRounds; ++r) smp::call_on_all(storm_increment, nullptr, true);
    g_storms_done.fetch_add(1, std::memory_order_release);  // pairs with the test's acquire
}
}  // namespace

// Every CPU at once calls every CPU, over and over, waiting each time: the inboxes take
// concurrent pushes while their owners drain them from handlers and wait loops alike.
KTEST(smp_call_storm_from_all_cpus_loses_nothing) {
    uint32_t n = arch::cpu_count();
    g_storm_calls.store(0, std::memory_order_relaxed);
    g_storms_done.store(0, std::memory_order_relaxed);
    CpuMask aps;
    for (uint32_t i = 1; i < n; ++i) aps.add(i);
    uint64_t start = arch::ns_since_boot();
    smp::call_on(aps, storm, nullptr, false);
    storm(nullptr);
    uint64_t deadline = arch::ns_since_boot() + 10 * kWaitLimitNs;
    while (g_storms_done.load(std::memory_order_acquire) < n && arch::ns_since_boot() < deadline) arch::cpu_relax();
    KEXPECT(g_storms_done.load(std::memory_order_acquire) == n, "%u of %u storms finished",
            g_storms_done.load(std::memory_order_acquire), n);
    uint64_t expected = uint64_t(n) * kStormRounds * n;
    log_info("smp test: %u CPUs x %u rounds of call_on_all took %lu ms", n, kStormRounds,
             (unsigned long)((arch::ns_since_boot() - start) / 1000000));
    KEXPECT(g_storm_calls.load(std::memory_order_relaxed) == expected, "%lu calls ran, expected %lu",
            (unsigned long)g_storm_calls.load(std::memory_order_relaxed), (unsigned long)expected);
}
