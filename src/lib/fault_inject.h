// Fault injection (issue 14, docs/reliability.md): named sites where the kernel can be told
// to fail an allocation, or drop a wakeup IPI, while a torture runs.
//
//   fail=frames:N,heap:N,stack:N,ipi:N   every Nth call of that site fails
//   fail.seed=S                          instead: each call fails with probability 1/N,
//                                        decided by a hash of (S, site, call number)
//
// The plan is installed at boot (configure) but does nothing until arm(true): boot-time
// allocations (page tables, per-CPU blocks) panic on failure by design, so only the
// torture's workload runs with faults. Portable: the host tests drive it directly.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace fault {

enum class Site : uint8_t { frames, heap, stack, ipi };
constexpr size_t kSiteCount = 4;
// "frames", "heap", "stack", "ipi": the words of fail= (inline: the host-tested
// command-line parser uses it without the rest of this file).
constexpr const char* site_name(Site site) {
    switch (site) {
        case Site::frames:
            return "frames";
        case Site::heap:
            return "heap";
        case Site::stack:
            return "stack";
        case Site::ipi:
            return "ipi";
    }
    return "?";
}

// What fail= and fail.seed= ask for. Plain values: the command-line parser fills it in.
struct Plan {
    uint32_t every[kSiteCount] = {};  // 0: the site never fails
    bool random = false;  // fail.seed= given: probability 1/N instead of every Nth
    uint64_t seed = 0;
    bool any() const {
        for (uint32_t n : every)
            if (n) return true;
        return false;
    }
};

// Installs the plan (disarmed). Call while nothing injects: before arm(true).
void configure(const Plan& plan);
const Plan& plan();
// Turns injection on or off for every site at once.
void arm(bool on);
bool armed();

namespace detail {
extern std::atomic<bool> g_armed;  // arm()'s flag; only should_fail() reads it here
bool should_fail_armed(Site site);
}  // namespace detail

// The hook each site calls before its real work: true means "fail this one". Counts the
// call and the injected failure while armed; one load and a branch while not, inline
// (every spawn asks: the call into fault_inject.cpp cost it ~8 instructions).
inline bool should_fail(Site site) {
    // acquire: pairs with the release store in arm() (the plan is visible).
    if (!detail::g_armed.load(std::memory_order_acquire)) return false;
    return detail::should_fail_armed(site);
}

struct SiteCounts {
    uint64_t calls = 0;  // calls while armed
    uint64_t injected = 0;  // of those, failed on purpose
};
SiteCounts counts(Site site);

// The decision for call number `k` (1-based) of `site` under `plan`: pure, for tests.
bool decide(const Plan& plan, Site site, uint64_t k);

}  // namespace fault
