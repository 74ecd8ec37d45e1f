#include "lib/fault_inject.h"

namespace fault {
namespace {

struct alignas(64) SiteState {
    std::atomic<uint64_t> calls{0};
    std::atomic<uint64_t> injected{0};
};

Plan g_plan;
SiteState g_sites[kSiteCount];

// splitmix64's finaliser: consecutive call numbers give unrelated values.
uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace

namespace detail {
std::atomic<bool> g_armed{false};
}  // namespace detail
using detail::g_armed;

bool decide(const Plan& plan, Site site, uint64_t k) {
    uint32_t n = plan.every[size_t(site)];
    if (n == 0) return false;
    if (!plan.random) return k % n == 0;
    return mix(plan.seed ^ (uint64_t(site) << 56) ^ k) % n == 0;
}

void configure(const Plan& plan) { g_plan = plan; }
const Plan& plan() { return g_plan; }

void arm(bool on) {
    // release: pairs with the acquire load in should_fail(): a CPU that sees the sites
    // armed also sees the plan configure() wrote before.
    g_armed.store(on && g_plan.any(), std::memory_order_release);
}

bool armed() { return g_armed.load(std::memory_order_acquire); }  // acquire: as in should_fail()

bool detail::should_fail_armed(Site site) {
    // should_fail() saw the sites armed (acquire), so the plan is visible.
    SiteState& s = g_sites[size_t(site)];
    // relaxed: the call number only has to be unique; nothing is published through it.
    uint64_t k = s.calls.fetch_add(1, std::memory_order_relaxed) + 1;
    if (!decide(g_plan, site, k)) return false;
    s.injected.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
    return true;
}

SiteCounts counts(Site site) {
    const SiteState& s = g_sites[size_t(site)];
    // relaxed: statistics, read after the torture disarmed (or racily, for progress lines).
    return {s.calls.load(std::memory_order_relaxed), s.injected.load(std::memory_order_relaxed)};
}

}  // namespace fault
