// CPUID decoding: features and the APIC ID topology layout. All CPUs of one machine are
// assumed to share the layout (the SDM guarantees it within a package; QEMU and
// VirtualBox give every vCPU the same CPUID), so it is read once on the BSP.
#include "arch/x86_64/cpuinfo.h"

#include "arch/x86_64/cpu.h"
#include "lib/log.h"

namespace arch {
namespace {

CpuInfo g_info;

// Smallest b with (1 << b) >= n.
uint32_t bits_for(uint32_t n) {
    uint32_t b = 0;
    while (b < 31 && (1u << b) < n) ++b;
    return b;
}

void copy_regs(char* out, const CpuidRegs& r) {
    const uint32_t words[4] = {r.eax, r.ebx, r.ecx, r.edx};
    for (int w = 0; w < 4; ++w)
        for (int b = 0; b < 4; ++b) out[w * 4 + b] = char(words[w] >> (8 * b));
}

// Leaf 0xB / 0x1F: each subleaf names a level (1 SMT, 2 core, 3+ module/tile/die) and the
// shift to the next level. The last valid level's shift is the package shift.
bool read_extended_topology(uint32_t leaf) {
    if (g_info.max_basic_leaf < leaf) return false;
    uint32_t smt = 0, package = 0;
    bool any = false;
    for (uint32_t sub = 0; sub < 8; ++sub) {
        CpuidRegs r = cpuid(leaf, sub);
        uint32_t type = (r.ecx >> 8) & 0xff;
        if (type == 0) break;
        uint32_t shift = r.eax & 0x1f;
        if (type == 1) smt = shift;
        package = shift;
        any = true;
    }
    if (!any || package < smt) return false;
    g_info.smt_bits = smt;
    g_info.package_shift = package;
    g_info.topology_source = leaf == 0x1f ? "0x1f" : "0xb";
    return true;
}

// Older CPUs: logical processors per package from leaf 1, cores per package from leaf 4
// (Intel) or 0x80000008 (AMD).
void read_legacy_topology() {
    CpuidRegs l1 = cpuid(1);
    bool htt = l1.edx & (1u << 28);
    uint32_t logical = htt ? ((l1.ebx >> 16) & 0xff) : 1;
    if (logical == 0) logical = 1;
    uint32_t cores = 1;
    g_info.topology_source = "0x1";
    if (g_info.max_basic_leaf >= 4 && (cpuid(4, 0).eax & 0x1f) != 0) {
        cores = ((cpuid(4, 0).eax >> 26) & 0x3f) + 1;
        g_info.topology_source = "0x1/0x4";
    } else if (g_info.max_extended_leaf >= 0x80000008) {
        CpuidRegs r = cpuid(0x80000008);
        cores = (r.ecx & 0xff) + 1;
        uint32_t core_id_bits = (r.ecx >> 12) & 0xf;
        if (core_id_bits) cores = 1u << core_id_bits;
        g_info.topology_source = "0x1/0x80000008";
    }
    if (cores > logical) cores = logical;
    uint32_t threads_per_core = logical / cores;
    g_info.smt_bits = bits_for(threads_per_core ? threads_per_core : 1);
    g_info.package_shift = g_info.smt_bits + bits_for(cores);
}

}  // namespace

void cpuinfo_init() {
    CpuidRegs l0 = cpuid(0);
    g_info.max_basic_leaf = l0.eax;
    const uint32_t vendor_words[3] = {l0.ebx, l0.edx, l0.ecx};
    for (int w = 0; w < 3; ++w)
        for (int b = 0; b < 4; ++b) g_info.vendor[w * 4 + b] = char(vendor_words[w] >> (8 * b));
    g_info.vendor[12] = 0;

    g_info.max_extended_leaf = cpuid(0x80000000).eax;
    if (g_info.max_extended_leaf < 0x80000000 || g_info.max_extended_leaf > 0x8000ffff) g_info.max_extended_leaf = 0;

    if (g_info.max_basic_leaf >= 1) {
        CpuidRegs l1 = cpuid(1);
        uint32_t family = (l1.eax >> 8) & 0xf, model = (l1.eax >> 4) & 0xf;
        if (family == 0xf) family += (l1.eax >> 20) & 0xff;
        if (family == 0x6 || family >= 0xf) model |= ((l1.eax >> 16) & 0xf) << 4;
        g_info.family = family;
        g_info.model = model;
        g_info.stepping = l1.eax & 0xf;
        g_info.features.apic = l1.edx & (1u << 9);
        g_info.features.x2apic = l1.ecx & (1u << 21);
        g_info.features.tsc_deadline = l1.ecx & (1u << 24);
        g_info.features.mwait = l1.ecx & (1u << 3);
        g_info.features.hypervisor = l1.ecx & (1u << 31);
    }
    if (g_info.max_extended_leaf >= 0x80000001) {
        CpuidRegs e1 = cpuid(0x80000001);
        g_info.features.nx = e1.edx & (1u << 20);
        g_info.features.pages_1g = e1.edx & (1u << 26);
    }
    if (g_info.max_extended_leaf >= 0x80000004) {
        for (uint32_t i = 0; i < 3; ++i) copy_regs(g_info.brand + 16 * i, cpuid(0x80000002 + i));
        g_info.brand[48] = 0;
    }
    if (g_info.max_extended_leaf >= 0x80000007) g_info.features.invariant_tsc = cpuid(0x80000007).edx & (1u << 8);

    if (!read_extended_topology(0x1f) && !read_extended_topology(0xb)) read_legacy_topology();
}

const CpuInfo& cpuinfo() { return g_info; }

uint32_t cpuid_apic_id() {
    if (g_info.max_basic_leaf >= 0xb && ((cpuid(0xb, 0).ecx >> 8) & 0xff) != 0) return cpuid(0xb, 0).edx;
    return cpuid(1).ebx >> 24;
}

CpuTopology topology_of(uint32_t apic_id) {
    CpuTopology t;
    uint32_t smt = g_info.smt_bits, pkg = g_info.package_shift;
    t.thread = smt ? apic_id & ((1u << smt) - 1) : 0;
    t.core = pkg > smt ? (apic_id >> smt) & ((1u << (pkg - smt)) - 1) : 0;
    t.package = pkg >= 32 ? 0 : apic_id >> pkg;
    return t;
}

void cpuinfo_log() {
    const char* brand = g_info.brand;
    while (*brand == ' ') ++brand;  // Intel pads the brand string on the left
    const CpuFeatures& f = g_info.features;
    log_info("cpu: %s family %u model %u stepping %u \"%s\"", g_info.vendor, g_info.family, g_info.model,
             g_info.stepping, brand);
    log_info("cpu: features%s%s%s%s%s%s%s; topology from leaf %s (smt bits %u, package shift %u)",
             f.x2apic ? " x2apic" : "", f.tsc_deadline ? " tsc-deadline" : "", f.invariant_tsc ? " invariant-tsc" : "",
             f.mwait ? " mwait" : "", f.nx ? " nx" : "", f.pages_1g ? " 1g-pages" : "",
             f.hypervisor ? " hypervisor" : "", g_info.topology_source, g_info.smt_bits, g_info.package_shift);
}

}  // namespace arch
